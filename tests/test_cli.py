"""The command line: output shapes, exit statuses, nothing half-written."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest

from simulation.params.loading import library_dir, library_names

SMALL_SCENARIO = """
[scenario]
extends = "baseline"
name = "{name}"
baseline = "baseline"
weeks = {{ value = 10, assumption = "short test run" }}
[region]
job_seekers = {{ value = 1500, assumption = "small test region" }}
firms = {{ value = 40, assumption = "small test region" }}
"""


def pilotsim(*args: str, cwd: Path | None = None) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "simulation.cli", *args], capture_output=True,
                          text=True, cwd=cwd, timeout=600)


@pytest.fixture()
def small(tmp_path: Path) -> Path:
    path = tmp_path / "small.toml"
    path.write_text(SMALL_SCENARIO.format(name="small"), encoding="utf-8")
    return path


def test_every_shipped_scenario_validates():
    files = sorted(str(p) for p in library_dir().glob("*.toml"))
    assert len(files) >= 10
    result = pilotsim("validate", *files)
    assert result.returncode == 0, result.stderr
    assert result.stdout.count("ok:") == len(files)


def test_list_shows_every_scenario():
    result = pilotsim("list")
    assert result.returncode == 0, result.stderr
    for name in library_names():
        assert name[:20] in result.stdout


def test_run_json_has_the_documented_shape(small: Path):
    result = pilotsim("run", str(small), "--replications", "2", "--json", "--workers", "1",
                      "--no-store")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    assert {"scenario", "replications", "seed", "weeks", "metrics"} <= set(payload)
    for name in ("placements", "sustained_3m", "activation_rate_end", "unemployed_end",
                 "long_term_unemployed_end", "cost_total_eur", "cost_state_eur",
                 "cost_municipality_eur"):
        stats = payload["metrics"][name]
        assert stats["ci95_low"] <= stats["mean"] <= stats["ci95_high"]


def test_compare_json_has_effects_per_scenario(tmp_path: Path, small: Path):
    other = tmp_path / "other.toml"
    other.write_text(SMALL_SCENARIO.format(name="other") + """
[public_office]
caseload = { value = 60.0, assumption = "test" }
""", encoding="utf-8")
    result = pilotsim("compare", str(small), str(other), "--replications", "2", "--json",
                      "--workers", "1", "--no-store")
    assert result.returncode == 0, result.stderr
    payload = json.loads(result.stdout)
    effects = payload["scenarios"]["other"]["effects"]
    assert {"mean", "ci95_low", "ci95_high"} <= set(effects["placements"])
    assert "target_cost_per_net_placement_eur" in effects


def test_compare_refuses_to_overwrite_csv(tmp_path: Path, small: Path):
    csv = tmp_path / "effects.csv"
    csv.write_text("keep me", encoding="utf-8")
    result = pilotsim("compare", str(small), str(small), "--replications", "1", "--csv",
                      str(csv), "--no-store")
    assert result.returncode == 2
    assert result.stderr.startswith("error: ") and len(result.stderr.strip().splitlines()) == 1
    assert csv.read_text(encoding="utf-8") == "keep me"


def test_bad_scenario_is_one_line_and_exit_2(tmp_path: Path):
    bad = tmp_path / "bad.toml"
    bad.write_text('[scenario]\nextends = "baseline"\n[public_office]\n'
                   'caseloda = { value = 1, source = "x" }\n', encoding="utf-8")
    result = pilotsim("run", str(bad), "--replications", "1", "--no-store")
    assert result.returncode == 2
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1 and "caseload" in lines[0] and str(bad) in lines[0]
    assert "Traceback" not in result.stderr
