"""qwop-fast watch (qwop_fast.training.watch): a model's episodes to a GIF or a window."""

import re

import imageio.v3 as iio
import pytest


def test_watch_writes_a_gif_with_one_frame_per_state(run_dir, tmp_path, capsys, run_command):
    out = tmp_path / "watch.gif"
    model = run_dir / "checkpoints" / "model_64.zip"
    code = run_command("watch", ["--model", str(model), "--episodes", "2", "--max-steps", "12",
                                    "--output", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert f"env options from {run_dir / 'config.yml'}" in text
    steps = [int(n) for n in re.findall(r"(\d+) steps", text)]
    assert len(steps) == 2 and all(1 <= n <= 12 for n in steps)
    frames = iio.imread(out, index=None)
    # One frame for each reset and each step (the HUD clock makes every frame distinct).
    assert frames.shape == (sum(n + 1 for n in steps), 400, 640, 3)
    assert "at 15 fps" in text  # real game speed: 30 / frames_per_step 2


def test_watch_recurrent_stochastic_in_a_window(saved_models, capsys, run_command):
    code = run_command("watch", ["--model", str(saved_models["RecurrentPPO"]), "--max-steps", "5",
                                    "--stochastic", "--fps", "500"])
    assert code == 0
    assert re.search(r"episode 1: .* 5 steps", capsys.readouterr().out)


@pytest.mark.parametrize("argv, problem", [
    (["--model", "{tmp}/missing.zip"], "model file '.*missing.zip' does not exist"),
    (["--model", "{tmp}/bad.zip"], "bad.zip' is not a zip archive"),
    (["--model", "{tmp}/bad.zip", "--output", "{tmp}/out.png"], "must end in .gif or .mp4"),
])
def test_watch_user_errors_are_one_line_messages(tmp_path, capsys, argv, problem, run_command):
    (tmp_path / "bad.zip").write_text("garbage")
    assert run_command("watch", [a.format(tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qwop-fast watch: error:") and re.search(problem, err)
    assert "Traceback" not in err


def test_watch_argument_checks(capsys, run_command):
    for bad in (["--episodes", "0"], ["--fps", "0"], ["--max-steps", "-1"], ["--fps", "nan"]):
        with pytest.raises(SystemExit):
            run_command("watch", ["--model", "m.zip", *bad])
        assert "error: argument" in capsys.readouterr().err
