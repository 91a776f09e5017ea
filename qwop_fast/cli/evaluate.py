"""Evaluate a trained model (or a uniformly random policy) on QWOPEnv.

  qwop-fast evaluate --model runs/<id>/final_model.zip --episodes 20
  qwop-fast evaluate --random --episodes 20 --seed 0

Env options come from the run's config.yml when the model sits in a run
folder (next to it or one level up), then from --env-kwargs, which takes a
JSON object or key=value pairs (values in YAML syntax):

  --env-kwargs '{"hurdle": false}'      --env-kwargs hurdle=false max_episode_steps=1000

The reward reported is the env's own reward (no reward shaping), so runs
trained with and without shaping compare directly.

Determinism: the physics has no randomness and every episode starts from the
same pose, so a deterministic policy runs the same episode every time (the
table says so when that happens); --stochastic samples actions instead
(PPO/A2C: from the policy's distribution; DQN/QR-DQN: epsilon-greedy with the
model's final exploration rate). The two can differ a lot: a young QR-DQN's
greedy policy may stall in a pose and stand there until truncation while its
epsilon-greedy version runs (see config/quick.yml).

--all-starts runs one episode from every intro wait of the env's intro_frames
range instead of drawing them (the game's only start variety): for a greedy
policy that is its whole record, e.g. 61 episodes for intro_frames [0, 60].

--output DIR writes episodes.csv (one row per episode) and summary.json. A
folder that already holds them is left alone: the command stops with an error
unless --force is given, in which case both files are replaced.
"""

from __future__ import annotations

import argparse

from ..agents import AGENTS
from .argtypes import non_negative_int, positive_int


def configure_parser(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", metavar="PATH", help="a trained model (.zip), or a shipped agent by name: " + ", ".join(AGENTS))
    src.add_argument("--random", action="store_true", help="a uniformly random policy (the baseline)")
    count = parser.add_mutually_exclusive_group()
    count.add_argument("--episodes", type=positive_int, default=20, metavar="N", help="episodes to run (default 20)")
    count.add_argument("--all-starts", action="store_true",
                       help="one episode from each intro wait of the intro_frames range (0-60: 61 "
                            "episodes) instead of --episodes drawn ones")
    parser.add_argument("--output", metavar="DIR", help="write episodes.csv and summary.json here")
    parser.add_argument("--force", action="store_true", help="replace results already in --output")
    parser.add_argument("--record-best", metavar="FILE",
                        help="save the keys of the fastest finished episode (else the farthest) as a "
                             "recording that `qwop-fast replay FILE` plays back")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--deterministic", dest="deterministic", action="store_true", default=True,
                      help="greedy actions (default)")
    mode.add_argument("--stochastic", dest="deterministic", action="store_false",
                      help="sampled actions")
    parser.add_argument("--seed", type=non_negative_int, default=0, metavar="S",
                        help="seeds the random/stochastic action choices and env.reset (default 0)")
    parser.add_argument("--trust-model", action="store_true",
                        help="also run the pickled Python objects in the model file (only for files "
                             "you trust; see the README, 'Model files')")
    parser.add_argument("--env-kwargs", nargs="+", action="extend", default=[], metavar="JSON|KEY=VALUE",
                        help="env option overrides")


def run(args: argparse.Namespace) -> int:
    from ..training.evaluate import evaluate_from_args

    return evaluate_from_args(args)
