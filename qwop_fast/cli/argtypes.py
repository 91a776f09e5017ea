"""argparse ``type=`` checkers shared by the subcommands: a bad value becomes
argparse's usual one-line "argument --x: ..." error."""

from __future__ import annotations

import argparse
import math


def _int(text: str) -> int:
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be an integer, got {text[:40]!r}") from None


def positive_int(text: str) -> int:
    value = _int(text)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be an integer >= 1, got {text}")
    return value


def non_negative_int(text: str) -> int:
    value = _int(text)
    if value < 0:
        raise argparse.ArgumentTypeError(f"must be an integer >= 0, got {text}")
    return value


def positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text[:40]!r}") from None
    if not (value > 0 and math.isfinite(value)):
        raise argparse.ArgumentTypeError(f"must be a number > 0, got {text}")
    return value


def timesteps(text: str) -> int:
    """A count of timesteps as people write it: 100000, 100_000 or 1e5 (as
    YAML configs accept)."""
    try:
        value = float(text.replace("_", "")) if any(c in text for c in ".eE") else int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"must be a whole number of timesteps such as 100000 or 1e5, "
                                         f"got {text!r}") from None
    if isinstance(value, float):
        if not (math.isfinite(value) and value.is_integer()):
            raise argparse.ArgumentTypeError(f"must be a whole number of timesteps, got {text}")
        value = int(value)
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {text}")
    return value


def key_value(text: str) -> tuple[str, object]:
    """``key:value`` with the value read as YAML (``frames_per_step:2``,
    ``hurdle:false``, ``intro_frames:[0,30]``), as rl-zoo3's --env-kwargs."""
    try:
        import yaml
    except ModuleNotFoundError:
        raise argparse.ArgumentTypeError("reading key:value needs pyyaml: pip install 'qwop-fast[train]'") from None

    key, sep, raw = text.partition(":")
    if not sep or not key.strip():
        raise argparse.ArgumentTypeError(f"must be key:value (e.g. frames_per_step:2), got {text!r}")
    try:
        value = yaml.safe_load(raw) if raw.strip() else None
    except yaml.YAMLError:
        raise argparse.ArgumentTypeError(f"the value of {key.strip()!r} is not valid YAML: {raw!r}") from None
    return key.strip(), value
