"""The command line: output shapes, exit statuses, nothing half-written."""

from __future__ import annotations

import io
import json
import math
import re
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


def test_compare_of_several_prints_one_compact_summary(tmp_path: Path):
    """``compare BASE A B C`` (and ``--all``) prints one row per scenario, each on one line at
    the longest library names, short enough that the 18 library comparisons fit ~40 lines;
    ``--detail`` gives every comparison its headline sentence and full table."""
    longest_scenario = max(library_names(), key=len)
    base = tmp_path / "baseline_varsinais_suomi.toml"
    base.write_text(SMALL_SCENARIO.format(name="baseline_varsinais_suomi"), encoding="utf-8")
    names = [longest_scenario, "caseload_30", "caseload_90"]
    paths = []
    for name, caseload in zip(names, (60.0, 30.0, 90.0), strict=True):
        path = tmp_path / f"{name}.toml"
        path.write_text(SMALL_SCENARIO.format(name=name) + f"""
[public_office]
caseload = {{ value = {caseload}, assumption = "test" }}
""", encoding="utf-8")
        paths.append(str(path))
    common = ("--replications", "2", "--workers", "1", "--no-store")
    result = pilotsim("compare", str(base), *paths, *common)
    assert result.returncode == 0, result.stderr
    lines = result.stdout.splitlines()
    header = next(line for line in lines if line.split()[:2] == ["scenario", "baseline"])
    for title in ("in work", "activation", "lasting", "net cost", "state", "municip.",
                  "other", "profit"):  # written to a file: never a column left out
        assert title in header, result.stdout
    for name in names:
        rows = [line for line in lines if line.strip().startswith(name)]
        assert len(rows) == 1, (name, result.stdout)
        assert rows[0].count("€") >= 4, rows[0]  # net cost and each payer on the same line
        assert "baseline_varsinais_suomi" in rows[0]  # by its full name, as in the report
    library_comparisons = sum(1 for n in library_names() if load_scenario(n).baseline)
    assert len(lines) - len(names) + library_comparisons <= 42, result.stdout
    detail = pilotsim("compare", str(base), *paths, *common, "--detail")
    assert detail.returncode == 0, detail.stderr
    assert detail.stdout.count("In the target group") == len(names), detail.stdout
    assert detail.stdout.count("placements") > result.stdout.count("placements")


def test_a_summary_wider_than_the_terminal_is_split_never_cut():
    """On a narrow terminal the summary comes as several tables that each fit, each with the
    scenario and its baseline, every column in one of them, in order; to a file, as one
    table at its full width. Rich itself would drop the columns that do not fit."""
    from rich.console import Console

    from simulation.cli.runs import print_summary

    titles = ["scenario", "baseline", *(f"column {i}" for i in range(8))]
    rows = [["pohjois_savo_growth_skills", "varsinais_suomi",
             *(f"+{i},234 k€ ?" for i in range(8))],
            ["pori", "pori", *("–" for _ in range(8))]]
    for width, terminal in ((60, True), (80, True), (120, True), (80, False), (140, False)):
        console = Console(width=width, file=io.StringIO(), force_terminal=terminal,
                          color_system=None, markup=False)
        print_summary(console, "the title", titles, rows)
        lines = console.file.getvalue().splitlines()
        headers = [re.split(r"\s{2,}", line.strip()) for line in lines
                   if line.split()[:2] == ["scenario", "baseline"]]
        shown = [title for header in headers for title in header[2:]]
        assert shown == titles[2:], lines  # every column once, in order
        assert len(headers) > 1 if terminal else len(headers) == 1
        if terminal:
            assert max(len(line.rstrip()) for line in lines) <= width, lines
        for i in range(8):  # no value cut short
            assert sum(line.count(f"+{i},234 k€ ?") for line in lines) == 1, lines
