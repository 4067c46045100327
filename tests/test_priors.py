"""Priors as data: the shipped priors file, one-line errors for bad ones, and what a drawn number
does to a scenario (value, scale, tilt; fit-wide parameters and pilot levers)."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from calibration.priors import PriorsError, check_priors, read_priors, sample_prior
from simulation.experiments.posterior import Draw, ParameterSpec, apply_draw, transformed

PRIORS = Path(__file__).resolve().parents[1] / "calibration" / "priors.toml"
GOOD = """
[parameter.sep]
path = "flows.separation_per_week"
distribution = "uniform"
lower = 0.004
upper = 0.016
source = "a source"
"""


def write(tmp_path: Path, text: str) -> Path:
    path = tmp_path / "priors.toml"
    path.write_text(text, encoding="utf-8")
    return path


@pytest.fixture(scope="module")
def shipped():
    return check_priors(read_priors(PRIORS), PRIORS)


def test_every_shipped_prior_has_a_source_a_range_and_holds_the_scenario_value(shipped):
    from simulation.params.loading import load_scenario

    assert len(shipped) >= 30
    groups = {p.group for p in shipped}
    assert {"baseline: free parameters of the fit", "service effects", "meetings",
            "pilot levers", "providers"} <= groups
    for prior in shipped:
        assert prior.source.startswith(("source: ", "assumption: ")) and len(prior.source) > 40
        assert prior.lower < prior.upper
        scenario = "baseline" if prior.spec.fit_wide else (
            "outsourcing_generic" if "*" in prior.spec.scenarios else prior.spec.scenarios[0])
        value = load_scenario(scenario).model_dump(mode="json")
        for dotted in prior.spec.paths:
            current = value
            for part in dotted.split("."):
                current = current[part]
            # the model's value today lies inside its prior (a multiplier's 1 for scale/tilt)
            x = current if prior.spec.transform == "value" else 1.0
            assert prior.lower <= x <= prior.upper, (prior.name, dotted, x)


def test_the_meeting_effect_prior_is_huuskonens_estimate(shipped):
    meeting = next(p for p in shipped if p.name == "meeting_effect")
    assert meeting.distribution == "normal" and meeting.mean == 0.31
    assert "Huuskonen 2023" in meeting.source and "standard error" in meeting.source


def test_prior_draws_stay_in_range_and_follow_the_distribution(shipped):
    draws = sample_prior(shipped, 4000, np.random.default_rng(1))
    for prior in shipped:
        x = draws[prior.name]
        assert x.min() >= prior.lower and x.max() <= prior.upper
    meeting = draws["meeting_effect"]
    assert abs(np.median(meeting) - 0.31) < 0.02  # truncation at 0 and 0.8 barely moves it


@pytest.mark.parametrize(("text", "field", "words"), [
    ("[parameter.sep]\npath = 1\n", "parameter.sep.path", "dotted path"),
    (GOOD.replace('distribution = "uniform"', 'distribution = "gamma"'),
     "parameter.sep.distribution", "must be one of uniform, normal, loguniform"),
    (GOOD.replace("upper = 0.016", "upper = 0.001"), "parameter.sep.upper",
     "greater than lower"),
    (GOOD.replace("lower = 0.004", 'lower = "low"'), "parameter.sep.lower", "needs a number"),
    (GOOD.replace('source = "a source"', ""), "parameter.sep.source",
     "exactly one of source or assumption"),
    (GOOD + 'uper = 3\n', "parameter.sep.uper", "did you mean 'upper'"),
    (GOOD.replace('distribution = "uniform"', 'distribution = "normal"\nmean = 0.5\nsd = 0.1'),
     "parameter.sep.mean", "between lower and upper"),
    (GOOD.replace("path = ", 'transform = "stretch"\npath = '), "parameter.sep.transform",
     "must be one of value, scale, tilt"),
    (GOOD + "[other]\nx = 1\n", "other", "unknown table"),
    (GOOD + 'fit = "no"\n', "parameter.sep.fit", "must be true or false"),
    ("[parameter.sep\n", "file", "not valid TOML"),
])
def test_bad_priors_are_one_line_naming_the_field(tmp_path, text, field, words):
    with pytest.raises(PriorsError) as caught:
        read_priors(write(tmp_path, text))
    message = str(caught.value)
    assert f": {field}: " in message and words in message, message
    assert "\n" not in message


@pytest.mark.parametrize(("text", "words"), [
    (GOOD.replace("flows.separation_per_week", "flows.no_such_rate"), "is not a number"),
    (GOOD.replace("flows.separation_per_week", "labour_market.work_hazard_by_band"),
     "is not a number"),
    (GOOD.replace("path = ", 'transform = "tilt"\npath = '), "tilt needs one"),
    (GOOD.replace("upper = 0.016", "upper = 3.0"), "at 3 scenario 'baseline' is not valid"),
    (GOOD.replace("path = ", 'scenarios = ["no_such_pilot"]\npath = '), "does not load"),
])
def test_priors_are_checked_against_the_scenarios(tmp_path, text, words):
    path = write(tmp_path, text)
    with pytest.raises(PriorsError, match=words) as caught:
        check_priors(read_priors(path), path)
    assert str(caught.value).startswith(f"{path}: parameter.sep")


def test_a_missing_priors_file_is_one_line(tmp_path):
    with pytest.raises(PriorsError, match=r"nope.toml: file: no such priors file"):
        read_priors(tmp_path / "nope.toml")


def test_transforms_by_hand():
    assert transformed("value", 0.25, 0.5) == 0.25
    assert transformed("value", 9.6, 13) == 10  # a whole-number field stays whole
    assert transformed("scale", 2.0, [0.1, 0.2]) == [0.2, 0.4]
    tilted = transformed("tilt", 2.0, [1.0] * 7)
    # band b times 2^((b - 3) / 3): band 0 halves, band 3 stays, band 6 doubles
    assert tilted[0] == pytest.approx(0.5) and tilted[3] == 1.0 and tilted[6] == pytest.approx(2)
    assert np.all(np.diff(tilted) > 0)


def test_a_level_and_a_tilt_on_one_profile_compose():
    base = [0.04, 0.02, 0.01, 0.01, 0.004, 0.003, 0.001]
    specs = (ParameterSpec("level", ("labour_market.work_hazard_by_band",), "scale", (),
                           (base,)),
             ParameterSpec("tilt", ("labour_market.work_hazard_by_band",), "tilt", (), (base,)))
    values = Draw(0, {"level": 1.2, "tilt": 1.1}, specs).fit_values()
    expected = [v * 1.2 * 1.1 ** ((b - 3) / 3) for b, v in enumerate(base)]
    assert values["labour_market.work_hazard_by_band"] == pytest.approx(expected)


def test_fit_wide_values_reach_child_scenarios_and_levers_only_their_pilot():
    specs = (ParameterSpec("sep", ("flows.separation_per_week",), "value", (), (0.01,)),
             ParameterSpec("caseload", ("interventions.coaching.caseload",), "value",
                           ("pirkanmaa",)))
    draw = Draw(3, {"sep": 0.0123, "caseload": 81.0}, specs, "post-test")
    pilot, base = apply_draw(draw, "pirkanmaa"), apply_draw(draw, "baseline")
    assert pilot.flows.separation_per_week == base.flows.separation_per_week == 0.0123
    assert pilot.interventions.coaching.caseload == 81.0
    assert "posterior draw 3 (post-test)" in pilot.provenance["interventions.coaching.caseload"]
    turku = apply_draw(draw, "turku_region")  # another pilot's caseload is untouched
    assert turku.interventions.coaching.caseload == 107.0
    assert turku.flows.separation_per_week == 0.0123


def test_every_free_parameter_of_the_fit_has_a_fitted_prior_around_its_fitted_value(shipped):
    # the posterior must cover what the simulated-moments fit frees (params.csv, role fit):
    # a refit that frees a parameter without a prior would leave it at its point in every draw
    from calibration.inputs import read_params
    from simulation.params.loading import fitted_tree

    free = [p for p in read_params(PRIORS.parent / "params.csv") if p.role == "fit"]
    fitted = fitted_tree()
    by_path = {path: p for p in shipped for path in p.spec.paths if p.spec.transform == "value"}
    for parameter in free:
        prior = by_path.get(parameter.path)
        assert prior is not None, f"{parameter.path} has no prior"
        assert prior.fit, f"{parameter.path}'s prior is fit = false"
        assert prior.spec.fit_wide
        node = fitted
        for key in parameter.path.split("."):
            node = node[key]
        value = node["value"] if isinstance(node, dict) else node
        assert prior.lower <= value <= prior.upper, parameter.path
