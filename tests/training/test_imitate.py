"""qwop-fast imitate: behaviour cloning from key recordings with the
imitation package, and the warm start (init_policy) that continues it with RL."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from qwop_fast.cli import main
from qwop_fast.env import QWOPEnv
from qwop_fast.options import EnvOptions
from qwop_fast.recording import Recording
from qwop_fast.training.checkpoints import load_model
from qwop_fast.training.config import TrainConfig
from qwop_fast.training.imitate import imitate
from qwop_fast.training.run import TrainError, start_from_policy

pytest.importorskip("imitation")

ENV = {"frames_per_step": 4, "reduced_action_set": True, "max_episode_steps": 300}
CONFIG = TrainConfig.from_dict({"algorithm": "PPO", "n_envs": 2, "env_kwargs": ENV, "total_timesteps": 256,
                                "eval_every": 0, "checkpoint_every": 0,
                                "learner_kwargs": {"n_steps": 64, "batch_size": 64,
                                                   "policy_kwargs": {"net_arch": [32, 32]}}})


def _recording(tmp_path, n=120):
    """A demonstration: a fixed alternating key pattern (what the policy must learn to repeat)."""
    options = EnvOptions.from_kwargs(**ENV, intro_frames=7)
    names = options.action_names
    env = QWOPEnv(**options.as_dict())
    env.reset()
    keys = []
    for t in range(n):
        keys.append(names[1 + (t // 3) % 4])
        _, _, terminated, truncated, info = env.step(names.index(keys[-1]))
        if terminated or truncated:
            break
    path = tmp_path / "demo.json"
    Recording(options, keys, info["distance"], info["game_time"], terminated, info["is_success"]).save(path)
    return path, len(keys)


def test_cloned_policy_repeats_the_demonstration_and_warm_starts_training(tmp_path):
    demo, n = _recording(tmp_path)
    out = tmp_path / "bc" / "model.zip"
    doc = imitate([str(demo)], CONFIG, out, epochs=300, batch_size=64)
    assert doc["steps"] == n
    # 4 keys in turn, from observations that differ at every step: far above
    # the 1-in-9 of an untrained policy
    assert doc["accuracy"] > 0.5
    model = load_model(out)
    assert type(model).__name__ == "PPO"

    fresh = CONFIG.algorithm_class()("MlpPolicy", model.get_env() or _venv(), seed=1,
                                     policy_kwargs={"net_arch": [32, 32]}, n_steps=64, batch_size=64)
    start_from_policy(fresh, str(out))
    for a, b in zip(fresh.policy.state_dict().values(), model.policy.state_dict().values()):
        assert torch.equal(a, b)


def test_a_policy_of_another_network_is_refused(tmp_path):
    demo, _ = _recording(tmp_path, n=30)
    out = tmp_path / "model.zip"
    imitate([str(demo)], CONFIG, out, epochs=1)
    other = CONFIG.algorithm_class()("MlpPolicy", _venv(), policy_kwargs={"net_arch": [8]}, n_steps=64,
                                     batch_size=64)
    with pytest.raises(TrainError, match="does not match"):
        start_from_policy(other, str(out))


def test_train_continues_from_the_cloned_policy(tmp_path, capsys):
    demo, _ = _recording(tmp_path, n=30)
    out = tmp_path / "model.zip"
    imitate([str(demo)], CONFIG, out, epochs=1)
    cfg = tmp_path / "ppo.yml"
    cfg.write_text("algorithm: PPO\nn_envs: 2\ntotal_timesteps: 256\neval_every: 0\ncheckpoint_every: 0\n"
                   "env_kwargs: {frames_per_step: 4, reduced_action_set: true, max_episode_steps: 300}\n"
                   "learner_kwargs: {n_steps: 64, batch_size: 64, policy_kwargs: {net_arch: [32, 32]}}\n")
    assert main(["train", "--config", str(cfg), "--init-policy", str(out), "--runs-dir", str(tmp_path / "runs"),
                 "--run-id", "warm", "--no-progress"]) == 0
    assert "policy weights from" in capsys.readouterr().err
    assert (tmp_path / "runs" / "warm" / "final_model.zip").is_file()


@pytest.mark.parametrize("argv, message", [
    (["imitate", "{demo}", "--config", "quick", "--output", "{tmp}/m.zip"], "actor-critic"),
    (["imitate", "{demo}", "--output", "{tmp}/m.txt"], "give a .zip"),
    (["imitate", "{tmp}/missing.json", "--output", "{tmp}/m.zip"], "does not exist"),
])
def test_user_errors_are_one_line(tmp_path, capsys, argv, message):
    demo, _ = _recording(tmp_path, n=10)
    argv = [a.format(demo=demo, tmp=tmp_path) for a in argv]
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and "Traceback" not in err


def _venv():
    from qwop_fast import QWOPVecEnv

    return QWOPVecEnv(2, num_threads=1, **ENV)
