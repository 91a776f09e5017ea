"""Train an agent on QWOPVecEnv (one batched C++ engine, no subprocesses).

Without --config this is the quick path: config/quick.yml, QR-DQN for 100k
timesteps on 8 runners, CPU, a few minutes on 2 cores. Every run writes
runs/<run-id>/:

  config.yml          the resolved config (every env option and algorithm argument)
  monitor.csv         one row per training episode (r, l, t, distance, is_success)
  tb/                 TensorBoard logs (tensorboard --logdir runs)
  checkpoints/        model_<steps>_steps.zip every checkpoint_every timesteps
                      (+ model_replay_buffer_<steps>_steps.pkl with save_replay_buffer)
  best_model.zip      the best model of the periodic evaluations on a separate QWOPEnv
  evaluations.npz     those evaluations (timesteps, rewards, lengths, successes)
  final_model.zip     the model at the end of the budget
  timing.json         where the wall time went: env stepping, policy, gradient updates, eval

Ctrl-C saves a checkpoint and exits; --resume runs/<id> continues from the
latest checkpoint with the same config, keeping the timestep counter and
appending to monitor.csv (give --total-timesteps to extend a finished run).
"""

from __future__ import annotations

import argparse

from .argtypes import non_negative_int, positive_int


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", metavar="FILE",
                        help="training config (YAML); default: the quick path, config/quick.yml")
    parser.add_argument("--total-timesteps", type=positive_int, metavar="N", help="override total_timesteps")
    parser.add_argument("--n-envs", type=positive_int, metavar="N", help="override n_envs")
    parser.add_argument("--seed", type=non_negative_int, metavar="S", help="override seed")
    parser.add_argument("--run-id", metavar="ID", help="run folder name (default: <algorithm>_<timestamp>)")
    parser.add_argument("--runs-dir", default="runs", metavar="DIR", help="where run folders go (default: runs)")
    parser.add_argument("--resume", metavar="RUN_DIR",
                        help="continue runs/<id> from its latest checkpoint (same config)")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress output (without a terminal the progress is a plain line every 10 %%)")


def run(args: argparse.Namespace) -> int:
    from ..training.run import train_from_args

    return train_from_args(args)
