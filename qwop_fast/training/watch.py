"""Watching a trained model: its episodes on QWOPEnv, in a window or an
animation file (``qwop-fast watch --help``, ``qwop_fast/cli/watch.py``)."""

from __future__ import annotations

import argparse
from pathlib import Path

import torch

from ..agents import resolve_model
from ..animation import FrameSink, check_output_path
from ..render import check_display
from ..env import QWOPEnv
from ..rollout import run_episode
from .checkpoints import load_env_kwargs, load_model



def watch_from_args(args: argparse.Namespace) -> int:
    """``qwop-fast watch``: checks the output path before the slow model load."""
    if args.output is not None:
        check_output_path(args.output)
    else:
        check_display()  # before the model load, not after it
    return watch(Path(resolve_model(args.model)), episodes=args.episodes, output=args.output, fps=args.fps,
                 max_steps=args.max_steps or None, deterministic=args.deterministic,
                 trust=args.trust_model)


def watch(model_path: Path, episodes: int = 1, output: str | None = None, fps: float | None = None,
          max_steps: int | None = None, deterministic: bool = True, trust: bool = False) -> int:
    """Play ``episodes`` episodes of the model, each up to ``max_steps`` steps
    (None: the env's own max_episode_steps); returns the exit code.
    ``trust``: load the model's pickled objects too (checkpoints.load_model)."""
    torch.set_num_threads(1)  # one small MLP per step: threads only add overhead
    model = load_model(model_path, trust=trust)
    env_kwargs, config = load_env_kwargs(model_path, model)
    print(f"model: {model_path} ({type(model).__name__})"
          + (f"; env options from {config}" if config else "; default env options"))
    env = QWOPEnv(render_mode="rgb_array", **env_kwargs)
    fps = fps or 30.0 / env.frames_per_step
    sink = FrameSink(output, fps)
    try:
        for episode in range(1, episodes + 1):
            ep = run_episode(env, model, deterministic=deterministic, max_steps=max_steps,
                             on_state=sink.add, should_stop=lambda: sink.quit_requested)
            if sink.quit_requested:
                ending = "window closed"
            elif ep.terminated:
                ending = "success" if ep.info["is_success"] else "ended"
            else:
                ending = "time limit" if ep.truncated else "step limit"
            print(f"episode {episode}: {ep.info['distance']:.2f} m in {ep.info['game_time']:.2f} s game time, "
                  f"{ep.length} steps, return {ep.reward:.2f}, {ending}")
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
