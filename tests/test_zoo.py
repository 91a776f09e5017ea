"""rl-zoo3 as its users run it: the training command steps the batched
engine with the shipped hyperparameters, and enjoy / record_video (through
``python -m qwop_fast.zoo``) rebuild it from the saved run; the video plays
at the game's speed. Real zoo runs of a few thousand steps."""

import subprocess
import sys

import imageio
import pytest

pytest.importorskip("rl_zoo3")

ENV = "qwop_fast/QWOP-v0"


def _run(args, cwd, timeout=300):
    proc = subprocess.run([sys.executable, "-m", *args], cwd=cwd, capture_output=True, text=True, timeout=timeout)
    assert proc.returncode == 0, proc.stdout[-2000:] + proc.stderr[-3000:]
    return proc


@pytest.fixture(scope="module")
def zoo_run(tmp_path_factory):
    logs = tmp_path_factory.mktemp("zoo")
    proc = _run(["rl_zoo3.train", "--algo", "qrdqn", "--env", ENV, "--gym-packages", "qwop_fast",
                 "--conf-file", "qwop_fast.zoo.qrdqn", "-n", "3000", "-f", str(logs), "--seed", "0",
                 "--eval-freq", "1500", "--eval-episodes", "1", "--hyperparams", "learning_starts:500"], logs)
    return logs, proc


def test_zoo_train_steps_the_batched_engine(zoo_run):
    logs, proc = zoo_run
    assert "8 env(s) on one QWOPVecEnv (batched engine" in proc.stderr
    run = logs / "qrdqn" / "qwop_fast-QWOP-v0_1"
    assert (run / "qwop_fast-QWOP-v0.zip").is_file() and (run / "evaluations.npz").is_file()
    # one monitor file for the 8 runners, with the info keywords of the hyperparameters
    (monitor,) = run.glob("*.monitor.csv")
    lines = monitor.read_text().splitlines()
    assert lines[1] == "r,l,t,distance,is_success" and len(lines) > 3
    assert "vec_env_wrapper" in (run / "qwop_fast-QWOP-v0" / "config.yml").read_text()


def test_zoo_enjoy_and_record_video_rebuild_it(zoo_run):
    logs, _ = zoo_run
    proc = _run(["rl_zoo3.enjoy", "--algo", "qrdqn", "--env", ENV, "--gym-packages", "qwop_fast", "-f", str(logs),
                 "-n", "200", "--exp-id", "1", "--no-render"], logs)
    assert "1 env(s) on one QWOPVecEnv" in proc.stderr
    pytest.importorskip("moviepy")
    _run(["qwop_fast.zoo", "record_video", "--algo", "qrdqn", "--env", ENV, "-f", str(logs), "-n", "40",
          "--exp-id", "1", "--deterministic"], logs)
    (video,) = (logs / "qrdqn" / "qwop_fast-QWOP-v0_1" / "videos").glob("*.mp4")
    reader = imageio.get_reader(str(video))
    assert reader.get_meta_data()["fps"] == pytest.approx(7.5)  # 30 game frames / s, 4 per step
    reader.close()


def test_launcher_picks_the_shipped_hyperparameters(tmp_path):
    from qwop_fast.zoo import HYPERPARAMS, load_hyperparams

    for algo in HYPERPARAMS:
        params = load_hyperparams(algo)[ENV]
        assert params["vec_env_wrapper"] == "qwop_fast.zoo.BatchedEngine"
    proc = subprocess.run([sys.executable, "-m", "qwop_fast.zoo", "nonsense"], capture_output=True, text=True)
    assert proc.returncode == 2 and "usage: python -m qwop_fast.zoo" in proc.stderr
