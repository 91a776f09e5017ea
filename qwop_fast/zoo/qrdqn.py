"""rl-zoo3 ``--conf-file qwop_fast.zoo.qrdqn``: the shipped QR-DQN hyperparameters (qrdqn.yml)."""

from . import load_hyperparams

hyperparams = load_hyperparams("qrdqn")
