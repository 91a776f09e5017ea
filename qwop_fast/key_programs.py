"""Key programs: fixed action sequences that drive a runner frame by frame,
as the spec's sanity checks do [spec 9.2]. The tests and
``bench/crosscheck.py`` run the same ones on both engines.

A program is a list of action indices of the full 16-action set, one per env
step, for an env built with ``FRAME_BY_FRAME`` (one env step = one frame).
"""

from __future__ import annotations

from typing import Any

from . import runner_table

FRAME_BY_FRAME = dict(frames_per_step=1, reduced_action_set=False)
ACTION = {name: i for i, name in enumerate(runner_table.FULL_ACTION_NAMES)}  # "QO" -> 6, "" -> 0

# Open-loop cycles from spec 9.2: (keys, frames held), repeated.
GAITS = {
    "WO 25, QP 10": [("WO", 25), ("QP", 10)],
    "QO 4, WP 19": [("QO", 4), ("WP", 19)],
    "WO 13, QP 7": [("WO", 13), ("QP", 7)],
    "WO 4, QP 4, none 3": [("WO", 4), ("QP", 4), ("", 3)],
}


def gait_program(cycle: list[tuple[str, int]], n_frames: int = 750) -> list[int]:
    """``cycle`` repeated, cut at ``n_frames``."""
    actions: list[int] = []
    while len(actions) < n_frames:
        for keys, frames in cycle:
            actions += [ACTION[keys]] * frames
    return actions[:n_frames]


def random_program(rng: Any, n_frames: int = 100, max_hold: int = 30) -> list[int]:
    """Random key sets (16 actions) held for random 1..max_hold frames;
    ``rng`` is a ``numpy.random.Generator``."""
    actions: list[int] = []
    while len(actions) < n_frames:
        actions += [int(rng.integers(16))] * int(rng.integers(1, max_hold + 1))
    return actions[:n_frames]
