"""The real game's recordings in /work/shared/oracle, as Python data.

    load_program(name)      -> the program dict (programs/<name>.json)
    program_keys(program)   -> the key string held in each frame, one per frame
    load_trajectory(name)   -> {column: float64 array} of trajectories/<name>.csv.gz
    program_names()         -> every recorded program

A program's key list is its ``rle`` (or ``frames``) expanded, repeated up to
``max_frames`` when ``repeat`` is set (else cut at it). ``idle_frames`` are
intro frames before the click (the envs' ``intro_frames``), and
``start: "reset"`` is the click start with one extra key-less frame first,
which the trajectory's row 0 already contains (oracle README, F13).
Row f >= 1 of a trajectory is the state after frame f.

Set QWOP_ORACLE to read another copy of the oracle.
"""

from __future__ import annotations

import csv
import gzip
import json
import os
from pathlib import Path
from typing import Any

import numpy as np

ORACLE = Path(os.environ.get("QWOP_ORACLE", "/work/shared/oracle"))

# The 12 bodies in the trajectories' column order (the game's creation order).
BODY_COLUMNS = ("torso", "head", "leftForearm", "leftThigh", "leftArm", "leftCalf", "leftFoot",
                "rightForearm", "rightArm", "rightCalf", "rightFoot", "rightThigh")


def program_names() -> list[str]:
    return sorted(p.stem for p in (ORACLE / "programs").glob("*.json"))


def load_program(name: str) -> dict[str, Any]:
    with open(ORACLE / "programs" / f"{name}.json") as f:
        return json.load(f)


def program_keys(program: dict[str, Any]) -> list[str]:
    """The keys held in each game frame after the click, ``max_frames`` of
    them (fewer only for a non-repeating program that is shorter)."""
    if "frames" in program:
        cycle = list(program["frames"])
    else:
        cycle = [keys for keys, n in program["rle"] for _ in range(n)]
    n = program.get("max_frames", len(cycle))
    if program.get("repeat") and cycle:
        reps = -(-n // len(cycle))
        cycle = cycle * reps
    return cycle[:n]


def load_trajectory(name: str) -> dict[str, np.ndarray]:
    """Every column of the recording: numbers as float64, read exactly (the
    files are shortest-round-trip); text columns (keys, hurdle_awake) as str."""
    with gzip.open(ORACLE / "trajectories" / f"{name}.csv.gz", "rt", newline="") as f:
        rows = list(csv.reader(f))
    header, data = rows[0], rows[1:]
    out: dict[str, np.ndarray] = {}
    for k, col in enumerate(header):
        values = [r[k] for r in data]
        try:
            out[col] = np.array([float(v) if v != "" else np.nan for v in values], np.float64)
        except ValueError:  # keys, and hurdle_awake ("", "T", "B", "TB": which parts are awake)
            out[col] = np.array(values, dtype=object)
    return out


def body_xya(trajectory: dict[str, np.ndarray]) -> np.ndarray:
    """(frames, 12, 3) x, y, angle of the 12 bodies, rows as recorded."""
    return np.stack([np.stack([trajectory[f"{b}_{q}"] for q in ("x", "y", "angle")], axis=-1)
                     for b in BODY_COLUMNS], axis=1)


def game_end_frame(trajectory: dict[str, np.ndarray]) -> int | None:
    """The first recorded frame with gameEnded set (None if it never ends)."""
    ended = np.flatnonzero(trajectory["gameEnded"] > 0)
    return int(trajectory["frame"][ended[0]]) if ended.size else None
