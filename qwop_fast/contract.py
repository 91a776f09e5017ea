"""What every QWOP env returns and exposes, defined once.

``QWOPEnv``, ``QWOPVecEnv`` and ``ReferenceQWOPEnv`` all build their spaces,
check actions, start ``reset``, build the ``info`` dict, the render state and
the option attributes from here, so the promise "a QWOPVecEnv of n is n
separate QWOPEnvs, and the reference is a drop-in QWOPEnv" rests on one
definition instead of three copies that could drift apart.

Numbers of the runner itself (observation size, action sets) come from
``runner_table``; this module only says how an env presents them.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from . import runner_table
from .options import EnvOptions, option_names

# Real game speed: the game clock advances 1/30 s per physics frame.
RENDER_FPS = 30

# The info dict of reset() and step(), in this order.
INFO_KEYS = ("distance", "game_time", "is_success", "episode_step")
# Per-env state at the end of the last step, readable on every env (the
# reward shaping reads the last three).
STATE_NAMES = (*INFO_KEYS, "joint_angle", "joint_limits", "body_pose", "body_state")
# The 12 bodies in the game's creation order: the rows of body_state / body_pose.
BODY_NAMES = runner_table.BODY_NAMES
# What one row of body_state holds, in world units (y points down) and radians.
BODY_STATE_FIELDS = ("x", "y", "angle", "vx", "vy", "omega")


def render_fps(frames_per_step: int) -> float:
    """Env steps per second at the game's real speed: one step shows
    ``frames_per_step`` physics frames, and the game runs 30 frames a second.
    What video writers (Gymnasium's RecordVideo, SB3's VecVideoRecorder,
    rl-zoo3) read from ``metadata["render_fps"]``, so videos play at real speed."""
    fps = RENDER_FPS / frames_per_step
    return int(fps) if fps.is_integer() else fps


def metadata(*render_modes: str, frames_per_step: int = EnvOptions.frames_per_step) -> dict[str, Any]:
    """An env's metadata; ``render_fps`` depends on ``frames_per_step``, so an
    env whose options differ from the defaults keeps its own copy."""
    return {"render_modes": list(render_modes), "render_fps": render_fps(frames_per_step)}


def check_render_mode(render_mode: str | None, allowed: list[str]) -> None:
    if render_mode is not None and render_mode not in allowed:
        names = ["None", *map(repr, allowed)]
        choice = names[0] if len(names) == 1 else f"{', '.join(names[:-1])} or {names[-1]}"
        raise ValueError(f"render_mode must be {choice}, got {render_mode!r}")


# ------------------------------------------------------------------ spaces
def observation_space() -> spaces.Box:
    return spaces.Box(-1.0, 1.0, (runner_table.OBS_SIZE,), np.float32)


def action_space(options: EnvOptions) -> spaces.Discrete:
    return spaces.Discrete(options.n_actions)


def check_action(action: Any, n_actions: int) -> int:
    """One action index, or a TypeError/ValueError saying what was expected."""
    if type(action) is int or isinstance(action, np.integer):  # the common case, fast
        if not 0 <= action < n_actions:
            raise ValueError(f"action must be in [0, {n_actions - 1}], got {action}")
        return int(action)
    arr = np.asarray(action)
    if arr.shape not in ((), (1,)) or arr.dtype.kind not in "iu":
        raise TypeError(f"action must be one integer in [0, {n_actions - 1}], got {action!r}")
    value = int(arr.reshape(()))
    if not 0 <= value < n_actions:
        raise ValueError(f"action must be in [0, {n_actions - 1}], got {value}")
    return value


# ---------------------------------------------------------- reset and step
def begin_reset(env: gym.Env, seed: int | None, options: dict[str, Any] | None) -> int | None:
    """The start of every QWOP env's reset(): check the seed, seed ``np_random``
    and the action space, refuse per-reset options. Returns the seed for the
    env's intro_frames stream: ``seed`` itself, one drawn from ``np_random`` on
    the first unseeded reset, or None to continue the stream."""
    if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                             or not 0 <= seed < 2**63):
        raise ValueError(f"seed must be None or an integer in [0, 2**63), got {seed!r:.60}")
    first = getattr(env, "_np_random", None) is None
    gym.Env.reset(env, seed=seed)
    if seed is not None:
        env.action_space.seed(seed)
    if options:
        raise ValueError(f"{type(env).__name__}.reset takes no options (got {sorted(options)}); "
                         "set env options as attributes or in the constructor")
    if seed is not None:
        return int(seed)
    return int(env.np_random.integers(2**63)) if first else None


def check_started(needs_reset: bool) -> None:
    if needs_reset:
        raise gym.error.ResetNeeded("call reset() before step(): the episode has not started or has ended")


def info(distance: float, game_time: float, is_success: bool, episode_step: int) -> dict[str, Any]:
    """The ``info`` dict of one env after a reset or a step (keys: INFO_KEYS)."""
    return {"distance": distance, "game_time": game_time, "is_success": is_success,
            "episode_step": episode_step}


def engine_infos(engine: Any, rows: Any = slice(None)) -> list[dict[str, Any]]:
    """``info`` of the engine's envs ``rows`` (all by default), as Python
    scalars: one ``tolist`` per buffer instead of one conversion per env."""
    return list(map(info, engine.distance[rows].tolist(), engine.game_time[rows].tolist(),
                    engine.is_success[rows].tolist(), engine.episode_step[rows].tolist()))


def render_state(engine: Any, i: int, keys: str) -> dict[str, Any]:
    """What a picture of env ``i`` of the engine needs, as plain numbers
    (``render.Renderer.draw`` reads it)."""
    return {
        "body_pose": engine.current_body_pose()[i],
        "hurdle_pose": engine.current_hurdle_pose()[i],
        "distance": float(engine.distance[i]),
        "game_time": float(engine.game_time[i]),
        "keys": keys,
    }


# ---------------------------------------------------------- option access
def replaced_options(options: EnvOptions, name: str, value: Any) -> EnvOptions:
    """``options`` with one option changed, as a live env may change it: the
    action set is fixed once the action space exists."""
    new = options.replace(**{name: value})
    if new.reduced_action_set != options.reduced_action_set:
        raise ValueError("reduced_action_set cannot be changed on a live engine "
                         "(it changes the action space); build a new one")
    return new


def add_option_properties(cls: type, set_option: Callable[[Any, str, Any], None]) -> None:
    """Make every env option a property of ``cls``: read from
    ``self.env_options``, written through ``set_option(self, name, value)``."""
    for name in option_names():
        setattr(cls, name, _option_property(name, set_option))


def _option_property(name: str, set_option: Callable[[Any, str, Any], None]) -> property:
    def get(self: Any) -> Any:
        return getattr(self.env_options, name)

    def set(self: Any, value: Any) -> None:
        set_option(self, name, value)

    return property(get, set, doc=f"Env option {name!r} (see EnvOptions).")
