"""The national activation model (2018): its rule is exact against a day-by-day reading of
the law, its cut is paid by the right payers, and switching it off leaves a run as it was."""

from __future__ import annotations

from types import SimpleNamespace

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.engine.activation_model import ReviewWeek, review_week
from simulation.engine.ledger import Ledger
from simulation.engine.payments import _cut_benefits
from simulation.engine.seekers import Benefit, JobSeekers
from simulation.experiments.runner import RunRequest, run_replication
from simulation.params.loading import load_scenario
from simulation.params.policy import ActivationModel

RULE = ActivationModel(enabled=True)
DAYS = 5  # paid days in a week
# a person's week: paid and searching, paid and in a service, working (not paid), or neither
SEARCHING, IN_SERVICE, WORKING, AWAY = "searching", "in_service", "working", "away"


def daily_reference(weeks: list[str], rule: ActivationModel = RULE) -> list[int]:
    """The rule read day by day: for each week, the paid days of that week that were cut."""
    period_paid, service_days, worked, cut_left = 0, 0, False, 0
    cut_by_week = []
    for week in weeks:
        cut_this_week = 0
        for _ in range(DAYS):
            if week == WORKING and period_paid > 0:
                worked = True  # work counts inside an open period
            if week not in (SEARCHING, IN_SERVICE):
                continue  # an unpaid day does not move the period
            if cut_left > 0:
                cut_this_week += 1
                cut_left -= 1
            period_paid += 1
            service_days += week == IN_SERVICE
            if period_paid == rule.review_paid_days:
                if not worked and service_days < rule.required_service_days:
                    cut_left = rule.cut_paid_days
                period_paid, service_days, worked = 0, 0, False
        cut_by_week.append(cut_this_week)
    return cut_by_week


def weekly_rule(weeks: list[str], rule: ActivationModel = RULE) -> list[int]:
    """The model's weekly rule on one person: the paid days of each week that were cut (a
    week's payment is cut when ``cut_days_left`` is positive at its start)."""
    s = JobSeekers(capacity=1)
    index = s.add(1)
    cut_by_week = []
    for week in weeks:
        paid = week in (SEARCHING, IN_SERVICE)
        cut_by_week.append(DAYS if paid and s.cut_days_left[0] > 0 else 0)
        review_week(s, index, ReviewWeek(paid=np.array([paid]),
                                         in_service=np.array([week == IN_SERVICE]),
                                         working=np.array([week == WORKING])), DAYS, rule)
    return cut_by_week


def test_thirteen_paid_weeks_without_activity_cut_the_next_thirteen_paid_weeks() -> None:
    weeks = [SEARCHING] * 13 + [SEARCHING] * 13 + [SEARCHING]
    cut = weekly_rule(weeks)
    assert cut[:13] == [0] * 13          # the first period is paid in full
    assert cut[13:26] == [DAYS] * 13     # its 65 days of cut fall on the next 65 paid days
    assert cut[26] == DAYS               # and the second inactive period is cut again
    assert cut == daily_reference(weeks)


def test_one_week_in_a_service_or_a_week_of_work_keeps_the_benefit_whole() -> None:
    with_service = [SEARCHING] * 6 + [IN_SERVICE] + [SEARCHING] * 6 + [SEARCHING] * 13
    assert weekly_rule(with_service)[13:26] == [0] * 13
    with_work = [SEARCHING] * 4 + [WORKING] * 2 + [SEARCHING] * 9 + [SEARCHING] * 13
    assert weekly_rule(with_work)[13:26] == [0] * 13


def test_weeks_without_benefit_do_not_move_the_period_on() -> None:
    weeks = [SEARCHING] * 12 + [AWAY] * 20 + [SEARCHING] + [SEARCHING]
    cut = weekly_rule(weeks)
    assert cut[:33] == [0] * 33
    assert cut[33] == DAYS  # the 13th paid week closed the period, without activity


@settings(max_examples=300, deadline=None)
@given(st.lists(st.sampled_from([SEARCHING, SEARCHING, SEARCHING, IN_SERVICE, WORKING, AWAY]),
                min_size=1, max_size=80))
def test_the_weekly_rule_agrees_with_the_day_by_day_reading(weeks: list[str]) -> None:
    assert weekly_rule(weeks) == daily_reference(weeks)


def test_the_cut_is_withheld_from_each_payer_in_proportion_to_what_it_pays() -> None:
    rules = load_scenario("baseline").benefits
    region = SimpleNamespace(week=30, ledger=Ledger(),
                             scenario=SimpleNamespace(benefits=rules))
    kind = np.array([Benefit.EARNINGS_RELATED, Benefit.BASIC_ALLOWANCE,
                     Benefit.LABOUR_MARKET_SUBSIDY, Benefit.LABOUR_MARKET_SUBSIDY])
    target = np.array([True, False, True, False])
    municipal_days = np.array([0.0, 0.0, 5 * 0.7, 5 * 0.5])  # 70 % and 50 % municipal
    _cut_benefits(region, 0.0465, kind, target, municipal_days)
    rows = region.ledger.to_frame()
    assert set(rows["item"]) == {"activation_model_cut"}
    by = rows.groupby(["payer", "scope"])["amount_eur"].sum()
    basic_week, share = rules.basic_daily_eur * 5, 0.0465
    er_extra = (rules.earnings_related_daily_eur - rules.basic_daily_eur) * 5
    assert by["other", "target"] == pytest.approx(-share * er_extra)
    assert by["state", "other"] == pytest.approx(-share * basic_week - share * basic_week * 0.5)
    assert by["state", "target"] == pytest.approx(-share * basic_week
                                                  - share * basic_week * 0.3)
    assert by["municipality", "target"] == pytest.approx(-share * basic_week * 0.7)
    assert by["municipality", "other"] == pytest.approx(-share * basic_week * 0.5)
    total_benefit = basic_week * 4 + er_extra
    assert rows["amount_eur"].sum() == pytest.approx(-share * total_benefit)


def _run(enabled: bool, start_date: str | None = None):
    policy = {"enabled": enabled} | ({"start_date": start_date} if start_date else {})
    scenario = load_scenario("baseline", overrides={
        "region": {"job_seekers": 1500}, "national_policy": {"activation_model": policy}})
    return run_replication(RunRequest(scenario, entropy=3, replication=0, weeks=40))


def test_switched_off_the_run_is_exactly_the_run_without_the_activation_model() -> None:
    off = _run(False)
    never = _run(True, start_date="2030-01-01")  # in force only after the run
    # the mechanism's own weekly column (nobody cut) is the only addition
    column = "activation_model_cut_seekers"
    assert column not in off.weekly
    assert never.weekly[column].fillna(0).eq(0).all()
    never.weekly = never.weekly.drop(columns=column)
    for table in ("weekly", "ledger", "person_events", "cohort"):
        assert getattr(off, table).equals(getattr(never, table)), table
    on = _run(True)
    assert on.summary["activation_model_cuts"] > 0
    assert on.summary["cost_activation_model_cut_eur"] < 0
    assert "cost_activation_model_cut_eur" not in off.summary


def test_the_cut_on_a_full_labour_market_subsidy_is_about_32_euros_a_month() -> None:
    # DOMAIN §3.1: "about 32 €/month on the labour-market subsidy of 696 €/month"
    rules = load_scenario("baseline").benefits
    region = SimpleNamespace(week=40, ledger=Ledger(), scenario=SimpleNamespace(benefits=rules))
    _cut_benefits(region, 0.0465, np.array([Benefit.LABOUR_MARKET_SUBSIDY]),
                  np.array([False]), np.array([0.0]))
    weekly = -region.ledger.to_frame()["amount_eur"].sum()
    assert weekly == pytest.approx(0.0465 * 32.40 * 5)
    assert weekly * 52 / 12 == pytest.approx(32.0, abs=1.0)


def test_the_weekly_count_of_cut_benefits_starts_in_april_2018_and_matches_the_ledger() -> None:
    on = _run(True)
    region = on.weekly[on.weekly["scope"] == "region"].set_index("week")
    cut = region["activation_model_cut_seekers"]
    withheld = -region["cost_activation_model_cut_eur"]
    # the first review period began 1 Jan 2018 (week 22): the first cut is paid in the week of
    # 2 Apr 2018 (week 35), never before
    assert cut.loc[:34].sum() == 0 and withheld.loc[:34].sum() == 0
    assert cut.loc[35] > 0
    # each cut person-week withholds 4.65 % of a week's basic (LMS) to earnings-related benefit
    weeks = cut > 0
    per_person = withheld[weeks] / cut[weeks]
    assert (per_person >= 0.0465 * 32.40 * 5 - 1e-9).all()
    assert (per_person <= 0.0465 * 63.77 * 5 + 1e-9).all()
    assert (withheld[~weeks] == 0).all()


def test_with_the_activation_model_activation_rises_more_in_2018_than_without_it() -> None:
    # the national rule is what turns the baseline's 2018 activation trend upwards: paired
    # seeds, the fitted responses, a small region over the whole run
    def change(enabled: bool, seed: int) -> float:
        scenario = load_scenario("baseline", overrides={
            "region": {"job_seekers": 3000},
            "national_policy": {"activation_model": {"enabled": enabled}}})
        run = run_replication(RunRequest(scenario, entropy=seed, replication=0, weeks=None))
        rate = run.weekly[run.weekly["scope"] == "region"].set_index("week")["activation_rate"]
        return float(rate.loc[74] - rate.loc[22])

    gains = [change(True, seed) - change(False, seed) for seed in range(3)]
    assert all(gain > 0.01 for gain in gains), gains
