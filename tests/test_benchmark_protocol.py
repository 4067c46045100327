"""The dashboard load benchmark drives the page's callbacks by hand (their inputs and states,
as the renderer sends them): when the page's callbacks change, the benchmark must change with
them. One tiny session through a real server checks that it still gets its answer."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("dash")
pytest.importorskip("psutil")

ROOT = Path(__file__).resolve().parents[1]


def test_the_dashboard_benchmark_still_speaks_the_pages_callbacks(tmp_path) -> None:
    done = subprocess.run(
        [sys.executable, str(ROOT / "benchmarks" / "dashboard_load.py"), "--sessions", "1",
         "--job-seekers", "600", "--weeks", "8", "--replications", "2", "--workers", "1",
         "--timeout", "120", "--store", str(tmp_path / "store")],
        capture_output=True, text=True, timeout=300, cwd=ROOT)
    assert "errors: 0" in done.stdout, done.stdout + done.stderr
    assert "time to first answer: p50 nan" not in done.stdout
