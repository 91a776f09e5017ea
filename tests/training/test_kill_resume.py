"""SIGKILL during checkpoint writes, then --resume (issue 12, item 3).

A chain of real training processes on one run folder: each is killed at
another point of an atomic checkpoint write (tests/training/killed_train.py)
and the next resumes from what is left, with unreadable checkpoints of the
old in-place kind planted in between. The run must always resume, from the
newest readable checkpoint, and finish with a loadable final model.
"""

from __future__ import annotations

import json
import signal
import subprocess
import sys
import zipfile
from pathlib import Path

import yaml

from qwop_fast.training.checkpoints import load_model

DRIVER = Path(__file__).with_name("killed_train.py")
CONFIG = {
    "algorithm": "QRDQN", "total_timesteps": 1600, "n_envs": 4, "seed": 0,
    "env_kwargs": {"max_episode_steps": 100},
    "learner_kwargs": {"learning_starts": 200, "batch_size": 16, "train_freq": 4, "gradient_steps": 1,
                       "buffer_size": 2000, "policy_kwargs": {"net_arch": [16], "n_quantiles": 4}},
    "checkpoint_every": 400, "save_replay_buffer": True, "eval_every": 0,
}


def train(args: list[str], point: str = "none", prefix: str = "model_", nth: int = 1):
    proc = subprocess.run([sys.executable, str(DRIVER), point, prefix, str(nth), "--", *args, "--no-progress"],
                          capture_output=True, text=True, timeout=300)
    return proc


def steps_of(path: Path) -> int:
    with zipfile.ZipFile(path) as z:
        return int(json.loads(z.read("data"))["num_timesteps"])


def test_killed_checkpoint_writes_always_resume(tmp_path):
    cfg = tmp_path / "c.yml"
    cfg.write_text(yaml.safe_dump(CONFIG))
    run = tmp_path / "runs" / "k"
    ckpts = run / "checkpoints"
    kills = 0

    # 1. Killed with the second model zip half written (model_800).
    p = train(["--config", str(cfg), "--runs-dir", str(tmp_path / "runs"), "--run-id", "k"],
              "mid-write", "model_8", 1)
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    kills += 1
    assert (ckpts / "model_400_steps.zip").is_file() and not (ckpts / "model_800_steps.zip").exists()
    assert list(ckpts.glob(".model_800_steps.zip.*.partial"))  # the torn temporary file, ignored

    # What an in-place save used to leave: a 0-byte and a truncated checkpoint,
    # both newer than the good one.
    (ckpts / "model_1200_steps.zip").write_bytes(b"")
    (ckpts / "model_1000_steps.zip").write_bytes((ckpts / "model_400_steps.zip").read_bytes()[:700])

    # 2. Resume: skips both, continues from model_400; killed with the next
    # model zip complete but not yet renamed.
    p = train(["--resume", str(run)], "before-rename", "model_800", 1)
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    kills += 1
    for bad in ("model_1200_steps.zip", "model_1000_steps.zip"):
        assert f"warning: skipping unreadable checkpoint {ckpts / bad}" in p.stderr
    assert "from model_400_steps.zip at 400 timesteps" in p.stderr

    # 3. Resume; killed right after the replay buffer of the next checkpoint
    # was renamed into place, before its model zip was written.
    p = train(["--resume", str(run)], "after-rename", "model_replay_buffer_800", 1)
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    kills += 1
    assert "from model_400_steps.zip" in p.stderr

    # 4. Resume; killed after model_800 was renamed (a whole checkpoint),
    # in the middle of the buffer write of model_1200.
    p = train(["--resume", str(run)], "mid-write", "model_replay_buffer_1200", 1)
    assert p.returncode == -signal.SIGKILL, p.stderr[-2000:]
    kills += 1
    assert steps_of(ckpts / "model_800_steps.zip") == 800

    # 5. Resume to the end: from model_800 (with its replay buffer).
    p = train(["--resume", str(run)])
    assert p.returncode == 0, p.stderr[-3000:]
    assert "from model_800_steps.zip at 800 timesteps" in p.stderr
    assert "no replay buffer" not in p.stderr and "unreadable replay buffer" not in p.stderr
    final = run / "final_model.zip"
    assert steps_of(final) == 1600
    assert type(load_model(final)).__name__ == "QRDQN"
    timing = json.loads((run / "timing.json").read_text())
    assert timing[-1]["ended_at_timesteps"] == 1600
    assert kills == 4
