"""``python -m qwop_fast.zoo SCRIPT [ARGS]``: rl-zoo3's ``python -m rl_zoo3.SCRIPT``
with qwop_fast/QWOP-v0 registered first (for the zoo scripts that have no
``--gym-packages``: record_video, record_training, push_to_hub), and for
``train`` the shipped hyperparameters of ``--algo`` unless ``--conf-file`` is given.

  python -m qwop_fast.zoo train --algo qrdqn --env qwop_fast/QWOP-v0 -f logs
  python -m qwop_fast.zoo enjoy --algo qrdqn --env qwop_fast/QWOP-v0 -f logs --no-render -n 2000
  python -m qwop_fast.zoo record_video --algo qrdqn --env qwop_fast/QWOP-v0 -f logs -n 600
"""

from __future__ import annotations

import runpy
import sys

import qwop_fast  # noqa: F401  (registers qwop_fast/QWOP-v0)

from . import HYPERPARAMS

SCRIPTS = ("train", "enjoy", "record_video", "record_training", "push_to_hub", "load_from_hub")


def main(argv: list[str]) -> int:
    if not argv or argv[0] not in SCRIPTS:
        print(f"usage: python -m qwop_fast.zoo {{{','.join(SCRIPTS)}}} [rl_zoo3 arguments]", file=sys.stderr)
        return 2
    script, args = argv[0], list(argv[1:])
    if script == "train" and not any(a in ("--conf-file", "-conf") or a.startswith("--conf-file=") for a in args):
        algo = _value(args, "--algo") or "ppo"  # zoo's default algorithm
        if algo in HYPERPARAMS:
            args += ["--conf-file", f"qwop_fast.zoo.{algo}"]
    sys.argv = [f"rl_zoo3.{script}", *args]
    runpy.run_module(f"rl_zoo3.{script}", run_name="__main__", alter_sys=True)
    return 0


def _value(args: list[str], flag: str) -> str | None:
    for i, a in enumerate(args):
        if a == flag and i + 1 < len(args):
            return args[i + 1]
        if a.startswith(flag + "="):
            return a.split("=", 1)[1]
    return None


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
