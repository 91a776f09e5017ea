"""Shared test set-up: no display, and running ``qwop-fast`` commands in-process."""

from __future__ import annotations

import os
import signal

import pytest

# No display in tests: pygame windows go to SDL's dummy video driver. Set
# here, before any test module imports pygame.
os.environ["SDL_VIDEODRIVER"] = "dummy"
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")

# The Ctrl-C tests send SIGINT to child processes. A test run started in the
# background of a non-interactive shell (`cmd &`) inherits SIGINT ignored,
# and an ignored signal stays ignored in every child, whose Python then never
# raises KeyboardInterrupt. Handling it here again gives the children the
# default disposition (exec resets a handled signal), as in a terminal.
if signal.getsignal(signal.SIGINT) is signal.SIG_IGN:
    signal.signal(signal.SIGINT, signal.default_int_handler)


@pytest.fixture
def run_command():
    """``run_command("replay", [...])``: the exit code of ``qwop-fast replay ...``,
    run through the real CLI (its parser and its user-error handler)."""
    from qwop_fast.cli import main

    return lambda name, argv: main([name, *argv])


@pytest.fixture
def child():
    """``child(code, timeout=60)``: run Python ``code`` in a fresh interpreter
    and return its CompletedProcess. For cases that could crash or hang: a
    segfault or an abort is a negative return code and a hang a timeout,
    which fail the test instead of taking the whole test run down."""
    import subprocess
    import sys

    def run(code: str, timeout: float = 60, **kwargs):
        try:
            return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                  timeout=timeout, **kwargs)
        except subprocess.TimeoutExpired as exc:
            pytest.fail(f"the child process hung (no exit within {timeout} s); its output:\n"
                        f"{exc.stdout}\n{exc.stderr}")

    return run
