"""The ``qwop-fast`` command: argument parsing only.

Each subcommand lives in its own module, which provides
``configure_parser(parser)`` (options and help; keep heavy imports out of it)
and ``run(args) -> int`` (the work). This file only wires them together.
"""

from __future__ import annotations

import argparse
import importlib
import sys

# subcommand -> (module, one-line help)
COMMANDS: dict[str, tuple[str, str]] = {
    "train": ("qwop_fast.train", "train an agent (QR-DQN quick path, or --config FILE)"),
    "evaluate": ("qwop_fast.evaluate", "evaluate a trained model on QWOPEnv"),
    "watch": ("qwop_fast.watch", "watch a trained model run (window, GIF or MP4)"),
    "play": ("qwop_fast.play", "play QWOP yourself with the Q, W, O, P keys"),
    "replay": ("qwop_fast.replay", "replay a recorded key file bit-exactly"),
    "plot": ("qwop_fast.plot", "plot a run's learning curves to a PNG"),
    "bench": ("qwop_fast.benchmark", "side-by-side throughput benchmark"),
}


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="qwop-fast",
        description="Fast batched QWOP environments for reinforcement learning.",
    )
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, (module_name, help_text) in COMMANDS.items():
        module = importlib.import_module(module_name)
        p = sub.add_parser(name, help=help_text, description=(module.__doc__ or help_text).strip(),
                           formatter_class=argparse.RawDescriptionHelpFormatter)
        module.configure_parser(p)
        p.set_defaults(_module=module)
    return parser


def main(argv: list[str] | None = None) -> int:
    args = build_parser().parse_args(argv)
    try:
        return int(args._module.run(args) or 0)
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
