"""Watch a trained model run.

Loads an SB3 / sb3-contrib model (.zip; the algorithm is detected), plays it
on QWOPEnv and shows it in a window, or writes an animation with --output
(.gif always works; .mp4 needs the imageio-ffmpeg package and falls back to a
GIF without it). Env options come from the run's config.yml (its env_kwargs),
found next to the model or in the folder above it.

examples:
  qwop-fast watch --model runs/qrdqn-1/model.zip
  qwop-fast watch --model runs/qrdqn-1/model.zip --episodes 3 --output run.gif
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from typing import Any

from .argtypes import non_negative_int, positive_float, positive_int

DEFAULT_MAX_STEPS = 1000


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--model", required=True, metavar="PATH", help="the model's .zip file")
    parser.add_argument("--episodes", type=positive_int, default=1, metavar="N",
                        help="episodes to play (default 1)")
    parser.add_argument("--output", metavar="FILE",
                        help="write the animation to FILE (.gif or .mp4) instead of opening a window")
    parser.add_argument("--fps", type=positive_float, default=None, metavar="F",
                        help="frames per second (default: real game speed, 30 / frames_per_step)")
    parser.add_argument("--max-steps", type=non_negative_int, default=DEFAULT_MAX_STEPS, metavar="M",
                        help=f"stop an episode after M env steps (default {DEFAULT_MAX_STEPS}; "
                             "0: only the env's own max_episode_steps)")
    mode = parser.add_mutually_exclusive_group()
    mode.add_argument("--deterministic", dest="deterministic", action="store_true", default=True,
                      help="take the model's best action (default)")
    mode.add_argument("--stochastic", dest="deterministic", action="store_false",
                      help="sample actions from the model's policy")


def run(args: argparse.Namespace) -> int:
    from .animation import OutputError, check_output_path
    from .models import ModelError
    from .render import DisplayError

    try:
        if args.output is not None:
            check_output_path(args.output)  # before the slow model load
        return watch(Path(args.model), episodes=args.episodes, output=args.output, fps=args.fps,
                     max_steps=args.max_steps, deterministic=args.deterministic)
    except (ModelError, OutputError, DisplayError) as exc:
        print(f"qwop-fast watch: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"qwop-fast watch: error: {exc.filename or args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 2


def watch(model_path: Path, episodes: int = 1, output: str | None = None, fps: float | None = None,
          max_steps: int = DEFAULT_MAX_STEPS, deterministic: bool = True) -> int:
    """Play ``episodes`` episodes of the model; returns the exit code."""
    import torch

    from .animation import FrameSink
    from .env import QWOPEnv
    from .models import load_env_kwargs, load_model

    torch.set_num_threads(1)  # one small MLP per step: threads only add overhead
    model = load_model(model_path)
    env_kwargs, config = load_env_kwargs(model_path, model)
    print(f"model: {model_path} ({type(model).__name__})"
          + (f"; env options from {config}" if config else "; default env options"))
    env = QWOPEnv(render_mode="rgb_array", **env_kwargs)
    fps = fps or 30.0 / env.frames_per_step
    sink = FrameSink(output, fps)
    try:
        for episode in range(1, episodes + 1):
            result = play_episode(model, env, sink, max_steps, deterministic)
            print(f"episode {episode}: {result['distance']:.2f} m in {result['game_time']:.2f} s game time, "
                  f"{result['steps']} steps, return {result['return']:.2f}, {result['ending']}")
            if sink.quit_requested:
                break
    finally:
        path = sink.close()
        env.close()
    if path is not None:
        print(f"wrote {path} ({sink.n_frames} frames at {fps:g} fps)")
        if sink.note:
            print(f"note: {sink.note}")
    return 0


def play_episode(model: Any, env: Any, sink: Any, max_steps: int, deterministic: bool) -> dict[str, Any]:
    """One episode; every state (the reset one included) goes to ``sink``."""
    import numpy as np

    obs, info = env.reset()
    sink.add(env)
    state = None  # recurrent policies carry their memory here
    episode_start = np.ones((1,), bool)
    total, steps, ending = 0.0, 0, "step limit"
    while not sink.quit_requested and (max_steps == 0 or steps < max_steps):
        action, state = model.predict(obs, state=state, episode_start=episode_start, deterministic=deterministic)
        episode_start[:] = False
        obs, reward, terminated, truncated, info = env.step(int(np.asarray(action).reshape(())))
        total += reward
        steps += 1
        sink.add(env)
        if terminated or truncated:
            ending = ("success" if info["is_success"] else "ended") if terminated else "time limit"
            break
    if sink.quit_requested:
        ending = "window closed"
    return {"distance": info["distance"], "game_time": info["game_time"], "steps": steps,
            "return": total, "ending": ending}
