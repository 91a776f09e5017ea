"""qwop-fast play (headless, with injected key events), recordings and replay."""

import json
import re

import pytest

import imageio.v3 as iio
import pygame

from qwop_fast import QWOPEnv
from qwop_fast import runner_table
from qwop_fast.play import PLAY_OPTIONS, play
from qwop_fast.recording import Recording, RecordingError, load
from qwop_fast.replay import replay

KEY_CODES = {"Q": pygame.K_q, "W": pygame.K_w, "O": pygame.K_o, "P": pygame.K_p}


def key_events(held_per_frame):
    """One batch of KEYDOWN/KEYUP events per frame that makes exactly the
    given letters held during that frame."""
    batches, held = [], set()
    for keys in held_per_frame:
        now = set(keys.replace("none", ""))
        batch = [pygame.event.Event(pygame.KEYUP, key=KEY_CODES[k]) for k in sorted(held - now)]
        batch += [pygame.event.Event(pygame.KEYDOWN, key=KEY_CODES[k]) for k in sorted(now - held)]
        batches.append(batch)
        held = now
    return batches


def keydown(key):
    return pygame.event.Event(pygame.KEYDOWN, key=key)


def direct_run(names, **options):
    """Final distance of the same keys stepped on QWOPEnv directly."""
    env = QWOPEnv(**{**PLAY_OPTIONS, **options})
    env.reset()
    info = {}
    for name in names:
        *_, info = env.step(runner_table.FULL_ACTION_NAMES.index("" if name == "none" else name))
    env.close()
    return info["distance"]


# A few seconds of a forward gait, with every spelling the keyboard can make.
SCRIPT = ["none"] * 5 + ["WO"] * 25 + ["QP"] * 10 + ["WO"] * 25 + ["PQ"] * 10 + ["W"] * 5 + ["QWOP"] * 3


@pytest.fixture(scope="module")
def played():
    return play(events=key_events(SCRIPT), fps=0)


def test_play_records_the_keys_held_in_each_frame(played):
    canonical = [{"PQ": "QP"}.get(k, k) for k in SCRIPT]
    assert played.frames == len(SCRIPT) and played.attempts == 1
    rec = played.recording
    assert rec.keys == canonical
    assert rec.env_options.frames_per_step == 1 and not rec.env_options.reduced_action_set
    assert rec.env_options.max_episode_steps == 0 and rec.env_options.hurdle
    # The same keys stepped on the env directly end at the very same distance.
    assert rec.final_distance == direct_run(canonical)
    assert rec.game_time == pytest.approx(len(SCRIPT) / 30)
    assert played.best_distance == rec.final_distance


def test_recording_round_trips_and_replays_bit_exactly(played, tmp_path, capsys, run_command):
    path = played.recording.save(tmp_path / "run.json")
    data = json.loads(path.read_text())
    assert data["format"] == "qwop-fast-recording" and data["version"] == 1
    assert load(path) == played.recording
    result = replay(load(path), render=False)
    assert result["distance"] == played.recording.final_distance
    assert result["steps"] == len(SCRIPT)

    gif = tmp_path / "replay.gif"
    assert run_command("replay", [str(path), "--output", str(gif), "--fps", "30"]) == 0
    out = capsys.readouterr().out
    assert "as recorded" in out and f"({len(SCRIPT) + 1} frames)" in out
    assert iio.imread(gif, index=None).shape == (len(SCRIPT) + 1, 400, 640, 3)


def test_replay_window_mode_headless(played, tmp_path, capsys, run_command):
    path = played.recording.save(tmp_path / "run.json")
    # No --output: a (dummy) window at real speed; a short slice keeps it quick.
    short = Recording(played.recording.env_options, SCRIPT[:6], direct_run(SCRIPT[:6]))
    short.save(path)
    assert run_command("replay", [str(path), "--fps", "200"]) == 0
    assert "as recorded (6 frames)" in capsys.readouterr().out


def test_restart_and_escape():
    script = key_events(["WO"] * 20 + ["QP"] * 15 + ["none"] * 5)
    script[20] = script[20] + [keydown(pygame.K_r)]  # restart while QP goes down
    script[35] = script[35] + [keydown(pygame.K_ESCAPE)]  # quit: nothing of this frame runs
    result = play(events=script, fps=0)
    assert result.attempts == 2 and result.frames == 35
    assert result.recording.keys == ["QP"] * 15  # the last attempt only
    assert result.recording.final_distance == direct_run(["QP"] * 15)
    assert result.best_distance == max(result.recording.final_distance, direct_run(["WO"] * 20))


def test_quit_event_focus_loss_and_frame_limit():
    script = key_events(["W"] * 10)
    script[4] = script[4] + [pygame.event.Event(pygame.WINDOWFOCUSLOST)]  # keys released elsewhere
    result = play(events=script + [[pygame.event.Event(pygame.QUIT)]], fps=0)
    assert result.recording.keys == ["W"] * 4 + ["none"] * 6
    limited = play(events=key_events(["O"] * 10), max_frames=3, fps=0)
    assert limited.frames == 3 and limited.recording.keys == ["O"] * 3


def test_a_fall_ends_the_attempt_but_not_the_game():
    result = play(events=key_events(["O"] * 90), fps=0, hurdle=False)  # O alone falls (spec 9.2)
    rec = result.recording
    assert rec.terminated and not rec.is_success
    assert 40 < len(rec.keys) < 90  # no steps after the fall...
    assert result.frames == 90  # ...while the window keeps showing the end
    assert not rec.env_options.hurdle
    assert rec.final_distance == direct_run(rec.keys, hurdle=False)


def test_window_event_queue_is_read_when_no_events_are_given():
    pygame.display.init()
    pygame.event.clear()
    pygame.event.post(keydown(pygame.K_w))
    result = play(max_frames=4, fps=0)
    assert result.recording.keys == ["W"] * 4


def test_play_command_records_to_a_file(tmp_path, capsys, run_command):
    # Real pacing and the real event queue: W is held from the start, and a
    # timer presses Esc after a fifth of a second.
    pygame.display.init()
    pygame.event.clear()
    pygame.event.post(keydown(pygame.K_w))
    pygame.time.set_timer(keydown(pygame.K_ESCAPE), 200, loops=1)
    path = tmp_path / "rec" / "me.json"
    assert run_command("play", ["--record", str(path), "--no-hurdle"]) == 0
    rec = load(path)
    assert 2 <= len(rec.keys) <= 12 and set(rec.keys) == {"W"}  # ~6 frames at 30 fps
    assert not rec.env_options.hurdle
    assert f"recorded {len(rec.keys)} frames" in capsys.readouterr().out
    assert run_command("replay", [str(path), "--output", str(tmp_path / "me.gif")]) == 0


# ------------------------------------------------------------ bad recordings
def write_json(path, data):
    path.write_text(json.dumps(data))
    return path


def good_recording(**changes):
    rec = Recording(QWOPEnv().env_options.replace(**PLAY_OPTIONS), ["W", "WO"], direct_run(["W", "WO"]))
    data = rec.to_json()
    data.update(changes)
    return data


@pytest.mark.parametrize("content, problem", [
    (None, "does not exist"),
    ("not json at all", "is not valid JSON"),
    ({"hello": 1}, "is not a qwop-fast recording"),
    (good_recording(version=7), "has version 7"),
    (good_recording(keys="WO"), "keys must be a list"),
    (good_recording(keys=["W", "QX"]), r"keys\[1\] = 'QX' is not 'none' or a set of the letters"),
    (good_recording(keys=["W", 3]), r"keys\[1\] must be a string"),
    (good_recording(env_options={"frames_per_step": 1, "warp": 9}), "env_options: unknown env option.*'warp'"),
    (good_recording(env_options={"reduced_action_set": True}, keys=["W", "QO"]),
     r"keys\[1\] = 'QO' is not an action of the 9-action"),
    (good_recording(final_distance="far"), "final_distance must be a finite number"),
])
def test_unreadable_recordings_name_the_file_and_problem(tmp_path, capsys, content, problem, run_command):
    path = tmp_path / "bad.json"
    if isinstance(content, str):
        path.write_text(content)
    elif content is not None:
        write_json(path, content)
    assert run_command("replay", [str(path)]) == 2
    err = capsys.readouterr().err
    assert str(path) in err
    assert re.search(problem, err), err
    with pytest.raises(RecordingError):
        load(path)


def test_directory_and_binary_file_are_clear_errors(tmp_path):
    with pytest.raises(RecordingError, match="is a directory"):
        load(tmp_path)
    (tmp_path / "x.json").write_bytes(b"\xff\xfe\x00garbage")
    with pytest.raises(RecordingError, match="not a text"):
        load(tmp_path / "x.json")


def test_replay_reports_a_different_final_distance(tmp_path, capsys, run_command):
    path = write_json(tmp_path / "off.json", good_recording(final_distance=12.5))
    assert run_command("replay", [str(path)]) == 1
    assert "differs from the recorded 12.5" in capsys.readouterr().err


def test_replay_rejects_keys_after_the_episode_ended(tmp_path, capsys, run_command):
    fell = play(events=key_events(["O"] * 90), fps=0).recording
    data = fell.to_json()
    data["keys"] += ["none"] * 5
    path = write_json(tmp_path / "long.json", data)
    assert run_command("replay", [str(path), "--fps", "1000"]) == 2
    assert f"ended after {len(fell.keys)} of its {len(fell.keys) + 5} frames" in capsys.readouterr().err


def test_replay_output_must_be_gif_or_mp4(played, tmp_path, capsys, run_command):
    path = played.recording.save(tmp_path / "run.json")
    assert run_command("replay", [str(path), "--output", str(tmp_path / "x.avi")]) == 2
    assert "must end in .gif or .mp4" in capsys.readouterr().err
