"""The env options, validated in one place.

The same option names are accepted by the batched ``Engine``, ``QWOPEnv``,
``QWOPVecEnv`` and ``ReferenceQWOPEnv``; each one builds an ``EnvOptions`` from
its keyword arguments, so an unknown name or a bad value gets the same clear
error everywhere.
"""

from __future__ import annotations

import dataclasses
import math
from dataclasses import dataclass
from typing import Any

from . import runner_table
from .errors import short_repr

SUCCESS_RULES = ("qwop_gym", "game")
# Bound of the reward constants: rewards are float32 (max ~3.4e38), and a
# constant like 1e308 times a speed gives an infinite reward that poisons
# every gradient. The defaults are 0.01 to 50; a million is far beyond use.
MAX_REWARD_CONSTANT = 1e6
FIRST_STEP_REFERENCES = ("reset", "origin")


@dataclass(frozen=True)
class EnvOptions:
    """Options of one QWOP env (defaults are the training defaults).

    frames_per_step: physics frames the chosen keys are held for per env step.
    reduced_action_set: the 9-action list of qwop-gym (True) or all 16 key
        combinations (False) [spec 5.3].
    max_episode_steps: truncation after this many env steps (0 = never).
    speed_rew_mult, time_cost_mult, success_reward, failure_cost: the
        qwop-gym reward [spec 7.3].
    hurdle: build the hurdle at 50 m [spec 2.2].
    success_rule: "qwop_gym" (torso beyond 100 m when the episode ends) or
        "game" (the game's own rule: landed in the sand pit without a fall).
    head_torque_accumulates: the head-stabiliser torque is a running sum, as
        in the real game, where nothing clears forces (True, the default), or
        a fresh torque each frame (False; not the game) [oracle F7].
    first_step_reference: "reset" measures the first step's velocity from the
        reset state; "origin" reproduces the sources' quirk of measuring it
        from (distance 0, time 0), which gives a spurious first-step bonus.
    intro_frames: frames the game ran on its intro screen before the click
        that starts the run: an int, or a (low, high) range drawn uniformly
        (both ends included) at each reset from the env's seed. Each adds to
        the head torque; it is the real game's only source of start variety
        [oracle F13].
    """

    frames_per_step: int = 4
    reduced_action_set: bool = True
    max_episode_steps: int = 5000
    speed_rew_mult: float = runner_table.SPEED_REW_MULT
    time_cost_mult: float = runner_table.TIME_COST_MULT
    success_reward: float = runner_table.SUCCESS_REWARD
    failure_cost: float = runner_table.FAILURE_COST
    hurdle: bool = True
    success_rule: str = "qwop_gym"
    head_torque_accumulates: bool = True
    first_step_reference: str = "reset"
    intro_frames: int | tuple[int, int] = 0

    def __post_init__(self) -> None:
        # numpy scalars (np.float32(0.5), np.bool_(True), np.int64(4): what
        # a value read from an array is) mean their Python value; converted
        # first so every check below and as_dict() see plain Python types.
        for f in dataclasses.fields(self):
            value = getattr(self, f.name)
            if isinstance(value, (list, tuple)):
                value = type(value)(_python_scalar(v) for v in value)
            object.__setattr__(self, f.name, _python_scalar(value))
        _check_int("frames_per_step", self.frames_per_step, 1, 10_000)
        _check_int("max_episode_steps", self.max_episode_steps, 0, 2**31 - 1)
        for name in ("reduced_action_set", "hurdle", "head_torque_accumulates"):
            value = getattr(self, name)
            if not isinstance(value, bool):
                raise TypeError(f"{name} must be a bool (True or False), got {short_repr(value)}")
        for name in ("speed_rew_mult", "time_cost_mult", "success_reward", "failure_cost"):
            value = getattr(self, name)
            if isinstance(value, bool) or not isinstance(value, (int, float)):
                raise TypeError(f"{name} must be a number, got {short_repr(value)}")
            if not (math.isfinite(value) and abs(value) <= MAX_REWARD_CONSTANT):
                raise ValueError(f"{name} must be a number in [-{MAX_REWARD_CONSTANT:g}, "
                                 f"{MAX_REWARD_CONSTANT:g}], got {short_repr(value)}")
            object.__setattr__(self, name, float(value))
        _check_choice("success_rule", self.success_rule, SUCCESS_RULES)
        _check_choice("first_step_reference", self.first_step_reference, FIRST_STEP_REFERENCES)
        object.__setattr__(self, "intro_frames", _check_intro_frames(self.intro_frames))

    @property
    def intro_frames_range(self) -> tuple[int, int]:
        """intro_frames as an inclusive (low, high) range."""
        v = self.intro_frames
        return (v, v) if isinstance(v, int) else v

    @property
    def n_actions(self) -> int:
        return len(runner_table.REDUCED_ACTION_KEYS if self.reduced_action_set else runner_table.FULL_ACTION_KEYS)

    @property
    def action_keys(self) -> tuple[int, ...]:
        """Key bitmask (Q=1, W=2, O=4, P=8) of each action index."""
        return runner_table.REDUCED_ACTION_KEYS if self.reduced_action_set else runner_table.FULL_ACTION_KEYS

    @property
    def action_names(self) -> tuple[str, ...]:
        names = runner_table.REDUCED_ACTION_NAMES if self.reduced_action_set else runner_table.FULL_ACTION_NAMES
        return tuple(n or "none" for n in names)

    @classmethod
    def from_kwargs(cls, **kwargs: Any) -> "EnvOptions":
        """Build from keyword arguments; an unknown name is a TypeError naming it."""
        known = option_names()
        unknown = sorted(set(kwargs) - set(known))
        if unknown:
            raise TypeError(
                f"unknown env option(s) {', '.join(map(repr, unknown))}; "
                f"the options are: {', '.join(known)}"
            )
        return cls(**kwargs)

    def replace(self, **kwargs: Any) -> "EnvOptions":
        """A copy with some options changed (validated like the constructor)."""
        return EnvOptions.from_kwargs(**{**self.as_dict(), **kwargs})

    def as_dict(self) -> dict[str, Any]:
        return dataclasses.asdict(self)


def _python_scalar(value: Any) -> Any:
    """A numpy scalar as its Python value (np.float32 -> float, np.bool_ ->
    bool, ...); anything else unchanged (a float32 keeps its float32 value:
    0.1f is 0.10000000149011612, as an array element would give)."""
    if type(value).__module__ == "numpy" and getattr(value, "shape", None) == ():
        return value.item()
    return value


def option_names() -> tuple[str, ...]:
    return tuple(f.name for f in dataclasses.fields(EnvOptions))


def _check_int(name: str, value: Any, lo: int, hi: int) -> None:
    if isinstance(value, bool) or not isinstance(value, int):
        # numpy integers are accepted too
        if not (hasattr(value, "__index__") and not isinstance(value, bool)):
            raise TypeError(f"{name} must be an integer in [{lo}, {hi}], got {short_repr(value)}")
    if not lo <= int(value) <= hi:
        raise ValueError(f"{name} must be an integer in [{lo}, {hi}], got {short_repr(value)}")


def _check_choice(name: str, value: Any, choices: tuple[str, ...]) -> None:
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(map(repr, choices))}, got {short_repr(value)}")


MAX_INTRO_FRAMES = 100_000


def _check_intro_frames(value: Any) -> int | tuple[int, int]:
    expected = (f"intro_frames must be an integer in [0, {MAX_INTRO_FRAMES}] or a (low, high) "
                f"pair of them with low <= high")
    if isinstance(value, (list, tuple)):
        if len(value) != 2:
            raise ValueError(f"{expected}, got a sequence of length {len(value)}")
        low, high = (_intro_int(v, expected) for v in value)
        if low > high:
            raise ValueError(f"{expected}, got ({low}, {high})")
        return (low, high) if low != high else low
    return _intro_int(value, expected)


def _intro_int(value: Any, expected: str) -> int:
    if isinstance(value, bool) or not hasattr(value, "__index__"):
        raise TypeError(f"{expected}, got {short_repr(value)}")
    value = int(value)
    if not 0 <= value <= MAX_INTRO_FRAMES:
        raise ValueError(f"{expected}, got {value}")
    return value
