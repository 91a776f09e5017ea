"""What a training run logs, through SB3's logger: the outputs
(TensorBoard, CSV, stdout, ...), a write every ``log_every`` timesteps, the
resolved config and its hyperparameters, the time split at the end, and
optionally Weights & Biases.

SB3 alone writes an off-policy run's logs once every ``log_interval``
*episodes* (6 points for a 40k-step quick run); ``PeriodicLogCallback``
writes them on a timestep clock instead, for every algorithm, and SB3's own
episode-driven writes are turned off (``learn(log_interval=None)``).
"""

from __future__ import annotations

import sys
import time
from pathlib import Path
from typing import Any

import numpy as np
import yaml
from stable_baselines3.common.callbacks import BaseCallback
from stable_baselines3.common.logger import HParam, Logger, TensorBoardOutputFormat, make_output_format
from stable_baselines3.common.vec_env import VecEnvWrapper

from ..errors import UserError

class WandbMissing(UserError, ModuleNotFoundError):
    """--wandb without the wandb package."""


def make_logger(run_dir: Path, formats: list[str], *, resumed_at: int | None = None) -> Logger:
    """SB3 Logger with ``formats``: TensorBoard in RUN/tb, CSV in
    RUN/progress.csv (a resumed session writes progress-<steps>.csv: SB3's CSV
    writer starts its file anew), json in RUN/progress.json, text in RUN/log.txt."""
    outputs = []
    for fmt in formats:
        if fmt == "tensorboard":
            outputs.append(make_output_format("tensorboard", str(run_dir / "tb")))
        elif fmt == "stdout":
            outputs.append(make_output_format("stdout", str(run_dir)))
        else:
            suffix = "" if resumed_at is None else f"-{resumed_at}"
            outputs.append(make_output_format(fmt, str(run_dir), log_suffix=suffix))
    return Logger(str(run_dir), outputs)


def hparams(config: Any) -> dict[str, Any]:
    """The config's scalar settings, flattened for TensorBoard's HParams tab
    (it takes numbers, strings and bools only)."""
    flat: dict[str, Any] = {}

    def walk(prefix: str, value: Any) -> None:
        if isinstance(value, dict):
            for k, v in value.items():
                walk(f"{prefix}{k}/" if isinstance(v, dict) else f"{prefix}{k}", v)
        elif isinstance(value, (bool, int, float, str)):
            flat[prefix.rstrip("/")] = value
        elif value is not None:
            flat[prefix.rstrip("/")] = str(value)

    data = config.to_dict()
    for key in ("algorithm", "total_timesteps", "n_envs", "seed"):
        walk(key, data[key])
    walk("env/", data["env_kwargs"])
    walk("learner/", data["learner_kwargs"])
    if data["wrappers"].get("reward_shaping"):
        walk("reward_shaping/", data["wrappers"]["reward_shaping"])
    return flat


def log_config(logger: Logger, config: Any, step: int) -> None:
    """The resolved config as TensorBoard text and as hparams, written once."""
    text = yaml.safe_dump(config.to_dict(), sort_keys=False, default_flow_style=None)
    metrics = {"rollout/ep_rew_mean": 0.0, "rollout/ep_distance_mean": 0.0, "eval/mean_reward": 0.0}
    # TensorBoard's text plugin renders Markdown: a code block keeps the YAML as it is.
    values = {"config": "```yaml\n" + text + "```", "hparams": HParam(hparams(config), metrics)}
    # Straight to the TensorBoard writers: the other outputs cannot show
    # text or hparams, and a dump of nothing else would make them warn.
    for fmt in logger.output_formats:
        if isinstance(fmt, TensorBoardOutputFormat):
            fmt.write(values, {k: None for k in values}, step)


class PeriodicLogCallback(BaseCallback):
    """Writes the logs every ``every`` timesteps: the means of the recent
    episodes (reward, length, distance, success; SB3's window of 100), the
    speed, the elapsed time, the timing split so far, and whatever the
    algorithm recorded since the last write (train/loss, ...)."""

    def __init__(self, every: int, phase_timer: Any = None) -> None:
        super().__init__()
        self.every = every
        self.phase_timer = phase_timer
        self._next = 0
        self._t0 = 0.0
        self._n0 = 0

    def _on_training_start(self) -> None:
        self._t0 = time.perf_counter()
        self._n0 = self.model.num_timesteps
        self._next = (self.model.num_timesteps // self.every + 1) * self.every

    def _on_step(self) -> bool:
        if self.model.num_timesteps >= self._next:
            self.write()
            self._next = (self.model.num_timesteps // self.every + 1) * self.every
        return True

    def write(self) -> None:
        model, log = self.model, self.logger
        buf = list(model.ep_info_buffer or [])
        if buf:
            log.record("rollout/ep_rew_mean", float(np.mean([ep["r"] for ep in buf])))
            log.record("rollout/ep_len_mean", float(np.mean([ep["l"] for ep in buf])))
            for key, name in (("distance", "ep_distance_mean"), ("is_success", "success_rate")):
                values = [float(ep[key]) for ep in buf if key in ep]
                if values:
                    log.record(f"rollout/{name}", float(np.mean(values)))
        elapsed = time.perf_counter() - self._t0
        log.record("time/total_timesteps", model.num_timesteps)
        log.record("time/time_elapsed", round(elapsed, 1))
        if elapsed > 0:
            log.record("time/fps", int((model.num_timesteps - self._n0) / elapsed))
        if hasattr(model, "exploration_rate"):
            log.record("rollout/exploration_rate", float(model.exploration_rate))
        if self.phase_timer is not None and elapsed > 0:
            env_s = self.phase_timer.step_timer.seconds
            log.record("time/env_step_fraction", round(env_s / elapsed, 3))
        log.dump(model.num_timesteps)

    def _on_training_end(self) -> None:
        self.write()


def log_timing(logger: Logger, timing: dict[str, Any], step: int) -> None:
    """This session's time split (timing.json's numbers) as timing/* scalars."""
    for key, value in timing.items():
        if isinstance(value, (int, float)) and not isinstance(value, bool):
            logger.record(f"timing/{key}", value)
    logger.dump(step)


def start_wandb(run_dir: Path, config: Any) -> Any:
    """A Weights & Biases run mirroring the TensorBoard logs (``sync_tensorboard``),
    with the resolved config. Only with --wandb, and only if wandb is installed."""
    try:
        import wandb
    except ModuleNotFoundError:
        raise WandbMissing("--wandb needs the wandb package: pip install wandb "
                           "(set WANDB_MODE=offline to log without an account or network)") from None
    print(f"wandb: logging run {run_dir.name} (project qwop-fast)", file=sys.stderr)
    return wandb.init(project="qwop-fast", name=run_dir.name, dir=str(run_dir), config=config.to_dict(),
                      sync_tensorboard=True, resume="allow", id=run_dir.name)


class EpisodeEndTimesteps(VecEnvWrapper):
    """Adds ``info["timesteps"]`` to each ending step: the run's total
    timesteps (all envs) when the episode ended. VecMonitor writes it as a
    monitor.csv column, so ``qwop-fast plot`` has the real step count of every
    episode (the rows of n envs interleave, and a running sum of their
    lengths only counts finished episodes)."""

    def __init__(self, venv: Any, start: int = 0) -> None:
        super().__init__(venv)
        self.count = start

    def reset(self):
        return self.venv.reset()

    def step_wait(self):
        obs, rewards, dones, infos = self.venv.step_wait()
        self.count += self.num_envs
        for i in np.flatnonzero(dones):
            infos[i]["timesteps"] = self.count
        return obs, rewards, dones, infos
