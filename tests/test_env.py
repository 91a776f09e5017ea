"""QWOPEnv: the Gymnasium API, options and errors."""

import gymnasium as gym
import numpy as np
import pytest

import qwop_fast
from qwop_fast import QWOPEnv


def test_registered_and_spaces():
    env = gym.make("qwop_fast/QWOP-v0")
    assert env.observation_space == gym.spaces.Box(-1, 1, (60,), np.float32)
    assert env.action_space == gym.spaces.Discrete(9)
    full = gym.make("qwop_fast/QWOP-v0", reduced_action_set=False)
    assert full.action_space == gym.spaces.Discrete(16)
    obs, info = env.reset(seed=1)
    assert obs.dtype == np.float32 and obs.shape == (60,)
    assert set(info) >= {"distance", "game_time", "is_success"}
    obs, reward, terminated, truncated, info = env.step(1)
    assert isinstance(reward, float) and terminated is False and truncated is False
    assert info["game_time"] == pytest.approx(4 / 30)


def test_defaults_are_the_training_defaults():
    env = QWOPEnv()
    assert (env.frames_per_step, env.reduced_action_set, env.max_episode_steps) == (4, True, 5000)
    assert (env.speed_rew_mult, env.time_cost_mult, env.success_reward, env.failure_cost) == (0.01, 10, 50, 10)
    assert env.hurdle and env.success_rule == "qwop_gym" and env.head_torque_accumulates
    assert env.intro_frames == 0


def test_sb3_and_gymnasium_env_checkers():
    from gymnasium.utils.env_checker import check_env as gym_check
    from stable_baselines3.common.env_checker import check_env as sb3_check

    sb3_check(QWOPEnv(), warn=True)
    gym_check(QWOPEnv(), skip_render_check=True)
    gym_check(QWOPEnv(render_mode="rgb_array"))


def test_episode_ends_and_needs_reset():
    env = QWOPEnv(frames_per_step=4)
    env.reset()
    for _ in range(200):
        _, reward, terminated, truncated, info = env.step(3)  # O: falls over
        if terminated:
            break
    assert terminated and not info["is_success"] and reward < -9
    with pytest.raises(gym.error.ResetNeeded):
        env.step(0)
    env.reset()
    env.step(0)


def test_truncation():
    env = QWOPEnv(max_episode_steps=3)
    env.reset()
    results = [env.step(0)[3] for _ in range(3)]
    assert results == [False, False, True]


def test_reset_reproduces_the_episode():
    env = QWOPEnv()
    actions = np.random.default_rng(0).integers(0, 9, 60)
    runs = []
    for _ in range(2):
        env.reset(seed=3)
        run = []
        for a in actions:
            obs, reward, terminated, _, _ = env.step(int(a))
            run.append((obs, reward))
            if terminated:
                break
        runs.append(run)
    assert len(runs[0]) == len(runs[1]) > 10
    assert all(np.array_equal(a[0], b[0]) and a[1] == b[1] for a, b in zip(*runs))


def test_options_are_attributes_and_settable():
    env = QWOPEnv(max_episode_steps=0)
    env.reset()
    env.max_episode_steps = 2
    env.step(0)
    assert env.step(0)[3] is True
    with pytest.raises(ValueError, match="frames_per_step"):
        env.frames_per_step = 0


@pytest.mark.parametrize("action,error", [
    (9, ValueError), (-1, ValueError), (1.0, TypeError), (float("nan"), TypeError),
    ("Q", TypeError), (np.array([1, 2]), TypeError),
])
def test_bad_actions(action, error):
    env = QWOPEnv()
    env.reset()
    with pytest.raises(error, match="action"):
        env.step(action)


def test_numpy_integer_actions_are_fine():
    env = QWOPEnv()
    env.reset()
    env.step(np.int64(2))
    env.step(np.array([3]))


def test_unknown_kwarg_names_it():
    with pytest.raises(TypeError, match="frame_skip"):
        QWOPEnv(frame_skip=4)
    with pytest.raises(ValueError, match="render_mode"):
        QWOPEnv(render_mode="ascii")


def test_reset_options_are_rejected_clearly():
    env = QWOPEnv()
    with pytest.raises(ValueError, match="options"):
        env.reset(options={"hurdle": False})


def test_version():
    assert qwop_fast.__version__
