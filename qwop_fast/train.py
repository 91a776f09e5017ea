"""Train an agent on QWOPVecEnv (one batched C++ engine, no subprocesses).

Without --config this is the quick path: config/quick.yml, QR-DQN for 100k
timesteps on 8 runners, CPU, a few minutes on 2 cores. Every run writes
runs/<run-id>/:

  config.yml          the resolved config (every env option and algorithm argument)
  monitor.csv         one row per training episode (r, l, t, distance, is_success)
  tb/                 TensorBoard logs (tensorboard --logdir runs)
  checkpoints/        model_<steps>_steps.zip every checkpoint_every timesteps
                      (+ model_replay_buffer_<steps>_steps.pkl with save_replay_buffer)
  best_model.zip      the best model of the periodic evaluations on a separate QWOPEnv
  evaluations.npz     those evaluations (timesteps, rewards, lengths, successes)
  final_model.zip     the model at the end of the budget
  timing.json         where the wall time went: env stepping, policy, gradient updates, eval

Ctrl-C saves a checkpoint and exits; --resume runs/<id> continues from the
latest checkpoint with the same config, keeping the timestep counter and
appending to monitor.csv (give --total-timesteps to extend a finished run).
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import sys
import time
import warnings
import weakref
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from .models import NSTEP_WARNING

QUICK_CONFIG = "quick.yml"  # the quick path, in config/ (see config.bundled_config)
_CHECKPOINT_RE = re.compile(r"^model_(\d+)_steps\.zip$")


class TrainError(RuntimeError):
    """A run that cannot start (bad folder, nothing to resume); printed without a traceback."""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE",
                        help="training config (YAML); default: the quick path, config/quick.yml")
    parser.add_argument("--total-timesteps", type=int, metavar="N", help="override total_timesteps")
    parser.add_argument("--n-envs", type=int, metavar="N", help="override n_envs")
    parser.add_argument("--seed", type=int, metavar="S", help="override seed")
    parser.add_argument("--run-id", metavar="ID", help="run folder name (default: <algorithm>_<timestamp>)")
    parser.add_argument("--runs-dir", default="runs", metavar="DIR", help="where run folders go (default: runs)")
    parser.add_argument("--resume", metavar="RUN_DIR",
                        help="continue runs/<id> from its latest checkpoint (same config)")
    parser.add_argument("--no-progress", action="store_true", help="no progress output (without a terminal the progress is a plain line every 10 %%)")


def run(args: argparse.Namespace) -> int:
    from .config import ConfigError

    try:
        if args.resume:
            config, run_dir = prepare_resume(args)
            resume = True
        else:
            config, run_dir = prepare_new(args)
            resume = False
    except (ConfigError, TrainError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    try:
        result = train(config, run_dir, resume=resume, progress=not args.no_progress)
    except TrainError as exc:
        print(f"error: {exc}", file=sys.stderr)
        if not resume and {p.name for p in run_dir.iterdir()} <= {"config.yml", "monitor.csv"}:
            # Nothing was trained: do not leave a run folder behind.
            shutil.rmtree(run_dir)
        return 2
    return 130 if result.interrupted else 0


# ------------------------------------------------------------------ setup
def prepare_new(args: argparse.Namespace):
    """The resolved config and a fresh run folder (created, with config.yml)."""
    from .config import bundled_config, dump_config, load_config

    config = load_config(args.config or bundled_config(QUICK_CONFIG))
    overrides = {k: v for k, v in (("total_timesteps", args.total_timesteps), ("n_envs", args.n_envs),
                                   ("seed", args.seed)) if v is not None}
    if overrides:
        config = config.replace(**overrides)

    runs_dir = Path(args.runs_dir)
    if args.run_id:
        if "/" in args.run_id or args.run_id in (".", ".."):
            raise TrainError(f"--run-id must be a plain folder name, got {args.run_id!r}")
        run_dir = runs_dir / args.run_id
        if run_dir.exists():
            raise TrainError(f"run folder {run_dir} already exists; pick another --run-id, "
                             f"or continue it with --resume {run_dir}")
    else:
        stem = f"{config.algorithm.lower()}_{time.strftime('%Y%m%d-%H%M%S')}"
        run_dir, n = runs_dir / stem, 2
        while run_dir.exists():  # two runs started in the same second
            run_dir, n = runs_dir / f"{stem}-{n}", n + 1
    run_dir.mkdir(parents=True)
    source = args.config or f"{QUICK_CONFIG} (quick path)"
    header = (f"qwop-fast train: resolved config of run {run_dir.name}\n"
              f"from {source}" + (f", overrides {overrides}" if overrides else "") + "\n"
              f"written {time.strftime('%Y-%m-%d %H:%M:%S')}")
    dump_config(config, run_dir / "config.yml", header)
    return config, run_dir


def prepare_resume(args: argparse.Namespace):
    from .config import dump_config, load_config

    run_dir = Path(args.resume)
    if not (run_dir / "config.yml").is_file():
        raise TrainError(f"{run_dir} is not a run folder (no config.yml)")
    for flag, value in (("--config", args.config), ("--n-envs", args.n_envs), ("--seed", args.seed),
                        ("--run-id", args.run_id)):
        if value is not None:
            raise TrainError(f"{flag} cannot be combined with --resume: a resumed run keeps its config "
                             f"(only --total-timesteps may extend it)")
    config = load_config(run_dir / "config.yml")
    if args.total_timesteps is not None and args.total_timesteps != config.total_timesteps:
        config = config.replace(total_timesteps=args.total_timesteps)
        dump_config(config, run_dir / "config.yml",
                    f"qwop-fast train: resolved config of run {run_dir.name}\n"
                    f"total_timesteps changed to {args.total_timesteps} on resume, "
                    f"{time.strftime('%Y-%m-%d %H:%M:%S')}")
    return config, run_dir


def latest_checkpoint(run_dir: Path) -> tuple[Path, int] | None:
    """The checkpoint with the most timesteps (``model_<N>_steps.zip``)."""
    best = None
    for p in (run_dir / "checkpoints").glob("model_*_steps.zip"):
        m = _CHECKPOINT_RE.match(p.name)
        if m and (best is None or int(m.group(1)) > best[1]):
            best = (p, int(m.group(1)))
    return best


def replay_buffer_path(run_dir: Path, steps: int) -> Path:
    # The name SB3's CheckpointCallback gives it, so both kinds of checkpoint match.
    return run_dir / "checkpoints" / f"model_replay_buffer_{steps}_steps.pkl"


# -------------------------------------------------------------------- envs
def make_train_env(config, run_dir: Path, *, append_monitor: bool):
    """QWOPVecEnv -> (VecRewardShaping) -> VecMonitor(monitor.csv) -> step timer."""
    from stable_baselines3.common.monitor import ResultsWriter
    from stable_baselines3.common.vec_env import VecMonitor

    from .vec_env import QWOPVecEnv

    venv = QWOPVecEnv(config.n_envs, num_threads=config.num_threads, seed=config.seed, **config.env_kwargs)
    shaping = config.wrappers.reward_shaping
    if shaping is not None:
        from .wrappers import VecRewardShaping

        venv = VecRewardShaping(venv, posture_weight=shaping.posture_weight,
                                energy_weight=shaping.energy_weight, joint_weight=shaping.joint_weight)
    monitor_path = run_dir / "monitor.csv"
    keywords = ("distance", "is_success")
    if append_monitor and monitor_path.is_file():
        # VecMonitor(filename=...) would truncate the file: attach an
        # appending writer instead, and continue the t column (seconds of
        # training) from its last row rather than restarting at 0.
        venv = VecMonitor(venv, filename=None, info_keywords=keywords)
        venv.t_start = time.time() - _last_monitor_time(monitor_path)
        venv.results_writer = ResultsWriter(str(monitor_path), extra_keys=keywords, override_existing=False)
    else:
        venv = VecMonitor(venv, filename=str(monitor_path), info_keywords=keywords)
    return StepTimer(venv)


def _last_monitor_time(path: Path) -> float:
    last = 0.0
    with path.open() as f:
        for line in f:
            if line.startswith("#") or line.startswith("r,"):
                continue
            parts = line.strip().split(",")
            if len(parts) >= 3:
                try:
                    last = float(parts[2])
                except ValueError:
                    pass
    return last


def _step_timer_class():
    from stable_baselines3.common.vec_env import VecEnvWrapper

    class _StepTimer(VecEnvWrapper):
        """Outermost wrapper: wall time spent stepping the env stack."""

        def __init__(self, venv):
            super().__init__(venv)
            self.seconds = 0.0

        def reset(self):
            return self.venv.reset()

        def step_async(self, actions):
            t = time.perf_counter()
            self.venv.step_async(actions)
            self.seconds += time.perf_counter() - t

        def step_wait(self):
            t = time.perf_counter()
            out = self.venv.step_wait()
            self.seconds += time.perf_counter() - t
            return out

    return _StepTimer


def StepTimer(venv):  # noqa: N802 - a class built lazily (keeps SB3 out of --help)
    return _step_timer_class()(venv)


# ---------------------------------------------------------- timed learner
_TRAIN_SECONDS: "weakref.WeakKeyDictionary" = weakref.WeakKeyDictionary()
_TIMED_CLASSES: dict[type, type] = {}


def timed_algorithm(cls: type) -> type:
    """A subclass of the algorithm whose ``train`` (the gradient updates)
    adds its wall time to ``_TRAIN_SECONDS[model]``. A subclass, not a
    patched attribute: the model's ``__dict__`` is pickled into every saved
    zip, and the saved data names only the policy class, so zips saved by
    the subclass load with the plain algorithm class."""
    if cls not in _TIMED_CLASSES:
        def train(self, *args, **kwargs):
            t = time.perf_counter()
            try:
                return cls.train(self, *args, **kwargs)
            finally:
                _TRAIN_SECONDS[self] = _TRAIN_SECONDS.get(self, 0.0) + time.perf_counter() - t

        _TIMED_CLASSES[cls] = type(cls.__name__, (cls,), {"train": train, "__module__": cls.__module__,
                                                          "__qualname__": cls.__qualname__})
    return _TIMED_CLASSES[cls]


# --------------------------------------------------------------- callbacks
def _callbacks_module():
    """Callback classes, defined on first use so ``--help`` never imports SB3/torch."""
    from stable_baselines3.common.callbacks import BaseCallback, EvalCallback

    class PhaseTimer(BaseCallback):
        """Splits the wall time of ``learn``: rollouts (of which the env's
        share comes from the StepTimer wrapper, eval and checkpoints from
        their own timers) and the phases between rollouts, of which the
        gradient updates are timed exactly by the model's ``train`` (see
        ``timed_algorithm``); the rest is SB3's loop and log dumps."""

        def __init__(self, step_timer, extra_timers=()):
            super().__init__()
            self.step_timer = step_timer
            self.extra_timers = list(extra_timers)  # (name, callback with .seconds)
            self.rollout_s = 0.0
            self.between_s = 0.0
            self._t_rollout = None
            self._t_train = None
            self._t0 = None

        def _on_training_start(self) -> None:
            self._t0 = time.perf_counter()
            self.steps_start = self.model.num_timesteps
            self.updates_start = getattr(self.model, "_n_updates", 0)
            self.train_start = _TRAIN_SECONDS.get(self.model, 0.0)

        def _on_rollout_start(self) -> None:
            now = time.perf_counter()
            if self._t_train is not None:
                self.between_s += now - self._t_train
                self._t_train = None
            self._t_rollout = now

        def _on_rollout_end(self) -> None:
            now = time.perf_counter()
            if self._t_rollout is not None:
                self.rollout_s += now - self._t_rollout
                self._t_rollout = None
            self._t_train = now

        def _on_step(self) -> bool:
            return True

        def summary(self) -> dict[str, Any]:
            if self._t0 is None:
                return {}
            now = time.perf_counter()
            # Close whichever phase was open (an interrupt can land in either).
            if self._t_rollout is not None:
                self.rollout_s += now - self._t_rollout
                self._t_rollout = None
            if self._t_train is not None:
                self.between_s += now - self._t_train
                self._t_train = None
            total = now - self._t0
            env = self.step_timer.seconds
            extra = {name: cb.seconds for name, cb in self.extra_timers}
            # Rollout time outside the env, eval and checkpoints: policy
            # inference, replay/rollout buffer writes, the other callbacks.
            policy = max(0.0, self.rollout_s - env - sum(extra.values()))
            steps = self.model.num_timesteps - self.steps_start
            updates = getattr(self.model, "_n_updates", 0) - self.updates_start
            train_s = _TRAIN_SECONDS.get(self.model, 0.0) - self.train_start
            return {
                "timesteps": steps,
                "wall_s": round(total, 3),
                "fps": round(steps / total, 1) if total > 0 else None,
                "env_step_s": round(env, 3),
                "policy_and_buffer_s": round(policy, 3),
                "gradient_updates_s": round(train_s, 3),
                **{f"{name}_s": round(v, 3) for name, v in extra.items()},
                "other_s": round(max(0.0, total - self.rollout_s - train_s), 3),
                "gradient_updates": updates,
                "ms_per_update": round(1000 * train_s / updates, 3) if updates else None,
            }

    class RunEvalCallback(EvalCallback):
        """EvalCallback that times itself, logs the eval distance and, on a
        resumed run, keeps the earlier evaluations and the best score so far
        (a plain EvalCallback would overwrite best_model.zip with the first
        evaluation after the resume, however bad)."""

        def __init__(self, *args, **kwargs):
            super().__init__(*args, **kwargs)
            self.seconds = 0.0
            self._distances: list[float] = []
            npz = Path(self.log_path + ".npz") if self.log_path else None
            if npz is not None and npz.is_file():
                import numpy as np

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
            import warnings

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

        def __init__(self, inner):
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
        """Timesteps, fps and the recent mean episode distance: a rich
        progress bar on a terminal, a plain line every 10 % otherwise."""

        def __init__(self, total: int, enabled: bool = True):
            super().__init__()
            self.total = total
            self.enabled = enabled
            self._progress = None
            self._task = None
            self._last = 0.0
            self._next_line = 0.0

        def _on_training_start(self) -> None:
            self._t0 = time.perf_counter()
            self._n0 = self.model.num_timesteps
            if not self.enabled:
                return
            from rich.console import Console

            console = Console(stderr=True)
            if console.is_terminal:
                from rich.progress import (BarColumn, MofNCompleteColumn, Progress, TextColumn,
                                           TimeElapsedColumn, TimeRemainingColumn)

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

    return PhaseTimer, RunEvalCallback, TimedCheckpoint, ProgressCallback


# -------------------------------------------------------------------- train
@dataclass
class TrainResult:
    run_dir: Path
    num_timesteps: int
    interrupted: bool
    timing: dict[str, Any] = field(default_factory=dict)
    mean_distance: float | None = None


def train(config, run_dir: Path, *, resume: bool = False, progress: bool = True,
          callbacks: list | None = None) -> TrainResult:
    """Train (or continue) the run in ``run_dir``; ``callbacks`` are extra SB3
    callbacks (tests use one to interrupt at a chosen step)."""
    import torch
    from stable_baselines3.common.callbacks import CallbackList, CheckpointCallback
    from stable_baselines3.common.logger import configure
    from stable_baselines3.common.monitor import Monitor

    from .env import QWOPEnv

    run_dir = Path(run_dir)
    # Deliberate: on a small shared machine torch's default (all cores, plus
    # inter-op threads) fights the env and other processes for the CPU.
    torch.set_num_threads(config.torch_threads)
    cls = timed_algorithm(config.algorithm_class())

    start = None
    if resume:
        found = latest_checkpoint(run_dir)
        if found is None and (run_dir / "final_model.zip").is_file():
            found = (run_dir / "final_model.zip", None)
        if found is None:
            raise TrainError(f"{run_dir} has no checkpoint to resume from "
                             f"(checkpoints/model_<steps>_steps.zip or final_model.zip)")
        start = found[0]

    venv = make_train_env(config, run_dir, append_monitor=resume)
    eval_env = None
    try:
        if start is None:
            try:
                model = cls(env=venv, seed=config.seed, **config.learner_kwargs_for_sb3())
            except (TypeError, ValueError, AssertionError) as exc:
                # e.g. PPO's batch/rollout size checks: still before any training
                raise TrainError(f"{config.algorithm} rejected the config's learner_kwargs: {exc}") from exc
        else:
            kwargs = config.learner_kwargs_for_sb3()
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=NSTEP_WARNING)
                model = cls.load(start, env=venv, device=kwargs.get("device", "cpu"), force_reset=True)
            if config.seed is not None:
                # A new stream for the continuation (the RNG states are not in the zip).
                model.set_random_seed(config.seed + model.num_timesteps)
            buffer = replay_buffer_path(run_dir, model.num_timesteps)
            if config.off_policy:
                if buffer.is_file():
                    model.load_replay_buffer(buffer)
                else:
                    print(f"note: no replay buffer saved at {model.num_timesteps} steps "
                          f"(save_replay_buffer: {config.save_replay_buffer}); "
                          f"continuing with an empty buffer", file=sys.stderr)
            print(f"resuming {run_dir} from {start.name} at {model.num_timesteps} timesteps", file=sys.stderr)
        model.set_logger(configure(str(run_dir / "tb"), ["tensorboard"]))

        remaining = config.total_timesteps - model.num_timesteps
        if remaining <= 0:
            print(f"{run_dir} already has {model.num_timesteps} >= total_timesteps "
                  f"{config.total_timesteps}; give --total-timesteps to extend it", file=sys.stderr)
            if not (run_dir / "final_model.zip").is_file():
                model.save(run_dir / "final_model.zip")
            return TrainResult(run_dir, model.num_timesteps, False)

        PhaseTimer, RunEvalCallback, TimedCheckpoint, ProgressCallback = _callbacks_module()
        timers = []
        cbs: list = []
        if config.checkpoint_every > 0:
            ckpt = TimedCheckpoint(CheckpointCallback(
                save_freq=max(1, config.checkpoint_every // config.n_envs),
                save_path=str(run_dir / "checkpoints"), name_prefix="model",
                save_replay_buffer=config.save_replay_buffer and config.off_policy))
            cbs.append(ckpt)
            timers.append(("checkpoint", ckpt))
        if config.eval_every > 0:
            # The env's own reward (no shaping): the best model is the best
            # at the actual task.
            eval_env = Monitor(QWOPEnv(**config.env_kwargs))
            ev = RunEvalCallback(eval_env, n_eval_episodes=config.eval_episodes,
                                 eval_freq=max(1, config.eval_every // config.n_envs),
                                 best_model_save_path=str(run_dir), log_path=str(run_dir),
                                 deterministic=config.eval_deterministic, verbose=0)
            cbs.append(ev)
            timers.append(("eval", ev))
        bar = ProgressCallback(config.total_timesteps, enabled=progress)
        timer = PhaseTimer(venv, timers)
        cbs = [timer, bar, *cbs, *(callbacks or [])]

        interrupted = False
        try:
            model.learn(total_timesteps=remaining, callback=CallbackList(cbs), reset_num_timesteps=start is None,
                        log_interval=50 if config.off_policy else 1, progress_bar=False)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            bar.close()
        timing = timer.summary()
        mean_distance = bar.mean_distance()

        if interrupted:
            ckpt_path = run_dir / "checkpoints" / f"model_{model.num_timesteps}_steps.zip"
            ckpt_path.parent.mkdir(parents=True, exist_ok=True)
            model.save(ckpt_path)
            if config.off_policy and config.save_replay_buffer:
                model.save_replay_buffer(replay_buffer_path(run_dir, model.num_timesteps))
            print(f"interrupted at {model.num_timesteps} timesteps: saved {ckpt_path}\n"
                  f"continue with: qwop-fast train --resume {run_dir}", file=sys.stderr)
        else:
            model.save(run_dir / "final_model.zip")
            if config.off_policy and config.save_replay_buffer:
                model.save_replay_buffer(run_dir / "final_replay_buffer.pkl")
        _write_timing(run_dir, timing, interrupted, model.num_timesteps)
        _print_summary(run_dir, model.num_timesteps, timing, mean_distance, interrupted)
        return TrainResult(run_dir, model.num_timesteps, interrupted, timing, mean_distance)
    finally:
        venv.close()
        if eval_env is not None:
            eval_env.close()


def _write_timing(run_dir: Path, timing: dict, interrupted: bool, num_timesteps: int) -> None:
    """Append this session's time split to timing.json (a resumed run has several)."""
    path = run_dir / "timing.json"
    sessions = json.loads(path.read_text()) if path.is_file() else []
    sessions.append({**timing, "ended_at_timesteps": num_timesteps, "interrupted": interrupted})
    path.write_text(json.dumps(sessions, indent=2) + "\n")


def _print_summary(run_dir: Path, n: int, timing: dict, dist: float | None, interrupted: bool) -> None:
    if timing:
        wall = timing["wall_s"] or 1e-9
        parts = [f"{name} {timing[key]:.1f}s ({100 * timing[key] / wall:.0f}%)" for name, key in (
            ("env", "env_step_s"), ("policy+buffer", "policy_and_buffer_s"),
            ("gradient updates", "gradient_updates_s"), ("eval", "eval_s"), ("checkpoints", "checkpoint_s"))
            if key in timing]
        print(f"{'stopped' if interrupted else 'trained'} {timing['timesteps']} timesteps in {wall:.1f}s "
              f"({timing['fps']} fps): " + ", ".join(parts), file=sys.stderr)
    if dist is not None:
        print(f"mean distance of the last training episodes: {dist:.2f} m", file=sys.stderr)
    if not interrupted:
        print(f"run folder: {run_dir} (final_model.zip, monitor.csv, tb/)", file=sys.stderr)
