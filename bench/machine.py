"""What machine and software a benchmark ran on (recorded with every result)."""

from __future__ import annotations

import datetime as _dt
import os
import platform
from pathlib import Path
from typing import Any


def _cpu_model() -> str:
    try:
        with open("/proc/cpuinfo") as f:
            for line in f:
                if line.lower().startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def _box2d_cpp_version() -> str:
    """The Box2D version the engine actually loaded: b2_version read from the
    shared library mapped into this process (falls back to pkg-config)."""
    import ctypes
    import subprocess

    import qwop_fast._engine  # noqa: F401  (maps libbox2d into the process)

    try:
        with open("/proc/self/maps") as f:
            paths = {line.split()[-1] for line in f if "libbox2d" in line and "/" in line}
        for path in sorted(paths):
            lib = ctypes.CDLL(path)
            v = (ctypes.c_int32 * 3).in_dll(lib, "b2_version")
            # Box2D 2.4.1 was released with b2_version still saying 2.4.0, so
            # the file name (libbox2d.so.2.4.1) is the better witness.
            return f"{Path(path).name} (b2_version {v[0]}.{v[1]}.{v[2]})"
    except (OSError, ValueError, IndexError):
        pass
    try:
        out = subprocess.run(["pkg-config", "--modversion", "box2d"], capture_output=True, text=True,
                             timeout=10)
        if out.returncode == 0:
            return out.stdout.strip() + " (pkg-config; statically linked?)"
    except (OSError, subprocess.SubprocessError):
        pass
    return "unknown"


def _version(module: str) -> str:
    try:
        mod = __import__(module)
        return str(getattr(mod, "__version__", "?"))
    except ImportError:
        return "not installed"


def machine_info(cores: int) -> dict[str, Any]:
    import numpy as np

    return {
        "cpu": _cpu_model(),
        "logical_cpus": os.cpu_count(),
        "usable_cores": cores,
        "platform": platform.platform(),
        "python": platform.python_version(),
        "numpy": np.__version__,
        "torch": _version("torch"),
        "stable_baselines3": _version("stable_baselines3"),
        "sb3_contrib": _version("sb3_contrib"),
        "gymnasium": _version("gymnasium"),
        "box2d_cpp": _box2d_cpp_version(),
        "pybox2d": _version("Box2D"),
        "date": _dt.datetime.now(_dt.timezone.utc).strftime("%Y-%m-%d %H:%M:%S UTC"),
        "loadavg_start": [round(x, 2) for x in os.getloadavg()],
    }
