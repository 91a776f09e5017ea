"""Side-by-side throughput benchmark of every way to step QWOP.

    python -m bench.throughput [--quick] [options]     (from the repository root;
    `qwop-fast bench` and `make bench` run this)

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

The pieces: cases.py (what is timed), machine.py (what it ran on),
training_runs.py (SB3 training fps), report.py (ratios, Markdown, plot).
"""

from __future__ import annotations

import argparse
import functools
import json
import os
import random
import shlex
import statistics
import sys
import time
from pathlib import Path
from typing import Any, Callable

from bench.cases import (RAW, RAW_PROCS, REF, SINGLE, VEC, Case, RawProcesses, engine_memory, make_qwop_vec,
                         make_raw, make_raw_processes, make_sb3_vec, make_single, summary, worker_memory)
from bench.machine import machine_info
from bench.report import compute_ratios, parallelism_label, plot, render_markdown
from bench.training_runs import run_training
from qwop_fast.cli.argtypes import positive_float, positive_int

# Full run / --quick defaults. --quick must finish in under a minute on a
# 2-core machine (the smoke test runs it), so it keeps one size per regime.
FULL = dict(n_envs=(1, 4, 16, 64, 256), seconds=2.0, repeats=5, warmup=0.5,
            train_steps=16384, train_repeats=3, memory_envs=4096, extra_sizes=(8,))
QUICK = dict(n_envs=(1, 16), seconds=0.25, repeats=2, warmup=0.05,
             train_steps=512, train_repeats=1, memory_envs=512, extra_sizes=())


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
            f"{r['backend']} n={r['n_envs']} ({parallelism_label(r)}) got {r['cores_used']:.2f} cores"
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
    parser = argparse.ArgumentParser(prog="python -m bench.throughput",
                                     description=(__doc__ or "").strip(),
                                     formatter_class=argparse.RawDescriptionHelpFormatter)
    configure_parser(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
