"""How much memory an engine needs and how much this process can still have,
so that a batch too big for the machine is refused before it is allocated
(by ``Engine`` itself and, naming the config key, by the training config)."""

from __future__ import annotations

import os
from pathlib import Path

# One env in the engine: its world (sizeof(Runner), 86 KiB) and its rows of the
# output buffers (~1.5 KiB), rounded up.
ENGINE_BYTES_PER_ENV = 96 * 1024

# What a native thread costs besides its worlds: the touched part of its
# stack and its thread-local state (a generous estimate).
THREAD_BYTES = 256 * 1024


def available_memory() -> int | None:
    """Bytes this process can still allocate: the machine's available memory
    (MemAvailable: free plus reclaimable caches), lowered by this process's
    address-space limit (ulimit -v) and its cgroup's limit; None when unknown."""
    limits = []
    try:
        with open("/proc/meminfo") as f:
            for line in f:
                if line.startswith("MemAvailable:"):
                    limits.append(int(line.split()[1]) * 1024)
                    break
    except (OSError, ValueError, IndexError):
        try:
            limits.append(os.sysconf("SC_AVPHYS_PAGES") * os.sysconf("SC_PAGE_SIZE"))
        except (ValueError, OSError, AttributeError):
            pass
    try:
        import resource

        soft, _ = resource.getrlimit(resource.RLIMIT_AS)
        if soft != resource.RLIM_INFINITY:
            limits.append(max(0, soft - _address_space_used()))
    except (ImportError, ValueError, OSError):  # not POSIX
        pass
    try:
        text = Path("/sys/fs/cgroup/memory.max").read_text().strip()
        current = int(Path("/sys/fs/cgroup/memory.current").read_text().strip())
        if text != "max":
            limits.append(max(0, int(text) - current))
    except (OSError, ValueError):
        pass
    return min(limits) if limits else None


def _address_space_used() -> int:
    """Virtual size of this process (what RLIMIT_AS counts), from /proc."""
    try:
        with open("/proc/self/statm") as f:
            return int(f.read().split()[0]) * os.sysconf("SC_PAGE_SIZE")
    except (OSError, ValueError, IndexError):
        return 0


def engine_memory_estimate(n_envs: int, num_threads: int) -> int:
    """Bytes a QWOPVecEnv of ``n_envs`` runners on ``num_threads`` threads
    needs (the engine's per-env estimate, ENGINE_BYTES_PER_ENV)."""
    return n_envs * ENGINE_BYTES_PER_ENV + min(num_threads, n_envs) * THREAD_BYTES


