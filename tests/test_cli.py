"""The command line: output shapes, exit statuses, nothing half-written."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from pathlib import Path

import pytest

from simulation.experiments.runner import requests, run_replication
from simulation.params.loading import library_dir, library_names, load_scenario

SEED = 20170801  # the command line's default seed

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
    assert (payload["scenario"], payload["replications"], payload["seed"], payload["weeks"]) \
        == ("small", 2, SEED, 10)
    # the same two replications in this process, and their mean and 95 % interval by hand:
    # with two values a and b the interval is the mean ± t(0.975, 1 df) · |a − b| / 2, and
    # t with one degree of freedom is a Cauchy quantile, tan(0.475 π)
    runs = [run_replication(r) for r in requests(load_scenario(str(small)), 2, SEED)]
    t_1 = math.tan(0.475 * math.pi)
    for name in ("placements", "target_cost_state_eur", "activation_rate_end"):
        a, b = (r.summary[name] for r in runs)
        stats = payload["metrics"][name]
        assert stats["mean"] == pytest.approx((a + b) / 2, rel=1e-12)
        assert stats["ci95_high"] - stats["mean"] == pytest.approx(t_1 * abs(a - b) / 2,
                                                                    rel=1e-9, abs=1e-9)
        assert stats["mean"] - stats["ci95_low"] == pytest.approx(t_1 * abs(a - b) / 2,
                                                                   rel=1e-9, abs=1e-9)


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
    # by hand from the same replications run here: effects are means of the paired
    # differences (other − small, replication by replication), and cost per net placement
    # is the mean cost difference over the mean placement difference (undefined, null,
    # without net extra placements)
    base, pilot = ([run_replication(r) for r in requests(load_scenario(str(path)), 2, SEED)]
                   for path in (small, other))

    def differences(name: str) -> list[float]:
        return [p.summary[name] - b.summary[name] for p, b in zip(pilot, base, strict=True)]
    for name in ("placements", "target_cost_total_eur", "target_activation_rate_end"):
        assert effects[name]["mean"] == pytest.approx(sum(differences(name)) / 2, rel=1e-9,
                                                      abs=1e-12)
    for prefix in ("", "target_"):
        cost = sum(differences(f"{prefix}cost_total_eur")) / 2
        net = sum(differences(f"{prefix}placements")) / 2
        per = effects[f"{prefix}cost_per_net_placement_eur"]["mean"]
        if net > 0:
            assert per == pytest.approx(cost / net, rel=1e-9)
        else:
            assert per is None
    levels = payload["scenarios"]["other"]["metrics"]["placements"]["mean"]
    assert levels == pytest.approx(sum(p.summary["placements"] for p in pilot) / 2)


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
