"""Reward shaping [spec 7.9]: posture, energy and joint-limit penalties.

The terms are computed once, by ``shaping_terms`` on batched numpy arrays, and
used by both wrappers: ``RewardShapingWrapper`` (one ``QWOPEnv``) and
``VecRewardShaping`` (a ``QWOPVecEnv``, no per-env Python loop). Both add the
terms to the reward and report them in ``info["shaped_rewards"]``.

The state they read (torso y, joint angles and current limits) is the state the
step ended in, exposed by the engine as batched arrays.

``VecRewardShaping`` is an SB3 ``VecEnvWrapper``, so this module imports
stable-baselines3 (as ``vec_env.py`` does); ``import qwop_fast`` imports neither.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np
from stable_baselines3.common.vec_env import VecEnv, VecEnvWrapper

from . import runner_table

_TORSO = runner_table.BODY_INDEX["torso"]


@dataclass(frozen=True)
class ShapingWeights:
    posture_weight: float = 0.1
    energy_weight: float = 0.01
    joint_weight: float = 0.05

    def __post_init__(self) -> None:
        for name in ("posture_weight", "energy_weight", "joint_weight"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)) or not np.isfinite(value):
                raise ValueError(f"{name} must be a finite number, got {value!r}")


def shaping_terms(weights: ShapingWeights, torso_y: np.ndarray, joint_angle: np.ndarray,
                  joint_limits: np.ndarray, action: np.ndarray, prev_action: np.ndarray,
                  first_step: np.ndarray) -> dict[str, np.ndarray]:
    """The three penalty terms for a batch of n envs (each an (n,) float64 array).

    torso_y (n,) wu (y down); joint_angle (n, 11); joint_limits (n, 11, 2);
    action / prev_action (n,) ints; first_step (n,) bool (no energy term then).
    """
    # Posture: the torso centre lower than y = -T costs w_p per wu below it.
    below = torso_y.astype(np.float64) + runner_table.POSTURE_THRESHOLD
    posture = np.where(below > 0.0, -weights.posture_weight * below, 0.0)
    # Energy: changing keys costs w_e (not on the first step of an episode).
    changed = (action != prev_action) & ~first_step
    energy = np.where(changed, -weights.energy_weight, 0.0)
    # Joint: count the joints within (1 - f) of their range from either limit.
    lo = joint_limits[..., 0].astype(np.float64)
    hi = joint_limits[..., 1].astype(np.float64)
    theta = joint_angle.astype(np.float64)
    span = hi - lo
    band = span * (1.0 - runner_table.JOINT_BAND_FRACTION)
    near = ((np.abs(theta - lo) < band) | (np.abs(theta - hi) < band)) & (span >= 1e-6)
    joint = -weights.joint_weight * near.sum(axis=-1)
    return {"posture": posture, "energy": energy, "joint": joint.astype(np.float64)}


class RewardShapingWrapper(gym.Wrapper):
    """Adds the shaping terms to a ``QWOPEnv``'s reward."""

    def __init__(self, env: gym.Env, posture_weight: float = 0.1, energy_weight: float = 0.01,
                 joint_weight: float = 0.05) -> None:
        super().__init__(env)
        for needed in ("body_pose", "joint_angle", "joint_limits"):
            if not hasattr(env.unwrapped, needed):
                raise TypeError(f"RewardShapingWrapper needs a QWOP env (with {needed}), got {env.unwrapped!r}")
        self.weights = ShapingWeights(posture_weight, energy_weight, joint_weight)
        self._prev_action = np.zeros(1, np.int64)
        self._first = np.ones(1, bool)

    def reset(self, **kwargs: Any):
        self._first[:] = True
        return self.env.reset(**kwargs)

    def step(self, action: Any):
        obs, reward, terminated, truncated, info = self.env.step(action)
        base = self.env.unwrapped
        a = np.asarray(action, np.int64).reshape(1)
        terms = shaping_terms(self.weights, base.body_pose[None, _TORSO, 1], base.joint_angle[None],
                              base.joint_limits[None], a, self._prev_action, self._first)
        self._prev_action[:] = a
        self._first[:] = False
        shaped = {"base": float(reward), **{k: float(v[0]) for k, v in terms.items()}}
        info["shaped_rewards"] = shaped
        return obs, float(sum(shaped.values())), terminated, truncated, info


class VecRewardShaping(VecEnvWrapper):
    """Adds the shaping terms to a ``QWOPVecEnv``'s rewards, batched."""

    def __init__(self, venv: VecEnv, posture_weight: float = 0.1, energy_weight: float = 0.01,
                 joint_weight: float = 0.05) -> None:
        super().__init__(venv)
        engine = getattr(venv.unwrapped, "engine", None)
        if engine is None:
            raise TypeError(f"VecRewardShaping needs a QWOPVecEnv underneath, got {venv.unwrapped!r}")
        self.engine = engine
        self.weights = ShapingWeights(posture_weight, energy_weight, joint_weight)
        self._prev_action = np.zeros(self.num_envs, np.int64)
        self._first = np.ones(self.num_envs, bool)
        self._actions: np.ndarray | None = None

    def reset(self) -> np.ndarray:
        self._first[:] = True
        return self.venv.reset()

    def step_async(self, actions: np.ndarray) -> None:
        self._actions = np.asarray(actions).astype(np.int64, copy=True).reshape(self.num_envs)
        self.venv.step_async(actions)

    def step_wait(self):
        obs, rewards, dones, infos = self.venv.step_wait()
        e = self.engine
        terms = shaping_terms(self.weights, e.body_pose[:, _TORSO, 1], e.joint_angle, e.joint_limits,
                              self._actions, self._prev_action, self._first)
        shaped = rewards.astype(np.float64) + terms["posture"] + terms["energy"] + terms["joint"]
        for i, info in enumerate(infos):
            info["shaped_rewards"] = {"base": float(rewards[i]), "posture": float(terms["posture"][i]),
                                      "energy": float(terms["energy"][i]), "joint": float(terms["joint"][i])}
        self._prev_action[:] = self._actions
        # An env that ended was auto-reset: its next step is a first step.
        self._first[:] = dones
        return obs, shaped.astype(np.float32), dones, infos
