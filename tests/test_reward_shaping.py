"""Reward shaping: the single-env wrapper and the batched VecEnv wrapper."""

import numpy as np
import pytest

from qwop_fast import QWOPEnv, QWOPVecEnv
from qwop_fast.reward_shaping import RewardShapingWrapper, VecRewardShaping


def test_shaping_wrapper_at_spawn():
    env = RewardShapingWrapper(QWOPEnv(frames_per_step=1))
    env.reset()
    _, _, _, _, info = env.step(0)
    # spec 9.2: at spawn 4 joints sit near a limit -> -0.20; posture 0
    assert info["shaped_rewards"]["joint"] == pytest.approx(-0.20)
    assert info["shaped_rewards"]["posture"] == 0.0 and info["shaped_rewards"]["energy"] == 0.0
    _, _, _, _, info = env.step(1)
    assert info["shaped_rewards"]["energy"] == pytest.approx(-0.01)


def test_vectorised_shaping_agrees_with_single_env_shaping():
    n, steps = 4, 120
    actions = np.random.default_rng(2).integers(0, 9, (steps, n))
    venv = VecRewardShaping(QWOPVecEnv(n, num_threads=2, max_episode_steps=50))
    envs = [RewardShapingWrapper(QWOPEnv(max_episode_steps=50)) for _ in range(n)]
    venv.reset()
    for env in envs:
        env.reset()
    for t in range(steps):
        _, rewards, _, infos = venv.step(actions[t])
        for i, env in enumerate(envs):
            _, r, term, trunc, info = env.step(int(actions[t, i]))
            assert infos[i]["shaped_rewards"] == pytest.approx(info["shaped_rewards"], abs=1e-9)
            assert rewards[i] == pytest.approx(r, abs=1e-5)
            if term or trunc:
                env.reset()


def test_shaping_needs_a_qwop_vec_env():
    from stable_baselines3.common.vec_env import DummyVecEnv
    import gymnasium as gym

    with pytest.raises(TypeError, match="QWOPVecEnv"):
        VecRewardShaping(DummyVecEnv([lambda: gym.make("CartPole-v1")]))
