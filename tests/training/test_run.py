"""``qwop-fast train`` end to end with tiny budgets (real SB3, real engine)."""

from __future__ import annotations

import csv
import json
import os
import signal
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import numpy as np
import pytest
import yaml

from qwop_fast.cli import main
from qwop_fast.training.callbacks import time_score
from qwop_fast.training.config import TrainConfig, load_config
from qwop_fast.training.run import latest_checkpoint, make_train_env, replay_buffer_path, train

# Small but real: updates start at step 400 and run every vec step.
TINY_QRDQN = {
    "algorithm": "QRDQN", "total_timesteps": 2000, "n_envs": 4, "seed": 0,
    "env_kwargs": {"max_episode_steps": 200},
    "learner_kwargs": {"learning_starts": 400, "batch_size": 32, "train_freq": 1, "gradient_steps": 1,
                       "buffer_size": 5000, "target_update_interval": 200,
                       "policy_kwargs": {"net_arch": [32], "n_quantiles": 8}},
    "checkpoint_every": 800, "save_replay_buffer": True, "eval_every": 1000, "eval_episodes": 1,
}


def write_config(path: Path, data: dict) -> Path:
    path.write_text(yaml.safe_dump(data))
    return path


def monitor_rows(run: Path) -> tuple[list[str], list[dict]]:
    lines = (run / "monitor.csv").read_text().splitlines()
    comments = [ln for ln in lines if ln.startswith("#")]
    rows = list(csv.DictReader(ln for ln in lines if not ln.startswith("#")))
    return comments, rows


def saved_timesteps(zip_path: Path) -> int:
    with zipfile.ZipFile(zip_path) as z:
        return int(json.loads(z.read("data"))["num_timesteps"])


def test_train_cli_end_to_end(tmp_path, capsys):
    cfg = write_config(tmp_path / "tiny.yml", TINY_QRDQN)
    assert main(["train", "--config", str(cfg), "--runs-dir", str(tmp_path / "runs"),
                 "--run-id", "tiny", "--no-progress"]) == 0
    run = tmp_path / "runs" / "tiny"
    err = capsys.readouterr().err
    assert "trained 2000 timesteps" in err

    resolved = load_config(run / "config.yml")
    assert resolved.total_timesteps == 2000 and resolved.env_kwargs["max_episode_steps"] == 200
    assert resolved.learner_kwargs["gamma"] == 0.99  # algorithm defaults recorded

    comments, rows = monitor_rows(run)
    assert len(comments) == 1 and rows, "monitor.csv: one header comment, then episodes"
    assert {"r", "l", "t", "distance", "is_success"} <= set(rows[0])
    assert sum(int(r["l"]) for r in rows) <= 2000

    assert saved_timesteps(run / "final_model.zip") == 2000
    assert (run / "best_model.zip").is_file() and (run / "evaluations.npz").is_file()
    ckpts = sorted((run / "checkpoints").glob("model_*_steps.zip"))
    assert [p.name for p in ckpts] == ["model_1600_steps.zip", "model_800_steps.zip"]
    assert replay_buffer_path(run, 800).is_file()
    assert list((run / "tb").glob("events.out.tfevents*"))

    timing = json.loads((run / "timing.json").read_text())[0]
    assert timing["timesteps"] == 2000 and timing["gradient_updates"] > 300
    parts = timing["env_step_s"] + timing["policy_and_buffer_s"] + timing["gradient_updates_s"]
    assert 0 < parts <= timing["wall_s"] * 1.05


def test_eval_all_starts_runs_one_episode_from_each_start(tmp_path):
    # intro_frames 0-4: five starts, so each evaluation is exactly five
    # episodes, one from each wait, however many eval_episodes says.
    data = {**TINY_QRDQN, "checkpoint_every": 0, "eval_episodes": 2, "eval_all_starts": True,
            "env_kwargs": {"max_episode_steps": 60, "intro_frames": [0, 4]}}
    cfg = write_config(tmp_path / "all.yml", data)
    assert main(["train", "--config", str(cfg), "--runs-dir", str(tmp_path / "runs"), "--run-id", "all",
                 "--no-progress"]) == 0
    run = tmp_path / "runs" / "all"
    with np.load(run / "evaluations.npz") as ev:
        assert ev["timesteps"].tolist() == [1000, 2000]
        assert ev["results"].shape == (2, 5) and ev["ep_lengths"].shape == (2, 5)
    assert load_config(run / "config.yml").eval_all_starts is True
    rows = list(csv.DictReader((run / "eval_log.csv").read_text().splitlines()))
    assert [r["timesteps"] for r in rows] == ["1000", "2000"]


def test_time_score_puts_the_success_bar_before_the_time():
    bar = 0.9
    assert time_score(0.9, 59.0, bar) > time_score(0.9, 61.0, bar)
    assert time_score(0.95, 59.0, bar) > time_score(1.0, 61.0, bar)  # both over the bar: time decides
    assert time_score(0.9, 70.0, bar) > time_score(0.85, 50.0, bar)
    assert time_score(0.5, 100.0, bar) > time_score(0.5, float("nan"), bar)
    assert time_score(55 / 61, 60.0, bar) == time_score(float(f"{55 / 61:.6g}"), 60.0, bar)


def test_best_model_by_time_is_chosen_by_time_score(tmp_path):
    data = {**TINY_QRDQN, "checkpoint_every": 0, "eval_episodes": 2, "best_model_by": "time",
            "env_kwargs": {"max_episode_steps": 60}}
    cfg = write_config(tmp_path / "time.yml", data)
    assert main(["train", "--config", str(cfg), "--runs-dir", str(tmp_path / "runs"), "--run-id", "t",
                 "--no-progress"]) == 0
    run = tmp_path / "runs" / "t"
    rows = list(csv.DictReader((run / "eval_log.csv").read_text().splitlines()))
    scores = [time_score(float(r["success_rate"]), float(r["mean_finish_time"]), 0.9) for r in rows]
    # The first evaluation with the highest score (a later equal one is no new best).
    assert saved_timesteps(run / "best_model.zip") == int(rows[scores.index(max(scores))]["timesteps"])


def test_existing_run_id_and_resume_conflicts_are_errors(tmp_path, capsys):
    (tmp_path / "runs" / "taken").mkdir(parents=True)
    assert main(["train", "--runs-dir", str(tmp_path / "runs"), "--run-id", "taken"]) == 2
    assert "already exists" in capsys.readouterr().err
    assert main(["train", "--resume", str(tmp_path / "runs" / "taken")]) == 2
    assert "not a run folder" in capsys.readouterr().err


class InterruptAt:
    """Raises KeyboardInterrupt (what Ctrl-C raises) once training reaches ``steps``."""

    def __new__(cls, steps: int):
        from stable_baselines3.common.callbacks import BaseCallback

        class _Interrupt(BaseCallback):
            def _on_step(self) -> bool:
                if self.num_timesteps >= steps:
                    raise KeyboardInterrupt
                return True

        return _Interrupt()


def test_interrupt_saves_a_checkpoint_and_resume_continues(tmp_path, capsys):
    cfg = TrainConfig.from_dict({**TINY_QRDQN, "checkpoint_every": 0, "eval_every": 0})
    run = tmp_path / "run"
    run.mkdir()
    result = train(cfg, run, progress=False, callbacks=[InterruptAt(1200)])
    assert result.interrupted and result.num_timesteps == 1200
    ckpt, steps = latest_checkpoint(run)
    assert steps == 1200 and saved_timesteps(ckpt) == 1200
    assert replay_buffer_path(run, 1200).is_file()
    assert not (run / "final_model.zip").exists()
    _, rows_before = monitor_rows(run)
    (run / "config.yml").write_text(yaml.safe_dump(cfg.to_dict()))

    assert main(["train", "--resume", str(run), "--no-progress"]) == 0
    err = capsys.readouterr().err
    assert "at 1200 timesteps" in err and "empty buffer" not in err  # the buffer came back
    assert saved_timesteps(run / "final_model.zip") == 2000  # counter continued, not reset
    comments, rows_after = monitor_rows(run)
    assert len(comments) == 1, "monitor.csv was appended to, not rewritten"
    assert rows_after[:len(rows_before)] == rows_before and len(rows_after) > len(rows_before)
    times = [float(r["t"]) for r in rows_after]
    assert times == sorted(times), "the t column continues across the resume"
    sessions = json.loads((run / "timing.json").read_text())
    assert [s["interrupted"] for s in sessions] == [True, False]
    assert sessions[1]["timesteps"] == 800


@pytest.mark.parametrize("sig", [signal.SIGINT, signal.SIGTERM], ids=["SIGINT", "SIGTERM"])
def test_ctrl_c_on_the_command_line(tmp_path, sig):
    """A real SIGINT (Ctrl-C) or SIGTERM (kill, a scheduler) to ``python -m
    qwop_fast train``: checkpoint, exit 130, then --resume with
    --total-timesteps extends the same run."""
    cfg = write_config(tmp_path / "tiny.yml", {**TINY_QRDQN, "total_timesteps": 10_000_000,
                                               "checkpoint_every": 0, "eval_every": 0})
    run = tmp_path / "runs" / "sig"
    env = {**os.environ, "PYTHONUNBUFFERED": "1"}
    proc = subprocess.Popen([sys.executable, "-m", "qwop_fast", "train", "--config", str(cfg), "--runs-dir",
                             str(tmp_path / "runs"), "--run-id", "sig", "--no-progress"],
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True, env=env)
    try:
        deadline = time.time() + 60
        # Wait until training is under way (episodes in monitor.csv).
        while time.time() < deadline:
            if (run / "monitor.csv").is_file() and len((run / "monitor.csv").read_text().splitlines()) > 5:
                break
            time.sleep(0.2)
        else:
            pytest.fail("training did not start")
        time.sleep(0.5)
        proc.send_signal(sig)
        _, err = proc.communicate(timeout=60)
    finally:
        proc.kill()
    assert proc.returncode == 130, err
    found = latest_checkpoint(run)
    assert found is not None and "--resume" in err
    steps = found[1]
    assert steps > 0 and saved_timesteps(found[0]) == steps

    target = steps + 400
    assert main(["train", "--resume", str(run), "--total-timesteps", str(target), "--no-progress"]) == 0
    assert saved_timesteps(run / "final_model.zip") == target
    assert load_config(run / "config.yml").total_timesteps == target


def test_ppo_with_reward_shaping(tmp_path):
    from qwop_fast.reward_shaping import VecRewardShaping

    cfg = TrainConfig.from_dict({
        "algorithm": "PPO", "total_timesteps": 1024, "n_envs": 4, "seed": 1,
        "env_kwargs": {"max_episode_steps": 100},
        "wrappers": {"reward_shaping": {"posture_weight": 0.1, "energy_weight": 0.01, "joint_weight": 0.05}},
        "learner_kwargs": {"n_steps": 64, "batch_size": 64, "n_epochs": 2,
                           "policy_kwargs": {"net_arch": {"pi": [16], "vf": [16]}, "activation_fn": "tanh"}},
        "checkpoint_every": 512, "eval_every": 512})
    run = tmp_path / "ppo"
    run.mkdir()
    venv = make_train_env(cfg, run, append_monitor=False)
    try:
        shaping = venv.venv.venv.venv  # StepTimer -> VecMonitor -> EpisodeEndTimesteps -> shaping -> QWOPVecEnv
        assert isinstance(shaping, VecRewardShaping)
        assert (shaping.weights.posture_weight, shaping.weights.energy_weight,
                shaping.weights.joint_weight) == (0.1, 0.01, 0.05)
    finally:
        venv.close()
    result = train(cfg, run, progress=False)
    assert not result.interrupted and result.num_timesteps == 1024
    assert saved_timesteps(run / "final_model.zip") == 1024
    assert (run / "checkpoints" / "model_512_steps.zip").is_file()
    assert not list((run / "checkpoints").glob("*replay_buffer*"))  # on-policy: none
    _, rows = monitor_rows(run)
    assert rows and "distance" in rows[0]


def test_learner_rejecting_the_config_leaves_no_run_folder(tmp_path, capsys):
    # n_steps * n_envs must exceed 1 for PPO: SB3 checks it when the model is built.
    cfg = write_config(tmp_path / "ppo.yml", {"algorithm": "PPO", "n_envs": 1,
                                              "learner_kwargs": {"n_steps": 1, "batch_size": 1}})
    runs = tmp_path / "runs"
    assert main(["train", "--config", str(cfg), "--runs-dir", str(runs), "--run-id", "bad"]) == 2
    assert "PPO rejected" in capsys.readouterr().err
    assert not (runs / "bad").exists()
