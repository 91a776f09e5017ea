"""Pretrained agents shipped with the package, runnable by a short name:

    qwop-fast watch --model runner
    qwop-fast evaluate --model runner --episodes 20

Each agent is a folder here holding ``model.zip`` and the ``config.yml`` of the
run that trained it (its env options; the model's run stamp ties the two).
``AGENTS`` lists them with what each one is; README "Results" has how they
were trained and how they score.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

# name -> one line on what it is
AGENTS: dict[str, str] = {
    "runner": "PPO, 20M steps of config/runner_ppo.yml (about an hour on 2 cores): ~111 s to 100 m",
}


def agent_path(name: str) -> Path:
    """The model file of the shipped agent ``name`` (KeyError if there is none)."""
    if name not in AGENTS:
        raise KeyError(name)
    return Path(str(resources.files(__package__) / name / "model.zip"))


def resolve_model(path_or_name: str) -> str:
    """``path_or_name`` itself when it is a file (or not an agent's name),
    else the shipped agent's model file."""
    if path_or_name in AGENTS and not Path(path_or_name).exists():
        return str(agent_path(path_or_name))
    return path_or_name
