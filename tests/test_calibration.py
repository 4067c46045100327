"""Calibration: target files, the distance, determinism, sensitivity ranking."""

from __future__ import annotations

import math
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from calibration.evaluation import distance
from calibration.fitted_file import toml_text
from calibration.inputs import FreeParameter, Settings
from calibration.moments import MetricError, parse_metric
from calibration.msm import calibrate
from calibration.sensitivity import run_analysis
from calibration.targets import TargetsError, check_produced, read_observed, read_targets
from simulation.cli.main import app

HEADER = "target_id,scenario,metric,scope,value,unit,tolerance,weight,use,status,source\n"
GOOD = "a,baseline,activation_rate_mean,region,0.3,share,0.02,1,fit,,Ministry\n"


def write(tmp_path: Path, text: str, name: str = "targets.csv") -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


@pytest.mark.parametrize(("text", "line", "column", "words"), [
    ("target_id,scenario,metric,value,unit,weight,use,source\n" + "x,baseline,m,1,,1,fit,s\n",
     1, "tolerance", "missing column"),
    (HEADER + GOOD + "b,baseline,placements,region,lots,n,5,1,fit,,src\n",
     3, "value", "not a number"),
    (HEADER + GOOD + GOOD.replace("a,", "b,", 1), 3, "metric", "duplicate target"),
    (HEADER + GOOD + GOOD, 3, "target_id", "duplicate target"),
    (HEADER + "a,baseline,activation_rate@weekly=3,region,0.3,,0.02,1,fit,,s\n",
     2, "metric", "unknown aggregation"),
    (HEADER + "a,baseline,activation_rate_mean,region,0.3,,0,1,fit,,s\n",
     2, "tolerance", "greater than 0"),
    (HEADER + "a,baseline,activation_rate_mean,region,0.3,,0.1,1,fitted,,s\n",
     2, "use", "must be one of"),
    (HEADER.replace("weight", "wieght") + GOOD, 1, "wieght", "did you mean 'weight'"),
])
def test_bad_targets_name_line_and_column(tmp_path, text, line, column, words):
    with pytest.raises(TargetsError) as caught:
        read_targets(write(tmp_path, text))
    message = str(caught.value)
    assert f"line {line}, column {column}" in message and words in message
    assert "\n" not in message


def test_unknown_metric_is_an_error_unless_pending(tmp_path):
    rows = HEADER + "a,baseline,no_such_metric,region,1,,1,1,validate,,s\n"
    produced = {"baseline": ({"placements"}, {"week", "unemployed"})}
    with pytest.raises(TargetsError, match="line 2, column metric: unknown metric"):
        check_produced(read_targets(write(tmp_path, rows)), produced)
    pending = rows.replace(",validate,,", ",validate,pending,")
    pending += "b,not_written_yet,placements,region,1,,1,1,validate,pending,s\n"
    kept = check_produced(read_targets(write(tmp_path, pending)),
                          {**produced, "not_written_yet": None})
    assert [t.target_id for t in kept] == ["a", "b"]


def test_cli_reports_bad_targets_in_one_line_with_exit_2(tmp_path):
    path = write(tmp_path, HEADER + "a,baseline,placements,region,abc,,1,1,fit,,s\n")
    result = CliRunner().invoke(app, ["calibrate", "--targets", str(path), "--check"])
    assert result.exit_code == 2
    assert "line 2, column value: not a number: 'abc'" in result.output
    assert "Traceback" not in result.output


def test_cli_reports_bad_observations_with_exit_2(tmp_path):
    path = write(tmp_path, "date,metric,value\n2018-01-07,unemployed,7000\n"
                           "2018-01-07,unemployed,7100\n", "observed.csv")
    result = CliRunner().invoke(app, ["calibrate", "--observed", str(path), "--check"])
    assert result.exit_code == 2
    assert "line 3, column metric: duplicate observation" in result.output


def test_observed_series_become_weekly_targets(tmp_path):
    path = write(tmp_path, "date,metric,value,period\n"
                           "2017-08-07,unemployed,8700,\n"
                           "2018-01-31,placements,400,month\n"
                           "2018-01-31,long_term_unemployed/unemployed,0.3,\n", "obs.csv")
    rows = read_observed(path, "baseline", "2017-08-01", 74)
    # stocks in the week containing the date; monthly flows summed over the month's weeks
    assert rows[0].metric.text == "unemployed@week=1"
    assert rows[1].metric.text == "placements@sum=22:27"
    assert rows[2].metric.text == "long_term_unemployed/unemployed@week=27"
    assert rows[0].tolerance == pytest.approx(870.0)  # default: 10 % of the value
    bad = write(tmp_path, "date,metric,value\n2016-01-01,unemployed,1\n", "bad.csv")
    with pytest.raises(TargetsError, match="line 2, column date: .* outside"):
        read_observed(bad, "baseline", "2017-08-01", 74)


def test_metric_grammar():
    assert parse_metric("monthly_to_work[3]").band == 3
    assert parse_metric("monthly_to_services[all]").band is None
    ratio = parse_metric("unemployed_end_ratio")
    assert (ratio.kind, ratio.aggregation, ratio.weeks) == ("weekly", "ratio", ("start", "end"))
    with pytest.raises(MetricError):
        parse_metric("monthly_to_work[9]")
    with pytest.raises(MetricError):
        parse_metric("activation_rate@change=22")


def test_weekly_metrics_sum_columns_and_divide_sums() -> None:
    import pandas as pd

    from calibration.moments import _weekly_value

    table = pd.DataFrame({"week": [1, 2, 3], "a": [1.0, 2.0, 3.0], "b": [10.0, 20.0, 30.0],
                          "c": [2.0, 2.0, 4.0], "w": [float("nan"), 4.0, 6.0]})
    metric = parse_metric("a+b@sum")
    assert metric.columns() == ("a", "b") and metric.sides() == (("a", "b"),)
    assert _weekly_value(metric, table) == 66.0
    assert _weekly_value(parse_metric("a+b@week=2"), table) == 22.0
    assert _weekly_value(parse_metric("a+b/c@sum=2:3"), table) == pytest.approx(55 / 6)
    assert _weekly_value(parse_metric("a/b+c@week=3"), table) == pytest.approx(3 / 34)
    assert _weekly_value(parse_metric("w@mean"), table) == 5.0  # a week with no value is left out
    assert _weekly_value(parse_metric("a+b@change=1:3"), table) == 22.0
    with pytest.raises(MetricError):
        parse_metric("a++b@sum")


def _targets(tmp_path: Path) -> list:
    return read_targets(write(tmp_path, HEADER
                              + "a,baseline,activation_rate_mean,region,0.3,,0.02,1,fit,,s\n"
                              + "b,baseline,placements,region,100,,10,2,fit,,s\n"
                              + "c,baseline,unemployed_end,region,5,,1,1,validate,,s\n"
                              + "d,pirkanmaa,activation_rate_mean,region,0.4,,0.02,1,pilot,,s\n"))


def test_distance_is_zero_at_the_targets_and_grows_away(tmp_path):
    targets = _targets(tmp_path)
    at = {"a": 0.3, "b": 100.0, "c": 5.0}
    assert distance(targets, at) == 0.0
    steps = [distance(targets, {**at, "a": 0.3 + d}) for d in (0.01, 0.02, 0.04)]
    assert 0 < steps[0] < steps[1] < steps[2]
    # weight / tolerance²: one tolerance away costs the row's weight
    assert distance(targets, {**at, "b": 110.0}) == pytest.approx(2.0)
    assert distance(targets, {**at, "a": math.nan}) > 1e5


def test_validate_and_pilot_rows_never_enter_the_distance(tmp_path):
    targets = _targets(tmp_path)
    at = {"a": 0.3, "b": 100.0, "c": 5.0, "d": 0.4}
    assert distance(targets, {**at, "c": 1e9}) == distance(targets, at) == 0.0
    assert distance(targets, {**at, "c": math.nan, "d": math.nan}) == 0.0
    assert distance(targets, {**at, "d": 0.9}) == 0.0  # only the levers' stage fits it


LABORE = "\n".join(
    f"w{b},baseline,monthly_to_work[{b}],region,{v},1/month,{t},1,fit,,Labore"
    for b, (v, t) in enumerate(zip((0.183, 0.093, 0.060, 0.035, 0.016, 0.011, 0.003),
                                   (0.03, 0.015, 0.01, 0.006, 0.004, 0.004, 0.002),
                                   strict=True))) + "\n" + "\n".join(
    f"s{b},baseline,monthly_to_services[{b}],region,{v},1/month,{t},1,fit,,Labore"
    for b, (v, t) in enumerate(zip((0.080, 0.064, 0.044, 0.033, 0.027, 0.025, 0.016),
                                   (0.015, 0.012, 0.009, 0.007, 0.006, 0.006, 0.005),
                                   strict=True))) + "\n"


def _tiny_calibration(tmp_path: Path, name: str, budgets: tuple[int, ...] = (2,)) -> str:
    folder = tmp_path / name
    folder.mkdir()
    targets = read_targets(write(
        folder, HEADER + LABORE
        + "ltu,baseline,long_term_unemployed/unemployed@week=22,region,0.31,,0.03,1,fit,,s\n"
        + "v,baseline,activation_rate_mean,region,0.99,,0.01,1,validate,,s\n"))
    params = [FreeParameter("flows.separation_per_week", 0.004, 0.016, None, "fit", "test")]
    for budget in budgets:  # several budgets: the study is resumed, not restarted
        settings = Settings(budget=budget, seeds=1, seed=7, scale=0.006, workers=1,
                            fixed_point_iterations=1, polish_iterations=1, report_seeds=1,
                            report_scale=0.006)
        outcome = calibrate(targets, params, settings, folder / "study.sqlite3",
                            log=lambda _: None, existing_fit={})
        assert len(outcome.trials) == budget
    assert [r["use"] for r in outcome.rows if r["target_id"] == "v"] == ["validate"]
    return toml_text(outcome.fitted, "# test")


def test_tiny_calibration_is_reproducible(tmp_path):
    first = _tiny_calibration(tmp_path, "one")
    second = _tiny_calibration(tmp_path, "two")
    assert first == second
    assert "separation_per_week" in first and "work_hazard_by_band" in first


def test_resumed_calibration_gives_the_uninterrupted_result(tmp_path):
    assert _tiny_calibration(tmp_path, "resumed", budgets=(1, 2)) == \
        _tiny_calibration(tmp_path, "straight", budgets=(2,))


def test_sensitivity_ranks_the_influential_parameter_first():
    params = [FreeParameter(f"x{i}", 0.0, 1.0, None, "sensitivity", "toy") for i in range(3)]

    def toy(X: np.ndarray) -> np.ndarray:
        return np.column_stack([0.1 * X[:, 0] + 5.0 * X[:, 1] ** 2 + 0.0 * X[:, 2],
                                3.0 * X[:, 2] + 0.2 * X[:, 0]])

    for method, samples in (("morris", 20), ("sobol", 256)):
        table = run_analysis(params, toy, ["y", "z"], method, samples, seed=3)
        first = table[table["rank"] == 1].set_index("output")["parameter"]
        assert first["y"] == "x1" and first["z"] == "x2", method


def test_recheck_rewrites_the_report_and_leaves_the_fit_alone(tmp_path):
    from simulation.params.loading import fitted_tree

    folder = tmp_path / "out"
    folder.mkdir()
    fitted = folder / "fitted.toml"
    fitted.write_text(toml_text(fitted_tree(), "# the fit under test"), encoding="utf-8")
    before = fitted.read_bytes()
    targets = write(tmp_path, HEADER + "w0,baseline,monthly_to_work[0],region,0.183,1/month,"
                    "0.03,1,fit,,Labore\n"
                    + "v,baseline,activation_rate_mean,region,0.99,,0.01,1,validate,,s\n"
                    + "p,baseline,no_such_metric,region,1,,1,1,validate,pending,s\n")
    result = CliRunner().invoke(app, [
        "calibrate", "--recheck", "--targets", str(targets), "--out", str(folder),
        "--report-seeds", "1", "--report-scale", "0.01", "--workers", "1"])
    assert result.exit_code == 0, result.output
    assert fitted.read_bytes() == before
    assert not (folder / "fitted.rejected.toml").exists()
    report = (folder / "report.md").read_text(encoding="utf-8")
    assert "Re-check only" in report and "Search:" not in report
    assert "| v | baseline |" in report and "❌ missed" in report  # 0.99 is out of reach
    assert "| p | baseline |" in report and "not yet simulated" in report
    assert "`labour_market.work_hazard_by_band`" in report  # the values it checked


@pytest.mark.slow
def test_a_rerun_at_the_committed_settings_reproduces_fitted_toml_exactly(tmp_path):
    """README: "rerunning it with the same seed and budget reproduces fitted.toml exactly".

    The committed fit's own command (calibration/report.md), run as by hand: over the
    committed fit, with a fresh Optuna study. About 1.6 minutes on two cores.
    """
    import shutil

    from simulation.cli.calibrate import CALIBRATION

    committed = (CALIBRATION / "fitted.toml").read_text(encoding="utf-8")
    assert "budget 30, seeds 3, seed 2015, scale 0.25" in committed   # the settings below
    out = tmp_path / "out"
    out.mkdir()
    shutil.copy(CALIBRATION / "fitted.toml", out / "fitted.toml")
    result = CliRunner().invoke(app, [
        "calibrate", "--budget", "30", "--seeds", "3", "--scale", "0.25",
        "--polish-iterations", "2", "--report-seeds", "4", "--out", str(out),
        "--study", str(tmp_path / "study.sqlite3")])
    assert result.exit_code == 0, result.output
    assert not (out / "fitted.rejected.toml").exists()   # accepted, and so written over
    assert (out / "fitted.toml").read_text(encoding="utf-8") == committed
