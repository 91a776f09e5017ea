"""Plot learning curves of one or more runs to a PNG.

Reads RUN/monitor.csv (written during training by SB3's VecMonitor with the
info keywords distance, is_success and timesteps) and draws episode reward,
distance and success rate against the run's timesteps, each with a moving
average, and the periodic evaluations of RUN/evaluations.npz. RUN may also
be the monitor.csv file itself. Several RUNs share one figure, one colour each.

examples:
  qwop-fast plot runs/qrdqn-1                  # writes runs/qrdqn-1/learning_curves.png
  qwop-fast plot runs/qrdqn-1 --output curves.png --window 200
  qwop-fast plot runs/qrdqn-1 runs/ppo-1 --output compare.png
"""

from __future__ import annotations

import argparse

from .argtypes import positive_int


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("run", metavar="RUN", nargs="+",
                        help="a run folder holding monitor.csv (or the file itself); several to compare")
    parser.add_argument("--output", metavar="PNG",
                        help="the image to write (default: RUN/learning_curves.png for one run, "
                             "./learning_curves.png for several)")
    parser.add_argument("--window", type=positive_int, default=None, metavar="N",
                        help="episodes in the moving average (default: about 1/20 of the episodes, 1 to 500)")


def run(args: argparse.Namespace) -> int:
    from ..training.plot import plot_from_args

    return plot_from_args(args)
