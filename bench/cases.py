"""The things the throughput benchmark times (``Case``) and how each is
built: the raw C++ loop, the same in separate processes, QWOPVecEnv,
QWOPEnv, SB3's Dummy/SubprocVecEnv of QWOPEnv and of the pybox2d reference;
plus the memory per env of an engine and of a SubprocVecEnv worker."""

from __future__ import annotations

import functools
import statistics
import time
from dataclasses import dataclass, field
from typing import Any, Callable

# Backend names, as they appear in RESULTS.md and results.json.
RAW = "raw"
RAW_PROCS = "raw (processes)"
VEC = "QWOPVecEnv"
SINGLE = "QWOPEnv"
REF = "ReferenceQWOPEnv"


def dummy(name: str) -> str:
    return f"DummyVecEnv[{name}]"


def subproc(name: str) -> str:
    return f"SubprocVecEnv[{name}]"



# ------------------------------------------------------------ measurement
@dataclass
class Case:
    """One thing to time: ``step(k)`` advances it by k batched steps of
    ``n_envs`` env steps each."""

    backend: str
    n_envs: int
    threads: int | None = None    # engine threads (raw, QWOPVecEnv)
    processes: int | None = None  # worker processes (SubprocVecEnv)
    step: Callable[[int], None] | None = None
    close: Callable[[], None] = lambda: None
    worker_pids: list[int] = field(default_factory=list)  # CPU time counted too
    chunk: int = 1
    samples: list[float] = field(default_factory=list)
    cpu_samples: list[float] = field(default_factory=list)  # cores busy, on average

    @property
    def label(self) -> str:
        return f"{self.backend} n={self.n_envs}" + (f" t={self.threads}" if self.threads else "")

    def calibrate(self, seconds: float, warmup: float) -> None:
        """Pick the chunk (batched steps between clock reads) so one chunk
        lasts about 1/20 of a measurement, then warm up (allocations, caches,
        the first contacts) before anything is recorded."""
        target = max(0.002, seconds / 20)
        k = 1
        while True:
            t0 = time.perf_counter()
            self.step(k)
            dt = time.perf_counter() - t0
            if dt >= target or k >= 1 << 20:
                break
            k = min(k * 16, max(k + 1, int(k * target / max(dt, 1e-9) * 1.2)))
        self.chunk = k
        end = time.perf_counter() + warmup
        while time.perf_counter() < end:
            self.step(k)

    def _cpu_seconds(self) -> float:
        """CPU time of this process (all its threads) and of the workers."""
        total = time.process_time()
        if self.worker_pids:
            import psutil

            for pid in self.worker_pids:
                try:
                    t = psutil.Process(pid).cpu_times()
                    total += t.user + t.system
                except psutil.Error:
                    pass
        return total

    def measure(self, seconds: float) -> float:
        k, done = self.chunk, 0
        c0 = self._cpu_seconds()
        t0 = time.perf_counter()
        while True:
            self.step(k)
            done += k
            elapsed = time.perf_counter() - t0
            if elapsed >= seconds:
                break
        # Cores actually used: below the thread/process count means other
        # load took the CPU, and that scaling figure says little.
        self.cpu_samples.append((self._cpu_seconds() - c0) / elapsed)
        rate = done * self.n_envs / elapsed
        self.samples.append(rate)
        return rate


def summary(samples: list[float]) -> dict[str, Any]:
    if not samples:
        return {"median": None, "min": None, "max": None, "samples": []}
    return {"median": statistics.median(samples), "min": min(samples), "max": max(samples),
            "samples": samples}


def _action_table(rng: Any, n_actions: int, n_envs: int) -> Any:
    # A cycle long enough that envs see varied actions, capped at 8 MiB at
    # large n.
    rows = max(64, min(4096, (1 << 20) // n_envs))
    return rng.integers(0, n_actions, (rows, n_envs), dtype="int64")


# Longest single Engine.run_random call: the call holds no GIL and checks no
# signals, so Ctrl-C waits for it; Python handles the signal between calls.
MAX_CALL_SECONDS = 0.05


class ChunkedRandom:
    """``engine.run_random(k, seed)`` split into calls of at most about
    MAX_CALL_SECONDS each (sized from the previous call), so that Ctrl-C
    stops the raw loop within a fraction of a second whatever k is."""

    def __init__(self, engine: Any) -> None:
        self.engine = engine
        self.per_call = 1  # steps per call, grown/shrunk to the time limit

    def __call__(self, k: int, seed: int) -> None:
        done = 0
        while done < k:
            m = min(k - done, self.per_call)
            t0 = time.perf_counter()
            self.engine.run_random(m, (seed * 1_000_003 + done) % 2**63)
            dt = time.perf_counter() - t0
            done += m
            if dt < MAX_CALL_SECONDS / 2 and m == self.per_call:
                self.per_call *= 2
            elif dt > MAX_CALL_SECONDS:
                self.per_call = max(1, int(m * MAX_CALL_SECONDS / dt))


def make_raw(n: int, threads: int, fps: int, seed: int) -> Case:
    from qwop_fast._engine import Engine

    engine = Engine(n, num_threads=threads, frames_per_step=fps)
    state = {"seed": seed}
    run_random = ChunkedRandom(engine)

    def step(k: int) -> None:
        state["seed"] += 1  # a fresh action stream per call
        run_random(k, state["seed"])

    return Case(RAW, n, threads=engine.num_threads, step=step, close=engine.close)


def _raw_process_worker(conn: Any, fps: int) -> None:
    """One process of the RAW_PROCS case: single-threaded engines, one per
    size, stepped on command. Separate processes share no memory (not even
    Box2D's global counters), so their sum is the parallel ceiling that the
    engine's threads are compared with."""
    import time as _time

    from qwop_fast._engine import Engine

    engines: dict[int, Any] = {}
    chunks: dict[int, int] = {}
    calls = 0
    while True:
        msg = conn.recv()
        if msg[0] == "close":
            break
        _, n, seconds = msg
        if n not in engines:
            engines[n] = ChunkedRandom(Engine(n, num_threads=1, frames_per_step=fps))
            k = 1  # chunk of about 1/20 of a measurement, as Case.calibrate
            while True:
                t0 = _time.perf_counter()
                engines[n](k, calls)
                calls += 1
                if _time.perf_counter() - t0 >= max(0.002, seconds / 20) or k >= 1 << 20:
                    break
                k *= 2
            chunks[n] = k
        k, done = chunks[n], 0
        c0 = _time.process_time()
        t0 = _time.perf_counter()
        while True:
            engines[n](k, calls)
            calls += 1
            done += k
            elapsed = _time.perf_counter() - t0
            if elapsed >= seconds:
                break
        conn.send((done, elapsed, _time.process_time() - c0))
    for e in engines.values():
        e.engine.close()
    conn.close()


class RawProcesses:
    """``procs`` worker processes running ``_raw_process_worker``, shared by
    every RAW_PROCS case (one set of processes, an engine per size in each)."""

    def __init__(self, procs: int, fps: int) -> None:
        import multiprocessing as mp

        # forkserver: this process already runs engine threads, and fork()
        # of a threaded process is unsafe.
        methods = mp.get_all_start_methods()
        ctx = mp.get_context("forkserver" if "forkserver" in methods else "spawn")
        self.conns, self.procs = [], []
        for _ in range(procs):
            parent, child = ctx.Pipe()
            p = ctx.Process(target=_raw_process_worker, args=(child, fps), daemon=True)
            p.start()
            child.close()
            self.conns.append(parent)
            self.procs.append(p)

    def run(self, sizes: list[int], seconds: float) -> tuple[int, float, float]:
        """All workers at once; returns env steps, the slowest worker's
        seconds, and the CPU seconds of all of them."""
        for conn, n in zip(self.conns, sizes):
            conn.send(("run", n, seconds))
        replies = [conn.recv() for conn in self.conns]
        return (sum(d * n for (d, _, _), n in zip(replies, sizes)), max(t for _, t, _ in replies),
                sum(c for _, _, c in replies))

    def close(self) -> None:
        for conn, p in zip(self.conns, self.procs):
            try:
                conn.send(("close",))
                conn.close()
            except OSError:
                pass
            p.join(timeout=10)
            if p.is_alive():
                p.terminate()
        self.conns, self.procs = [], []


class RawProcessCase(Case):
    """n_envs split over the RawProcesses workers, timed by the workers."""

    pool: RawProcesses | None = None

    def calibrate(self, seconds: float, warmup: float) -> None:
        self._sizes = [(self.n_envs * (k + 1)) // self.processes - (self.n_envs * k) // self.processes
                       for k in range(self.processes)]
        self.pool.run(self._sizes, max(warmup, seconds / 10))  # builds, calibrates, warms up

    def measure(self, seconds: float) -> float:
        steps, elapsed, cpu = self.pool.run(self._sizes, seconds)
        self.cpu_samples.append(cpu / elapsed)
        rate = steps / elapsed
        self.samples.append(rate)
        return rate


def make_raw_processes(pool: RawProcesses, n: int) -> Case:
    case = RawProcessCase(RAW_PROCS, n, processes=len(pool.procs))
    case.pool = pool
    return case


def make_vec_stepper(venv: Any, actions: Any) -> Callable[[int], None]:
    rows = len(actions)
    pos = [0]

    def step(k: int) -> None:
        i = pos[0]
        for _ in range(k):
            venv.step(actions[i])  # = step_async + step_wait
            i = i + 1 if i + 1 < rows else 0
        pos[0] = i

    return step


def make_qwop_vec(n: int, threads: int, fps: int, rng: Any) -> Case:
    from qwop_fast.vec_env import QWOPVecEnv

    venv = QWOPVecEnv(n, num_threads=threads, frames_per_step=fps)
    venv.reset()
    actions = _action_table(rng, venv.action_space.n, n)
    return Case(VEC, n, threads=venv.engine.num_threads, step=make_vec_stepper(venv, actions),
                close=venv.close)


def make_single(env_cls: type, name: str, fps: int, rng: Any) -> Case:
    env = env_cls(frames_per_step=fps)
    env.reset(seed=0)
    # Python ints: the cheapest action a gymnasium user can pass.
    actions = rng.integers(0, env.action_space.n, 4096).tolist()
    rows = len(actions)
    pos = [0]

    def step(k: int) -> None:
        i = pos[0]
        for _ in range(k):
            _, _, terminated, truncated, _ = env.step(actions[i])
            if terminated or truncated:
                env.reset()
            i = i + 1 if i + 1 < rows else 0
        pos[0] = i

    return Case(name, 1, threads=1, step=step, close=env.close)


def make_sb3_vec(kind: str, env_cls: type, name: str, n: int, fps: int, rng: Any) -> Case:
    from stable_baselines3.common.vec_env import DummyVecEnv, SubprocVecEnv

    # functools.partial of a module-level class pickles by reference, so the
    # forkserver/spawn workers of SubprocVecEnv can rebuild it.
    fns = [functools.partial(env_cls, frames_per_step=fps) for _ in range(n)]
    if kind == "dummy":
        venv, backend, procs = DummyVecEnv(fns), dummy(name), None
    else:
        venv, backend, procs = SubprocVecEnv(fns), subproc(name), n
    venv.reset()
    actions = _action_table(rng, venv.action_space.n, n)
    case = Case(backend, n, threads=None if procs else 1, processes=procs,
                step=make_vec_stepper(venv, actions), close=venv.close,
                worker_pids=[p.pid for p in getattr(venv, "processes", [])])
    case.venv = venv  # type: ignore[attr-defined]  (worker pids, for memory)
    return case


# ------------------------------------------------------------------ memory
def engine_memory(n: int, threads: int, fps: int) -> dict[str, Any]:
    """RSS growth per env of one big engine (worlds built and stepped, so
    contacts and island buffers exist). Run first, on a young heap, so freed
    memory of earlier cases cannot hide the growth."""
    import gc

    import psutil

    from qwop_fast._engine import Engine

    proc = psutil.Process()
    gc.collect()
    before = proc.memory_info().rss
    engine = Engine(n, num_threads=threads, frames_per_step=fps)
    engine.run_random(20, 1)
    after = proc.memory_info().rss
    engine.close()
    return {"n_envs": n, "rss_delta_bytes": after - before, "bytes_per_env": (after - before) / n}


def worker_memory(case: Case) -> dict[str, Any] | None:
    """RSS and USS (memory only that process holds) of SubprocVecEnv workers."""
    import psutil

    procs = getattr(getattr(case, "venv", None), "processes", None)
    if not procs:
        return None
    rss, uss = [], []
    for p in procs:
        try:
            ps = psutil.Process(p.pid)
            rss.append(ps.memory_info().rss)
            try:
                uss.append(ps.memory_full_info().uss)
            except (psutil.AccessDenied, AttributeError):
                pass
        except psutil.NoSuchProcess:
            continue
    if not rss:
        return None
    return {"backend": case.backend, "n_envs": case.n_envs,
            "rss_bytes_per_env": statistics.median(rss),
            "uss_bytes_per_env": statistics.median(uss) if uss else None}
