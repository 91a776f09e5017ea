"""The raw C++ loop of our engine against the Box2D 2.4.1 engine it replaced,
side by side in one interleaved run: bench/ENGINE_SPEED.md.

Both run ``Engine.run_random`` (uniformly random actions drawn in C++,
auto-resets, no Python in the loop) at frames_per_step 4 on the same n_envs,
in alternating rounds so that the machine's noise hits both alike. Reported:
env steps per second (median over rounds), per core (1 thread) and with all
cores, and each engine's thread scaling.

The baseline needs the system Box2D (apt-get install libbox2d-dev); it is
compiled on first use by bench/box2d_baseline/build.py.

    python bench/engine_speed.py [--rounds 7] [--seconds 1.0] [--n-envs 16 64]
"""

from __future__ import annotations

import argparse
import os
import platform
import statistics
import sys
import time
from datetime import datetime, timezone

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.fidelity import write_atomically  # noqa: E402

HERE = os.path.dirname(os.path.abspath(__file__))


def load_baseline():
    from bench.box2d_baseline import build

    sys.path.insert(0, build.build())
    import _box2d_engine

    return _box2d_engine.Engine


def rate(engine, steps: int) -> float:
    t0 = time.perf_counter()
    engine.run_random(steps, seed=1)
    return steps * engine.n_envs / (time.perf_counter() - t0)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--rounds", type=int, default=7)
    parser.add_argument("--seconds", type=float, default=1.0, help="per case per round (about)")
    parser.add_argument("--n-envs", type=int, nargs="+", default=[16, 64])
    parser.add_argument("--out", default=os.path.join(HERE, "ENGINE_SPEED.md"))
    args = parser.parse_args(argv)

    from qwop_fast._engine import Engine, default_num_threads

    Box2DEngine = load_baseline()
    cores = default_num_threads()
    threads = sorted({1, cores})
    cases = {}
    for n in args.n_envs:
        for t in threads:
            cases[("ours", n, t)] = Engine(n, num_threads=t, frames_per_step=4)
            cases[("box2d", n, t)] = Box2DEngine(n, num_threads=t, frames_per_step=4)
    # Calibrate steps per call to about --seconds, then interleave rounds.
    steps = {}
    for key, e in cases.items():
        r = rate(e, 20)
        steps[key] = max(20, int(args.seconds * r / e.n_envs))
    results: dict[tuple, list[float]] = {k: [] for k in cases}
    try:
        for rnd in range(args.rounds):
            order = list(cases) if rnd % 2 == 0 else list(reversed(cases))
            for key in order:
                results[key].append(rate(cases[key], steps[key]))
            print(f"round {rnd + 1}/{args.rounds} done", flush=True)
    except KeyboardInterrupt:
        print("interrupted: reporting the rounds done", file=sys.stderr)
        if not results[next(iter(results))]:
            return 130
    med = {k: statistics.median(v) for k, v in results.items() if v}

    given = sys.argv[1:] if argv is None else argv
    command = "python bench/engine_speed.py" + (f" {' '.join(given)}" if given else "")
    lines = [
        "# Engine speed: our physics against the Box2D 2.4.1 engine it replaced",
        "",
        f"Made by `{command}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, "
        f"{platform.processor() or platform.machine()}, {cores} usable cores, "
        f"load average {os.getloadavg()[0]:.2f} at the end.",
        "",
        f"Raw C++ loop (`Engine.run_random`), frames_per_step 4, random actions with auto-reset; env steps/s, "
        f"median of {len(next(iter(results.values())))} interleaved rounds of ~{args.seconds:g} s per case.",
        "",
        "| n_envs | threads | ours | Box2D 2.4.1 | ours / Box2D |",
        "|---:|---:|---:|---:|---:|",
    ]
    for n in args.n_envs:
        for t in threads:
            o, b = med[("ours", n, t)], med[("box2d", n, t)]
            lines.append(f"| {n} | {t} | {o:,.0f} | {b:,.0f} | {o / b:.2f}× |")
    if len(threads) > 1:
        lines += ["", "Thread scaling (1 → {} threads):".format(cores), "",
                  "| n_envs | ours | Box2D 2.4.1 |", "|---:|---:|---:|"]
        for n in args.n_envs:
            so = med[("ours", n, cores)] / med[("ours", n, 1)]
            sb = med[("box2d", n, cores)] / med[("box2d", n, 1)]
            lines.append(f"| {n} | {so:.2f}× | {sb:.2f}× |")
    lines += ["", "Rounds (env steps/s):", ""]
    for k, v in results.items():
        lines.append(f"- {k[0]}, n={k[1]}, threads={k[2]}: " + ", ".join(f"{x:,.0f}" for x in v))
    text = "\n".join(lines) + "\n"
    write_atomically(args.out, text)
    print(text)
    return 0


if __name__ == "__main__":
    sys.exit(main())
