"""The training config: a YAML file checked against a schema before anything runs.

A config is a mapping with these keys (all optional; missing ones take the
defaults of ``TrainConfig``)::

    algorithm: QRDQN            # QRDQN, DQN, PPO, A2C or RecurrentPPO
    total_timesteps: 100000
    n_envs: 8                   # runners in one QWOPVecEnv
    num_threads: 1              # native physics threads of the QWOPVecEnv
    torch_threads: 1            # torch.set_num_threads for the learner
    seed: 0                     # or null
    env_kwargs: {}              # env options (qwop_fast.EnvOptions)
    wrappers:
      reward_shaping: {posture_weight: 0.1, energy_weight: 0.01, joint_weight: 0.05}
    learner_kwargs:             # keyword arguments of the algorithm class
      learning_rate: 0.001
      policy_kwargs: {net_arch: [128, 128], activation_fn: relu}
    checkpoint_every: 25000     # timesteps between checkpoints (0 = none)
    save_replay_buffer: false   # off-policy: save the replay buffer with each checkpoint
    eval_every: 25000           # timesteps between evaluations (0 = none)
    eval_episodes: 1
    eval_all_starts: false      # true: each evaluation runs one episode from every start
                                # of env_kwargs.intro_frames (0-60: 61 episodes, all at
                                # once), so eval_episodes is not used
    eval_deterministic: true    # greedy actions in the evaluations (false: sampled /
                                # epsilon-greedy; see config/quick.yml for why)
    best_model_by: reward       # which evaluation's model is best_model.zip: reward (mean
                                # return, SB3's rule) or time (the fastest mean time to
                                # 100 m once best_min_success of the episodes finish;
                                # until then the highest success rate)
    best_min_success: 0.9
    log_every: 2000             # timesteps between log writes (rollout/ep_* means, time/*, train/*)
    log_formats: [tensorboard, csv]   # SB3 logger outputs: tensorboard, csv, stdout, json, log
    init_policy: null           # a model .zip of the same algorithm and network whose policy
                                # weights start the run (e.g. from `qwop-fast imitate`)
    vec_env: qwop               # qwop: one QWOPVecEnv; subproc: SB3 SubprocVecEnv of QWOPEnv
                                # (a process per runner; for comparisons)

Every error is a ``ConfigError`` that names the offending key (dotted, e.g.
``learner_kwargs.policy_kwargs.net_arch``), so a typo in a long config is found
without reading a traceback. Validation reads the algorithm's signature
(``algorithms.py``); it builds no env and does no torch work.
"""

from __future__ import annotations

import dataclasses
import inspect
import math
import os
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import torch
import yaml

from ..memory import ENGINE_BYTES_PER_ENV, available_memory, engine_memory_estimate
from .. import atomic
from ..errors import UserError, short_repr, short_text
from ..options import EnvOptions
from .algorithms import ALGORITHMS, DEFAULT_POLICY, OFF_POLICY, algorithm_class

# Names accepted for activation_fn (policy_kwargs); YAML cannot hold a class.
ACTIVATIONS = {"relu": "ReLU", "tanh": "Tanh", "elu": "ELU", "leaky_relu": "LeakyReLU",
               "gelu": "GELU", "silu": "SiLU", "selu": "SELU", "sigmoid": "Sigmoid"}
OPTIMIZERS = {"adam": "Adam", "adamw": "AdamW", "rmsprop": "RMSprop", "sgd": "SGD"}

# Algorithm arguments a config may not set: they are decided by the trainer
# (env, seed from the top-level key, logging into the run folder) or are
# Python classes that YAML cannot express.
RESERVED_LEARNER_KEYS = {
    "env": "the trainer builds the env from n_envs/env_kwargs",
    "seed": "use the top-level key 'seed'",
    "tensorboard_log": "TensorBoard logs always go to the run folder",
    "_init_setup_model": "internal to stable-baselines3",
    "replay_buffer_class": "a Python class cannot be given in YAML",
    "rollout_buffer_class": "a Python class cannot be given in YAML",
}

# Expected kinds of the common algorithm arguments. Arguments of the
# algorithm's signature that are not listed here are passed through and left
# to stable-baselines3 to check.
_NUMBER, _INT, _BOOL, _STR = "a number", "an integer", "a bool (true or false)", "a string"
_LEARNER_KINDS: dict[str, str] = {
    **dict.fromkeys(("learning_rate", "tau", "gamma", "exploration_fraction", "exploration_initial_eps",
                     "exploration_final_eps", "gae_lambda", "clip_range", "ent_coef",
                     "vf_coef", "rms_prop_eps"), _NUMBER),
    **dict.fromkeys(("buffer_size", "learning_starts", "batch_size", "gradient_steps", "n_steps",
                     "target_update_interval", "n_epochs", "stats_window_size", "sde_sample_freq",
                     "verbose"), _INT),
    **dict.fromkeys(("optimize_memory_usage", "normalize_advantage", "use_sde", "use_rms_prop"), _BOOL),
    **dict.fromkeys(("policy", "device"), _STR),
}
_NULLABLE_NUMBERS = ("clip_range_vf", "target_kl", "max_grad_norm")
# Lower bounds of integer arguments (others, e.g. gradient_steps=-1 or
# sde_sample_freq=-1, have meaningful negative values).
_INT_LOWER_BOUNDS = {"buffer_size": 1, "batch_size": 1, "n_steps": 1, "n_epochs": 1,
                     "learning_starts": 0, "target_update_interval": 1, "stats_window_size": 1}


class ConfigError(UserError, ValueError):
    """A config value that cannot be used; the message names the key."""


# The engine's own limit on native threads (Engine refuses more).
MAX_NUM_THREADS = 1024
def check_engine_memory(n_envs: int, num_threads: int) -> None:
    """ConfigError naming n_envs (or num_threads) when the engine would not
    fit in the memory available now: refused before anything is allocated,
    instead of the machine swapping or the process being killed."""
    need = engine_memory_estimate(n_envs, num_threads)
    have = available_memory()
    if have is not None and need > have:
        key = "n_envs" if n_envs * ENGINE_BYTES_PER_ENV > have else "num_threads"
        raise ConfigError(f"{key!r}: n_envs={n_envs} runners on num_threads={num_threads} threads need "
                          f"about {need / 2**20:.0f} MiB for the engine alone, but only "
                          f"{have / 2**20:.0f} MiB of memory is available; lower {key}")


# --------------------------------------------------------------- the schema
@dataclass
class RewardShapingConfig:
    """Weights of ``qwop_fast.reward_shaping.VecRewardShaping`` (spec 7.9)."""

    posture_weight: float = 0.1
    energy_weight: float = 0.01
    joint_weight: float = 0.05


@dataclass
class WrappersConfig:
    reward_shaping: RewardShapingConfig | None = None  # None: no shaping


@dataclass
class TrainConfig:
    """One training run. The defaults are the quick path (config/quick.yml
    spells them out, including its tuned learner_kwargs)."""

    algorithm: str = "QRDQN"
    total_timesteps: int = 100_000
    n_envs: int = 8
    num_threads: int = 1
    torch_threads: int = 1
    seed: int | None = 0
    env_kwargs: dict[str, Any] = field(default_factory=dict)
    wrappers: WrappersConfig = field(default_factory=WrappersConfig)
    learner_kwargs: dict[str, Any] = field(default_factory=dict)
    checkpoint_every: int = 25_000
    save_replay_buffer: bool = False
    eval_every: int = 25_000
    eval_episodes: int = 1
    eval_all_starts: bool = False
    eval_deterministic: bool = True
    best_model_by: str = "reward"
    best_min_success: float = 0.9
    log_every: int = 2000
    log_formats: list[str] = field(default_factory=lambda: ["tensorboard", "csv"])
    init_policy: str | None = None
    vec_env: str = "qwop"

    @property
    def off_policy(self) -> bool:
        return self.algorithm in OFF_POLICY

    def to_dict(self) -> dict[str, Any]:
        """Plain data (what config.yml holds); ``from_dict`` reads it back."""
        return dataclasses.asdict(self)

    def replace(self, **changes: Any) -> "TrainConfig":
        """A copy with some top-level keys changed, validated again."""
        return TrainConfig.from_dict({**self.to_dict(), **changes}, resolve=False)

    @classmethod
    def from_dict(cls, data: Any, *, resolve: bool = True) -> "TrainConfig":
        """Validate ``data`` (a parsed YAML mapping) into a config.

        ``resolve`` fills in every env option and the algorithm's default
        arguments, so the saved config.yml records exactly what ran.
        """
        return _parse(data, resolve=resolve)

    def algorithm_class(self) -> type:
        return algorithm_class(self.algorithm)

    def learner_kwargs_for_sb3(self) -> dict[str, Any]:
        """``learner_kwargs`` as the algorithm class takes them (names of
        activation functions / optimizers turned into torch classes)."""
        kwargs = dict(self.learner_kwargs)
        pk = dict(kwargs.get("policy_kwargs") or {})
        if pk:
            if "activation_fn" in pk:
                pk["activation_fn"] = getattr(torch.nn, ACTIVATIONS[pk["activation_fn"].lower()])
            if "optimizer_class" in pk:
                pk["optimizer_class"] = getattr(torch.optim, OPTIMIZERS[pk["optimizer_class"].lower()])
            kwargs["policy_kwargs"] = pk
        if isinstance(kwargs.get("train_freq"), list):
            kwargs["train_freq"] = tuple(kwargs["train_freq"])
        return kwargs


VEC_ENVS = ("qwop", "subproc")
BEST_MODEL_BY = ("reward", "time")


def _choice(key: str, value: Any, choices: tuple[str, ...]) -> str:
    if not isinstance(value, str) or value not in choices:
        raise _bad_type(key, f"one of {', '.join(choices)}", value)
    return value


def _init_policy(value: Any) -> str | None:
    if value is None:
        return None
    if not isinstance(value, str) or not value:
        raise _bad_type("init_policy", "the path of a model .zip, or null", value)
    if not Path(value).is_file():
        raise ConfigError(f"'init_policy': {short_repr(value)} is not a file (a model .zip, e.g. "
                          f"from `qwop-fast imitate`)")
    return value


# ----------------------------------------------------------------- loading
def bundled_config(name: str) -> Path:
    """The shipped config ``name`` (e.g. "quick.yml"): the repository's
    config/ folder in a source checkout, else the copy installed with the
    package (pyproject maps config/ to the package data qwop_fast.configs)."""
    in_repo = Path(__file__).resolve().parents[2] / "config" / name
    if in_repo.is_file():
        return in_repo
    try:
        installed = resources.files("qwop_fast.configs") / name
    except ModuleNotFoundError:
        installed = None
    if installed is not None and installed.is_file():
        return Path(str(installed))
    raise ConfigError(f"the bundled config {name!r} is not installed; pass --config FILE")


def shipped_config_names() -> list[str]:
    """The names of the shipped configs (``--config NAME``), without .yml."""
    # Where bundled_config looks: the checkout's config/ (an editable install
    # has no qwop_fast.configs package), else the installed package data.
    folder: Any = Path(__file__).resolve().parents[2] / "config"
    if not folder.is_dir():
        try:
            folder = resources.files("qwop_fast.configs")
        except ModuleNotFoundError:
            return []
    return sorted(p.name[:-4] for p in folder.iterdir() if p.name.endswith(".yml"))


def find_config(name_or_path: str | Path) -> Path:
    """``--config``: a YAML file, or the name of a shipped config (``runner_ppo``
    or ``runner_ppo.yml``) found wherever the package is installed."""
    path = Path(name_or_path)
    if path.exists():  # a file, or a folder load_config will name as such
        return path
    text = str(name_or_path)
    if "/" not in text and "\\" not in text:
        name = text if text.endswith(".yml") else f"{text}.yml"
        if name[:-4] in shipped_config_names():
            return bundled_config(name)
    names = ", ".join(shipped_config_names())
    raise ConfigError(f"config file {text!r} does not exist (the shipped configs, usable by name: {names})")


# A config is a few hundred bytes; anything this large is not one.
MAX_CONFIG_BYTES = 1 << 20


def load_config(path: str | Path, *, resolve: bool = True) -> TrainConfig:
    """Read and validate a YAML config file; errors name the file and the key."""
    path = Path(path)
    where = short_repr(str(path), 200)
    if path.is_dir():
        raise ConfigError(f"config file {where} is a directory, not a YAML file")
    if not path.is_file():
        raise ConfigError(f"config file {where} does not exist")
    data = safe_yaml_load(read_config_text(path), where)
    try:
        return TrainConfig.from_dict({} if data is None else data, resolve=resolve)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None


def read_config_text(path: Path) -> str:
    """The text of a config file: ConfigError if it is too large, binary or not UTF-8."""
    where = short_repr(str(path), 200)
    try:
        size = path.stat().st_size
        if size > MAX_CONFIG_BYTES:
            raise ConfigError(f"config file {where} is {size} bytes; a config is a small YAML "
                              f"file (at most {MAX_CONFIG_BYTES} bytes)")
        raw = path.read_bytes()
    except OSError as exc:
        raise ConfigError(f"cannot read config file {where}: {exc.strerror or exc}") from None
    if b"\0" in raw:
        raise ConfigError(f"config file {where} is a binary file, not YAML text")
    try:
        return raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ConfigError(f"config file {where} is not UTF-8 text (byte {exc.start}); "
                          f"save it as UTF-8") from None


class _NoAliasLoader(yaml.SafeLoader):
    """PyYAML's safe loader without aliases: ``*name`` repeats an anchored
    node, and nested repeats make a 400-byte file expand to gigabytes (an
    "alias bomb"). A config never needs them."""

    def compose_node(self, parent, index):
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()
            raise ConfigError(f"line {event.start_mark.line + 1}: YAML aliases "
                              f"(*{short_repr(event.anchor, 40)[1:-1]}) are not allowed in a config; "
                              f"write the value out")
        return super().compose_node(parent, index)


def safe_yaml_load(text: str, where: str) -> Any:
    """``yaml.safe_load`` without aliases; every error is a ConfigError
    starting with ``where`` (the file) and of bounded length."""
    try:
        return yaml.load(text, Loader=_NoAliasLoader)  # noqa: S506 (a SafeLoader)
    except ConfigError as exc:
        raise ConfigError(f"{where}: {exc}") from None
    except yaml.YAMLError as exc:
        raise ConfigError(f"{where}: not valid YAML: {short_text(exc)}") from None
    except RecursionError:
        raise ConfigError(f"{where}: nested too deeply to be a config") from None


def dump_config(config: TrainConfig, path: str | Path, header: str = "") -> None:
    text = yaml.safe_dump(config.to_dict(), sort_keys=False, default_flow_style=None)
    comment = "".join(f"# {line}\n" for line in header.splitlines())
    atomic.write_text(path, comment + text)


# -------------------------------------------------------------- validation
def _type_name(value: Any) -> str:
    return type(value).__name__


def _bad_type(key: str, expected: str, value: Any) -> ConfigError:
    return ConfigError(f"{key!r} must be {expected}, got {short_repr(value)} ({_type_name(value)})")


def _number(key: str, value: Any, *, nullable: bool = False) -> float | None:
    if value is None and nullable:
        return None
    # PyYAML reads 1e-3 (no dot) as a string; accept numeric strings so
    # "learning_rate: 1e-3" means what it looks like.
    if isinstance(value, str):
        try:
            value = float(value)
        except ValueError:
            raise _bad_type(key, _NUMBER + (" or null" if nullable else ""), value) from None
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        raise _bad_type(key, _NUMBER + (" or null" if nullable else ""), value)
    if not math.isfinite(value):
        raise ConfigError(f"{key!r} must be a finite number, got {short_repr(value)}")
    return value


def _integer(key: str, value: Any, lo: int | None = None, *, hi: int | None = None,
             nullable: bool = False) -> int | None:
    if value is None and nullable:
        return None
    expected = _INT + (f" >= {lo}" if lo is not None and hi is None else "") \
        + (f" in [{lo}, {hi}]" if hi is not None else "") + (" or null" if nullable else "")
    if isinstance(value, str):  # "3e6" from YAML
        try:
            value = float(value)
        except ValueError:
            raise _bad_type(key, expected, value) from None
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    if isinstance(value, bool) or not isinstance(value, int):
        raise _bad_type(key, expected, value)
    if (lo is not None and value < lo) or (hi is not None and value > hi):
        raise ConfigError(f"{key!r} must be {expected}, got {short_repr(value)}")
    return value


def _fraction(key: str, value: Any) -> float:
    v = _number(key, value)
    if not 0.0 <= v <= 1.0:
        raise _bad_type(key, "a number in [0, 1]", value)
    return v


def _boolean(key: str, value: Any) -> bool:
    if not isinstance(value, bool):
        raise _bad_type(key, _BOOL, value)
    return value


def _mapping(key: str, value: Any) -> dict[str, Any]:
    if value is None:
        return {}
    if not isinstance(value, dict):
        raise _bad_type(key, "a mapping", value)
    for k in value:
        if not isinstance(k, str):
            raise ConfigError(f"{key!r}: keys must be strings, got {short_repr(k)}")
    return dict(value)


def _check_keys(prefix: str, data: dict[str, Any], allowed: list[str] | tuple[str, ...]) -> None:
    unknown = [k for k in data if k not in allowed]
    if unknown:
        where = f"in {prefix!r}" if prefix else "at the top level"
        names = ", ".join(short_repr(f"{prefix}.{k}" if prefix else k) for k in unknown[:5])
        raise ConfigError(f"unknown key {names} {where}; allowed keys: {', '.join(allowed)}")


def _parse(data: Any, *, resolve: bool) -> TrainConfig:
    if not isinstance(data, dict):
        raise ConfigError(f"a config must be a mapping of keys to values, got {_type_name(data)}")
    names = [f.name for f in dataclasses.fields(TrainConfig)]
    _check_keys("", data, names)
    d = TrainConfig()
    get = lambda k: data.get(k, getattr(d, k))  # noqa: E731

    algorithm = get("algorithm")
    if not isinstance(algorithm, str):
        raise _bad_type("algorithm", f"one of {', '.join(ALGORITHMS)}", algorithm)
    match = {a.lower(): a for a in ALGORITHMS}.get(algorithm.lower())
    if match is None:
        raise ConfigError(f"'algorithm': unknown algorithm {short_repr(algorithm)}; choose one of {', '.join(ALGORITHMS)}")

    cfg = TrainConfig(
        algorithm=match,
        total_timesteps=_integer("total_timesteps", get("total_timesteps"), 1),
        n_envs=_integer("n_envs", get("n_envs"), 1),
        num_threads=_integer("num_threads", get("num_threads"), 0, hi=MAX_NUM_THREADS),
        torch_threads=_integer("torch_threads", get("torch_threads"), 1),
        seed=_integer("seed", get("seed"), 0, nullable=True),
        env_kwargs=_env_kwargs(get("env_kwargs"), resolve),
        wrappers=_wrappers(data.get("wrappers")),
        learner_kwargs={},
        checkpoint_every=_integer("checkpoint_every", get("checkpoint_every"), 0),
        save_replay_buffer=_boolean("save_replay_buffer", get("save_replay_buffer")),
        eval_every=_integer("eval_every", get("eval_every"), 0),
        eval_episodes=_integer("eval_episodes", get("eval_episodes"), 1),
        eval_all_starts=_boolean("eval_all_starts", get("eval_all_starts")),
        eval_deterministic=_boolean("eval_deterministic", get("eval_deterministic")),
        best_model_by=_choice("best_model_by", get("best_model_by"), BEST_MODEL_BY),
        best_min_success=_fraction("best_min_success", get("best_min_success")),
        log_every=_integer("log_every", get("log_every"), 1),
        log_formats=_log_formats(get("log_formats")),
        init_policy=_init_policy(get("init_policy")),
        vec_env=_choice("vec_env", get("vec_env"), VEC_ENVS),
    )
    check_engine_memory(cfg.n_envs, cfg.num_threads)
    if cfg.save_replay_buffer and not cfg.off_policy:
        raise ConfigError(f"'save_replay_buffer': {cfg.algorithm} is on-policy and has no replay buffer; "
                          f"set it to false (it applies to {', '.join(OFF_POLICY)})")
    cfg.learner_kwargs = _learner_kwargs(cfg.algorithm, get("learner_kwargs"), resolve)
    starts = cfg.learner_kwargs.get("learning_starts") if cfg.off_policy else None
    if starts is not None and cfg.total_timesteps <= starts:
        # SB3 would collect experience and never take a gradient step, silently.
        raise ConfigError(f"'total_timesteps' ({cfg.total_timesteps}) must be greater than "
                          f"'learner_kwargs.learning_starts' ({starts}): {cfg.algorithm} learns only after "
                          f"learning_starts steps, so this run would train nothing")
    return cfg


LOG_FORMATS = ("tensorboard", "csv", "stdout", "json", "log")


def _log_formats(value: Any) -> list[str]:
    if isinstance(value, str):
        value = [v.strip() for v in value.split(",") if v.strip()]
    if not isinstance(value, list) or not all(isinstance(v, str) for v in value):
        raise _bad_type("log_formats", f"a list of {', '.join(LOG_FORMATS)}", value)
    bad = [v for v in value if v not in LOG_FORMATS]
    if bad:
        raise ConfigError(f"'log_formats': unknown output {bad[0]!r}; choose from {', '.join(LOG_FORMATS)}")
    return list(dict.fromkeys(value))


def _env_kwargs(value: Any, resolve: bool) -> dict[str, Any]:
    kwargs = _mapping("env_kwargs", value)
    # One option at a time first, so the error names the offending key.
    for key, v in kwargs.items():
        try:
            EnvOptions.from_kwargs(**{key: v})
        except (TypeError, ValueError) as exc:
            raise ConfigError(f"'env_kwargs.{short_repr(key)[1:-1]}': {exc}") from None
    try:
        options = EnvOptions.from_kwargs(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"'env_kwargs': {exc}") from None
    if resolve:
        return options.as_dict()
    # Keep only what was given, but in the validated (normalised) form.
    return {k: v for k, v in options.as_dict().items() if k in kwargs}


def _wrappers(value: Any) -> WrappersConfig:
    data = _mapping("wrappers", value)
    _check_keys("wrappers", data, [f.name for f in dataclasses.fields(WrappersConfig)])
    shaping = data.get("reward_shaping")
    if shaping is None or shaping is False:
        return WrappersConfig(None)
    if shaping is True:  # "reward_shaping: true" = the default weights
        return WrappersConfig(RewardShapingConfig())
    shaping = _mapping("wrappers.reward_shaping", shaping)
    allowed = [f.name for f in dataclasses.fields(RewardShapingConfig)]
    _check_keys("wrappers.reward_shaping", shaping, allowed)
    return WrappersConfig(RewardShapingConfig(**{
        k: float(_number(f"wrappers.reward_shaping.{k}", v)) for k, v in shaping.items()}))


def _learner_kwargs(algorithm: str, value: Any, resolve: bool) -> dict[str, Any]:
    kwargs = _mapping("learner_kwargs", value)
    cls = algorithm_class(algorithm)
    params = inspect.signature(cls.__init__).parameters
    for key in kwargs:
        if key in RESERVED_LEARNER_KEYS:
            raise ConfigError(f"'learner_kwargs.{key}' cannot be set in a config: {RESERVED_LEARNER_KEYS[key]}")
    allowed = [p for p in params if p != "self" and p not in RESERVED_LEARNER_KEYS]
    _check_keys("learner_kwargs", kwargs, allowed)

    out: dict[str, Any] = {}
    for key, v in kwargs.items():
        name = f"learner_kwargs.{key}"
        kind = _LEARNER_KINDS.get(key)
        if kind == _NUMBER:
            v = _number(name, v)
        elif kind == _INT:
            v = _integer(name, v, _INT_LOWER_BOUNDS.get(key))
        elif kind == _BOOL:
            v = _boolean(name, v)
        elif kind == _STR and not isinstance(v, str):
            raise _bad_type(name, _STR, v)
        elif key in _NULLABLE_NUMBERS:
            v = _number(name, v, nullable=True)
        elif key == "train_freq":
            v = _train_freq(name, v)
        elif key in ("replay_buffer_kwargs", "rollout_buffer_kwargs") and v is not None:
            v = _mapping(name, v)
        out[key] = v

    policy = out.setdefault("policy", DEFAULT_POLICY[algorithm])
    if policy not in cls.policy_aliases:
        raise ConfigError(f"'learner_kwargs.policy': {algorithm} has no policy {short_repr(policy)}; "
                          f"choose one of {', '.join(cls.policy_aliases)}")
    out.setdefault("device", "cpu")  # the pinned torch is the CPU build; "auto" would probe CUDA
    if kwargs.get("policy_kwargs") is not None:
        out["policy_kwargs"] = _policy_kwargs(cls.policy_aliases[policy], kwargs["policy_kwargs"], algorithm)

    if resolve:
        # Record the algorithm's defaults too: config.yml then says exactly
        # what ran, whatever the installed stable-baselines3 defaults are.
        for key, p in params.items():
            if key in allowed and key not in out and p.default is not inspect.Parameter.empty:
                if p.default is None or isinstance(p.default, (bool, int, float, str)):
                    out[key] = p.default
        out = {k: out[k] for k in allowed if k in out}  # signature order
    return out


def _train_freq(key: str, value: Any) -> int | list:
    if isinstance(value, (list, tuple)):
        if len(value) != 2 or value[1] not in ("step", "episode"):
            raise _bad_type(key, 'an integer or [integer, "step" or "episode"]', value)
        return [_integer(key, value[0], 1), value[1]]
    return _integer(key, value, 1)


def _policy_kwargs(policy_cls: type, value: Any, algorithm: str) -> dict[str, Any]:
    prefix = "learner_kwargs.policy_kwargs"
    pk = _mapping(prefix, value)
    params = inspect.signature(policy_cls.__init__).parameters
    # observation_space, action_space and lr_schedule come from the algorithm.
    allowed = [p for p in params if p not in ("self", "observation_space", "action_space", "lr_schedule")]
    _check_keys(prefix, pk, allowed)
    out = dict(pk)
    if "net_arch" in pk:
        out["net_arch"] = _net_arch(f"{prefix}.net_arch", pk["net_arch"], algorithm)
    # torch classes are given by name (YAML holds no Python objects)
    for key, what, names in (("activation_fn", "an activation function", ACTIVATIONS),
                             ("optimizer_class", "an optimizer", OPTIMIZERS)):
        if key in pk:
            v = pk[key]
            if not isinstance(v, str) or v.lower() not in names:
                raise ConfigError(f"'{prefix}.{key}' must be the name of {what} "
                                  f"({', '.join(names)}), got {short_repr(v)}")
            out[key] = v.lower()
    for key in ("n_quantiles", "lstm_hidden_size", "n_lstm_layers"):
        if key in pk:
            out[key] = _integer(f"{prefix}.{key}", pk[key], 1)
    for key in ("ortho_init", "normalize_images", "share_features_extractor", "shared_lstm",
                "enable_critic_lstm", "dueling"):
        if key in pk:
            out[key] = _boolean(f"{prefix}.{key}", pk[key])
    if "log_std_init" in pk:
        out["log_std_init"] = _number(f"{prefix}.log_std_init", pk["log_std_init"])
    if "optimizer_kwargs" in pk:
        out["optimizer_kwargs"] = _mapping(f"{prefix}.optimizer_kwargs", pk["optimizer_kwargs"])
    return out


def _net_arch(key: str, value: Any, algorithm: str) -> list[int] | dict[str, list[int]]:
    def layers(k: str, v: Any) -> list[int]:
        if not isinstance(v, list):
            raise _bad_type(k, "a list of layer sizes (integers >= 1)", v)
        return [_integer(f"{k}[{i}]", n, 1) for i, n in enumerate(v)]

    if isinstance(value, dict) and algorithm not in OFF_POLICY:
        _check_keys(key, value, ["pi", "vf"])
        return {k: layers(f"{key}.{k}", v) for k, v in value.items()}
    if isinstance(value, dict):
        raise _bad_type(key, f"a list of layer sizes for {algorithm} (pi/vf dicts are for actor-critic)", value)
    return layers(key, value)
