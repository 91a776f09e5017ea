"""Hyperparameter search with Optuna: ``qwop-fast tune`` (its ``--help``,
``qwop_fast/cli/tune.py``, says what a study folder holds).

A trial is one ordinary training run (``run.train``) of the base config with
sampled values put in, scored by evaluations of the model on a separate,
unshaped ``QWOPEnv`` every ``eval_every`` steps and once at the end; each
evaluation is reported to Optuna, whose pruner may stop the trial early. The
trial's value is its last evaluation.

Search spaces are YAML (``config/search/<algorithm>.yml`` are the defaults; the
format is described at the top of ``config/search/qrdqn.yml``). Studies live in
an Optuna RDB storage: an SQLite file in the study folder by default, or any
SQLAlchemy URL (PostgreSQL) shared by many workers, each running the same
command. Every worker stops when the study holds ``n_trials`` trials, so the
command means the same on one machine or ten, and rerunning it continues.
"""

from __future__ import annotations

import copy
import csv
import math
import multiprocessing
import os
import random
import shutil
import sys
import time
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import optuna
import sqlalchemy.exc
import torch
import yaml
from optuna.trial import TrialState
from stable_baselines3.common.callbacks import BaseCallback

from ..errors import UserError
from .config import ConfigError, TrainConfig, bundled_config, dump_config, load_config
from .evaluate import run_episodes, summarize
from .run import TrainError, train

# metric -> (Optuna direction, unit for messages)
METRICS: dict[str, tuple[str, str]] = {
    "mean_distance": ("maximize", " m"),
    "success_rate": ("maximize", ""),
    "time_to_100m": ("minimize", " s"),
}
# time_to_100m of an episode that did not finish: its game time projected to
# 100 m at the pace it kept (at least 1 m covered), capped so that a runner who
# stood still scores a large finite number rather than infinity.
TIME_TO_100M_CAP = 1000.0
# Keys the tuner itself sets in a trial's config; a search space may not.
TUNER_KEYS = {
    "algorithm": "the algorithm comes from the base config",
    "total_timesteps": "use --n-timesteps (the trial budget)",
    "eval_every": "use --eval-every", "eval_episodes": "use --eval-episodes",
    "checkpoint_every": "trials save no checkpoints", "save_replay_buffer": "trials save no checkpoints",
    "torch_threads": "the tuner shares the cores between --n-jobs", "num_threads": "as torch_threads",
}
FINISHED = (TrialState.COMPLETE, TrialState.PRUNED, TrialState.FAIL)
STUDY_DB = "study.db"
BEST_CONFIG = "best_config.yml"


class TuneError(UserError, ValueError):
    """A bad search space, budget or study; the message names the argument."""


class TuneInterrupted(Exception):
    """Ctrl-C during a trial: Optuna marks the trial failed, the worker stops."""


# ------------------------------------------------------------ search space
@dataclass(frozen=True)
class Param:
    """One sampled value: a dotted path into the config and its distribution."""

    path: str
    kind: str  # "float", "int" or "categorical"
    low: float | None = None
    high: float | None = None
    log: bool = False
    step: float | None = None
    choices: tuple[tuple[Any, Any], ...] = ()  # (what Optuna records, the config value)

    def suggest(self, trial: optuna.Trial) -> Any:
        if self.kind == "float":
            return trial.suggest_float(self.path, self.low, self.high, log=self.log, step=self.step)
        if self.kind == "int":
            return trial.suggest_int(self.path, int(self.low), int(self.high), log=self.log,
                                     step=int(self.step or 1))
        label = trial.suggest_categorical(self.path, [c for c, _ in self.choices])
        return self.value_of(label)

    def value_of(self, recorded: Any) -> Any:
        """The config value of what Optuna recorded (a choice's name for named choices)."""
        if self.kind != "categorical":
            return recorded
        return copy.deepcopy(dict(self.choices)[recorded])

    def extremes(self) -> list[Any]:
        """Values that validation tries: both ends, or every choice."""
        if self.kind == "categorical":
            return [self.value_of(c) for c, _ in self.choices]
        cast = int if self.kind == "int" else float
        return [cast(self.low), cast(self.high)]


@dataclass(frozen=True)
class SearchSpace:
    source: str
    algorithm: str | None
    params: tuple[Param, ...]

    def sample(self, trial: optuna.Trial) -> dict[str, Any]:
        return {p.path: p.suggest(trial) for p in self.params}


def default_search_space(algorithm: str) -> Path:
    try:
        return bundled_config(f"search/{algorithm.lower()}.yml")
    except ConfigError:
        raise TuneError(f"--search: there is no default search space for {algorithm} "
                        f"(there are for QRDQN, DQN and PPO); pass --search FILE") from None


def load_search_space(path: str | Path, base: TrainConfig) -> SearchSpace:
    """Read a search space and check it against the base config: every
    path, at both ends of its range and for every choice, must make a valid
    training config. Errors name the file and the parameter."""
    path = Path(path)
    if not path.is_file():
        raise TuneError(f"--search: file {str(path)!r} does not exist")
    try:
        data = yaml.safe_load(path.read_text())
    except yaml.YAMLError as exc:
        raise TuneError(f"--search {path}: not valid YAML: {exc}") from None

    def bad(msg: str) -> TuneError:
        return TuneError(f"--search {path}: {msg}")

    if not isinstance(data, dict) or not isinstance(data.get("params"), dict) or not data["params"]:
        raise bad("a search space is a mapping with a non-empty 'params' mapping")
    unknown = set(data) - {"algorithm", "params"}
    if unknown:
        raise bad(f"unknown key(s) {', '.join(map(repr, sorted(unknown)))}; allowed: algorithm, params")
    algorithm = data.get("algorithm")
    if algorithm is not None and str(algorithm).lower() != base.algorithm.lower():
        raise bad(f"'algorithm': the space is for {algorithm}, the base config trains {base.algorithm}")
    params = tuple(_param(f"params.{name}", name, spec, bad) for name, spec in data["params"].items())

    base_data = base.to_dict()
    for p in params:
        top = p.path.split(".")[0]
        if top in TUNER_KEYS:
            raise bad(f"'params.{p.path}' cannot be searched: {TUNER_KEYS[top]}")
        for value in p.extremes():
            try:
                TrainConfig.from_dict(apply_values(base_data, {p.path: value}))
            except ConfigError as exc:
                raise bad(f"'params.{p.path}' = {value!r}: {exc}") from None
    return SearchSpace(str(path), algorithm, params)


def _param(key: str, path: str, spec: Any, bad) -> Param:
    if not isinstance(spec, dict):
        raise bad(f"{key!r} must be a mapping ({{low, high}} or {{choices}}), got {spec!r}")
    allowed = {"type", "low", "high", "log", "step", "choices"}
    if set(spec) - allowed:
        raise bad(f"{key!r}: unknown key(s) {', '.join(sorted(set(spec) - allowed))}; allowed: "
                  f"{', '.join(sorted(allowed))}")
    if "choices" in spec:
        if set(spec) - {"choices", "type"} or spec.get("type", "categorical") != "categorical":
            raise bad(f"{key!r}: 'choices' cannot be combined with low/high/log/step")
        choices = spec["choices"]
        if isinstance(choices, dict):  # named values: Optuna records the name
            pairs = tuple((str(k), v) for k, v in choices.items())
        elif isinstance(choices, list):
            for c in choices:
                if not (c is None or isinstance(c, (bool, int, float, str))):
                    raise bad(f"{key!r}: choice {c!r} is not a plain value; name it "
                              f"(choices: {{name: value, ...}})")
            pairs = tuple((c, c) for c in choices)
        else:
            raise bad(f"{key!r}: 'choices' must be a list or a mapping of names to values")
        if not pairs:
            raise bad(f"{key!r}: 'choices' is empty")
        return Param(path, "categorical", choices=pairs)
    if "low" not in spec or "high" not in spec:
        raise bad(f"{key!r} needs 'low' and 'high' (or 'choices')")
    nums = {}
    for k in ("low", "high", "step"):
        v = spec.get(k)
        if isinstance(v, str):  # YAML reads 1e-3 as a string
            try:
                v = float(v)
            except ValueError:
                pass
        if v is not None and (isinstance(v, bool) or not isinstance(v, (int, float)) or not math.isfinite(v)):
            raise bad(f"'{key}.{k}' must be a number, got {spec.get(k)!r}")
        nums[k] = v
    kind = spec.get("type") or ("int" if all(isinstance(spec[k], int) for k in ("low", "high")) else "float")
    if kind not in ("int", "float"):
        raise bad(f"'{key}.type' must be int, float or categorical, got {kind!r}")
    log = spec.get("log", False)
    if not isinstance(log, bool):
        raise bad(f"'{key}.log' must be true or false, got {log!r}")
    if not nums["low"] < nums["high"]:
        raise bad(f"{key!r}: low must be below high, got {nums['low']} and {nums['high']}")
    if log and nums["low"] <= 0:
        raise bad(f"{key!r}: a log scale needs low > 0, got {nums['low']}")
    if log and nums["step"] is not None:
        raise bad(f"{key!r}: 'step' and 'log' cannot be combined")
    return Param(path, kind, nums["low"], nums["high"], log, nums["step"])


def apply_values(data: dict[str, Any], values: dict[str, Any]) -> dict[str, Any]:
    """A copy of the config mapping ``data`` with each dotted path set
    (missing or null mappings on the way are created: sampling a shaping
    weight turns shaping on)."""
    out = copy.deepcopy(data)
    for path, value in values.items():
        keys = path.split(".")
        node = out
        for k in keys[:-1]:
            if not isinstance(node.get(k), dict):
                node[k] = {}
            node = node[k]
        node[keys[-1]] = copy.deepcopy(value)
    return out


# ------------------------------------------------------------- the settings
@dataclass
class TuneSettings:
    """Everything a worker needs, as plain data (it is pickled to --n-jobs processes)."""

    base: dict[str, Any]          # the resolved base config
    base_source: str
    search_source: str
    study: str
    storage: str
    study_dir: str
    n_trials: int
    n_timesteps: int
    metric: str = "mean_distance"
    eval_every: int = 5000
    eval_episodes: int = 3
    eval_deterministic: bool = False
    trial_timeout: float | None = None
    timeout: float | None = None  # of this command, from its start
    deadline: float | None = None  # time.time() at which the command's timeout ends
    seed: int | None = None
    sampler: str = "tpe"
    pruner: str = "median"
    n_jobs: int = 1
    cores: int = 1
    heartbeat: int = 30

    @property
    def base_config(self) -> TrainConfig:
        return TrainConfig.from_dict(self.base)

    def threads(self) -> tuple[int, int]:
        """(torch_threads, num_threads) of one trial: the base config's,
        capped so that the parallel trials together use at most the cores.
        A trial alternates between stepping the engine and updating the
        network, so each of the two may use the trial's share."""
        share = max(1, self.cores // self.n_jobs)
        base = self.base_config
        num = base.num_threads if base.num_threads <= 1 else min(base.num_threads, share)
        return min(base.torch_threads, share), num


def usable_cores() -> int:
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


def make_storage(url: str, heartbeat: int) -> optuna.storages.RDBStorage:
    """The study's storage, with a heartbeat: a worker that is killed stops
    beating, and the next worker to start a trial marks its trial failed
    (and enqueues it again once, with the same parameters)."""
    engine_kwargs: dict[str, Any] = {}
    if url.startswith("sqlite"):
        # Several local processes share one SQLite file: wait for its lock
        # instead of failing at once with "database is locked".
        engine_kwargs["connect_args"] = {"timeout": 60}
    else:
        engine_kwargs["pool_pre_ping"] = True  # a long trial outlives idle server connections
    for attempt in range(3):
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
            try:
                return optuna.storages.RDBStorage(
                    url, engine_kwargs=engine_kwargs, heartbeat_interval=heartbeat, grace_period=2 * heartbeat,
                    heartbeat_stale_trial_callback=optuna.storages.RetryHeartbeatStaleTrialCallback(max_retry=1))
            except ImportError as exc:
                raise TuneError(f"--storage {url}: the database driver is not installed ({exc}); "
                                f"for PostgreSQL: pip install 'qwop-fast[tune]' (psycopg2-binary)") from None
            except (sqlalchemy.exc.IntegrityError, sqlalchemy.exc.ProgrammingError) as exc:
                # Workers started together on a new database race to create
                # its tables; the loser's error goes away on a second try.
                if attempt == 2:
                    raise TuneError(f"--storage {url}: cannot create the study tables: {_first_line(exc)}") from None
                time.sleep(0.5 + random.random())
            except (sqlalchemy.exc.SQLAlchemyError, ValueError) as exc:  # a bad URL, a server not reached
                raise TuneError(f"--storage {url}: cannot open the study storage: {_first_line(exc)}") from None
    raise AssertionError("unreachable")


def _first_line(exc: BaseException) -> str:
    text = str(exc).strip()
    return text.splitlines()[0] if text else type(exc).__name__


def make_sampler(settings: TuneSettings, worker: int) -> optuna.samplers.BaseSampler:
    # Each worker of --n-jobs gets its own seed: identical samplers would
    # propose identical first trials.
    seed = None if settings.seed is None else settings.seed + worker
    if settings.sampler == "random":
        return optuna.samplers.RandomSampler(seed=seed)
    return optuna.samplers.TPESampler(n_startup_trials=5, seed=seed)


def make_pruner(settings: TuneSettings) -> optuna.pruners.BasePruner:
    if settings.pruner == "none":
        return optuna.pruners.NopPruner()
    if settings.pruner == "halving":
        return optuna.pruners.SuccessiveHalvingPruner()
    # Compare from the second evaluation on, once 3 trials have finished:
    # the first evaluation comes before much learning has happened.
    return optuna.pruners.MedianPruner(n_startup_trials=3, n_warmup_steps=int(1.5 * settings.eval_every))


def open_study(settings: TuneSettings, worker: int = 0) -> optuna.Study:
    return optuna.load_study(study_name=settings.study, storage=make_storage(settings.storage, settings.heartbeat),
                             sampler=make_sampler(settings, worker), pruner=make_pruner(settings))


def create_or_continue(settings: TuneSettings) -> optuna.Study:
    """Create the study, or continue it when it exists (same metric)."""
    storage = make_storage(settings.storage, settings.heartbeat)
    direction = METRICS[settings.metric][0]
    study = optuna.create_study(study_name=settings.study, storage=storage, direction=direction,
                                load_if_exists=True, sampler=make_sampler(settings, 0),
                                pruner=make_pruner(settings))
    attrs = study.user_attrs  # one read: workers may be creating the same study right now
    metric = attrs.get("metric")
    if metric is None:
        # "metric" marks a study as set up, so it is written last: a worker
        # that sees it also sees "algorithm".
        study.set_user_attr("algorithm", settings.base["algorithm"])
        study.set_user_attr("metric", settings.metric)
    elif metric != settings.metric:
        raise TuneError(f"--metric {settings.metric}: study {settings.study!r} in {settings.storage} "
                        f"was created with --metric {metric}; use that, or another --study")
    elif attrs.get("algorithm") != settings.base["algorithm"]:
        raise TuneError(f"--config: study {settings.study!r} tunes {attrs.get('algorithm')}, "
                        f"the base config trains {settings.base['algorithm']}; use another --study")
    return study


# --------------------------------------------------------------- evaluation
class _SeededPolicy:
    """The model as ``run_episodes`` sees it, except that seeding draws the
    evaluation's own random numbers (exploration, sampled actions) without
    touching the env the model trains on (SB3's set_random_seed would)."""

    def __init__(self, model) -> None:
        self.model = model

    def predict(self, *args, **kwargs):
        return self.model.predict(*args, **kwargs)

    def set_random_seed(self, seed: int) -> None:
        random.seed(seed)
        np.random.seed(seed)
        torch.manual_seed(seed)
        self.model.action_space.seed(seed)


def evaluate(model, env_kwargs: dict[str, Any], episodes: int, deterministic: bool,
             seed: int = 0) -> list[dict[str, Any]]:
    """``episodes`` episodes of ``model`` on a fresh QWOPEnv, with the same
    seed at every evaluation (comparable across trials) and the training's
    random state restored afterwards (the evaluation does not steer training)."""
    states = (random.getstate(), np.random.get_state(), torch.get_rng_state(),
              copy.deepcopy(model.action_space.np_random.bit_generator.state))
    try:
        return run_episodes(_SeededPolicy(model), env_kwargs, episodes, deterministic=deterministic, seed=seed)
    finally:
        random.setstate(states[0])
        np.random.set_state(states[1])
        torch.set_rng_state(states[2])
        model.action_space.np_random.bit_generator.state = states[3]


def metric_values(episodes: list[dict[str, Any]]) -> dict[str, float]:
    """The three metrics of one evaluation."""
    s = summarize(episodes)
    times = [e["game_time"] if e["is_success"]
             else min(TIME_TO_100M_CAP, e["game_time"] * 100.0 / max(e["distance"], 1.0)) for e in episodes]
    return {"mean_distance": float(s["mean_distance"]), "success_rate": float(s["success_rate"]),
            "time_to_100m": float(min(TIME_TO_100M_CAP, sum(times) / len(times)))}


class TrialEvaluation(BaseCallback):
    """Evaluates every ``every`` steps and at the end of training, reports
    each evaluation to the trial, and stops training when the pruner says so
    or the trial's time is up."""

    def __init__(self, trial: optuna.Trial, settings: TuneSettings, env_kwargs: dict[str, Any],
                 deadline: float | None) -> None:
        super().__init__()
        self.trial = trial
        self.settings = settings
        self.env_kwargs = env_kwargs
        self.deadline = deadline  # time.time()
        self.history: list[tuple[int, dict[str, float]]] = []
        self.stopped_by = "budget"
        self.eval_seconds = 0.0

    def _on_training_start(self) -> None:
        self._next = self.model.num_timesteps + self.settings.eval_every

    def _on_step(self) -> bool:
        if self.deadline is not None and time.time() >= self.deadline:
            self.stopped_by = "timeout"
            return False
        # The evaluation at the end of the budget is the trial's value, not
        # a pruning point: _on_training_end makes it.
        if self.settings.eval_every > 0 and self._next <= self.num_timesteps < self.settings.n_timesteps:
            while self._next <= self.num_timesteps:
                self._next += self.settings.eval_every
            self._evaluate()
            if self.trial.should_prune():
                self.stopped_by = "pruned"
                return False
        return True

    def _on_training_end(self) -> None:
        if self.stopped_by != "pruned" and (not self.history or self.history[-1][0] != self.num_timesteps):
            self._evaluate()

    def _evaluate(self) -> None:
        t = time.perf_counter()
        values = metric_values(evaluate(self.model, self.env_kwargs, self.settings.eval_episodes,
                                        self.settings.eval_deterministic))
        self.eval_seconds += time.perf_counter() - t
        self.history.append((self.num_timesteps, values))
        self.trial.report(values[self.settings.metric], self.num_timesteps)


# ------------------------------------------------------------------ a trial
def trial_config(settings: TuneSettings, values: dict[str, Any]) -> TrainConfig:
    """What the trial trains: the base config with the sampled values, the
    trial budget, no checkpoints or built-in evaluations (the tuner
    evaluates), and the trial's share of the threads."""
    torch_threads, num_threads = settings.threads()
    data = apply_values(settings.base, values)
    data.update(total_timesteps=settings.n_timesteps, checkpoint_every=0, save_replay_buffer=False,
                eval_every=0, torch_threads=torch_threads, num_threads=num_threads)
    return TrainConfig.from_dict(data)


def ready_config(settings: TuneSettings, config: TrainConfig) -> TrainConfig:
    """The trial's config as a training config to run: the base config's
    checkpoints, evaluations and threads back in place."""
    base = settings.base_config
    return config.replace(checkpoint_every=base.checkpoint_every, save_replay_buffer=base.save_replay_buffer,
                          eval_every=base.eval_every, eval_episodes=base.eval_episodes,
                          eval_deterministic=base.eval_deterministic, torch_threads=base.torch_threads,
                          num_threads=base.num_threads)


def make_objective(settings: TuneSettings, space: SearchSpace, started: list[int] | None = None):
    """The trial function; it appends each trial's number to ``started``."""
    study_dir = Path(settings.study_dir)

    def objective(trial: optuna.Trial) -> float:
        if started is not None:
            started.append(trial.number)
        values = space.sample(trial)
        try:
            config = trial_config(settings, values)
        except ConfigError as exc:  # a combination the schema rejects
            trial.set_user_attr("error", str(exc))
            raise
        trial.set_user_attr("config", ready_config(settings, config).to_dict())
        trial.set_user_attr("host", os.uname().nodename)
        trial.set_user_attr("pid", os.getpid())
        run_dir = study_dir / f"trial_{trial.number:04d}"
        if run_dir.exists():  # left by an earlier study of the same name that was deleted
            shutil.rmtree(run_dir)
        run_dir.mkdir(parents=True)
        # As `qwop-fast train` leaves it: evaluate/watch read the env options from it.
        dump_config(config, run_dir / "config.yml", f"qwop-fast tune: trial {trial.number} of study {settings.study!r}")
        deadlines = [d for d in (settings.deadline, settings.trial_timeout and time.time() + settings.trial_timeout)
                     if d]
        cb = TrialEvaluation(trial, settings, config.env_kwargs, min(deadlines) if deadlines else None)
        print(f"trial {trial.number}: {_short(trial.params)}", file=sys.stderr, flush=True)
        try:
            result = train(config, run_dir, progress=False, callbacks=[cb])
        except TrainError as exc:  # SB3 rejected the sampled learner_kwargs
            trial.set_user_attr("error", str(exc))
            raise
        timing = result.timing or {}
        trial.set_user_attr("timesteps", result.num_timesteps)
        trial.set_user_attr("wall_s", timing.get("wall_s"))
        trial.set_user_attr("fps", timing.get("fps"))
        trial.set_user_attr("eval_s", round(cb.eval_seconds, 3))
        trial.set_user_attr("stopped_by", "interrupted" if result.interrupted else cb.stopped_by)
        if cb.history:
            trial.set_user_attr("last_eval", {"timesteps": cb.history[-1][0], **cb.history[-1][1]})
        if result.interrupted:
            raise TuneInterrupted(f"trial {trial.number} interrupted at {result.num_timesteps} timesteps")
        if cb.stopped_by == "pruned":
            raise optuna.TrialPruned(f"pruned at {cb.history[-1][0]} timesteps")
        return cb.history[-1][1][settings.metric]

    return objective


def _short(params: dict[str, Any]) -> str:
    def fmt(v):
        return f"{v:.4g}" if isinstance(v, float) else str(v)
    return ", ".join(f"{k.split('.')[-1]}={fmt(v)}" for k, v in params.items())


# ------------------------------------------------------------------ workers
def counted_trials(study: optuna.Study) -> int:
    """Trials that use up the budget: finished ones and those running now."""
    return len(study.get_trials(deepcopy=False, states=(*FINISHED, TrialState.RUNNING)))


def run_worker(settings: TuneSettings, space: SearchSpace, worker: int = 0) -> int:
    """Run trials until the study holds ``n_trials`` (over all workers) or
    the time is up; 130 when interrupted."""
    study = open_study(settings, worker)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
        optuna.storages.fail_stale_trials(study)  # a killed worker's trial: failed, and enqueued again
    started: list[int] = []
    objective = make_objective(settings, space, started)
    torch_threads, num_threads = settings.threads()
    tag = f"worker {worker}: " if settings.n_jobs > 1 else ""
    print(f"{tag}study {settings.study!r}, {counted_trials(study)}/{settings.n_trials} trials so far; "
          f"each trial: {settings.n_timesteps} timesteps, torch_threads={torch_threads}, "
          f"num_threads={num_threads}", file=sys.stderr, flush=True)
    finished: list[optuna.trial.FrozenTrial] = []  # this worker's trials (others run concurrently)
    while counted_trials(study) < settings.n_trials:
        if settings.deadline is not None and time.time() >= settings.deadline:
            print(f"{tag}--timeout reached; no new trial", file=sys.stderr)
            break
        try:
            # catch: a sampled combination that the schema or SB3 rejects
            # fails that trial only (its reason is the trial's "error").
            study.optimize(objective, n_trials=1, catch=(ConfigError, TrainError),
                           callbacks=[lambda _study, frozen: finished.append(frozen)])
        except (TuneInterrupted, KeyboardInterrupt) as exc:
            what = ""
            if started:
                mine = [t for t in study.get_trials(deepcopy=False) if t.number == started[-1]]
                what = f"trial {started[-1]} marked {mine[0].state.name.lower()}"
            print(f"{tag}interrupted ({exc or 'Ctrl-C'}){': ' + what if what else ''}; the study is saved in "
                  f"{settings.storage}; run the same command again to continue", file=sys.stderr)
            return 130
        _print_trial(finished[-1], settings, tag)
        write_report(study, settings, plots=False)
    return 0


def _print_trial(t: optuna.trial.FrozenTrial, settings: TuneSettings, tag: str) -> None:
    unit = METRICS[settings.metric][1]
    if t.state == TrialState.COMPLETE:
        what = f"{settings.metric} {t.value:.3f}{unit}"
    elif t.state == TrialState.PRUNED:
        what = f"pruned after {t.user_attrs.get('timesteps')} timesteps"
    else:
        what = f"failed: {t.user_attrs.get('error', 'see above')}"
    wall = t.user_attrs.get("wall_s")
    print(f"{tag}trial {t.number}: {what}" + (f" ({wall:.0f} s)" if wall else ""), file=sys.stderr, flush=True)


def _worker_main(settings: TuneSettings, space: SearchSpace, worker: int) -> None:
    quiet_optuna()
    sys.exit(run_worker(settings, space, worker))


def tune(settings: TuneSettings, space: SearchSpace) -> int:
    """Create or continue the study, run its trials (in --n-jobs processes),
    write the report; the exit code (130 when interrupted)."""
    Path(settings.study_dir).mkdir(parents=True, exist_ok=True)
    study = create_or_continue(settings)
    if counted_trials(study) >= settings.n_trials:
        print(f"study {settings.study!r} already has {counted_trials(study)} trials "
              f"(--n-trials {settings.n_trials}); raise --n-trials to run more", file=sys.stderr)
        code = 0
    elif settings.n_jobs == 1:
        code = run_worker(settings, space)
    else:
        code = _run_processes(settings, space)
    write_report(study, settings, plots=True)
    return code


def _run_processes(settings: TuneSettings, space: SearchSpace) -> int:
    """--n-jobs K: K worker processes on the study. Processes, not threads:
    torch.set_num_threads is per process, Ctrl-C reaches every process, and
    the training loop's Python (policy, buffers) would contend for one GIL
    (README, "Tuning": measured)."""
    ctx = multiprocessing.get_context("spawn")  # no fork of a process with torch's threads
    procs = [ctx.Process(target=_worker_main, args=(settings, space, k), name=f"tune-worker-{k}")
             for k in range(settings.n_jobs)]
    for p in procs:
        p.start()
    interrupted = False
    while any(p.is_alive() for p in procs):
        try:
            for p in procs:
                p.join()
        except KeyboardInterrupt:
            # Ctrl-C went to the whole process group: the workers end their
            # trials themselves; wait for them.
            interrupted = True
    codes = [p.exitcode for p in procs]
    if interrupted or 130 in codes:
        return 130
    if any(c != 0 for c in codes):
        raise TuneError(f"--n-jobs: worker exit codes {codes} (see the messages above)")
    return 0


# ------------------------------------------------------------------- report
def write_atomic(path: Path, write) -> None:
    """``write(tmp_path)`` then rename over ``path``: a reader (or a worker
    killed half-way) never sees a partial file."""
    tmp = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    try:
        write(tmp)
        os.replace(tmp, path)
    finally:
        if tmp.exists():
            tmp.unlink()


def trial_rows(study: optuna.Study, metric: str) -> list[dict[str, Any]]:
    rows = []
    for t in study.get_trials(deepcopy=False):
        last = t.user_attrs.get("last_eval") or {}
        row = {"trial": t.number, "state": t.state.name, "value": t.value,
               "timesteps": t.user_attrs.get("timesteps"), "wall_s": t.user_attrs.get("wall_s"),
               "fps": t.user_attrs.get("fps"), "stopped_by": t.user_attrs.get("stopped_by"),
               **{m: last.get(m) for m in METRICS}, **t.params, "error": t.user_attrs.get("error")}
        rows.append(row)
    return rows


def write_report(study: optuna.Study, settings: TuneSettings, *, plots: bool) -> None:
    """trials.csv, trials.md, best_config.yml and (``plots``) the PNGs, in the study folder."""
    out = Path(settings.study_dir)
    rows = trial_rows(study, settings.metric)
    fields = list(dict.fromkeys(k for r in rows for k in r))

    def csv_text(tmp: Path) -> None:
        with tmp.open("w", newline="") as f:
            w = csv.DictWriter(f, fieldnames=fields)
            w.writeheader()
            w.writerows(rows)

    write_atomic(out / "trials.csv", csv_text)
    write_atomic(out / "trials.md", lambda tmp: tmp.write_text(_markdown(rows, fields, settings)))

    complete = [t for t in study.get_trials(deepcopy=False) if t.state == TrialState.COMPLETE]
    if complete:
        best = study.best_trial
        config = TrainConfig.from_dict(best.user_attrs["config"])
        header = (f"qwop-fast tune: best trial {best.number} of study {settings.study!r} "
                  f"({settings.metric} {best.value:.4g} after {best.user_attrs.get('timesteps')} timesteps)\n"
                  f"base {settings.base_source}, search space {settings.search_source}\n"
                  f"parameters: {_short(best.params)}\n"
                  f"tuned at total_timesteps {settings.n_timesteps}; raise it for a longer run\n"
                  f"written {time.strftime('%Y-%m-%d %H:%M:%S')}\n"
                  f"run it: qwop-fast train --config {out / BEST_CONFIG}")
        write_atomic(out / BEST_CONFIG, lambda tmp: dump_config(config, tmp, header))
    if plots:
        write_plots(study, out, complete)


def _markdown(rows: list[dict[str, Any]], fields: list[str], settings: TuneSettings) -> str:
    sign = 1 if METRICS[settings.metric][0] == "minimize" else -1

    def key(r):  # completed best first, then pruned, then failed
        order = {"COMPLETE": 0, "PRUNED": 1}.get(r["state"], 2)
        return (order, sign * r["value"] if r["value"] is not None else 0.0, r["trial"])

    def cell(v):
        if v is None:
            return ""
        if isinstance(v, float):
            return f"{v:.4g}"
        return str(v).replace("|", "\\|")

    lines = [f"# Study {settings.study}: {settings.metric} ({METRICS[settings.metric][0]})", "",
             "| " + " | ".join(fields) + " |", "|" + "---|" * len(fields)]
    lines += ["| " + " | ".join(cell(r.get(f)) for f in fields) + " |" for r in sorted(rows, key=key)]
    return "\n".join(lines) + "\n"


def write_plots(study: optuna.Study, out: Path, complete: list) -> None:
    """optimization_history.png and param_importances.png (optuna's
    matplotlib plots); a plot that cannot be made yet is skipped with a note."""
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt
    from optuna.visualization import matplotlib as oplt

    plots = [("optimization_history.png", oplt.plot_optimization_history, 1),
             ("param_importances.png", oplt.plot_param_importances, 2)]
    for name, plot, needed in plots:
        if len(complete) < needed:
            print(f"note: {name} needs {needed} completed trials, the study has {len(complete)}", file=sys.stderr)
            continue
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("ignore", optuna.exceptions.ExperimentalWarning)
                ax = plot(study)
            fig = ax.figure if hasattr(ax, "figure") else ax.flat[0].figure
            fig.set_size_inches(9, 5.5)
            fig.tight_layout()
            write_atomic(out / name, lambda tmp: fig.savefig(tmp, format="png", dpi=100))
            plt.close(fig)
        except (ValueError, RuntimeError) as exc:  # e.g. importances when no parameter varied
            print(f"note: {name} not written: {exc}", file=sys.stderr)


# --------------------------------------------------------------- from argv
def settings_from_args(args) -> tuple[TuneSettings, SearchSpace]:
    base = load_config(args.config)
    space = load_search_space(args.search or default_search_space(base.algorithm), base)
    if args.study in (".", "..") or "/" in args.study:
        raise TuneError(f"--study must be a plain name (it names the study folder), got {args.study!r}")
    study_dir = Path(args.runs_dir) / args.study
    storage = args.storage or f"sqlite:///{(study_dir / STUDY_DB).resolve()}"
    if "://" not in storage:
        raise TuneError(f"--storage must be an SQLAlchemy URL (sqlite:///FILE, "
                        f"postgresql://USER:PASSWORD@HOST/DB), got {storage!r}")
    n_timesteps = args.n_timesteps or base.total_timesteps
    eval_every = max(1, n_timesteps // 4) if args.eval_every is None else args.eval_every
    if eval_every >= n_timesteps:
        eval_every = 0  # only the final evaluation
    cores = usable_cores()
    if args.n_jobs > cores:
        print(f"note: --n-jobs {args.n_jobs} is more than the {cores} usable cores; "
              f"the trials will contend for them", file=sys.stderr)
    now = time.time()
    settings = TuneSettings(
        base=base.to_dict(), base_source=str(args.config), search_source=space.source, study=args.study,
        storage=storage, study_dir=str(study_dir), n_trials=args.n_trials, n_timesteps=n_timesteps,
        metric=args.metric, eval_every=eval_every,
        eval_episodes=args.eval_episodes or base.eval_episodes,
        eval_deterministic=base.eval_deterministic if args.eval_deterministic is None else args.eval_deterministic,
        trial_timeout=args.trial_timeout, timeout=args.timeout,
        deadline=now + args.timeout if args.timeout else None, seed=args.seed, sampler=args.sampler,
        pruner=args.pruner, n_jobs=min(args.n_jobs, args.n_trials), cores=cores, heartbeat=args.heartbeat)
    return settings, space


def quiet_optuna() -> None:
    # Optuna logs every trial at INFO; the workers print their own one-line summaries.
    optuna.logging.set_verbosity(optuna.logging.WARNING)


def tune_from_args(args) -> int:
    quiet_optuna()
    settings, space = settings_from_args(args)
    print(f"tuning {settings.base['algorithm']} from {settings.base_source} over {len(space.params)} "
          f"parameters ({space.source}); metric {settings.metric} "
          f"({METRICS[settings.metric][0]}); storage {settings.storage}", file=sys.stderr)
    code = tune(settings, space)
    print(f"study folder: {settings.study_dir} (trials.csv, trials.md, {BEST_CONFIG}, *.png); "
          f"live view: optuna-dashboard {settings.storage}", file=sys.stderr)
    return code
