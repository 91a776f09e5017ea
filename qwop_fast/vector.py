"""``QWOPVectorEnv``: a native ``gymnasium.vector.VectorEnv`` over one batched engine.

For Gymnasium-native code (CleanRL, TorchRL, PufferLib's Gymnasium path,
``gym.make_vec``): every runner of the batch is stepped by one C++ call with
the GIL released, instead of a ``SyncVectorEnv`` looping over single envs.

It follows Gymnasium 1.x exactly as ``SyncVectorEnv`` of ``QWOPEnv``s does,
bit for bit (tests/test_vector.py compares the two):

* autoreset: ``NEXT_STEP`` by default (the step after an ending returns the
  start observation, reward 0, not terminated nor truncated; that step's
  action is ignored), or ``SAME_STEP`` (``info["final_obs"]`` /
  ``info["final_info"]``), or ``DISABLED`` (reset with
  ``options={"reset_mask": mask}``);
* ``info``: a dict of arrays, one entry per env, each key ``k`` with its
  boolean mask ``_k``;
* seeds: ``reset(seed=s)`` seeds env i with s + i (a list: one each);
  ``None`` continues each env's stream.

Stepping can overlap with the caller's work, EnvPool-style:
``step_async(actions)`` starts the step on a background thread (the engine
releases the GIL, so Python keeps running, e.g. the policy's next forward
pass on other data or logging) and ``step_wait()`` returns its results.
``step`` is both, without the thread.

Episode length is the engine's ``max_episode_steps`` (no TimeLimit wrapper:
``make_vec`` passes the registered 5000 or the caller's value); -1 or 0:
no limit.
"""

from __future__ import annotations

from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any

import gymnasium as gym
import numpy as np
from gymnasium.vector import AutoresetMode, VectorEnv
from gymnasium.vector.utils import batch_space

from . import contract
from ._engine import Engine
from .options import EnvOptions, option_names


class QWOPVectorEnv(VectorEnv):
    """``num_envs`` QWOP runners as one Gymnasium vector env.

    :param num_envs: number of runners (>= 1).
    :param num_threads: native threads for the physics (default: usable
        cores; 0 or 1: the calling thread only). Results do not depend on it.
    :param render_mode: None or "rgb_array" (``render()``: one frame per env).
    :param autoreset_mode: ``AutoresetMode`` (or its value), default NEXT_STEP.
    :param env_kwargs: env options, as for ``QWOPEnv`` (``qwop_fast.EnvOptions``);
        ``max_episode_steps=-1`` means no limit, as in ``gym.make``.
    """

    metadata = {**contract.metadata("rgb_array"), "autoreset_mode": AutoresetMode.NEXT_STEP}

    def __init__(self, num_envs: int = 1, *, num_threads: int | None = None, render_mode: str | None = None,
                 autoreset_mode: str | AutoresetMode = AutoresetMode.NEXT_STEP, **env_kwargs: Any) -> None:
        contract.check_render_mode(render_mode, ["rgb_array"])
        try:
            mode = AutoresetMode(autoreset_mode)
        except ValueError:
            raise ValueError(f"autoreset_mode must be one of {[m.value for m in AutoresetMode]}, "
                             f"got {autoreset_mode!r}") from None
        if env_kwargs.get("max_episode_steps") == -1:  # gym.make's "no TimeLimit"
            env_kwargs["max_episode_steps"] = 0
        options = EnvOptions.from_kwargs(**env_kwargs)
        # The engine never resets by itself here: Gymnasium's NEXT_STEP
        # returns the final observation first, and SAME_STEP needs the reset
        # envs' info, which an engine auto-reset would not write.
        self._engine = Engine(num_envs, num_threads=num_threads, auto_reset=False, **options.as_dict())
        self.num_envs = self._engine.n_envs
        self.render_mode = render_mode
        self.autoreset_mode = mode
        self.single_observation_space = contract.observation_space()
        self.single_action_space = contract.action_space(options)
        self.observation_space = batch_space(self.single_observation_space, self.num_envs)
        self.action_space = batch_space(self.single_action_space, self.num_envs)
        self.metadata = {**contract.metadata("rgb_array", frames_per_step=options.frames_per_step),
                         "autoreset_mode": mode}
        self._ended = np.zeros(self.num_envs, np.bool_)  # ended in the last step: reset at the next
        self._started = False
        self._all = np.ones(self.num_envs, np.bool_)
        self._executor: ThreadPoolExecutor | None = None
        self._pending: Future | None = None
        self._pending_reset = _NONE
        self._final: tuple | None = None  # SAME_STEP: the ending step's outputs, before the resets
        self._last_actions = np.zeros(self.num_envs, np.int64)
        self._renderers: list[Any] = []

    # ------------------------------------------------------------- options
    @property
    def env_options(self) -> EnvOptions:
        return self._engine.options

    @property
    def engine(self) -> Engine:
        """The batched engine (its buffers hold the last step's full state)."""
        self._check_idle()
        return self._engine

    @property
    def action_names(self) -> tuple[str, ...]:
        return self._engine.options.action_names

    def get_attr(self, name: str) -> tuple[Any, ...]:
        """An env option (or ``render_mode``/``metadata``/the single spaces), for every env."""
        if name in option_names():
            return (getattr(self._engine.options, name),) * self.num_envs
        if name in ("render_mode", "metadata"):
            return (getattr(self, name),) * self.num_envs
        if name in ("observation_space", "action_space"):
            return (getattr(self, f"single_{name}"),) * self.num_envs
        raise AttributeError(f"QWOPVectorEnv envs have no attribute {name!r}; readable: render_mode, "
                             f"metadata, observation_space, action_space and the env options "
                             f"({', '.join(option_names())})")

    def set_attr(self, name: str, values: Any) -> None:
        """Set an env option for all envs (they share one engine): from the
        next step, world-shaping options from each env's next reset."""
        if name not in option_names():
            raise AttributeError(f"only env options can be set on QWOPVectorEnv ({', '.join(option_names())}), "
                                 f"not {name!r}")
        if isinstance(values, (list, tuple)) and name != "intro_frames":
            if len(set(map(repr, values))) != 1:
                raise ValueError(f"{name!r} is shared by all envs of a QWOPVectorEnv; give one value")
            values = values[0]
        self._check_idle()
        self._engine.set_options(**{name: values})
        self.metadata = {**self.metadata, "render_fps": contract.render_fps(self._engine.options.frames_per_step)}

    # ------------------------------------------------------------ reset/step
    def reset(self, *, seed: int | list[int | None] | None = None,
              options: dict[str, Any] | None = None) -> tuple[np.ndarray, dict[str, Any]]:
        self._check_idle()
        mask = self._all
        options = dict(options or {})
        if "reset_mask" in options:
            mask = _check_reset_mask(options.pop("reset_mask"), self.num_envs)
        if options:
            raise ValueError(f"QWOPVectorEnv.reset takes no options but reset_mask (got {sorted(options)}); "
                             "set env options with set_attr or in the constructor")
        seeds = self._seeds(seed)
        if seeds is not None:
            # The engine seeds every env's stream at once, so a seed goes
            # with a reset of all envs (a stream cannot be rewound per env).
            if not mask.all():
                raise ValueError("QWOPVectorEnv.reset: a seed can only be given when resetting all envs "
                                 "(without reset_mask)")
            super().reset(seed=seeds[0])
            self.action_space.seed(seeds[0])
            self._engine.seed(seeds)
        idx = np.flatnonzero(mask)
        self._engine.reset(idx)
        self._ended[mask] = False
        self._last_actions[mask] = 0
        self._started = True
        return self._engine.obs.copy(), self._infos(mask)

    def step(self, actions: Any) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        self._check_idle()
        reset_idx = self._prepare(actions)
        self._advance(reset_idx)
        return self._results(reset_idx)

    def step_async(self, actions: Any) -> None:
        """Start a step on the background thread; ``step_wait`` returns it.
        The actions are checked (and copied) before this returns."""
        self._check_idle()
        reset_idx = self._prepare(actions)
        if self._executor is None:
            self._executor = ThreadPoolExecutor(1, thread_name_prefix="qwop-vector-step")
        self._pending = self._executor.submit(self._advance, reset_idx)
        self._pending_reset = reset_idx

    def step_wait(self) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray, dict[str, Any]]:
        if self._pending is None:
            raise RuntimeError("step_wait() called without step_async()")
        pending, self._pending = self._pending, None
        pending.result()  # re-raises an error of the step
        return self._results(self._pending_reset)

    def _prepare(self, actions: Any) -> np.ndarray:
        """Checks the whole batch (before anything moves) and keeps a copy of
        it; returns the envs to reset in this step (NEXT_STEP)."""
        if not self._started:
            raise gym.error.ResetNeeded("call reset() before step()")
        arr = self._engine._validate_actions(actions)
        np.copyto(self._last_actions, arr, casting="unsafe")
        if self.autoreset_mode == AutoresetMode.DISABLED and self._ended.any():
            raise gym.error.ResetNeeded(
                f"envs {np.flatnonzero(self._ended).tolist()} ended; with autoreset_mode DISABLED reset them "
                f"with reset(options={{'reset_mask': mask}}) before stepping")
        return np.flatnonzero(self._ended) if self.autoreset_mode == AutoresetMode.NEXT_STEP else _NONE

    def _advance(self, reset_idx: np.ndarray) -> None:
        """The engine's work for one step (also run on the background thread)."""
        e = self._engine
        # Every env is stepped, those that ended last step too (a game that
        # ended keeps updating harmlessly, and its random stream is drawn
        # only at resets); their reset then rebuilds them from scratch, so
        # their outcome is exactly a reset without a step, as in SyncVectorEnv.
        e.step(self._last_actions)
        if reset_idx.size:
            e.reset(reset_idx)
            self._last_actions[reset_idx] = 0
        if self.autoreset_mode == AutoresetMode.SAME_STEP:
            self._final = None
            done = e.terminated | e.truncated
            if done.any():
                self._final = (done.copy(), e.obs.copy(), e.reward.astype(np.float64), e.terminated.copy(),
                               e.truncated.copy(), self._infos(done))
                e.reset(np.flatnonzero(done))
                self._last_actions[done] = 0

    def _results(self, reset_idx: np.ndarray):
        e = self._engine
        obs = e.obs.copy()
        rewards = e.reward.astype(np.float64)  # SyncVectorEnv's dtype
        terminated, truncated = e.terminated.copy(), e.truncated.copy()
        infos = self._infos(self._all)
        if self.autoreset_mode == AutoresetMode.SAME_STEP and self._final is not None:
            done, final_obs, final_r, final_term, final_trunc, final_info = self._final
            rewards[done], terminated[done], truncated[done] = final_r[done], final_term[done], final_trunc[done]
            objs = np.full(self.num_envs, None, dtype=object)
            for i in np.flatnonzero(done):
                objs[i] = final_obs[i]
            infos = {"final_obs": objs, "_final_obs": done, "final_info": final_info, "_final_info": done,
                     **infos}
        self._ended = terminated | truncated
        return obs, rewards, terminated, truncated, infos

    def _infos(self, mask: np.ndarray) -> dict[str, Any]:
        """The envs' info as Gymnasium batches it: each key an array (the
        dtype SyncVectorEnv gives QWOPEnv's Python scalars), with its ``_key``
        mask; envs outside ``mask`` hold zeros."""
        e = self._engine
        every = mask.all()
        out: dict[str, Any] = {}
        for key, values, dtype in (("distance", e.distance, np.float64), ("game_time", e.game_time, np.float64),
                                   ("is_success", e.is_success, np.bool_),
                                   ("episode_step", e.episode_step, np.int64)):
            arr = values.astype(dtype)
            if not every:
                arr[~mask] = 0
            out[key] = arr
            out[f"_{key}"] = mask.copy()
        return out

    def _seeds(self, seed: Any) -> list[int] | None:
        """Env i's seed (an int s: s + i, as SyncVectorEnv), or None to
        continue every env's stream."""
        if seed is None:
            return None
        if isinstance(seed, (int, np.integer)) and not isinstance(seed, bool):
            seeds = [int(seed) + i for i in range(self.num_envs)]
        else:
            seeds = list(seed)
            if len(seeds) != self.num_envs:
                raise ValueError(f"seed must be None, an int or a list of num_envs={self.num_envs} seeds, "
                                 f"got a list of {len(seeds)}")
            if all(s is None for s in seeds):
                return None
            if any(s is None for s in seeds):
                raise ValueError("QWOPVectorEnv.reset: seed every env or none (the engine seeds all "
                                 f"streams at once), got {seeds!r:.80}")
        for s in seeds:
            if isinstance(s, bool) or not isinstance(s, (int, np.integer)) or not 0 <= s < 2**63:
                raise ValueError(f"seeds must be integers in [0, 2**63), got {s!r:.60}")
        return [int(s) for s in seeds]

    def _check_idle(self) -> None:
        if self._pending is not None:
            raise RuntimeError("a step_async() is in progress: call step_wait() first")

    # --------------------------------------------------------------- render
    def render(self) -> tuple[np.ndarray, ...] | None:
        if self.render_mode is None:
            gym.logger.warn("render() called without a render_mode; pass render_mode='rgb_array'")
            return None
        self._check_idle()
        from .render import Renderer

        while len(self._renderers) < self.num_envs:
            self._renderers.append(Renderer(window=False, fps=contract.RENDER_FPS))
        names = self._engine.options.action_names
        return tuple(r.draw(contract.render_state(self._engine, i, names[int(self._last_actions[i])]))
                     for i, r in enumerate(self._renderers))

    def close_extras(self, **kwargs: Any) -> None:
        if self._pending is not None:
            self._pending.result()
            self._pending = None
        if self._executor is not None:
            self._executor.shutdown(wait=True)
            self._executor = None
        for r in self._renderers:
            r.close()
        self._renderers = []
        self._engine.close()

    def __repr__(self) -> str:
        return f"QWOPVectorEnv(num_envs={self.num_envs}, autoreset_mode={self.autoreset_mode.value})"


_NONE = np.zeros(0, np.int64)


def _check_reset_mask(mask: Any, n: int) -> np.ndarray:
    # The checks (and messages) of SyncVectorEnv.reset
    if not isinstance(mask, np.ndarray):
        raise TypeError(f"`options['reset_mask']` must be a numpy array, got {type(mask)}")
    if mask.shape != (n,):
        raise ValueError(f"`options['reset_mask']` must have shape `({n},)`, got {mask.shape}")
    if mask.dtype != np.bool_:
        raise TypeError(f"`options['reset_mask']` must have `dtype=np.bool_`, got {mask.dtype}")
    if not mask.any():
        raise ValueError(f"`options['reset_mask']` must contain a boolean array with at least one True value, "
                         f"got reset_mask={mask}")
    return mask
