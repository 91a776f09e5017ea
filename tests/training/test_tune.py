"""``qwop-fast tune`` end to end: real Optuna studies of real SB3 trainings
(tiny budgets), on SQLite and on a real PostgreSQL server.

The PostgreSQL test reads QWOP_TEST_POSTGRES_URL (an SQLAlchemy URL); .ci/run
starts a local server and always sets it (.ci/postgres.sh). Without it that
one test is skipped, and says why.
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
import uuid
from pathlib import Path

import optuna
import pytest
import yaml
from optuna.trial import TrialState

from qwop_fast.cli import main
from qwop_fast.cli.tune import METRIC_NAMES
from qwop_fast.training.config import TrainConfig, bundled_config, load_config
from qwop_fast.training.run import train
from qwop_fast.training.tune import METRICS, default_search_space, load_search_space

# Updates from step 400 on, short episodes: a trial of ~1000 steps takes ~1 s.
TINY = {
    "algorithm": "QRDQN", "total_timesteps": 1200, "n_envs": 4, "seed": 0,
    "env_kwargs": {"max_episode_steps": 200},
    "learner_kwargs": {"learning_starts": 400, "batch_size": 32, "buffer_size": 5000,
                       "target_update_interval": 200, "policy_kwargs": {"net_arch": [32], "n_quantiles": 8}},
    "eval_episodes": 2, "eval_deterministic": False,
}
SPACE = {"algorithm": "QRDQN", "params": {
    "learner_kwargs.learning_rate": {"low": 1.0e-4, "high": 3.0e-3, "log": True},
    "learner_kwargs.gamma": {"choices": [0.95, 0.99]},
    "learner_kwargs.policy_kwargs.net_arch": {"choices": {"one": [16], "two": [32, 32]}},
    "wrappers.reward_shaping": {"choices": {"none": None, "spec": {"posture_weight": 0.1}}},
}}
POSTGRES_ENV = "QWOP_TEST_POSTGRES_URL"


@pytest.fixture
def files(tmp_path):
    (tmp_path / "base.yml").write_text(yaml.safe_dump(TINY))
    (tmp_path / "space.yml").write_text(yaml.safe_dump(SPACE))
    return tmp_path


def tune_args(files: Path, study: str, *extra: str) -> list[str]:
    return ["tune", "--config", str(files / "base.yml"), "--search", str(files / "space.yml"),
            "--study", study, "--runs-dir", str(files / "runs"), "--n-timesteps", "1200",
            "--eval-every", "400", *extra]


def sqlite_url(files: Path, study: str) -> str:
    return f"sqlite:///{(files / 'runs' / study / 'study.db').resolve()}"


def load(url: str, study: str) -> optuna.Study:
    return optuna.load_study(study_name=study, storage=url)


def test_tiny_study_on_sqlite_then_continue(files, capsys):
    assert main(tune_args(files, "tiny", "--n-trials", "2", "--seed", "0", "--pruner", "none")) == 0
    out = files / "runs" / "tiny"
    study = load(sqlite_url(files, "tiny"), "tiny")
    trials = study.get_trials()
    assert [t.state for t in trials] == [TrialState.COMPLETE] * 2
    # The evaluation curve went to Optuna: every 400 steps, the last at the end.
    assert sorted(trials[0].intermediate_values) == [400, 800, 1200]
    assert trials[0].value == trials[0].intermediate_values[1200]
    assert set(trials[0].params) == set(SPACE["params"])

    # The best trial as a training config: valid, with the sampled values in.
    best = study.best_trial
    cfg = load_config(out / "best_config.yml")
    assert cfg.learner_kwargs["learning_rate"] == pytest.approx(best.params["learner_kwargs.learning_rate"])
    assert cfg.learner_kwargs["gamma"] == best.params["learner_kwargs.gamma"]
    arch = {"one": [16], "two": [32, 32]}[best.params["learner_kwargs.policy_kwargs.net_arch"]]
    assert cfg.learner_kwargs["policy_kwargs"]["net_arch"] == arch
    assert (cfg.wrappers.reward_shaping is None) == (best.params["wrappers.reward_shaping"] == "none")
    assert cfg.total_timesteps == 1200 and cfg.eval_every == TINY.get("eval_every", 25_000)

    rows = list(csv.DictReader((out / "trials.csv").open()))
    assert [r["state"] for r in rows] == ["COMPLETE", "COMPLETE"] and rows[0]["mean_distance"]
    assert "| trial | state | value |" in (out / "trials.md").read_text()
    for png in ("optimization_history.png", "param_importances.png"):
        assert (out / png).read_bytes()[:4] == b"\x89PNG"
    assert (out / "trial_0000" / "final_model.zip").is_file()
    assert not list(out.glob(".*.tmp")), "no temp files left by the atomic writes"

    # Rerunning continues the study up to the new total; a finished one says so.
    assert main(tune_args(files, "tiny", "--n-trials", "3", "--seed", "1", "--pruner", "none")) == 0
    assert [t.number for t in load(sqlite_url(files, "tiny"), "tiny").get_trials()] == [0, 1, 2]
    capsys.readouterr()
    assert main(tune_args(files, "tiny", "--n-trials", "3")) == 0
    assert "already has 3 trials" in capsys.readouterr().err


def test_user_mistakes_are_one_line_errors(files, capsys):
    def err(*extra: str) -> str:
        assert main(tune_args(files, "e", "--n-trials", "1", *extra)) == 2
        return capsys.readouterr().err.strip()

    bad = files / "bad.yml"
    bad.write_text(yaml.safe_dump({"params": {"learner_kwargs.gradient_step": {"choices": [1, 2]}}}))
    msg = err("--search", str(bad))
    assert msg.startswith("qwop-fast tune: error: --search") and "'params.learner_kwargs.gradient_step'" in msg
    assert "\n" not in msg
    bad.write_text(yaml.safe_dump({"params": {"total_timesteps": {"low": 1, "high": 9}}}))
    assert "--n-timesteps" in err("--search", str(bad))
    bad.write_text(yaml.safe_dump({"params": {"learner_kwargs.learning_rate": {"low": 0, "high": 1, "log": True}}}))
    assert "log scale needs low > 0" in err("--search", str(bad))
    assert "--storage" in err("--storage", "not-a-url")
    assert "--study" in err("--study", "a/b")
    # A study keeps its metric: another one would compare unlike values.
    assert main(tune_args(files, "m", "--n-trials", "1", "--n-timesteps", "400", "--eval-every", "0")) == 0
    capsys.readouterr()
    assert main(tune_args(files, "m", "--n-trials", "2", "--metric", "time_to_100m")) == 2
    assert "--metric time_to_100m" in capsys.readouterr().err


def test_default_search_spaces_fit_the_bundled_configs():
    assert set(METRIC_NAMES) == set(METRICS)  # the CLI's copy (it imports no torch)
    bases = [load_config(bundled_config(name)) for name in ("quick.yml", "runner_ppo.yml")]
    bases.append(TrainConfig.from_dict({"algorithm": "DQN"}))  # no shipped DQN config, but a search space
    for base in bases:
        space = load_search_space(default_search_space(base.algorithm), base)
        assert len(space.params) >= 10


def _start_worker(files: Path, study: str, *extra: str) -> subprocess.Popen:
    """``python -m qwop_fast tune`` with a long trial budget (it is stopped by the test)."""
    argv = [sys.executable, "-m", "qwop_fast", *tune_args(files, study), "--n-trials", "2",
            "--heartbeat", "1", *extra]
    argv[argv.index("--n-timesteps") + 1] = "10000000"
    return subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
                            env={**os.environ, "PYTHONUNBUFFERED": "1"})


def _wait_for_training(proc: subprocess.Popen, monitor: Path) -> None:
    deadline = time.time() + 60
    while time.time() < deadline and proc.poll() is None:
        if monitor.is_file() and len(monitor.read_text().splitlines()) > 5:
            return
        time.sleep(0.2)
    proc.kill()
    pytest.fail(f"the trial did not start training: {proc.communicate()[1][-2000:]}")


def test_ctrl_c_fails_the_trial_and_keeps_the_study(files):
    proc = _start_worker(files, "sig")
    try:
        _wait_for_training(proc, files / "runs" / "sig" / "trial_0000" / "monitor.csv")
        proc.send_signal(signal.SIGINT)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    assert "trial 0 marked fail" in err and "run the same command again" in err
    [trial] = load(sqlite_url(files, "sig"), "sig").get_trials()
    assert trial.state == TrialState.FAIL


def test_killed_worker_trial_is_failed_and_retried(files, capsys):
    proc = _start_worker(files, "kill")
    try:
        _wait_for_training(proc, files / "runs" / "kill" / "trial_0000" / "monitor.csv")
        proc.send_signal(signal.SIGKILL)
        proc.communicate(timeout=30)
    finally:
        proc.kill()
    url = sqlite_url(files, "kill")
    [trial] = load(url, "kill").get_trials()
    assert trial.state == TrialState.RUNNING  # nobody told the storage
    time.sleep(2.5)  # past the grace period (2 x --heartbeat 1)
    assert main(tune_args(files, "kill", "--n-trials", "2", "--heartbeat", "1", "--pruner", "none")) == 0
    first, retry = load(url, "kill").get_trials()
    assert first.state == TrialState.FAIL
    assert retry.state == TrialState.COMPLETE and retry.params == first.params  # run again, same values


def test_two_workers_share_a_postgresql_study(tmp_path, files):
    url = os.environ.get(POSTGRES_ENV)
    if not url:
        print(f"{POSTGRES_ENV} is not set: no PostgreSQL server to test against (.ci/run starts one)")
        pytest.skip(f"{POSTGRES_ENV} is not set (.ci/run sets it)")
    study = f"test-{uuid.uuid4().hex[:12]}"
    # Two workers, as on two machines: the same command, one shared storage.
    # Trials of 2400 steps so that both are under way before either ends.
    argv = [sys.executable, "-m", "qwop_fast", *tune_args(files, study), "--n-trials", "2",
            "--storage", url, "--pruner", "none"]
    argv[argv.index("--n-timesteps") + 1] = "2400"
    procs = [subprocess.Popen(argv, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    try:
        results = [p.communicate(timeout=120) for p in procs]
        for p, (_, err) in zip(procs, results):
            assert p.returncode == 0, err
        trials = load(url, study).get_trials()
        assert [t.state for t in trials] == [TrialState.COMPLETE] * 2
        assert {t.user_attrs["pid"] for t in trials} == {p.pid for p in procs}, "one trial per worker"
        assert trials[0].params != trials[1].params

        # The best config (written by both workers, atomically) is valid and trains.
        cfg = load_config(files / "runs" / study / "best_config.yml")
        run = tmp_path / "from_best"
        run.mkdir()
        # past the sampled learning_starts, so that the run trains (400 updates' worth of steps)
        steps = int(cfg.learner_kwargs.get("learning_starts", 0)) + 400
        result = train(cfg.replace(total_timesteps=steps, eval_every=0, checkpoint_every=0), run, progress=False)
        assert result.num_timesteps == steps and (run / "final_model.zip").is_file()
    finally:
        for p in procs:
            p.kill()
        try:
            optuna.delete_study(study_name=study, storage=url)
        except KeyError:
            pass
