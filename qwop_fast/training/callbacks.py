"""The callbacks of a training run besides the timing (``timing.py``):
periodic evaluation, timed checkpoints and the progress display."""

from __future__ import annotations

import sys
import time
import warnings
from pathlib import Path

import numpy as np
from rich.console import Console
from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn,
                           TimeRemainingColumn)
from stable_baselines3.common.callbacks import BaseCallback, CheckpointCallback, EvalCallback


class RunEvalCallback(EvalCallback):
    """EvalCallback that times itself, logs the eval distance and, on a
    resumed run, keeps the earlier evaluations and the best score so far
    (a plain EvalCallback would overwrite best_model.zip with the first
    evaluation after the resume, however bad)."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        self.seconds = 0.0
        self._distances: list[float] = []
        npz = Path(self.log_path + ".npz") if self.log_path else None
        if npz is not None and npz.is_file():
            with np.load(npz) as old:
                self.evaluations_timesteps = [int(t) for t in old["timesteps"]]
                self.evaluations_results = [list(r) for r in old["results"]]
                self.evaluations_length = [list(r) for r in old["ep_lengths"]]
                if "successes" in old:
                    self.evaluations_successes = [list(r) for r in old["successes"]]
            if self.evaluations_results:
                self.best_mean_reward = max(float(np.mean(r)) for r in self.evaluations_results)

    def _init_callback(self) -> None:
        # The eval env is a DummyVecEnv(QWOPEnv) on purpose (a separate,
        # standard env); SB3 warns whenever the types differ.
        with warnings.catch_warnings():
            warnings.filterwarnings("ignore", "Training and eval env are not of the same type")
            super()._init_callback()

    def _log_success_callback(self, locals_, globals_) -> None:
        super()._log_success_callback(locals_, globals_)
        if locals_["done"]:
            self._distances.append(float(locals_["info"].get("distance", float("nan"))))
            self.logger.record("eval/mean_distance", sum(self._distances) / len(self._distances))

    def _on_step(self) -> bool:
        t = time.perf_counter()
        if self.eval_freq > 0 and self.n_calls % self.eval_freq == 0:
            self._distances = []
        try:
            return super()._on_step()
        finally:
            self.seconds += time.perf_counter() - t


class TimedCheckpoint(BaseCallback):
    """SB3's CheckpointCallback, timed."""

    def __init__(self, inner: CheckpointCallback) -> None:
        super().__init__()
        self.inner = inner
        self.seconds = 0.0

    def _init_callback(self) -> None:
        self.inner.init_callback(self.model)

    def _on_step(self) -> bool:
        t = time.perf_counter()
        self.inner.update_locals(self.locals)
        try:
            return self.inner.on_step()
        finally:
            self.seconds += time.perf_counter() - t


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
