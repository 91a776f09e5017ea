"""Loading saved models and their run configs (qwop_fast.training.checkpoints)."""

import json
import zipfile

import pytest

from qwop_fast.training.checkpoints import (ModelError, detect_algorithm, find_run_config, load_env_kwargs, load_model,
                                            read_env_kwargs, run_config_header)


def test_each_algorithm_is_detected_and_loaded(saved_models):
    for name, path in saved_models.items():
        assert detect_algorithm(path) == name
        assert type(load_model(path)).__name__ == name


def test_custom_policy_module_falls_back_to_hyperparameters_and_trying(saved_models, tmp_path):
    # A custom policy class hides the algorithm's module; loading still works.
    for name, path in saved_models.items():
        custom = tmp_path / f"custom_{name}.zip"
        with zipfile.ZipFile(path) as src, zipfile.ZipFile(custom, "w") as dst:
            for entry in src.namelist():
                raw = src.read(entry)
                if entry == "data":
                    data = json.loads(raw)
                    data["policy_class"]["__module__"] = "my_project.policies"
                    raw = json.dumps(data).encode()
                dst.writestr(entry, raw)
        assert type(load_model(custom)).__name__ == name
        # PPO and RecurrentPPO save the same hyperparameters: not settled without the module.
        assert detect_algorithm(custom) == (None if name in ("PPO", "RecurrentPPO") else name)


def test_bad_model_files_are_clear_errors(tmp_path, saved_models):
    with pytest.raises(ModelError, match=r"model file '.*nope\.zip' does not exist"):
        load_model(tmp_path / "nope.zip")
    with pytest.raises(ModelError, match="is a directory"):
        load_model(tmp_path)
    (tmp_path / "text.zip").write_text("not a zip")
    with pytest.raises(ModelError, match=r"text\.zip' is not a zip archive"):
        load_model(tmp_path / "text.zip")
    with zipfile.ZipFile(tmp_path / "other.zip", "w") as z:
        z.writestr("readme.txt", "hello")
    with pytest.raises(ModelError, match="has no 'data' entry"):
        load_model(tmp_path / "other.zip")
    with zipfile.ZipFile(tmp_path / "corrupt.zip", "w") as z:
        z.writestr("data", "{not json")
    with pytest.raises(ModelError, match="corrupt 'data' entry"):
        load_model(tmp_path / "corrupt.zip")
    # Real data but the network weights are gone: every algorithm fails, and says why.
    with zipfile.ZipFile(saved_models["DQN"]) as src, zipfile.ZipFile(tmp_path / "noweights.zip", "w") as dst:
        dst.writestr("data", src.read("data"))
    with pytest.raises(ModelError, match=r"noweights\.zip' could not be loaded by any of DQN, QRDQN"):
        load_model(tmp_path / "noweights.zip")
    truncated = tmp_path / "truncated.zip"
    truncated.write_bytes(saved_models["DQN"].read_bytes()[:500])
    with pytest.raises(ModelError, match="truncated.zip"):
        load_model(truncated)


def test_run_config_is_found_in_the_parent_run_folder(run_dir):
    model_path = run_dir / "checkpoints" / "model_64.zip"
    assert find_run_config(model_path) == run_dir / "config.yml"
    model = load_model(model_path)
    env_kwargs, config = load_env_kwargs(model_path, model)
    assert config == str(run_dir / "config.yml")
    assert env_kwargs == {"frames_per_step": 2, "hurdle": False, "reduced_action_set": True}


def test_without_a_config_the_action_set_follows_the_model(saved_models):
    model = load_model(saved_models["DQN"])  # trained with all 16 actions
    assert load_env_kwargs(saved_models["DQN"], model) == ({"reduced_action_set": False}, None)


def test_bad_run_configs_name_the_file(tmp_path, saved_models):
    config = tmp_path / "config.yml"
    config.write_text("env_kwargs:\n  frames_per_step: 2\n  warp_speed: 9\n")
    with pytest.raises(ModelError, match=r"config\.yml': env_kwargs: unknown env option.*'warp_speed'"):
        read_env_kwargs(config)
    config.write_text("env_kwargs: [1, 2\n")
    with pytest.raises(ModelError, match="not valid YAML"):
        read_env_kwargs(config)
    config.write_text("env_kwargs: 5\n")
    with pytest.raises(ModelError, match="env_kwargs must be a mapping"):
        read_env_kwargs(config)
    # A run config that contradicts the model: 9 actions in the env, 16 in the model.
    config.write_text(f"# {run_config_header(tmp_path.name)}\nenv_kwargs:\n  reduced_action_set: true\n")
    model_path = tmp_path / "m.zip"
    model_path.write_bytes(saved_models["PPO"].read_bytes())
    with pytest.raises(ModelError, match="has 16 actions, but the env has 9"):
        load_env_kwargs(model_path, load_model(model_path))


def test_a_config_not_written_for_the_run_is_ignored(tmp_path, saved_models, capsys):
    # A model copied next to somebody's config.yml: its options are not taken.
    (tmp_path / "config.yml").write_text("env_kwargs:\n  frames_per_step: 7\n")
    model_path = tmp_path / "m.zip"
    model_path.write_bytes(saved_models["PPO"].read_bytes())
    assert find_run_config(model_path) is None
    assert load_env_kwargs(model_path, load_model(model_path)) == ({"reduced_action_set": False}, None)
    assert "note: ignoring" in capsys.readouterr().err
