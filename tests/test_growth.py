"""The firm side (simulation.engine.growth): hidden vacancies, training, the economy accounting, and
that nothing changes without it."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

import simulation.engine.model as model_module
from simulation.engine.model import RegionalLabourMarket
from simulation.engine.results import summarise
from simulation.experiments.runner import RunRequest, run_replication
from simulation.params.loading import load_scenario

SMALL = {"region": {"job_seekers": 3000, "firms": 80},
         "growth": {"solo_entrepreneurs": 500}}
SEEDS = range(6)


def _scenario(programme: dict | None = None, **extra):
    overrides = {**SMALL, **extra}
    if programme is not None:
        overrides = {**overrides, "growth": {**SMALL["growth"], "programme": programme}}
    return load_scenario("baseline_north_karelia", overrides=overrides)


def _run(scenario, seed: int, weeks: int) -> RegionalLabourMarket:
    model = RegionalLabourMarket(scenario, rng=np.random.SeedSequence(seed))
    model.run(weeks)
    return model


def _tables_equal(a, b) -> None:
    for name in ("weekly", "ledger", "duration_exits"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_exact=True)


def test_without_a_growth_section_no_growth_code_runs(monkeypatch) -> None:
    class Refuse:  # a class, since the model asks its mechanisms isinstance(m, kind)
        def __init__(self, *_args, **_kwargs) -> None:
            raise AssertionError("the growth module must not be built without [growth]")

    monkeypatch.setattr(model_module, "RegionalEconomy", Refuse)
    scenario = load_scenario("baseline", overrides={"region": {"job_seekers": 1000}})
    assert scenario.growth is None
    result = run_replication(RunRequest(scenario, entropy=3, replication=0, weeks=8))
    assert "jobs_created" not in result.summary
    assert "vacancies_hidden" not in result.weekly.columns


def test_a_programme_with_no_levers_gives_the_area_baseline_bit_identical() -> None:
    base = _scenario()
    idle = _scenario({"coordinators": {"count": 0}, "training": []})
    assert base.growth.programme is None and idle.growth.programme is not None
    for seed in (1, 2):
        a = run_replication(RunRequest(base, entropy=seed, replication=0, weeks=20))
        b = run_replication(RunRequest(idle, entropy=seed, replication=0, weeks=20))
        _tables_equal(a, b)


def test_hidden_vacancies_fill_slower_than_posted_unless_surfaced() -> None:
    base = _scenario()
    surfacing = _scenario({"coordinators": {
        "count": 20, "visits_per_week": 10.0, "revisit_weeks": 4, "contact_weeks": 52,
        "surfacing_share": 1.0, "candidates_per_vacancy": 0.0}})
    ratios, extra_fills, hidden_left = [], [], []
    for seed in SEEDS:
        a = run_replication(RunRequest(base, entropy=seed, replication=0, weeks=40)).summary
        b = run_replication(RunRequest(surfacing, entropy=seed, replication=0, weeks=40)).summary
        ratios.append(a["time_to_fill_hidden_weeks"] / a["time_to_fill_posted_weeks"])
        extra_fills.append((b["fills_posted"] + b["fills_hidden"])
                           - (a["fills_posted"] + a["fills_hidden"]))
        hidden_left.append(b["vacancies_hidden_mean"] / a["vacancies_hidden_mean"])
        assert b["hidden_surfaced"] > 0
    # a hidden vacancy waits several times as long per fill as an advertised one
    assert min(ratios) > 2.0
    # surfaced, they are filled like advertised ones: more vacancies filled, fewer hidden ones
    assert np.mean(extra_fills) > 2 * np.std(extra_fills) / np.sqrt(len(SEEDS))
    assert np.mean(extra_fills) > 0
    assert max(hidden_left) < 0.5


def test_training_raises_the_match_rate_in_its_sector_and_not_elsewhere() -> None:
    base = _scenario()
    trained = _scenario({"training": [{
        "sector": "technology_industry", "places": 300, "intakes": 1, "first_intake_week": 2,
        "duration_weeks": 4, "completion_rate": 1.0, "match_gain": 1.5,
        "recruit_other_sectors": False, "min_education": 0}]})
    k = base.region.sectors.index("technology_industry")
    hires = {"base": 0, "trained": 0}
    weeks = {"base": 0, "trained": 0}
    for seed in SEEDS:
        for label, scenario in (("base", base), ("trained", trained)):
            model = _run(scenario, seed, 40)
            hires[label] = hires[label] + model.economy.sector_hires
            weeks[label] = weeks[label] + model.economy.sector_searcher_weeks
            model.release()
    # hires per unemployed searcher-week, pooled over replications
    rate = {label: hires[label] / weeks[label] for label in hires}
    in_sector = rate["trained"][k] / rate["base"][k]
    other = np.arange(len(rate["base"])) != k
    elsewhere = ((hires["trained"][other].sum() / weeks["trained"][other].sum())
                 / (hires["base"][other].sum() / weeks["base"][other].sum()))
    assert in_sector > 1.2, in_sector
    assert abs(elsewhere - 1.0) < 0.03, elsewhere
    # no single other sector moves by more than sampling noise: hires are Poisson counts,
    # so the ratio's standard error is about ratio × sqrt(1/hires_trained + 1/hires_base)
    ratio = rate["trained"][other] / rate["base"][other]
    se = ratio * np.sqrt(1 / hires["trained"][other] + 1 / hires["base"][other])
    assert np.all(np.abs(ratio - 1.0) < 4 * se), (ratio, se)


def test_economy_accounting_derives_from_the_employment_produced() -> None:
    scenario = _scenario({"coordinators": {"count": 3},
                          "cross_border": {"vacancies_per_seeker": 0.05, "mobile_share": 0.3},
                          "first_hire_support": {"hazard_multiplier": 2.0,
                                                 "subsidy_per_first_hire_eur": 4000.0},
                          "start_up": {"advised_per_week": 3.0}})
    model = _run(scenario, 11, 60)
    weekly = model.metrics.frame()
    summary = summarise(model, weekly)
    region = weekly[weekly["scope"] == "region"].set_index("week")
    growth, taxes = scenario.growth, scenario.taxes
    weekly_pay = taxes.monthly_wage_eur * 12 / 52
    rates = taxes.state_tax_rate + taxes.municipal_tax_rate + taxes.contributions_rate
    ledger = model.ledger.to_frame()
    tax = ledger[ledger["item"] == "tax_revenue"].groupby("week")["amount_eur"].sum()
    # taxes are the pay of exactly the jobs counted, week by week
    np.testing.assert_allclose(-tax.reindex(region.index, fill_value=0.0),
                               region["jobs"] * weekly_pay * rates, rtol=1e-9)
    # value added is those jobs in the region times value added per job-week
    np.testing.assert_allclose(region["value_added_direct_eur"],
                               (region["jobs"] - region["jobs_abroad"])
                               * growth.value_added_per_job_year_eur / 52, rtol=1e-12)
    np.testing.assert_allclose(region["value_added_total_eur"],
                               region["value_added_direct_eur"] * growth.indirect_multiplier)
    final = region.loc[region.index > region.index.max() - 52]
    assert summary["jobs_created"] == pytest.approx(final["jobs"].mean() - summary["jobs_start"])
    assert summary["regional_value_added_eur_per_year"] == pytest.approx(
        (final["jobs"] - final["jobs_abroad"]).mean() * growth.value_added_per_job_year_eur)
    assert summary["tax_revenue_eur_per_year"] == pytest.approx(
        final["jobs"].mean() * 52 * weekly_pay * rates)
    assert summary["cross_border_hires"] > 0 and summary["jobs_abroad_final_year"] > 0
    # the economy's jobs are the weekly table's people in work (open market and subsidised)
    assert (region["jobs"] <= region["employed"] + region["subsidised"]).all()
    assert (region["jobs"] >= region["employed"]).all()
    benefits = sum(summary[f"unemployment_benefits_{p}_eur_per_year"]
                   for p in ("state", "municipality", "other"))
    assert benefits == pytest.approx(summary["unemployment_benefits_eur_per_year"])
    first_hire_money = ledger.loc[ledger["item"] == "first_hire_subsidy", "amount_eur"].sum()
    assert first_hire_money == pytest.approx(4000.0 * summary["first_hires"])
    model.release()


def test_growth_programme_creates_jobs_and_first_hires() -> None:
    base = _scenario()
    pilot = _scenario({"coordinators": {"count": 4},
                       "first_hire_support": {"hazard_multiplier": 3.0}})
    jobs, first = [], []
    for seed in SEEDS[:4]:
        a = run_replication(RunRequest(base, entropy=seed, replication=0, weeks=40)).summary
        b = run_replication(RunRequest(pilot, entropy=seed, replication=0, weeks=40)).summary
        jobs.append(b["jobs_created"] - a["jobs_created"])
        first.append(b["first_hires"] - a["first_hires"])
    assert np.mean(jobs) > 0 and np.mean(first) > 0


def test_unknown_sector_in_the_programme_is_reported() -> None:
    scenario = _scenario({"training": [{"sector": "shipbuilding"}]})
    with pytest.raises(ValueError, match="unknown sector 'shipbuilding'"):
        RegionalLabourMarket(scenario, rng=np.random.SeedSequence(0))


def test_firms_served_counts_each_reached_firm_once_and_never_falls() -> None:
    pilot = _scenario({"start_week": 3, "coordinators": {"count": 4, "visits_per_week": 2.0}})
    model = _run(pilot, seed=4, weeks=30)
    try:
        weekly = model.metrics.frame()
        served = weekly.loc[weekly["scope"] == "region", "firms_served"].to_numpy()
        visits = weekly.loc[weekly["scope"] == "region", "firm_visits"].cumsum().to_numpy()
        economy = model.economy
        assert (np.diff(served) >= 0).all()
        assert served[0] == 0 and served[-1] > 0
        assert (served <= visits).all()  # a visit reaches at most one new firm
        assert served[-1] <= len(model.firms) + len(economy.solo_firm)
        assert served[-1] == economy.firms_served()
    finally:
        model.release()
    base = _run(_scenario(), seed=4, weeks=10)
    try:
        weekly = base.metrics.frame()
        assert (weekly.loc[weekly["scope"] == "region", "firms_served"] == 0).all()
    finally:
        base.release()


def test_a_first_hire_is_recorded_in_the_week_the_firm_hires() -> None:
    scenario = _scenario(**{"growth": {**SMALL["growth"], "first_hire_hazard_per_year": 0.9}})
    model = RegionalLabourMarket(scenario, rng=np.random.SeedSequence(8))
    try:
        economy, recorded = model.economy, 0
        for _ in range(30):
            model.step()
            with_firm = np.flatnonzero(economy.solo_firm >= 0)
            hired = np.array([model.firms[economy.solo_firm[j]].hires > 0 for j in with_firm],
                             dtype=bool)
            np.testing.assert_array_equal(economy.solo_hired[with_firm], hired)
            recorded += model.metrics.rows[-2]["first_hires"]
        assert recorded == economy.solo_hired.sum() > 0
    finally:
        model.release()


def test_the_visits_see_exactly_who_is_free_and_their_skill_match() -> None:
    """The coordinators' visits read who is free from a by-sector list made as they start,
    less those hired since, and the skill match of those people only: the same people and
    values as asking the economy over all job seekers."""
    from simulation.engine.growth.programme import GrowthProgramme

    model = _run(load_scenario("keski_suomi_growth_booster",
                               overrides={"region": {"job_seekers": 4000}}), 2, 20)
    try:
        programme = model.mechanism(GrowthProgramme)
        economy, s = programme.economy, model.seekers
        index = np.flatnonzero(s.view("state") == 0)[::7]
        np.testing.assert_array_equal(economy.search_factor(index),
                                      economy.search_factor()[index])
        programme._free_by_sector = programme._free_people_by_sector()
        free = np.flatnonzero(s.view("state") == 0)
        s.state[free[::5]] = 2  # some are hired after the list was made
        for sector in range(model.n_sectors):
            expected = economy.available(s.view("sector") == sector)
            np.testing.assert_array_equal(programme._free_in(sector), expected)
        assert sum(len(p) for p in programme._free_by_sector) > len(economy.available())
    finally:
        programme._free_by_sector = None
        model.release()


@given(st.lists(st.sampled_from([-2.0, -1.0, -0.5, 0.0, 0.25, 1.0, 3.0]), min_size=1,
                max_size=60), st.integers(1, 70))
def test_the_first_visits_are_those_a_full_stable_sort_puts_first(keys, count) -> None:
    from simulation.engine.growth.programme import _first_by_key

    key = np.array(keys)
    np.testing.assert_array_equal(_first_by_key(key, count),
                                  np.argsort(key, kind="stable")[:count])
