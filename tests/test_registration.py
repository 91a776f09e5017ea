"""``gym.make("qwop_fast/QWOP-v0")`` as Gymnasium users run it: the one
episode limit, a truthful spec, Gymnasium's env checker, and videos written
by Gymnasium's RecordVideo and SB3's VecVideoRecorder at the game's speed."""

import subprocess
import sys

import gymnasium as gym
import imageio
import numpy as np
import pytest
from gymnasium.utils.env_checker import check_env

import qwop_fast  # noqa: F401  (registers the env)
from qwop_fast import QWOPEnv

ID = "qwop_fast/QWOP-v0"


def _steps_until_truncated(env, limit=20_000):
    env.reset(seed=0)
    env.unwrapped.hurdle = False
    for t in range(1, limit + 1):
        # Q held forever: the runner kneels and never falls (the physics is
        # deterministic; measured beyond 6000 steps), so only the limit ends it
        _, _, terminated, truncated, _ = env.step(1)
        assert not terminated
        if truncated:
            return t
    return None


def test_make_max_episode_steps_is_the_one_limit_and_the_spec_says_it():
    env = gym.make(ID)
    assert env.spec.max_episode_steps == 5000
    assert env.unwrapped.max_episode_steps == 0  # the engine's own limit is off under gym.make
    env = gym.make(ID, max_episode_steps=6000)
    assert env.spec.max_episode_steps == 6000
    assert _steps_until_truncated(env) == 6000  # not 5000: the env keeps no limit of its own
    env = gym.make(ID, max_episode_steps=-1)  # Gymnasium's "no TimeLimit"
    assert env.spec.max_episode_steps is None
    env.reset(seed=0)
    for _ in range(5100):
        assert not any(env.step(1)[2:4])
    # QWOPEnv itself keeps its documented default
    assert QWOPEnv().max_episode_steps == 5000


def test_registered_env_passes_gymnasiums_checker():
    check_env(gym.make(ID).unwrapped)
    check_env(gym.make(ID, frames_per_step=2, reduced_action_set=False).unwrapped)


def test_make_finds_the_env_with_the_module_prefix_in_a_fresh_interpreter():
    code = ("import gymnasium as gym\n"
            "env = gym.make('qwop_fast:qwop_fast/QWOP-v0')\n"
            "print(env.spec.max_episode_steps)\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr
    assert proc.stdout.strip() == "5000"


@pytest.mark.parametrize("fps_per_step, expected", [(4, 7.5), (1, 30), (2, 15)])
def test_render_fps_is_the_game_speed(fps_per_step, expected):
    env = gym.make(ID, frames_per_step=fps_per_step)
    assert env.metadata["render_fps"] == expected
    assert env.unwrapped.metadata["render_fps"] == expected
    env.unwrapped.frames_per_step = 1  # a live change updates it
    assert env.unwrapped.metadata["render_fps"] == 30
    assert QWOPEnv.metadata["render_fps"] == 7.5  # the class keeps the defaults'


def _video_seconds(path):
    reader = imageio.get_reader(str(path))
    meta = reader.get_meta_data()
    frames = reader.count_frames()
    reader.close()
    return meta["fps"], frames


def test_record_video_plays_at_game_speed(tmp_path):
    pytest.importorskip("moviepy")
    env = gym.make(ID, render_mode="rgb_array", max_episode_steps=30)
    env = gym.wrappers.RecordVideo(env, str(tmp_path), episode_trigger=lambda e: True, disable_logger=True)
    env.reset(seed=0)
    for _ in range(30):
        if env.step(0)[3]:
            break
    env.close()
    (video,) = tmp_path.glob("*.mp4")
    fps, frames = _video_seconds(video)
    assert fps == pytest.approx(7.5)
    # 31 frames (reset + 30 steps) = 120 game frames = 4 s of game time
    assert frames / fps == pytest.approx(31 / 7.5, abs=0.2)


def test_sb3_vec_video_recorder_plays_at_game_speed(tmp_path):
    pytest.importorskip("moviepy")
    from stable_baselines3.common.vec_env import VecVideoRecorder

    from qwop_fast import QWOPVecEnv

    venv = VecVideoRecorder(QWOPVecEnv(2, render_mode="rgb_array", frames_per_step=2), str(tmp_path),
                            record_video_trigger=lambda step: step == 0, video_length=20)
    venv.reset()
    for _ in range(21):
        venv.step(np.zeros(2, np.int64))
    venv.close()
    (video,) = tmp_path.glob("*.mp4")
    assert _video_seconds(video)[0] == pytest.approx(15)
