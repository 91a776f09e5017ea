"""Replay a recorded key file bit-exactly.

Plays the keys of a recording made with `qwop-fast play --record FILE` on
QWOPEnv with the recorded env options, shows it in a window (or writes an
animation with --output: .gif, or .mp4 with imageio-ffmpeg installed) and
checks that the final distance equals the recorded one. Exit code 1 when it
does not (the physics is deterministic, so a difference means another engine
build or a changed runner).

examples:
  qwop-fast replay my-run.json
  qwop-fast replay my-run.json --output my-run.gif --fps 30
"""

from __future__ import annotations

import argparse

from .argtypes import positive_float


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a recording (JSON) from `qwop-fast play --record`")
    parser.add_argument("--output", metavar="FILE",
                        help="write the animation to FILE (.gif or .mp4) instead of opening a window")
    parser.add_argument("--fps", type=positive_float, default=None, metavar="F",
                        help="frames per second (default: real game speed, 30 / frames_per_step)")


def run(args: argparse.Namespace) -> int:
    from ..replay import replay_file

    return replay_file(args)
