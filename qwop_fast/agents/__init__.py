"""Pretrained agents shipped with the package, runnable by a short name:

    qwop-fast watch --model runner
    qwop-fast evaluate --model runner --episodes 20

Each agent is a folder here holding ``model.zip``, the ``config.yml`` of the
run that trained it (its env options; the model's run stamp ties the two) and
``best_run.json``, the keys of its fastest evaluation episode
(``qwop-fast evaluate --model NAME --episodes 20 --record-best FILE`` writes
it again), which ``qwop-fast replay`` plays back bit for bit.
``AGENTS`` lists them with what each one is; README "Results" has how they
were trained and how they score.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# name -> one line on what it is
AGENTS: dict[str, str] = {
    "runner": "QR-DQN, config/runner_qrdqn.yml (best of 10M steps, found at 8.37M after 72 min on 2 cores): "
              "100 m from 57 of the 61 starts (intro_frames 0-60) in 58.9 s of game clock on average "
              "(best 55.3 s)",
}


def agent_path(name: str) -> Path:
    """The model file of the shipped agent ``name`` (KeyError if there is none)."""
    if name not in AGENTS:
        raise KeyError(name)
    return Path(str(resources.files(__package__) / name / "model.zip"))


def best_run_path(name: str) -> Path:
    """The shipped agent's best run, a key recording."""
    return agent_path(name).with_name("best_run.json")


def resolve_model(path_or_name: str) -> str:
    """``path_or_name`` itself when it is a file (or not an agent's name),
    else the shipped agent's model file."""
    if path_or_name in AGENTS and not Path(path_or_name).exists():
        return str(agent_path(path_or_name))
    return path_or_name
