"""qwop-fast: fast, faithful QWOP environments for reinforcement learning.

    import qwop_fast
    env = qwop_fast.QWOPEnv()                  # gymnasium.Env, one runner
    venv = qwop_fast.QWOPVecEnv(16)            # SB3 VecEnv, 16 runners in C++
    env = gymnasium.make("qwop_fast/QWOP-v0")  # registered on import
"""

import gymnasium

from .env import QWOPEnv
from .options import EnvOptions

__version__ = "0.1.0"
__all__ = ["EnvOptions", "QWOPEnv", "QWOPVecEnv", "__version__"]


def __getattr__(name: str):
    # QWOPVecEnv needs stable-baselines3 (and so torch): imported on first use
    # so that `import qwop_fast` and the CLI start quickly.
    if name == "QWOPVecEnv":
        from .vec_env import QWOPVecEnv

        return QWOPVecEnv
    raise AttributeError(f"module 'qwop_fast' has no attribute {name!r}")

# Episode length is an env option (max_episode_steps, default 5000) that the
# engine enforces itself, so no TimeLimit wrapper is registered on top.
if "qwop_fast/QWOP-v0" not in gymnasium.registry:
    gymnasium.register(id="qwop_fast/QWOP-v0", entry_point="qwop_fast.env:QWOPEnv")
