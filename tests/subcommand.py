"""Run one ``qwop-fast`` subcommand module the way ``qwop_fast.cli`` wires it
(its ``configure_parser`` then ``run``), without importing the other
subcommands. Imported by the render/play/watch/plot tests."""

from __future__ import annotations

import argparse
import importlib
import os

# No display in tests: pygame windows go to SDL's dummy video driver.
os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


def run_subcommand(name: str, argv: list[str]) -> int:
    module = importlib.import_module(f"qwop_fast.{name}")
    parser = argparse.ArgumentParser(prog=f"qwop-fast {name}", description=module.__doc__)
    module.configure_parser(parser)
    return module.run(parser.parse_args(argv))
