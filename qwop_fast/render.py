"""Drawing the QWOP runner with pygame: one RGB frame per call.

``Renderer.draw(state)`` takes the plain numbers of ``QWOPEnv.render_state()``
and returns an ``(height, width, 3) uint8`` frame; with ``window=True`` it also
shows the frame in a pygame window. The picture, back to front:

* sky and a distant stand that scrolls at half speed (so motion reads even
  where the track has no marker in view);
* the track (top at ``runner_table.TRACK.top_y``) with a tick every metre, a
  post every 10 m, the start line at 0 m and the finish line and sand pit at
  100 m;
* the hurdle at 50 m (two rotated boxes, when the env has one);
* the 12 body parts as rotated boxes, in the game's layering
  ``runner_table.DRAW_ORDER``; the far-side (left) limbs are shaded darker;
* a HUD: distance, game-clock time and the keys held.

World units: x right, **y down** (as on screen), 1 displayed metre = 10 wu.
The camera keeps the torso at a fixed screen x (as the game does) and only
moves vertically if the runner would leave the picture.
"""

from __future__ import annotations

import math
import os
import sys
from typing import Any

import numpy as np

# pygame prints a banner on import unless told not to.
os.environ.setdefault("PYGAME_HIDE_SUPPORT_PROMPT", "1")
import pygame  # noqa: E402

from . import runner_table  # noqa: E402
from .errors import UserError  # noqa: E402

# ---------------------------------------------------------------- framing
VIEW_HEIGHT_WU = 22.0  # world units shown top to bottom (runner ~16 wu tall)
TRACK_SCREEN_Y = 0.85  # track top at this fraction of the height (game framing)
TORSO_SCREEN_X = 0.40  # torso at this fraction of the width (the game: 14 of 32 wu)
VERTICAL_MARGIN_WU = 1.0  # keep the runner at least this far inside the frame
SAND_PIT_END_X = 1050.0  # the game's level ends at 1050 wu (105 m) [spec 2.3]

# ---------------------------------------------------------------- colours
SKY_TOP = (120, 170, 215)
SKY_BOTTOM = (205, 225, 240)
SKY_BANDS = 16
STAND = (150, 150, 165)
STAND_STRIPE = (130, 130, 148)
TRACK_TOP_LINE = (245, 245, 240)
TRACK = (190, 85, 60)
LANE_LINE = (235, 215, 205)
MARKER = (250, 250, 250)
MARKER_TEXT = (40, 40, 40)
SAND = (230, 205, 140)
SAND_DARK = (205, 180, 115)
HURDLE_BASE_COLOUR = (70, 70, 80)
HURDLE_TOP_COLOUR = (240, 240, 240)
HURDLE_STRIPE = (40, 40, 40)
HUD_TEXT = (20, 20, 30)
KEY_ON = (250, 200, 60)
KEY_OFF = (225, 225, 225)
BANNER_BG = (30, 30, 40)
BANNER_TEXT = (250, 250, 250)

SKIN = (236, 188, 150)
SHIRT = (205, 45, 45)
SHORTS = (45, 65, 130)
SHOE = (55, 55, 60)
EYE = (30, 30, 30)
PART_COLOURS = {
    "torso": SHIRT, "head": SKIN,
    "leftArm": SKIN, "leftForearm": SKIN, "rightArm": SKIN, "rightForearm": SKIN,
    "leftThigh": SHORTS, "rightThigh": SHORTS,
    "leftCalf": SKIN, "rightCalf": SKIN,
    "leftFoot": SHOE, "rightFoot": SHOE,
}
FAR_SIDE_SHADE = 0.72  # the left limbs are the far side: darker reads as depth
OUTLINE_SHADE = 0.55


def _shade(colour: tuple[int, int, int], factor: float) -> tuple[int, int, int]:
    return tuple(int(c * factor) for c in colour)  # type: ignore[return-value]


def colours() -> list[tuple[int, int, int]]:
    """Every flat colour the renderer fills with (for an animation palette)."""
    flat = sky_colours() + [STAND, STAND_STRIPE, TRACK_TOP_LINE, TRACK, LANE_LINE, MARKER,
            MARKER_TEXT, SAND, SAND_DARK, HURDLE_BASE_COLOUR, _shade(HURDLE_BASE_COLOUR, OUTLINE_SHADE),
            HURDLE_TOP_COLOUR, HURDLE_STRIPE, HUD_TEXT, KEY_ON, KEY_OFF, BANNER_BG, BANNER_TEXT, EYE]
    for name in PART_COLOURS:
        flat += [part_colour(name), _shade(part_colour(name), OUTLINE_SHADE)]
    return list(dict.fromkeys(flat))


def sky_colours() -> list[tuple[int, int, int]]:
    """The sky's bands, top to bottom."""
    return [tuple(round(a + (b - a) * i / (SKY_BANDS - 1)) for a, b in zip(SKY_TOP, SKY_BOTTOM))
            for i in range(SKY_BANDS)]


def part_colour(name: str) -> tuple[int, int, int]:
    """The fill colour of a body part (far-side limbs darker)."""
    colour = PART_COLOURS[name]
    return _shade(colour, FAR_SIDE_SHADE) if name.startswith("left") else colour


class DisplayError(UserError, RuntimeError):
    """A window was asked for but no display is available."""


# SDL's drivers that draw nowhere: a window "opened" on them is invisible.
_HEADLESS_DRIVERS = ("offscreen", "dummy")


def check_display() -> None:
    """DisplayError unless a window can be shown here.

    Without a display, SDL falls back to its offscreen driver and a "window"
    runs silently with nothing on screen. Choosing a headless driver
    explicitly (SDL_VIDEODRIVER=dummy, as the tests do) is respected.
    """
    chosen = os.environ.get("SDL_VIDEODRIVER", "")
    if chosen:
        return
    if sys.platform.startswith("linux") and not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY")):
        raise DisplayError("there is no display (neither DISPLAY nor WAYLAND_DISPLAY is set), so no window "
                           "can be shown; write the frames to a file instead (e.g. --output run.gif)")


class Renderer:
    """Draws ``QWOPEnv.render_state()`` dicts; see the module docstring.

    :param window: also show each frame in a pygame window.
    :param fps: with a window, ``draw`` waits so frames come at most this
        often (0: no waiting).
    :param width, height: frame size in pixels.
    :param handle_events: with a window, ``draw`` takes the pending pygame
        events off the queue (keeping the window responsive) and sets
        ``quit_requested`` when the window is closed or Esc is pressed. Pass
        False when the caller reads the events itself (``qwop-fast play``).
    """

    def __init__(self, window: bool = False, fps: int = 30, width: int = 640, height: int = 400,
                 handle_events: bool = True) -> None:
        for name, value, lo in (("width", width, 64), ("height", height, 64), ("fps", fps, 0)):
            if isinstance(value, bool) or not isinstance(value, (int, np.integer)) or value < lo:
                raise ValueError(f"Renderer {name} must be an integer >= {lo}, got {value!r}")
        self.window = bool(window)
        self.fps = int(fps)
        self.width, self.height = int(width), int(height)
        self.handle_events = handle_events
        self.quit_requested = False
        self.scale = self.height / VIEW_HEIGHT_WU  # pixels per world unit
        self.camera = (0.0, 0.0)  # world (x, y) of the frame's top-left corner

        pygame.font.init()
        self._surface = pygame.Surface((self.width, self.height))
        self._sky = self._make_sky()
        self._font_big = pygame.font.Font(None, max(12, self.height // 13))
        self._font = pygame.font.Font(None, max(10, self.height // 20))
        self._font_small = pygame.font.Font(None, max(9, self.height // 26))
        self._labels: dict[tuple[int, str], pygame.Surface] = {}  # cached marker texts

        self._display = None
        self._clock = None
        if self.window:
            check_display()
            try:
                pygame.display.init()
                self._display = pygame.display.set_mode((self.width, self.height))
            except pygame.error as exc:
                raise DisplayError(
                    f"cannot open a window ({exc}); write frames to a file instead "
                    "(e.g. --output run.gif)") from exc
            driver = pygame.display.get_driver()
            if driver in _HEADLESS_DRIVERS and os.environ.get("SDL_VIDEODRIVER") != driver:
                pygame.display.quit()
                self._display = None
                raise DisplayError(f"there is no display (SDL picked its {driver!r} driver), so no window "
                                   "can be shown; write the frames to a file instead (e.g. --output run.gif)")
            pygame.display.set_caption("qwop-fast")
            self._clock = pygame.time.Clock()

    # ------------------------------------------------------------- public
    def draw(self, state: dict[str, Any]) -> np.ndarray:
        """One frame of ``state`` as an ``(height, width, 3) uint8`` array.

        ``state`` keys: ``body_pose`` (12, 3) x, y, angle in
        ``runner_table.BODIES`` order; ``hurdle_pose`` (2, 3) base and top bar,
        NaN without a hurdle (optional); ``distance`` (m); ``game_time``
        (clock s); ``keys`` (held keys, e.g. "QP", "none" or ""); optional
        ``message``: a line of text shown in a banner.
        """
        if self._surface is None:
            raise RuntimeError("Renderer.draw() called after close()")
        bodies = _pose(state, "body_pose", len(runner_table.BODIES))
        hurdle = state.get("hurdle_pose")
        hurdle = None if hurdle is None else _pose(state, "hurdle_pose", 2)

        self._place_camera(bodies)
        surf = self._surface
        surf.blit(self._sky, (0, 0))
        self._draw_stand()
        self._draw_track()
        if hurdle is not None and np.all(np.isfinite(hurdle)):
            self._draw_hurdle(hurdle)
        self._draw_runner(bodies)
        self._draw_hud(state)
        if state.get("message"):
            self._draw_banner(str(state["message"]))

        if self._display is not None:
            self._show()
        # tobytes gives rows top to bottom, RGB: exactly the (H, W, 3) layout.
        raw = pygame.image.tobytes(surf, "RGB")
        return np.frombuffer(raw, np.uint8).reshape(self.height, self.width, 3).copy()

    def world_to_screen(self, x: float, y: float) -> tuple[float, float]:
        """Pixel position of world point (x, y) in the last drawn frame."""
        return (x - self.camera[0]) * self.scale, (y - self.camera[1]) * self.scale

    def close(self) -> None:
        if self._display is not None:
            pygame.display.quit()
            self._display = None
        self._surface = None

    def __enter__(self) -> "Renderer":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------- camera
    def _place_camera(self, bodies: np.ndarray) -> None:
        view_w, view_h = self.width / self.scale, self.height / self.scale
        torso_x = float(bodies[runner_table.BODY_INDEX["torso"], 0])
        left = torso_x - TORSO_SCREEN_X * view_w
        top = runner_table.TRACK.top_y - TRACK_SCREEN_Y * view_h
        # Follow vertically only when a part would leave the frame (a high
        # jump, or falling off the end of the track).
        highest, lowest = float(bodies[:, 1].min()), float(bodies[:, 1].max())
        if highest - VERTICAL_MARGIN_WU < top:
            top = highest - VERTICAL_MARGIN_WU
        elif lowest + VERTICAL_MARGIN_WU > top + view_h:
            top = lowest + VERTICAL_MARGIN_WU - view_h
        self.camera = (left, top)

    # --------------------------------------------------------- background
    def _make_sky(self) -> pygame.Surface:
        # A gradient in SKY_BANDS flat steps: few colours, so GIFs keep it exactly.
        sky = pygame.Surface((self.width, self.height))
        for band, colour in enumerate(sky_colours()):
            top = self.height * band // SKY_BANDS
            bottom = self.height * (band + 1) // SKY_BANDS
            pygame.draw.rect(sky, colour, (0, top, self.width, bottom - top))
        return sky

    def _draw_stand(self) -> None:
        # A far wall behind the track, scrolling at half the camera speed.
        _, track_y = self.world_to_screen(0.0, runner_table.TRACK.top_y)
        band_top = track_y - 5.0 * self.scale
        rect = pygame.Rect(0, round(band_top), self.width, round(track_y - band_top) + 1)
        pygame.draw.rect(self._surface, STAND, rect)
        spacing = 4.0 * self.scale
        offset = (-self.camera[0] * 0.5 * self.scale) % spacing
        x = offset - spacing
        while x < self.width:
            pygame.draw.rect(self._surface, STAND_STRIPE,
                             (round(x), rect.top, max(1, round(spacing / 2)), rect.height))
            x += spacing

    def _draw_track(self) -> None:
        surf, track = self._surface, runner_table.TRACK
        x0, y0 = self.world_to_screen(track.x_min, track.top_y)
        x1, y1 = self.world_to_screen(track.x_max, track.top_y + 2 * track.half_height)
        left, right = max(0, round(x0)), min(self.width, round(x1))
        if right <= left:
            return
        top = round(y0)
        pygame.draw.rect(surf, TRACK, (left, top, right - left, round(y1) - top))
        # Lane lines below the running surface, for a sense of depth.
        for frac in (0.35, 0.75):
            y = round(y0 + frac * (y1 - y0))
            pygame.draw.line(surf, LANE_LINE, (left, y), (right, y), max(1, round(0.12 * self.scale)))

        view_x0, view_x1 = self.camera[0], self.camera[0] + self.width / self.scale
        # Sand pit: from the finish line to the end of the level.
        pit_x0, _ = self.world_to_screen(runner_table.FINISH_X, 0.0)
        pit_x1, _ = self.world_to_screen(SAND_PIT_END_X, 0.0)
        if pit_x1 > 0 and pit_x0 < self.width:
            pit = pygame.Rect(round(pit_x0), top, round(pit_x1 - pit_x0), round(0.6 * (y1 - y0)))
            pygame.draw.rect(surf, SAND, pit)
            pygame.draw.rect(surf, SAND_DARK, pit, max(1, round(0.15 * self.scale)))
        pygame.draw.line(surf, TRACK_TOP_LINE, (left, top), (right, top), max(1, round(0.15 * self.scale)))

        # A tick every metre (10 wu) and a post with a label every 10 m.
        first = math.floor(view_x0 / runner_table.WU_PER_METRE)
        last = math.ceil(view_x1 / runner_table.WU_PER_METRE)
        for metre in range(first, last + 1):
            x_wu = metre * runner_table.WU_PER_METRE
            if not track.x_min <= x_wu <= track.x_max or runner_table.FINISH_X < x_wu <= SAND_PIT_END_X:
                continue  # off the track, or inside the sand pit
            sx, _ = self.world_to_screen(x_wu, 0.0)
            if metre % 10 == 0:
                self._draw_marker(round(sx), top, metre)
            else:
                pygame.draw.line(surf, LANE_LINE, (round(sx), top + 1),
                                 (round(sx), top + round(0.6 * self.scale)), max(1, round(0.12 * self.scale)))

    def _draw_marker(self, sx: int, top: int, metre: int) -> None:
        surf = self._surface
        if metre in (0, 100):
            # Start / finish: a chequered line across the running surface.
            cell = max(2, round(0.4 * self.scale))
            depth = round(1.6 * self.scale)
            for i, y in enumerate(range(top, top + depth, cell)):
                for j in range(2):
                    colour = MARKER if (i + j) % 2 == 0 else MARKER_TEXT
                    pygame.draw.rect(surf, colour, (sx - cell + j * cell, y, cell, cell))
        else:
            pygame.draw.line(surf, MARKER, (sx, top), (sx, top + round(1.2 * self.scale)),
                             max(1, round(0.2 * self.scale)))
        # Post above the track with the distance on a sign.
        post_h = round(6.5 * self.scale)
        pygame.draw.line(surf, MARKER, (sx, top), (sx, top - post_h), max(1, round(0.15 * self.scale)))
        text = "FINISH" if metre == 100 else f"{metre} m"
        label = self._label(text, bold=metre in (0, 100))
        sign = label.get_rect(midbottom=(sx, top - post_h))
        pygame.draw.rect(surf, MARKER, sign.inflate(8, 4))
        surf.blit(label, sign)

    def _label(self, text: str, bold: bool) -> pygame.Surface:
        key = (int(bold), text)
        if key not in self._labels:
            font = self._font if bold else self._font_small
            self._labels[key] = font.render(text, True, MARKER_TEXT)
        return self._labels[key]

    # ------------------------------------------------------------- bodies
    def _box(self, x: float, y: float, angle: float, half_w: float, half_h: float) -> list[tuple[float, float]]:
        """Screen corners of a box centred at (x, y) rotated by ``angle``
        (positive = clockwise on screen, since both frames have y down)."""
        c, s = math.cos(angle), math.sin(angle)
        corners = []
        for lx, ly in ((-half_w, -half_h), (half_w, -half_h), (half_w, half_h), (-half_w, half_h)):
            corners.append(self.world_to_screen(x + c * lx - s * ly, y + s * lx + c * ly))
        return corners

    def _fill_box(self, corners: list[tuple[float, float]], fill: tuple[int, int, int],
                  outline: tuple[int, int, int]) -> None:
        pygame.draw.polygon(self._surface, fill, corners)
        pygame.draw.aalines(self._surface, outline, True, corners)

    def _draw_hurdle(self, hurdle: np.ndarray) -> None:
        (bx, by, ba), (tx, ty, ta) = hurdle
        base, top = runner_table.HURDLE_BASE, runner_table.HURDLE_TOP
        self._fill_box(self._box(bx, by, ba, base.half_w, base.half_h), HURDLE_BASE_COLOUR,
                       _shade(HURDLE_BASE_COLOUR, OUTLINE_SHADE))
        self._fill_box(self._box(tx, ty, ta, top.half_w, top.half_h), HURDLE_TOP_COLOUR, HURDLE_STRIPE)
        # Black bands on the bar, as on a real hurdle (and to show its tilt).
        for frac in (-0.6, 0.0, 0.6):
            c, s = math.cos(ta), math.sin(ta)
            ly = frac * top.half_h
            cx, cy = tx - s * ly, ty + c * ly
            self._fill_box(self._box(cx, cy, ta, top.half_w, 0.12 * top.half_h), HURDLE_STRIPE, HURDLE_STRIPE)

    def _draw_runner(self, bodies: np.ndarray) -> None:
        for name in runner_table.DRAW_ORDER:
            i = runner_table.BODY_INDEX[name]
            spec = runner_table.BODIES[i]
            x, y, angle = (float(v) for v in bodies[i])
            fill = part_colour(name)
            self._fill_box(self._box(x, y, angle, spec.half_w, spec.half_h), fill, _shade(fill, OUTLINE_SHADE))
            if name == "head":
                # An eye on the forward (+x) side shows which way the head faces.
                c, s = math.cos(angle), math.sin(angle)
                lx, ly = 0.5 * spec.half_w, -0.3 * spec.half_h
                ex, ey = self.world_to_screen(x + c * lx - s * ly, y + s * lx + c * ly)
                pygame.draw.circle(self._surface, EYE, (round(ex), round(ey)),
                                   max(1, round(0.15 * self.scale)))

    # ---------------------------------------------------------------- HUD
    def _draw_hud(self, state: dict[str, Any]) -> None:
        surf = self._surface
        distance = float(state.get("distance", float("nan")))
        game_time = float(state.get("game_time", float("nan")))
        pad = max(4, self.height // 50)
        title = self._font_big.render(f"{distance:.1f} metres", True, HUD_TEXT)
        surf.blit(title, title.get_rect(midtop=(self.width // 2, pad)))
        # Two decimals: the clock moves 1/30 s per frame, so every frame differs.
        clock = self._font.render(f"time {game_time:.2f} s", True, HUD_TEXT)
        surf.blit(clock, clock.get_rect(midtop=(self.width // 2, pad + title.get_height())))

        held = _held_keys(state.get("keys", ""))
        size = self._font.get_height() + 4
        x = self.width - pad - 4 * (size + 3)
        for key in "QWOP":
            rect = pygame.Rect(x, pad, size, size)
            pygame.draw.rect(surf, KEY_ON if key in held else KEY_OFF, rect, border_radius=3)
            pygame.draw.rect(surf, HUD_TEXT, rect, 1, border_radius=3)
            letter = self._font.render(key, True, HUD_TEXT)
            surf.blit(letter, letter.get_rect(center=rect.center))
            x += size + 3

    def _draw_banner(self, message: str) -> None:
        text = self._font.render(message, True, BANNER_TEXT)
        rect = text.get_rect(center=(self.width // 2, self.height // 3)).inflate(24, 12)
        pygame.draw.rect(self._surface, BANNER_BG, rect, border_radius=6)
        self._surface.blit(text, text.get_rect(center=rect.center))

    # ------------------------------------------------------------- window
    def _show(self) -> None:
        self._display.blit(self._surface, (0, 0))
        pygame.display.flip()
        if self.handle_events:
            for event in pygame.event.get():
                if event.type == pygame.QUIT or (event.type == pygame.KEYDOWN and event.key == pygame.K_ESCAPE):
                    self.quit_requested = True
        else:
            pygame.event.pump()  # keeps the window alive; leaves the queue to the caller
        if self.fps > 0:
            self._clock.tick(self.fps)


def _pose(state: dict[str, Any], key: str, rows: int) -> np.ndarray:
    if key not in state:
        raise KeyError(f"render state has no {key!r} (expected QWOPEnv.render_state() keys)")
    arr = np.asarray(state[key], dtype=np.float64)
    if arr.shape != (rows, 3):
        raise ValueError(f"render state {key!r} must have shape ({rows}, 3), got {arr.shape}")
    if key == "body_pose" and not np.all(np.isfinite(arr)):
        raise ValueError("render state 'body_pose' has non-finite values")
    return arr


def _held_keys(keys: Any) -> set[str]:
    """Letters held, from an action name like "QP", "none" or ""."""
    text = str(keys or "").upper()
    return set() if text == "NONE" else {k for k in text if k in "QWOP"}
