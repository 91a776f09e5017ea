"""Replaying a key recording bit-exactly on QWOPEnv, in a window or to an
animation file (``qwop-fast replay --help``, ``qwop_fast/cli/replay.py``)."""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .animation import FrameSink, check_output_path
from .env import QWOPEnv
from .recording import Recording, RecordingError, load
from .rollout import RecordedPolicy, run_episode


def replay_file(args: argparse.Namespace) -> int:
    """``qwop-fast replay``: replay the file, say whether it matched (exit code 1 if not)."""
    if args.output is not None:
        check_output_path(args.output)
    else:
        from .render import check_display  # pygame only for a window

        check_display()
    recording = load(args.file)
    result = replay(recording, output=args.output, fps=args.fps, where=f"recording {args.file!r}")
    if result["path"] is not None:
        print(f"wrote {result['path']} ({result['frames']} frames)")
        if result["note"]:
            print(f"note: {result['note']}")
    if result["stopped"]:
        print(f"stopped after {result['steps']} of {len(recording.keys)} frames")
        return 0
    distance = result["distance"]
    if distance == recording.final_distance:
        print(f"final distance {distance:.4f} m, as recorded ({result['steps']} frames)")
        return 0
    print(f"qwop-fast replay: final distance {distance!r} m differs from the recorded "
          f"{recording.final_distance!r} m", file=sys.stderr)
    return 1


def replay(recording: Recording, output: str | None = None, fps: float | None = None, render: bool = True,
           where: str = "recording") -> dict[str, Any]:
    """Step the recorded keys; returns distance, steps, frames, path, note, stopped.

    ``render=False`` only steps (a quick bit-exactness check). With
    ``output`` the frames go to an animation file, else to a window.
    """
    actions = recording.action_indices(where)
    options = recording.env_options
    env = QWOPEnv(render_mode="rgb_array" if render else None, **options.as_dict())
    fps = fps or 30.0 / options.frames_per_step
    sink = FrameSink(output, fps) if render else None
    path = None
    try:
        ep = run_episode(env, RecordedPolicy(actions), max_steps=len(actions),
                         on_state=sink.add if sink else None,
                         should_stop=(lambda: sink.quit_requested) if sink else None)
        ended = ep.terminated or ep.truncated
        if ended and ep.length < len(actions):
            raise RecordingError(f"{where}: the episode ended after {ep.length} of its {len(actions)} frames; "
                                 "the recording does not match this engine")
    finally:
        if sink:
            path = sink.close()
        env.close()
    return {"distance": ep.info["distance"], "steps": ep.length, "frames": sink.n_frames if sink else 0,
            "path": path, "note": sink.note if sink else "",
            "stopped": not ended and ep.length < len(actions)}
