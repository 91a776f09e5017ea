"""The training config schema: every error names its key; the shipped configs load."""

from __future__ import annotations

from pathlib import Path

import pytest
import yaml

from qwop_fast.training.algorithms import ALGORITHMS
from qwop_fast.training.config import ConfigError, TrainConfig, dump_config, load_config

ROOT = Path(__file__).resolve().parents[2]  # the repository
CONFIGS = sorted((ROOT / "config").glob("*.yml"))


def error(data) -> str:
    with pytest.raises(ConfigError) as info:
        TrainConfig.from_dict(data)
    return str(info.value)


def test_unknown_top_level_key_is_named_with_the_allowed_ones():
    msg = error({"algorithm": "QRDQN", "n_env": 4})
    assert "'n_env'" in msg
    for allowed in ("n_envs", "total_timesteps", "learner_kwargs", "env_kwargs", "wrappers", "eval_every"):
        assert allowed in msg


def test_unknown_nested_keys_are_named_by_their_path():
    assert "'learner_kwargs.learnin_rate'" in error({"learner_kwargs": {"learnin_rate": 0.1}})
    assert "'learner_kwargs.policy_kwargs.netarch'" in error(
        {"learner_kwargs": {"policy_kwargs": {"netarch": [64]}}})
    assert "'wrappers.reward_shaping.posture'" in error(
        {"wrappers": {"reward_shaping": {"posture": 0.1}}})
    # PPO has no replay buffer, so buffer_size is unknown to it
    msg = error({"algorithm": "PPO", "learner_kwargs": {"buffer_size": 1000}})
    assert "'learner_kwargs.buffer_size'" in msg and "n_epochs" in msg


@pytest.mark.parametrize("data, key, expected", [
    ({"n_envs": "eight"}, "'n_envs'", "integer"),
    ({"total_timesteps": 1.5}, "'total_timesteps'", "integer"),
    ({"seed": [1]}, "'seed'", "integer"),
    ({"save_replay_buffer": "yes"}, "'save_replay_buffer'", "bool"),
    ({"learner_kwargs": {"learning_rate": "fast"}}, "'learner_kwargs.learning_rate'", "number"),
    ({"learner_kwargs": {"batch_size": 64.5}}, "'learner_kwargs.batch_size'", "integer"),
    ({"learner_kwargs": {"policy_kwargs": {"net_arch": [64, "x"]}}},
     "'learner_kwargs.policy_kwargs.net_arch[1]'", "integer"),
    ({"wrappers": {"reward_shaping": {"joint_weight": "lots"}}},
     "'wrappers.reward_shaping.joint_weight'", "number"),
    ({"env_kwargs": "hurdle"}, "'env_kwargs'", "mapping"),
    ({"eval_all_starts": 61}, "'eval_all_starts'", "bool"),
    ({"best_model_by": "speed"}, "'best_model_by'", "one of reward, time"),
    ({"best_min_success": 1.5}, "'best_min_success'", "a number in [0, 1]"),
])
def test_wrong_type_names_key_expected_type_and_value(data, key, expected):
    msg = error(data)
    assert key in msg and expected in msg
    value = next(iter(data.values()))
    while isinstance(value, dict):
        value = next(iter(value.values()))
    shown = value[1] if isinstance(value, list) and len(value) > 1 else value
    assert repr(shown) in msg


def test_unknown_algorithm_lists_the_known_ones():
    msg = error({"algorithm": "SAC"})
    assert "'algorithm'" in msg and "'SAC'" in msg
    for name in ("QRDQN", "DQN", "PPO", "A2C", "RecurrentPPO"):
        assert name in msg


def test_env_kwargs_are_checked_by_envoptions_and_named():
    assert "'env_kwargs.frames_per_step'" in error({"env_kwargs": {"frames_per_step": 0}})
    msg = error({"env_kwargs": {"hurdles": False}})
    assert "'env_kwargs.hurdles'" in msg and "max_episode_steps" in msg


def test_activation_and_reserved_keys():
    msg = error({"learner_kwargs": {"policy_kwargs": {"activation_fn": "swishy"}}})
    assert "'learner_kwargs.policy_kwargs.activation_fn'" in msg and "relu" in msg
    assert "'learner_kwargs.seed'" in error({"learner_kwargs": {"seed": 3}})
    assert "'learner_kwargs.env'" in error({"learner_kwargs": {"env": "x"}})
    assert "'save_replay_buffer'" in error({"algorithm": "PPO", "save_replay_buffer": True})


def test_yaml_exponent_strings_are_numbers():
    # PyYAML reads "1e-3" (no dot) as a string; the schema takes it as the number it looks like.
    cfg = TrainConfig.from_dict(yaml.safe_load("total_timesteps: 2e5\nlearner_kwargs: {learning_rate: 1e-3}"))
    assert cfg.total_timesteps == 200_000 and isinstance(cfg.total_timesteps, int)
    assert cfg.learner_kwargs["learning_rate"] == 0.001


def test_activation_name_becomes_a_torch_class():
    import torch.nn as nn

    cfg = TrainConfig.from_dict({"algorithm": "PPO", "learner_kwargs": {
        "policy_kwargs": {"net_arch": {"pi": [32], "vf": [16]}, "activation_fn": "Tanh"}}})
    pk = cfg.learner_kwargs_for_sb3()["policy_kwargs"]
    assert pk["activation_fn"] is nn.Tanh and pk["net_arch"] == {"pi": [32], "vf": [16]}
    assert cfg.learner_kwargs["policy_kwargs"]["activation_fn"] == "tanh"  # config.yml stays YAML


@pytest.mark.parametrize("algorithm", ALGORITHMS)
def test_resolved_config_round_trips(algorithm, tmp_path):
    cfg = TrainConfig.from_dict({"algorithm": algorithm.lower(), "env_kwargs": {"hurdle": False}})
    assert cfg.algorithm == algorithm
    assert cfg.env_kwargs["hurdle"] is False and "frames_per_step" in cfg.env_kwargs  # every option
    assert cfg.learner_kwargs["device"] == "cpu" and "learning_rate" in cfg.learner_kwargs
    dump_config(cfg, tmp_path / "c.yml", "header line")
    assert (tmp_path / "c.yml").read_text().startswith("# header line\n")
    assert load_config(tmp_path / "c.yml") == cfg


@pytest.mark.parametrize("path", CONFIGS, ids=[p.name for p in CONFIGS])
def test_shipped_configs_validate(path):
    cfg = load_config(path)
    assert cfg.total_timesteps > 0


def test_shipped_configs_exist():
    names = {p.name for p in CONFIGS}
    assert {"quick.yml", "runner_ppo.yml", "runner_qrdqn.yml"} <= names


def test_quick_path_spends_its_budget_learning():
    # The regression this guards: a 100k-step QR-DQN run with
    # learning_starts=100000 never updates its network.
    cfg = load_config(ROOT / "config" / "quick.yml")
    lk = cfg.learner_kwargs
    assert cfg.algorithm == "QRDQN" and cfg.total_timesteps == 100_000
    assert lk["learning_starts"] <= cfg.total_timesteps // 10
    train_freq = lk["train_freq"] if isinstance(lk["train_freq"], int) else lk["train_freq"][0]
    updates = (cfg.total_timesteps - lk["learning_starts"]) // (cfg.n_envs * train_freq) * lk["gradient_steps"]
    assert updates >= 10_000


def test_bad_config_file_fails_before_any_run_folder(tmp_path, capsys):
    from qwop_fast.cli import main

    bad = tmp_path / "bad.yml"
    bad.write_text("algorithm: QRDQN\nlearner_kwargs:\n  gradient_step: 4\n")
    runs = tmp_path / "runs"
    assert main(["train", "--config", str(bad), "--runs-dir", str(runs)]) == 2
    err = capsys.readouterr().err
    assert "'learner_kwargs.gradient_step'" in err and "gradient_steps" in err and "bad.yml" in err
    assert not runs.exists()


def test_missing_and_invalid_yaml_files(tmp_path):
    with pytest.raises(ConfigError, match="does not exist"):
        load_config(tmp_path / "nope.yml")
    (tmp_path / "x.yml").write_text("algorithm: [unclosed\n")
    with pytest.raises(ConfigError, match="not valid YAML"):
        load_config(tmp_path / "x.yml")
    (tmp_path / "y.yml").write_text("- a\n- b\n")
    with pytest.raises(ConfigError, match="mapping"):
        load_config(tmp_path / "y.yml")
