"""Loading trained models (qwop_fast.training.checkpoints) and qwop-fast watch."""

import json
import re
import zipfile

import pytest

import imageio.v3 as iio
import torch

from qwop_fast import QWOPVecEnv
from qwop_fast.training.checkpoints import (ModelError, detect_algorithm, find_run_config, load_env_kwargs, load_model,
                              read_env_kwargs)

torch.set_num_threads(1)
SMALL = {"net_arch": [16]}  # tiny networks: these tests check plumbing, not learning


def make_model(name, venv):
    import sb3_contrib
    import stable_baselines3

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
    (run / "config.yml").write_text("# a run config\nalgorithm: DQN\nenv_kwargs:\n"
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
    assert config == run_dir / "config.yml"
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
    with pytest.raises(ModelError, match="is not valid YAML"):
        read_env_kwargs(config)
    config.write_text("env_kwargs: 5\n")
    with pytest.raises(ModelError, match="env_kwargs must be a mapping"):
        read_env_kwargs(config)
    # A config that contradicts the model: 9 actions in the env, 16 in the model.
    config.write_text("env_kwargs:\n  reduced_action_set: true\n")
    model_path = tmp_path / "m.zip"
    model_path.write_bytes(saved_models["PPO"].read_bytes())
    with pytest.raises(ModelError, match="has 16 actions, but the env has 9"):
        load_env_kwargs(model_path, load_model(model_path))


def test_watch_writes_a_gif_with_one_frame_per_state(run_dir, tmp_path, capsys, run_command):
    out = tmp_path / "watch.gif"
    model = run_dir / "checkpoints" / "model_64.zip"
    code = run_command("watch", ["--model", str(model), "--episodes", "2", "--max-steps", "12",
                                    "--output", str(out)])
    text = capsys.readouterr().out
    assert code == 0, text
    assert f"env options from {run_dir / 'config.yml'}" in text
    steps = [int(n) for n in re.findall(r"(\d+) steps", text)]
    assert len(steps) == 2 and all(1 <= n <= 12 for n in steps)
    frames = iio.imread(out, index=None)
    # One frame for each reset and each step (the HUD clock makes every frame distinct).
    assert frames.shape == (sum(n + 1 for n in steps), 400, 640, 3)
    assert "at 15 fps" in text  # real game speed: 30 / frames_per_step 2


def test_watch_recurrent_stochastic_in_a_window(saved_models, capsys, run_command):
    code = run_command("watch", ["--model", str(saved_models["RecurrentPPO"]), "--max-steps", "5",
                                    "--stochastic", "--fps", "500"])
    assert code == 0
    assert re.search(r"episode 1: .* 5 steps", capsys.readouterr().out)


@pytest.mark.parametrize("argv, problem", [
    (["--model", "{tmp}/missing.zip"], "model file '.*missing.zip' does not exist"),
    (["--model", "{tmp}/bad.zip"], "bad.zip' is not a zip archive"),
    (["--model", "{tmp}/bad.zip", "--output", "{tmp}/out.png"], "must end in .gif or .mp4"),
])
def test_watch_user_errors_are_one_line_messages(tmp_path, capsys, argv, problem, run_command):
    (tmp_path / "bad.zip").write_text("garbage")
    assert run_command("watch", [a.format(tmp=tmp_path) for a in argv]) == 2
    err = capsys.readouterr().err
    assert err.startswith("qwop-fast watch: error:") and re.search(problem, err)
    assert "Traceback" not in err


def test_watch_argument_checks(capsys, run_command):
    for bad in (["--episodes", "0"], ["--fps", "0"], ["--max-steps", "-1"], ["--fps", "nan"]):
        with pytest.raises(SystemExit):
            run_command("watch", ["--model", "m.zip", *bad])
        assert "error: argument" in capsys.readouterr().err
