"""Shared test set-up: no display, and running ``qwop-fast`` commands in-process."""

from __future__ import annotations

import os

import pytest

# No display in tests: pygame windows go to SDL's dummy video driver. Set
# here, before any test module imports pygame.
os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")


@pytest.fixture
def run_command():
    """``run_command("replay", [...])``: the exit code of ``qwop-fast replay ...``,
    run through the real CLI (its parser and its user-error handler)."""
    from qwop_fast.cli import main

    return lambda name, argv: main([name, *argv])
