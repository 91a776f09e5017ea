"""Learning curves of runs: reading their monitor.csv (and evaluations.npz)
and drawing the PNG (``qwop-fast plot --help``, ``qwop_fast/cli/plot.py``).

The x-axis is the run's real timestep count: monitor.csv has a ``timesteps``
column (the total steps of all envs when the episode ended, written by
``training.logs.EpisodeEndTimesteps``). Older files without it fall back to
the running sum of episode lengths, which counts finished episodes only."""

from __future__ import annotations

import argparse
import csv
import json
from dataclasses import dataclass
from pathlib import Path

import matplotlib
import numpy as np

from ..errors import UserError

matplotlib.use("Agg")  # files only: no display needed
import matplotlib.pyplot as plt  # noqa: E402  (after choosing the backend)

MONITOR_NAME = "monitor.csv"
DEFAULT_OUTPUT_NAME = "learning_curves.png"


class MonitorError(UserError, ValueError):
    """A run folder or monitor file that cannot be plotted; the message names it."""


EVALUATIONS_NAME = "evaluations.npz"


def plot_from_args(args: argparse.Namespace) -> int:
    """``qwop-fast plot RUN [RUN ...]``: read each run's monitor file (and its
    evaluations), write one PNG."""
    runs = args.run if isinstance(args.run, list) else [args.run]
    monitors = [find_monitor(r) for r in runs]
    if args.output:
        output = Path(args.output)
    elif len(monitors) == 1:
        output = monitors[0].parent / DEFAULT_OUTPUT_NAME
    else:
        output = Path(DEFAULT_OUTPUT_NAME)
    if output.suffix.lower() != ".png":
        raise MonitorError(f"--output {str(output)!r} must end in .png")
    curves = [Curve(_run_name(m, monitors), read_monitor(m), read_evaluations(m.parent)) for m in monitors]
    plot_runs(curves, output, window=args.window)
    for c in curves:
        kind = "timesteps" if c.episodes.steps is not None else "timesteps in finished episodes"
        print(f"{c.name}: {len(c.episodes.reward)} episodes, {int(c.episodes.timesteps[-1])} {kind}"
              + (f", {len(c.evaluations.timesteps)} evaluations" if c.evaluations is not None else ""))
    if len(curves) == 1:
        e = curves[0].episodes
        print(f"wrote {output} ({len(e.reward)} episodes, {int(e.timesteps[-1])} timesteps)")
    else:
        print(f"wrote {output} ({len(curves)} runs)")
    return 0


def _run_name(monitor: Path, monitors: list[Path]) -> str:
    names = [m.parent.name for m in monitors]
    name = monitor.parent.name
    return str(monitor.parent) if names.count(name) > 1 else name


@dataclass
class Episodes:
    """One entry per finished episode, in the order they finished."""

    reward: np.ndarray
    length: np.ndarray
    distance: np.ndarray  # NaN when the monitor has no distance column
    is_success: np.ndarray  # NaN when the monitor has no is_success column
    steps: np.ndarray | None = None  # the timesteps column, when the file has it

    @property
    def timesteps(self) -> np.ndarray:
        """Total env steps (all envs together) when each episode finished: the
        monitor's timesteps column, else the running sum of episode lengths."""
        return self.steps if self.steps is not None else np.cumsum(self.length)


@dataclass
class Evaluations:
    """The periodic evaluations of a run (its evaluations.npz)."""

    timesteps: np.ndarray
    mean_reward: np.ndarray
    success_rate: np.ndarray  # NaN without successes


@dataclass
class Curve:
    name: str
    episodes: Episodes
    evaluations: Evaluations | None


def read_evaluations(run_dir: str | Path) -> Evaluations | None:
    """RUN/evaluations.npz (SB3's EvalCallback), or None when there is none."""
    path = Path(run_dir) / EVALUATIONS_NAME
    if not path.is_file():
        return None
    try:
        with np.load(path) as data:
            t, results = data["timesteps"], data["results"]
            succ = data["successes"] if "successes" in data else None
            succ_rate = (np.mean(succ, axis=1) if succ is not None and succ.size
                         else np.full(len(t), np.nan))
            return Evaluations(np.asarray(t, np.float64), np.mean(results, axis=1), succ_rate)
    except (OSError, KeyError, ValueError) as exc:
        raise MonitorError(f"{str(path)!r} is not an evaluations file: {exc}") from None


def find_monitor(run: str | Path) -> Path:
    p = Path(run)
    if not p.exists():
        raise MonitorError(f"run {str(run)!r} does not exist")
    if p.is_dir():
        p = p / MONITOR_NAME
        if not p.is_file():
            raise MonitorError(f"run folder {str(run)!r} has no {MONITOR_NAME} "
                               "(it is written while training runs)")
    return p


def read_monitor(path: str | Path) -> Episodes:
    """The episodes of an SB3 monitor file: a ``#{json}`` line, then CSV with
    columns r, l, t and the info keywords. A last line cut short (training
    still writing) is skipped. (SB3's ``monitor.load_results`` reads the same
    files but needs pandas, which neither SB3 nor this package otherwise
    installs.)"""
    p = Path(path)
    try:
        with p.open(newline="") as f:
            first = f.readline()
            rows = list(csv.reader(f))
    except UnicodeDecodeError:
        raise MonitorError(f"{str(p)!r} is not a text (CSV) file") from None
    try:
        json.loads(first[1:]) if first.startswith("#") else None
    except json.JSONDecodeError:
        first = ""
    if not first.startswith("#") or not first[1:].strip():
        raise MonitorError(f"{str(p)!r} is not an SB3 monitor file (its first line is not '#{{json}}')")
    if not rows:
        raise MonitorError(f"{str(p)!r} has no header line after the '#{{...}}' line")
    header = rows[0]
    for column in ("r", "l"):
        if column not in header:
            raise MonitorError(f"{str(p)!r} has no {column!r} column (columns: {', '.join(header)})")
    data = [row for row in rows[1:] if row]
    if data and len(data[-1]) != len(header):
        data.pop()  # the line being written right now
    if not data:
        raise MonitorError(f"{str(p)!r} has no finished episodes yet")

    def column(name: str, parse) -> np.ndarray:
        if name not in header:
            return np.full(len(data), np.nan)
        i = header.index(name)
        try:
            return np.array([parse(row[i]) for row in data], np.float64)
        except (ValueError, IndexError) as exc:
            raise MonitorError(f"{str(p)!r}: bad value in column {name!r}: {exc}") from None

    return Episodes(reward=column("r", float), length=column("l", float),
                    distance=column("distance", float), is_success=column("is_success", _parse_bool),
                    steps=column("timesteps", float) if "timesteps" in header else None)


def _parse_bool(text: str) -> float:
    lowered = text.strip().lower()
    if lowered in ("true", "1", "1.0"):
        return 1.0
    if lowered in ("false", "0", "0.0"):
        return 0.0
    raise ValueError(f"{text!r} is not True or False")


def moving_average(values: np.ndarray, window: int) -> np.ndarray:
    """Mean of the last ``window`` values at each point (fewer at the start)."""
    csum = np.cumsum(np.insert(values, 0, 0.0))
    n = np.arange(1, len(values) + 1)
    start = np.maximum(0, n - window)
    return (csum[n] - csum[start]) / (n - start)


def default_window(n_episodes: int) -> int:
    return int(min(500, max(1, n_episodes // 20)))


def plot_runs(curves: list[Curve], output: str | Path, window: int | None = None) -> Path:
    """One run: ``plot`` with its evaluations. Several: the three panels with
    one colour per run (moving averages, evaluations as markers)."""
    if len(curves) == 1:
        c = curves[0]
        return plot(c.episodes, output, title=c.name, window=window, evaluations=c.evaluations)
    fig, axes = plt.subplots(3, 1, sharex=True, figsize=(9, 8), constrained_layout=True)
    colours = plt.rcParams["axes.prop_cycle"].by_key()["color"]
    for k, c in enumerate(curves):
        colour = colours[k % len(colours)]
        e = c.episodes
        w = window or default_window(len(e.reward))
        for ax, values in zip(axes, (e.reward, e.distance, e.is_success)):
            if not np.all(np.isnan(values)):
                ax.plot(e.timesteps, moving_average(values, w), color=colour, linewidth=1.6, label=c.name)
        if c.evaluations is not None:
            ev = c.evaluations
            axes[0].plot(ev.timesteps, ev.mean_reward, "o--", color=colour, markersize=4, linewidth=0.8)
            if not np.all(np.isnan(ev.success_rate)):
                axes[2].plot(ev.timesteps, ev.success_rate, "o--", color=colour, markersize=4, linewidth=0.8)
    for ax, label in zip(axes, ("episode reward", "distance (m)", "success rate")):
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
    axes[0].legend(loc="upper left", fontsize="small", title="moving average; o-- evaluations")
    axes[2].set_ylim(-0.05, 1.05)
    axes[-1].set_xlabel(_x_label([c.episodes for c in curves]))
    fig.suptitle(f"{len(curves)} runs")
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out


def _x_label(episodes: list[Episodes]) -> str:
    if all(e.steps is not None for e in episodes):
        return "timesteps"
    return "timesteps (running sum of finished episodes: this monitor file has no timesteps column)"


def plot(episodes: Episodes, output: str | Path, title: str = "", window: int | None = None,
         evaluations: Evaluations | None = None) -> Path:
    """Write the three-panel PNG (with the evaluation curve when given); returns its path."""
    window = window or default_window(len(episodes.reward))
    x = episodes.timesteps
    panels = [("episode reward", episodes.reward, "tab:blue"),
              ("distance (m)", episodes.distance, "tab:green"),
              ("success rate", episodes.is_success, "tab:red")]
    fig, axes = plt.subplots(len(panels), 1, sharex=True, figsize=(8, 8), constrained_layout=True)
    for ax, (label, values, colour) in zip(axes, panels):
        ax.set_ylabel(label)
        ax.grid(True, alpha=0.3)
        if np.all(np.isnan(values)):
            ax.text(0.5, 0.5, "not in this monitor file", ha="center", va="center", transform=ax.transAxes)
            continue
        if label != "success rate":  # single outcomes of 0/1 are noise, not information
            ax.plot(x, values, ".", color=colour, alpha=0.35, markersize=4, label="episode")
        ax.plot(x, moving_average(values, window), color=colour, linewidth=1.8,
                label=f"mean of last {window}")
    if evaluations is not None:
        ev = evaluations
        axes[0].plot(ev.timesteps, ev.mean_reward, "o-", color="black", markersize=4, linewidth=1,
                     label="evaluation (mean)")
        if not np.all(np.isnan(ev.success_rate)):
            axes[2].plot(ev.timesteps, ev.success_rate, "o-", color="black", markersize=4, linewidth=1,
                         label="evaluation")
    for ax in axes:
        if ax.get_legend_handles_labels()[0]:
            ax.legend(loc="upper left", fontsize="small")
    axes[2].set_ylim(-0.05, 1.05)
    axes[-1].set_xlabel(_x_label([episodes]))
    fig.suptitle(f"{title}: {len(episodes.reward)} episodes" if title else f"{len(episodes.reward)} episodes")
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
