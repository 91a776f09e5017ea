"""The Gymnasium registration of ``qwop_fast/QWOP-v0``, declared once.

Episode length: ``gym.make``'s TimeLimit is the one limit. The env is
registered with ``max_episode_steps=5000`` (so ``spec.max_episode_steps`` is
the real default) and its single-env entry point, ``make_env``, builds a
``QWOPEnv`` whose own limit is off (``max_episode_steps=0``): with the
engine's limit still on, ``gym.make(..., max_episode_steps=10000)`` would
truncate at 5000. So:

* ``gym.make(ID)``: truncates at 5000 (TimeLimit, from the spec);
* ``gym.make(ID, max_episode_steps=N)``: at N;
* ``gym.make(ID, max_episode_steps=-1)``: never (Gymnasium's "no TimeLimit";
  0 is refused by Gymnasium's TimeLimit itself).

``gym.make_vec(ID, num_envs=n, vectorization_mode="vector_entry_point")``
builds one ``QWOPVectorEnv`` over the batched engine; it has no TimeLimit
wrapper, so ``make_vec`` hands it the spec's (or the caller's)
``max_episode_steps`` and the engine enforces it (-1 or 0: never).

This module imports nothing of the package (only Gymnasium's registry), so
registering is cheap and cannot fail on a missing optional dependency.
"""

from __future__ import annotations

from typing import Any

from gymnasium.envs.registration import register, registry

ENV_ID = "qwop_fast/QWOP-v0"
#: The default episode length (env steps) of the registered env.
DEFAULT_MAX_EPISODE_STEPS = 5000


def make_env(**kwargs: Any):
    """Single-env entry point of ``ENV_ID``: a QWOPEnv with the engine's own
    episode limit off, because ``gym.make`` adds the TimeLimit."""
    from .env import QWOPEnv

    kwargs.setdefault("max_episode_steps", 0)
    return QWOPEnv(**kwargs)


def register_envs() -> None:
    """Register ``ENV_ID`` (idempotent)."""
    if ENV_ID not in registry:
        register(id=ENV_ID, entry_point="qwop_fast.registration:make_env",
                 vector_entry_point="qwop_fast.vector:QWOPVectorEnv",
                 max_episode_steps=DEFAULT_MAX_EPISODE_STEPS)
