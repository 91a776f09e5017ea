"""One episode of a policy on a QWOP env: the loop that ``evaluate``, ``watch``
and ``replay`` share (SB3's ``evaluate_policy`` runs a VecEnv, whose
auto-reset would hide the final state and cannot stop at a step limit).

A policy is anything with SB3's ``predict(obs, state, episode_start,
deterministic) -> (action, state)``: a trained model, ``RandomPolicy``, or
``RecordedPolicy`` (a fixed list of actions). Nothing here needs torch.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

import gymnasium as gym
import numpy as np


@dataclass
class Episode:
    reward: float  # the env's return over the episode
    length: int  # env steps taken
    info: dict[str, Any]  # the last info (the reset's, if no step was taken)
    terminated: bool
    truncated: bool
    actions: list[int]  # the action index of every step, in order (for recordings)


def run_episode(env: gym.Env, policy: Any, *, deterministic: bool = True, seed: int | None = None,
                max_steps: int | None = None, on_state: Callable[[gym.Env], None] | None = None,
                should_stop: Callable[[], bool] | None = None) -> Episode:
    """Reset ``env`` and step ``policy`` until the episode ends, ``max_steps``
    steps were taken (None: no limit) or ``should_stop()`` says so (checked
    before each step). ``on_state(env)`` sees every state, the reset one
    included (to draw it)."""
    obs, info = env.reset(seed=seed)
    if on_state is not None:
        on_state(env)
    state = None  # recurrent policies carry their memory here
    episode_start = np.ones((1,), bool)
    total, steps, terminated, truncated = 0.0, 0, False, False
    actions: list[int] = []
    while max_steps is None or steps < max_steps:
        if should_stop is not None and should_stop():
            break
        action, state = policy.predict(obs, state=state, episode_start=episode_start, deterministic=deterministic)
        episode_start[:] = False
        actions.append(int(np.asarray(action).reshape(())))
        obs, reward, terminated, truncated, info = env.step(actions[-1])
        total += reward
        steps += 1
        if on_state is not None:
            on_state(env)
        if terminated or truncated:
            break
    return Episode(total, steps, info, terminated, truncated, actions)


class RandomPolicy:
    """Uniform over the action set; seeded through the env's action space."""

    def __init__(self, action_space: gym.spaces.Space) -> None:
        self.action_space = action_space

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        return self.action_space.sample(), None


class RecordedPolicy:
    """The actions of a recording, in order (a replay is a policy that ignores what it sees)."""

    def __init__(self, actions: Sequence[int]) -> None:
        self._actions = iter(actions)

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        return next(self._actions), None
