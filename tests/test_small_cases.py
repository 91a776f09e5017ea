"""The smaller cases of issue 12 (item 7): numpy scalars as options, reward
constants that would overflow, no display, and an engine inspection call
with a bad index (in a child process: it could crash)."""

from __future__ import annotations

import numpy as np
import pytest

from qwop_fast import EnvOptions, QWOPEnv


def test_numpy_scalars_are_their_python_values():
    opts = EnvOptions(speed_rew_mult=np.float32(0.5), hurdle=np.bool_(False), frames_per_step=np.int64(2),
                      success_rule=np.str_("game"), intro_frames=(np.int32(1), np.int64(3)))
    assert opts.as_dict() == EnvOptions(speed_rew_mult=0.5, hurdle=False, frames_per_step=2,
                                        success_rule="game", intro_frames=(1, 3)).as_dict()
    assert type(opts.hurdle) is bool and type(opts.speed_rew_mult) is float
    env = QWOPEnv(hurdle=np.bool_(False))
    env.speed_rew_mult = np.float32(0.25)
    assert env.speed_rew_mult == 0.25 and env.hurdle is False
    env.close()
    with pytest.raises(TypeError, match="hurdle must be a bool"):
        EnvOptions(hurdle=np.array([True]))  # an array is not a scalar


@pytest.mark.parametrize("name", ["speed_rew_mult", "time_cost_mult", "success_reward", "failure_cost"])
def test_reward_constants_that_would_give_infinite_rewards_are_refused(name):
    with pytest.raises(ValueError, match=rf"{name} must be a number in \[-1e\+06, 1e\+06\], got 1e\+308"):
        EnvOptions(**{name: 1e308})
    EnvOptions(**{name: -1e6})  # the bound itself is fine


def test_a_window_without_a_display_says_so(monkeypatch):
    from qwop_fast.render import DisplayError, Renderer, check_display

    for var in ("SDL_VIDEODRIVER", "DISPLAY", "WAYLAND_DISPLAY"):
        monkeypatch.delenv(var, raising=False)
    with pytest.raises(DisplayError, match="there is no display"):
        check_display()
    with pytest.raises(DisplayError, match="there is no display"):
        Renderer(window=True)
    monkeypatch.setenv("SDL_VIDEODRIVER", "dummy")  # chosen on purpose: respected
    check_display()


def test_debug_world_with_a_bad_index_is_a_clear_error(child):
    proc = child("from qwop_fast._engine import Engine\n"
                 "try:\n    Engine(1).debug_world(100000)\nexcept ValueError:\n    print('clear')\n")
    assert proc.returncode == 0 and proc.stdout.strip() == "clear", proc.returncode
