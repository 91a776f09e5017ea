"""``QWOPVecEnv``: a Stable-Baselines3 VecEnv over one batched engine.

No subprocesses: ``step_wait`` is one call into C++ that steps every world with
the GIL released, spread over native threads. Auto-reset follows SB3: the
ending step returns the start observation, with the final one in
``infos[i]["terminal_observation"]``.
"""

from __future__ import annotations

import threading
from collections.abc import Sequence
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env.base_vec_env import VecEnv, VecEnvIndices, VecEnvStepReturn

from . import contract
from ._engine import Engine
from .options import EnvOptions, option_names

# Env methods that env_method() can call, and what they mean for the batch.
_ENV_METHODS = ("reset", "render", "get_wrapper_attr")


class QWOPVecEnv(VecEnv):
    """``n_envs`` QWOP runners stepped together.

    :param n_envs: number of runners (>= 1).
    :param num_threads: native threads for the physics (default: usable cores;
        0 or 1: the calling thread only). Results do not depend on it.
    :param seed: seeds the action space sampling and each env's draw of
        ``intro_frames`` (env i gets seed + i); the physics itself is deterministic.
    :param render_mode: None or "rgb_array" (``get_images``/``render``).
    :param env_kwargs: env options, as for ``QWOPEnv`` (see ``EnvOptions``).
    """

    # The metadata of each env of the batch (rgb frames only, no window per
    # env); SB3 sets ``self.metadata`` of the VecEnv itself.
    env_metadata = contract.metadata("rgb_array")
    #: The 12 bodies in the game's creation order (axis 1 of ``body_state``).
    body_names = contract.BODY_NAMES

    def __init__(self, n_envs: int, num_threads: int | None = None, seed: int | None = None,
                 render_mode: str | None = None, **env_kwargs: Any) -> None:
        contract.check_render_mode(render_mode, self.env_metadata["render_modes"])
        self.engine = Engine(n_envs, num_threads=num_threads, auto_reset=True, **env_kwargs)
        self._render_mode = render_mode
        super().__init__(self.engine.n_envs, contract.observation_space(),
                         contract.action_space(self.engine.options))
        # SB3 builds self.metadata with render_modes only; VecVideoRecorder
        # (and rl-zoo3's record_video) read render_fps from it.
        self.env_metadata = contract.metadata("rgb_array", frames_per_step=self.engine.options.frames_per_step)
        self.metadata["render_fps"] = self.env_metadata["render_fps"]
        self._actions: np.ndarray | None = None
        # Held from step_async to the end of step_wait by one thread: a second
        # thread stepping meanwhile gets an error instead of swapping actions.
        self._stepping = threading.Lock()
        self._stepper: int | None = None
        self._last_actions = np.zeros(self.num_envs, np.int64)
        self._renderers: list[Any] = []
        if seed is not None:
            self.seed(seed)

    def seed(self, seed: int | None = None) -> Sequence[int | None]:
        """Seeds env i with ``seed + i`` from the next reset (SB3's convention):
        the action space sampler and each env's draw of ``intro_frames``."""
        if seed is not None and (isinstance(seed, bool) or not isinstance(seed, (int, np.integer))
                                 or not 0 <= seed < 2**63 - self.num_envs):
            raise ValueError(f"seed must be None or an integer in [0, 2**63), got {seed!r:.60}")
        return super().seed(None if seed is None else int(seed))

    @property
    def env_options(self) -> EnvOptions:
        return self.engine.options

    @property
    def action_names(self) -> tuple[str, ...]:
        """The keys each action index holds ("none" for no key)."""
        return self.engine.options.action_names

    @property
    def body_state(self) -> np.ndarray:
        """(n, 12, 6) float64 x, y, angle, vx, vy, angular velocity of each
        body at the end of the last step (before any auto-reset)."""
        return self.engine.body_state

    # ----------------------------------------------------------------- step
    def reset(self) -> np.ndarray:
        seeds = [s for s in self._seeds if s is not None]
        if seeds:
            self.action_space.seed(seeds[0])
            if len(seeds) == self.num_envs:
                self.engine.seed(seeds)
        if any(self._options):
            raise ValueError("QWOPVecEnv.reset takes no per-env options; "
                             "use set_attr for env options")
        self.engine.reset()
        self._last_actions[:] = 0
        self.reset_infos = contract.engine_infos(self.engine)
        self._reset_seeds()
        self._reset_options()
        return self.engine.obs.copy()

    def step_async(self, actions: np.ndarray) -> None:
        me = threading.get_ident()
        if self._stepper != me:
            if not self._stepping.acquire(blocking=False):
                raise RuntimeError("this QWOPVecEnv is being stepped by another thread; "
                                   "a VecEnv serves one thread at a time")
            self._stepper = me
        self._actions = actions

    def step_wait(self) -> VecEnvStepReturn:
        if self._stepper != threading.get_ident():
            raise RuntimeError("step_wait() called without step_async() in this thread")
        try:
            return self._step_claimed()
        finally:
            self._stepper = None
            self._stepping.release()

    def _step_claimed(self) -> VecEnvStepReturn:
        actions, self._actions = self._actions, None
        e = self.engine
        # Engine.step checks the whole batch before anything moves.
        e.step(actions)
        self._last_actions[:] = actions
        # One copy per buffer per step: the caller may keep these arrays.
        obs = e.obs.copy()
        rewards = e.reward.copy()
        terminated, truncated = e.terminated, e.truncated
        dones = terminated | truncated
        infos = contract.engine_infos(e)
        for i in np.flatnonzero(dones):
            infos[i]["terminal_observation"] = e.terminal_obs[i].copy()
            infos[i]["TimeLimit.truncated"] = bool(truncated[i] and not terminated[i])
        return obs, rewards, dones, infos

    def close(self) -> None:
        for r in self._renderers:
            r.close()
        self._renderers = []
        self.engine.close()

    # ------------------------------------------------------ attrs and methods
    def _indices(self, indices: VecEnvIndices) -> list[int]:
        if indices is None:
            return list(range(self.num_envs))
        if isinstance(indices, (int, np.integer)):
            indices = [int(indices)]
        out = [int(i) for i in indices]
        for i in out:
            if not 0 <= i < self.num_envs:
                raise IndexError(f"env index {i} out of range [0, {self.num_envs - 1}]")
        return out

    def get_attr(self, attr_name: str, indices: VecEnvIndices = None) -> list[Any]:
        """Env options, ``render_mode``, the spaces, and the per-env step
        outputs (``distance``, ``game_time``, ``joint_angle``, ...)."""
        idx = self._indices(indices)
        if attr_name == "render_mode":
            return [self._render_mode] * len(idx)
        if attr_name in option_names():
            return [getattr(self.engine.options, attr_name)] * len(idx)
        if attr_name == "metadata":
            return [self.env_metadata] * len(idx)
        if attr_name in ("observation_space", "action_space"):
            return [getattr(self, attr_name)] * len(idx)
        if attr_name in contract.STATE_NAMES:
            arr = getattr(self.engine, attr_name)
            return [arr[i].copy() if arr.ndim > 1 else arr[i].item() for i in idx]
        raise AttributeError(f"QWOPVecEnv envs have no attribute {attr_name!r}; readable: render_mode, "
                             f"observation_space, action_space, metadata, the env options "
                             f"({', '.join(option_names())}) and the step outputs")

    def set_attr(self, attr_name: str, value: Any, indices: VecEnvIndices = None) -> None:
        """Set an env option. All envs share one engine, so an option can only
        be set for all envs at once."""
        if attr_name not in option_names():
            raise AttributeError(f"only env options can be set on QWOPVecEnv ({', '.join(option_names())}), "
                                 f"not {attr_name!r}")
        if sorted(self._indices(indices)) != list(range(self.num_envs)):
            raise ValueError(f"{attr_name!r} is shared by all envs of a QWOPVecEnv; set it with indices=None")
        self.engine.set_options(**{attr_name: value})
        self.env_metadata = contract.metadata("rgb_array", frames_per_step=self.engine.options.frames_per_step)
        self.metadata["render_fps"] = self.env_metadata["render_fps"]

    def env_method(self, method_name: str, *method_args: Any, indices: VecEnvIndices = None,
                   **method_kwargs: Any) -> list[Any]:
        """``reset`` (rebuilds the chosen worlds, returns their obs and info)
        and ``render`` (rgb frames). Other names raise AttributeError."""
        idx = self._indices(indices)
        if method_name == "reset":
            self.engine.reset(np.asarray(idx, np.int64))
            self._last_actions[idx] = 0
            infos = contract.engine_infos(self.engine, idx)
            return [(self.engine.obs[i].copy(), info) for i, info in zip(idx, infos)]
        if method_name == "render":
            return [self._render_one(i) for i in idx]
        if method_name == "get_wrapper_attr":
            return self.get_attr(method_args[0] if method_args else method_kwargs["name"], idx)
        raise AttributeError(f"QWOPVecEnv supports env_method({', '.join(map(repr, _ENV_METHODS))}), "
                             f"not {method_name!r}")

    def env_is_wrapped(self, wrapper_class: type[gym.Wrapper], indices: VecEnvIndices = None) -> list[bool]:
        # The envs are rows of one engine: nothing wraps them individually.
        return [False] * len(self._indices(indices))

    # ---------------------------------------------------------------- render
    def _render_one(self, i: int) -> np.ndarray:
        from .render import Renderer

        while len(self._renderers) <= i:
            self._renderers.append(None)
        if self._renderers[i] is None:
            self._renderers[i] = Renderer(window=False, fps=contract.RENDER_FPS)
        keys = self.engine.options.action_names[int(self._last_actions[i])]
        return self._renderers[i].draw(contract.render_state(self.engine, i, keys))

    def get_images(self, max_envs: int = 4) -> Sequence[np.ndarray | None]:
        """RGB frames of the first ``max_envs`` envs (SB3 tiles them in render())."""
        if self._render_mode != "rgb_array":
            raise ValueError("get_images() needs QWOPVecEnv(..., render_mode='rgb_array')")
        return [self._render_one(i) for i in range(min(max_envs, self.num_envs))]

