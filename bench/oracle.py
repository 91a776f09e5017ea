"""The real game's recordings (../shared/oracle), read once for the tests and
bench/fidelity.py.

A program is a list of held keys per game frame; a trajectory is the real
game's state after each frame (row 0: after creation and the click). See
../shared/oracle/README.md for what was recorded and how. The folder is found
next to the repository (CI lays ``shared/`` beside the clone) or through
``QWOP_ORACLE_DIR``.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
from functools import lru_cache
from pathlib import Path
from typing import Any

import numpy as np

from qwop_fast import runner_table

REPO = Path(__file__).resolve().parent.parent
ORACLE_DIR = Path(os.environ.get("QWOP_ORACLE_DIR", REPO.parent / "shared" / "oracle"))

STATE_FIELDS = ("x", "y", "angle", "vx", "vy", "omega")


def oracle_dir() -> Path:
    if not (ORACLE_DIR / "programs").is_dir():
        raise FileNotFoundError(f"the real game's recordings are not at {ORACLE_DIR}: put the "
                                f"project's shared/ folder beside the repository or set QWOP_ORACLE_DIR")
    return ORACLE_DIR


def program_names() -> list[str]:
    return sorted(p.stem for p in (oracle_dir() / "programs").glob("*.json"))


@lru_cache(maxsize=None)
def load_program(name: str) -> dict[str, Any]:
    return json.loads((oracle_dir() / "programs" / f"{name}.json").read_text())


def program_keys(program: dict[str, Any]) -> list[str]:
    """The held keys of every game frame, expanded and repeated as recorded."""
    if "frames" in program:
        keys = list(program["frames"])
    else:
        keys = [k for k, n in program["rle"] for _ in range(n)]
    if program.get("repeat"):
        cycle, keys = keys, []
        while len(keys) < program["max_frames"]:
            keys += cycle
        keys = keys[: program["max_frames"]]
    return keys


def action_index(keys: str) -> int:
    """Index of a held key set in the full 16-action set."""
    return runner_table.FULL_ACTION_NAMES.index("".join(k for k in "QWOP" if k in keys))


def env_kwargs(program: dict[str, Any]) -> dict[str, Any]:
    """The QWOPEnv options that replay a program frame by frame."""
    return dict(frames_per_step=1, reduced_action_set=False, max_episode_steps=0,
                intro_frames=program.get("idle_frames", 0))


class Trajectory:
    """One recording: ``keys`` per frame, ``state`` (frames, 12, 6) float64 in
    runner_table.BODY_NAMES order, and the game's other columns by name."""

    def __init__(self, rows: list[dict[str, str]]):
        self.keys = [r["keys"] for r in rows]
        self.state = np.array([[[float(r[f"{b}_{q}"]) for q in STATE_FIELDS]
                                for b in runner_table.BODY_NAMES] for r in rows])
        self._rows = rows

    def __len__(self) -> int:
        return len(self._rows)

    def column(self, name: str) -> np.ndarray:
        """A numeric column (empty cells read as NaN)."""
        return np.array([float(r[name]) if r[name] != "" else np.nan for r in self._rows])

    def text(self, name: str) -> list[str]:
        return [r[name] for r in self._rows]

    @property
    def end_frame(self) -> int | None:
        """The frame on which the game ended (fall or landing), or None."""
        ended = np.flatnonzero(self.column("gameEnded") == 1)
        return int(ended[0]) if ended.size else None


@lru_cache(maxsize=None)
def load_trajectory(name: str) -> Trajectory:
    with gzip.open(oracle_dir() / "trajectories" / f"{name}.csv.gz", "rt", newline="") as f:
        return Trajectory(list(csv.DictReader(f)))


def load_internals(name: str) -> list[dict[str, Any]]:
    """The solver-internals records of ``internals/<name>.jsonl.gz``, one per line."""
    with gzip.open(oracle_dir() / "internals" / f"{name}.jsonl.gz", "rt") as f:
        return [json.loads(line) for line in f]


def load_world() -> dict[str, Any]:
    return json.loads((oracle_dir() / "world.json").read_text())
