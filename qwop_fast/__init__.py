"""qwop-fast: fast, faithful QWOP environments for reinforcement learning.

    import qwop_fast
    env = qwop_fast.QWOPEnv()                  # gymnasium.Env, one runner
    venv = qwop_fast.QWOPVecEnv(16)            # SB3 VecEnv, 16 runners in C++
    envs = qwop_fast.QWOPVectorEnv(16)         # gymnasium.vector.VectorEnv, the same engine
    env = gymnasium.make("qwop_fast/QWOP-v0")  # registered on import (or "qwop_fast:qwop_fast/QWOP-v0")
"""

from .registration import register_envs

__version__ = "0.1.0"
__all__ = ["EnvOptions", "QWOPEnv", "QWOPVecEnv", "QWOPVectorEnv", "__version__"]

# Imported on first use: QWOPVecEnv needs stable-baselines3 (and so torch),
# and none of them is needed to register the env or to start the CLI.
_LAZY = {"QWOPEnv": "env", "EnvOptions": "options", "QWOPVecEnv": "vec_env", "QWOPVectorEnv": "vector"}


def __getattr__(name: str):
    if name in _LAZY:
        import importlib

        return getattr(importlib.import_module(f".{_LAZY[name]}", __name__), name)
    raise AttributeError(f"module 'qwop_fast' has no attribute {name!r}")


def __dir__() -> list[str]:
    return sorted([*globals(), *_LAZY])


register_envs()
