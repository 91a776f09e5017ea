"""The algorithms a training config may name, in one table."""

from __future__ import annotations

import sb3_contrib
import stable_baselines3
from stable_baselines3.common.base_class import BaseAlgorithm

from ..errors import UserError

# name -> class; the order is the order checkpoints.load_model tries them in
# when a zip does not say which algorithm saved it.
ALGORITHM_CLASSES: dict[str, type[BaseAlgorithm]] = {
    "QRDQN": sb3_contrib.QRDQN,
    "DQN": stable_baselines3.DQN,
    "PPO": stable_baselines3.PPO,
    "A2C": stable_baselines3.A2C,
    "RecurrentPPO": sb3_contrib.RecurrentPPO,
}
ALGORITHMS = tuple(ALGORITHM_CLASSES)
OFF_POLICY = ("QRDQN", "DQN")
DEFAULT_POLICY = {"QRDQN": "MlpPolicy", "DQN": "MlpPolicy", "PPO": "MlpPolicy",
                  "A2C": "MlpPolicy", "RecurrentPPO": "MlpLstmPolicy"}

# SB3 2.9 warns on loading any model trained with n_steps > 1 that n_steps is
# "ignored", but the saved replay_buffer_kwargs already carry n_steps and
# gamma, so the restored NStepReplayBuffer does use them (checked:
# model.replay_buffer.n_steps == 3 after load). The warning is noise here.
NSTEP_WARNING = r"`n_steps=\d+` is ignored because a custom `replay_buffer_class`"


class UnknownAlgorithm(UserError, ValueError):
    """An algorithm name that is not in the table."""


def algorithm_class(name: str) -> type[BaseAlgorithm]:
    try:
        return ALGORITHM_CLASSES[name]
    except KeyError:
        raise UnknownAlgorithm(f"unknown algorithm {name!r}; choose one of {', '.join(ALGORITHMS)}") from None
