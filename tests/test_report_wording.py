"""The report's plain words say what the effects say: the direction word follows the effect's
sign and its interval, in both directions, and money is said as a cost or a saving.

Effects are made by hand here; ``tests/test_report.py`` checks the same against the effects of
a real report's runs.
"""

from __future__ import annotations

import pandas as pd
import pytest

from simulation.engine.results import RunResult
from simulation.experiments.compare import Comparison
from simulation.params.loading import load_scenario
from simulation.report.sections import Section
from simulation.report.wording import summary_paragraphs

ACTIVATION = "the target group's activation rate at the end"
LASTING = "the target group's placements lasting at least 3 months"


def stats(mean: float, low: float, high: float) -> dict[str, float]:
    return {"mean": mean, "ci95_low": low, "ci95_high": high}


@pytest.fixture(scope="module")
def scenarios():
    return load_scenario("baseline"), load_scenario("pirkanmaa")


def words(scenarios, effects: dict, levels: dict | None = None) -> str:
    baseline, pilot = scenarios
    run = RunResult("pirkanmaa", 0, 1, (0,), pd.DataFrame({"week": [1, 2, 3]}), pd.DataFrame(),
                    pd.DataFrame(), {})
    comparison = Comparison(baseline="baseline", scenario="pirkanmaa", levels=levels or {},
                            effects=effects)
    return " ".join(summary_paragraphs(Section(baseline, pilot, comparison, levels or {},
                                               [run], [run])))


def test_a_clear_rise_is_said_as_raises_with_its_size_interval_and_levels(scenarios):
    text = words(scenarios, {"target_activation_rate_end": stats(0.14, 0.12, 0.16)},
                 {"target_activation_rate_end": {"mean": 0.30}})
    assert f"The pilot raises {ACTIVATION} by 14.0 percentage points (95 % CI 12.0 to 16.0)" \
        in text
    assert "lowers" not in text and "no clear change" not in text


def test_a_clear_fall_is_said_as_lowers(scenarios):
    text = words(scenarios, {"target_activation_rate_end": stats(-0.05, -0.07, -0.03),
                             "target_sustained_3m": stats(-120.0, -200.0, -40.0)})
    assert f"The pilot lowers {ACTIVATION} by 5.0 percentage points (95 % CI -7.0 to -3.0)" \
        in text
    assert f"lowers {LASTING} by 120 (95 % CI -200 to -40)" in text
    assert "raises" not in text


def test_an_interval_across_zero_is_no_clear_change_whatever_the_sign(scenarios):
    for mean in (0.01, -0.01):
        text = words(scenarios, {"target_activation_rate_end": stats(mean, -0.02, 0.02)})
        assert f"There is no clear change in {ACTIVATION} ({100 * mean:+.1f} pp" in text
        assert "raises" not in text and "lowers" not in text


def test_clear_and_unclear_effects_are_said_apart(scenarios):
    text = words(scenarios, {"target_activation_rate_end": stats(0.1, 0.05, 0.15),
                             "target_sustained_3m": stats(10.0, -5.0, 25.0)})
    assert f"The pilot raises {ACTIVATION}" in text
    assert f"There is no clear change in {LASTING} (+10" in text


def test_public_cost_is_said_as_a_cost_or_a_saving_by_payer(scenarios):
    more = words(scenarios, {"cost_total_eur": stats(2.5e6, 1e6, 4e6),
                             "cost_state_eur": stats(3e6, 2e6, 4e6),
                             "cost_municipality_eur": stats(-5e5, -9e5, -1e5),
                             "cost_other_eur": stats(2e4, -1e4, 5e4)})
    assert "it costs the public purse 2.5 M€ more (95 % CI 1.0 M€ to 4.0 M€)" in more
    assert "the state pays 3.0 M€ more" in more
    assert "municipalities save 500 k€" in more
    assert "other funds (e.g. unemployment funds) pay 20 k€ more (not clearly different " \
        "from zero)" in more
    less = words(scenarios, {"cost_total_eur": stats(-1.5e6, -2e6, -1e6)})
    assert "it saves the public purse 1.5 M€" in less and "costs the public purse" not in less


def test_fewer_placements_outside_are_called_displacement_only_when_the_target_group_gains(
        scenarios):
    """Displacement means the pilot's clients take jobs others would have got: said when the
    target group's placements rise clearly, not when both groups lose (Pirkanmaa)."""
    fewer_outside = stats(-80.0, -120.0, -40.0)
    gained = words(scenarios, {"outside_placements": fewer_outside,
                               "target_placements": stats(150.0, 100.0, 200.0)})
    assert "(displacement)" in gained
    for target in (stats(-337.0, -400.0, -270.0), stats(20.0, -30.0, 70.0)):
        lost = words(scenarios, {"outside_placements": fewer_outside,
                                 "target_placements": target})
        assert "lowers placements of job seekers outside the target group by 80" in lost
        assert "displacement" not in lost and "take jobs" not in lost


def test_nobody_outside_the_target_group_has_no_outside_sentence(scenarios):
    """Where the target group is everyone (a growth pilot's region), the outside effect is
    0 by construction: not said as 'no clear change (+0, 95 % CI 0 to 0)'."""
    zero = {"outside_placements": stats(0.0, 0.0, 0.0)}
    everyone = {"job_seekers_end": {"mean": 6000.0}, "target_job_seekers_end": {"mean": 6000.0}}
    assert "Outside the target group" not in words(scenarios, zero, everyone)
    some = {"job_seekers_end": {"mean": 6000.0}, "target_job_seekers_end": {"mean": 2000.0}}
    assert "Outside the target group there is no clear change" in words(scenarios, zero, some)
