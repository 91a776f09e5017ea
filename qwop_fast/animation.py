"""Writing rendered frames to a GIF or MP4 file with imageio.

``.gif`` always works (imageio's pillow plugin). ``.mp4`` needs imageio's
ffmpeg plugin (the ``imageio-ffmpeg`` package); without it the animation is
written as a GIF next to the asked-for path, and ``AnimationWriter.note`` says
so.

GIF frames are mapped to one shared 256-colour palette: the colours the caller
says it fills with (``render.colours()``), exactly, plus the first frame's:
a per-frame palette would make colours flicker between frames, and mapping to
a fixed palette is several times faster than quantising every frame.
"""

from __future__ import annotations

import importlib.util
from collections.abc import Iterable
from pathlib import Path
from typing import Any

import numpy as np

from .atomic import check_writable
from .errors import UserError

GIF_SUFFIX = ".gif"
VIDEO_SUFFIX = ".mp4"


class OutputError(UserError, ValueError):
    """An output path that cannot be used for an animation."""


def ffmpeg_available() -> bool:
    """Whether imageio can write MP4 here (its ffmpeg plugin is installed)."""
    return importlib.util.find_spec("imageio_ffmpeg") is not None


def check_output_path(path: str | Path) -> Path:
    """The path as a Path, or an OutputError saying what is wrong with it."""
    p = Path(path)
    if p.suffix.lower() not in (GIF_SUFFIX, VIDEO_SUFFIX):
        raise OutputError(f"output file {str(path)!r} must end in .gif or .mp4")
    if p.exists() and p.is_dir():
        raise OutputError(f"output file {str(path)!r} is a directory")
    problem = check_writable(p)
    if problem is not None:
        raise OutputError(f"output file {str(path)!r} cannot be written: {problem}")
    return p


class AnimationWriter:
    """Frames in, one animation file out.

    :param path: ``.gif`` or ``.mp4`` (see the module docstring).
    :param fps: frames per second of playback (GIFs store 10 ms units, so the
        delay per frame is rounded to that).
    :param colours: RGB colours the frames are drawn with, so the GIF palette
        holds them even if the first frame does not show them.

    The parent folder is created if needed. ``close()`` returns the path
    written (which is the ``.gif`` sibling when MP4 was asked for but cannot
    be written).
    """

    def __init__(self, path: str | Path, fps: float, colours: Iterable[tuple[int, int, int]] = ()) -> None:
        if not fps > 0:
            raise ValueError(f"fps must be > 0, got {fps!r}")
        requested = check_output_path(path)
        self.fps = float(fps)
        self.note = ""
        self.path = requested
        if requested.suffix.lower() == VIDEO_SUFFIX and not ffmpeg_available():
            self.path = requested.with_suffix(GIF_SUFFIX)
            self.note = (f"imageio has no ffmpeg plugin here (pip install imageio-ffmpeg), "
                         f"so the animation was written as {self.path} instead of {requested}")
        self.path.parent.mkdir(parents=True, exist_ok=True)
        self.n_frames = 0
        self._colours = np.asarray(list(colours), np.uint8).reshape(-1, 3)
        self._palette = None  # PIL "P" image of the shared GIF palette
        self._palette_bytes = b""
        self._writer = None

    @property
    def is_gif(self) -> bool:
        return self.path.suffix.lower() == GIF_SUFFIX

    def append(self, frame: np.ndarray) -> None:
        frame = np.asarray(frame)
        if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
            raise ValueError(f"frames must be (height, width, 3) uint8 arrays, got {frame.shape} {frame.dtype}")
        if self._writer is None:
            self._open(frame)
        if self.is_gif:
            self._writer.write(self._to_palette(frame), palette=self._palette_bytes,
                               duration=1000.0 / self.fps, loop=0)
        else:
            self._writer.append_data(frame)
        self.n_frames += 1

    def close(self) -> Path:
        if self._writer is not None:
            self._writer.close()  # the GIF is encoded and written here
            self._writer = None
        return self.path

    def __enter__(self) -> "AnimationWriter":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ----------------------------------------------------------- internals
    def _open(self, first: np.ndarray) -> None:
        import imageio.v2 as iio2
        import imageio.v3 as iio

        if self.is_gif:
            from PIL import Image

            # The hinted colours exactly, the rest of the 256 from the first frame.
            hinted = self._colours[:128].reshape(-1).tolist()
            n_free = 256 - len(hinted) // 3
            free = Image.fromarray(first).quantize(n_free, method=Image.Quantize.FASTOCTREE)
            from_frame = free.getpalette("RGB")[: 3 * n_free]
            self._palette = Image.new("P", (1, 1))
            self._palette.putpalette(from_frame + hinted)
            self._palette_bytes = bytes(self._palette.getpalette("RGB")[:768]).ljust(768, b"\0")
            self._writer = iio.imopen(self.path, "w", plugin="pillow")
        else:
            # H.264 needs even sizes: macro_block_size 2 pads odd ones by a
            # pixel instead of imageio's default of resizing to multiples of 16.
            self._writer = iio2.get_writer(self.path, format="FFMPEG", fps=self.fps,
                                           codec="libx264", macro_block_size=2)

    def _to_palette(self, frame: np.ndarray) -> np.ndarray:
        from PIL import Image

        # Nearest palette colour, no dithering: the frames are flat colours.
        indexed = Image.fromarray(frame).quantize(palette=self._palette, dither=Image.Dither.NONE)
        return np.asarray(indexed)


class FrameSink:
    """Where frames go: an animation file, or a window paced at ``fps``."""

    def __init__(self, output: str | None, fps: float) -> None:
        self.n_frames = 0
        self.note = ""
        self._writer = self._renderer = None
        if output is not None:
            from . import render

            self._writer = AnimationWriter(output, fps, colours=render.colours())
        else:
            from .render import Renderer

            self._renderer = Renderer(window=True, fps=max(1, round(fps)))

    @property
    def quit_requested(self) -> bool:
        return self._renderer is not None and self._renderer.quit_requested

    def add(self, env: Any) -> None:
        if self._writer is not None:
            self._writer.append(env.render())
        else:
            self._renderer.draw(env.render_state())
        self.n_frames += 1

    def close(self) -> Path | None:
        if self._renderer is not None:
            self._renderer.close()
            return None
        path = self._writer.close()
        self.note = self._writer.note
        return path
