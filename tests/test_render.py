"""The pygame renderer, the env render paths and animation files."""

import subprocess
import sys

import numpy as np
import pytest

import imageio.v3 as iio
import pygame

from qwop_fast import QWOPEnv, QWOPVecEnv
from qwop_fast import runner_table
from qwop_fast.key_programs import GAITS, gait_program
from qwop_fast.animation import AnimationWriter, OutputError, ffmpeg_available
from qwop_fast.render import SHIRT, SKIN, Renderer, colours, part_colour

# A fast forward gait at one frame per step: WO for 25 frames, QP for 10 (spec 9.2).
GAIT = gait_program(GAITS["WO 25, QP 10"], 35)  # one cycle


def frame_env(**kwargs):
    return QWOPEnv(render_mode="rgb_array", frames_per_step=1, reduced_action_set=False,
                   max_episode_steps=0, **kwargs)


def spawn_state():
    env = frame_env()
    env.reset()
    state = env.render_state()
    env.close()
    return state


def shifted(state, dx):
    pose = state["body_pose"].copy()
    pose[:, 0] += dx
    return {**state, "body_pose": pose}


def colour_mask(frame, colour):
    return np.all(frame == np.array(colour, np.uint8), axis=2)


def test_frame_shape_dtype_and_size_options():
    state = spawn_state()
    frame = Renderer().draw(state)
    assert frame.shape == (400, 640, 3) and frame.dtype == np.uint8
    small = Renderer(width=320, height=200).draw(state)
    assert small.shape == (200, 320, 3)
    # The runner is drawn: the shirt (torso) colour covers a real area.
    assert colour_mask(frame, SHIRT).sum() > 1000


def test_drawing_is_deterministic_and_frames_change_as_the_runner_moves():
    env = frame_env()
    env.reset()
    first = env.render()
    assert np.array_equal(first, env.render())  # same state, same pixels
    for action in GAIT[:30]:
        env.step(action)
    later = env.render()
    env.close()
    # Below the HUD (whose clock alone would differ) the runner has moved.
    assert np.mean(np.any(first[80:] != later[80:], axis=2)) > 0.01


def test_camera_keeps_the_torso_at_the_same_screen_x():
    state = spawn_state()
    renderer = Renderer()
    frames = [renderer.draw(shifted(state, dx)) for dx in (0.0, 37.0, 480.0)]
    torsos = [colour_mask(f, SHIRT) for f in frames]
    # The same pose anywhere on the track: the runner is drawn at the same
    # pixels, while the world behind it (markers, stand) has scrolled.
    assert torsos[0].sum() > 1000
    assert all(np.array_equal(torsos[0], t) for t in torsos[1:])
    assert not np.array_equal(frames[0][80:], frames[1][80:])
    assert renderer.world_to_screen(state["body_pose"][0, 0] + 480.0, 0.0)[0] == pytest.approx(0.40 * 640)


def test_camera_follows_a_real_run():
    env = frame_env()
    env.reset()
    xs, torso_x = [], []
    for i in range(150):
        env.step(GAIT[i % len(GAIT)])
        if i % 30 == 29:
            cols = np.nonzero(colour_mask(env.render(), SHIRT))[1]
            xs.append(float(env.body_pose[0, 0]))
            torso_x.append(cols.mean())
    env.close()
    assert max(xs) - min(xs) > 3.0  # the runner moved > 3 wu, i.e. > 50 px at this scale
    assert max(torso_x) - min(torso_x) < 40  # the torso's pixels stayed put (it only rotates)


def test_hurdle_is_drawn_when_present_and_not_when_nan():
    state = shifted(spawn_state(), 490.0)  # torso near the hurdle at 500 wu
    renderer = Renderer()
    bar = (240, 240, 240)  # render.HURDLE_TOP_COLOUR
    with_hurdle = renderer.draw(state)
    no_hurdle = renderer.draw({**state, "hurdle_pose": np.full((2, 3), np.nan, np.float32)})
    assert colour_mask(with_hurdle, bar).sum() > 200
    assert colour_mask(no_hurdle, bar).sum() == 0
    env = frame_env(hurdle=False)
    env.reset()
    assert np.all(np.isnan(env.render_state()["hurdle_pose"]))
    env.render()  # NaN hurdle from the engine draws without error
    env.close()


def test_parts_are_layered_in_draw_order():
    # Every part centred on one point: the front-most part (last in
    # DRAW_ORDER) is what shows there.
    state = spawn_state()
    pose = np.zeros((12, 3), np.float32)
    pose[:, 0], pose[:, 1] = 10.0, 0.0
    renderer = Renderer()
    frame = renderer.draw({**state, "body_pose": pose})
    sx, sy = renderer.world_to_screen(10.0, 0.0)
    assert runner_table.DRAW_ORDER[-1] == "rightForearm"
    assert tuple(frame[round(sy), round(sx)]) == part_colour("rightForearm") == SKIN
    # Drop the front parts one by one: the torso shows once nothing after it covers the point.
    after_torso = runner_table.DRAW_ORDER[runner_table.DRAW_ORDER.index("torso") + 1:]
    pose_back = pose.copy()
    for name in after_torso:
        pose_back[runner_table.BODY_INDEX[name], 0] = 500.0  # far out of view
    frame = renderer.draw({**state, "body_pose": pose_back})
    assert tuple(frame[round(sy), round(sx)]) == SHIRT


def test_hud_shows_the_keys_held():
    state = spawn_state()
    renderer = Renderer()
    lit = (250, 200, 60)  # render.KEY_ON
    assert colour_mask(renderer.draw({**state, "keys": "none"}), lit).sum() == 0
    one = colour_mask(renderer.draw({**state, "keys": "Q"}), lit).sum()
    two = colour_mask(renderer.draw({**state, "keys": "QP"}), lit).sum()
    assert one > 100 and two > 1.5 * one


def test_bad_state_and_arguments_give_clear_errors():
    renderer = Renderer()
    with pytest.raises(KeyError, match="body_pose"):
        renderer.draw({"distance": 0.0})
    with pytest.raises(ValueError, match=r"body_pose.*\(12, 3\)"):
        renderer.draw({"body_pose": np.zeros((11, 3))})
    with pytest.raises(ValueError, match="non-finite"):
        renderer.draw({"body_pose": np.full((12, 3), np.nan)})
    with pytest.raises(ValueError, match="width"):
        Renderer(width=0)
    renderer.close()
    with pytest.raises(RuntimeError, match="close"):
        renderer.draw(spawn_state())


def test_window_mode_headless_and_quit_request():
    renderer = Renderer(window=True, fps=0)
    frame = renderer.draw(spawn_state())
    assert frame.shape == (400, 640, 3)
    assert pygame.display.get_surface() is not None
    assert not renderer.quit_requested
    pygame.event.post(pygame.event.Event(pygame.QUIT))
    renderer.draw(spawn_state())
    assert renderer.quit_requested
    renderer.close()


def test_no_display_is_a_clear_error():
    code = ("from qwop_fast.render import Renderer, DisplayError\n"
            "try:\n    Renderer(window=True)\nexcept DisplayError as e:\n    print('DisplayError:', e)\n")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=60,
                         env={"SDL_VIDEODRIVER": "no-such-driver", "PATH": ""})
    assert "DisplayError: cannot open a window" in out.stdout, out.stderr
    assert "--output" in out.stdout


def test_env_render_modes():
    env = QWOPEnv(render_mode="rgb_array")
    env.reset()
    frame = env.render()
    assert frame.shape == (400, 640, 3) and frame.dtype == np.uint8
    env.close()
    human = QWOPEnv(render_mode="human")  # draws into a (dummy) window on reset and step
    human.reset()
    assert human.step(1)[0].shape == (60,)
    assert human.render() is None
    human.close()


def test_vec_env_images_per_env():
    venv = QWOPVecEnv(3, num_threads=1, render_mode="rgb_array")
    venv.reset()
    for _ in range(8):
        venv.step(np.array([0, 6, 7]))
    images = venv.get_images()
    assert len(images) == 3 and all(im.shape == (400, 640, 3) for im in images)
    assert not np.array_equal(images[0][80:], images[1][80:])  # different actions, different poses
    tiled = venv.render()  # SB3 tiles the images into one
    assert tiled.ndim == 3 and tiled.shape[2] == 3 and tiled.size >= 3 * images[0].size
    venv.close()


def test_gif_has_one_frame_per_step(tmp_path):
    env = frame_env()
    env.reset()
    frames = [env.render()]
    for action in GAIT[:24]:
        env.step(action)
        frames.append(env.render())
    env.close()
    with AnimationWriter(tmp_path / "sub" / "run.gif", fps=30, colours=colours()) as writer:
        for f in frames:
            writer.append(f)
    assert writer.n_frames == 25
    gif = iio.imread(tmp_path / "sub" / "run.gif", index=None)
    assert gif.shape == (25, 400, 640, 3)
    # The shared palette keeps the picture: hardly any pixel is far off, and
    # the renderer's flat colours (in the palette) come back within rounding.
    for i in (0, 12, 24):
        assert np.mean(np.abs(gif[i].astype(np.int16) - frames[i]) > 24) < 0.01
    shirt = colour_mask(frames[-1], SHIRT)
    assert shirt.sum() > 1000
    assert np.abs(gif[-1][shirt].astype(int) - SHIRT).max() <= 3


def test_mp4_or_its_gif_fallback(tmp_path):
    frames = [Renderer().draw({**shifted(spawn_state(), i), "game_time": i / 30}) for i in range(5)]
    writer = AnimationWriter(tmp_path / "run.mp4", fps=30, colours=colours())
    for f in frames:
        writer.append(f)
    path = writer.close()
    if ffmpeg_available():
        assert path.suffix == ".mp4" and writer.note == ""
        assert sum(1 for _ in iio.imiter(path, plugin="FFMPEG")) == 5
    else:
        assert path == tmp_path / "run.gif" and "imageio-ffmpeg" in writer.note
        assert iio.imread(path, index=None).shape[0] == 5


def test_animation_output_errors(tmp_path):
    with pytest.raises(OutputError, match=r"run\.png.*\.gif or \.mp4"):
        AnimationWriter(tmp_path / "run.png", fps=30)
    (tmp_path / "dir.gif").mkdir()
    with pytest.raises(OutputError, match="directory"):
        AnimationWriter(tmp_path / "dir.gif", fps=30)
    with pytest.raises(ValueError, match="fps"):
        AnimationWriter(tmp_path / "ok.gif", fps=0)
