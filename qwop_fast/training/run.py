"""One training run: its folder, the env stack, ``learn()``, the interrupt
checkpoint and ``--resume``. What a run folder holds: ``qwop-fast train
--help`` (``qwop_fast/cli/train.py``)."""

from __future__ import annotations

import argparse
import json
import re
import shutil
import signal
import sys
import threading
import time
import warnings
from contextlib import contextmanager
from functools import partial
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import torch
from stable_baselines3.common.callbacks import CallbackList
from stable_baselines3.common.monitor import Monitor, ResultsWriter
from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor

from .. import atomic
from ..env import QWOPEnv
from ..errors import UserError
from ..reward_shaping import VecRewardShaping
from ..vec_env import QWOPVecEnv
from .algorithms import NSTEP_WARNING
from .callbacks import AtomicCheckpoint, ProgressCallback, RunEvalCallback
from .checkpoints import ModelError, load_model, run_config_header, save_model, save_replay_buffer
from .config import TrainConfig, bundled_config, dump_config, find_config, load_config
from .evaluate import all_starts
from .logs import EpisodeEndTimesteps, PeriodicLogCallback, log_config, log_timing, make_logger, start_wandb
from .timing import PhaseTimer, StepTimer, timed_algorithm

QUICK_CONFIG = "quick.yml"  # the quick path, in config/ (see config.bundled_config)
_CHECKPOINT_RE = re.compile(r"^model_(\d+)_steps\.zip$")


class TrainError(UserError, RuntimeError):
    """A run that cannot start (bad folder, nothing to resume); printed without a traceback."""


@contextmanager
def _sigterm_as_ctrl_c():
    """SIGTERM (``kill``, ``docker stop``, a scheduler's preemption) stops a
    run as Ctrl-C does: a checkpoint, then --resume continues it. Only the
    main thread can set a signal handler; elsewhere nothing changes."""
    if threading.current_thread() is not threading.main_thread():
        yield
        return

    def stop(signum: int, frame: Any) -> None:
        raise KeyboardInterrupt

    previous = signal.signal(signal.SIGTERM, stop)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


def start_from_policy(model: Any, path: str) -> None:
    """Copy the policy weights of the model at ``path`` (same algorithm, same
    network) into ``model``: the warm start of config key ``init_policy``."""
    source = load_model(path, algorithm_cls=type(model))
    try:
        model.policy.load_state_dict(source.policy.state_dict())
    except RuntimeError as exc:  # shapes/keys differ: another network
        first = str(exc).splitlines()[0][:300]
        raise TrainError(f"init_policy {path}: its network does not match this config's "
                         f"(policy_kwargs, action set): {first}") from None
    print(f"policy weights from {path}", file=sys.stderr)


def train_from_args(args: argparse.Namespace) -> int:
    """``qwop-fast train``: a new run (or ``--resume``), trained to its budget;
    returns the exit code (130 when interrupted)."""
    if args.resume:
        config, run_dir = prepare_resume(args)
    else:
        config, run_dir = prepare_new(args)
    wandb_run = start_wandb(run_dir, config) if getattr(args, "wandb", False) else None
    try:
        result = train(config, run_dir, resume=bool(args.resume), progress=not args.no_progress)
    except TrainError:
        if not args.resume and {p.name for p in run_dir.iterdir()} <= {"config.yml", "monitor.csv"}:
            # Nothing was trained: do not leave a run folder behind.
            shutil.rmtree(run_dir)
        raise
    finally:
        if wandb_run is not None:
            wandb_run.finish()
    return 130 if result.interrupted else 0


# ------------------------------------------------------------------ setup
def prepare_new(args: argparse.Namespace):
    """The resolved config and a fresh run folder (created, with config.yml)."""
    config = load_config(find_config(args.config) if args.config else bundled_config(QUICK_CONFIG))
    overrides = {k: v for k, v in (("total_timesteps", args.total_timesteps), ("n_envs", args.n_envs),
                                   ("seed", args.seed), ("init_policy", getattr(args, "init_policy", None)))
                 if v is not None}
    env_kwargs = dict(getattr(args, "env_kwargs", None) or [])
    if env_kwargs:
        overrides["env_kwargs"] = {**config.env_kwargs, **env_kwargs}
    overrides.update(_session_overrides(args, config))
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
    header = (f"{run_config_header(run_dir.name)}\n"
              f"from {source}" + (f", overrides {overrides}" if overrides else "") + "\n"
              f"written {time.strftime('%Y-%m-%d %H:%M:%S')}")
    dump_config(config, run_dir / "config.yml", header)
    return config, run_dir


def prepare_resume(args: argparse.Namespace):
    run_dir = Path(args.resume)
    if not (run_dir / "config.yml").is_file():
        raise TrainError(f"{run_dir} is not a run folder (no config.yml)")
    for flag, value in (("--config", args.config), ("--n-envs", args.n_envs), ("--seed", args.seed),
                        ("--run-id", args.run_id), ("--env-kwargs", getattr(args, "env_kwargs", None) or None),
                        ("--init-policy", getattr(args, "init_policy", None))):
        if value is not None:
            raise TrainError(f"{flag} cannot be combined with --resume: a resumed run keeps its config "
                             f"(only --total-timesteps may extend it)")
    config = load_config(run_dir / "config.yml")
    if args.total_timesteps is not None and args.total_timesteps != config.total_timesteps:
        config = config.replace(total_timesteps=args.total_timesteps)
        dump_config(config, run_dir / "config.yml",
                    f"{run_config_header(run_dir.name)}\n"
                    f"total_timesteps changed to {args.total_timesteps} on resume, "
                    f"{time.strftime('%Y-%m-%d %H:%M:%S')}")
    # --device and the logging flags apply to this session only (not written to config.yml).
    session = _session_overrides(args, config)
    return (config.replace(**session) if session else config), run_dir


def _session_overrides(args: argparse.Namespace, config: TrainConfig) -> dict[str, Any]:
    """--device, --log-every and --log-formats as config changes."""
    out: dict[str, Any] = {}
    device = getattr(args, "device", None)
    if device is not None:
        try:
            torch.device(device)
        except RuntimeError as exc:
            raise TrainError(f"--device {device!r} is not a torch device (cpu, cuda, cuda:1, auto): {exc}") from None
        if device.startswith("cuda") and not torch.cuda.is_available():
            print(f"note: --device {device}: CUDA is not available to this torch "
                  f"({torch.__version__}); SB3 will use the CPU", file=sys.stderr)
        out["learner_kwargs"] = {**config.learner_kwargs, "device": device}
    if getattr(args, "log_every", None) is not None:
        out["log_every"] = args.log_every
    if getattr(args, "log_formats", None) is not None:
        out["log_formats"] = args.log_formats
    return out


def latest_checkpoint(run_dir: Path) -> tuple[Path, int] | None:
    """The checkpoint with the most timesteps (``model_<N>_steps.zip``)."""
    found = checkpoints_newest_first(run_dir)
    return found[0] if found else None


def checkpoints_newest_first(run_dir: Path) -> list[tuple[Path, int]]:
    """Every ``model_<N>_steps.zip`` of the run, most timesteps first
    (temporary ``.partial`` files of an interrupted save do not match)."""
    found = []
    for p in (run_dir / "checkpoints").glob("model_*_steps.zip"):
        m = _CHECKPOINT_RE.match(p.name)
        if m:
            found.append((p, int(m.group(1))))
    return sorted(found, key=lambda item: item[1], reverse=True)


def replay_buffer_path(run_dir: Path, steps: int) -> Path:
    # The name SB3's CheckpointCallback gives it, so both kinds of checkpoint match.
    return run_dir / "checkpoints" / f"model_replay_buffer_{steps}_steps.pkl"


# -------------------------------------------------------------------- envs
def make_eval_env(config: TrainConfig) -> tuple[Any, int]:
    """The evaluation env of a run and the episodes of one evaluation.

    The env's own reward (no shaping), so the best model is the best at the
    actual task. With ``eval_all_starts`` it is one Monitor(QWOPEnv) per start
    of the intro_frames range in a DummyVecEnv, and SB3's evaluate_policy
    runs exactly one episode in each: the greedy policy and the physics are
    deterministic, so that evaluation is the agent's whole record, not a
    sample of it, and the best model is chosen on what is measured."""
    if config.eval_all_starts:
        starts = all_starts(config.env_kwargs)
        return DummyVecEnv([partial(_eval_start_env, config.env_kwargs, k) for k in starts]), len(starts)
    env = Monitor(QWOPEnv(**config.env_kwargs))
    if config.seed is not None:
        # Starts drawn from intro_frames are then the same in every run of the config.
        env.reset(seed=config.seed + 1)
    return env, config.eval_episodes


def _eval_start_env(env_kwargs: dict[str, Any], intro_frames: int) -> Monitor:
    return Monitor(QWOPEnv(**{**env_kwargs, "intro_frames": intro_frames}))


def make_train_env(config: TrainConfig, run_dir: Path, *, append_monitor: bool) -> StepTimer:
    """QWOPVecEnv -> (VecRewardShaping) -> EpisodeEndTimesteps -> VecMonitor(monitor.csv) -> step timer.
    With ``vec_env: subproc`` the first is SB3's SubprocVecEnv of QWOPEnv
    instead (one process per runner: what one would do without QWOPVecEnv,
    kept for comparisons such as bench/time_to_agent.py)."""
    if config.vec_env == "subproc":
        venv = subproc_vec_env(config)
    else:
        venv = QWOPVecEnv(config.n_envs, num_threads=config.num_threads, seed=config.seed, **config.env_kwargs)
    shaping = config.wrappers.reward_shaping
    if shaping is not None:
        venv = VecRewardShaping(venv, posture_weight=shaping.posture_weight,
                                energy_weight=shaping.energy_weight, joint_weight=shaping.joint_weight)
    venv = EpisodeEndTimesteps(venv)
    monitor_path = run_dir / "monitor.csv"
    keywords = ("distance", "is_success", "timesteps")
    if append_monitor and monitor_path.is_file():
        # Keep the columns of the file being continued (one from before the
        # timesteps column has none).
        with monitor_path.open() as f:
            f.readline()
            header = f.readline().strip().split(",")
        keywords = tuple(k for k in keywords if k in header)
        # VecMonitor(filename=...) would truncate the file: attach an
        # appending writer instead, and continue the t column (seconds of
        # training) from its last row rather than restarting at 0.
        venv = VecMonitor(venv, filename=None, info_keywords=keywords)
        venv.t_start = time.time() - _last_monitor_time(monitor_path)
        venv.results_writer = ResultsWriter(str(monitor_path), extra_keys=keywords, override_existing=False)
    else:
        venv = VecMonitor(venv, filename=str(monitor_path), info_keywords=keywords)
    return StepTimer(venv)


def subproc_vec_env(config: TrainConfig) -> Any:
    from functools import partial

    from stable_baselines3.common.vec_env import SubprocVecEnv

    venv = SubprocVecEnv([partial(QWOPEnv, **config.env_kwargs) for _ in range(config.n_envs)])
    if config.seed is not None:
        venv.seed(config.seed)
    return venv


def _episode_clock(venv: Any) -> EpisodeEndTimesteps:
    while not isinstance(venv, EpisodeEndTimesteps):
        venv = venv.venv
    return venv


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


# -------------------------------------------------------------------- train
@dataclass
class TrainResult:
    run_dir: Path
    num_timesteps: int
    interrupted: bool
    timing: dict[str, Any] = field(default_factory=dict)
    mean_distance: float | None = None


def train(config: TrainConfig, run_dir: Path, *, resume: bool = False, progress: bool = True,
          callbacks: list | None = None) -> TrainResult:
    """Train (or continue) the run in ``run_dir``; ``callbacks`` are extra SB3
    callbacks (tests use one to interrupt at a chosen step)."""
    run_dir = Path(run_dir)
    # Deliberate: on a small shared machine torch's default (all cores, plus
    # inter-op threads) fights the env and other processes for the CPU.
    torch.set_num_threads(config.torch_threads)
    cls = timed_algorithm(config.algorithm_class())

    candidates: list[Path] = []
    if resume:
        candidates = [p for p, _ in checkpoints_newest_first(run_dir)]
        if (run_dir / "final_model.zip").is_file():
            candidates.append(run_dir / "final_model.zip")
        if not candidates:
            raise TrainError(f"{run_dir} has no checkpoint to resume from "
                             f"(checkpoints/model_<steps>_steps.zip or final_model.zip)")

    def save(model: Any, path: Path) -> None:
        # Every model of the run: atomic, with the run stamp (watch/evaluate
        # read the env options from it).
        save_model(model, path, run_id=run_dir.name, config=config.to_dict())

    venv = make_train_env(config, run_dir, append_monitor=resume)
    eval_env = None
    try:
        if not resume:
            try:
                model = cls(env=venv, seed=config.seed, **config.learner_kwargs_for_sb3())
            except (TypeError, ValueError, AssertionError) as exc:
                # e.g. PPO's batch/rollout size checks: still before any training
                raise TrainError(f"{config.algorithm} rejected the config's learner_kwargs: {exc}") from exc
            if config.init_policy is not None:
                start_from_policy(model, config.init_policy)
        else:
            model, start = _load_newest_good(candidates, cls, config, venv)
            if config.seed is not None:
                # A new stream for the continuation (the RNG states are not in the zip).
                model.set_random_seed(config.seed + model.num_timesteps)
            buffer = replay_buffer_path(run_dir, model.num_timesteps)
            if config.off_policy:
                if buffer.is_file():
                    try:
                        model.load_replay_buffer(buffer)
                    except Exception as exc:  # truncated pickle: EOFError, UnpicklingError, ...
                        print(f"warning: skipping unreadable replay buffer {buffer} "
                              f"({type(exc).__name__}); continuing with an empty buffer", file=sys.stderr)
                else:
                    print(f"note: no replay buffer saved at {model.num_timesteps} steps "
                          f"(save_replay_buffer: {config.save_replay_buffer}); "
                          f"continuing with an empty buffer", file=sys.stderr)
            print(f"resuming {run_dir} from {start.name} at {model.num_timesteps} timesteps", file=sys.stderr)
        _episode_clock(venv).count = model.num_timesteps
        logger = make_logger(run_dir, config.log_formats, resumed_at=model.num_timesteps if resume else None)
        model.set_logger(logger)
        log_config(logger, config, model.num_timesteps)

        remaining = config.total_timesteps - model.num_timesteps
        if remaining <= 0:
            print(f"{run_dir} already has {model.num_timesteps} >= total_timesteps "
                  f"{config.total_timesteps}; give --total-timesteps to extend it", file=sys.stderr)
            if not (run_dir / "final_model.zip").is_file():
                save(model, run_dir / "final_model.zip")
            logger.close()
            return TrainResult(run_dir, model.num_timesteps, False)

        timers = []
        cbs: list = []
        if config.checkpoint_every > 0:
            ckpt = AtomicCheckpoint(max(1, config.checkpoint_every // config.n_envs), run_dir / "checkpoints",
                                    save, save_replay_buffer if config.save_replay_buffer and config.off_policy
                                    else None)
            cbs.append(ckpt)
            timers.append(("checkpoint", ckpt))
        if config.eval_every > 0:
            # The env's own reward (no shaping): the best model is the best
            # at the actual task.
            eval_env, eval_episodes = make_eval_env(config)
            ev = RunEvalCallback(eval_env, n_eval_episodes=eval_episodes,
                                 eval_freq=max(1, config.eval_every // config.n_envs),
                                 save_best=lambda m: save(m, run_dir / "best_model.zip"), log_path=str(run_dir),
                                 best_by=config.best_model_by, min_success=config.best_min_success,
                                 deterministic=config.eval_deterministic, verbose=0)
            cbs.append(ev)
            timers.append(("eval", ev))
        bar = ProgressCallback(config.total_timesteps, enabled=progress)
        timer = PhaseTimer(venv, timers)
        # After the eval callback, so a write includes the latest eval/* values.
        cbs = [timer, bar, *cbs, PeriodicLogCallback(config.log_every, timer), *(callbacks or [])]

        interrupted = False
        try:
            # log_interval=None: PeriodicLogCallback writes the logs on a timestep clock.
            with _sigterm_as_ctrl_c():
                model.learn(total_timesteps=remaining, callback=CallbackList(cbs), reset_num_timesteps=not resume,
                            log_interval=None, progress_bar=False)
        except KeyboardInterrupt:
            interrupted = True
        finally:
            bar.close()
        timing = timer.summary()
        mean_distance = bar.mean_distance()
        if timing:
            log_timing(logger, timing, model.num_timesteps)
        logger.close()

        if interrupted:
            ckpt_path = run_dir / "checkpoints" / f"model_{model.num_timesteps}_steps.zip"
            if config.off_policy and config.save_replay_buffer:  # the buffer first, as AtomicCheckpoint
                save_replay_buffer(model, replay_buffer_path(run_dir, model.num_timesteps))
            save(model, ckpt_path)
            print(f"interrupted at {model.num_timesteps} timesteps: saved {ckpt_path}\n"
                  f"continue with: qwop-fast train --resume {run_dir}", file=sys.stderr)
        else:
            if config.off_policy and config.save_replay_buffer:
                save_replay_buffer(model, run_dir / "final_replay_buffer.pkl")
            save(model, run_dir / "final_model.zip")
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
    sessions = []
    if path.is_file():
        try:
            sessions = json.loads(path.read_text())
            if not isinstance(sessions, list):
                raise ValueError("not a list")
        except (ValueError, UnicodeDecodeError, RecursionError) as exc:
            print(f"warning: {path} cannot be read ({type(exc).__name__}); starting it afresh",
                  file=sys.stderr)
            sessions = []
    sessions.append({**timing, "ended_at_timesteps": num_timesteps, "interrupted": interrupted})
    atomic.write_text(path, json.dumps(sessions, indent=2) + "\n")


def _load_newest_good(candidates: list[Path], cls: type, config: TrainConfig, venv: Any) -> tuple[Any, Path]:
    """The newest checkpoint that loads, and its path. An unreadable one (a
    0-byte or truncated file from a save that was killed, by an older
    version or by a power cut) is skipped with a warning naming it."""
    kwargs = config.learner_kwargs_for_sb3()
    skipped = []
    for path in candidates:
        try:
            model = load_model(path, device=kwargs.get("device", "cpu"), algorithm_cls=cls,
                               learner_kwargs=config.learner_kwargs, env=venv, force_reset=True)
        except ModelError as exc:
            reason = str(exc).splitlines()[-1].strip()
            print(f"warning: skipping unreadable checkpoint {path} ({reason[:200]})", file=sys.stderr)
            skipped.append(path.name)
            continue
        return model, path
    raise TrainError(f"{candidates[0].parent.parent} has no readable checkpoint to resume from "
                     f"(skipped {', '.join(skipped)})")


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
