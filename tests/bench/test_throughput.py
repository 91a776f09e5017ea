"""bench/throughput.py (`qwop-fast bench`): the quick benchmark writes its
three files with the expected rows. Speeds are machine-dependent and never
checked here."""

import argparse
import json
import shlex
import subprocess
import sys

import pytest

from bench import throughput
from qwop_fast.cli import bench as bench_command


def test_bench_command_runs_the_benchmark_and_it_parses_its_options():
    assert (bench_command.SOURCE_ROOT / "bench" / "throughput.py").is_file()
    parser = argparse.ArgumentParser()
    throughput.configure_parser(parser)
    args = parser.parse_args(["--quick", "--n-envs", "1,8", "--threads", "1,2", "--seconds", "0.5",
                              "--repeats", "3", "--output-dir", "out", "--skip-training"])
    assert args.n_envs == (1, 8) and args.threads == (1, 2) and args.seconds == 0.5 and args.repeats == 3
    # The command written into RESULTS.md reproduces the options.
    again = parser.parse_args(shlex.split(throughput.command_line(args))[2:])
    assert vars(again) == vars(args)
    for bad in (["--n-envs", "0"], ["--seconds", "-1"], ["--threads", "x"]):
        with pytest.raises(SystemExit):
            parser.parse_args(bad)


def test_quick_benchmark_writes_markdown_json_and_png(tmp_path):
    # A separate process: the benchmark starts worker processes and engine
    # threads, and `qwop-fast bench` (which runs `python -m bench.throughput`)
    # is the entry point to test.
    out = tmp_path / "bench"
    proc = subprocess.run([sys.executable, "-m", "qwop_fast", "bench", "--quick", "--output-dir", str(out)],
                          capture_output=True, text=True, timeout=300)
    assert proc.returncode == 0, proc.stderr[-3000:]

    report = json.loads((out / "results.json").read_text())
    cores = report["machine"]["usable_cores"]
    rows = {(r["backend"], r["n_envs"], r["threads"], r["processes"]) for r in report["results"]}
    for n in report["settings"]["n_envs"]:
        assert ("raw", n, 1, None) in rows and ("QWOPVecEnv", n, 1, None) in rows
        if cores > 1 and n >= cores:
            assert ("raw", n, cores, None) in rows and ("QWOPVecEnv", n, cores, None) in rows
            assert ("raw (processes)", n, None, cores) in rows
    backends = {r["backend"] for r in report["results"]}
    expected = {"QWOPEnv", "DummyVecEnv[QWOPEnv]", "SubprocVecEnv[QWOPEnv]"}
    try:
        import qwop_fast.reference  # noqa: F401
        expected |= {"ReferenceQWOPEnv", "DummyVecEnv[ReferenceQWOPEnv]", "SubprocVecEnv[ReferenceQWOPEnv]"}
    except ImportError:
        pass
    assert expected <= backends
    for r in report["results"]:
        s = r["steps_per_s"]
        assert len(s["samples"]) == report["settings"]["repeats"]
        assert 0 < s["min"] <= s["median"] <= s["max"]
    assert {(t["algo"], t["backend"]) for t in report["training"]} == {
        (a, b) for a in ("PPO", "QR-DQN") for b in ("QWOPVecEnv", "SubprocVecEnv[QWOPEnv]")}
    assert report["memory"]["engine"]["bytes_per_env"] > 0
    assert {"cpu", "usable_cores", "python", "numpy", "torch", "date"} <= set(report["machine"])
    assert len(report["ratios"]["targets"]) == 3

    md = (out / "RESULTS.md").read_text()
    assert md.strip() in proc.stdout  # printed as well as written
    for text in ("qwop-fast bench --quick", "## Env throughput", "| QWOPVecEnv |", "| raw |", "| QWOPEnv |",
                 "SubprocVecEnv[QWOPEnv]", "## Ratios", "## Memory", "## Training throughput",
                 "| PPO |", "| QR-DQN |", "## Targets", report["machine"]["cpu"]):
        assert text in md, text

    png = (out / "throughput.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n" and len(png) > 10_000
