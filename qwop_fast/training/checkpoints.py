"""Saving and loading models (checkpoints) and the env options they were trained with.

Shared by ``qwop-fast train``, ``watch`` and ``evaluate``:

* ``save_model`` / ``save_replay_buffer``: SB3's saves, written atomically
  (``qwop_fast.atomic``); a model also gets the run stamp, a
  ``qwop_fast_run.json`` entry with its run id and resolved config.
* ``load_model(path)``: an SB3 / sb3-contrib model from its ``.zip``, without
  running pickled code unless ``trust=True`` (see ``load_model``); the
  algorithm is read from the zip's saved data (its policy class, else its
  hyperparameters), and the other algorithms of QRDQN, DQN, PPO, A2C and
  RecurrentPPO are tried in turn if that one cannot load it.
* ``load_env_kwargs(path, model)``: the env options of the model's run (its
  stamp, else the ``config.yml`` that `qwop-fast train` wrote in its run
  folder), checked against ``EnvOptions``, plus the action-set size the
  model itself was trained on.

User mistakes (missing file, not a model, bad config, an untrusted pickle)
raise ``ModelError`` with a message naming the file; callers print it
without a traceback.
"""

from __future__ import annotations

import inspect
import io
import json
import re
import sys
import warnings
import zipfile
import zlib
from pathlib import Path
from typing import Any

import yaml

from .. import atomic, runner_table
from ..errors import UserError, short_repr, short_text
from ..options import EnvOptions
from .algorithms import ALGORITHMS, NSTEP_WARNING, algorithm_class
from .config import ConfigError, read_config_text, safe_yaml_load

CONFIG_NAME = "config.yml"
# The first line `qwop-fast train` writes into a run's config.yml; a
# config.yml without it (for this folder's name) is not a run config.
RUN_CONFIG_HEADER = "qwop-fast train: resolved config of run {run_id}"
# The zip entry that says which run (and config) a model comes from.
STAMP_NAME = "qwop_fast_run.json"
STAMP_FORMAT = "qwop-fast-model"
MAX_STAMP_BYTES = 1 << 20
# SB3's data JSON of a QWOP model is ~20 KB; far larger is not a model's.
MAX_DATA_BYTES = 64 << 20


class ModelError(UserError, ValueError):
    """A model or run config that cannot be used; the message names the file."""


def detect_algorithm(path: str | Path) -> str | None:
    """The algorithm that saved the zip at ``path``, from its ``data`` entry,
    or None when the data does not settle it."""
    candidates = _candidate_algorithms(_read_data(Path(path)))
    return candidates[0] if len(candidates) == 1 else None


def _candidate_algorithms(data: dict[str, Any]) -> list[str]:
    """The algorithms that can have written ``data``, most likely first.

    SB3 records the policy class's module: ``...dqn.policies`` (DQN),
    ``...qrdqn.policies`` (QRDQN), ``...common.recurrent.policies``
    (RecurrentPPO), while PPO and A2C share ``...common.policies`` and differ
    in PPO's ``clip_range``. A custom policy class hides the module, so then
    the hyperparameters each algorithm saves decide, and PPO-style data may
    be either PPO or RecurrentPPO.
    """
    module = str(data.get("policy_class", {}).get("__module__", ""))
    if module.startswith("sb3_contrib.qrdqn"):
        return ["QRDQN"]
    if module.startswith("stable_baselines3.dqn"):
        return ["DQN"]
    if module.startswith("sb3_contrib.common.recurrent"):
        return ["RecurrentPPO"]
    if module == "stable_baselines3.common.policies":
        return ["PPO"] if "clip_range" in data else ["A2C"]
    if "n_quantiles" in data:
        return ["QRDQN"]
    if "exploration_rate" in data:
        return ["DQN"]
    if "clip_range" in data:
        # RecurrentPPO refuses a non-recurrent policy, so trying it first is safe.
        return ["RecurrentPPO", "PPO"]
    if "gae_lambda" in data:
        return ["A2C"]
    return []


def load_model(path: str | Path, device: str = "cpu", *, trust: bool = False,
               algorithm_cls: type | None = None, learner_kwargs: dict[str, Any] | None = None,
               **load_kwargs: Any) -> Any:
    """The trained model saved at ``path`` (an SB3 ``.zip``).

    By default no pickled code of the file runs: SB3 keeps the policy class,
    spaces, schedules and buffers of a model as cloudpickled entries of the
    zip's ``data`` JSON, and unpickling them can run anything. Each is rebuilt
    here instead from our own classes (the algorithm's policy classes, the
    QWOP spaces, constant schedules read from the JSON, the learner settings
    of the run's config), and the weights come from ``policy.pth`` etc.,
    which SB3 reads with ``torch.load(weights_only=True)``. An entry that
    cannot be rebuilt that way is a ModelError pointing at ``trust=True``
    (``--trust-model``), which loads the file as SB3 does, pickles included.

    ``algorithm_cls`` loads with that class only (``--resume``);
    ``learner_kwargs`` are the run's (default: from the model's run stamp or
    its run config.yml); ``load_kwargs`` go to ``cls.load`` (env, ...).

    Raises ModelError naming the file when it is missing, is not an SB3 zip,
    or no known algorithm can load it.
    """
    p = Path(path)
    if not p.exists():
        raise ModelError(f"model file {_short(path)} does not exist")
    if p.is_dir():
        raise ModelError(f"model path {_short(path)} is a directory; give the model's .zip file")
    data = _read_data(p)  # also checks that it is an SB3 zip
    candidates = _candidate_algorithms(data)
    if algorithm_cls is not None:
        order = [algorithm_cls]
    else:
        order = [algorithm_class(a) for a in candidates + [a for a in ALGORITHMS if a not in candidates]]
    if learner_kwargs is None:
        learner_kwargs = _run_learner_kwargs(p)
    errors = []
    for cls in order:
        try:
            custom = None if trust else _safe_objects(data, cls, learner_kwargs, p)
        except ModelError as exc:
            errors.append(f"{cls.__name__}: {exc}")
            continue
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=NSTEP_WARNING)
                return cls.load(p, device=device, custom_objects=custom, **load_kwargs)
        except Exception as exc:  # each algorithm fails differently on a foreign zip
            errors.append(f"{cls.__name__}: {type(exc).__name__}: {_clip(exc)}")
    names = ", ".join(c.__name__ for c in order)
    raise ModelError(f"model file {_short(path)} could not be loaded by any of {names}:\n  "
                     + "\n  ".join(errors))


# ----------------------------------------------- loading without unpickling
# Entries that only matter to a learn() call already under way; the next
# learn() rebuilds them (SB3's _setup_learn) and --resume resets the env.
_RUNTIME_STATE = ("_last_obs", "_last_episode_starts", "_last_original_obs", "ep_info_buffer",
                  "ep_success_buffer")
# Rebuilt by the algorithm's _setup_model from plain JSON values
# (learning_rate, exploration_initial_eps, ...).
_REBUILT_BY_SETUP = ("lr_schedule", "exploration_schedule")
_STANDARD_BUFFERS = {"replay_buffer_class": ("ReplayBuffer", "NStepReplayBuffer"),
                     "rollout_buffer_class": ("RolloutBuffer", "RecurrentRolloutBuffer")}
_CONSTANT_RE = re.compile(r"^ConstantSchedule\(val=([-+0-9.eE]+|inf|nan)\)$")
_CLASS_RE = re.compile(r"^<class '([\w.]+)'>$")
_FUNCTION_OF_RE = re.compile(r"^<function (\w+)\.__init__ at ")


def _safe_classes() -> dict[str, type]:
    """Classes a saved policy_kwargs may name, by their repr: the torch
    activations and optimizers a config may name, and SB3's own extractors."""
    import torch
    from stable_baselines3.common import torch_layers

    from .config import ACTIVATIONS, OPTIMIZERS

    classes = [getattr(torch.nn, n) for n in ACTIVATIONS.values()]
    classes += [getattr(torch.optim, n) for n in OPTIMIZERS.values()]
    classes += [torch_layers.FlattenExtractor, torch_layers.NatureCNN, torch_layers.CombinedExtractor]
    return {f"<class '{c.__module__}.{c.__qualname__}'>": c for c in classes}


def _safe_objects(data: dict[str, Any], cls: type, learner_kwargs: dict[str, Any], p: Path) -> dict[str, Any]:
    """A replacement for every cloudpickled entry of ``data`` (SB3's
    ``custom_objects``: entries given there are never unpickled)."""
    from gymnasium import spaces

    from .. import contract

    def refuse(key: str, why: str) -> ModelError:
        return ModelError(f"model file {_short(p)}: its {short_repr(key)} is pickled Python code that qwop-fast does "
                          f"not rebuild ({why}); if you trust the file, load it with --trust-model "
                          f"(Python: load_model(..., trust=True))")

    out: dict[str, Any] = {}
    for key, item in data.items():
        if not (isinstance(item, dict) and ":serialized:" in item):
            continue
        if key in _RUNTIME_STATE or key in _REBUILT_BY_SETUP:
            out[key] = None
        elif key == "observation_space":
            space = contract.observation_space()
            if item.get("_shape") != list(space.shape) or item.get("dtype") != "float32":
                raise refuse(key, "not the QWOP observation space (60 float32 values)")
            out[key] = space
        elif key == "action_space":
            n = _int_text(item.get("n"))
            if not str(item.get(":type:", "")).endswith("Discrete'>") or n not in (9, 16) \
                    or _int_text(item.get("start", "0")) != 0:
                raise refuse(key, "not a QWOP action space (Discrete(9) or Discrete(16))")
            out[key] = spaces.Discrete(n)
        elif key == "policy_class":
            out[key] = _policy_class(cls, item, refuse)
        elif key == "policy_kwargs":
            out[key] = _policy_kwargs(item, refuse)
        elif key in ("clip_range", "clip_range_vf"):
            value = _constant(item)
            if value is None:
                value = learner_kwargs.get(key)
            if not isinstance(value, (int, float)) or isinstance(value, bool):
                raise refuse(key, "not a constant schedule, and the run's config does not give it")
            out[key] = float(value)
        elif key in _STANDARD_BUFFERS:
            name = _FUNCTION_OF_RE.match(str(item.get("__init__", "")))
            if name is None or name.group(1) not in _STANDARD_BUFFERS[key]:
                raise refuse(key, "a custom buffer class")
            out[key] = None  # SB3 picks the standard one (NStepReplayBuffer when n_steps > 1)
        elif key == "train_freq":
            value = learner_kwargs.get("train_freq")
            if value is None:
                value = inspect.signature(cls.__init__).parameters["train_freq"].default
            out[key] = tuple(value) if isinstance(value, list) else value
        else:
            raise refuse(key, "not an entry qwop-fast knows")
    return out


def _policy_class(cls: type, item: dict[str, Any], refuse) -> type:
    # The class is named by its methods' reprs ("<function DQNPolicy.__init__ at ...>");
    # only the algorithm's own policy classes are candidates.
    m = _FUNCTION_OF_RE.match(str(item.get("__init__", "")))
    for policy in cls.policy_aliases.values():
        if m is not None and policy.__name__ == m.group(1):
            return policy
    raise refuse("policy_class", f"not one of {cls.__name__}'s policies "
                                 f"({', '.join(p.__name__ for p in cls.policy_aliases.values())})")


def _policy_kwargs(item: dict[str, Any], refuse) -> dict[str, Any]:
    classes = _safe_classes()
    out = {}
    for key, value in item.items():
        if key in (":type:", ":serialized:"):
            continue
        if isinstance(value, str) and value.startswith("<"):
            if value not in classes:
                raise refuse("policy_kwargs", f"{key} = {_clip(value)} is not a class it knows")
            value = classes[value]
        out[key] = value
    return out


def _constant(item: dict[str, Any]) -> float | None:
    m = _CONSTANT_RE.match(str(item.get("value_schedule", "")))
    return float(m.group(1)) if m else None


def _int_text(value: Any) -> int | None:
    try:
        return int(str(value)) if len(str(value)) < 10 else None
    except ValueError:
        return None


def _clip(value: Any, limit: int = 300) -> str:
    """A message part of bounded length (a file may hold megabytes in one field)."""
    return short_text(value, limit)


def _short(path: Any) -> str:
    return repr(_clip(path, 200))


# --------------------------------------------------------- the run stamp
def save_model(model: Any, path: str | Path, *, run_id: str, config: dict[str, Any]) -> Path:
    """``model.save(path)``, atomically, with the run stamp: an entry
    ``qwop_fast_run.json`` (run id and resolved config) that tells
    watch/evaluate which env options the model was trained with, whatever
    config.yml lies beside the file (SB3 ignores entries it does not know)."""
    buf = io.BytesIO()
    model.save(buf)
    with zipfile.ZipFile(buf, "a") as z:
        z.writestr(STAMP_NAME, json.dumps({"format": STAMP_FORMAT, "version": 1, "run_id": run_id,
                                           "config": config}, indent=1))
    return atomic.write_bytes(path, buf.getvalue())


def save_replay_buffer(model: Any, path: str | Path) -> Path:
    """``model.save_replay_buffer(path)``, atomically (it can be gigabytes:
    streamed to the temporary file, not built in memory)."""
    with atomic.atomic_open(path, "wb") as f:
        model.save_replay_buffer(f)
    return Path(path)


def read_stamp(path: str | Path) -> dict[str, Any] | None:
    """The run stamp of the model at ``path`` (None for a zip without one,
    e.g. one saved by SB3 directly)."""
    try:
        with zipfile.ZipFile(path) as z:
            info = z.getinfo(STAMP_NAME)
            if info.file_size > MAX_STAMP_BYTES:
                raise ModelError(f"model file {_short(path)}: {STAMP_NAME} is {info.file_size} bytes, "
                                 f"more than a run stamp can be ({MAX_STAMP_BYTES})")
            raw = z.read(info)
    except (KeyError, zipfile.BadZipFile, OSError):
        return None
    try:
        stamp = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError):
        raise ModelError(f"model file {_short(path)}: {STAMP_NAME} is not valid JSON") from None
    if not (isinstance(stamp, dict) and stamp.get("format") == STAMP_FORMAT
            and isinstance(stamp.get("config"), dict) and isinstance(stamp.get("run_id"), str)):
        raise ModelError(f"model file {_short(path)}: {STAMP_NAME} is not a qwop-fast run stamp")
    return stamp


def _run_learner_kwargs(p: Path) -> dict[str, Any]:
    """learner_kwargs of the run the model belongs to, for rebuilding its
    settings without unpickling (empty when unknown)."""
    try:
        stamp = read_stamp(p)
    except ModelError:
        stamp = None
    if stamp is not None:
        value = stamp["config"].get("learner_kwargs")
        return value if isinstance(value, dict) else {}
    config = find_run_config(p)
    if config is None:
        return {}
    try:
        data = safe_yaml_load(config.read_text(encoding="utf-8"), str(config))
    except (OSError, UnicodeDecodeError, ValueError, yaml.YAMLError):
        return {}
    value = data.get("learner_kwargs") if isinstance(data, dict) else None
    return value if isinstance(value, dict) else {}


def run_config_header(run_id: str) -> str:
    return RUN_CONFIG_HEADER.format(run_id=run_id)


def find_run_config(model_path: str | Path) -> Path | None:
    """The config.yml of the run folder the model sits in (next to it, or
    one level up for checkpoints/): only one that `qwop-fast train` wrote
    for that folder, so a model copied next to an unrelated config.yml does
    not silently take its env options."""
    folder = Path(model_path).resolve().parent
    for candidate in (folder / CONFIG_NAME, folder.parent / CONFIG_NAME):
        if candidate.is_file() and _is_run_config(candidate):
            return candidate
    return None


def _is_run_config(path: Path) -> bool:
    try:
        with path.open("rb") as f:
            first = f.readline(512).decode("utf-8", "replace").strip()
    except OSError:
        return False
    return first == "# " + run_config_header(path.parent.name)


def read_env_kwargs(config_path: str | Path) -> dict[str, Any]:
    """The ``env_kwargs`` mapping of a run config (empty when it has none),
    validated as ``EnvOptions``; ModelError naming the file otherwise."""
    p = Path(config_path)
    where = f"run config {_short(p)}"
    try:
        config = safe_yaml_load(read_config_text(p), where)
    except ConfigError as exc:
        raise ModelError(str(exc).replace("config file", "run config", 1)) from None
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise ModelError(f"{where} must be a mapping at the top level")
    return _checked_env_kwargs(config.get("env_kwargs"), where)


def _checked_env_kwargs(env_kwargs: Any, where: str) -> dict[str, Any]:
    env_kwargs = env_kwargs or {}
    if not isinstance(env_kwargs, dict):
        raise ModelError(f"{where}: env_kwargs must be a mapping of env options, "
                         f"got {type(env_kwargs).__name__}")
    try:
        EnvOptions.from_kwargs(**{str(k): v for k, v in env_kwargs.items()})
    except (TypeError, ValueError) as exc:
        raise ModelError(f"{where}: env_kwargs: {exc}") from None
    return dict(env_kwargs)


def load_env_kwargs(model_path: str | Path, model: Any = None) -> tuple[dict[str, Any], str | None]:
    """Env options to run the model at ``model_path`` with, and where they
    came from (None: the defaults).

    A model saved by `qwop-fast train` carries its run's config (the run
    stamp); an older one takes the config.yml of its run folder, if
    `qwop-fast train` wrote it (``find_run_config``). Without either, the
    action set follows the model's action space (9 actions: the reduced
    set, 16: the full set).
    """
    stamp = read_stamp(model_path)
    source = None
    if stamp is not None:
        env_kwargs = _checked_env_kwargs(stamp["config"].get("env_kwargs"), f"model file {_short(model_path)}")
        source = f"the model's run stamp (run {short_repr(stamp['run_id'])})"
    else:
        config = find_run_config(model_path)
        env_kwargs = read_env_kwargs(config) if config else {}
        if config is not None:
            source = str(config)
        else:
            stray = [c for c in (Path(model_path).resolve().parent / CONFIG_NAME,) if c.is_file()]
            if stray:
                print(f"note: ignoring {stray[0]}: it was not written by `qwop-fast train` for this "
                      f"folder, so its env options need not be the model's", file=sys.stderr)
    if model is not None:
        n = _n_actions(model)
        reduced, full = len(runner_table.REDUCED_ACTION_KEYS), len(runner_table.FULL_ACTION_KEYS)
        if "reduced_action_set" not in env_kwargs and n in (reduced, full):
            env_kwargs["reduced_action_set"] = n == reduced
        check_compatible(model, EnvOptions.from_kwargs(**env_kwargs), model_path)
    return env_kwargs, source


def check_compatible(model: Any, options: EnvOptions, model_path: str | Path = "model") -> None:
    """ModelError unless the model's spaces fit a QWOP env with ``options``."""
    obs_shape = getattr(model.observation_space, "shape", None)
    if obs_shape != (runner_table.OBS_SIZE,):
        raise ModelError(f"model {_short(model_path)} expects observations of shape {obs_shape}, "
                         f"but QWOP observations have shape ({runner_table.OBS_SIZE},)")
    n = _n_actions(model)
    if n != options.n_actions:
        raise ModelError(f"model {_short(model_path)} has {n} actions, but the env has {options.n_actions} "
                         f"(reduced_action_set={options.reduced_action_set})")


def _n_actions(model: Any) -> int | None:
    n = getattr(model.action_space, "n", None)  # a numpy integer in SB3's Discrete
    return None if n is None else int(n)


def _read_data(p: Path) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(p) as z:
            info = z.getinfo("data")
            if info.file_size > MAX_DATA_BYTES:
                raise ModelError(f"model file {_short(p)}: its 'data' entry is {info.file_size} bytes, "
                                 f"far more than a model's ({MAX_DATA_BYTES} at most)")
            raw = z.read(info)
    except (zipfile.BadZipFile, EOFError, NotImplementedError, zlib.error):
        raise ModelError(f"model file {_short(p)} is not a zip archive (is it a Stable-Baselines3 .zip?)") from None
    except KeyError:
        raise ModelError(f"model file {_short(p)} is a zip but has no 'data' entry: "
                         "not a Stable-Baselines3 model") from None
    except OSError as exc:
        raise ModelError(f"cannot read model file {_short(p)}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError, RecursionError) as exc:
        raise ModelError(f"model file {_short(p)} has a corrupt 'data' entry: {_clip(exc, 200)}") from None
    if not isinstance(data, dict):
        raise ModelError(f"model file {_short(p)} has a corrupt 'data' entry (not a JSON object)")
    return data
