"""Tune hyperparameters with Optuna: many short trainings of the base config
with sampled values, each scored by evaluations on a separate QWOPEnv and
pruned early when it falls behind. The study lives in an Optuna storage, so
rerunning the command continues it, and several workers (--n-jobs here, or
the same command on other machines with a shared --storage) share one study;
every worker stops when the study holds --n-trials trials.

  qwop-fast tune --config config/quick.yml --n-trials 8 --n-timesteps 20000 --study quick
  qwop-fast tune --config config/quick.yml --n-trials 64 --study big \\
      --storage postgresql://USER:PASSWORD@HOST/DB      # on each machine

The search space is YAML (--search; defaults for QRDQN, DQN and PPO in
config/search/, whose qrdqn.yml describes the format). Metrics (of the
last evaluation of a trial): mean_distance (m, maximised), success_rate
(maximised), time_to_100m (game-clock seconds, minimised; an episode that
does not finish counts its time projected to 100 m at its pace, capped at
1000 s). runs/<study>/ holds:

  study.db                   the default storage (SQLite)
  trial_<n>/                 each trial's run folder (final_model.zip, monitor.csv, tb/)
  trials.csv, trials.md      every trial: state, value, metrics, timesteps, time, parameters
  best_config.yml            the best trial as a training config: qwop-fast train --config ...
  optimization_history.png   Optuna's plots (written at the end of the command)
  param_importances.png

Live view: optuna-dashboard <storage URL>. Ctrl-C ends the trial under way
(marked failed) and keeps the study; a killed worker's trial is marked failed
by the next worker to start a trial once its heartbeat is overdue (and run
again once with the same parameters).
"""

from __future__ import annotations

import argparse

from .argtypes import non_negative_int, positive_float, positive_int

METRIC_NAMES = ("mean_distance", "success_rate", "time_to_100m")  # qwop_fast.training.tune.METRICS


def configure_parser(parser: argparse.ArgumentParser) -> None:
    parser.add_argument("--config", required=True, metavar="BASE.yml",
                        help="the base training config (e.g. config/quick.yml)")
    parser.add_argument("--search", metavar="SPACE.yml",
                        help="search space (YAML); default: config/search/<algorithm>.yml")
    parser.add_argument("--n-trials", type=positive_int, required=True, metavar="N",
                        help="trials the study should hold in all (over every worker and rerun)")
    parser.add_argument("--study", required=True, metavar="NAME", help="study name (and folder runs/NAME)")
    parser.add_argument("--storage", metavar="URL",
                        help="SQLAlchemy URL of the study storage (default: sqlite in runs/NAME/study.db)")
    parser.add_argument("--n-jobs", type=positive_int, default=1, metavar="K",
                        help="parallel trials on this machine, as worker processes (default 1); "
                             "the cores are shared between them")
    parser.add_argument("--runs-dir", default="runs", metavar="DIR", help="where study folders go (default: runs)")
    budget = parser.add_argument_group("budgets")
    budget.add_argument("--n-timesteps", type=positive_int, metavar="N",
                        help="env steps per trial (default: the base config's total_timesteps)")
    budget.add_argument("--trial-timeout", type=positive_float, metavar="SECONDS",
                        help="wall-clock limit of one trial's training (then its final evaluation)")
    budget.add_argument("--timeout", type=positive_float, metavar="SECONDS",
                        help="wall-clock limit of this command: no trial starts, and none trains, after it")
    score = parser.add_argument_group("scoring")
    score.add_argument("--metric", choices=METRIC_NAMES, default="mean_distance",
                       help="what a trial is scored by (default mean_distance)")
    score.add_argument("--eval-every", type=non_negative_int, metavar="N",
                       help="env steps between evaluations (the pruner's curve; default: a quarter of "
                            "--n-timesteps; 0: only the final one)")
    score.add_argument("--eval-episodes", type=positive_int, metavar="N",
                       help="episodes per evaluation (default: the base config's eval_episodes)")
    mode = score.add_mutually_exclusive_group()
    mode.add_argument("--deterministic", dest="eval_deterministic", action="store_true", default=None,
                      help="greedy evaluations (default: the base config's eval_deterministic)")
    mode.add_argument("--stochastic", dest="eval_deterministic", action="store_false",
                      help="sampled / epsilon-greedy evaluations")
    search = parser.add_argument_group("search")
    search.add_argument("--sampler", choices=("tpe", "random"), default="tpe", help="Optuna sampler (default tpe)")
    search.add_argument("--pruner", choices=("median", "halving", "none"), default="median",
                        help="Optuna pruner on the evaluation curve (default median)")
    search.add_argument("--seed", type=int, metavar="S",
                        help="sampler seed (worker k of --n-jobs uses S+k; leave it unset on several machines)")
    search.add_argument("--heartbeat", type=positive_int, default=30, metavar="SECONDS",
                        help="trial heartbeat; a trial silent for twice this is marked failed (default 30)")


def run(args: argparse.Namespace) -> int:
    from ..training.tune import tune_from_args

    return tune_from_args(args)
