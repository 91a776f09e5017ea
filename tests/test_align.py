"""Alignment with the real game: every recorded program, frame by frame.

The recordings (../shared/oracle) are the real QWOP's own code run headless in
double precision. QWOPEnv must reproduce them bit for bit: every body's x, y,
angle and velocities on every frame, and the game ending on the same frame.
The motion is chaotic, so agreement can only come from the same arithmetic.
"""

from __future__ import annotations

import numpy as np
import pytest

from bench import oracle
from qwop_fast import QWOPEnv
from qwop_fast._engine import Engine

PROGRAMS = oracle.program_names()


def test_every_recorded_program_is_checked():
    # 16 programs in the oracle as shipped; a missing folder fails loudly.
    assert len(PROGRAMS) >= 16 and "hurdle_QP5_WO5" in PROGRAMS


def _first_mismatch(ours: np.ndarray, theirs: np.ndarray) -> str:
    f, b, q = np.argwhere(ours != theirs)[0]
    return (f"frame {f}, {QWOPEnv.body_names[b]}.{oracle.STATE_FIELDS[q]}: "
            f"ours {ours[f, b, q]!r}, the game's {theirs[f, b, q]!r}")


@pytest.mark.parametrize("name", PROGRAMS)
def test_program_is_bit_identical_to_the_real_game(name):
    program, traj = oracle.load_program(name), oracle.load_trajectory(name)
    keys = oracle.program_keys(program)
    env = QWOPEnv(**oracle.env_kwargs(program))
    env.reset(seed=0)
    if program.get("start") == "reset":
        env.step(0)  # the R start: the click start with one key-less frame first
    states = [env.body_state.copy()]
    end = None
    for f in range(1, len(traj)):
        assert traj.keys[f] == keys[f - 1]
        _, _, terminated, truncated, _ = env.step(oracle.action_index(keys[f - 1]))
        states.append(env.body_state.copy())
        assert not truncated
        if terminated:
            end = f
            break
    ours = np.array(states)
    theirs = traj.state[: len(ours)]
    assert np.array_equal(ours, theirs), _first_mismatch(ours, theirs)
    # The game ends (fall or landing) on the real game's frame, or not at all.
    assert end == traj.end_frame


@pytest.mark.parametrize("name", [n for n in PROGRAMS if oracle.load_trajectory(n).end_frame is not None])
def test_after_the_end_the_physics_runs_on_or_pauses_as_in_the_game(name):
    """After a fall the ragdoll keeps collapsing with limp knees and shoulders;
    after the landing the physics stops. The recordings go on for 30 frames."""
    program, traj = oracle.load_program(name), oracle.load_trajectory(name)
    keys = oracle.program_keys(program)
    e = Engine(1, num_threads=0, auto_reset=False, seed=0, **oracle.env_kwargs(program))
    for f in range(1, len(traj)):
        e.step(np.array([oracle.action_index(keys[f - 1])]))
        assert np.array_equal(e.body_state[0], traj.state[f]), f"frame {f}"


@pytest.mark.parametrize("name", ["alt_QP5_WO5", "held_W", "alt_QP5_WO5_idle30", "hurdle_QP5_WO5"])
def test_game_variables_follow_the_recording(name):
    """Track segments re-placed from the camera, the head torque's running sum
    (reset when the island sleeps: held_W sleeps every 13 frames), the clock,
    the hurdle waking, the touching contacts: every frame."""
    program, traj = oracle.load_program(name), oracle.load_trajectory(name)
    keys = oracle.program_keys(program)
    e = Engine(1, num_threads=0, auto_reset=False, seed=0, **oracle.env_kwargs(program))
    columns = {c: traj.column(c) for c in ("camera_x", "floor0_x", "floor1_x", "floor2_x", "head_torque_accum",
                                           "scoreTime", "contacts_touching")}
    hurdle_awake = traj.text("hurdle_awake")
    for f in range(1, len(traj)):
        e.step(np.array([oracle.action_index(keys[f - 1])]))
        g = e.game_state()
        assert g["camera_x"] == columns["camera_x"][f], f
        assert g["floor_x"] == tuple(columns[f"floor{i}_x"][f] for i in range(3)), f
        assert g["head_torque_accum"] == columns["head_torque_accum"][f], f
        assert g["scoreTime"] == columns["scoreTime"][f], f
        assert g["contacts_touching"] == columns["contacts_touching"][f], f
        assert g["hurdle_awake"] == hurdle_awake[f], f


def test_intro_frames_add_to_the_head_torque():
    """Each intro frame adds -4 (head angle + 0.2) to a torque nothing clears:
    one frame adds exactly -1.0579366334090041 (oracle F7); 30 are summed."""
    one = Engine(1, num_threads=0, auto_reset=False, intro_frames=1)
    assert one.game_state()["head_torque_accum"] == -1.0579366334090041
    thirty = Engine(1, num_threads=0, auto_reset=False, intro_frames=30)
    total = 0.0
    for _ in range(30):
        total += -4.0 * (0.06448415835225099 + 0.2)
    assert thirty.game_state()["head_torque_accum"] == total
    assert thirty.game_state()["scoreTime"] == 0.0  # the click resets the clock


def test_intro_frames_range_is_drawn_from_the_seed():
    draws = []
    for seed in (0, 0, 1):
        env = QWOPEnv(intro_frames=(0, 60))
        env.reset(seed=seed)
        draws.append([env.intro_frames_drawn] + [env.reset()[1] and env.intro_frames_drawn for _ in range(5)])
    assert draws[0] == draws[1] != draws[2]
    assert all(0 <= d <= 60 for row in draws for d in row) and len(set(draws[0])) > 1


@pytest.mark.parametrize("order", ["as_listed", "reversed"])
def test_programs_side_by_side_in_one_batch_are_bit_identical(order):
    """A batch solves its worlds' runner islands four at a time (the lockstep
    solver, ext/qwop_lockstep.cpp): every recorded program in one Engine, each
    world next to worlds running other programs, still gives the game's bits
    on every frame, whichever lanes the programs land in."""
    names = [n for n in PROGRAMS
             if oracle.env_kwargs(oracle.load_program(n)) == oracle.env_kwargs(oracle.load_program("held_W"))
             and oracle.load_program(n).get("start") != "reset"]
    if order == "reversed":
        names = names[::-1]
    assert len(names) >= 9  # more than two full groups of four
    trajs = [oracle.load_trajectory(n) for n in names]
    keys = [oracle.program_keys(oracle.load_program(n)) for n in names]
    e = Engine(len(names), num_threads=1, auto_reset=False, seed=0,
               **oracle.env_kwargs(oracle.load_program("held_W")))
    for f in range(1, max(len(t) for t in trajs)):
        actions = [oracle.action_index(k[f - 1]) if f < len(t) else 0 for k, t in zip(keys, trajs)]
        e.step(np.array(actions))
        for i, t in enumerate(trajs):
            if f < len(t):
                assert np.array_equal(e.body_state[i], t.state[f]), f"{names[i]} (env {i}), frame {f}"
