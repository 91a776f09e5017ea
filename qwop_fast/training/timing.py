"""Where a training run's wall time goes: env stepping, policy and buffers,
gradient updates, evaluation and checkpoints (written to timing.json).

Three meters, each where the time is spent: ``StepTimer`` wraps the env
stack, ``timed_algorithm`` times the algorithm's ``train`` (the gradient
updates), and the ``PhaseTimer`` callback splits ``learn`` into rollouts and
what lies between them, then puts the pieces together.
"""

from __future__ import annotations

import time
import weakref
from typing import Any

from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper


class StepTimer(VecEnvWrapper):
    """Outermost wrapper: wall time spent stepping the env stack."""

    def __init__(self, venv: VecEnv) -> None:
        super().__init__(venv)
        self.seconds = 0.0

    def reset(self):
        return self.venv.reset()

    def step_async(self, actions) -> None:
        t = time.perf_counter()
        self.venv.step_async(actions)
        self.seconds += time.perf_counter() - t

    def step_wait(self):
        t = time.perf_counter()
        out = self.venv.step_wait()
        self.seconds += time.perf_counter() - t
        return out


# Seconds of gradient updates per model, kept outside the model: the model's
# __dict__ is pickled into every saved zip.
TRAIN_SECONDS: "weakref.WeakKeyDictionary[Any, float]" = weakref.WeakKeyDictionary()
_TIMED_CLASSES: dict[type, type] = {}


def timed_algorithm(cls: type) -> type:
    """A subclass of the algorithm whose ``train`` (the gradient updates)
    adds its wall time to ``TRAIN_SECONDS[model]``. A subclass, not a
    patched attribute: the saved data names only the policy class, so zips
    saved by the subclass load with the plain algorithm class."""
    if cls not in _TIMED_CLASSES:
        def train(self, *args, **kwargs):
            t = time.perf_counter()
            try:
                return cls.train(self, *args, **kwargs)
            finally:
                TRAIN_SECONDS[self] = TRAIN_SECONDS.get(self, 0.0) + time.perf_counter() - t

        _TIMED_CLASSES[cls] = type(cls.__name__, (cls,), {"train": train, "__module__": cls.__module__,
                                                          "__qualname__": cls.__qualname__})
    return _TIMED_CLASSES[cls]


class PhaseTimer(BaseCallback):
    """Splits the wall time of ``learn``: rollouts (of which the env's share
    comes from the StepTimer wrapper, eval and checkpoints from their own
    timers) and the phases between rollouts, of which the gradient updates
    are timed exactly by the model's ``train`` (see ``timed_algorithm``); the
    rest is SB3's loop and log dumps."""

    def __init__(self, step_timer: StepTimer, extra_timers=()) -> None:
        super().__init__()
        self.step_timer = step_timer
        self.extra_timers = list(extra_timers)  # (name, callback with .seconds)
        self.phase_seconds = {"rollout": 0.0, "between": 0.0}
        self._phase: str | None = None  # the phase running now, since self._since
        self._since = 0.0
        self._t0: float | None = None

    def _enter(self, phase: str | None) -> None:
        """Close the phase that is open (an interrupt can land in either) and open ``phase``."""
        now = time.perf_counter()
        if self._phase is not None:
            self.phase_seconds[self._phase] += now - self._since
        self._phase, self._since = phase, now

    def _on_training_start(self) -> None:
        self._t0 = time.perf_counter()
        self.steps_start = self.model.num_timesteps
        self.updates_start = getattr(self.model, "_n_updates", 0)
        self.train_start = TRAIN_SECONDS.get(self.model, 0.0)

    def _on_rollout_start(self) -> None:
        self._enter("rollout")

    def _on_rollout_end(self) -> None:
        self._enter("between")

    def _on_step(self) -> bool:
        return True

    def summary(self) -> dict[str, Any]:
        if self._t0 is None:
            return {}
        self._enter(None)
        total = time.perf_counter() - self._t0
        rollout_s = self.phase_seconds["rollout"]
        env = self.step_timer.seconds
        extra = {name: cb.seconds for name, cb in self.extra_timers}
        # Rollout time outside the env, eval and checkpoints: policy
        # inference, replay/rollout buffer writes, the other callbacks.
        policy = max(0.0, rollout_s - env - sum(extra.values()))
        steps = self.model.num_timesteps - self.steps_start
        updates = getattr(self.model, "_n_updates", 0) - self.updates_start
        train_s = TRAIN_SECONDS.get(self.model, 0.0) - self.train_start
        return {
            "timesteps": steps,
            "wall_s": round(total, 3),
            "fps": round(steps / total, 1) if total > 0 else None,
            "env_step_s": round(env, 3),
            "policy_and_buffer_s": round(policy, 3),
            "gradient_updates_s": round(train_s, 3),
            **{f"{name}_s": round(v, 3) for name, v in extra.items()},
            "other_s": round(max(0.0, total - rollout_s - train_s), 3),
            "gradient_updates": updates,
            "ms_per_update": round(1000 * train_s / updates, 3) if updates else None,
        }
