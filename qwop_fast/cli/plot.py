"""Plot a run's learning curves to a PNG.

Reads RUN/monitor.csv (written during training by SB3's VecMonitor with the
info keywords distance and is_success) and draws episode reward, distance
and success rate against timesteps (the running total of episode lengths),
each with a moving average. RUN may also be the monitor.csv file itself.

examples:
  qwop-fast plot runs/qrdqn-1                  # writes runs/qrdqn-1/learning_curves.png
  qwop-fast plot runs/qrdqn-1 --output curves.png --window 200
"""

from __future__ import annotations

import argparse

from .argtypes import positive_int


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", help="a run folder holding monitor.csv (or the file itself)")
    parser.add_argument("--output", metavar="PNG", help="the image to write (default: RUN/learning_curves.png)")
    parser.add_argument("--window", type=positive_int, default=None, metavar="N",
                        help="episodes in the moving average (default: about 1/20 of the episodes, 1 to 500)")


def run(args: argparse.Namespace) -> int:
    from ..training.plot import plot_from_args

    return plot_from_args(args)
