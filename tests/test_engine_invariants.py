"""Week-by-week invariants of the engine: states, stocks and flows, service places.

Each model is stepped one week at a time and checked after every step, for the
baseline and for a pilot-like variant (coaches, reserved places, a municipal
wage-subsidy top-up), at a few thousand job seekers.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.engine.model import RegionalLabourMarket
from simulation.engine.seekers import NO_ONE, State
from simulation.params.loading import load_scenario

WEEKS = 40
IN_SERVICE = (State.IN_SERVICE, State.SUBSIDISED)

VARIANTS = {
    "baseline": {"region": {"job_seekers": 3000}},
    "pilot": {
        "region": {"job_seekers": 3000},
        "interventions": {"coaching": {"caseload": 60.0},
                          "service_funding": {"extra_places_share": 0.5}},
        "target_group": {"any_of": [{"min_spell_weeks": 26}, {"max_age": 25}]},
        "wage_subsidy": {"municipal_top_up": 0.2},
    },
}


def _check_week(model: RegionalLabourMarket) -> None:
    s, services = model.seekers, model.services
    state = s.view("state")
    in_service = np.isin(state, IN_SERVICE)
    waiting = s.view("waiting_service") >= 0

    # exactly one valid state each, and the columns that go with it agree
    assert np.isin(state, [int(x) for x in State]).all()
    assert ((s.view("service") >= 0) == in_service).all()
    assert (s.view("episode")[in_service] >= 0).all()
    assert (s.view("episode")[waiting] >= 0).all()
    assert not (waiting & in_service).any(), "someone is both waiting and in a service"
    assert (state[waiting] == State.UNEMPLOYED).all()
    employed = state == State.EMPLOYED
    assert ((s.view("employed_since") >= 0) == employed).all()
    assert (state[s.view("firm") >= 0] == State.EMPLOYED).all()

    # places: container levels within [0, capacity]; places in use = people in the pool
    inside = np.flatnonzero(in_service)
    pool_of = services.pool_of(inside)
    in_pool = np.bincount(pool_of, minlength=len(services.pools))
    service_of_pool = np.array([p.service_id for p in services.pools], dtype=np.int64)
    np.testing.assert_array_equal(s.service[inside], service_of_pool[pool_of])
    for pool_id, pool in enumerate(services.pools):
        places = pool.places
        assert 0 <= places.level <= places.capacity
        assert in_pool[pool_id] <= places.capacity
        assert in_pool[pool_id] + places.level == places.capacity, (
            f"pool {pool_id}: {in_pool[pool_id]} in service, {places.level} free, "
            f"{places.capacity} places")
    np.testing.assert_array_equal(services.waiting_count, services.recount_waiting())


@pytest.mark.parametrize("variant", sorted(VARIANTS))
def test_states_stocks_flows_and_places_reconcile_every_week(variant: str) -> None:
    scenario = load_scenario("baseline", overrides=VARIANTS[variant])
    model = RegionalLabourMarket(scenario, rng=np.random.SeedSequence(11))
    try:
        initial = model.seekers.n
        # (before the first step the initial cohorts have not yet taken their places:
        # their SimPy processes first run when the clock advances)
        previous = np.bincount(model.seekers.view("state"), minlength=len(State))
        registrations = 0
        for _ in range(WEEKS):
            model.step()
            _check_week(model)
            row = model.metrics.rows[-2]  # region scope of this week
            assert row["scope"] == "region" and row["week"] == model.week
            stock = np.bincount(model.seekers.view("state"), minlength=len(State))
            for state in State:
                assert row[state.name.lower()] == stock[state]
            assert row["job_seekers"] == stock[State.UNEMPLOYED] + stock[list(IN_SERVICE)].sum()
            registrations += row["registrations"]
            assert model.seekers.n == initial + registrations == stock.sum()
            # employment changes only by placements (incl. retention) and job losses
            assert (stock[State.EMPLOYED] - previous[State.EMPLOYED]
                    == row["placements"] - row["job_losses"])
            assert row["waiting"] == int((model.seekers.view("waiting_service") >= 0).sum())
            target = model.metrics.rows[-1]
            assert target["scope"] == "target"
            for name in ("unemployed", "employed", "placements", "job_losses"):
                assert target[name] <= row[name]
            previous = stock
        assert model.services.pools, "the check needs services with places"
        weekly = model.metrics.frame()
        assert weekly["admissions"].sum() > 0
        # without a growth programme every start comes off a waiting list: the starts by
        # service add up to the admissions, week by week and in both scopes
        starts = weekly[[c for c in weekly if c.startswith("starts_")]].sum(axis=1)
        np.testing.assert_array_equal(starts.to_numpy(), weekly["admissions"].to_numpy())
    finally:
        model.release()


def test_everyone_in_exactly_one_stock_in_the_weekly_table() -> None:
    scenario = load_scenario("baseline", overrides=VARIANTS["baseline"])
    model = RegionalLabourMarket(scenario, rng=3)
    try:
        model.run(12)
        weekly = model.metrics.frame()
    finally:
        model.release()
    region = weekly[weekly["scope"] == "region"]
    states = [s.name.lower() for s in State]
    totals = region[states].sum(axis=1).to_numpy()
    expected = 3000 + region["registrations"].cumsum().to_numpy()
    np.testing.assert_array_equal(totals, expected)
    assert (weekly["activation_rate"].between(0, 1)).all()


def test_no_one_in_service_without_a_place_after_early_exits() -> None:
    """Drop-outs and job finds during services hand back exactly one place each."""
    scenario = load_scenario("baseline", overrides={
        "region": {"job_seekers": 2000},
        "services": {name: {"dropout_per_week": 0.3} for name in (
            "labour_market_training", "work_trial", "job_coaching")}})
    model = RegionalLabourMarket(scenario, rng=5)
    try:
        for _ in range(15):
            model.step()
            _check_week(model)
        assert sum(model.metrics.frame()["dropouts"]) > 0
        assert (model.seekers.view("episode")[
            model.seekers.view("state") == State.EMPLOYED] == NO_ONE).all()
    finally:
        model.release()


def test_distinct_clients_by_calendar_year_match_a_week_by_week_union() -> None:
    from simulation.engine.results import summarise

    scenario = load_scenario("baseline", overrides=VARIANTS["pilot"])
    model = RegionalLabourMarket(scenario, rng=np.random.SeedSequence(12))
    try:
        seen: dict[tuple[int, bool], set[int]] = {}
        for _ in range(30):  # from 1 Aug 2017: weeks 1–22 fall in 2017, 23–30 in 2018
            model.step()
            year = model.metrics.calendar_year(model.week)
            state = model.seekers.view("state")
            seeking = np.flatnonzero(np.isin(state, [State.UNEMPLOYED, *IN_SERVICE]))
            target = seeking[model.seekers.target[seeking]]
            seen.setdefault((year, False), set()).update(seeking.tolist())
            seen.setdefault((year, True), set()).update(target.tolist())
        summary = summarise(model, model.metrics.frame())
    finally:
        model.release()
    assert {k for k in summary if k.startswith("clients_during_")} == {
        "clients_during_2017", "clients_during_2018", "clients_during_run"}
    for (year, in_target), people in seen.items():
        key = f"{'target_' if in_target else ''}clients_during_{year}"
        assert summary[key] == len(people) > 0
    # over the whole run: the union of the years
    for in_target, prefix in ((False, ""), (True, "target_")):
        union = seen[2017, in_target] | seen[2018, in_target]
        assert summary[f"{prefix}clients_during_run"] == len(union)
        assert len(union) < len(seen[2017, in_target]) + len(seen[2018, in_target])
