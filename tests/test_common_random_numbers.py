"""Common random numbers all the way: a scenario and its same-seed baseline share their people.

Who lives in the region comes from the model's own child streams (``population_rng`` for the
people there at the start, ``inflow_rng`` for everyone who registers later), so the same
person has the same index, the same traits and the same registration week in both runs. The
paired effects, deadweight and the creaming gap of the same people in the baseline all rest on
this. And an intervention that reaches nobody must leave every person's path as it was.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.engine.model import RegionalLabourMarket
from simulation.engine.seekers import COLUMNS
from simulation.experiments.compare import comparison_baseline
from simulation.params.loading import load_scenario

SMALL = {"region": {"job_seekers": 2000}}
WEEKS = 12
# what a person brings when they register (``population.new_seekers``)
TRAITS = ("registered_week", "age", "education", "benefit", "employability", "municipality",
          "sector")
NOBODY = {"any_of": [{"min_age": 70}]}   # the schema's oldest target-group rule: no one


def _model(scenario, seed: int = 8) -> RegionalLabourMarket:
    return RegionalLabourMarket(scenario, rng=np.random.SeedSequence(seed))


def test_the_same_people_register_every_week_in_a_pilot_and_its_baseline():
    pilot = load_scenario("pirkanmaa", overrides=SMALL)
    baseline = comparison_baseline(load_scenario(pilot.baseline, overrides=SMALL), pilot)
    a, b = _model(pilot), _model(baseline)
    try:
        for name in TRAITS:  # the people there at the start
            np.testing.assert_array_equal(a.seekers.view(name), b.seekers.view(name), name)
        registered = []
        for week in range(1, WEEKS + 1):
            before = a.seekers.n
            assert b.seekers.n == before
            a.step()
            b.step()
            assert a.seekers.n == b.seekers.n, f"week {week}: different numbers registered"
            new = slice(before, a.seekers.n)
            registered.append(a.seekers.n - before)
            for name in TRAITS:  # as registered, before anything else changes them
                np.testing.assert_array_equal(getattr(a.seekers, name)[new],
                                              getattr(b.seekers, name)[new],
                                              f"week {week}: {name} of new registrants")
            assert (a.seekers.registered_week[new] == week).all()
        assert sum(registered) > 50 and min(registered) > 0
        # the pilot did change what happened to people (the main stream went its own way),
        # so traits drawn from the main stream would have differed
        assert not np.array_equal(a.seekers.view("state"), b.seekers.view("state"))
        assert not np.array_equal(a.seekers.view("last_meeting"), b.seekers.view("last_meeting"))
    finally:
        a.release()
        b.release()


def _paths(scenario, weeks: int = WEEKS) -> tuple[list[np.ndarray], dict[str, np.ndarray]]:
    """Everyone's state every week, and every column of the job-seeker table at the end."""
    model = _model(scenario, seed=3)
    try:
        states = []
        for _ in range(weeks):
            model.step()
            states.append(model.seekers.view("state").copy())
        return states, {name: model.seekers.view(name).copy() for name in COLUMNS}
    finally:
        model.release()


def _without_procurement(scenario):
    return scenario.model_copy(update={"interventions": scenario.interventions.model_copy(
        update={"procurement": None})})


TOUCHING_NOBODY = {
    # a municipal wage-subsidy top-up for a target group that has no members
    "wage_subsidy_top_up": lambda: (
        load_scenario("baseline", overrides={**SMALL, "target_group": NOBODY}),
        load_scenario("baseline", overrides={**SMALL, "target_group": NOBODY,
                                             "wage_subsidy": {"municipal_top_up": 0.2}})),
    # extra service places reserved for a target group that has no members
    "reserved_places": lambda: (
        load_scenario("baseline", overrides={**SMALL, "target_group": NOBODY}),
        load_scenario("baseline", overrides={
            **SMALL, "target_group": NOBODY,
            "interventions": {"service_funding": {"extra_places_share": 0.5}}})),
    # providers whose contract starts after the run
    "providers_after_the_run": lambda: (
        _without_procurement(load_scenario("outsourcing_generic", overrides=SMALL)),
        load_scenario("outsourcing_generic", overrides={
            **SMALL, "interventions": {"procurement": {"start_week": 1000}}})),
}


@pytest.mark.parametrize("intervention", sorted(TOUCHING_NOBODY))
def test_an_intervention_that_touches_nobody_leaves_every_path_identical(intervention: str):
    baseline, scenario = TOUCHING_NOBODY[intervention]()
    base_states, base_end = _paths(baseline)
    states, end = _paths(scenario)
    for week, (x, y) in enumerate(zip(base_states, states, strict=True), start=1):
        np.testing.assert_array_equal(x, y, f"week {week}: someone's state differs")
    for name in COLUMNS:
        np.testing.assert_array_equal(base_end[name], end[name], name)


def test_coaching_for_an_empty_target_group_leaves_every_path_identical():
    """A pilot's coaches draw their weekly slots from a stream of their own."""
    baseline = load_scenario("baseline", overrides={**SMALL, "target_group": NOBODY})
    scenario = load_scenario("baseline", overrides={
        **SMALL, "target_group": NOBODY, "interventions": {"coaching": {"caseload": 60.0}}})
    base_states, _ = _paths(baseline)
    states, _ = _paths(scenario)
    for x, y in zip(base_states, states, strict=True):
        np.testing.assert_array_equal(x, y)
