"""Key recordings: what ``qwop-fast play --record`` writes and ``replay`` reads.

A recording is one JSON object::

    {
      "format": "qwop-fast-recording",
      "version": 1,
      "env_options": {"frames_per_step": 1, "reduced_action_set": false, ...},
      "keys": ["none", "none", "W", "WO", "QP", ...],
      "final_distance": 3.4117,
      "game_time": 6.1,
      "terminated": true,
      "is_success": false
    }

* ``env_options``: every ``EnvOptions`` field the run used, so a replay does
  not depend on later changes of the defaults.
* ``keys``: the keys held during each env step, in order (with
  ``frames_per_step`` 1, as ``play`` uses, one entry per game frame). Each is
  "none" or letters of Q, W, O, P in that order; it must be an action of the
  recorded action set.
* ``final_distance`` (m), ``game_time`` (clock s), ``terminated`` and
  ``is_success``: the env's state after the last step. The physics is
  deterministic, so replaying ``keys`` must reproduce ``final_distance``
  exactly (JSON keeps every digit of a float64).
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from . import atomic
from .errors import UserError, short_repr
from .options import EnvOptions

FORMAT = "qwop-fast-recording"
VERSION = 1
KEY_ORDER = "QWOP"
# A recording of a whole 100 m run is ~50 KB; a day of play at 30 frames/s
# is ~30 MB.
MAX_RECORDING_BYTES = 64 << 20


class RecordingError(UserError, ValueError):
    """A recording that cannot be read or used; the message names the file."""


@dataclass
class Recording:
    env_options: EnvOptions
    keys: list[str] = field(default_factory=list)
    final_distance: float = 0.0
    game_time: float = 0.0
    terminated: bool = False
    is_success: bool = False

    def action_indices(self, where: str = "recording") -> list[int]:
        """The action index of each entry of ``keys`` in the recorded action set."""
        names = self.env_options.action_names
        out = []
        for i, keys in enumerate(self.keys):
            name = canonical_keys(keys, f"{where}: keys[{i}]")
            if name not in names:
                raise RecordingError(f"{where}: keys[{i}] = {short_repr(keys)} is not an action of the "
                                     f"{len(names)}-action set ({', '.join(names)})")
            out.append(names.index(name))
        return out

    def to_json(self) -> dict[str, Any]:
        return {
            "format": FORMAT,
            "version": VERSION,
            "env_options": self.env_options.as_dict(),
            "keys": list(self.keys),
            "final_distance": float(self.final_distance),
            "game_time": float(self.game_time),
            "terminated": bool(self.terminated),
            "is_success": bool(self.is_success),
        }

    def save(self, path: str | Path) -> Path:
        p = Path(path)
        # Readable header fields one per line, then the long key list on one line.
        data = self.to_json()
        keys = json.dumps(data.pop("keys"), separators=(",", ":"))
        header = json.dumps(data, indent=1)  # ends with "\n}"
        atomic.write_text(p, f'{header[:-2]},\n "keys": {keys}\n}}\n')
        return p


def canonical_keys(keys: Any, where: str) -> str:
    """ "none" or the held letters in Q, W, O, P order ("PQ" -> "QP")."""
    if not isinstance(keys, str):
        raise RecordingError(f"{where} must be a string like 'QP' or 'none', got {short_repr(keys)}")
    text = keys.strip().upper()
    if text in ("", "NONE"):
        return "none"
    if any(k not in KEY_ORDER for k in text) or len(set(text)) != len(text):
        raise RecordingError(f"{where} = {short_repr(keys)} is not 'none' or a set of the letters Q, W, O, P")
    return "".join(k for k in KEY_ORDER if k in text)


def load(path: str | Path) -> Recording:
    """Read and check a recording; RecordingError naming the file and the problem."""
    p = Path(path)
    where = f"recording {str(path)!r}"
    if not p.exists():
        raise RecordingError(f"{where} does not exist")
    if p.is_dir():
        raise RecordingError(f"{where} is a directory, not a recording file")
    try:
        size = p.stat().st_size
        if size > MAX_RECORDING_BYTES:
            raise RecordingError(f"{where} is {size} bytes, more than a recording can be "
                                 f"({MAX_RECORDING_BYTES})")
        data = json.loads(p.read_text(encoding="utf-8"))
    except RecursionError:
        raise RecordingError(f"{where} is nested too deeply to be a recording") from None
    except UnicodeDecodeError:
        raise RecordingError(f"{where} is not a text (JSON) file") from None
    except json.JSONDecodeError as exc:
        raise RecordingError(f"{where} is not valid JSON: {exc}") from None
    except OSError as exc:
        raise RecordingError(f"cannot read {where}: {exc.strerror or exc}") from None
    return from_json(data, where)


def from_json(data: Any, where: str = "recording") -> Recording:
    if not isinstance(data, dict) or data.get("format") != FORMAT:
        raise RecordingError(f"{where} is not a qwop-fast recording (no \"format\": \"{FORMAT}\")")
    version = data.get("version")
    if version != VERSION:
        raise RecordingError(f"{where} has version {short_repr(version)}; this qwop-fast reads version {VERSION}")
    for name in ("env_options", "keys", "final_distance"):
        if name not in data:
            raise RecordingError(f"{where} has no {name!r}")
    if not isinstance(data["env_options"], dict):
        raise RecordingError(f"{where}: env_options must be a mapping of env options")
    try:
        options = EnvOptions.from_kwargs(**data["env_options"])
    except (TypeError, ValueError) as exc:
        raise RecordingError(f"{where}: env_options: {exc}") from None
    if not isinstance(data["keys"], list):
        raise RecordingError(f"{where}: keys must be a list of key strings")
    numbers = {}
    for name in ("final_distance", "game_time"):
        value = data.get(name, 0.0)
        if isinstance(value, bool) or not isinstance(value, (int, float)) or not math.isfinite(value):
            raise RecordingError(f"{where}: {name} must be a finite number, got {short_repr(value)}")
        numbers[name] = float(value)
    flags = {}
    for name in ("terminated", "is_success"):
        value = data.get(name, False)
        if not isinstance(value, bool):
            raise RecordingError(f"{where}: {name} must be true or false, got {short_repr(value)}")
        flags[name] = value
    recording = Recording(options, [canonical_keys(k, f"{where}: keys[{i}]") for i, k in enumerate(data["keys"])],
                          **numbers, **flags)
    recording.action_indices(where)  # every entry must be an action of the recorded set
    return recording
