"""``QWOPEnv``: one QWOP runner as a standard Gymnasium env.

It is the batched engine with ``n_envs=1`` (so it simulates exactly what
``QWOPVecEnv`` simulates), without auto-reset: when an episode ends the caller
resets, as Gymnasium expects.
"""

from __future__ import annotations

from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium import spaces

from . import runner_table as T
from ._engine import Engine
from .options import EnvOptions, option_names


def observation_space() -> spaces.Box:
    return spaces.Box(-1.0, 1.0, (T.OBS_SIZE,), np.float32)


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


def begin_reset(env: gym.Env, seed: int | None, options: dict[str, Any] | None) -> None:
    """The start of every QWOP env's reset(): seed ``np_random`` and the action
    space (the physics has no randomness to seed) and refuse per-reset options."""
    gym.Env.reset(env, seed=seed)
    if seed is not None:
        env.action_space.seed(seed)
    if options:
        raise ValueError(f"{type(env).__name__}.reset takes no options (got {sorted(options)}); "
                         "set env options as attributes or in the constructor")


class QWOPEnv(gym.Env):
    """Bennett Foddy's QWOP: run 100 m by driving thighs (Q/W) and calves (O/P).

    Observation: Box(-1, 1, (60,), float32), 12 bodies x (x, y, angle, vx, vy),
    normalised. Action: Discrete(9) (reduced set, default) or Discrete(16).
    Reward: 0.01 x torso speed - 1/30 per step, +50 on success, -10 on failure.
    ``info``: distance (m), game_time (clock s), is_success, episode_step.
    Options: see ``qwop_fast.EnvOptions``; each is also an attribute that can be
    read and set (set: from the next step; world-shaping ones from the next reset).
    """

    metadata = {"render_modes": ["human", "rgb_array"], "render_fps": 30}

    def __init__(self, render_mode: str | None = None, **env_kwargs: Any) -> None:
        if render_mode is not None and render_mode not in self.metadata["render_modes"]:
            raise ValueError(f"render_mode must be None, 'human' or 'rgb_array', got {render_mode!r}")
        self.env_options = EnvOptions.from_kwargs(**env_kwargs)
        self.render_mode = render_mode
        self.observation_space = observation_space()
        self.action_space = action_space(self.env_options)
        self._engine = Engine(1, num_threads=1, auto_reset=False, **self.env_options.as_dict())
        self._action = np.zeros(1, np.int64)  # reused: no allocation per step
        self._needs_reset = True
        self._last_keys = ""
        self._renderer = None

    # ----------------------------------------------------------------- API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Rebuild the world (the physics has no randomness; ``seed`` seeds
        ``np_random`` and the action space only)."""
        begin_reset(self, seed, options)
        self._engine.reset()
        self._needs_reset = False
        self._last_keys = ""
        if self.render_mode == "human":
            self.render()
        return self._engine.obs[0].copy(), self._info()

    def step(self, action: Any):
        if self._needs_reset:
            raise gym.error.ResetNeeded(
                "call reset() before step(): the episode has not started or has ended")
        a = check_action(action, self._engine.n_actions)
        self._action[0] = a
        self._engine.step(self._action)
        e = self._engine
        terminated, truncated = bool(e.terminated[0]), bool(e.truncated[0])
        self._needs_reset = terminated or truncated
        self._last_keys = self.env_options.action_names[a]
        if self.render_mode == "human":
            self.render()
        return e.obs[0].copy(), float(e.reward[0]), terminated, truncated, self._info()

    def _info(self) -> dict[str, Any]:
        e = self._engine
        return {
            "distance": float(e.distance[0]),
            "game_time": float(e.game_time[0]),
            "is_success": bool(e.is_success[0]),
            "episode_step": int(e.episode_step[0]),
        }

    # ------------------------------------------------------------ renderer
    def render(self):
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='rgb_array' or 'human'")
            return None
        if self._renderer is None:
            from .render import Renderer

            # A window shows each step once: at frames_per_step frames a step,
            # real game speed (30 frames per clock-second) is 30 / fps steps/s.
            fps = max(1, round(self.metadata["render_fps"] / self.env_options.frames_per_step))
            self._renderer = Renderer(window=self.render_mode == "human", fps=fps)
        frame = self._renderer.draw(self.render_state())
        return frame if self.render_mode == "rgb_array" else None

    def render_state(self) -> dict[str, Any]:
        """What a picture of the runner needs, as plain numbers."""
        e = self._engine
        return {
            "body_pose": e.current_body_pose()[0],
            "hurdle_pose": e.current_hurdle_pose()[0],
            "distance": float(e.distance[0]),
            "game_time": float(e.game_time[0]),
            "keys": self._last_keys,
        }

    def close(self) -> None:
        if self._renderer is not None:
            self._renderer.close()
            self._renderer = None
        self._engine.close()

    # ------------------------------------------- joints (reward shaping)
    @property
    def joint_angle(self) -> np.ndarray:
        """(11,) joint angles at the end of the last step."""
        return self._engine.joint_angle[0]

    @property
    def joint_limits(self) -> np.ndarray:
        """(11, 2) current joint limits (hips change with O/P)."""
        return self._engine.joint_limits[0]

    @property
    def body_pose(self) -> np.ndarray:
        """(12, 3) x, y, angle of each body at the end of the last step."""
        return self._engine.body_pose[0]


def _option_property(name: str) -> property:
    def get(self: QWOPEnv) -> Any:
        return getattr(self.env_options, name)

    def set(self: QWOPEnv, value: Any) -> None:
        self._engine.set_options(**{name: value})
        self.env_options = self._engine.options

    return property(get, set, doc=f"Env option {name!r} (see EnvOptions).")


for _name in option_names():
    setattr(QWOPEnv, _name, _option_property(_name))
