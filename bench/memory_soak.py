"""RSS over a long run of the batched engine (issue: memory stays flat).

    python bench/memory_soak.py [--env-steps 1000000] [--n-envs 64] [--threads 2]

Steps the engine with random actions (auto-resets included, many episodes),
and builds/closes engines in between, printing the resident set size at each
checkpoint. A leak of even one world per episode would show as steady growth.
"""

import argparse
import time

import psutil

from qwop_fast._engine import Engine


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--env-steps", type=int, default=1_000_000)
    parser.add_argument("--n-envs", type=int, default=64)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--checkpoints", type=int, default=10)
    args = parser.parse_args()

    proc = psutil.Process()
    engine = Engine(args.n_envs, num_threads=args.threads)
    engine.run_random(200, seed=0)  # warm up Box2D's allocators
    chunk = max(1, args.env_steps // args.n_envs // args.checkpoints)
    start_rss = proc.memory_info().rss / 2**20
    print("| env steps | RSS MiB | delta MiB |\n|---|---|---|")
    t0, done = time.perf_counter(), 0
    for k in range(args.checkpoints):
        engine.run_random(chunk, seed=k + 1)
        Engine(args.n_envs, num_threads=args.threads).close()  # engines come and go too
        done += chunk * args.n_envs
        rss = proc.memory_info().rss / 2**20
        print(f"| {done:,} | {rss:.1f} | {rss - start_rss:+.1f} |")
    print(f"\n{done:,} env steps in {time.perf_counter() - t0:.1f} s")


if __name__ == "__main__":
    main()
