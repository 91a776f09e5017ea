"""Evaluate a trained model (or a uniformly random policy) on QWOPEnv.

  qwop-fast evaluate --model runs/<id>/final_model.zip --episodes 20
  qwop-fast evaluate --random --episodes 20 --seed 0

Env options come from the run's config.yml when the model sits in a run
folder (next to it or one level up), then from --env-kwargs, which takes a
JSON object or key=value pairs (values in YAML syntax):

  --env-kwargs '{"hurdle": false}'      --env-kwargs hurdle=false max_episode_steps=1000

The reward reported is the env's own reward (no reward shaping), so runs
trained with and without shaping compare directly.

Determinism: the physics has no randomness and every episode starts from the
same pose, so a deterministic policy runs the same episode every time (the
table says so when that happens); --stochastic samples actions instead
(PPO/A2C: from the policy's distribution; DQN/QR-DQN: epsilon-greedy with the
model's final exploration rate). The two can differ a lot: a young QR-DQN's
greedy policy may stall in a pose and stand there until truncation while its
epsilon-greedy version runs (see config/quick.yml).

--output DIR writes episodes.csv (one row per episode) and summary.json. A
folder that already holds them is left alone: the command stops with an error
unless --force is given, in which case both files are replaced.
"""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

EPISODE_FIELDS = ("episode", "reward", "length", "distance", "game_time", "is_success", "terminated",
                  "truncated")
OUTPUT_FILES = ("episodes.csv", "summary.json")


class EvaluateError(ValueError):
    """A user mistake (bad arguments, files); printed without a traceback."""


def configure_parser(parser: argparse.ArgumentParser) -> None:
    src = parser.add_mutually_exclusive_group(required=True)
    src.add_argument("--model", metavar="PATH", help="a trained model (.zip)")
    src.add_argument("--random", action="store_true", help="a uniformly random policy (the baseline)")
    parser.add_argument("--episodes", type=int, default=20, metavar="N", help="episodes to run (default 20)")
    parser.add_argument("--output", metavar="DIR", help="write episodes.csv and summary.json here")
    parser.add_argument("--force", action="store_true", help="replace results already in --output")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--deterministic", dest="deterministic", action="store_true", default=True,
                      help="greedy actions (default)")
    mode.add_argument("--stochastic", dest="deterministic", action="store_false",
                      help="sampled actions")
    parser.add_argument("--seed", type=int, default=0, metavar="S",
                        help="seeds the random/stochastic action choices and env.reset (default 0)")
    parser.add_argument("--env-kwargs", nargs="+", action="extend", default=[], metavar="JSON|KEY=VALUE",
                        help="env option overrides")


def run(args: argparse.Namespace) -> int:
    try:
        if args.episodes < 1:
            raise EvaluateError(f"--episodes must be >= 1, got {args.episodes}")
        out_dir = Path(args.output) if args.output else None
        if out_dir is not None:
            check_output_dir(out_dir, args.force)
        overrides = parse_env_kwargs(args.env_kwargs)
        policy, env_kwargs, info = load_policy(args.model, args.random, overrides)
    except EvaluateError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except Exception as exc:
        from .models import ModelError

        if isinstance(exc, ModelError):
            print(f"error: {exc}", file=sys.stderr)
            return 2
        raise

    t0 = time.perf_counter()
    episodes = run_episodes(policy, env_kwargs, args.episodes, deterministic=args.deterministic, seed=args.seed)
    elapsed = time.perf_counter() - t0
    summary = summarize(episodes)
    summary_doc = {
        "policy": "random" if args.random else str(args.model),
        **info,
        "episodes": args.episodes,
        "deterministic": bool(args.deterministic) if not args.random else None,
        "seed": args.seed,
        "env_kwargs": env_kwargs,
        "metrics": summary,
        "wall_s": round(elapsed, 3),
        "written": time.strftime("%Y-%m-%d %H:%M:%S"),
    }
    print_table(summary_doc)
    if out_dir is not None:
        write_outputs(out_dir, episodes, summary_doc)
        print(f"wrote {out_dir / 'episodes.csv'} and {out_dir / 'summary.json'}", file=sys.stderr)
    return 0


# ---------------------------------------------------------------- arguments
def parse_env_kwargs(items: list[str]) -> dict[str, Any]:
    """JSON objects and key=value pairs, merged left to right."""
    import yaml

    out: dict[str, Any] = {}
    for item in items:
        text = item.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise EvaluateError(f"--env-kwargs: {item!r} is not valid JSON: {exc}") from None
            if not isinstance(value, dict):
                raise EvaluateError(f"--env-kwargs: {item!r} must be a JSON object")
            out.update(value)
        elif "=" in text:
            key, _, raw = text.partition("=")
            try:
                out[key.strip()] = yaml.safe_load(raw) if raw.strip() else raw
            except yaml.YAMLError:
                out[key.strip()] = raw
        else:
            raise EvaluateError(f"--env-kwargs: expected a JSON object or key=value, got {item!r}")
    return out


def check_output_dir(out_dir: Path, force: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise EvaluateError(f"--output {out_dir} exists and is not a folder")
    existing = [name for name in OUTPUT_FILES if (out_dir / name).exists()]
    if existing and not force:
        raise EvaluateError(f"--output {out_dir} already has results ({', '.join(existing)}); "
                            f"choose another folder, or pass --force to replace them")


# ------------------------------------------------------------------ policies
class RandomPolicy:
    """Uniform over the action set; seeded through the env's action space."""

    def __init__(self, action_space) -> None:
        self.action_space = action_space

    def predict(self, obs, state=None, episode_start=None, deterministic=True):
        return self.action_space.sample(), None


def load_policy(model_path: str | None, random: bool, overrides: dict[str, Any]):
    """(policy, resolved env_kwargs, descriptive info) for the run."""
    from .env import action_space
    from .models import check_compatible, detect_algorithm, load_env_kwargs, load_model
    from .options import EnvOptions

    info: dict[str, Any] = {}
    if random:
        base: dict[str, Any] = {}
    else:
        model = load_model(model_path)
        base, config = load_env_kwargs(model_path, model)
        info = {"algorithm": detect_algorithm(model_path) or type(model).__name__,
                "config": str(config) if config else None}
    try:
        options = EnvOptions.from_kwargs(**{**base, **overrides})
    except (TypeError, ValueError) as exc:
        raise EvaluateError(f"--env-kwargs: {exc}") from None
    if random:
        policy = RandomPolicy(action_space(options))
    else:
        check_compatible(model, options, model_path)
        policy = model
    return policy, options.as_dict(), info


# ----------------------------------------------------------------- episodes
def run_episodes(policy, env_kwargs: dict[str, Any], n: int, *, deterministic: bool = True,
                 seed: int | None = 0) -> list[dict[str, Any]]:
    """Run ``n`` episodes of ``policy`` on one QWOPEnv; one dict per episode."""
    import numpy as np

    from .env import QWOPEnv

    env = QWOPEnv(**env_kwargs)
    if isinstance(policy, RandomPolicy):
        policy.action_space = env.action_space
    elif seed is not None and hasattr(policy, "set_random_seed"):
        policy.set_random_seed(seed)  # stochastic actions / epsilon-greedy draws
    episodes = []
    try:
        for k in range(n):
            obs, _ = env.reset(seed=seed + k if seed is not None else None)
            state, start = None, np.ones((1,), bool)
            total, steps = 0.0, 0
            while True:
                action, state = policy.predict(obs, state=state, episode_start=start, deterministic=deterministic)
                start = np.zeros((1,), bool)
                obs, reward, terminated, truncated, info = env.step(int(np.asarray(action).reshape(())))
                total += reward
                steps += 1
                if terminated or truncated:
                    break
            episodes.append({"episode": k, "reward": total, "length": steps, "distance": info["distance"],
                             "game_time": info["game_time"], "is_success": bool(info["is_success"]),
                             "terminated": bool(terminated), "truncated": bool(truncated)})
    finally:
        env.close()
    return episodes


def summarize(episodes: list[dict[str, Any]]) -> dict[str, Any]:
    dist = [e["distance"] for e in episodes]
    wins = [e for e in episodes if e["is_success"]]
    keys = {(round(e["reward"], 9), e["length"], round(e["distance"], 9)) for e in episodes}
    return {
        "episodes": len(episodes),
        "success_rate": len(wins) / len(episodes),
        "mean_distance": statistics.fmean(dist),
        "median_distance": statistics.median(dist),
        "max_distance": max(dist),
        "mean_game_time": statistics.fmean(e["game_time"] for e in episodes),
        # Game clock (s) at the finish, successful episodes only.
        "mean_time_to_100m": statistics.fmean(e["game_time"] for e in wins) if wins else None,
        "best_time_to_100m": min(e["game_time"] for e in wins) if wins else None,
        "mean_reward": statistics.fmean(e["reward"] for e in episodes),
        "mean_episode_length": statistics.fmean(e["length"] for e in episodes),
        "distinct_episodes": len(keys),
    }


# ------------------------------------------------------------------- output
def print_table(doc: dict[str, Any]) -> None:
    from rich.console import Console
    from rich.table import Table

    m = doc["metrics"]
    mode = "" if doc["deterministic"] is None else (" (deterministic)" if doc["deterministic"] else " (stochastic)")
    table = Table(title=f"{doc['policy']}{mode}: {m['episodes']} episodes")
    table.add_column("metric")
    table.add_column("value", justify="right")

    def t(v, unit=""):
        return "-" if v is None else f"{v:.2f}{unit}"

    rows = [
        ("success rate", f"{100 * m['success_rate']:.1f} %"),
        ("mean distance", t(m["mean_distance"], " m")),
        ("median distance", t(m["median_distance"], " m")),
        ("max distance", t(m["max_distance"], " m")),
        ("mean game time", t(m["mean_game_time"], " s")),
        ("time to 100 m (mean / best)",
         "-" if m["mean_time_to_100m"] is None else f"{m['mean_time_to_100m']:.2f} / {m['best_time_to_100m']:.2f} s"),
        ("mean reward", t(m["mean_reward"])),
        ("mean episode length", f"{m['mean_episode_length']:.1f} steps"),
    ]
    for name, value in rows:
        table.add_row(name, value)
    console = Console()
    console.print(table)
    if m["episodes"] > 1 and m["distinct_episodes"] == 1:
        console.print("note: every episode was identical (deterministic policy, deterministic physics); "
                      "use --stochastic for a spread")


def write_outputs(out_dir: Path, episodes: list[dict[str, Any]], doc: dict[str, Any]) -> None:
    out_dir.mkdir(parents=True, exist_ok=True)
    with (out_dir / "episodes.csv").open("w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=EPISODE_FIELDS)
        w.writeheader()
        for e in episodes:
            w.writerow(e)
    (out_dir / "summary.json").write_text(json.dumps(doc, indent=2) + "\n")
