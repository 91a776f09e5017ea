"""The game for a human: QWOPEnv in a window at real speed, driven by the
keyboard, with the keys of each attempt recorded (``qwop-fast play --help``,
``qwop_fast/cli/play.py``)."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from . import atomic, runner_table
from .env import QWOPEnv
from .recording import Recording, RecordingError
from .render import Renderer, check_display  # before pygame: it silences pygame's import banner

import pygame  # noqa: E402,I001

# QWOPEnv options of a human game: real speed, every key combination, no time limit.
PLAY_OPTIONS = {"frames_per_step": 1, "reduced_action_set": False, "max_episode_steps": 0}
GAME_FPS = 30  # the original game's frame rate (game clock: 1/30 s per frame)
HELP_FRAMES = 4 * GAME_FPS  # show the controls until the first key press, at most this long


def play_from_args(args: argparse.Namespace) -> int:
    """``qwop-fast play``: the game, then the --record file."""
    if args.record:
        problem = atomic.check_writable(args.record)
        if problem is not None:  # found now, not after the game
            raise RecordingError(f"cannot write recording {args.record!r}: {problem}")
    check_display()
    result = play(hurdle=args.hurdle)
    print(f"{result.attempts} attempt(s), best {result.best_distance:.2f} m")
    if args.record:
        if result.recording is None:
            print("nothing to record: no frame was played", file=sys.stderr)
            return 1
        try:
            path = result.recording.save(args.record)
        except OSError as exc:
            raise RecordingError(f"cannot write recording {args.record!r}: {exc.strerror or exc}") from None
        rec = result.recording
        print(f"recorded {len(rec.keys)} frames ({rec.final_distance:.2f} m) to {path}")
    return 0


@dataclass
class PlayResult:
    frames: int  # frames shown
    attempts: int  # attempts started (1 + times R was pressed)
    best_distance: float  # the largest final distance of any attempt (m)
    recording: Recording | None  # of the last attempt with a step


def play(hurdle: bool = True, events: Iterable[Iterable[Any]] | None = None, max_frames: int | None = None,
         fps: int = GAME_FPS, width: int = 640, height: int = 400) -> PlayResult:
    """Run the game in a window until the player quits.

    :param events: where key presses come from: an iterable with one batch
        (an iterable of pygame events) per frame. None: the window's own event
        queue. The game also stops when ``events`` runs out.
    :param max_frames: stop after this many frames (None: no limit).
    :param fps: frame rate (0: as fast as possible, for tests).
    """
    key_bits = {pygame.K_q: runner_table.KEY_Q, pygame.K_w: runner_table.KEY_W,
                pygame.K_o: runner_table.KEY_O, pygame.K_p: runner_table.KEY_P}
    env = QWOPEnv(hurdle=hurdle, **PLAY_OPTIONS)
    renderer = Renderer(window=True, fps=fps, width=width, height=height, handle_events=False)
    if events is None:
        events = _window_events()
    held = 0  # bitmask of the keys held now
    attempt = _Attempt(env)
    finished: list[_Attempt] = []
    frames = 0
    try:
        for batch in events:
            quit_now = restart = False
            for event in batch:
                if event.type == pygame.QUIT:
                    quit_now = True
                elif event.type == pygame.KEYDOWN:
                    if event.key == pygame.K_ESCAPE:
                        quit_now = True
                    elif event.key == pygame.K_r:
                        restart = True
                    held |= key_bits.get(event.key, 0)
                elif event.type == pygame.KEYUP:
                    held &= ~key_bits.get(event.key, 0)
                elif event.type == pygame.WINDOWFOCUSLOST:
                    held = 0  # keys released in another window never send KEYUP here
            if quit_now:
                break
            if restart:
                finished.append(attempt)
                attempt = _Attempt(env)
            if not attempt.over:
                attempt.step(env, runner_table.FULL_ACTION_KEYS.index(held))
            state = env.render_state()
            state["message"] = attempt.message(frames)
            renderer.draw(state)
            frames += 1
            if max_frames is not None and frames >= max_frames:
                break
    finally:
        renderer.close()
        env.close()
    attempts = finished + [attempt]
    played = [a for a in attempts if a.recording.keys]
    return PlayResult(frames=frames, attempts=len(attempts),
                      best_distance=max(a.recording.final_distance for a in attempts),
                      recording=played[-1].recording if played else None)


def _window_events() -> Iterable[list[Any]]:
    while True:
        yield pygame.event.get()


class _Attempt:
    """One run from a reset, and its key recording."""

    def __init__(self, env: Any) -> None:
        _, info = env.reset()
        self.recording = Recording(env.env_options, final_distance=info["distance"])
        self.over = False
        self.pressed_any = False

    def step(self, env: Any, action: int) -> None:
        _, _, terminated, truncated, info = env.step(action)
        rec = self.recording
        rec.keys.append(env.env_options.action_names[action])
        rec.final_distance, rec.game_time = info["distance"], info["game_time"]
        rec.terminated, rec.is_success = terminated, info["is_success"]
        self.over = terminated or truncated
        self.pressed_any = self.pressed_any or action != 0

    def message(self, frame: int) -> str:
        rec = self.recording
        if self.over and rec.is_success:
            return f"Finished: {rec.final_distance:.1f} m in {rec.game_time:.2f} s!   R: again   Esc: quit"
        if self.over:
            return f"Game over at {rec.final_distance:.1f} m.   R: again   Esc: quit"
        if not self.pressed_any and frame < HELP_FRAMES:
            return "Q, W: thighs    O, P: calves    R: restart    Esc: quit"
        return ""
