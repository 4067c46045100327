"""The week's actions on hand-placed people, with chosen random draws.

A service completed, a job lost, a drop-out, a week passing, an exit to studies, the counts the
Labore exit rates are made of, and who registers with which traits: each checked against what
the rule says should happen to each person (``tests/standin.py`` is the stand-in region).
"""

from __future__ import annotations

import datetime
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from standin import Draws, StandIn

from simulation.engine.actions import complete_services, hire
from simulation.engine.ledger import Ledger
from simulation.engine.metrics import WeeklyMetrics
from simulation.engine.population import (
    advance_clocks,
    drop_out,
    new_seekers,
    separations_and_exits,
)
from simulation.engine.seekers import NO_ONE, Benefit, JobSeekers, State
from simulation.params.schema import SERVICE_NAMES

WAGE_SUBSIDY = SERVICE_NAMES.index("wage_subsidy")
TRAINING = SERVICE_NAMES.index("labour_market_training")


def _service(kind: str) -> SimpleNamespace:
    return SimpleNamespace(kind=kind, retention=0.5, post_effect=1.3, post_effect_weeks=8)


def test_completing_a_subsidised_job_keeps_some_on_and_gives_the_rest_a_boost():
    region = StandIn(5, overrides={"public_office": {"follow_on_referral": 0.5}})
    region.clock.week = 10
    for person in range(4):
        region.set(person, State.SUBSIDISED, service=WAGE_SUBSIDY, episode=3,
                   weeks_since_work=40, spell_weeks=0)
    # retention 0.5: draws 0.1 and 0.2 keep persons 0 and 2; of the rest (1, 3), the
    # follow-on draw 0.3 < 0.5 refers person 1 on, 0.95 does not refer person 3
    region.rng = Draws([0.1, 0.9, 0.2, 0.8], [0.3, 0.95])
    complete_services(region, [np.arange(4)], [_service("subsidised_job")])
    s = region.seekers
    assert s.state[:4].tolist() == [State.EMPLOYED, State.UNEMPLOYED, State.EMPLOYED,
                                    State.UNEMPLOYED]
    assert s.placement_week[[0, 2]].tolist() == [10, 10]
    assert (s.service[:4] == NO_ONE).all() and (s.episode[:4] == NO_ONE).all()
    # a subsidised job is work experience: no one has been without work
    assert (s.weeks_since_work[:4] == 0).all()
    # the rest search with the service's boost for its weeks
    assert s.boost[[1, 3]].tolist() == pytest.approx([1.3, 1.3])
    assert s.boost_until[[1, 3]].tolist() == [18, 18]
    assert s.chained[:4].tolist() == [False, True, False, False]
    assert [f.tolist() for f in region.follow_on] == [[1]]
    region.record()
    row = region.frame().iloc[0]
    assert (row["completions"], row["placements"]) == (4, 2)


def test_completing_a_training_leaves_the_time_without_work_as_it_was():
    region = StandIn(2)
    region.clock.week = 5
    region.set(0, State.IN_SERVICE, service=TRAINING, weeks_since_work=40)
    region.rng = Draws([0.9], [0.9])
    complete_services(region, [np.array([0])], [_service("service")])
    assert region.seekers.weeks_since_work[0] == 40
    assert region.seekers.state[0] == State.UNEMPLOYED


def test_a_direct_hire_of_one_person_places_them_and_of_no_one_does_nothing():
    region = StandIn(3)
    region.clock.week = 7
    region.set(0, State.UNEMPLOYED, spell_weeks=30)
    region.set(1, State.IN_SERVICE, service=TRAINING)
    hire(region, np.array([], dtype=np.int64), None)
    assert region.seekers.state[0] == State.UNEMPLOYED
    hire(region, np.array([0]), None)
    s = region.seekers
    assert s.state[0] == State.EMPLOYED and s.placement_week[0] == 7
    assert s.spell_weeks[0] == 0 and s.first_placement[0] == 7
    hire(region, np.array([1]), None)
    assert region.released == [1]        # the service place is given back
    assert region.metrics.completed_spells[30] == 1   # the open spell of 30 weeks ended


def test_job_losses_exits_to_studies_and_out_of_the_labour_force_and_back():
    region = StandIn(8, overrides={"flows": {
        "separation_per_week": 0.1, "exit_to_study_per_week": 0.05,
        "exit_out_of_labour_force_per_week": 0.02, "long_term_exit_per_week": 0.1,
        "return_from_study_per_week": 0.5}})
    region.clock.week = 40
    s = region.seekers
    region.set(0, State.EMPLOYED, employed_since=10, placement_week=10)   # 30 weeks: requalifies
    region.set(1, State.EMPLOYED, employed_since=30, placement_week=30,   # 10 weeks
               benefit=Benefit.LABOUR_MARKET_SUBSIDY)
    region.set(2, State.EMPLOYED, employed_since=0)                       # keeps the job
    region.set(3, State.UNEMPLOYED, spell_weeks=10, age=40)
    region.set(4, State.UNEMPLOYED, spell_weeks=60, age=40)               # long-term
    region.set(5, State.UNEMPLOYED, spell_weeks=10, age=20)               # under 25
    region.set(6, State.UNEMPLOYED, spell_weeks=10, age=40)
    region.set(7, State.STUDYING)
    # employed 0, 1, 2: 0 and 1 lose their jobs (draws under 0.1). Unemployed now 0, 1, 3, 4,
    # 5, 6: out of the labour force below 0.02 (0.12 for the long-term), to studies from there
    # up to 0.05 more (0.15 for under-25s). Studying now 3, 5 and 7: only 7 was there before
    # this week, and only 7 may come back (3 and 5 would, by their draws)
    region.rng = Draws([0.05, 0.09, 0.5], [0.9, 0.9, 0.03, 0.11, 0.16, 0.5],
                       [0.0, 0.0, 0.1])
    separations_and_exits(region)
    assert s.state[:8].tolist() == [
        State.UNEMPLOYED, State.UNEMPLOYED, State.EMPLOYED,
        State.STUDYING,              # 0.03: past 0.02, under 0.07
        State.OUT_OF_LABOUR_FORCE,   # 0.11 < 0.12 for a long spell
        State.STUDYING,              # 0.16 < 0.02 + 3 · 0.05
        State.UNEMPLOYED,
        State.UNEMPLOYED]            # back from studies (0.1 < 0.5)
    assert s.spell_weeks[[0, 1, 7]].tolist() == [0, 0, 0]
    assert s.benefit[0] == Benefit.EARNINGS_RELATED and s.benefit_days[0] == 0
    assert s.benefit[1] == Benefit.LABOUR_MARKET_SUBSIDY   # too short a job to requalify
    assert (s.employed_since[[0, 1]] == NO_ONE).all() and (s.placement_week[[0, 1]]
                                                         == NO_ONE).all()
    region.record()
    assert region.frame().iloc[0]["job_losses"] == 2


def test_someone_who_went_to_study_this_week_does_not_come_back_the_same_week():
    region = StandIn(2, overrides={"flows": {"exit_to_study_per_week": 0.5,
                                             "exit_out_of_labour_force_per_week": 0.0,
                                             "long_term_exit_per_week": 0.0,
                                             "return_from_study_per_week": 1.0}})
    region.set(0, State.UNEMPLOYED, age=40)
    region.set(1, State.STUDYING)
    region.rng = Draws([], [0.1], [0.0, 0.0])
    separations_and_exits(region)
    assert region.seekers.state[:2].tolist() == [State.STUDYING, State.UNEMPLOYED]


def test_people_drop_out_of_services_and_subsidised_jobs_alike():
    region = StandIn(3, overrides={"services": {
        "wage_subsidy": {"dropout_per_week": 0.5},
        "labour_market_training": {"dropout_per_week": 0.5}}})
    region.set(0, State.SUBSIDISED, service=WAGE_SUBSIDY, spell_weeks=9)
    region.set(1, State.IN_SERVICE, service=TRAINING, spell_weeks=9)
    region.set(2, State.IN_SERVICE, service=TRAINING)
    region.rng = Draws([0.4, 0.2, 0.7])
    drop_out(region)
    s = region.seekers
    assert s.state[:3].tolist() == [State.UNEMPLOYED, State.UNEMPLOYED, State.IN_SERVICE]
    assert s.spell_weeks[:2].tolist() == [0, 0]
    assert sorted(region.released) == [0, 1]


def test_a_week_passing_ages_everyone_and_lengthens_spells_and_time_without_work():
    region = StandIn(4)
    for person, state in enumerate((State.UNEMPLOYED, State.IN_SERVICE, State.EMPLOYED,
                                    State.STUDYING)):
        region.set(person, state, age=30.0, spell_weeks=5, weeks_since_work=5)
    advance_clocks(region)
    s = region.seekers
    assert s.age[:4] == pytest.approx([30 + 1 / 52] * 4)
    assert s.spell_weeks[:4].tolist() == [6, 5, 5, 5]          # open unemployment only
    assert s.weeks_since_work[:4].tolist() == [6, 6, 5, 6]     # everyone not working


def test_calendar_years_are_those_of_each_weeks_fourth_day():
    metrics = WeeklyMetrics(JobSeekers(1), SimpleNamespace(week=0), Ledger(), "2017-12-28")
    # week 1 is 28 Dec – 3 Jan; its fourth day is 31 Dec: 2017. Week 2's is 7 Jan: 2018.
    assert [metrics.calendar_year(w) for w in (1, 2)] == [2017, 2018]
    assert [int(metrics.year_bit(y)) for y in (2017, 2018, 2019)] == [1, 2, 4]
    start = datetime.date(2017, 8, 1)
    other = WeeklyMetrics(JobSeekers(1), SimpleNamespace(week=0), Ledger(), start.isoformat())
    assert [other.calendar_year(w) for w in (22, 23)] == [2017, 2018]


def test_exits_to_services_count_only_people_leaving_open_unemployment():
    region = StandIn(3)
    region.set(0, State.UNEMPLOYED, spell_weeks=2)
    region.set(1, State.UNEMPLOYED, spell_weeks=2, chained=True)   # a follow-on referral
    region.set(2, State.IN_SERVICE, spell_weeks=2)
    region.metrics.count_exits_to_services(np.arange(3))
    assert region.metrics.duration_exits[2].tolist() == [1, 0, 0, 0, 0, 0, 0]
    assert not region.seekers.chained[:3].any()      # a chain is counted once


def test_monthly_exit_rates_compound_the_weekly_ones():
    metrics = StandIn(1).metrics
    metrics.duration_exits[:, 0] = (100, 10, 5)     # person-weeks at risk, to work, to services
    metrics.duration_exits[:, 3] = (50, 0, 50)
    frame = metrics.duration_exit_frame()
    assert frame.loc[0, "monthly_to_work"] == pytest.approx(1 - 0.9 ** (52 / 12))
    assert frame.loc[0, "monthly_to_services"] == pytest.approx(1 - 0.95 ** (52 / 12))
    assert frame.loc[3, "monthly_to_work"] == 0.0 and frame.loc[3, "monthly_to_services"] == 1.0
    assert np.isnan(frame.loc[1, "monthly_to_work"])            # no one at risk
    assert frame["person_weeks"].tolist()[:4] == [100, 0, 0, 50]


def test_an_empty_ledger_has_its_columns_and_types():
    frame = Ledger().to_frame()
    assert list(frame.columns) == ["week", "payer", "payee", "item", "scope", "amount_eur"]
    assert [str(t) for t in frame.dtypes] == ["int64", "object", "object", "object", "object",
                                             "float64"]


def test_new_registrants_draw_their_traits_from_the_scenarios_shares():
    from simulation.engine.model import RegionalLabourMarket
    from simulation.params.loading import load_scenario

    region = RegionalLabourMarket(load_scenario("baseline", overrides={
        "region": {"job_seekers": 100}}), rng=1)
    region.clock.week = 3
    count = 20_000
    shares = [0.55, 0.1, 0.25, 0.1]
    index = new_seekers(region, count, shares, np.random.default_rng(4))
    region.release()
    s = region.seekers
    assert index.tolist() == list(range(100, 100 + count))
    assert (s.registered_week[index] == 3).all()
    population = region.scenario.population
    for values, expected in (
            (s.benefit[index], shares),
            (s.education[index], population.education_shares),
            (np.digitize(s.age[index], [25, 55]), population.age_shares),
            (s.municipality[index], region.scenario.region.municipality_shares),
            (s.sector[index], region.scenario.region.sector_shares)):
        observed = np.bincount(values, minlength=len(expected)) / count
        error = np.sqrt(np.asarray(expected) * (1 - np.asarray(expected)) / count)
        assert (np.abs(observed - expected) < 5 * error + 1e-12).all(), (observed, expected)
    assert s.age[index].min() >= 18 and s.age[index].max() < 65
    assert (s.employability[index] > 0).all() and s.employability[index].std() > 0.1


def test_the_people_there_at_the_start_have_the_entitlements_and_meetings_of_their_spells():
    from simulation.engine.model import RegionalLabourMarket
    from simulation.params.loading import load_scenario

    model = RegionalLabourMarket(load_scenario("baseline", overrides={
        "region": {"job_seekers": 3000}}), rng=np.random.SeedSequence(5))
    model.release()
    s, rules = model.seekers, model.scenario.benefits
    interval = model.scenario.public_office.meeting_interval_weeks
    er = s.view("benefit") == Benefit.EARNINGS_RELATED
    # the allowance has been paid for five days a week of the time out of work... unless that
    # exhausted it, and then it is the labour-market subsidy
    assert (s.view("benefit_days")[er] < rules.earnings_related_max_days).all()
    assert (s.view("benefit_days")[~er] == 0).all()
    assert er.sum() > 100 and (s.view("benefit") == Benefit.BASIC_ALLOWANCE).sum() > 10
    lms = s.view("benefit") == Benefit.LABOUR_MARKET_SUBSIDY
    assert (s.view("lms_days")[lms] > 0).mean() > 0.9 and (s.view("lms_days")[~lms] == 0).all()
    # the last meetings are spread over the meeting interval, not all due at once
    last = s.view("last_meeting")
    assert last.min() > -interval and last.max() <= 0
    assert len(np.unique(last)) == interval


def test_cohorts_completing_together_end_as_if_each_completed_alone():
    """The episodes ending in one week complete in one batch: the same draws in the same
    order, the same rows, counts and follow-on referrals as cohort by cohort."""
    def region_after(together: bool) -> StandIn:
        region = StandIn(12, overrides={"public_office": {"follow_on_referral": 0.5}})
        region.clock.week = 9
        for person in range(5):
            region.set(person, State.SUBSIDISED, service=WAGE_SUBSIDY, episode=1,
                       weeks_since_work=30, spell_weeks=0)
        for person in range(5, 11):
            region.set(person, State.IN_SERVICE, service=TRAINING, episode=2,
                       weeks_since_work=70, spell_weeks=0)
        region.rng = np.random.default_rng(11)
        cohorts = [np.arange(5), np.arange(5, 11), np.array([], dtype=np.int64)]
        services = [SimpleNamespace(kind="subsidised_job", retention=0.4, post_effect=1.2,
                                    post_effect_weeks=6),
                    SimpleNamespace(kind="service", retention=0.3, post_effect=1.5,
                                    post_effect_weeks=10),
                    SimpleNamespace(kind="service", retention=0.9, post_effect=1.1,
                                    post_effect_weeks=3)]
        if together:
            complete_services(region, cohorts, services)
        else:
            for cohort, service in zip(cohorts, services, strict=True):
                complete_services(region, [cohort], [service])
        region.record()
        return region

    alone, together = region_after(False), region_after(True)
    for column in ("state", "service", "episode", "weeks_since_work", "spell_weeks", "boost",
                   "boost_until", "chained", "placement_week", "first_placement"):
        np.testing.assert_array_equal(getattr(together.seekers, column),
                                      getattr(alone.seekers, column), err_msg=column)
    assert np.concatenate(together.follow_on).tolist() == np.concatenate(alone.follow_on).tolist()
    pd.testing.assert_frame_equal(together.frame(), alone.frame())
    # the draws moved on by the same amount: the next one is the same
    assert together.rng.random() == alone.rng.random()
    assert (together.seekers.state[:11] == State.EMPLOYED).any()  # some were kept on
    assert (together.seekers.boost[:11] > 1).any()                 # and some search boosted
