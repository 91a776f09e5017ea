"""Behaviour cloning from key recordings: ``qwop-fast imitate``.

A recording (``qwop-fast play --record``, ``qwop-fast evaluate --record-best``)
holds the keys of a run and the env options it ran with; the physics is
deterministic, so replaying the keys in QWOPEnv gives back every observation
the player saw. Those (observation, action) pairs train the policy network of
a training config (an actor-critic one: PPO, A2C) with the ``imitation``
package's BC, and the result is saved as a model of that config, which
``qwop-fast train --config C --init-policy MODEL`` (config key
``init_policy``) continues with RL: the warm start both record-level QWOP
agents in the literature used.

``imitation`` 1.0.1 pins gymnasium 0.29 and stable-baselines3 2.2, older than
ours, so ``make install`` installs it without its dependencies; its BC runs
on ours (tests/training/test_imitate.py trains with it).
"""

from __future__ import annotations

import argparse
import shutil
import sys
import tempfile
import time
import warnings
from pathlib import Path
from typing import Any

import numpy as np

from .. import atomic
from ..env import QWOPEnv
from ..errors import UserError
from ..recording import Recording, load
from ..vec_env import QWOPVecEnv
from .checkpoints import save_model
from .config import TrainConfig, find_config, load_config

ACTOR_CRITIC = ("PPO", "A2C")


class ImitateError(UserError, ValueError):
    """A user mistake (recordings, config, output); printed without a traceback."""


def _observations(rec: Recording, actions: list[int]) -> np.ndarray:
    """The observation before each recorded step."""
    env = QWOPEnv(**rec.env_options.as_dict())
    try:
        obs, _ = env.reset()
        out = []
        for a in actions:
            out.append(obs)
            obs, _, terminated, truncated, _ = env.step(a)
            if terminated or truncated:
                break
    finally:
        env.close()
    return np.asarray(out, dtype=np.float32)


def imitate(recording_paths: list[str], config: TrainConfig, output: Path, *, epochs: int = 20,
            batch_size: int = 256, seed: int = 0) -> dict[str, Any]:
    """Behaviour-clone the recordings into ``config``'s policy; save the model at ``output``."""
    if config.algorithm not in ACTOR_CRITIC:
        raise ImitateError(f"the config trains {config.algorithm}; behaviour cloning trains an actor-critic "
                           f"policy: use a {' or '.join(ACTOR_CRITIC)} config (e.g. config/runner_ppo.yml)")
    try:
        from imitation.algorithms import bc
        from imitation.data import types
        from imitation.util import logger as imitation_logger
    except ImportError:
        raise ImitateError("qwop-fast imitate needs the imitation package: `make install` installs it, or "
                           "pip install --no-deps imitation==1.0.1 (its pins are older than our gymnasium "
                           "and stable-baselines3; its BC works with ours)") from None
    import torch

    recs = [(p, load(p)) for p in recording_paths]
    obs, acts = _collect(recs, config)
    if len(acts) == 0:
        raise ImitateError("the recordings hold no steps")
    torch.set_num_threads(config.torch_threads)
    # config.n_envs runners: the model is built as train builds it (PPO checks its batch size against them)
    venv = QWOPVecEnv(config.n_envs, num_threads=1, seed=seed, **config.env_kwargs)
    log_dir = tempfile.mkdtemp(prefix="qwop-imitate-")
    try:
        model = config.algorithm_class()(env=venv, seed=seed, **config.learner_kwargs_for_sb3())
        n = len(acts)
        transitions = types.Transitions(obs=obs, acts=acts, infos=np.array([{}] * n),
                                        next_obs=np.concatenate([obs[1:], obs[-1:]]),
                                        dones=np.zeros(n, dtype=bool))
        rng = np.random.default_rng(seed)
        trainer = bc.BC(observation_space=venv.observation_space, action_space=venv.action_space,
                        policy=model.policy, demonstrations=transitions, batch_size=min(batch_size, n),
                        rng=rng, device="cpu",
                        # its own log would print a table to stdout every batch
                        custom_logger=imitation_logger.configure(folder=log_dir, format_strs=[]))
        t0 = time.perf_counter()
        with warnings.catch_warnings():
            # imitation 1.0.1 logs its loss tensors with float(), which torch warns about
            warnings.filterwarnings("ignore", "Converting a tensor with requires_grad")
            trainer.train(n_epochs=epochs, progress_bar=False, log_interval=10**9)
        seconds = time.perf_counter() - t0
        with torch.no_grad():
            predicted, _ = model.predict(obs, deterministic=True)
        accuracy = float(np.mean(predicted == acts))
        save_model(model, output, run_id=output.parent.name or "imitate",
                   config={**config.to_dict(), "init_policy": None})
    finally:
        venv.close()
        shutil.rmtree(log_dir, ignore_errors=True)
    return {"steps": int(n), "recordings": len(recs), "epochs": epochs, "accuracy": accuracy,
            "seconds": round(seconds, 2), "output": str(output)}


def _collect(recs: list[tuple[str, Recording]], config: TrainConfig) -> tuple[np.ndarray, np.ndarray]:
    want = (config.env_kwargs.get("frames_per_step"), config.env_kwargs.get("reduced_action_set"))
    obs_all, act_all = [], []
    for name, rec in recs:
        got = (rec.env_options.frames_per_step, rec.env_options.reduced_action_set)
        if got != want:
            raise ImitateError(f"recording {name}: frames_per_step {got[0]}, reduced_action_set {got[1]}; "
                               f"the config trains with {want[0]}, {want[1]} (steps and actions must match)")
        actions = rec.action_indices(f"recording {name}")
        obs = _observations(rec, actions)
        obs_all.append(obs)
        act_all.append(np.asarray(actions[: len(obs)], dtype=np.int64))
    return np.concatenate(obs_all), np.concatenate(act_all)


def imitate_from_args(args: argparse.Namespace) -> int:
    output = Path(args.output)
    if output.suffix != ".zip":
        raise ImitateError(f"--output {output}: give a .zip file name (the model)")
    problem = atomic.check_writable(output)
    if problem is not None:
        raise ImitateError(f"--output {output} cannot be written: {problem}")
    config = load_config(find_config(args.config))
    doc = imitate(args.recordings, config, output, epochs=args.epochs, batch_size=args.batch_size, seed=args.seed)
    print(f"behaviour cloning: {doc['steps']} steps of {doc['recordings']} recording(s), {doc['epochs']} epochs "
          f"in {doc['seconds']} s; the policy now picks the recorded key on {doc['accuracy']:.1%} of them")
    print(f"wrote {output}; continue with RL: qwop-fast train --config {args.config} --init-policy {output}",
          file=sys.stderr)
    return 0
