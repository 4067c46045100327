"""`pilotsim calibrate --method abc` on a tiny case: the same command gives the same posterior,
its report has the diagnostics, and bad input is one line with exit status 2."""

from __future__ import annotations

from pathlib import Path

import pandas as pd
from typer.testing import CliRunner

from simulation.cli.main import app
from simulation.experiments.posterior import read_posterior

TARGETS = ("target_id,scenario,metric,scope,value,unit,tolerance,weight,use,status,source\n"
           "act,baseline,activation_rate_mean,region,0.30,share,0.02,1,fit,,s\n"
           "trend,baseline,unemployed_end_ratio,region,0.81,ratio,0.05,1,fit,,s\n"
           "ltu,baseline,long_term_unemployed/unemployed@end,region,0.3,share,0.05,1,"
           "validate,,s\n")
TINY_PRIORS = """
[parameter.separation]
path = "flows.separation_per_week"
distribution = "uniform"
lower = 0.004
upper = 0.016
source = "test"

[parameter.inflow]
path = "flows.inflow_per_week"
distribution = "uniform"
lower = 0.006
upper = 0.014
source = "test"

[parameter.meeting_effect]
path = "public_office.meeting_effect"
distribution = "normal"
mean = 0.31
sd = 0.1
lower = 0.0
upper = 0.8
fit = false
source = "test"

[parameter.pirkanmaa_caseload]
scenarios = ["pirkanmaa"]
path = "interventions.coaching.caseload"
distribution = "uniform"
lower = 70.0
upper = 107.0
assumption = "test"
"""


def _calibrate(tmp_path: Path, out: str) -> Path:
    (tmp_path / "targets.csv").write_text(TARGETS, encoding="utf-8")
    (tmp_path / "priors.toml").write_text(TINY_PRIORS, encoding="utf-8")
    result = CliRunner().invoke(app, [
        "calibrate", "--method", "abc", "--targets", str(tmp_path / "targets.csv"),
        "--priors", str(tmp_path / "priors.toml"), "--population", "10", "--generations", "2",
        "--scale", "0.006", "--ppc-draws", "2", "--report-scale", "0.006", "--workers", "1",
        "--seed", "3", "--out", str(tmp_path / out),
        "--abc-db", str(tmp_path / f"{out}-db")])
    assert result.exit_code == 0, result.output
    return tmp_path / out


def test_calibrate_abc_on_a_tiny_case_is_reproducible_and_reports(tmp_path):
    first, second = _calibrate(tmp_path, "one"), _calibrate(tmp_path, "two")
    a, b = read_posterior(first / "posterior.parquet"), read_posterior(second / "posterior.parquet")
    pd.testing.assert_frame_equal(a.draws, b.draws)
    assert a.version == b.version
    # the pilot lever (no fit rows of its pilot) and the fit = false prior keep their prior
    assert a.meta["fitted"] == ["separation", "inflow"]
    assert a.draws["meeting_effect"].between(0.0, 0.8).all()
    assert a.draws["pirkanmaa_caseload"].between(70, 107).all()
    assert a.draws["separation"].between(0.004, 0.016).all()
    report = (first / "posterior.md").read_text(encoding="utf-8")
    for words in ("ESS", "acceptance", "Marginals against the priors", "| ltu | validate |",
                  "prior only", "s of wall time per simulation"):
        assert words in report, words
    assert len(a.meta["generations"]) == 2 and a.meta["ppc"][0]["draws"] == 2


def test_bad_abc_inputs_are_one_line_with_exit_2(tmp_path):
    bad = tmp_path / "priors.toml"
    bad.write_text("[parameter.x]\npath = \"flows.separation_per_week\"\n", encoding="utf-8")
    result = CliRunner().invoke(app, ["calibrate", "--method", "abc", "--priors", str(bad),
                                      "--check"])
    assert result.exit_code == 2
    assert f"error: {bad}: parameter.x.distribution: must be one of" in result.output
    assert "Traceback" not in result.output
    result = CliRunner().invoke(app, ["calibrate", "--method", "bayes", "--check"])
    assert result.exit_code == 2 and "--method: must be msm or abc" in result.output
    # paths are checked before any work, as for the simulated-moments method (issue 17)
    result = CliRunner().invoke(app, ["calibrate", "--method", "abc", "--priors", str(tmp_path),
                                      "--check"])
    assert result.exit_code == 2 and "--priors" in result.output and "is a folder" in \
        result.output
    taken = tmp_path / "a-file"
    taken.write_text("", encoding="utf-8")
    result = CliRunner().invoke(app, ["calibrate", "--method", "abc", "--abc-db", str(taken),
                                      "--population", "10"])
    assert result.exit_code == 2 and "--abc-db" in result.output and "is a file" in \
        result.output
    assert not any(tmp_path.glob("*.sqlite3"))
