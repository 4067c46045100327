"""The posterior's second stage (``calibrate --method abc --stage levers``): a pilot's own
levers fitted to its reported figures, reproducibly, with the baseline's columns left alone and
each pilot's levers kept together; bad requests are one line with exit status 2."""

from __future__ import annotations

import shutil
from pathlib import Path

import numpy as np
import pandas as pd
from typer.testing import CliRunner

from calibration.abc_smc import SmcResult
from calibration.levers import PilotOutcome, PilotStage, own_levers, with_levers
from calibration.priors import Prior
from simulation.cli.main import app
from simulation.experiments.posterior import (
    ParameterSpec,
    read_posterior,
    write_posterior,
)

TARGETS = ("target_id,scenario,metric,scope,value,unit,tolerance,weight,use,status,source\n"
           "act,baseline,activation_rate_mean,region,0.30,share,0.02,1,fit,,s\n"
           "workshops,pori,starts_work_trial@sum,region,1500,episodes,300,1,pilot,,s\n"
           "clients,pori,job_seekers@week=1,region,3500,persons,700,1,validate,,s\n")
PRIORS = """
[parameter.separation]
path = "flows.separation_per_week"
distribution = "uniform"
lower = 0.004
upper = 0.016
source = "test"

[parameter.pori_extra_places]
scenarios = ["pori"]
path = "interventions.service_funding.extra_places_share"
distribution = "uniform"
lower = 0.1
upper = 0.5
assumption = "test"

[parameter.provider_effort_effect]
scenarios = ["*"]
path = "interventions.procurement.effort_effect_max"
distribution = "uniform"
lower = 0.2
upper = 1.0
assumption = "test"
"""
SPECS = [ParameterSpec("separation", ("flows.separation_per_week",), "value", (), (0.01,)),
         ParameterSpec("pori_extra_places", ("interventions.service_funding."
                                             "extra_places_share",), "value", ("pori",)),
         ParameterSpec("provider_effort_effect", ("interventions.procurement."
                                                  "effort_effect_max",), "value", ("*",))]


def _first_stage(folder: Path) -> Path:
    """A small first-stage posterior (a test fixture, not a calibration)."""
    rng = np.random.default_rng(5)
    draws = pd.DataFrame({"separation": rng.uniform(0.009, 0.011, 20),
                          "pori_extra_places": rng.uniform(0.1, 0.5, 20),
                          "provider_effort_effect": rng.uniform(0.2, 1.0, 20)})
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "posterior.parquet"
    write_posterior(path, SPECS, draws, rng.uniform(0.5, 1.5, 20),
                    {"fitted": ["separation"], "seed": 5})
    (folder / "posterior.md").write_text("# Posterior\n\nfirst stage\n", encoding="utf-8")
    return path


def _invoke(tmp_path: Path, out: Path, *extra: str):
    (tmp_path / "targets.csv").write_text(TARGETS, encoding="utf-8")
    (tmp_path / "priors.toml").write_text(PRIORS, encoding="utf-8")
    return CliRunner().invoke(app, [
        "calibrate", "--method", "abc", "--stage", "levers",
        "--targets", str(tmp_path / "targets.csv"), "--priors", str(tmp_path / "priors.toml"),
        "--population", "10", "--generations", "1", "--ppc-draws", "2", "--workers", "1",
        "--seed", "3", "--out", str(out), "--abc-db", str(out / "db"), *extra])


def test_the_second_stage_fits_a_pilots_own_levers_and_is_reproducible(tmp_path):
    before = read_posterior(_first_stage(tmp_path / "one"))
    shutil.copytree(tmp_path / "one", tmp_path / "two")
    for out in ("one", "two"):
        result = _invoke(tmp_path, tmp_path / out)
        assert result.exit_code == 0, result.output
    one = read_posterior(tmp_path / "one" / "posterior.parquet")
    two = read_posterior(tmp_path / "two" / "posterior.parquet")
    pd.testing.assert_frame_equal(one.draws, two.draws)
    assert one.version == two.version != before.version  # stored runs are not reused
    # the baseline's columns and the weights are the first stage's; the lever shared by every
    # scenario keeps its prior draws; the pilot's own lever is redrawn within its prior
    for name in ("separation", "provider_effort_effect"):
        pd.testing.assert_series_equal(one.draws[name], before.draws[name])
    np.testing.assert_allclose(one.weights, before.weights)
    assert not one.draws["pori_extra_places"].equals(before.draws["pori_extra_places"])
    assert one.draws["pori_extra_places"].between(0.1, 0.5).all()
    (stage,) = one.meta["levers"]
    assert stage["scenario"] == "pori" and stage["rows"] == ["workshops"]
    assert stage["levers"] == ["pori_extra_places"]
    assert one.meta["fitted"] == ["separation"]  # levers are drawn apart from the fit's row
    report = (tmp_path / "one" / "posterior.md").read_text(encoding="utf-8")
    assert report.startswith("# Posterior\n\nfirst stage")
    assert report.count("(second stage)") == 1 and "### pori" in report
    assert "| workshops (`starts_work_trial@sum`) | 1,500 ± 300 episodes |" in report
    # run again, the section is replaced, not added
    assert _invoke(tmp_path, tmp_path / "one").exit_code == 0
    report = (tmp_path / "one" / "posterior.md").read_text(encoding="utf-8")
    assert report.count("(second stage)") == 1


def test_bad_second_stage_requests_are_one_line(tmp_path):
    _first_stage(tmp_path / "out")
    unknown = _invoke(tmp_path, tmp_path / "out", "--pilot", "lapland")
    assert unknown.exit_code == 2
    assert "--pilot: no rows of use 'pilot' for lapland" in unknown.output
    assert len(unknown.output.strip().splitlines()) == 1
    msm = CliRunner().invoke(app, ["calibrate", "--stage", "levers", "--check"])
    assert msm.exit_code == 2 and "--stage and --pilot go with --method abc" in msm.output
    wrong = CliRunner().invoke(app, ["calibrate", "--method", "abc", "--stage", "pilots"])
    assert wrong.exit_code == 2 and "--stage: must be baseline or levers" in wrong.output
    # a posterior made without the pilot's lever
    write_posterior(tmp_path / "out" / "posterior.parquet", SPECS[:1],
                    pd.DataFrame({"separation": [0.01, 0.011]}), np.ones(2), {})
    missing = _invoke(tmp_path, tmp_path / "out")
    assert missing.exit_code == 2 and "pori_extra_places not in the posterior" in missing.output


def test_only_a_pilots_own_levers_are_fitted():
    priors = [Prior(spec, "uniform", 0.0, 1.0) for spec in SPECS] + [
        Prior(ParameterSpec("other", ("x",), "value", ("pirkanmaa",)), "uniform", 0.0, 1.0),
        Prior(ParameterSpec("held", ("y",), "value", ("pori",)), "uniform", 0.0, 1.0,
              fit=False)]
    assert [p.name for p in own_levers(priors, "pori")] == ["pori_extra_places"]
    assert [p.name for p in own_levers(priors, "pirkanmaa")] == ["other"]


def test_a_pilots_levers_stay_together_in_the_posterior_file(tmp_path):
    specs = [ParameterSpec("a", ("x.a",), "value", ("pori",)),
             ParameterSpec("b", ("x.b",), "value", ("pori",)),
             ParameterSpec("fit", ("x.c",))]
    path = tmp_path / "p.parquet"
    write_posterior(path, specs, pd.DataFrame({"a": np.zeros(50), "b": np.zeros(50),
                                               "fit": np.arange(50.0)}), np.ones(50), {})
    posterior = read_posterior(path)
    a = np.linspace(0.1, 0.9, 9)
    smc = SmcResult(pd.DataFrame({"a": a, "b": 2 * a}), np.arange(1.0, 10.0),
                    pd.DataFrame(), 0, "test")
    priors = tuple(Prior(s, "uniform", 0.0, 2.0) for s in specs[:2])
    outcome = PilotOutcome(PilotStage("pori", priors, ()), smc, 0.5, 0, 0.0, [], [])
    draws = with_levers(posterior, [outcome], seed=1)
    np.testing.assert_allclose(draws["b"], 2 * draws["a"])  # one particle per row
    np.testing.assert_allclose(draws["fit"], np.arange(50.0))
    # resampled in proportion to the weights: the heavier particles come up more often
    counts = pd.Series(draws["a"]).round(3).value_counts()
    assert counts[0.9] > counts[0.1]
