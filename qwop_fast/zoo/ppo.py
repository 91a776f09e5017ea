"""rl-zoo3 ``--conf-file qwop_fast.zoo.ppo``: the shipped PPO hyperparameters (ppo.yml)."""

from . import load_hyperparams

hyperparams = load_hyperparams("ppo")
