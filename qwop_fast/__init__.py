"""qwop-fast: fast, faithful QWOP environments for reinforcement learning."""

from .options import EnvOptions

__version__ = "0.1.0"
__all__ = ["EnvOptions", "__version__"]
