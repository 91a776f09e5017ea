"""QWOPVectorEnv: a Gymnasium VectorEnv bit-identical to a SyncVectorEnv of
QWOPEnvs (both autoreset modes), make_vec, Gymnasium's vector wrappers,
partial resets, seeds, the async step and bad input."""

import gymnasium as gym
import numpy as np
import pytest
from gymnasium.utils.env_checker import data_equivalence
from gymnasium.utils.passive_env_checker import check_obs
from gymnasium.vector import AutoresetMode, SyncVectorEnv

import qwop_fast  # noqa: F401  (registers the env)
from qwop_fast import QWOPEnv
from qwop_fast.vector import QWOPVectorEnv

ID = "qwop_fast/QWOP-v0"
OPTS = dict(max_episode_steps=40, intro_frames=(0, 30))


def _pair(n, mode, **opts):
    vec = QWOPVectorEnv(n, num_threads=2, autoreset_mode=mode, **opts)
    sync = SyncVectorEnv([lambda: QWOPEnv(**opts) for _ in range(n)], autoreset_mode=mode)
    return vec, sync


@pytest.mark.parametrize("mode", [AutoresetMode.NEXT_STEP, AutoresetMode.SAME_STEP])
def test_bit_identical_to_sync_vector_env_of_qwop_envs(mode):
    n, steps = 6, 300
    vec, sync = _pair(n, mode, **OPTS)
    assert vec.metadata["autoreset_mode"] == sync.metadata["autoreset_mode"] == mode
    assert vec.observation_space == sync.observation_space and vec.action_space == sync.action_space
    assert data_equivalence(vec.reset(seed=7), sync.reset(seed=7), exact=True)
    rng = np.random.default_rng(3)
    ends = 0
    for t in range(steps):
        actions = rng.integers(0, 9, n)
        actions[0] = 3  # env 0 keeps falling: several ends
        a, b = vec.step(actions), sync.step(actions)
        assert data_equivalence(a, b, exact=True), f"step {t}"
        check_obs(a[0], vec.observation_space, "step")
        ends += int(np.sum(a[2] | a[3]))
    assert ends > n
    # an unseeded reset continues each env's intro_frames stream, as QWOPEnv's does
    assert data_equivalence(vec.reset(), sync.reset(), exact=True)
    vec.close(), sync.close()


def test_make_vec_vector_entry_point_takes_the_episode_limit():
    envs = gym.make_vec(ID, num_envs=4, vectorization_mode="vector_entry_point")
    assert isinstance(envs.unwrapped, QWOPVectorEnv)
    assert envs.env_options.max_episode_steps == 5000  # the spec's
    envs.close()
    envs = gym.make_vec(ID, num_envs=3, vectorization_mode="vector_entry_point", max_episode_steps=7,
                        hurdle=False)
    envs.reset(seed=0)
    for t in range(7):
        _, _, term, trunc, info = envs.step(np.zeros(3, np.int64))
    assert trunc.all() and not term.any() and (info["episode_step"] == 7).all()
    obs, reward, term, trunc, info = envs.step(np.zeros(3, np.int64))  # next-step autoreset
    assert (reward == 0).all() and not (term | trunc).any() and (info["episode_step"] == 0).all()
    envs.close()
    unlimited = gym.make_vec(ID, num_envs=2, vectorization_mode="vector_entry_point", max_episode_steps=-1)
    assert unlimited.env_options.max_episode_steps == 0
    unlimited.close()
    # make_vec's default for an id with a vector entry point is that entry point
    assert isinstance(gym.make_vec(ID, num_envs=2).unwrapped, QWOPVectorEnv)


def test_gymnasium_vector_wrappers_work_on_it():
    envs = gym.wrappers.vector.RecordEpisodeStatistics(QWOPVectorEnv(4, max_episode_steps=30))
    envs = gym.wrappers.vector.DictInfoToList(envs)
    envs.reset(seed=1)
    seen = 0
    for _ in range(70):
        _, _, term, trunc, infos = envs.step(envs.action_space.sample())
        assert isinstance(infos, list) and len(infos) == 4
        seen += sum("episode" in i for i in infos)
    assert seen >= 8
    envs.close()


def test_disabled_autoreset_and_partial_reset():
    n = 3
    vec, sync = _pair(n, AutoresetMode.DISABLED, max_episode_steps=5)
    assert data_equivalence(vec.reset(seed=2), sync.reset(seed=2), exact=True)
    for _ in range(5):
        a = np.array([1, 2, 3])
        assert data_equivalence(vec.step(a), sync.step(a), exact=True)
    with pytest.raises(gym.error.ResetNeeded):
        vec.step(np.zeros(n, np.int64))
    mask = np.array([True, False, True])
    assert data_equivalence(vec.reset(options={"reset_mask": mask}), sync.reset(options={"reset_mask": mask}),
                            exact=True)
    with pytest.raises(ValueError, match="seed"):
        vec.reset(seed=1, options={"reset_mask": mask})
    with pytest.raises(ValueError, match="options"):
        vec.reset(options={"hurdle": False})


def test_async_step_gives_the_same_results_and_overlaps():
    a = QWOPVectorEnv(8, num_threads=1)
    b = QWOPVectorEnv(8, num_threads=1)
    assert data_equivalence(a.reset(seed=5), b.reset(seed=5), exact=True)
    rng = np.random.default_rng(0)
    for _ in range(120):
        actions = rng.integers(0, 9, 8)
        a.step_async(actions)
        with pytest.raises(RuntimeError, match="step_wait"):
            a.reset()
        assert data_equivalence(a.step_wait(), b.step(actions), exact=True)
    with pytest.raises(RuntimeError, match="without step_async"):
        a.step_wait()
    a.close(), b.close()


def test_bad_actions_are_refused_before_anything_moves():
    envs = QWOPVectorEnv(2)
    with pytest.raises(gym.error.ResetNeeded):
        envs.step(np.zeros(2, np.int64))
    envs.reset(seed=0)
    with pytest.raises(ValueError, match=r"\[0, 8\]"):
        envs.step(np.array([0, 9]))
    with pytest.raises(ValueError, match="shape"):
        envs.step(np.zeros(3, np.int64))
    with pytest.raises(ValueError, match="autoreset_mode"):
        QWOPVectorEnv(2, autoreset_mode="sometimes")


def test_render_fps_is_the_game_speed_and_follows_frames_per_step():
    envs = QWOPVectorEnv(2, frames_per_step=2, render_mode="rgb_array")
    assert envs.metadata["render_fps"] == 15
    envs.reset(seed=0)
    frames = envs.render()
    assert len(frames) == 2 and frames[0].shape == (400, 640, 3)
    envs.set_attr("frames_per_step", 5)
    assert envs.metadata["render_fps"] == 6 and envs.get_attr("frames_per_step") == (5, 5)
    envs.close()
