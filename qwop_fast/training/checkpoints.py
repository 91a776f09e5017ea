"""Loading a saved model (a checkpoint) and the env options it was trained with.

Shared by ``qwop-fast watch`` and ``qwop-fast evaluate``:

* ``load_model(path)``: an SB3 / sb3-contrib model from its ``.zip``; the
  algorithm is read from the zip's saved data (its policy class, else its
  hyperparameters), and the other algorithms of QRDQN, DQN, PPO, A2C and
  RecurrentPPO are tried in turn if that one cannot load it.
* ``find_run_config(path)`` / ``load_env_kwargs(path, model)``: the
  ``env_kwargs`` of the ``config.yml`` next to the model or in its parent run
  folder, checked against ``EnvOptions``, plus the action-set size the model
  itself was trained on.

User mistakes (missing file, not a model, bad config) raise ``ModelError``
with a message naming the file; callers print it without a traceback.
"""

from __future__ import annotations

import json
import warnings
import zipfile
from pathlib import Path
from typing import Any

import yaml

from .. import runner_table
from ..errors import UserError
from ..options import EnvOptions
from .algorithms import ALGORITHMS, NSTEP_WARNING, algorithm_class

CONFIG_NAME = "config.yml"


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


def load_model(path: str | Path, device: str = "cpu") -> Any:
    """The trained model saved at ``path`` (an SB3 ``.zip``).

    Raises ModelError naming the file when it is missing, is not an SB3 zip,
    or no known algorithm can load it.
    """
    p = Path(path)
    if not p.exists():
        raise ModelError(f"model file {str(path)!r} does not exist")
    if p.is_dir():
        raise ModelError(f"model path {str(path)!r} is a directory; give the model's .zip file")
    candidates = _candidate_algorithms(_read_data(p))  # also checks that it is an SB3 zip
    order = candidates + [a for a in ALGORITHMS if a not in candidates]
    errors = []
    for name in order:
        try:
            with warnings.catch_warnings():
                warnings.filterwarnings("ignore", message=NSTEP_WARNING)
                return algorithm_class(name).load(p, device=device)
        except Exception as exc:  # each algorithm fails differently on a foreign zip
            errors.append(f"{name}: {type(exc).__name__}: {exc}")
    raise ModelError(f"model file {str(path)!r} could not be loaded by any of "
                     f"{', '.join(order)}:\n  " + "\n  ".join(errors))


def find_run_config(model_path: str | Path) -> Path | None:
    """``config.yml`` next to the model, else in the folder above it (a run
    folder holding the model in a subfolder such as ``checkpoints/``)."""
    folder = Path(model_path).resolve().parent
    for candidate in (folder / CONFIG_NAME, folder.parent / CONFIG_NAME):
        if candidate.is_file():
            return candidate
    return None


def read_env_kwargs(config_path: str | Path) -> dict[str, Any]:
    """The ``env_kwargs`` mapping of a run config (empty when it has none),
    validated as ``EnvOptions``; ModelError naming the file otherwise."""
    p = Path(config_path)
    try:
        with p.open() as f:
            config = yaml.safe_load(f)
    except OSError as exc:
        raise ModelError(f"cannot read run config {str(p)!r}: {exc.strerror or exc}") from exc
    except yaml.YAMLError as exc:
        raise ModelError(f"run config {str(p)!r} is not valid YAML: {exc}") from exc
    if config is None:
        return {}
    if not isinstance(config, dict):
        raise ModelError(f"run config {str(p)!r} must be a mapping at the top level")
    env_kwargs = config.get("env_kwargs") or {}
    if not isinstance(env_kwargs, dict):
        raise ModelError(f"run config {str(p)!r}: env_kwargs must be a mapping of env options, "
                         f"got {type(env_kwargs).__name__}")
    try:
        EnvOptions.from_kwargs(**env_kwargs)
    except (TypeError, ValueError) as exc:
        raise ModelError(f"run config {str(p)!r}: env_kwargs: {exc}") from exc
    return dict(env_kwargs)


def load_env_kwargs(model_path: str | Path, model: Any = None) -> tuple[dict[str, Any], Path | None]:
    """Env options to run the model at ``model_path`` with, and the config
    file they came from (None without one).

    Without a config saying otherwise, the action set follows the model's
    action space (9 actions: the reduced set, 16: the full set).
    """
    config = find_run_config(model_path)
    env_kwargs = read_env_kwargs(config) if config else {}
    if model is not None:
        n = _n_actions(model)
        reduced, full = len(runner_table.REDUCED_ACTION_KEYS), len(runner_table.FULL_ACTION_KEYS)
        if "reduced_action_set" not in env_kwargs and n in (reduced, full):
            env_kwargs["reduced_action_set"] = n == reduced
        check_compatible(model, EnvOptions.from_kwargs(**env_kwargs), model_path)
    return env_kwargs, config


def check_compatible(model: Any, options: EnvOptions, model_path: str | Path = "model") -> None:
    """ModelError unless the model's spaces fit a QWOP env with ``options``."""
    obs_shape = getattr(model.observation_space, "shape", None)
    if obs_shape != (runner_table.OBS_SIZE,):
        raise ModelError(f"model {str(model_path)!r} expects observations of shape {obs_shape}, "
                         f"but QWOP observations have shape ({runner_table.OBS_SIZE},)")
    n = _n_actions(model)
    if n != options.n_actions:
        raise ModelError(f"model {str(model_path)!r} has {n} actions, but the env has {options.n_actions} "
                         f"(reduced_action_set={options.reduced_action_set})")


def _n_actions(model: Any) -> int | None:
    n = getattr(model.action_space, "n", None)  # a numpy integer in SB3's Discrete
    return None if n is None else int(n)


def _read_data(p: Path) -> dict[str, Any]:
    try:
        with zipfile.ZipFile(p) as z:
            raw = z.read("data")
    except zipfile.BadZipFile:
        raise ModelError(f"model file {str(p)!r} is not a zip archive (is it a Stable-Baselines3 .zip?)") from None
    except KeyError:
        raise ModelError(f"model file {str(p)!r} is a zip but has no 'data' entry: "
                         "not a Stable-Baselines3 model") from None
    except OSError as exc:
        raise ModelError(f"cannot read model file {str(p)!r}: {exc.strerror or exc}") from exc
    try:
        data = json.loads(raw)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ModelError(f"model file {str(p)!r} has a corrupt 'data' entry: {exc}") from None
    if not isinstance(data, dict):
        raise ModelError(f"model file {str(p)!r} has a corrupt 'data' entry (not a JSON object)")
    return data
