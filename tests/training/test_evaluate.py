"""``qwop-fast evaluate``: output files, the no-overwrite rule, model errors."""

from __future__ import annotations

import csv
import json
import statistics
import zipfile
from pathlib import Path

import pytest

from qwop_fast.cli import main
from qwop_fast.training.config import TrainConfig, dump_config
from qwop_fast.training.checkpoints import run_config_header
from qwop_fast.training.evaluate import parse_env_kwargs, summarize, EvaluateError


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory) -> Path:
    """A run folder as ``train`` leaves it: config.yml (short episodes) and a
    QR-DQN model next to it and in checkpoints/."""
    from sb3_contrib import QRDQN

    from qwop_fast import QWOPVecEnv

    run = tmp_path_factory.mktemp("run")
    cfg = TrainConfig.from_dict({"env_kwargs": {"max_episode_steps": 60}})
    dump_config(cfg, run / "config.yml", run_config_header(run.name))  # as `qwop-fast train` writes it
    venv = QWOPVecEnv(2, num_threads=1, **cfg.env_kwargs)
    model = QRDQN("MlpPolicy", venv, policy_kwargs={"net_arch": [16], "n_quantiles": 5}, seed=0,
                  learning_starts=100, buffer_size=1000, device="cpu")
    model.learn(300)
    model.save(run / "final_model.zip")
    (run / "checkpoints").mkdir()
    model.save(run / "checkpoints" / "model_300_steps.zip")
    venv.close()
    return run


def read_episodes(out: Path) -> list[dict]:
    with (out / "episodes.csv").open() as f:
        return list(csv.DictReader(f))


def test_evaluate_writes_episodes_and_summary(run_dir, tmp_path, capsys):
    out = tmp_path / "eval"
    assert main(["evaluate", "--model", str(run_dir / "final_model.zip"), "--episodes", "2",
                 "--stochastic", "--output", str(out)]) == 0
    shown = capsys.readouterr().out
    assert "success rate" in shown and "mean distance" in shown and "time to 100 m" in shown

    rows = read_episodes(out)
    assert len(rows) == 2
    assert {"episode", "reward", "length", "distance", "game_time", "is_success"} <= set(rows[0])
    # env options came from the run's config.yml: episodes end by step 60
    assert all(int(r["length"]) <= 60 for r in rows)

    summary = json.loads((out / "summary.json").read_text())
    assert summary["env_kwargs"]["max_episode_steps"] == 60
    assert summary["config"] == str(run_dir / "config.yml")
    assert summary["algorithm"] == "QRDQN" and summary["deterministic"] is False
    m = summary["metrics"]
    assert m["episodes"] == 2
    assert m["mean_distance"] == pytest.approx(statistics.fmean(float(r["distance"]) for r in rows))
    assert m["max_distance"] == pytest.approx(max(float(r["distance"]) for r in rows))
    assert m["mean_episode_length"] == pytest.approx(statistics.fmean(int(r["length"]) for r in rows))


def test_all_starts_is_one_episode_from_each_intro_wait(run_dir, tmp_path, capsys):
    model = str(run_dir / "final_model.zip")
    out = tmp_path / "all"
    assert main(["evaluate", "--model", model, "--all-starts", "--env-kwargs", "intro_frames=[2, 5]",
                 "--output", str(out)]) == 0
    rows = read_episodes(out)
    assert [int(r["intro_frames"]) for r in rows] == [2, 3, 4, 5]
    summary = json.loads((out / "summary.json").read_text())
    assert summary["all_starts"] is True and summary["metrics"]["episodes"] == 4
    # Each is the episode a single evaluation from that fixed wait runs.
    for row in (rows[0], rows[3]):
        one = tmp_path / f"one{row['intro_frames']}"
        assert main(["evaluate", "--model", model, "--episodes", "1", "--env-kwargs",
                     f"intro_frames={row['intro_frames']}", "--output", str(one)]) == 0
        (single,) = read_episodes(one)
        assert {k: v for k, v in single.items() if k != "episode"} == \
               {k: v for k, v in row.items() if k != "episode"}
    capsys.readouterr()
    with pytest.raises(SystemExit) as exc:
        main(["evaluate", "--model", model, "--all-starts", "--episodes", "3"])
    assert exc.value.code == 2 and "not allowed with argument --all-starts" in capsys.readouterr().err


def test_output_folder_is_not_overwritten_without_force(run_dir, tmp_path, capsys):
    out = tmp_path / "eval"
    model = str(run_dir / "checkpoints" / "model_300_steps.zip")  # config found one level up
    assert main(["evaluate", "--model", model, "--episodes", "1", "--output", str(out)]) == 0
    before = (out / "summary.json").read_text()
    capsys.readouterr()

    assert main(["evaluate", "--random", "--episodes", "1", "--output", str(out)]) == 2
    assert "--force" in capsys.readouterr().err
    assert (out / "summary.json").read_text() == before

    assert main(["evaluate", "--random", "--episodes", "3", "--output", str(out), "--force"]) == 0
    assert json.loads((out / "summary.json").read_text())["policy"] == "random"
    assert len(read_episodes(out)) == 3


def test_random_baseline_is_seeded(tmp_path):
    def distances(seed: int, name: str) -> list[str]:
        out = tmp_path / name
        assert main(["evaluate", "--random", "--episodes", "3", "--seed", str(seed), "--output", str(out),
                     "--env-kwargs", "max_episode_steps=80"]) == 0
        return [r["distance"] for r in read_episodes(out)]

    first = distances(0, "a")
    assert distances(0, "b") == first
    assert distances(1, "c") != first


def test_missing_and_corrupt_models(tmp_path, capsys):
    assert main(["evaluate", "--model", str(tmp_path / "nope.zip"), "--episodes", "1"]) == 2
    assert "does not exist" in capsys.readouterr().err

    junk = tmp_path / "junk.zip"
    junk.write_bytes(b"this is not a zip file at all")
    assert main(["evaluate", "--model", str(junk), "--episodes", "1"]) == 2
    err = capsys.readouterr().err
    assert "junk.zip" in err and "zip" in err and "Traceback" not in err

    hollow = tmp_path / "hollow.zip"
    with zipfile.ZipFile(hollow, "w") as z:
        z.writestr("readme.txt", "no model here")
    assert main(["evaluate", "--model", str(hollow), "--episodes", "1"]) == 2
    assert "hollow.zip" in capsys.readouterr().err


def test_env_kwargs_overrides(run_dir, capsys):
    model = str(run_dir / "final_model.zip")
    # the model has 9 actions; the full action set has 16
    assert main(["evaluate", "--model", model, "--episodes", "1", "--env-kwargs", "reduced_action_set=false"]) == 2
    assert "actions" in capsys.readouterr().err
    assert main(["evaluate", "--model", model, "--episodes", "1", "--env-kwargs", "hurdles=false"]) == 2
    assert "hurdles" in capsys.readouterr().err
    assert parse_env_kwargs(['{"hurdle": false, "max_episode_steps": 10}', "max_episode_steps=20",
                             "success_rule=game"]) == {"hurdle": False, "max_episode_steps": 20,
                                                       "success_rule": "game"}
    with pytest.raises(EvaluateError):
        parse_env_kwargs(["hurdle"])


def test_summary_metrics():
    eps = [
        {"reward": 60.0, "length": 900, "distance": 100.4, "game_time": 120.0, "is_success": True},
        {"reward": 70.0, "length": 800, "distance": 100.9, "game_time": 107.0, "is_success": True},
        {"reward": -10.0, "length": 30, "distance": 1.0, "game_time": 4.0, "is_success": False},
    ]
    m = summarize(eps)
    assert m["success_rate"] == pytest.approx(2 / 3)
    assert m["median_distance"] == 100.4 and m["max_distance"] == 100.9
    assert m["mean_time_to_100m"] == pytest.approx(113.5) and m["best_time_to_100m"] == 107.0
    assert m["distinct_episodes"] == 3
    assert summarize(eps[2:])["mean_time_to_100m"] is None
