"""The batched engine against the spec's facts (section 9), determinism,
auto-reset, bad input and memory. Real Box2D throughout."""

import gc
import math
import resource

import numpy as np
import pytest

from qwop_fast import runner_table
from qwop_fast._engine import Engine

# Spec 7.1: (x, y, angle) of each body at reset, in observation order.
SPEC_INITIAL_OBS = {
    "torso": (-0.976394, -0.187095, -0.208575),
    "head": (-0.973796, -0.562180, 0.010747),
    "leftArm": (-0.972796, -0.280656, 0.150668),
    "leftCalf": (-0.975234, 0.552551, -0.265066),
    "leftFoot": (-0.973723, 0.808884, 0.020046),
    "leftForearm": (-0.970132, -0.287335, -0.200830),
    "leftThigh": (-0.976293, 0.164809, -0.336287),
    "rightArm": (-0.978903, -0.350003, -0.087037),
    "rightCalf": (-0.981269, 0.534788, -0.126481),
    "rightFoot": (-0.983256, 0.756719, 0.098293),
    "rightForearm": (-0.980363, -0.106000, -0.292556),
    "rightThigh": (-0.978091, 0.206153, 0.247490),
}

FULL = {"": 0, "Q": 1, "W": 2, "O": 3, "P": 4, "QW": 5, "QO": 6, "QP": 7, "WO": 8, "WP": 9,
        "OP": 10, "QWO": 11, "QWP": 12, "QOP": 13, "WOP": 14, "QWOP": 15}


def hold(action, frames=750, **kw):
    """Frame at which holding ``action`` (full set) from spawn ends the game, or None."""
    e = Engine(1, num_threads=1, frames_per_step=1, reduced_action_set=False, max_episode_steps=0, **kw)
    for f in range(1, frames + 1):
        e.step([action])
        if e.terminated[0]:
            return f
    return None


def trajectory(engine, actions, env=0):
    """Stack of (obs, reward, terminated, truncated) rows of one env over a run."""
    rows = []
    for a in actions:
        engine.step(a)
        rows.append((engine.obs[env].copy(), engine.reward[env], engine.terminated[env], engine.truncated[env]))
    return rows


# --------------------------------------------------------------- the world
def test_counts_and_total_mass():
    world = Engine(1, num_threads=1).describe_world()
    assert len(world["bodies"]) == 12 and len(world["joints"]) == 11
    assert sum(j["motor"] for j in world["joints"].values()) == 6
    total = sum(b["mass"] for b in world["bodies"].values())
    assert total == pytest.approx(103.0775, abs=1e-4)
    assert total == pytest.approx(runner_table.total_mass(), abs=1e-4)
    feet = world["bodies"]["leftFoot"]["mass"] + world["bodies"]["rightFoot"]["mass"]
    assert feet == pytest.approx(22.68, abs=1e-4)


def test_joints_as_specified():
    world = Engine(1, num_threads=1).describe_world()
    for spec, (local_a, local_b) in zip(runner_table.JOINTS, runner_table.JOINT_LOCAL_ANCHORS):
        j = world["joints"][spec.name]
        assert j["reference_angle"] == pytest.approx(spec.reference_angle, abs=1e-6)
        assert (j["lower"], j["upper"]) == pytest.approx((spec.lower, spec.upper), abs=1e-6)
        assert j["local_anchor_a"] == pytest.approx(local_a, abs=1e-5)
        assert j["local_anchor_b"] == pytest.approx(local_b, abs=1e-5)
        assert spec.lower <= j["angle"] <= spec.upper, spec.name
    # Spec 4.2: initial joint angles, derived in float64.
    assert world["joints"]["rightAnkle"]["angle"] == pytest.approx(0.222158, abs=1e-5)
    assert world["joints"]["neck"]["angle"] == pytest.approx(-0.006937, abs=1e-5)


def test_initial_observation_matches_spec_table():
    obs = Engine(3, num_threads=1).obs
    assert obs.shape == (3, 60) and obs.dtype == np.float32
    for slot, name in enumerate(runner_table.OBS_BODY_ORDER):
        x, y, a = SPEC_INITIAL_OBS[name]
        row = obs[0, 5 * slot: 5 * slot + 5]
        assert row[:3] == pytest.approx((x, y, a), abs=2e-6), name
        assert row[3] == np.float32(-0.5) and row[4] == pytest.approx(-0.411765, abs=1e-6)
    assert np.array_equal(obs[0], obs[2])


def test_start_distance_and_clock():
    e = Engine(1, num_threads=1)
    assert e.distance[0] == pytest.approx(0.2511, abs=1e-4)
    assert e.game_time[0] == 0.0


# ----------------------------------------------------------- dynamics (9.2)
def test_first_frame_falls_by_g_dt_squared():
    e = Engine(1, num_threads=1, frames_per_step=1)
    e.step([0])
    torso = e.body_pose[0, runner_table.BODY_INDEX["torso"]]
    assert torso[1] == pytest.approx(-1.8549, abs=2e-3)


def _feet_bottom(pose):
    """Lowest corner (largest y) of either foot."""
    lowest = -math.inf
    for name in runner_table.FOOT_PARTS:
        b = runner_table.BODIES[runner_table.BODY_INDEX[name]]
        x, y, a = pose[runner_table.BODY_INDEX[name]]
        c, s = math.cos(a), math.sin(a)
        for sx in (-1, 1):
            for sy in (-1, 1):
                lowest = max(lowest, y + s * sx * b.half_w + c * sy * b.half_h)
    return lowest


def test_feet_land_on_frame_five():
    e = Engine(1, num_threads=1, frames_per_step=1)
    landed_at = None
    for f in range(1, 20):
        e.step([0])
        # within the polygon skin (0.02 combined) of the track top
        if landed_at is None and _feet_bottom(e.body_pose[0]) > runner_table.TRACK.top_y - 0.03:
            landed_at = f
    assert landed_at is not None and 4 <= landed_at <= 6


def test_no_key_does_not_fall_within_750_frames():
    assert hold(FULL[""]) is None
    assert hold(FULL[""], head_torque_accumulates=True) is None


# The real game's fall frames for held keys (../shared/oracle, README table);
# tests/test_align.py checks the whole trajectories bit for bit.
@pytest.mark.parametrize("keys, frame", [("O", 48), ("OP", 48), ("QO", 82)])
def test_held_keys_fall_on_the_real_games_frame(keys, frame):
    assert hold(FULL[keys]) == frame


@pytest.mark.parametrize("keys", ["Q", "W", "P", "QW", "WO", "WP"])
def test_keys_that_do_not_fall(keys):
    assert hold(FULL[keys]) is None


@pytest.mark.parametrize("same", [(5, 1), (10, 3), (11, 6), (13, 6), (15, 6), (12, 7), (14, 8)])
def test_full_set_equivalences_are_bit_identical(same):
    rng = np.random.default_rng(7)
    # Alternate with random other keys so hip-limit history matters too.
    others = rng.integers(0, 16, 120)
    runs = []
    for a in same:
        e = Engine(1, num_threads=1, frames_per_step=2, reduced_action_set=False)
        seq = [[a if k % 2 == 0 else others[k]] for k in range(120)]
        runs.append(trajectory(e, seq))
    for r0, r1 in zip(*runs):
        assert np.array_equal(r0[0], r1[0]) and r0[1] == r1[1]


def test_reduced_set_duplicates_are_bit_identical():
    # Reduced set: QW (5) = Q (1), OP (8) = O (3).
    for a, b in ((5, 1), (8, 3)):
        ea, eb = Engine(1, num_threads=1), Engine(1, num_threads=1)
        ra, rb = trajectory(ea, [[a]] * 80), trajectory(eb, [[b]] * 80)
        assert all(np.array_equal(x[0], y[0]) for x, y in zip(ra, rb))


# ------------------------------------------------------------------ reward
def test_idle_reward_and_first_step_reference():
    e = Engine(1, num_threads=1, frames_per_step=4)
    e.step([0])
    # reset reference: speed term from the reset state, time cost 1/30
    torso_dx = (e.distance[0] - runner_table.BODIES[0].x / 10) * 10
    expected = 0.01 * (torso_dx / 10) / (4 / 300) - 1 / 30
    assert e.reward[0] == pytest.approx(expected, abs=1e-5)
    # the sources' quirk: the first step is measured from (0, 0)
    q = Engine(1, num_threads=1, frames_per_step=4, first_step_reference="origin")
    q.step([0])
    assert q.reward[0] - e.reward[0] == pytest.approx(0.01 * 0.25111726 / (4 / 300), abs=1e-4)


def test_fall_gives_failure_cost_and_stops_the_clock():
    e = Engine(1, num_threads=1, frames_per_step=1, reduced_action_set=False, auto_reset=False)
    for f in range(200):
        e.step([FULL["O"]])
        if e.terminated[0]:
            break
    assert e.terminated[0] and not e.is_success[0]
    assert e.reward[0] < -9.0  # -10 plus a small speed term
    assert e.flags()[0].tolist() == [True, False, True]  # fallen, not landed, ended
    clock = e.game_time[0]
    e.step([0])  # physics goes on (auto_reset off), the clock does not
    assert e.game_time[0] == clock
    assert e.game_time[0] == pytest.approx((f + 1) / 30)


def test_truncation_after_max_episode_steps():
    e = Engine(2, num_threads=1, max_episode_steps=5)
    for k in range(1, 6):
        e.step([0, 0])
        assert e.episode_step[0] == k
        assert bool(e.truncated[0]) == (k == 5) and not e.terminated[0]
    assert e.episode_step[0] == 5  # the step that ended
    e.step([0, 0])
    assert e.episode_step[0] == 1  # a new episode


# ------------------------------------------------------------- auto-reset
def test_auto_reset_returns_start_obs_and_keeps_terminal_obs():
    start = Engine(1, num_threads=1).obs[0].copy()
    e = Engine(1, num_threads=1, frames_per_step=4)
    manual = Engine(1, num_threads=1, frames_per_step=4, auto_reset=False)
    for _ in range(100):
        e.step([3])
        manual.step([3])
        if e.terminated[0]:
            break
    assert e.terminated[0]
    assert np.array_equal(e.terminal_obs[0], manual.obs[0])
    assert np.array_equal(e.obs[0], start)
    # everything but obs still describes the step that ended
    assert e.distance[0] == manual.distance[0] and e.reward[0] == manual.reward[0]
    assert np.array_equal(e.current_body_pose()[0], Engine(1, num_threads=1).current_body_pose()[0])


def test_reset_indices_only_touches_those_envs():
    e = Engine(3, num_threads=1)
    for _ in range(5):
        e.step([1, 2, 3])
    before = e.obs.copy()
    e.reset([1])
    assert np.array_equal(e.obs[0], before[0]) and np.array_equal(e.obs[2], before[2])
    assert np.array_equal(e.obs[1], Engine(1, num_threads=1).obs[0])


# ------------------------------------------------------------ determinism
def _random_actions(rng, steps, n, n_actions=9):
    # Bias towards O-ish actions so that episodes end and auto-resets happen.
    return rng.choice(n_actions, size=(steps, n), p=None)


@pytest.mark.parametrize("n_envs,num_threads,position", [(1, 1, 0), (5, 2, 3), (16, 2, 15), (9, 4, 0)])
def test_determinism_across_batch_threads_and_position(n_envs, num_threads, position):
    rng = np.random.default_rng(123)
    target = np.random.default_rng(99).integers(0, 9, 300)  # the actions of the env under test
    reference = trajectory(Engine(1, num_threads=1), [[a] for a in target])
    e = Engine(n_envs, num_threads=num_threads)
    actions = rng.integers(0, 9, (300, n_envs))
    actions[:, position] = target
    got = trajectory(e, actions, env=position)
    ended = 0
    for (o0, r0, t0, u0), (o1, r1, t1, u1) in zip(reference, got):
        assert np.array_equal(o0, o1) and r0 == r1 and t0 == t1 and u0 == u1
        ended += bool(t0)
    assert ended >= 1  # the run crossed at least one auto-reset


def test_episodes_repeat_bit_identically():
    actions = [[a] for a in np.random.default_rng(5).integers(0, 9, 150)]
    e = Engine(1, num_threads=1, auto_reset=False)
    first = trajectory(e, actions)
    e.reset()
    second = trajectory(e, actions)
    assert all(np.array_equal(a[0], b[0]) and a[1] == b[1] for a, b in zip(first, second))


def test_raw_loop_matches_python_loop_statistics():
    # run_random is the same stepping code; it must leave consistent buffers.
    e = Engine(8, num_threads=2)
    e.run_random(50, seed=3)
    assert np.all(np.abs(e.obs) <= 1.0) and np.all(e.episode_step >= 1)


# -------------------------------------------------------------- bad input
@pytest.mark.parametrize("actions,error,words", [
    (np.zeros(3, np.int64), ValueError, "shape (4,)"),
    (np.zeros((4, 1), np.int64), ValueError, "shape (4,)"),
    (np.zeros(4, np.float32), TypeError, "integer"),
    (np.array([0, 1, 2, np.nan]), TypeError, "integer"),
    (np.array([0, 1, 2, 9]), ValueError, "[0, 8]"),
    (np.array([0, -1, 2, 3]), ValueError, "got -1"),
    (["a", "b", "c", "d"], TypeError, "integer"),
])
def test_bad_actions_are_rejected_and_nothing_moves(actions, error, words):
    e = Engine(4, num_threads=2)
    e.step([1, 2, 3, 4])
    before = (e.obs.copy(), e.reward.copy(), e.episode_step.copy())
    with pytest.raises(error) as info:
        e.step(actions)
    assert words in str(info.value) and "actions" in str(info.value)
    assert np.array_equal(e.obs, before[0]) and np.array_equal(e.episode_step, before[2])
    e.step([1, 2, 3, 4])
    assert e.episode_step.tolist() == [2, 2, 2, 2]


@pytest.mark.parametrize("kwargs,error,words", [
    (dict(n_envs=0), ValueError, "n_envs"),
    (dict(n_envs=-3), ValueError, "n_envs"),
    (dict(n_envs=2.5), TypeError, "n_envs"),
    (dict(n_envs=2, num_threads=-1), ValueError, "num_threads"),
    (dict(n_envs=2, frames_per_step=0), ValueError, "frames_per_step"),
    (dict(n_envs=2, frames_per_step=1.5), TypeError, "frames_per_step"),
    (dict(n_envs=2, max_episode_steps=-1), ValueError, "max_episode_steps"),
    (dict(n_envs=2, success_rule="fastest"), ValueError, "success_rule"),
    (dict(n_envs=2, hurdle="yes"), TypeError, "hurdle"),
    (dict(n_envs=2, time_cost_mult=float("nan")), ValueError, "time_cost_mult"),
    (dict(n_envs=2, frame_skip=4), TypeError, "frame_skip"),
])
def test_bad_construction_arguments(kwargs, error, words):
    with pytest.raises(error, match=words):
        Engine(**kwargs)


def test_bad_reset_indices():
    e = Engine(3, num_threads=1)
    with pytest.raises(ValueError, match=r"\[0, 2\]"):
        e.reset([3])
    with pytest.raises(TypeError, match="indices"):
        e.reset([0.5])


def test_set_options_live_and_refuses_changing_the_action_space():
    e = Engine(2, num_threads=1, max_episode_steps=0)
    e.set_options(max_episode_steps=2)
    e.step([0, 0])
    e.step([0, 0])
    assert e.truncated.all()
    with pytest.raises(ValueError, match="reduced_action_set"):
        e.set_options(reduced_action_set=False)
    with pytest.raises(TypeError, match="bogus"):
        e.set_options(bogus=1)


def test_buffers_are_read_only_views():
    e = Engine(2, num_threads=1)
    with pytest.raises(ValueError):
        e.obs[0, 0] = 5.0


def test_closed_engine_raises_instead_of_crashing():
    e = Engine(2, num_threads=2)
    e.close()
    e.close()  # twice is fine
    for call in (lambda: e.step([0, 0]), e.reset, e.flags, lambda: e.run_random(1)):
        with pytest.raises(RuntimeError, match="closed"):
            call()


# ------------------------------------------------------------------ memory
def _rss_mb():
    with open("/proc/self/statm") as f:
        return int(f.read().split()[1]) * resource.getpagesize() / 2**20


def test_memory_stays_flat_over_many_steps_and_engines():
    e = Engine(64, num_threads=2)
    e.run_random(1000, seed=1)  # warm up Box2D's and malloc's pools
    gc.collect()
    start = _rss_mb()
    # 384k env steps, thousands of auto-resets on both threads. Rebuilding
    # worlds with fresh allocations once crept up ~0.6 MiB over this many.
    e.run_random(6000, seed=2)
    assert _rss_mb() - start < 0.3


def test_memory_stays_flat_as_engines_come_and_go():
    def churn():
        for _ in range(30):
            Engine(32, num_threads=2).run_random(10)
        gc.collect()

    churn()  # the first worker threads give malloc a new arena, once (~1.7 MiB)
    start = _rss_mb()
    churn()
    assert _rss_mb() - start < 0.3
