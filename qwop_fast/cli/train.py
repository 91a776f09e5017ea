"""Train an agent on QWOPVecEnv (one batched C++ engine, no subprocesses).

Without --config this is the quick path: config/quick.yml, QR-DQN for 100k
timesteps on 8 runners, CPU, a few minutes on 2 cores. Every run writes
runs/<run-id>/:

  config.yml          the resolved config (every env option and algorithm argument)
  monitor.csv         one row per training episode (r, l, t, distance, is_success, and
                      timesteps: the run's total steps when it ended)
  tb/                 TensorBoard logs (tensorboard --logdir runs): rollout/, train/, eval/,
                      time/ every log_every steps, the resolved config (text) and its hparams,
                      timing/ at the end
  progress.csv        the same scalars as CSV (--log-formats; stdout, json and log too)
  checkpoints/        model_<steps>_steps.zip every checkpoint_every timesteps
                      (+ model_replay_buffer_<steps>_steps.pkl with save_replay_buffer)
  best_model.zip      the best model of the periodic evaluations on a separate QWOPEnv
  evaluations.npz     those evaluations (timesteps, rewards, lengths, successes)
  final_model.zip     the model at the end of the budget
  timing.json         where the wall time went: env stepping, policy, gradient updates, eval

Ctrl-C (or SIGTERM) saves a checkpoint and exits; --resume runs/<id> continues from the
latest checkpoint with the same config, keeping the timestep counter and
appending to monitor.csv (give --total-timesteps to extend a finished run).
"""

from __future__ import annotations

import argparse

from .argtypes import key_value, non_negative_int, positive_int, timesteps


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE_OR_NAME",
                        help="training config: a YAML file, or the name of a shipped one (quick, runner_ppo); "
                             "default: the quick path")
    parser.add_argument("--total-timesteps", type=timesteps, metavar="N",
                        help="override total_timesteps (100000, 100_000 or 1e5)")
    parser.add_argument("--n-envs", type=positive_int, metavar="N", help="override n_envs")
    parser.add_argument("--seed", type=non_negative_int, metavar="S", help="override seed")
    parser.add_argument("--init-policy", metavar="MODEL",
                        help="start from this model's policy weights (same algorithm and network), e.g. "
                             "the behaviour-cloned model of `qwop-fast imitate`; overrides init_policy")
    parser.add_argument("--run-id", metavar="ID", help="run folder name (default: <algorithm>_<timestamp>)")
    parser.add_argument("--runs-dir", default="runs", metavar="DIR", help="where run folders go (default: runs)")
    parser.add_argument("--resume", metavar="RUN_DIR",
                        help="continue runs/<id> from its latest checkpoint (same config)")
    parser.add_argument("--env-kwargs", type=key_value, action="append", default=[], metavar="KEY:VALUE",
                        help="override one env option (repeatable), e.g. --env-kwargs frames_per_step:2 "
                             "--env-kwargs hurdle:false (values are YAML)")
    parser.add_argument("--device", metavar="DEVICE",
                        help="torch device of the learner (cpu, cuda, cuda:1, auto); overrides learner_kwargs.device")
    parser.add_argument("--log-formats", metavar="LIST",
                        help="SB3 logger outputs, comma-separated from tensorboard, csv, stdout, json, log "
                             "(default: the config's log_formats, tensorboard,csv; csv writes RUN/progress.csv)")
    parser.add_argument("--log-every", type=positive_int, metavar="N",
                        help="write the logs every N timesteps (default: the config's log_every)")
    parser.add_argument("--wandb", action="store_true",
                        help="also log to Weights & Biases (needs `pip install wandb`; project qwop-fast, "
                             "offline with WANDB_MODE=offline)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress output (without a terminal the progress is a plain line every 10 %%)")


def run(args: argparse.Namespace) -> int:
    from ..training.run import train_from_args

    return train_from_args(args)
