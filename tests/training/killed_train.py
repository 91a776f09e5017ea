"""``qwop-fast train`` that SIGKILLs itself at a chosen point of an atomic
checkpoint write (driven by tests/training/test_kill_resume.py).

    python killed_train.py KILL_POINT FILE_PREFIX NTH -- <train arguments>

KILL_POINT is where, in the NTH write of a file whose name starts with
FILE_PREFIX, the process kills itself:

* ``mid-write``: the temporary file holds half the bytes (cut before fsync);
* ``before-rename``: complete and fsync'ed, not yet renamed;
* ``after-rename``: renamed into place, before anything else is written;
* ``none``: no kill.

The kill is a real SIGKILL of a real training process: nothing after it
runs (no finally, no atexit), as with the OOM killer or a power cut.
"""

import os
import signal
import sys
from pathlib import Path

point, prefix, nth = sys.argv[1], sys.argv[2], int(sys.argv[3])
train_args = sys.argv[sys.argv.index("--") + 1:]
seen = {"n": 0}
real_fsync, real_replace = os.fsync, os.replace


def _die():
    sys.stderr.write(f"killed_train: SIGKILL at {point} of {prefix} #{nth}\n")
    sys.stderr.flush()
    os.kill(os.getpid(), signal.SIGKILL)


def _name_of(fd):
    try:
        return Path(os.readlink(f"/proc/self/fd/{fd}")).name
    except OSError:
        return ""


def fsync(fd):
    name = _name_of(fd)
    if point == "mid-write" and name.startswith("." + prefix):
        seen["n"] += 1
        if seen["n"] == nth:
            os.ftruncate(fd, os.fstat(fd).st_size // 2)
            _die()
    return real_fsync(fd)


def replace(src, dst, *args, **kwargs):
    hit = point in ("before-rename", "after-rename") and Path(dst).name.startswith(prefix)
    if hit:
        seen["n"] += 1
        hit = seen["n"] == nth
    if hit and point == "before-rename":
        _die()
    out = real_replace(src, dst, *args, **kwargs)
    if hit:
        _die()
    return out


os.fsync, os.replace = fsync, replace
from qwop_fast.cli import main  # noqa: E402

sys.exit(main(["train", *train_args]))
