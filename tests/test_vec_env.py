"""QWOPVecEnv: SB3 VecEnv semantics, equivalence with QWOPEnv, the SB3
ecosystem (wrappers, algorithms) and bad input."""

import numpy as np
import pytest
import torch
from stable_baselines3.common.vec_env import VecEnv, VecFrameStack, VecMonitor, VecNormalize

from qwop_fast import QWOPEnv, QWOPVecEnv

torch.set_num_threads(1)


def test_is_a_vec_env_with_the_env_spaces():
    venv = QWOPVecEnv(4, num_threads=2)
    env = QWOPEnv()
    assert isinstance(venv, VecEnv) and venv.num_envs == 4
    assert venv.observation_space == env.observation_space
    assert venv.action_space == env.action_space
    obs = venv.reset()
    assert obs.shape == (4, 60) and obs.dtype == np.float32
    assert np.array_equal(obs[0], env.reset()[0])
    assert venv.reset_infos[0]["distance"] == pytest.approx(0.2511, abs=1e-4)


def test_step_returns_arrays_the_caller_may_keep():
    venv = QWOPVecEnv(2, num_threads=1)
    venv.reset()
    obs1, rew1, _, _ = venv.step(np.array([1, 2]))
    keep = obs1.copy(), rew1.copy()
    venv.step(np.array([3, 4]))
    assert np.array_equal(obs1, keep[0]) and np.array_equal(rew1, keep[1])
    obs1[0, 0] = 3.0  # writable, and not the engine's buffer


def test_equivalence_with_separate_envs_including_auto_reset():
    n, steps = 6, 250
    rng = np.random.default_rng(11)
    actions = rng.integers(0, 9, (steps, n))
    actions[:, 0] = 3  # env 0 keeps falling: several auto-resets
    venv = QWOPVecEnv(n, num_threads=2, max_episode_steps=40)
    envs = [QWOPEnv(max_episode_steps=40) for _ in range(n)]
    venv.reset()
    for env in envs:
        env.reset()
    ends = 0
    for t in range(steps):
        obs, rewards, dones, infos = venv.step(actions[t])
        for i, env in enumerate(envs):
            o, r, term, trunc, info = env.step(int(actions[t, i]))
            assert rewards[i] == np.float32(r)
            assert dones[i] == (term or trunc)
            assert infos[i]["distance"] == info["distance"] and infos[i]["is_success"] == info["is_success"]
            if term or trunc:
                ends += 1
                assert np.array_equal(infos[i]["terminal_observation"], o)
                assert infos[i]["TimeLimit.truncated"] == (trunc and not term)
                o, _ = env.reset()
            assert np.array_equal(obs[i], o)
    assert ends > 6


def test_vec_monitor_logs_episodes_and_success():
    venv = VecMonitor(QWOPVecEnv(4, num_threads=1, max_episode_steps=30), info_keywords=("distance", "is_success"))
    venv.reset()
    episodes = []
    for _ in range(31):
        _, _, dones, infos = venv.step(np.zeros(4, np.int64))
        episodes += [info["episode"] for info in infos if "episode" in info]
    assert len(episodes) == 4 and all(e["l"] == 30 for e in episodes)
    assert all("distance" in e and e["is_success"] is False for e in episodes)


def test_vec_normalize_and_frame_stack():
    venv = VecFrameStack(VecNormalize(QWOPVecEnv(3, num_threads=1)), n_stack=4)
    obs = venv.reset()
    assert obs.shape == (3, 240)
    for _ in range(10):
        obs, rewards, _, _ = venv.step(np.ones(3, np.int64))
    assert np.isfinite(obs).all() and np.isfinite(rewards).all()


def test_attrs_methods_and_wrapping():
    venv = QWOPVecEnv(3, num_threads=1, frames_per_step=2)
    assert venv.get_attr("frames_per_step") == [2, 2, 3 - 1]
    assert venv.get_attr("render_mode", indices=[1]) == [None]
    venv.set_attr("max_episode_steps", 1)
    venv.reset()
    _, _, dones, infos = venv.step(np.zeros(3, np.int64))
    assert dones.all() and infos[0]["TimeLimit.truncated"]
    with pytest.raises(ValueError, match="indices=None"):
        venv.set_attr("max_episode_steps", 5, indices=[0])
    with pytest.raises(AttributeError, match="no attribute 'bogus'"):
        venv.get_attr("bogus")
    with pytest.raises(AttributeError, match="env options"):
        venv.set_attr("observation_space", None)
    obs_info = venv.env_method("reset", indices=[2])
    assert np.array_equal(obs_info[0][0], QWOPEnv().reset()[0])
    with pytest.raises(AttributeError, match="'close'"):
        venv.env_method("close")
    assert venv.env_is_wrapped(VecMonitor) == [False] * 3
    venv.close()


def test_seed_is_accepted_and_physics_stays_deterministic():
    a, b = QWOPVecEnv(2, seed=1), QWOPVecEnv(2, seed=2)
    assert a.seed(5) == [5, 6]
    assert np.array_equal(a.reset(), b.reset())


@pytest.mark.parametrize("actions,error", [
    (np.array([0, 9]), ValueError),
    (np.array([0, -1]), ValueError),
    (np.array([0, 1, 2]), ValueError),
    (np.array([0.0, 1.0]), TypeError),
    (np.array([0.0, np.nan]), TypeError),
])
def test_bad_actions_leave_the_batch_untouched(actions, error):
    venv = QWOPVecEnv(2, num_threads=1)
    obs = venv.reset()
    with pytest.raises(error, match="actions"):
        venv.step(actions)
    assert np.array_equal(venv.engine.obs, obs) and venv.engine.episode_step.tolist() == [0, 0]


def test_bad_construction():
    with pytest.raises(ValueError, match="n_envs"):
        QWOPVecEnv(0)
    with pytest.raises(TypeError, match="bogus"):
        QWOPVecEnv(2, bogus=1)
    with pytest.raises(ValueError, match="render_mode"):
        QWOPVecEnv(2, render_mode="human")


def test_qrdqn_and_ppo_train_save_and_load(tmp_path):
    from sb3_contrib import QRDQN
    from stable_baselines3 import PPO

    venv = VecMonitor(QWOPVecEnv(4, num_threads=1))
    model = QRDQN("MlpPolicy", venv, learning_starts=200, train_freq=4, gradient_steps=1, batch_size=32,
                  buffer_size=5000, policy_kwargs={"net_arch": [32, 32]}, seed=0)
    model.learn(2000)
    model.save(tmp_path / "qrdqn")
    loaded = QRDQN.load(tmp_path / "qrdqn")
    obs = QWOPEnv().reset()[0]
    assert np.array_equal(loaded.predict(obs, deterministic=True)[0], model.predict(obs, deterministic=True)[0])

    ppo = PPO("MlpPolicy", QWOPVecEnv(4, num_threads=1), n_steps=128, batch_size=64, n_epochs=1,
              policy_kwargs={"net_arch": [32, 32]}, seed=0)
    ppo.learn(1024)
    ppo.save(tmp_path / "ppo")
    action, _ = PPO.load(tmp_path / "ppo").predict(obs, deterministic=True)
    assert 0 <= int(action) < 9
