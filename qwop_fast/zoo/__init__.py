"""rl-baselines3-zoo on the batched engine.

rl-zoo3 builds its training env with SB3's ``make_vec_env``: a DummyVecEnv
of ``n_envs`` single envs, each ``gym.make``'d and wrapped in a Monitor.
Its hook for changing that vec env is the ``vec_env_wrapper``
hyperparameter, which the shipped hyperparameter files set to
``qwop_fast.zoo.BatchedEngine``: it takes the DummyVecEnv zoo built and hands
back one ``QWOPVecEnv`` of the same envs (same env options, episode limit,
seed, render mode, monitor file and info keywords), so training steps all
runners in one C++ call. Zoo saves the hyperparameters with the run, so
``enjoy`` and ``record_video`` rebuild the same vec env.

The hyperparameters (``--conf-file``): ``qwop_fast.zoo.qrdqn`` and
``qwop_fast.zoo.ppo`` (Python modules holding ``hyperparams``, as zoo
accepts), read from ``qrdqn.yml`` and ``ppo.yml`` next to them.

``python -m qwop_fast.zoo SCRIPT ARGS`` runs ``python -m rl_zoo3.SCRIPT ARGS``
with the env registered (Gymnasium 1.x has no plugin loading, and
``record_video`` and ``push_to_hub`` have no ``--gym-packages``); for
``train`` it also picks the shipped hyperparameters of ``--algo`` when no
``--conf-file`` is given.
"""

from __future__ import annotations

import sys
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
#: algorithm -> its shipped zoo hyperparameter file
HYPERPARAMS = {"qrdqn": HERE / "qrdqn.yml", "ppo": HERE / "ppo.yml"}


def load_hyperparams(algo: str) -> dict[str, Any]:
    """The shipped zoo hyperparameters of ``algo`` ({env id: {...}})."""
    import yaml

    return yaml.safe_load(HYPERPARAMS[algo].read_text())


def BatchedEngine(venv: Any) -> Any:  # noqa: N802  (zoo calls it like a wrapper class)
    """rl-zoo3 ``vec_env_wrapper``: zoo's DummyVecEnv of single QWOP envs ->
    ``VecMonitor(QWOPVecEnv(n, ...))`` over one batched engine.

    A window (``render_mode="human"``, zoo's ``enjoy``) keeps zoo's single
    envs: the batched engine renders rgb frames only.
    """
    import gymnasium as gym
    from stable_baselines3.common.monitor import Monitor
    from stable_baselines3.common.vec_env import DummyVecEnv, VecMonitor

    from ..env import QWOPEnv
    from ..vec_env import QWOPVecEnv

    if not isinstance(venv, DummyVecEnv):
        raise TypeError(f"qwop_fast.zoo.BatchedEngine expects rl-zoo3's DummyVecEnv (--vec-env dummy), "
                        f"got {type(venv).__name__}")
    first = venv.envs[0]
    if not isinstance(first.unwrapped, QWOPEnv):
        raise TypeError(f"qwop_fast.zoo.BatchedEngine is for qwop_fast/QWOP-v0, got {first.unwrapped!r}")
    if first.unwrapped.render_mode == "human":
        return venv
    # What zoo put around each env: gym.make's wrappers, the Monitor, and
    # nothing else (an env_wrapper would act on single envs, which are gone).
    monitor, limit, env = None, 0, first
    while isinstance(env, gym.Wrapper):
        if isinstance(env, Monitor):
            monitor = env
        elif isinstance(env, gym.wrappers.TimeLimit):
            limit = env._max_episode_steps
        elif not isinstance(env, (gym.wrappers.OrderEnforcing, gym.wrappers.PassiveEnvChecker)):
            raise ValueError(f"qwop_fast.zoo.BatchedEngine cannot carry the env_wrapper {type(env).__name__}: "
                             "remove env_wrapper from the hyperparameters, or remove vec_env_wrapper")
        env = env.env
    options = {**first.unwrapped.env_options.as_dict(), "max_episode_steps": limit or
               first.unwrapped.env_options.max_episode_steps}
    seeds = venv._seeds  # make_vec_env's vec_env.seed(seed): env i gets seed + i, at the first reset
    seed = seeds[0] if seeds and seeds[0] is not None else None
    path = info_keywords = None
    if monitor is not None:
        info_keywords = monitor.info_keywords
        if monitor.results_writer is not None:
            path = monitor.results_writer.file_handler.name
    n = venv.num_envs
    render_mode = first.unwrapped.render_mode
    monitor_files = [m.results_writer.file_handler.name for m in (_monitor(e) for e in venv.envs)
                     if m is not None and m.results_writer is not None]
    venv.close()
    # The single envs' monitor files hold only their header: one file, written by VecMonitor, replaces them.
    for f in monitor_files:
        if f != path:
            Path(f).unlink(missing_ok=True)
    batched = QWOPVecEnv(n, seed=seed, render_mode=render_mode, **options)
    print(f"qwop_fast.zoo.BatchedEngine: {n} env(s) on one QWOPVecEnv (batched engine, "
          f"{batched.engine.num_threads} thread(s)), max_episode_steps={options['max_episode_steps']}",
          file=sys.stderr)
    return VecMonitor(batched, filename=path, info_keywords=tuple(info_keywords or ()))


def _monitor(env: Any) -> Any:
    from stable_baselines3.common.monitor import Monitor

    while env is not None:
        if isinstance(env, Monitor):
            return env
        env = getattr(env, "env", None)
    return None
