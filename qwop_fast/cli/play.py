"""Play QWOP yourself.

Q and W swing the thighs, O and P the calves; R restarts, Esc (or closing the
window) quits. The game runs at its real speed: one physics frame per
displayed frame, 30 frames per second of game clock, with all 16 key
combinations (QWOPEnv(frames_per_step=1, reduced_action_set=False,
max_episode_steps=0)).

--record FILE saves the keys of the last attempt (the one running when you
quit, or the one before it if you had just pressed R) as JSON, for
`qwop-fast replay FILE`.

examples:
  qwop-fast play
  qwop-fast play --record my-run.json --no-hurdle
"""

from __future__ import annotations

import argparse


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--record", metavar="FILE", help="save the last attempt's keys to FILE (JSON)")
    parser.add_argument("--hurdle", action=argparse.BooleanOptionalAction, default=True,
                        help="the hurdle at 50 m (default: on)")


def run(args: argparse.Namespace) -> int:
    from ..play import play_from_args

    return play_from_args(args)
