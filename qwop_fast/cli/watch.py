"""Watch a trained model run.

Loads an SB3 / sb3-contrib model (.zip; the algorithm is detected), plays it
on QWOPEnv and shows it in a window, or writes an animation with --output
(.gif always works; .mp4 needs the imageio-ffmpeg package and falls back to a
GIF without it). Env options come from the run's config.yml (its env_kwargs),
found next to the model or in the folder above it.

examples:
  qwop-fast watch --model runs/qrdqn-1/model.zip
  qwop-fast watch --model runs/qrdqn-1/model.zip --episodes 3 --output run.gif
"""

from __future__ import annotations

import argparse

from ..agents import AGENTS
from .argtypes import non_negative_int, positive_float, positive_int

DEFAULT_MAX_STEPS = 1000  # a stalled policy would otherwise stand still for max_episode_steps


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, metavar="PATH", help="the model's .zip file, or a shipped agent by name: " + ", ".join(AGENTS))
    parser.add_argument("--episodes", type=positive_int, default=1, metavar="N",
                        help="episodes to play (default 1)")
    parser.add_argument("--output", metavar="FILE",
                        help="write the animation to FILE (.gif or .mp4) instead of opening a window")
    parser.add_argument("--fps", type=positive_float, default=None, metavar="F",
                        help="frames per second (default: real game speed, 30 / frames_per_step)")
    parser.add_argument("--max-steps", type=non_negative_int, default=DEFAULT_MAX_STEPS, metavar="M",
                        help=f"stop an episode after M env steps (default {DEFAULT_MAX_STEPS}; "
                             "0: only the env's own max_episode_steps)")
    parser.add_argument("--trust-model", action="store_true",
                        help="also run the pickled Python objects in the model file (only for files "
                             "you trust; see the README, 'Model files')")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--deterministic", dest="deterministic", action="store_true", default=True,
                      help="take the model's best action (default)")
    mode.add_argument("--stochastic", dest="deterministic", action="store_false",
                      help="sample actions from the model's policy")


def run(args: argparse.Namespace) -> int:
    from ..training.watch import watch_from_args

    return watch_from_args(args)
