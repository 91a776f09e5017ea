"""Side-by-side throughput benchmark of every way to step QWOP.

All measurements happen in one run, interleaved: every case is built once,
then each round measures every case once, in a shuffled order, and the result
is the median over the rounds (with min-max), so that load from other
processes hits every case alike. Actions are uniformly random and episodes
auto-reset; the random actions are drawn up front, so sampling them is not
measured.

Cases (env steps per second, frames_per_step 4 unless --frames-per-step):
  raw                  Engine.run_random: the C++ loop, no Python (the ceiling)
  raw (processes)      the same, one single-threaded process per core: the
                       parallel ceiling that the engine's threads are held to
  QWOPVecEnv           step() = step_async + step_wait, infos included
  QWOPEnv              one env, reset when an episode ends
  DummyVecEnv / SubprocVecEnv of QWOPEnv (n = usable cores and 8)
  ReferenceQWOPEnv     the pybox2d implementation, alone and in Dummy/Subproc
  training             SB3 fps of PPO and QR-DQN, QWOPVecEnv vs SubprocVecEnv
plus the memory per env of a large engine (RSS delta) and of a SubprocVecEnv
worker process.

Writes OUTPUT_DIR/RESULTS.md (also printed), results.json and throughput.png.
Speeds depend on the machine and its load; nothing here is asserted.
"""

from __future__ import annotations

import argparse
import datetime as _dt
import functools
import json
import os
import platform
import random
import shlex
import statistics
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Callable

from .argtypes import positive_float, positive_int

# Full run / --quick defaults. --quick must finish in under a minute on a
# 2-core machine (the smoke test runs it), so it keeps one size per regime.
FULL = dict(n_envs=(1, 4, 16, 64, 256), seconds=2.0, repeats=5, warmup=0.5,
            train_steps=16384, train_repeats=3, memory_envs=4096, extra_sizes=(8,))
QUICK = dict(n_envs=(1, 16), seconds=0.25, repeats=2, warmup=0.05,
             train_steps=512, train_repeats=1, memory_envs=512, extra_sizes=())

RAW = "raw"
RAW_PROCS = "raw (processes)"
VEC = "QWOPVecEnv"
SINGLE = "QWOPEnv"
REF = "ReferenceQWOPEnv"


def dummy(name: str) -> str:
    return f"DummyVecEnv[{name}]"


def subproc(name: str) -> str:
    return f"SubprocVecEnv[{name}]"


# --------------------------------------------------------------------- CLI
def _int_list(text: str) -> tuple[int, ...]:
    try:
        values = tuple(int(v) for v in text.replace(" ", "").split(",") if v)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected comma-separated integers, got {text!r}") from None
    if not values or min(values) < 1:
        raise argparse.ArgumentTypeError(f"expected positive integers, got {text!r}")
    return values


def configure_parser(parser: argparse.ArgumentParser) -> None:
    # No heavy imports here: `qwop-fast --help` builds every subparser.
    parser.add_argument("--quick", action="store_true",
                        help="under a minute: fewer sizes, short timings, tiny training budget")
    parser.add_argument("--n-envs", type=_int_list, default=None, metavar="N,N,...",
                        help=f"QWOPVecEnv / raw sizes (default {','.join(map(str, FULL['n_envs']))}; "
                             "the SubprocVecEnv sizes are added so every ratio has a partner)")
    parser.add_argument("--threads", type=_int_list, default=None, metavar="T,T,...",
                        help="engine thread counts (default: 1 and all usable cores)")
    parser.add_argument("--seconds", type=positive_float, default=None,
                        help=f"timing per measurement (default {FULL['seconds']}, quick {QUICK['seconds']})")
    parser.add_argument("--repeats", type=positive_int, default=None,
                        help=f"interleaved rounds (default {FULL['repeats']}, quick {QUICK['repeats']})")
    parser.add_argument("--output-dir", type=Path, default=Path("bench"),
                        help="where RESULTS.md, results.json and throughput.png go (default bench/)")
    parser.add_argument("--skip-training", action="store_true",
                        help="leave out the SB3 training-throughput comparison")
    parser.add_argument("--train-steps", type=positive_int, default=None,
                        help=f"env steps per training measurement (default {FULL['train_steps']}, "
                             f"quick {QUICK['train_steps']})")
    parser.add_argument("--train-n-envs", type=positive_int, default=None,
                        help="n_envs of the training comparison (default: 8, quick: usable cores)")
    parser.add_argument("--torch-threads", type=positive_int, default=1,
                        help="torch.set_num_threads for training (default 1)")
    parser.add_argument("--frames-per-step", type=positive_int, default=4,
                        help="physics frames per env step (default 4)")
    parser.add_argument("--seed", type=int, default=0, help="seed of the random actions (default 0)")


# ---------------------------------------------------------------- machine
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


def command_line(args: argparse.Namespace) -> str:
    """The options this run used, as one reproducible `qwop-fast bench` line."""
    parts = ["qwop-fast", "bench"]
    if args.quick:
        parts.append("--quick")
    for name in ("n_envs", "threads"):
        value = getattr(args, name)
        if value is not None:
            parts += [f"--{name.replace('_', '-')}", ",".join(map(str, value))]
    for name in ("seconds", "repeats", "train_steps", "train_n_envs"):
        value = getattr(args, name)
        if value is not None:
            parts += [f"--{name.replace('_', '-')}", str(value)]
    if args.skip_training:
        parts.append("--skip-training")
    if args.torch_threads != 1:
        parts += ["--torch-threads", str(args.torch_threads)]
    if args.frames_per_step != 4:
        parts += ["--frames-per-step", str(args.frames_per_step)]
    if args.seed != 0:
        parts += ["--seed", str(args.seed)]
    if args.output_dir != Path("bench"):
        parts += ["--output-dir", str(args.output_dir)]
    return shlex.join(parts)


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


def make_raw(n: int, threads: int, fps: int, seed: int) -> Case:
    from qwop_fast._engine import Engine

    engine = Engine(n, num_threads=threads, frames_per_step=fps)
    state = {"seed": seed}

    def step(k: int) -> None:
        state["seed"] += 1  # a fresh action stream per call
        engine.run_random(k, state["seed"])

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
            engines[n] = Engine(n, num_threads=1, frames_per_step=fps)
            k = 1  # chunk of about 1/20 of a measurement, as Case.calibrate
            while True:
                t0 = _time.perf_counter()
                engines[n].run_random(k, calls)
                calls += 1
                if _time.perf_counter() - t0 >= max(0.002, seconds / 20) or k >= 1 << 20:
                    break
                k *= 2
            chunks[n] = k
        k, done = chunks[n], 0
        c0 = _time.process_time()
        t0 = _time.perf_counter()
        while True:
            engines[n].run_random(k, calls)
            calls += 1
            done += k
            elapsed = _time.perf_counter() - t0
            if elapsed >= seconds:
                break
        conn.send((done, elapsed, _time.process_time() - c0))
    for e in engines.values():
        e.close()
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


# ---------------------------------------------------------------- training
# The project's own learner settings: QR-DQN as the quick path trains
# (`qwop-fast train`, config/quick.yml), PPO as config/train_ppo.yml.
TRAIN_CONFIGS = {"QR-DQN": "quick.yml", "PPO": "train_ppo.yml"}


def training_learners(steps: int, n_envs: int, quick: bool) -> dict[str, dict[str, Any]]:
    """Per algorithm: class, SB3 keyword arguments and a JSON-able record of
    them. Identical for both backends; changed from the config only where a
    short budget needs it: QR-DQN starts learning after 10% of the budget
    (so most measured steps include updates, as in a real run) and --quick
    shortens PPO's rollouts so that a tiny budget still holds several."""
    out: dict[str, dict[str, Any]] = {}
    for algo, name in TRAIN_CONFIGS.items():
        from qwop_fast.config import bundled_config, load_config

        cfg = load_config(bundled_config(name))
        cls, kwargs = cfg.algorithm_class(), cfg.learner_kwargs_for_sb3()
        record, source = dict(cfg.learner_kwargs), f"config/{name}"
        changes: dict[str, Any] = {}
        if algo == "QR-DQN":
            changes["learning_starts"] = max(1, steps // 10)
        elif quick:
            changes["n_steps"] = 64
            changes["batch_size"] = min(kwargs.get("batch_size", 64), 64 * n_envs)
        kwargs.update(changes)
        kwargs.update(verbose=0, device="cpu")
        kwargs.setdefault("policy", "MlpPolicy")
        out[algo] = {"cls": cls, "kwargs": kwargs, "source": source,
                     "hyperparameters": {**record, **changes},
                     "changed_for_benchmark": changes}
    return out


def run_training(n_envs: int, cores: int, fps: int, steps: int, repeats: int, torch_threads: int,
                 seed: int, quick: bool, log: Callable[[str], None]) -> list[dict[str, Any]]:
    import torch
    from stable_baselines3.common.vec_env import SubprocVecEnv, VecMonitor

    from qwop_fast.env import QWOPEnv
    from qwop_fast.vec_env import QWOPVecEnv

    torch.set_num_threads(torch_threads)
    learners = training_learners(steps, n_envs, quick)
    envs = {
        VEC: VecMonitor(QWOPVecEnv(n_envs, num_threads=cores, frames_per_step=fps)),
        subproc(SINGLE): VecMonitor(SubprocVecEnv(
            [functools.partial(QWOPEnv, frames_per_step=fps) for _ in range(n_envs)])),
    }
    samples: dict[tuple[str, str], list[float]] = {(a, b): [] for a in learners for b in envs}
    order = list(samples)
    shuffle = random.Random(seed)
    try:
        for r in range(repeats):
            shuffle.shuffle(order)
            for algo, backend in order:
                learner = learners[algo]
                # Built outside the timing, as SB3's own fps counter does.
                model = learner["cls"](env=envs[backend], seed=seed, **learner["kwargs"])
                t0 = time.perf_counter()
                model.learn(total_timesteps=steps)
                fps_ = model.num_timesteps / (time.perf_counter() - t0)
                samples[(algo, backend)].append(fps_)
                log(f"  train round {r + 1}/{repeats}  {algo:6s} {backend:24s} {fps_:10.0f} steps/s "
                    f"(learn {time.perf_counter() - t0:.1f} s)")
                del model
    finally:
        for venv in envs.values():
            venv.close()
    return [{"algo": a, "backend": b, "n_envs": n_envs, "env_threads": cores if b == VEC else None,
             "torch_threads": torch_threads, "total_timesteps": steps,
             "learner": f"{learners[a]['cls'].__name__} from {learners[a]['source']}",
             "hyperparameters": learners[a]["hyperparameters"],
             "changed_for_benchmark": learners[a]["changed_for_benchmark"],
             "steps_per_s": summary(s)} for (a, b), s in samples.items()]


# ----------------------------------------------------------------- ratios
def _median(results: list[dict[str, Any]], backend: str, n: int, threads: int | None = None,
            metric: str = "steps_per_s") -> float | None:
    for r in results:
        if r["backend"] == backend and r["n_envs"] == n and (threads is None or r["threads"] == threads):
            return r[metric]["median"]
    return None


def _ratio(a: float | None, b: float | None) -> float | None:
    return a / b if a is not None and b else None


def compute_ratios(results: list[dict[str, Any]], training: list[dict[str, Any]],
                   subproc_sizes: list[int]) -> dict[str, Any]:
    vec_rows = [r for r in results if r["backend"] == VEC]
    out: dict[str, Any] = {}
    out["vec_over_raw"] = [
        {"n_envs": r["n_envs"], "threads": r["threads"],
         "ratio": _ratio(r["steps_per_s"]["median"], _median(results, RAW, r["n_envs"], r["threads"])),
         "per_cpu_ratio": _ratio(r["steps_per_cpu_s"]["median"],
                                 _median(results, RAW, r["n_envs"], r["threads"], "steps_per_cpu_s"))}
        for r in vec_rows]
    # Thread scaling: the largest thread count against 1 thread, same n.
    scaling = []
    for backend in (RAW, VEC):
        for n in sorted({r["n_envs"] for r in results if r["backend"] == backend}):
            ts = sorted(r["threads"] for r in results if r["backend"] == backend and r["n_envs"] == n)
            if len(ts) > 1 and ts[0] == 1:
                one = _median(results, backend, n, 1)
                # Separate processes share nothing: if they scale and the
                # threads do not, the loss is inside the process.
                procs = _median(results, RAW_PROCS, n) if backend == RAW else None
                scaling.append({"backend": backend, "n_envs": n, "threads": ts[-1],
                                "ratio": _ratio(_median(results, backend, n, ts[-1]), one),
                                "processes_ratio": _ratio(procs, one)})
    out["thread_scaling"] = scaling
    # Against QWOPVecEnv with the most threads measured at that size.
    most = {n: max(r["threads"] for r in vec_rows if r["n_envs"] == n) for n in {r["n_envs"] for r in vec_rows}}
    out["vec_over_subproc"] = [
        {"n_envs": n, "threads": most.get(n),
         "ratio": _ratio(_median(results, VEC, n, most.get(n)), _median(results, subproc(SINGLE), n)),
         "vs_dummy": _ratio(_median(results, VEC, n, most.get(n)), _median(results, dummy(SINGLE), n)),
         "per_cpu_ratio": _ratio(_median(results, VEC, n, most.get(n), "steps_per_cpu_s"),
                                 _median(results, subproc(SINGLE), n, None, "steps_per_cpu_s"))}
        for n in subproc_sizes if n in most]
    best = max(vec_rows, key=lambda r: r["steps_per_s"]["median"], default=None)
    ref = _median(results, REF, 1)
    if best is not None:
        n, t = best["n_envs"], best["threads"]
        # Thread scaling is read where the most threads do best (the overall
        # best may be a 1-thread row on a loaded machine, with no partner).
        tmax = max(r["threads"] for r in vec_rows)
        multi = max((r for r in vec_rows if r["threads"] == tmax), key=lambda r: r["steps_per_s"]["median"])
        out["best_vec"] = {
            "n_envs": n, "threads": t, "steps_per_s": best["steps_per_s"]["median"],
            "over_raw": _ratio(best["steps_per_s"]["median"], _median(results, RAW, n, t)),
            "over_raw_per_cpu": _ratio(best["steps_per_cpu_s"]["median"],
                                       _median(results, RAW, n, t, "steps_per_cpu_s")),
            "over_reference_single": _ratio(best["steps_per_s"]["median"], ref),
            "scaling_n_envs": multi["n_envs"], "scaling_threads": tmax,
            "thread_scaling_vec": next((s["ratio"] for s in scaling
                                        if s["backend"] == VEC and s["n_envs"] == multi["n_envs"]), None),
            "thread_scaling_raw": next((s["ratio"] for s in scaling
                                        if s["backend"] == RAW and s["n_envs"] == multi["n_envs"]), None),
        }
    # At the largest size the fixed per-call cost is spread thinnest: the
    # figure to read for the Python layer's share.
    out["vec_over_raw_largest_n"] = [
        v for v in out["vec_over_raw"]
        if v["n_envs"] == max(r["n_envs"] for r in vec_rows if r["threads"] == v["threads"])]
    out["single_over_reference"] = _ratio(_median(results, SINGLE, 1), ref)
    out["training_vec_over_subproc"] = [
        {"algo": algo, "ratio": _ratio(
            next((t["steps_per_s"]["median"] for t in training if t["algo"] == algo and t["backend"] == VEC), None),
            next((t["steps_per_s"]["median"] for t in training
                  if t["algo"] == algo and t["backend"] == subproc(SINGLE)), None))}
        for algo in sorted({t["algo"] for t in training})]
    # The targets of issue 6: measured and compared, never asserted.
    b = out.get("best_vec", {})
    out["targets"] = [
        {"target": "QWOPVecEnv best config >= 90% of the raw limit (same n, threads)",
         "value": b.get("over_raw"), "per_cpu": b.get("over_raw_per_cpu"), "threshold": 0.9},
        {"target": f"QWOPVecEnv thread scaling 1 -> {b.get('scaling_threads')} threads (n_envs="
                   f"{b.get('scaling_n_envs')}, its best size) >= 1.8x"
                   if (b.get("scaling_threads") or 1) > 1 else "QWOPVecEnv thread scaling >= 1.8x "
                   "(not measured: one thread only)",
         "value": b.get("thread_scaling_vec"), "threshold": 1.8},
        {"target": "QWOPVecEnv best / ReferenceQWOPEnv single env >= 10x",
         "value": b.get("over_reference_single"), "threshold": 10.0},
    ]
    for t in out["targets"]:
        t["met"] = None if t["value"] is None else bool(t["value"] >= t["threshold"])
    return out


# ----------------------------------------------------------------- report
def _fmt_rate(x: float | None) -> str:
    return "-" if x is None else f"{x:,.0f}"


def _fmt_ratio(x: float | None, pct: bool = False) -> str:
    if x is None:
        return "-"
    return f"{100 * x:.0f}%" if pct else f"{x:.2f}x"


def _fmt_bytes(x: float | None) -> str:
    if x is None:
        return "-"
    for unit in ("B", "KiB", "MiB", "GiB"):
        if abs(x) < 1024 or unit == "GiB":
            return f"{x:,.1f} {unit}" if unit != "B" else f"{x:,.0f} B"
        x /= 1024
    return str(x)


def _parallelism(r: dict[str, Any]) -> str:
    if r.get("processes"):
        return f"{r['processes']} procs"
    return f"{r['threads']} thr" if r.get("threads") else "-"


def render_markdown(report: dict[str, Any]) -> str:
    m, s, ratios = report["machine"], report["settings"], report["ratios"]
    lines = ["# qwop-fast throughput benchmark", ""]
    lines += [f"Command: `{report['command']}`", "",
              f"Machine: {m['cpu']}, {m['usable_cores']} usable cores ({m['logical_cpus']} logical), "
              f"{m['platform']}", "",
              f"Python {m['python']}, numpy {m['numpy']}, torch {m['torch']}, SB3 {m['stable_baselines3']}, "
              f"sb3-contrib {m['sb3_contrib']}, gymnasium {m['gymnasium']}, Box2D (C++ engine) {m['box2d_cpp']}, "
              f"pybox2d {m['pybox2d']}", "",
              f"Date: {m['date']}; load average at start {m['loadavg_start']}, at end {m.get('loadavg_end')}", "",
              f"Settings: frames_per_step {s['frames_per_step']}, {s['seconds']} s per measurement, "
              f"{s['repeats']} interleaved rounds (shuffled order each round), random actions, auto-reset. "
              "Steps/s = env steps (one env advancing frames_per_step frames) per wall-clock second; "
              "median of the rounds, min-max beside it.", ""]
    lines += ["## Env throughput", "",
              "| backend | n_envs | parallelism | steps/s (median) | min - max | vs raw (same n, threads) "
              "| cores used | steps per CPU-s | vs raw, per CPU-s |",
              "|---|---:|---:|---:|---:|---:|---:|---:|---:|"]
    results = report["results"]
    vs_raw = {(r["n_envs"], r["threads"]): r for r in ratios["vec_over_raw"]}
    for r in results:
        st = r["steps_per_s"]
        rel = rel_cpu = ""
        if r["backend"] == VEC:
            v = vs_raw.get((r["n_envs"], r["threads"]), {})
            rel, rel_cpu = _fmt_ratio(v.get("ratio"), pct=True), _fmt_ratio(v.get("per_cpu_ratio"), pct=True)
        lines.append(f"| {r['backend']} | {r['n_envs']} | {_parallelism(r)} | {_fmt_rate(st['median'])} | "
                     f"{_fmt_rate(st['min'])} - {_fmt_rate(st['max'])} | {rel} | {r['cores_used']:.2f} | "
                     f"{_fmt_rate(r['steps_per_cpu_s']['median'])} | {rel_cpu} |")
    lines += ["", "Cores used = CPU seconds (this process's threads plus worker processes) per wall "
                  "second, median. Fewer cores used than threads/processes means the threads waited "
                  "(for each other, at small batches) or other load took the CPU; in the second case "
                  "the scaling figures below understate the code. Steps per CPU-s = steps/s / "
                  "cores used (per round, median): steadier under load, and it charges parallel "
                  "overheads (IPC, copies) to the backend that has them.", ""]
    lines += ["## Ratios", ""]
    b = ratios.get("best_vec")
    if b:
        lines.append(f"- Best QWOPVecEnv configuration: n_envs={b['n_envs']}, {b['threads']} thread(s), "
                     f"{_fmt_rate(b['steps_per_s'])} steps/s = {_fmt_ratio(b['over_raw'], pct=True)} of the raw "
                     f"limit, {_fmt_ratio(b['over_reference_single'])} ReferenceQWOPEnv (single env).")
    for v in ratios["vec_over_raw_largest_n"]:
        lines.append(f"- QWOPVecEnv / raw at the largest n_envs={v['n_envs']}, {v['threads']} thread(s): "
                     f"{_fmt_ratio(v['ratio'], pct=True)} (per CPU-s: {_fmt_ratio(v['per_cpu_ratio'], pct=True)})")
    lines.append(f"- QWOPEnv / ReferenceQWOPEnv (one env each): {_fmt_ratio(ratios['single_over_reference'])}")
    for v in ratios["vec_over_subproc"]:
        lines.append(f"- QWOPVecEnv ({v['threads']} thr) / SubprocVecEnv[QWOPEnv] at n_envs={v['n_envs']}: "
                     f"{_fmt_ratio(v['ratio'])}, per CPU-s {_fmt_ratio(v['per_cpu_ratio'])} "
                     f"(QWOPVecEnv / DummyVecEnv[QWOPEnv]: {_fmt_ratio(v['vs_dummy'])})")
    if ratios["thread_scaling"]:
        lines += ["", "Thread scaling (most threads / 1 thread, same n_envs; for raw, also the same "
                  "parallelism as separate single-threaded processes / 1 thread):", "",
                  "| backend | n_envs | threads | speed-up | processes instead of threads |",
                  "|---|---:|---:|---:|---:|"]
        for t in ratios["thread_scaling"]:
            procs = _fmt_ratio(t["processes_ratio"]) if t["backend"] == RAW else ""
            lines.append(f"| {t['backend']} | {t['n_envs']} | {t['threads']} | {_fmt_ratio(t['ratio'])} | {procs} |")
    lines += ["", "## Memory", ""]
    mem = report["memory"]
    if mem.get("engine"):
        e = mem["engine"]
        lines.append(f"- Engine with {e['n_envs']} envs: RSS grew {_fmt_bytes(e['rss_delta_bytes'])}, "
                     f"**{_fmt_bytes(e['bytes_per_env'])} per env**.")
    for w in mem.get("subproc_workers", []):
        times = ""
        if mem.get("engine") and w["uss_bytes_per_env"] and mem["engine"]["bytes_per_env"] > 0:
            times = f", {w['uss_bytes_per_env'] / mem['engine']['bytes_per_env']:,.0f}x the engine's per env"
        lines.append(f"- {w['backend']} (n={w['n_envs']}): each env is a worker process of "
                     f"RSS {_fmt_bytes(w['rss_bytes_per_env'])}, USS {_fmt_bytes(w['uss_bytes_per_env'])} "
                     f"(memory no other process shares){times}.")
    if report["training"]:
        lines += ["", "## Training throughput (SB3 fps = env steps / learn() wall time)", "",
                  "| algorithm | backend | n_envs | steps/s (median) | min - max |", "|---|---|---:|---:|---:|"]
        for t in report["training"]:
            st = t["steps_per_s"]
            lines.append(f"| {t['algo']} | {t['backend']} | {t['n_envs']} | {_fmt_rate(st['median'])} | "
                         f"{_fmt_rate(st['min'])} - {_fmt_rate(st['max'])} |")
        lines.append("")
        for t in ratios["training_vec_over_subproc"]:
            lines.append(f"- {t['algo']}: QWOPVecEnv / SubprocVecEnv[QWOPEnv] = {_fmt_ratio(t['ratio'])}")
        tr = report["training"][0]
        lines += ["", f"Budget {tr['total_timesteps']} env steps per run (learn() only; building the model "
                      f"is not timed), torch threads {tr['torch_threads']}, QWOPVecEnv engine threads "
                      f"{tr['env_threads']}, SubprocVecEnv one process per env, device cpu, both wrapped in "
                      "VecMonitor. Learners (identical for both backends):", ""]
        for t in report["training"]:
            if t["backend"] == VEC:
                lines.append(f"- {t['algo']}: {t['learner']}, changed for the benchmark: "
                             f"{json.dumps(t['changed_for_benchmark'], default=str)}; all: "
                             f"`{json.dumps(t['hyperparameters'], default=str)}`")
    elif report.get("training_skipped"):
        lines += ["", f"Training throughput: skipped ({report['training_skipped']})."]
    lines += ["", "## Targets (measured, not asserted)", "",
              "| target | measured | per CPU-s | met |", "|---|---:|---:|:---:|"]
    for t in ratios["targets"]:
        val = _fmt_ratio(t["value"], pct=t["threshold"] < 1)
        per_cpu = _fmt_ratio(t.get("per_cpu"), pct=t["threshold"] < 1)
        met = "-" if t["met"] is None else ("yes" if t["met"] else "no")
        lines.append(f"| {t['target']} | {val} | {per_cpu} | {met} |")
    for note in report.get("notes", []):
        lines += ["", f"Note: {note}"]
    return "\n".join(lines) + "\n"


def plot(report: dict[str, Any], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")  # files only: no display needed
    import matplotlib.pyplot as plt
    import matplotlib.ticker

    fig, ax = plt.subplots(figsize=(11, 6))
    series: dict[str, list[dict[str, Any]]] = {}
    for r in report["results"]:
        if r["backend"] in (RAW, VEC):
            key = f"{r['backend']} ({r['threads']} thr)"
        elif r["backend"] == RAW_PROCS:
            key = f"{RAW_PROCS} ({r['processes']} procs)"
        else:
            key = r["backend"]
        series.setdefault(key, []).append(r)
    # Fixed, distinct colours (tab20 pairs): the default cycle repeats after 10.
    palette = [matplotlib.colormaps["tab20"](i) for i in (0, 2, 4, 6, 8, 10, 12, 14, 16, 18, 1, 3, 5, 7)]
    for i, (key, rows) in enumerate(series.items()):
        rows = sorted(rows, key=lambda r: r["n_envs"])
        x = [r["n_envs"] for r in rows]
        y = [r["steps_per_s"]["median"] for r in rows]
        lo = [r["steps_per_s"]["median"] - r["steps_per_s"]["min"] for r in rows]
        hi = [r["steps_per_s"]["max"] - r["steps_per_s"]["median"] for r in rows]
        style = ":" if key.startswith(RAW_PROCS) else "--" if key.startswith(RAW) else "-"
        ax.errorbar(x, y, yerr=[lo, hi], fmt="o" + style, capsize=3, label=key, markersize=5,
                    color=palette[i % len(palette)], linewidth=2 if key.startswith(VEC) else 1.3)
    sizes = sorted({r["n_envs"] for r in report["results"]})
    ax.set_xscale("log", base=2)
    ax.set_yscale("log")
    ax.set_xticks(sizes, [str(n) for n in sizes])
    ax.xaxis.set_minor_locator(matplotlib.ticker.NullLocator())  # only the measured sizes
    ax.set_xlabel("n_envs")
    ax.set_ylabel("env steps / s (median, min-max bars)")
    m = report["machine"]
    ax.set_title(f"QWOP throughput, frames_per_step {report['settings']['frames_per_step']}\n"
                 f"{m['cpu']}, {m['usable_cores']} cores", fontsize=10)
    ax.grid(True, which="both", alpha=0.3)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.01, 1.0))  # outside: never over a point
    fig.tight_layout()
    fig.savefig(path, dpi=120)
    plt.close(fig)


# -------------------------------------------------------------------- run
def run(args: argparse.Namespace) -> int:
    import numpy as np

    from qwop_fast._engine import default_num_threads
    from qwop_fast.env import QWOPEnv

    preset = QUICK if args.quick else FULL
    cores = default_num_threads()
    n_envs_list = list(args.n_envs or preset["n_envs"])
    thread_list = sorted(set(args.threads or (1, cores)))
    seconds = args.seconds or preset["seconds"]
    repeats = args.repeats or preset["repeats"]
    warmup = min(preset["warmup"], seconds)
    fps = args.frames_per_step
    # SubprocVecEnv/DummyVecEnv sizes: one env per core, and 8 (a common SB3 n).
    subproc_sizes = sorted({cores, *preset["extra_sizes"]})
    grid = sorted(set(n_envs_list) | set(subproc_sizes))
    out_dir = Path(args.output_dir)
    out_dir.mkdir(parents=True, exist_ok=True)
    command = command_line(args)

    def log(msg: str) -> None:
        print(msg, file=sys.stderr, flush=True)

    log(f"qwop-fast bench: {command}")
    machine = machine_info(cores)
    notes: list[str] = []
    memory: dict[str, Any] = {"engine": engine_memory(preset["memory_envs"], cores, fps)}

    try:
        from qwop_fast.reference import ReferenceQWOPEnv
    except ImportError as exc:
        ReferenceQWOPEnv = None
        notes.append(f"ReferenceQWOPEnv rows left out: {exc}")

    rng = np.random.default_rng(args.seed)
    builders: list[Callable[[], Case]] = []
    for n in grid:
        # Engines cap their threads at n_envs, so only distinct counts are run.
        for t in sorted({min(t, n) for t in thread_list}):
            builders.append(functools.partial(make_raw, n, t, fps, args.seed))
            builders.append(functools.partial(make_qwop_vec, n, t, fps, rng))
    # The same parallelism as the most threads, but as separate processes.
    procs = max(thread_list)
    proc_sizes = [n for n in grid if n >= procs] if procs > 1 else []
    builders.append(functools.partial(make_single, QWOPEnv, SINGLE, fps, rng))
    for n in subproc_sizes:
        builders.append(functools.partial(make_sb3_vec, "dummy", QWOPEnv, SINGLE, n, fps, rng))
        builders.append(functools.partial(make_sb3_vec, "subproc", QWOPEnv, SINGLE, n, fps, rng))
    if ReferenceQWOPEnv is not None:
        builders.append(functools.partial(make_single, ReferenceQWOPEnv, REF, fps, rng))
        builders.append(functools.partial(make_sb3_vec, "dummy", ReferenceQWOPEnv, REF, cores, fps, rng))
        builders.append(functools.partial(make_sb3_vec, "subproc", ReferenceQWOPEnv, REF, cores, fps, rng))

    cases: list[Case] = []
    pool = None
    try:
        if proc_sizes:
            pool = RawProcesses(procs, fps)
            builders += [functools.partial(make_raw_processes, pool, n) for n in proc_sizes]
        log(f"setting up {len(builders)} cases ...")
        for build in builders:
            t0 = time.perf_counter()
            case = build()
            cases.append(case)
            case.calibrate(seconds, warmup)
            log(f"  built {case.label:42s} in {time.perf_counter() - t0:5.1f} s")
        memory["subproc_workers"] = [w for w in map(worker_memory, cases) if w]
        order = list(cases)
        shuffle = random.Random(args.seed)
        for r in range(repeats):
            shuffle.shuffle(order)  # no case always runs right after the same neighbour
            for case in order:
                rate = case.measure(seconds)
                log(f"  round {r + 1}/{repeats}  {case.label:42s} {rate:12,.0f} steps/s")
    finally:
        for case in cases:
            case.close()
        if pool is not None:
            pool.close()

    results = [{"backend": c.backend, "n_envs": c.n_envs, "threads": c.threads, "processes": c.processes,
                "steps_per_s": summary(c.samples), "cores_used": statistics.median(c.cpu_samples),
                # Steps per CPU-second: what time stolen by other load cannot
                # shrink (cache effects aside), so it is the steadier figure on a
                # shared machine; parallel overheads (IPC, idle waits) still show.
                "steps_per_cpu_s": summary([r / c for r, c in zip(c.samples, c.cpu_samples) if c > 0])}
               for c in cases]

    def parallel(r: dict[str, Any]) -> int:
        return r["processes"] or r["threads"] or 1

    starved = [r for r in results if r["backend"] in (RAW, RAW_PROCS, VEC) and parallel(r) > 1
               and r["cores_used"] < 0.85 * parallel(r)]
    if starved:
        notes.append("these cases used fewer cores than they have threads/processes: " + ", ".join(
            f"{r['backend']} n={r['n_envs']} ({_parallelism(r)}) got {r['cores_used']:.2f} cores"
            for r in starved) + ". Either their threads waited for each other (small batches) or "
            "the machine was busy; if the raw processes rows show the same, it was the machine: "
            "rerun on a quiet machine before reading the thread-scaling figures.")

    training: list[dict[str, Any]] = []
    skipped = None
    if args.skip_training:
        skipped = "--skip-training"
    else:
        try:
            training = run_training(args.train_n_envs or (cores if args.quick else 8), cores, fps,
                                    args.train_steps or preset["train_steps"], preset["train_repeats"],
                                    args.torch_threads, args.seed, args.quick, log)
        except ImportError as exc:
            skipped = f"needs sb3-contrib and torch: {exc}"
            notes.append(f"training comparison skipped: {exc}")

    machine["loadavg_end"] = [round(x, 2) for x in os.getloadavg()]
    report = {
        "command": command,
        "argv": sys.argv[1:],  # the arguments only: no path of this machine
        "machine": machine,
        "settings": {"frames_per_step": fps, "seconds": seconds, "repeats": repeats, "warmup": warmup,
                     "n_envs": grid, "threads": thread_list, "subproc_n_envs": subproc_sizes,
                     "seed": args.seed, "quick": bool(args.quick)},
        "results": results,
        "memory": memory,
        "training": training,
        "training_skipped": skipped,
        "ratios": compute_ratios(results, training, subproc_sizes),
        "notes": notes,
    }
    markdown = render_markdown(report)
    (out_dir / "RESULTS.md").write_text(markdown)
    # default=str: learner settings may hold classes (activation functions).
    (out_dir / "results.json").write_text(json.dumps(report, indent=2, default=str) + "\n")
    plot(report, out_dir / "throughput.png")
    print(markdown)
    log(f"wrote {out_dir / 'RESULTS.md'}, {out_dir / 'results.json'}, {out_dir / 'throughput.png'}")
    return 0


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m qwop_fast.benchmark",
                                     description=(__doc__ or "").strip(),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    configure_parser(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
