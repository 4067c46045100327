"""The planner's report (``pilotsim report``): content, safe writing, and that it renders
offline in a headless browser."""

from __future__ import annotations

import html
import os
import re
import shutil
import sys
from pathlib import Path
from unittest.mock import patch

import pytest
from typer.testing import CliRunner

from simulation.cli.main import app
from simulation.experiments.compare import compare_runs, plan_comparisons, significant
from simulation.experiments.runner import execute, requests
from simulation.experiments.store.writer import ResultsStore
from simulation.params.loading import load_scenario
from simulation.report.page import write_report

ARTIFACTS = Path(__file__).parent / "artifacts"
SMALL = """
[region]
job_seekers = { value = 1500, assumption = "small test population" }
firms = { value = 50, assumption = "small test population" }
"""


def small_pair(folder: Path) -> tuple[Path, Path]:
    base, pilot = folder / "small_base.toml", folder / "small_pilot.toml"
    base.write_text('[scenario]\nextends = "baseline"\nname = "small_base"\n'
                    'weeks = { value = 12, assumption = "short test run" }\n' + SMALL)
    pilot.write_text('[scenario]\nextends = "pirkanmaa"\nbaseline = "small_base.toml"\n'
                     'name = "small_pilot"\n'
                     'weeks = { value = 12, assumption = "short test run" }\n' + SMALL)
    return base, pilot


def report_effects(folder: Path) -> dict[str, dict[str, float]]:
    """The paired effects of the report's runs, read back from its store (the report's seed,
    replications and pairing)."""
    base, pilot = str(folder / "small_base.toml"), str(folder / "small_pilot.toml")
    loaded = {name: load_scenario(name) for name in (base, pilot)}
    to_run, [(base_key, name)] = plan_comparisons({base: [pilot]}, loaded)
    with ResultsStore(folder / "store", fsync=False) as store:
        runs = {key: execute(requests(scenario, 2, 20170801, batch="report"), workers=1,
                             store=store) for key, scenario in to_run.items()}
    return compare_runs(to_run[base_key], loaded[name], runs[name], runs[base_key],
                        20170801).effects


@pytest.fixture(scope="module")
def report(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("report")
    base, pilot = small_pair(folder)
    out = folder / "report.html"
    args = ["report", str(base), str(pilot), "--replications", "2", "--workers", "1",
            "--store", str(folder / "store"), "--out", str(out), "--power",
            "--sizes", "50,200", "--resamples", "40"]
    with patch.object(sys, "argv", ["pilotsim", *args]):  # the command line it records
        result = CliRunner().invoke(app, args)
    assert result.exit_code == 0, result.output
    return out


def test_report_has_every_section(report: Path):
    text = report.read_text(encoding="utf-8")
    for heading in ("In plain words", "Effects with 95 % confidence intervals", "Over time",
                    "Cost by payer and item", "Evaluating the pilot", "Assumptions and sources",
                    "Calibration status", "Reproducibility"):
        assert heading in text, heading
    assert re.search(r"The pilot (raises|lowers)|There is no clear change in", text)
    said = html.unescape(re.sub(r"<[^>]+>", "", text))
    effects = report_effects(report.parent)
    for key, what in (("target_activation_rate_end",
                       "the target group's activation rate at the end"),
                      ("target_long_term_unemployed_end",
                       "the number of long-term unemployed in the target group at the end")):
        effect = effects[key]
        if significant(effect):  # the direction word follows the sign of the effect
            word = "raises" if effect["mean"] > 0 else "lowers"
            assert re.search(rf"The pilot (\S.*; )?{word} {re.escape(what)} by ", said), key
            assert not re.search(rf"(raises|lowers|no clear change in) {re.escape(what)}",
                                 said.replace(f"{word} {what}", "")), key
        else:
            assert f"no clear change in {what} (" in said or f"nor in {what} (" in said, key
            assert f"raises {what}" not in said and f"lowers {what}" not in said, key
    assert "activation rate" in text and "municipalities" in text
    assert "fitted" in text and "assumption" in text and "sourced" in text
    assert "SeedSequence(" in text and "mesa" in text and "numpy" in text
    assert "pilotsim report" in text and "--replications 2" in text
    assert re.search(r"<code>[0-9a-f]{8,}", text)  # run ids of the stored runs


def test_report_is_self_contained(report: Path):
    text = report.read_text(encoding="utf-8")
    assert "plotly.js" in text or "Plotly" in text
    assert not re.search(r"<script[^>]+src=", text)
    assert not re.search(r"<link[^>]+href=", text)
    assert "fonts.googleapis" not in text


def test_existing_report_is_never_overwritten_silently(report: Path, tmp_path: Path):
    before = report.read_bytes()
    result = CliRunner().invoke(app, ["report", "baseline", "pirkanmaa", "--out", str(report)])
    assert result.exit_code == 2
    assert result.output.strip().startswith("error:") and "--force" in result.output
    assert len(result.output.strip().splitlines()) == 1
    assert report.read_bytes() == before
    target = tmp_path / "r.html"
    write_report("one", target)
    with pytest.raises(FileExistsError):
        write_report("two", target)
    write_report("three", target, force=True)
    assert target.read_text() == "three"
    assert [p.name for p in tmp_path.iterdir()] == ["r.html"]  # no temporary left behind


def test_report_without_scenarios_is_a_usage_error():
    result = CliRunner().invoke(app, ["report", "baseline"])
    assert result.exit_code == 2 and result.output.startswith("error:")


def test_report_renders_offline_in_headless_chromium(report: Path):
    chromium = shutil.which("chromium")
    if chromium is None:
        if os.environ.get("CI") == "true":
            pytest.fail("CI: chromium is required for the browser test (apt-get install chromium)")
        pytest.skip("chromium is not installed (apt-get install -y chromium); CI runs this test")
    sync_api = pytest.importorskip("playwright.sync_api") if os.environ.get("CI") != "true" \
        else __import__("playwright.sync_api", fromlist=["sync_playwright"])
    blocked: list[str] = []

    def offline(route):
        if route.request.url.startswith(("file:", "data:", "blob:")):
            route.continue_()
        else:
            blocked.append(route.request.url)
            route.abort()

    ARTIFACTS.mkdir(exist_ok=True)
    with sync_api.sync_playwright() as p:
        browser = p.chromium.launch(executable_path=chromium, args=[
            "--headless", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--no-first-run"])
        try:
            page = browser.new_page(viewport={"width": 1300, "height": 1000})
            page.route("**/*", offline)
            errors: list[str] = []
            page.on("pageerror", lambda exc: errors.append(str(exc)))
            page.goto(report.resolve().as_uri())
            page.wait_for_selector(".js-plotly-plot .main-svg", timeout=30_000)
            plots = page.locator(".js-plotly-plot").count()
            traces = page.locator(".js-plotly-plot .scatterlayer .trace").count()
            page.screenshot(path=str(ARTIFACTS / "report.png"), full_page=False)
            page.locator(".js-plotly-plot").first.screenshot(
                path=str(ARTIFACTS / "report-figure.png"))
        finally:
            browser.close()
    assert plots >= 3  # series, cost, power
    assert traces > 0
    assert not errors, errors
    assert not blocked, blocked
