"""``QWOPEnv``: one QWOP runner as a standard Gymnasium env.

It is the batched engine with ``n_envs=1`` (so it simulates exactly what
``QWOPVecEnv`` simulates), without auto-reset: when an episode ends the caller
resets, as Gymnasium expects.
"""

from __future__ import annotations

import threading
from typing import Any

import gymnasium as gym
import numpy as np

from . import contract
from ._engine import Engine
from .options import EnvOptions


class QWOPEnv(gym.Env):
    """Bennett Foddy's QWOP: run 100 m by driving thighs (Q/W) and calves (O/P).

    Observation: Box(-1, 1, (60,), float32), 12 bodies x (x, y, angle, vx, vy),
    normalised. Action: Discrete(9) (reduced set, default) or Discrete(16).
    Reward: 0.01 x torso speed - 1/30 per step, +50 on success, -10 on failure.
    ``info``: distance (m), game_time (clock s), is_success, episode_step.
    Options: see ``qwop_fast.EnvOptions``; each is also an attribute that can be
    read and set (set: from the next step; world-shaping ones from the next reset).
    The physics is the real game's, bit for bit; ``seed`` only matters through
    ``intro_frames`` drawn from a range (the game's one source of start variety).
    """

    #: The 12 bodies in the game's creation order (the rows of ``body_state``).
    body_names = contract.BODY_NAMES

    # For the default options; each env sets its own (render_fps follows frames_per_step).
    metadata = contract.metadata("human", "rgb_array")

    def __init__(self, render_mode: str | None = None, **env_kwargs: Any) -> None:
        contract.check_render_mode(render_mode, self.metadata["render_modes"])
        self.env_options = EnvOptions.from_kwargs(**env_kwargs)
        self.metadata = contract.metadata("human", "rgb_array", frames_per_step=self.env_options.frames_per_step)
        self.render_mode = render_mode
        self.observation_space = contract.observation_space()
        self.action_space = contract.action_space(self.env_options)
        self._engine = Engine(1, num_threads=1, auto_reset=False, **self.env_options.as_dict())
        self._action = np.zeros(1, np.int64)  # reused: no allocation per step
        self._needs_reset = True
        self._last_keys = ""
        self._renderer = None
        self._busy = threading.Lock()  # one thread at a time through step/reset

    # ----------------------------------------------------------------- API
    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        """Rebuild the world. ``seed`` seeds ``np_random``, the action space and
        the draw of ``intro_frames`` when it is a range (the physics itself is
        deterministic)."""
        stream_seed = contract.begin_reset(self, seed, options)
        if stream_seed is not None:
            self._engine.seed(stream_seed)
        self._engine.reset()
        self._needs_reset = False
        self._last_keys = ""
        if self.render_mode == "human":
            self.render()
        return self._engine.obs[0].copy(), self._info()

    def step(self, action: Any):
        if not self._busy.acquire(blocking=False):
            raise RuntimeError("this QWOPEnv is being stepped or reset by another thread; "
                               "an env serves one thread at a time")
        try:
            return self._step(action)
        finally:
            self._busy.release()

    def _step(self, action: Any):
        contract.check_started(self._needs_reset)
        a = contract.check_action(action, self._engine.n_actions)
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
        return contract.engine_infos(self._engine)[0]

    # ------------------------------------------------------------ renderer
    def render(self):
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='rgb_array' or 'human'")
            return None
        if self._renderer is None:
            from .render import Renderer

            # A window shows each step once: at frames_per_step frames a step,
            # real game speed (30 frames per clock-second) is 30 / fps steps/s.
            fps = max(1, round(contract.RENDER_FPS / self.env_options.frames_per_step))
            self._renderer = Renderer(window=self.render_mode == "human", fps=fps)
        frame = self._renderer.draw(self.render_state())
        return frame if self.render_mode == "rgb_array" else None

    def render_state(self) -> dict[str, Any]:
        """What a picture of the runner needs, as plain numbers."""
        return contract.render_state(self._engine, 0, self._last_keys)

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
        """(12, 3) float32 x, y, angle of each body at the end of the last step."""
        return self._engine.body_pose[0]

    # ------------------------------------------------ state for checks and tools
    @property
    def body_state(self) -> np.ndarray:
        """(12, 6) float64 x, y, angle, vx, vy, angular velocity of each body
        (``body_names`` order, world units, y down): the game's own doubles."""
        return self._engine.body_state[0]

    @property
    def action_names(self) -> tuple[str, ...]:
        """The keys each action index holds ("none" for no key)."""
        return self.env_options.action_names

    @property
    def intro_frames_drawn(self) -> int:
        """The intro frames this episode started with."""
        return self._engine.game_state(0)["intro_frames"]


def _set_option(env: QWOPEnv, name: str, value: Any) -> None:
    # The engine validates and applies it (from the next step, world-shaping
    # options from the next reset); its options are then the env's.
    env._engine.set_options(**{name: value})
    env.env_options = env._engine.options
    env.metadata = contract.metadata("human", "rgb_array", frames_per_step=env.env_options.frames_per_step)


contract.add_option_properties(QWOPEnv, _set_option)
