"""Training throughput: SB3 fps of the project's own QR-DQN and PPO
settings on QWOPVecEnv against SubprocVecEnv of QWOPEnv."""

from __future__ import annotations

import functools
import random
import time
from typing import Any, Callable

from bench.cases import SINGLE, VEC, subproc, summary

# The project's own learner settings: QR-DQN as the quick path trains
# (`qwop-fast train`, config/quick.yml), PPO as config/runner_ppo.yml.
TRAIN_CONFIGS = {"QR-DQN": "quick.yml", "PPO": "runner_ppo.yml"}


def training_learners(steps: int, n_envs: int, quick: bool) -> dict[str, dict[str, Any]]:
    """Per algorithm: class, SB3 keyword arguments and a JSON-able record of
    them. Identical for both backends; changed from the config only where a
    short budget needs it: QR-DQN starts learning after 10% of the budget
    (so most measured steps include updates, as in a real run) and --quick
    shortens PPO's rollouts so that a tiny budget still holds several."""
    out: dict[str, dict[str, Any]] = {}
    for algo, name in TRAIN_CONFIGS.items():
        from qwop_fast.training.config import bundled_config, load_config

        cfg = load_config(bundled_config(name))
        cls, kwargs = cfg.algorithm_class(), cfg.learner_kwargs_for_sb3()
        record, source = dict(cfg.learner_kwargs), f"config/{name}"
        changes: dict[str, Any] = {}
        if algo == "QR-DQN":
            changes["learning_starts"] = max(1, steps // 10)
        elif quick:
            changes["n_steps"] = 64
            changes["batch_size"] = min(kwargs.get("batch_size", 64), 64 * n_envs)
        kwargs.update(changes)
        kwargs.update(verbose=0, device="cpu")
        kwargs.setdefault("policy", "MlpPolicy")
        out[algo] = {"cls": cls, "kwargs": kwargs, "source": source,
                     "hyperparameters": {**record, **changes},
                     "changed_for_benchmark": changes}
    return out


def run_training(n_envs: int, cores: int, fps: int, steps: int, repeats: int, torch_threads: int,
                 seed: int, quick: bool, log: Callable[[str], None]) -> list[dict[str, Any]]:
    import torch
    from stable_baselines3.common.vec_env import SubprocVecEnv, VecMonitor

    from qwop_fast.env import QWOPEnv
    from qwop_fast.vec_env import QWOPVecEnv

    torch.set_num_threads(torch_threads)
    learners = training_learners(steps, n_envs, quick)
    envs = {
        VEC: VecMonitor(QWOPVecEnv(n_envs, num_threads=cores, frames_per_step=fps)),
        subproc(SINGLE): VecMonitor(SubprocVecEnv(
            [functools.partial(QWOPEnv, frames_per_step=fps) for _ in range(n_envs)])),
    }
    samples: dict[tuple[str, str], list[float]] = {(a, b): [] for a in learners for b in envs}
    order = list(samples)
    shuffle = random.Random(seed)
    try:
        for r in range(repeats):
            shuffle.shuffle(order)
            for algo, backend in order:
                learner = learners[algo]
                # Built outside the timing, as SB3's own fps counter does.
                model = learner["cls"](env=envs[backend], seed=seed, **learner["kwargs"])
                t0 = time.perf_counter()
                model.learn(total_timesteps=steps)
                fps_ = model.num_timesteps / (time.perf_counter() - t0)
                samples[(algo, backend)].append(fps_)
                log(f"  train round {r + 1}/{repeats}  {algo:6s} {backend:24s} {fps_:10.0f} steps/s "
                    f"(learn {time.perf_counter() - t0:.1f} s)")
                del model
    finally:
        for venv in envs.values():
            venv.close()
    return [{"algo": a, "backend": b, "n_envs": n_envs, "env_threads": cores if b == VEC else None,
             "torch_threads": torch_threads, "total_timesteps": steps,
             "learner": f"{learners[a]['cls'].__name__} from {learners[a]['source']}",
             "hyperparameters": learners[a]["hyperparameters"],
             "changed_for_benchmark": learners[a]["changed_for_benchmark"],
             "steps_per_s": summary(s)} for (a, b), s in samples.items()]
