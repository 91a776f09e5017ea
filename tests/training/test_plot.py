"""qwop-fast plot: learning curves from a real VecMonitor file."""

import re

import numpy as np
import pytest

import imageio.v3 as iio
from stable_baselines3.common.vec_env import VecMonitor

from qwop_fast import QWOPVecEnv
from qwop_fast.training.plot import find_monitor, moving_average, read_monitor


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run folder whose monitor.csv was written by a real VecMonitor, as
    training writes it (short episodes so a few hundred steps give many)."""
    run = tmp_path_factory.mktemp("run")
    venv = VecMonitor(QWOPVecEnv(4, num_threads=1, max_episode_steps=30), filename=str(run / "monitor.csv"),
                      info_keywords=("distance", "is_success"))
    venv.reset()
    rng = np.random.default_rng(0)
    lengths, distances = [], []
    for _ in range(250):
        _, _, dones, infos = venv.step(rng.integers(0, 9, 4))
        for done, info in zip(dones, infos):
            if done:
                lengths.append(info["episode"]["l"])
                distances.append(info["distance"])
    venv.close()
    return run, lengths, distances


def test_monitor_file_is_read(run_dir):
    run, lengths, distances = run_dir
    episodes = read_monitor(find_monitor(run))
    assert len(episodes.reward) == len(lengths) > 20
    assert episodes.length.tolist() == lengths
    assert np.allclose(episodes.distance, distances)
    assert set(np.unique(episodes.is_success)) <= {0.0, 1.0}
    assert episodes.timesteps[-1] == sum(lengths) and np.all(np.diff(episodes.timesteps) > 0)


def test_plot_writes_a_png(run_dir, tmp_path, capsys, run_command):
    run, lengths, _ = run_dir
    assert run_command("plot", [str(run)]) == 0
    png = run / "learning_curves.png"
    image = iio.imread(png)
    assert image.ndim == 3 and image.shape[0] > 400 and image.shape[1] > 400
    assert image[..., :3].std() > 10  # a picture, not a blank page
    assert f"({len(lengths)} episodes, {sum(lengths)} timesteps)" in capsys.readouterr().out
    # The monitor file itself and an explicit output path work too.
    out = tmp_path / "figs" / "curves.png"
    assert run_command("plot", [str(run / "monitor.csv"), "--output", str(out), "--window", "5"]) == 0
    assert iio.imread(out).shape == image.shape


def test_a_line_being_written_is_skipped(run_dir, tmp_path):
    run, lengths, _ = run_dir
    partial = tmp_path / "monitor.csv"
    partial.write_text((run / "monitor.csv").read_text() + "-3.5,12")  # training mid-write
    assert len(read_monitor(partial).reward) == len(lengths)


def test_moving_average():
    values = np.array([1.0, 3.0, 5.0, 7.0])
    assert moving_average(values, 2).tolist() == [1.0, 2.0, 4.0, 6.0]
    assert moving_average(values, 10).tolist() == [1.0, 2.0, 3.0, 4.0]


@pytest.mark.parametrize("setup, argv, problem", [
    (None, ["{tmp}/nowhere"], "run '.*nowhere' does not exist"),
    ("empty_dir", ["{tmp}"], "has no monitor.csv"),
    ("header_only", ["{tmp}"], "has no finished episodes yet"),
    ("not_monitor", ["{tmp}"], "is not an SB3 monitor file"),
    ("bad_value", ["{tmp}"], "bad value in column 'r'"),
    ("header_only", ["{tmp}", "--output", "{tmp}/x.jpg"], "must end in .png"),
])
def test_plot_errors_name_the_problem(tmp_path, capsys, setup, argv, problem, run_command):
    contents = {
        "header_only": '#{"t_start": 0}\nr,l,t,distance,is_success\n',
        "not_monitor": "r,l,t\n1,2,3\n",
        "bad_value": '#{"t_start": 0}\nr,l,t\nabc,3,0.1\n',
    }
    if setup in contents:
        (tmp_path / "monitor.csv").write_text(contents[setup])
    assert run_command("plot", [a.format(tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qwop-fast plot: error:") and re.search(problem, err), err
    assert "Traceback" not in err
