"""`make bench` runs every script of bench/: each must at least start (its imports, its
arguments), and the privacy bench, which needs no database, must run through on a small
plan. A script that stopped at its imports once ended `make bench` early (2026-12-02)."""

import os
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
SCRIPTS = sorted(path.name for path in (ROOT / "bench").glob("*.py"))


def _run(*args, timeout=120):
    environment = {**os.environ, "DEBUG": "1"}
    environment.pop("DJANGO_SETTINGS_MODULE", None)  # as `make bench` starts them
    return subprocess.run([sys.executable, *args], cwd=ROOT, env=environment,
                          capture_output=True, text=True, timeout=timeout, check=False)


@pytest.mark.parametrize("script", SCRIPTS)
def test_each_bench_script_starts(script):
    done = _run(f"bench/{script}", "--help")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "usage:" in done.stdout


def test_the_privacy_bench_runs_on_a_small_plan():
    done = _run("bench/privacy_bench.py", "--runs", "1", "--metrics", "1")
    assert done.returncode == 0, done.stderr[-2000:]
    assert "publication_decide_per_metric:" in done.stdout
