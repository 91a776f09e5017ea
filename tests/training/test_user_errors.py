"""User mistakes and hostile files (issue 12, items 4 to 7), each in a child
process: one short line, exit code 2, no traceback, before any work."""

from __future__ import annotations

import base64
import json
import os
import pickle
import textwrap
import zipfile
from pathlib import Path

import pytest

# Each case: (command line, text the one-line error must contain). Run by
# one child process through the real CLI, so the whole batch costs one
# interpreter start.
CASES_CODE = """
import contextlib, io, json, sys
from qwop_fast.cli import main
cases = json.loads(sys.argv[1])
out = []
for argv, _ in cases:
    err = io.StringIO()
    with contextlib.redirect_stderr(err), contextlib.redirect_stdout(io.StringIO()):
        try:
            code = main(argv)
        except SystemExit as exc:  # argparse's own errors
            code = exc.code
    out.append({"code": code, "err": err.getvalue()})
print(json.dumps(out))
"""


def _bomb(levels: int = 9) -> str:
    # 9 levels of 9 aliases: a ~400-byte file naming 9**9 (387 million) strings.
    lines = ['a0: &a0 ["lol","lol","lol","lol","lol","lol","lol","lol","lol"]']
    for i in range(1, levels):
        lines.append(f"a{i}: &a{i} [" + ",".join([f"*a{i - 1}"] * 9) + "]")
    return "\n".join(lines) + f"\nenv_kwargs: *a{levels - 1}\n"


def test_user_mistakes_are_one_line_and_exit_code_2(tmp_path, child, saved_models):
    locked = tmp_path / "locked"
    locked.mkdir()
    os.chmod(locked, 0o500)
    binary = tmp_path / "binary.yml"
    binary.write_bytes(bytes(range(256)))
    latin1 = tmp_path / "latin1.yml"
    latin1.write_bytes("seed: 0  # café\n".encode("latin-1"))
    deep = tmp_path / "deep.json"
    deep.write_text("[" * 100_000 + "]" * 100_000)
    bomb = tmp_path / "bomb.yml"
    bomb.write_text(_bomb())
    huge = tmp_path / "huge.yml"
    huge.write_text("n_envs: 1000000\n")
    model = str(saved_models["DQN"])
    a_file = tmp_path / "a_file"
    a_file.write_text("")
    cases = [
        # Unwritable for root too: a folder below a file.
        (["evaluate", "--random", "--episodes", "1", "--output", str(a_file / "sub")], "is a file, not a folder"),
        (["watch", "--model", model, "--output", str(a_file / "x.gif")], "is a file, not a folder"),
        (["evaluate", "--random", "--episodes", "1", "--output", str(locked / "sub")], "cannot be written"),
        (["evaluate", "--random", "--seed", "-5"], "must be an integer >= 0"),
        (["train", "--config", str(binary)], "binary file"),
        (["train", "--config", str(latin1)], "not UTF-8"),
        (["train", "--config", str(tmp_path)], "is a directory"),
        (["train", "--config", str(bomb)], "aliases"),
        (["train", "--config", str(huge), "--runs-dir", str(tmp_path / "runs")], "'n_envs'"),
        (["replay", str(deep), "--output", str(tmp_path / "r.gif")], "nested too deeply"),
        (["watch", "--model", model, "--output", str(locked / "x.gif")], "cannot be written"),
        (["watch", "--model", model, "--output", str(tmp_path / "no.txt")], "must end in .gif or .mp4"),
    ]
    if os.geteuid() == 0:  # root writes anywhere: the permission cases prove nothing
        cases = [c for c in cases if str(locked) not in c[0][-1]]
    proc = child(CASES_CODE.replace("sys.argv[1]", repr(json.dumps(cases))), timeout=120)
    assert proc.returncode == 0, proc.stderr[-3000:]
    results = json.loads(proc.stdout.strip().splitlines()[-1])
    for (argv, expected), got in zip(cases, results):
        # One error line; argparse's own errors put its usage lines above it.
        lines = [ln for ln in got["err"].strip().splitlines() if not ln.startswith(("usage:", " "))]
        assert got["code"] == 2, (argv, got)
        assert len(lines) == 1 and len(lines[0]) < 500, (argv, got["err"][:1000])
        assert "Traceback" not in got["err"] and expected in lines[0], (argv, lines)
    assert not (tmp_path / "runs").exists()  # refused before a run folder was made


def test_alias_bomb_under_a_memory_limit(tmp_path, child):
    """The bomb in a config and in the config.yml beside a model, with the
    child's address space capped 300 MiB above what it uses after imports:
    a clear error, never a MemoryError or the OOM killer."""
    (tmp_path / "bomb.yml").write_text(_bomb())
    run = tmp_path / "run"
    run.mkdir()
    (run / "config.yml").write_text("# qwop-fast train: resolved config of run run\n" + _bomb())
    code = textwrap.dedent(f"""
        import json, resource
        from qwop_fast.memory import _address_space_used
        from qwop_fast.training.config import ConfigError, load_config
        from qwop_fast.training.checkpoints import ModelError, read_env_kwargs
        limit = _address_space_used() + (300 << 20)
        resource.setrlimit(resource.RLIMIT_AS, (limit, limit))
        out = []
        for fn, arg, err in ((load_config, {str(tmp_path / 'bomb.yml')!r}, ConfigError),
                             (read_env_kwargs, {str(run / 'config.yml')!r}, ModelError)):
            try:
                fn(arg)
                out.append("accepted")
            except err as exc:
                out.append(str(exc))
        print(json.dumps(out))
    """)
    proc = child(code, timeout=60)
    assert proc.returncode == 0, proc.stderr[-3000:]
    messages = json.loads(proc.stdout.strip().splitlines()[-1])
    assert all("aliases" in m and len(m) < 300 for m in messages), messages


class _Payload:
    """Unpickling this runs ``open(marker, "w")``: the stand-in for a shell command."""

    def __init__(self, marker: Path) -> None:
        self.marker = str(marker)

    def __reduce__(self):
        return (open, (self.marker, "w"))


def _crafted(src: Path, dst: Path, marker: Path, extra_key: bool) -> Path:
    payload = {":type:": "<class 'object'>",
               ":serialized:": base64.b64encode(pickle.dumps(_Payload(marker))).decode()}
    with zipfile.ZipFile(src) as zin, zipfile.ZipFile(dst, "w") as zout:
        for name in zin.namelist():
            raw = zin.read(name)
            if name == "data":
                data = json.loads(raw)
                # Poisoned where SB3 would unpickle: the policy class's pickle
                # and the runtime state; optionally an entry of its own.
                data["policy_class"][":serialized:"] = payload[":serialized:"]
                data["ep_info_buffer"] = payload
                if extra_key:
                    data["innocent_looking"] = payload
                raw = json.dumps(data).encode()
            zout.writestr(name, raw)
    return dst


@pytest.mark.parametrize("extra_key", [False, True])
def test_a_crafted_model_runs_no_code_unless_trusted(tmp_path, saved_models, run_command, capsys, extra_key):
    marker = tmp_path / "marker"
    model = _crafted(saved_models["DQN"], tmp_path / "final_model.zip", marker, extra_key)
    code = run_command("evaluate", ["--model", str(model), "--episodes", "1"])
    err = capsys.readouterr().err
    assert not marker.exists(), "loading the model ran its pickled code"
    if extra_key:
        assert code == 2 and "'innocent_looking' is pickled Python code" in err and "--trust-model" in err
    else:
        assert code == 0, err
    # --trust-model is the full SB3 load: the payload runs (so the test's payload is real).
    run_command("evaluate", ["--model", str(model), "--episodes", "1", "--trust-model"])
    capsys.readouterr()
    assert marker.exists()
