"""Learning curves of a run: reading its monitor.csv and drawing the PNG
(``qwop-fast plot --help``, ``qwop_fast/cli/plot.py``)."""

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


def plot_from_args(args: argparse.Namespace) -> int:
    """``qwop-fast plot``: find the monitor file, read it, write the PNG."""
    monitor = find_monitor(args.run)
    output = Path(args.output) if args.output else monitor.parent / DEFAULT_OUTPUT_NAME
    if output.suffix.lower() != ".png":
        raise MonitorError(f"--output {str(output)!r} must end in .png")
    episodes = read_monitor(monitor)
    plot(episodes, output, title=monitor.parent.name, window=args.window)
    print(f"wrote {output} ({len(episodes.reward)} episodes, {int(episodes.timesteps[-1])} timesteps)")
    return 0


@dataclass
class Episodes:
    """One entry per finished episode, in the order they finished."""

    reward: np.ndarray
    length: np.ndarray
    distance: np.ndarray  # NaN when the monitor has no distance column
    is_success: np.ndarray  # NaN when the monitor has no is_success column

    @property
    def timesteps(self) -> np.ndarray:
        """Total env steps when each episode finished (all envs together)."""
        return np.cumsum(self.length)


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
                    distance=column("distance", float), is_success=column("is_success", _parse_bool))


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


def plot(episodes: Episodes, output: str | Path, title: str = "", window: int | None = None) -> Path:
    """Write the three-panel PNG; returns its path."""
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
        ax.legend(loc="upper left", fontsize="small")
    axes[2].set_ylim(-0.05, 1.05)
    axes[-1].set_xlabel("timesteps")
    fig.suptitle(f"{title}: {len(episodes.reward)} episodes" if title else f"{len(episodes.reward)} episodes")
    out = Path(output)
    out.parent.mkdir(parents=True, exist_ok=True)
    fig.savefig(out, dpi=100)
    plt.close(fig)
    return out
