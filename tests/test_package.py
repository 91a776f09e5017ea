"""``import qwop_fast``: the env library alone, without the training stack."""

import subprocess
import sys


def test_import_and_step_without_torch_or_sb3():
    # A fresh interpreter: this test process has imported torch long ago.
    code = ("import sys, qwop_fast\n"
            "env = qwop_fast.QWOPEnv()\n"
            "env.reset()\n"
            "env.step(1)\n"
            "heavy = [m for m in ('torch', 'stable_baselines3', 'sb3_contrib', 'yaml', 'rich') if m in sys.modules]\n"
            "assert not heavy, heavy\n")
    proc = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=120)
    assert proc.returncode == 0, proc.stderr


def test_the_installed_package_has_no_benchmark_module():
    import importlib.util

    assert importlib.util.find_spec("qwop_fast.benchmark") is None


def test_qwop_vec_env_is_loaded_on_first_use():
    import qwop_fast
    from qwop_fast.vec_env import QWOPVecEnv

    assert qwop_fast.QWOPVecEnv is QWOPVecEnv
