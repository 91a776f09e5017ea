"""Evaluating a trained model (or a uniformly random policy) on QWOPEnv over
episodes: the metrics, the table, and episodes.csv / summary.json.
``qwop-fast evaluate --help`` (``qwop_fast/cli/evaluate.py``) says what the
options mean."""

from __future__ import annotations

import argparse
import csv
import json
import statistics
import sys
import time
from pathlib import Path
from typing import Any

from rich.console import Console
from rich.table import Table

from .. import atomic, contract
from ..env import QWOPEnv
from ..errors import UserError, short_repr
from ..options import EnvOptions
from ..agents import resolve_model
from ..recording import Recording
from ..rollout import RandomPolicy, run_episode
from .config import ConfigError, safe_yaml_load
from .checkpoints import check_compatible, detect_algorithm, load_env_kwargs, load_model

EPISODE_FIELDS = ("episode", "intro_frames", "reward", "length", "distance", "game_time", "is_success", "terminated",
                  "truncated")
OUTPUT_FILES = ("episodes.csv", "summary.json")


class EvaluateError(UserError, ValueError):
    """A user mistake (bad arguments, files); printed without a traceback."""


def evaluate_from_args(args: argparse.Namespace) -> int:
    """``qwop-fast evaluate``: the episodes, the table, and the files of --output."""
    out_dir = Path(args.output) if args.output else None
    if out_dir is not None:
        check_output_dir(out_dir, args.force)
    overrides = parse_env_kwargs(args.env_kwargs)
    policy, env_kwargs, info = load_policy(args.model, args.random, overrides,
                                           trust=getattr(args, "trust_model", False))

    record_best = getattr(args, "record_best", None)
    if record_best is not None:
        problem = atomic.check_writable(record_best)
        if problem is not None:
            raise EvaluateError(f"--record-best {record_best} cannot be written: {problem}")
    t0 = time.perf_counter()
    recordings: list[Recording] = []
    starts = all_starts(env_kwargs) if getattr(args, "all_starts", False) else None
    n_episodes = len(starts) if starts is not None else args.episodes
    episodes = run_episodes(policy, env_kwargs, n_episodes, deterministic=args.deterministic, seed=args.seed,
                            recordings=recordings, starts=starts)
    elapsed = time.perf_counter() - t0
    summary = summarize(episodes)
    summary_doc = {
        "policy": "random" if args.random else str(args.model),
        **info,
        "episodes": n_episodes,
        "all_starts": starts is not None,
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
    if record_best is not None:
        k = best_episode(episodes)
        recordings[k].save(record_best)
        print(f"wrote {record_best}: the keys of episode {k} ({episodes[k]['distance']:.2f} m, "
              f"{episodes[k]['game_time']:.2f} s; `qwop-fast replay {record_best}` runs it again)", file=sys.stderr)
    return 0


def best_episode(episodes: list[dict[str, Any]]) -> int:
    """The fastest successful episode, else the one that went farthest."""
    wins = [e for e in episodes if e["is_success"]]
    if wins:
        return min(wins, key=lambda e: (e["game_time"], e["episode"]))["episode"]
    return max(episodes, key=lambda e: (e["distance"], -e["episode"]))["episode"]


# ---------------------------------------------------------------- arguments
def parse_env_kwargs(items: list[str]) -> dict[str, Any]:
    """JSON objects and key=value pairs, merged left to right."""
    out: dict[str, Any] = {}
    for item in items:
        text = item.strip()
        if text.startswith("{"):
            try:
                value = json.loads(text)
            except json.JSONDecodeError as exc:
                raise EvaluateError(f"--env-kwargs: {short_repr(item)} is not valid JSON: {exc}") from None
            except RecursionError:
                raise EvaluateError(f"--env-kwargs: {short_repr(item)} is nested too deeply") from None
            if not isinstance(value, dict):
                raise EvaluateError(f"--env-kwargs: {short_repr(item)} must be a JSON object")
            out.update(value)
        elif "=" in text:
            key, _, raw = text.partition("=")
            try:
                out[key.strip()] = safe_yaml_load(raw, "--env-kwargs") if raw.strip() else raw
            except ConfigError:
                out[key.strip()] = raw
        else:
            raise EvaluateError(f"--env-kwargs: expected a JSON object or key=value, got {short_repr(item)}")
    return out


def check_output_dir(out_dir: Path, force: bool) -> None:
    if out_dir.exists() and not out_dir.is_dir():
        raise EvaluateError(f"--output {out_dir} exists and is not a folder")
    problem = atomic.check_writable(out_dir, folder=True)
    if problem is not None:
        raise EvaluateError(f"--output {out_dir} cannot be written: {problem}")
    existing = [name for name in OUTPUT_FILES if (out_dir / name).exists()]
    if existing and not force:
        raise EvaluateError(f"--output {out_dir} already has results ({', '.join(existing)}); "
                            f"choose another folder, or pass --force to replace them")


# ------------------------------------------------------------------ policies
def load_policy(model_path: str | None, random: bool, overrides: dict[str, Any], trust: bool = False):
    """(policy, resolved env_kwargs, descriptive info) for the run; ``trust``:
    load the model's pickled objects too (see checkpoints.load_model)."""
    info: dict[str, Any] = {}
    if random:
        base: dict[str, Any] = {}
    else:
        model_path = resolve_model(model_path)  # a shipped agent's name works too
        model = load_model(model_path, trust=trust)
        base, config = load_env_kwargs(model_path, model)
        info = {"algorithm": detect_algorithm(model_path) or type(model).__name__,
                "config": str(config) if config else None}
    try:
        options = EnvOptions.from_kwargs(**{**base, **overrides})
    except (TypeError, ValueError) as exc:
        raise EvaluateError(f"--env-kwargs: {exc}") from None
    if random:
        policy = RandomPolicy(contract.action_space(options))
    else:
        check_compatible(model, options, model_path)
        policy = model
    return policy, options.as_dict(), info


# ----------------------------------------------------------------- episodes
def all_starts(env_kwargs: dict[str, Any]) -> list[int]:
    """Every intro wait of the env's intro_frames range, in order: the
    game's only start variety, so one greedy episode from each is a
    deterministic agent's whole record."""
    low, high = EnvOptions.from_kwargs(**env_kwargs).intro_frames_range
    return list(range(low, high + 1))


def run_episodes(policy, env_kwargs: dict[str, Any], n: int, *, deterministic: bool = True,
                 seed: int | None = 0, recordings: list[Recording] | None = None,
                 starts: list[int] | None = None) -> list[dict[str, Any]]:
    """Run ``n`` episodes of ``policy`` on one QWOPEnv; one dict per episode.
    ``recordings``: gets each episode as a key recording (its drawn intro
    wait fixed in the env options), which ``qwop-fast replay`` reproduces.
    ``starts``: episode k starts after ``starts[k]`` intro frames instead of
    a drawn wait (len(starts) == n)."""
    if starts is not None and len(starts) != n:
        raise ValueError(f"starts: {len(starts)} intro waits for {n} episodes")
    env = QWOPEnv(**env_kwargs)
    if isinstance(policy, RandomPolicy):
        policy.action_space = env.action_space
    elif seed is not None and hasattr(policy, "set_random_seed"):
        policy.set_random_seed(seed)  # stochastic actions / epsilon-greedy draws
    episodes = []
    try:
        for k in range(n):
            if starts is not None:
                env.intro_frames = starts[k]  # from this reset on
            ep = run_episode(env, policy, deterministic=deterministic, seed=seed + k if seed is not None else None)
            episodes.append({"episode": k, "intro_frames": env.intro_frames_drawn, "reward": ep.reward,
                             "length": ep.length,
                             "distance": ep.info["distance"], "game_time": ep.info["game_time"],
                             "is_success": bool(ep.info["is_success"]), "terminated": bool(ep.terminated),
                             "truncated": bool(ep.truncated)})
            if recordings is not None:
                options = EnvOptions.from_kwargs(**{**env_kwargs, "intro_frames": env.intro_frames_drawn})
                names = options.action_names
                recordings.append(Recording(options, [names[a] for a in ep.actions], ep.info["distance"],
                                            ep.info["game_time"], bool(ep.terminated), bool(ep.info["is_success"])))
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
    with atomic.atomic_open(out_dir / "episodes.csv", "w", newline="") as f:
        w = csv.DictWriter(f, fieldnames=EPISODE_FIELDS)
        w.writeheader()
        for e in episodes:
            w.writerow(e)
    atomic.write_text(out_dir / "summary.json", json.dumps(doc, indent=2) + "\n")
