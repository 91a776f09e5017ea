"""Side-by-side throughput benchmark of every way to step QWOP.

The benchmark tooling is not part of the installed package: it lives in
bench/ of the source repository. This command runs bench/throughput.py of
the checkout this package was installed from (an editable install, as
`make install` makes), with the arguments given here:

  qwop-fast bench --quick           # under a minute
  qwop-fast bench --help            # the benchmark's own options

It writes bench/RESULTS.md, bench/results.json and bench/throughput.png by
default (relative to the current folder; see --output-dir).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
from pathlib import Path

from ..errors import UserError

# Every argument goes to bench/throughput.py, --help included.
PASSES_ARGUMENTS_THROUGH = True
# The repository this package is imported from, if it is a source checkout.
SOURCE_ROOT = Path(__file__).resolve().parents[2]


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.set_defaults(passed_through=[])


def run(args: argparse.Namespace) -> int:
    import importlib.util

    from . import missing_extra_message

    # The benchmark runs in a child process: check its optional dependencies
    # here, so a missing one is a one-line message rather than the child's traceback.
    for module in ("psutil", "matplotlib", "Box2D"):
        try:
            found = importlib.util.find_spec(module) is not None
        except ValueError:  # in sys.modules as None: import blocked
            found = False
        if not found:
            raise UserError(missing_extra_message("bench", module, "bench"))
    if not (SOURCE_ROOT / "bench" / "throughput.py").is_file():
        raise UserError("the benchmark is not installed with the package: it is bench/throughput.py of the "
                        "qwop-fast repository; clone it and run `make bench` there")
    # A separate process, as `python -m bench.throughput` from the repository:
    # the benchmark starts worker processes of its own, and bench/ is not a
    # package of this installation.
    env = {**os.environ, "PYTHONPATH": os.pathsep.join(filter(None, [str(SOURCE_ROOT),
                                                                      os.environ.get("PYTHONPATH")]))}
    return subprocess.run([sys.executable, "-m", "bench.throughput", *args.passed_through], env=env).returncode
