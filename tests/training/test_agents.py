"""The pretrained agents shipped with the package: loadable by name, and
their recorded best runs replay bit for bit on today's physics."""

from __future__ import annotations

import json

import pytest

from qwop_fast.agents import AGENTS, agent_path, best_run_path, resolve_model
from qwop_fast.cli import main
from qwop_fast.recording import load
from qwop_fast.replay import replay


@pytest.mark.parametrize("name", sorted(AGENTS))
def test_shipped_files_exist(name):
    assert agent_path(name).is_file() and agent_path(name).with_name("config.yml").is_file()
    assert resolve_model(name) == str(agent_path(name))


@pytest.mark.parametrize("name", sorted(AGENTS))
def test_best_run_replays_bit_for_bit(name):
    rec = load(best_run_path(name))
    result = replay(rec, render=False)
    assert result["distance"] == rec.final_distance
    assert rec.is_success


def test_evaluate_and_record_the_shipped_agent_by_name(tmp_path, monkeypatch, capsys):
    monkeypatch.chdir(tmp_path)  # by name, from anywhere
    out = tmp_path / "best.json"
    assert main(["evaluate", "--model", "runner", "--episodes", "1", "--record-best", str(out)]) == 0
    rec = json.loads(out.read_text())
    assert rec["env_options"]["frames_per_step"] == 4 and len(rec["keys"]) > 0
    assert replay(load(out), render=False)["distance"] == rec["final_distance"]
