"""The ``qwop-fast`` command as users type it (issue 13): --version, usage
errors, shipped configs by name, --total-timesteps 1e5, --env-kwargs,
--device, a budget that would train nothing, missing extras, and the logs a
run writes (SB3 logger outputs every log_every steps, config, hparams,
timing) and how ``plot`` reads them. Real training runs, tiny budgets."""

from __future__ import annotations

import csv
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import yaml

from qwop_fast.cli import build_parser, main
from qwop_fast.training.config import find_config, load_config, shipped_config_names
from qwop_fast.training.plot import read_evaluations, read_monitor

TINY = {
    "algorithm": "QRDQN", "total_timesteps": 2000, "n_envs": 4, "seed": 0,
    "env_kwargs": {"max_episode_steps": 120},
    "learner_kwargs": {"learning_starts": 400, "batch_size": 32, "buffer_size": 5000, "target_update_interval": 200,
                       "policy_kwargs": {"net_arch": [32], "n_quantiles": 8}},
    "checkpoint_every": 0, "eval_every": 1000, "eval_episodes": 1,
}


def _config(tmp_path: Path, **changes) -> str:
    path = tmp_path / "tiny.yml"
    path.write_text(yaml.safe_dump({**TINY, **changes}))
    return str(path)


def test_version(capsys):
    import qwop_fast

    with pytest.raises(SystemExit) as exit_:
        main(["--version"])
    assert exit_.value.code == 0 and capsys.readouterr().out.strip() == f"qwop-fast {qwop_fast.__version__}"


def test_unknown_flag_is_reported_with_the_subcommands_usage(capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--no-such-flag"])
    err = capsys.readouterr().err
    assert exit_.value.code == 2 and "usage: qwop-fast train" in err and "--no-such-flag" in err


@pytest.mark.parametrize("text, value", [("100000", 100_000), ("1e5", 100_000), ("100_000", 100_000),
                                         ("2.5e4", 25_000)])
def test_total_timesteps_as_people_write_it(text, value):
    assert build_parser().parse_args(["train", "--total-timesteps", text]).total_timesteps == value


@pytest.mark.parametrize("text", ["1.5", "0", "lots"])
def test_bad_total_timesteps_is_a_usage_error(text, capsys):
    with pytest.raises(SystemExit) as exit_:
        main(["train", "--total-timesteps", text])
    assert exit_.value.code == 2 and "--total-timesteps" in capsys.readouterr().err


def test_shipped_configs_by_name_from_anywhere(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # not the repository
    assert {"quick", "runner_ppo"} <= set(shipped_config_names())
    assert find_config("runner_ppo") == find_config("runner_ppo.yml")
    assert load_config(find_config("runner_ppo")).algorithm == "PPO"
    assert main(["train", "--config", "runner_ppo", "--n-envs", "2", "--total-timesteps", "512",
                 "--run-id", "ppo", "--no-progress"]) == 0
    assert load_config(tmp_path / "runs" / "ppo" / "config.yml").algorithm == "PPO"
    assert main(["train", "--config", "runner_pop"]) == 2
    err = capsys.readouterr().err
    assert "'runner_pop' does not exist" in err and "runner_ppo" in err


def test_a_budget_within_learning_starts_is_refused(tmp_path, capsys):
    assert main(["train", "--total-timesteps", "1000", "--runs-dir", str(tmp_path)]) == 2  # quick: starts at 5000
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and "learning_starts" in err and "train nothing" in err
    assert not any(tmp_path.iterdir())  # no run folder left behind


def test_env_kwargs_and_device(tmp_path, capsys):
    cfg = _config(tmp_path, total_timesteps=800, eval_every=0)
    assert main(["train", "--config", cfg, "--runs-dir", str(tmp_path / "runs"), "--run-id", "kw", "--no-progress",
                 "--env-kwargs", "frames_per_step:2", "--env-kwargs", "hurdle:false",
                 "--env-kwargs", "intro_frames:[0, 10]", "--device", "cpu"]) == 0
    resolved = load_config(tmp_path / "runs" / "kw" / "config.yml")
    assert resolved.env_kwargs["frames_per_step"] == 2 and resolved.env_kwargs["hurdle"] is False
    assert resolved.env_kwargs["intro_frames"] == (0, 10) and resolved.learner_kwargs["device"] == "cpu"
    capsys.readouterr()
    assert main(["train", "--config", cfg, "--env-kwargs", "frames_per_stp:2", "--runs-dir", str(tmp_path)]) == 2
    assert "frames_per_stp" in capsys.readouterr().err
    assert main(["train", "--config", cfg, "--device", "gpu0", "--runs-dir", str(tmp_path)]) == 2
    assert "--device 'gpu0'" in capsys.readouterr().err
    with pytest.raises(SystemExit):
        main(["train", "--env-kwargs", "frames_per_step"])  # no value: a usage error
    assert main(["train", "--resume", str(tmp_path / "runs" / "kw"), "--env-kwargs", "hurdle:true"]) == 2
    assert "--env-kwargs cannot be combined with --resume" in capsys.readouterr().err


def _blocked(module: str, argv: list[str]) -> subprocess.CompletedProcess:
    # A fresh interpreter in which `import <module>` fails as when it is not
    # installed (None in sys.modules makes the import raise ModuleNotFoundError).
    code = (f"import sys; sys.modules[{module!r}] = None\n"
            f"from qwop_fast.cli import main\nsys.exit(main({argv!r}))\n")
    return subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)


@pytest.mark.parametrize("module, argv, extra", [
    ("matplotlib", ["plot", "runs/x"], "render"),
    ("pygame", ["play"], "render"),
    ("psutil", ["bench", "--quick"], "bench"),
    ("stable_baselines3", ["watch", "--model", "m.zip"], "train"),
])
def test_missing_extras_say_what_to_install(module, argv, extra):
    proc = _blocked(module, argv)
    assert proc.returncode == 2, proc.stderr
    assert f"pip install 'qwop-fast[{extra}]'" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def test_wandb_flag_without_wandb(tmp_path, capsys):
    pytest.importorskip("yaml")
    try:
        import wandb  # noqa: F401
        pytest.skip("wandb is installed here")
    except ImportError:
        pass
    cfg = _config(tmp_path, total_timesteps=800, eval_every=0)
    assert main(["train", "--config", cfg, "--runs-dir", str(tmp_path / "r"), "--wandb", "--no-progress"]) == 2
    assert "pip install wandb" in capsys.readouterr().err


# ------------------------------------------------------------------- logs
@pytest.fixture(scope="module")
def logged_run(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("logs")
    cfg = _config(tmp)
    code = main(["train", "--config", cfg, "--runs-dir", str(tmp / "runs"), "--run-id", "tiny", "--no-progress",
                 "--log-formats", "tensorboard,csv,stdout", "--log-every", "500"])
    assert code == 0
    return tmp / "runs" / "tiny"


def test_logs_are_written_on_a_timestep_clock(logged_run):
    with (logged_run / "progress.csv").open() as f:
        every = list(csv.DictReader(f))
    rows = [r for r in every if r.get("time/total_timesteps")]
    steps = [int(float(r["time/total_timesteps"])) for r in rows]
    # every 500 steps, not every 50 episodes (the evaluation at 1000 writes its own row too)
    assert sorted(set(steps)) == [500, 1000, 1500, 2000]
    for key in ("rollout/ep_rew_mean", "rollout/ep_distance_mean", "rollout/success_rate", "time/fps",
                "train/loss", "rollout/exploration_rate"):
        assert any(r.get(key) for r in rows), key
    assert every[-1].get("timing/wall_s")  # the time split, at the end


def test_tensorboard_has_the_config_hparams_and_scalars(logged_run):
    from tensorboard.backend.event_processing.event_accumulator import EventAccumulator

    (events,) = (logged_run / "tb").rglob("events.out.tfevents*")
    acc = EventAccumulator(str(events), size_guidance={"tensors": 0, "scalars": 0})
    acc.Reload()
    tags = acc.Tags()
    assert "config/text_summary" in tags["tensors"]
    text = acc.Tensors("config/text_summary")[0].tensor_proto.string_val[0].decode()
    assert "learning_starts: 400" in text
    assert [e.step for e in acc.Scalars("rollout/ep_rew_mean")][:4] == [500, 1000, 1500, 2000]
    assert "timing/env_step_s" in tags["scalars"] and "eval/mean_reward" in tags["scalars"]
    assert b"_hparams_" in events.read_bytes() and b"learner/batch_size" in events.read_bytes()


def test_monitor_has_real_step_counts_and_plot_uses_them(logged_run, tmp_path, capsys):
    episodes = read_monitor(logged_run / "monitor.csv")
    steps = episodes.timesteps
    assert episodes.steps is not None and np.all(np.diff(steps) >= 0) and steps[-1] <= 2000
    # 4 envs interleave: the real count runs ahead of the finished-episode sum
    assert steps[-1] > np.cumsum(episodes.length)[-1]
    evals = read_evaluations(logged_run)
    assert evals is not None and evals.timesteps.tolist() == [1000.0, 2000.0]
    out = tmp_path / "two.png"
    assert main(["plot", str(logged_run), str(logged_run / "monitor.csv"), "--output", str(out)]) == 0
    assert out.is_file() and "2 evaluations" in capsys.readouterr().out
    assert main(["plot", str(logged_run)]) == 0 and (logged_run / "learning_curves.png").is_file()
