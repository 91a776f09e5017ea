"""Replay a recorded key file bit-exactly.

Plays the keys of a recording made with `qwop-fast play --record FILE` on
QWOPEnv with the recorded env options, shows it in a window (or writes an
animation with --output: .gif, or .mp4 with imageio-ffmpeg installed) and
checks that the final distance equals the recorded one. Exit code 1 when it
does not (the physics is deterministic, so a difference means another engine
build or a changed runner).

examples:
  qwop-fast replay my-run.json
  qwop-fast replay my-run.json --output my-run.gif --fps 30
"""

from __future__ import annotations

import argparse
import sys
from typing import Any

from .argtypes import positive_float


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("file", metavar="FILE", help="a recording (JSON) from `qwop-fast play --record`")
    parser.add_argument("--output", metavar="FILE",
                        help="write the animation to FILE (.gif or .mp4) instead of opening a window")
    parser.add_argument("--fps", type=positive_float, default=None, metavar="F",
                        help="frames per second (default: real game speed, 30 / frames_per_step)")


def run(args: argparse.Namespace) -> int:
    from .animation import OutputError, check_output_path
    from .recording import RecordingError, load
    from .render import DisplayError

    try:
        if args.output is not None:
            check_output_path(args.output)
        recording = load(args.file)
        result = replay(recording, output=args.output, fps=args.fps, where=f"recording {args.file!r}")
    except (RecordingError, OutputError, DisplayError) as exc:
        print(f"qwop-fast replay: error: {exc}", file=sys.stderr)
        return 2
    except OSError as exc:
        print(f"qwop-fast replay: error: {exc.filename or args.output}: {exc.strerror or exc}", file=sys.stderr)
        return 2
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


def replay(recording: Any, output: str | None = None, fps: float | None = None, render: bool = True,
           where: str = "recording") -> dict[str, Any]:
    """Step the recorded keys; returns distance, steps, frames, path, note, stopped.

    ``render=False`` only steps (a quick bit-exactness check). With
    ``output`` the frames go to an animation file, else to a window.
    """
    from .animation import FrameSink
    from .env import QWOPEnv
    from .recording import RecordingError

    actions = recording.action_indices(where)
    options = recording.env_options
    env = QWOPEnv(render_mode="rgb_array" if render else None, **options.as_dict())
    fps = fps or 30.0 / options.frames_per_step
    sink = FrameSink(output, fps) if render else None
    steps, stopped, path = 0, False, None
    try:
        _, info = env.reset()
        if sink:
            sink.add(env)
        for steps, action in enumerate(actions, start=1):
            if sink and sink.quit_requested:
                stopped, steps = True, steps - 1
                break
            _, _, terminated, truncated, info = env.step(action)
            if sink:
                sink.add(env)
            if (terminated or truncated) and steps < len(actions):
                raise RecordingError(f"{where}: the episode ended after {steps} of its {len(actions)} frames; "
                                     "the recording does not match this engine")
    finally:
        if sink:
            path = sink.close()
        env.close()
    return {"distance": info["distance"], "steps": steps, "frames": sink.n_frames if sink else 0,
            "path": path, "note": sink.note if sink else "", "stopped": stopped}
