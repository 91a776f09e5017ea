"""The ``qwop-fast`` command: argument parsing, and the one place where a
user's mistake becomes a message.

Each command is a module of this package with ``configure_parser(parser)``
(argparse only) and ``run(args) -> int``, which imports the code that does
the work: one import per command, made when the command runs, so that
building the parser (and ``--help``) imports no torch, SB3 or pygame.

A user's mistake is raised as a ``qwop_fast.errors.UserError`` (or is an
OSError about a file); ``main`` prints it as one line,
``qwop-fast <command>: error: <message>``, and exits with code 2, as
argparse does for a bad option. Anything else is a bug and keeps its traceback.
"""

from __future__ import annotations

import argparse
import importlib
import sys

from ..errors import UserError

# command -> one-line help; the module qwop_fast.cli.<command> holds the rest.
COMMANDS: dict[str, str] = {
    "train": "train an agent (QR-DQN quick path, or --config FILE)",
    "evaluate": "evaluate a trained model on QWOPEnv",
    "watch": "watch a trained model run (window, GIF or MP4)",
    "play": "play QWOP yourself with the Q, W, O, P keys",
    "replay": "replay a recorded key file bit-exactly",
    "plot": "plot a run's learning curves to a PNG",
    "tune": "tune hyperparameters with Optuna (one machine or many)",
    "imitate": "behaviour-clone key recordings into a policy (the warm start for train)",
    "bench": "side-by-side throughput benchmark (bench/ of a source checkout)",
}
USER_ERROR_EXIT = 2

# Optional dependency (top-level module) -> the extra that installs it, for
# the one-line message when a command needs a package that is not installed.
EXTRAS: dict[str, str] = {
    "matplotlib": "render", "pygame": "render", "imageio": "render", "imageio_ffmpeg": "render",
    "moviepy": "render", "PIL": "render", "psutil": "bench", "Box2D": "reference",
    "stable_baselines3": "train", "sb3_contrib": "train", "torch": "train", "yaml": "train",
    "rich": "train", "tqdm": "train", "tensorboard": "train", "rl_zoo3": "zoo",
}


def build_parser() -> argparse.ArgumentParser:
    from .. import __version__

    parser = argparse.ArgumentParser(
        prog="qwop-fast",
        description="Fast batched QWOP environments for reinforcement learning.",
    )
    parser.add_argument("--version", action="version", version=f"qwop-fast {__version__}")
    sub = parser.add_subparsers(dest="command", metavar="COMMAND")
    sub.required = True
    for name, help_text in COMMANDS.items():
        module = importlib.import_module(f"{__name__}.{name}")
        # A command that hands its arguments to another program (bench)
        # leaves --help to that program too.
        passes_through = getattr(module, "PASSES_ARGUMENTS_THROUGH", False)
        p = sub.add_parser(name, help=help_text, description=(module.__doc__ or help_text).strip(),
                           formatter_class=argparse.RawDescriptionHelpFormatter, add_help=not passes_through)
        module.configure_parser(p)
        p.set_defaults(_module=module, _parser=p, _passes_through=passes_through)
    return parser


def main(argv: list[str] | None = None) -> int:
    args, extra = build_parser().parse_known_args(argv)
    if extra:
        if not args._passes_through:
            args._parser.error(f"unrecognized arguments: {' '.join(extra)}")
        args.passed_through = extra
    try:
        return int(args._module.run(args) or 0)
    except UserError as exc:
        return _user_error(args.command, str(exc))
    except ModuleNotFoundError as exc:
        extra = EXTRAS.get((exc.name or "").split(".")[0])
        if extra is None:
            raise  # not an optional dependency: a bug, keep the traceback
        return _user_error(args.command, missing_extra_message(args.command, exc.name, extra))
    except OSError as exc:  # a file named on the command line cannot be read or written
        return _user_error(args.command, f"{exc.filename}: {exc.strerror or exc}" if exc.filename else str(exc))
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr)
        return 130


def missing_extra_message(command: str, module: str, extra: str) -> str:
    return (f"this command needs {module.split('.')[0]}, which is not installed; "
            f"install the '{extra}' extra: pip install 'qwop-fast[{extra}]'")


def _user_error(command: str, message: str) -> int:
    print(f"qwop-fast {command}: error: {message}", file=sys.stderr)
    return USER_ERROR_EXIT


if __name__ == "__main__":
    sys.exit(main())
