"""Behaviour cloning from key recordings, the warm start for RL.

  qwop-fast evaluate --model runner --episodes 20 --record-best best.json
  qwop-fast imitate best.json --config runner_ppo --output runs/bc/model.zip
  qwop-fast train --config runner_ppo --init-policy runs/bc/model.zip

Each recording (from `play --record` or `evaluate --record-best`) is replayed
in QWOPEnv to recover the observation before every key; the config's policy
network (PPO or A2C) learns to pick the recorded key with the imitation
package's BC. The recordings must use the config's frames_per_step and
action set.
"""

from __future__ import annotations

import argparse

from .argtypes import non_negative_int, positive_int


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("recordings", metavar="RECORDING", nargs="+", help="key recordings (JSON)")
    parser.add_argument("--config", default="runner_ppo", metavar="FILE_OR_NAME",
                        help="the training config whose policy is cloned (default: runner_ppo)")
    parser.add_argument("--output", required=True, metavar="MODEL.zip", help="where to save the cloned model")
    parser.add_argument("--epochs", type=positive_int, default=20, metavar="N", help="passes over the data (default 20)")
    parser.add_argument("--batch-size", type=positive_int, default=256, metavar="N", help="default 256")
    parser.add_argument("--seed", type=non_negative_int, default=0, metavar="S", help="default 0")


def run(args: argparse.Namespace) -> int:
    from ..training.imitate import imitate_from_args

    return imitate_from_args(args)
