"""Time to agent: wall-clock of training until the first evaluation that
finishes 100 m, and until the first one under 60 s of game clock, for a
shipped training config on QWOPVecEnv against the same learner on SB3's
SubprocVecEnv of QWOPEnv (a process per runner: what one would do without
QWOPVecEnv). Writes bench/TIME_TO_AGENT.md.

Each setup is a real `qwop-fast train` run of the config (vec_env: qwop or
subproc; evaluations more often than the config's, so the times are finer),
watched through its eval_log.csv and stopped once both marks are reached or
after --max-minutes. The two runs take turns on the same machine, one after
the other; the wall-clock is the training's own (eval_log.csv).

    python bench/time_to_agent.py [--config runner_ppo] [--max-minutes 10]
"""

from __future__ import annotations

import argparse
import os
import platform
import signal
import subprocess
import sys
import tempfile
import time
from datetime import datetime, timezone
from pathlib import Path

if __package__ in (None, ""):
    sys.path.insert(0, os.path.dirname(os.path.dirname(os.path.abspath(__file__))))

from bench.fidelity import write_atomically  # noqa: E402
from qwop_fast.training.callbacks import EVAL_LOG, EVAL_LOG_COLUMNS, read_eval_log  # noqa: E402
from qwop_fast.training.config import dump_config, find_config, load_config  # noqa: E402

HERE = Path(__file__).resolve().parent
SETUPS = {"qwop": "QWOPVecEnv (one process)", "subproc": "SubprocVecEnv of QWOPEnv"}
TARGET_S = 60.0


def watch_run(config_path: Path, runs_dir: Path, run_id: str, max_s: float) -> dict:
    """Run `qwop-fast train` and return the first finishing and first sub-60 s evaluations."""
    cmd = [sys.executable, "-m", "qwop_fast", "train", "--config", str(config_path), "--runs-dir", str(runs_dir),
           "--run-id", run_id, "--no-progress"]
    proc = subprocess.Popen(cmd, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    log = runs_dir / run_id / EVAL_LOG
    finished = fast = None
    t0 = time.monotonic()
    try:
        while proc.poll() is None and time.monotonic() - t0 < max_s and fast is None:
            time.sleep(2.0)
            for line in read_eval_log(log):
                row = dict(zip(EVAL_LOG_COLUMNS, (float(v) for v in line.split(","))))
                if finished is None and row["success_rate"] > 0:
                    finished = row
                if fast is None and row["best_finish_time"] < TARGET_S:
                    fast = row
    finally:
        if proc.poll() is None:
            proc.send_signal(signal.SIGINT)  # the run saves a checkpoint and stops
            try:
                proc.wait(timeout=120)
            except subprocess.TimeoutExpired:
                proc.kill()
    rows = read_eval_log(log)
    last = dict(zip(EVAL_LOG_COLUMNS, (float(v) for v in rows[-1].split(",")))) if rows else None
    return {"finished": finished, "fast": fast, "last": last, "watched_s": time.monotonic() - t0}


def mark(row: dict | None) -> str:
    if row is None:
        return "not within the run"
    return f"{row['wall_seconds']:,.0f} s ({row['timesteps'] / 1e6:.2f}M steps, best {row['best_finish_time']:.1f} s)"


def main() -> int:
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--config", default="runner_ppo")
    ap.add_argument("--max-minutes", type=float, default=10.0, help="per setup (default 10)")
    ap.add_argument("--eval-every", type=int, default=100_000)
    ap.add_argument("--eval-episodes", type=int, default=3)
    ap.add_argument("--out", default=str(HERE / "TIME_TO_AGENT.md"))
    args = ap.parse_args()

    base = load_config(find_config(args.config))
    results = {}
    with tempfile.TemporaryDirectory(prefix="qwop-time-to-agent-") as tmp:
        for vec_env in SETUPS:
            cfg = base.replace(vec_env=vec_env, eval_every=args.eval_every, eval_episodes=args.eval_episodes,
                               checkpoint_every=0)
            path = Path(tmp) / f"{vec_env}.yml"
            dump_config(cfg, path, f"bench/time_to_agent.py: {args.config} with vec_env {vec_env}")
            print(f"{vec_env}: training {args.config} for up to {args.max_minutes:g} min ...", file=sys.stderr)
            results[vec_env] = watch_run(path, Path(tmp) / "runs", vec_env, args.max_minutes * 60)
            print(f"  {results[vec_env]}", file=sys.stderr)

    cmd = "python bench/time_to_agent.py " + " ".join(sys.argv[1:])
    lines = [
        "# Time to agent: QWOPVecEnv against SubprocVecEnv",
        "",
        f"Made by `{cmd.strip()}` on {datetime.now(timezone.utc):%Y-%m-%d %H:%M} UTC, {platform.machine()}, "
        f"{os.cpu_count()} cores, load average {os.getloadavg()[0]:.2f} at the end.",
        "",
        f"Config `{args.config}` ({base.algorithm}, {base.n_envs} runners, torch threads {base.torch_threads}), "
        f"evaluated every {args.eval_every:,} steps on {args.eval_episodes} episodes (greedy, starts drawn from "
        f"intro_frames {base.env_kwargs.get('intro_frames')}); training wall-clock from eval_log.csv, each run "
        f"stopped at {args.max_minutes:g} min.",
        "",
        "| env | first evaluation that finishes 100 m | first under 60 s | at the end of the run |",
        "|---|---|---|---|",
    ]
    for vec_env, label in SETUPS.items():
        r = results[vec_env]
        last = r["last"]
        end = (f"{last['timesteps'] / 1e6:.2f}M steps in {last['wall_seconds']:,.0f} s "
               f"({last['timesteps'] / max(last['wall_seconds'], 1e-9):,.0f} steps/s)") if last else "no evaluation"
        lines.append(f"| {label} | {mark(r['finished'])} | {mark(r['fast'])} | {end} |")
    q, s = results["qwop"]["finished"], results["subproc"]["finished"]
    if q and s:
        lines += ["", f"Time to the first finish: SubprocVecEnv / QWOPVecEnv = "
                      f"{s['wall_seconds'] / q['wall_seconds']:.2f}×."]
    write_atomically(args.out, "\n".join(lines) + "\n")
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
