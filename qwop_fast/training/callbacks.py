"""The callbacks of a training run besides the timing (``timing.py``):
periodic evaluation, timed checkpoints and the progress display."""

from __future__ import annotations

import math
import os
import sys
import time
import warnings
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from stable_baselines3.common.callbacks import BaseCallback, EvalCallback

from .. import atomic

# evaluations.npz is first written under this name, then renamed over it.
_PARTIAL_EVALUATIONS = ".evaluations" + atomic.PARTIAL_SUFFIX
# One row per evaluation with what SB3's evaluations.npz lacks: the run's
# wall-clock and the game clock of the finished runs (time to agent, plots).
EVAL_LOG = "eval_log.csv"
EVAL_LOG_COLUMNS = ("timesteps", "wall_seconds", "mean_reward", "mean_distance", "success_rate",
                    "mean_finish_time", "best_finish_time")


class RunEvalCallback(EvalCallback):
    """EvalCallback that times itself, logs the eval distance and, on a
    resumed run, keeps the earlier evaluations and the best score so far
    (a plain EvalCallback would overwrite best_model.zip with the first
    evaluation after the resume, however bad)."""

    def __init__(self, *args, save_best: Callable[[Any], None] | None = None, best_by: str = "reward",
                 min_success: float = 0.9, **kwargs) -> None:
        # The best model is saved by ``save_best`` (atomically, with the run
        # stamp) rather than by EvalCallback's plain model.save: on a new best
        # mean reward (EvalCallback's rule), or with best_by="time" on a new
        # best time_score.
        if save_best is not None:
            kwargs["best_model_save_path"] = None
            if best_by == "reward":
                kwargs["callback_on_new_best"] = _OnNewBest(save_best)
        super().__init__(*args, **kwargs)
        self._save_best_by_time = save_best if best_by == "time" else None
        self.min_success = min_success
        self.best_time_score: tuple[float, float] | None = None
        self.seconds = 0.0
        self._distances: list[float] = []
        self._finish_times: list[float] = []
        self._eval_rows: list[str] = []
        self._wall_offset = 0.0  # wall-clock of the earlier part of a resumed run
        self._t0 = time.perf_counter()
        self._npz: Path | None = None
        if self.log_path:
            self._npz = Path(self.log_path + ".npz")
            # SB3 writes the file in place with np.savez after each
            # evaluation; it writes a temporary name instead, renamed in
            # _on_step once complete.
            self.log_path = str(self._npz.parent / _PARTIAL_EVALUATIONS)
        if self._npz is not None and self._npz.is_file():
            try:
                with np.load(self._npz) as old:
                    timesteps = [int(t) for t in old["timesteps"]]
                    results = [list(r) for r in old["results"]]
                    lengths = [list(r) for r in old["ep_lengths"]]
                    successes = [list(r) for r in old["successes"]] if "successes" in old else []
            except Exception as exc:  # truncated/corrupt: np.load raises many kinds
                print(f"warning: {self._npz} cannot be read ({type(exc).__name__}); the earlier "
                      f"evaluations are not kept", file=sys.stderr)
            else:
                self.evaluations_timesteps, self.evaluations_results = timesteps, results
                self.evaluations_length, self.evaluations_successes = lengths, successes
            if self.evaluations_results:
                self.best_mean_reward = max(float(np.mean(r)) for r in self.evaluations_results)
        if self._npz is not None:
            self._eval_rows = read_eval_log(self._npz.parent / EVAL_LOG)
            if self._eval_rows:
                self._wall_offset = float(self._eval_rows[-1].split(",")[1])
                columns = EVAL_LOG_COLUMNS.index("success_rate"), EVAL_LOG_COLUMNS.index("mean_finish_time")
                self.best_time_score = max(
                    time_score(*(float(row.split(",")[c]) for c in columns), self.min_success)
                    for row in self._eval_rows)

    def _init_callback(self) -> None:
        self._t0 = time.perf_counter()
        # The eval env is a DummyVecEnv(QWOPEnv) on purpose (a separate,
        # standard env); SB3 warns whenever the types differ.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Training and eval env are not of the same type")
            super()._init_callback()

    def _log_success_callback(self, locals_, globals_) -> None:
        super()._log_success_callback(locals_, globals_)
        if locals_["done"]:
            info = locals_["info"]
            self._distances.append(float(info.get("distance", float("nan"))))
            if info.get("is_success"):
                self._finish_times.append(float(info.get("game_time", float("nan"))))
            self.logger.record("eval/mean_distance", sum(self._distances) / len(self._distances))

    def _on_step(self) -> bool:
        t = time.perf_counter()
        evaluating = self.eval_freq > 0 and self.n_calls % self.eval_freq == 0
        if evaluating:
            self._distances, self._finish_times = [], []
        try:
            return super()._on_step()
        finally:
            self._commit_evaluations()
            if evaluating and self._distances:
                self._write_eval_log()
            self.seconds += time.perf_counter() - t

    def _write_eval_log(self) -> None:
        n = len(self._distances)
        finish = self._finish_times
        row = (self.num_timesteps, self._wall_offset + time.perf_counter() - self._t0,
               float(np.mean(self.evaluations_results[-1])) if self.evaluations_results else float("nan"),
               float(np.mean(self._distances)), len(finish) / n,
               float(np.mean(finish)) if finish else float("nan"), min(finish) if finish else float("nan"))
        self._eval_rows.append(",".join(f"{v:.6g}" if isinstance(v, float) else str(v) for v in row))
        if self._npz is not None:
            atomic.write_text(self._npz.parent / EVAL_LOG,
                              "\n".join([",".join(EVAL_LOG_COLUMNS), *self._eval_rows]) + "\n")
        score = time_score(row[EVAL_LOG_COLUMNS.index("success_rate")],
                           row[EVAL_LOG_COLUMNS.index("mean_finish_time")], self.min_success)
        if self._save_best_by_time is not None and (self.best_time_score is None or score > self.best_time_score):
            self.best_time_score = score
            self._save_best_by_time(self.model)

    def _commit_evaluations(self) -> None:
        # np.savez adds ".npz" to the name it is given
        partial = Path(self.log_path + ".npz") if self.log_path else None
        if partial is not None and partial.is_file():
            with open(partial, "rb+") as f:
                os.fsync(f.fileno())
            os.replace(partial, self._npz)


def time_score(success_rate: float, mean_finish_time: float, min_success: float) -> tuple[float, float]:
    """The rule of best_model_by: time (higher is better). The success rate
    counts up to min_success, then the mean time to 100 m decides: the target
    is a time at a success rate, and an agent that is faster but finishes
    less often is not better. Rates are compared at 5 digits, as eval_log.csv
    gives them back on a resume."""
    rate = min(round(success_rate, 5), min_success)
    return rate, -mean_finish_time if math.isfinite(mean_finish_time) else -math.inf


def read_eval_log(path: Path) -> list[str]:
    """The data rows of an eval_log.csv (none if it is missing or unreadable)."""
    try:
        lines = path.read_text().splitlines()
    except (OSError, UnicodeDecodeError):
        return []
    if not lines or lines[0] != ",".join(EVAL_LOG_COLUMNS):
        return []
    return [ln for ln in lines[1:] if ln.count(",") == len(EVAL_LOG_COLUMNS) - 1]


class _OnNewBest(BaseCallback):
    def __init__(self, save: Callable[[Any], None]) -> None:
        super().__init__()
        self._save = save

    def _on_step(self) -> bool:
        self._save(self.model)
        return True


class AtomicCheckpoint(BaseCallback):
    """A checkpoint every ``save_freq`` calls (as SB3's CheckpointCallback,
    same file names), each file written atomically, and timed.

    The replay buffer is written first and the model second: the model zip
    is what ``--resume`` looks for, so once it exists its buffer does too,
    and a kill between the two leaves the previous checkpoint whole.
    """

    def __init__(self, save_freq: int, folder: Path, save_model: Callable[[Any, Path], None],
                 save_buffer: Callable[[Any, Path], None] | None = None) -> None:
        super().__init__()
        self.save_freq = save_freq
        self.folder = Path(folder)
        self._save_model = save_model
        self._save_buffer = save_buffer
        self.seconds = 0.0

    def _on_step(self) -> bool:
        if self.n_calls % self.save_freq != 0:
            return True
        t = time.perf_counter()
        try:
            n = self.num_timesteps
            if self._save_buffer is not None and getattr(self.model, "replay_buffer", None) is not None:
                self._save_buffer(self.model, self.folder / f"model_replay_buffer_{n}_steps.pkl")
            self._save_model(self.model, self.folder / f"model_{n}_steps.zip")
        finally:
            self.seconds += time.perf_counter() - t
        return True


class ProgressCallback(BaseCallback):
    """Timesteps, fps and the recent mean episode distance: a rich progress
    bar on a terminal, a plain line every 10 % otherwise (SB3's own
    ``progress_bar=True`` shows neither the distance nor anything in a log)."""

    def __init__(self, total: int, enabled: bool = True) -> None:
        super().__init__()
        self.total = total
        self.enabled = enabled
        self._progress: Progress | None = None
        self._task = None
        self._last = 0.0
        self._next_line = 0.0

    def _on_training_start(self) -> None:
        self._t0 = time.perf_counter()
        self._n0 = self.model.num_timesteps
        if not self.enabled:
            return
        console = Console(stderr=True)
        if console.is_terminal:
            self._progress = Progress(
                TextColumn("[bold]train"), BarColumn(), MofNCompleteColumn(), TextColumn("steps"),
                TimeElapsedColumn(), TextColumn("<"), TimeRemainingColumn(),
                TextColumn("{task.fields[fps]:>6} fps"), TextColumn("dist {task.fields[dist]}"),
                console=console)
            self._progress.start()
            self._task = self._progress.add_task("train", total=self.total,
                                                 completed=self.model.num_timesteps, fps="-", dist="-")
        self._next_line = self._n0 + self.total / 10

    def mean_distance(self) -> float | None:
        buf = self.model.ep_info_buffer
        dists = [ep["distance"] for ep in buf if "distance" in ep] if buf else []
        return sum(dists) / len(dists) if dists else None

    def _fields(self) -> tuple[str, str]:
        elapsed = time.perf_counter() - self._t0
        fps = (self.model.num_timesteps - self._n0) / elapsed if elapsed > 0 else 0.0
        d = self.mean_distance()
        return f"{fps:.0f}", ("-" if d is None else f"{d:.2f} m")

    def _on_step(self) -> bool:
        now = time.perf_counter()
        if now - self._last < 0.25:  # a few updates a second is plenty
            return True
        self._last = now
        n = self.model.num_timesteps
        if self._progress is not None:
            fps, dist = self._fields()
            self._progress.update(self._task, completed=n, fps=fps, dist=dist)
        elif self.enabled and n >= self._next_line:
            fps, dist = self._fields()
            print(f"train: {n}/{self.total} steps, {fps} fps, mean distance {dist}", file=sys.stderr)
            self._next_line += self.total / 10
        return True

    def _on_rollout_end(self) -> None:
        d = self.mean_distance()
        if d is not None:
            self.logger.record("rollout/ep_distance_mean", d)

    def close(self) -> None:
        if self._progress is not None:
            fps, dist = self._fields()
            self._progress.update(self._task, completed=self.model.num_timesteps, fps=fps, dist=dist)
            self._progress.stop()
            self._progress = None
