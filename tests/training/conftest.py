"""Models for the checkpoint and watch tests: tiny, untrained or barely
trained (these tests check plumbing, not learning)."""

import pytest
import sb3_contrib
import stable_baselines3
import torch

from qwop_fast import QWOPVecEnv
from qwop_fast.training.checkpoints import run_config_header

torch.set_num_threads(1)
SMALL = {"net_arch": [16]}


def make_model(name, venv):
    cls = getattr(stable_baselines3, name, None) or getattr(sb3_contrib, name)
    policy = "MlpLstmPolicy" if name == "RecurrentPPO" else "MlpPolicy"
    kwargs = {"n_steps": 8, "batch_size": 16} if name in ("PPO", "RecurrentPPO") else {}
    kwargs = {"n_steps": 8} if name == "A2C" else kwargs
    kwargs = {"learning_starts": 0} if name in ("DQN", "QRDQN") else kwargs
    policy_kwargs = {**SMALL, "lstm_hidden_size": 8} if name == "RecurrentPPO" else SMALL
    return cls(policy, venv, device="cpu", seed=0, policy_kwargs=policy_kwargs, **kwargs)


@pytest.fixture(scope="module")
def run_dir(tmp_path_factory):
    """A run folder as training leaves it: config.yml, a model in checkpoints/."""
    run = tmp_path_factory.mktemp("run")
    # The header `qwop-fast train` writes: only such a config.yml is the run's.
    (run / "config.yml").write_text(f"# {run_config_header(run.name)}\nalgorithm: DQN\nenv_kwargs:\n"
                                    "  frames_per_step: 2\n  hurdle: false\n")
    venv = QWOPVecEnv(2, num_threads=1, frames_per_step=2, hurdle=False)
    model = make_model("DQN", venv).learn(64)
    (run / "checkpoints").mkdir()
    model.save(run / "checkpoints" / "model_64.zip")
    venv.close()
    return run


@pytest.fixture(scope="module")
def saved_models(tmp_path_factory):
    """One untrained model of each supported algorithm, saved (16 actions)."""
    folder = tmp_path_factory.mktemp("models")
    venv = QWOPVecEnv(2, num_threads=1, reduced_action_set=False)
    paths = {}
    for name in ("QRDQN", "DQN", "PPO", "A2C", "RecurrentPPO"):
        paths[name] = folder / f"{name}.zip"
        make_model(name, venv).save(paths[name])
    venv.close()
    return paths
