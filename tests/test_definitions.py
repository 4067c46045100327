"""Pinned definitions of the headline metrics.

Each test builds a small population by hand (a few named people in chosen states), runs the
model's own code for one part of the week on it (the payments, the weekly record, a placement,
the end-of-run summary, the counterfactual pairing) and checks the result against a value
worked out by hand in the test. No number here was copied from a run.

The stand-in region (``tests/standin.py``) has exactly what those parts read.
"""

from __future__ import annotations

import math
from types import SimpleNamespace

import numpy as np
import pandas as pd
import pytest
from standin import StandIn, pool

from simulation.engine.actions import place, reach_milestones
from simulation.engine.payments import pay_week
from simulation.engine.providers import creaming_gap
from simulation.engine.results import RunResult, summarise
from simulation.engine.seekers import NO_ONE, Benefit, State
from simulation.experiments.compare import paired_effects
from simulation.experiments.counterfactuals import baseline_creaming_gap, deadweight


def _row(weekly: pd.DataFrame, scope: str, week: int | None = None) -> pd.Series:
    rows = weekly[weekly["scope"] == scope]
    return rows.iloc[-1] if week is None else rows[rows["week"] == week].iloc[0]


# --- the activation rate, the unemployed and the long-term unemployed --------------------------

def _stocks() -> StandIn:
    """Twelve people; the target group is people 0–5."""
    region = StandIn(12)
    region.clock.week = 1
    people = [
        # person: state, in the target group, weeks of open unemployment
        (State.UNEMPLOYED, True, 10),
        (State.UNEMPLOYED, True, 52),        # long-term: a year exactly
        (State.UNEMPLOYED, True, 80),        # long-term
        (State.SUBSIDISED, True, 90),        # a subsidised job: activated, not unemployed
        (State.EMPLOYED, True, 0),
        (State.STUDYING, True, 0),
        (State.UNEMPLOYED, False, 51),       # not yet long-term
        (State.IN_SERVICE, False, 120),      # in a service: activated, not unemployed
        (State.IN_SERVICE, False, 0),
        (State.SUBSIDISED, False, 0),
        (State.EMPLOYED, False, 0),
        (State.OUT_OF_LABOUR_FORCE, False, 200),
    ]
    for person, (state, target, spell) in enumerate(people):
        region.set(person, state, target=target, spell_weeks=spell)
    return region


def test_activation_rate_is_people_in_services_or_subsidised_jobs_over_registered_job_seekers():
    region = _stocks()
    region.record()
    weekly = region.frame()
    region_row, target_row = _row(weekly, "region"), _row(weekly, "target")
    # region: registered job seekers are the 4 unemployed, 2 in services and 2 subsidised
    # (the employed, the student and the one out of the labour force are not registered)
    assert region_row["job_seekers"] == 4 + 2 + 2
    assert region_row["activation_rate"] == pytest.approx((2 + 2) / 8)
    # target group: 3 unemployed and 1 subsidised; the subsidised job counts as activation
    assert target_row["job_seekers"] == 4
    assert target_row["activation_rate"] == pytest.approx(1 / 4)


def test_unemployed_and_long_term_unemployed_are_open_unemployment_stocks():
    region = _stocks()
    region.record()
    weekly = region.frame()
    # open unemployment only: neither services nor subsidised jobs count
    assert _row(weekly, "region")["unemployed"] == 4
    assert _row(weekly, "target")["unemployed"] == 3
    # long-term: open unemployment of 52 weeks or more (people 1 and 2; person 6 has 51
    # weeks, persons 3 and 7 have long spells but are activated)
    assert _row(weekly, "region")["long_term_unemployed"] == 2
    assert _row(weekly, "target")["long_term_unemployed"] == 2


def test_end_of_run_stocks_and_activation_are_read_in_the_last_week_and_averaged_over_weeks():
    region = _stocks()
    region.clock.week = 1
    region.record()                      # week 1: activation (region) 4/8, target 1/4
    region.clock.week = 2
    region.set(0, State.IN_SERVICE, target=True)
    region.set(6, State.UNEMPLOYED, spell_weeks=52)
    region.record()                      # week 2: region 5/8, target 2/4, long-term 3
    summary = summarise(region, region.frame())
    assert summary["activation_rate_end"] == pytest.approx(5 / 8)
    assert summary["activation_rate_mean"] == pytest.approx((4 / 8 + 5 / 8) / 2)
    assert summary["target_activation_rate_end"] == pytest.approx(2 / 4)
    assert summary["target_activation_rate_mean"] == pytest.approx((1 / 4 + 2 / 4) / 2)
    assert summary["unemployed_end"] == 3 and summary["target_unemployed_end"] == 2
    assert summary["long_term_unemployed_end"] == 3
    assert summary["target_long_term_unemployed_end"] == 2


# --- placements and sustained employment -----------------------------------------------------

def test_placements_count_every_job_start_and_sustained_counts_13_26_and_52_weeks_in_one_job():
    """Person 0 is placed in week 1 and keeps the job; person 1 is placed in week 1, loses the
    job in week 10 and is placed again in week 12; person 2 (not in the target group) is placed
    in week 3 and keeps it. Person 3 never works."""
    region = StandIn(4)
    region.set(0, State.UNEMPLOYED, target=True)
    region.set(1, State.UNEMPLOYED, target=True)
    region.set(2, State.UNEMPLOYED, target=False)
    region.set(3, State.UNEMPLOYED, target=True)
    starts = {1: [0, 1], 3: [2], 12: [1]}
    for week in range(1, 60):
        region.clock.week = week
        if week in starts:
            place(region, np.array(starts[week]))
        if week == 10:  # person 1's job ends (as separations_and_exits ends one)
            region.set(1, State.UNEMPLOYED, target=True, employed_since=NO_ONE,
                       placement_week=NO_ONE)
        reach_milestones(region)
        region.record()
    weekly = region.frame()
    region_rows = weekly[weekly["scope"] == "region"].set_index("week")
    target_rows = weekly[weekly["scope"] == "target"].set_index("week")
    # four job starts; three by the target group
    assert region_rows["placements"].sum() == 4 and target_rows["placements"].sum() == 3
    assert list(region_rows.index[region_rows["placements"] > 0]) == [1, 3, 12]
    # 13 weeks in one job: person 0 in week 14, person 2 in week 16, person 1 in week 25
    # (its first job lasted 9 weeks)
    assert region_rows.loc[[14, 16, 25], "sustained_3m"].tolist() == [1, 1, 1]
    assert region_rows["sustained_3m"].sum() == 3 and target_rows["sustained_3m"].sum() == 2
    # 26 weeks: weeks 27 (person 0), 29 (person 2) and 38 (person 1); 52 weeks: week 53 and 55
    assert list(region_rows.index[region_rows["sustained_6m"] > 0]) == [27, 29, 38]
    assert list(region_rows.index[region_rows["sustained_12m"] > 0]) == [53, 55]
    assert target_rows["sustained_12m"].sum() == 1
    s = region.seekers
    assert s.sustained[:4].tolist() == [3, 2, 3, 0]
    assert s.first_placement[:4].tolist() == [1, 1, 3, NO_ONE]
    summary = summarise(region, weekly)
    assert summary["placements"] == 4 and summary["target_placements"] == 3
    assert summary["sustained_3m"] == 3 and summary["target_sustained_3m"] == 2
    assert summary["sustained_12m"] == 2 and summary["target_sustained_12m"] == 1
    # weeks to the first job of the people there at the start, censored at the run's end
    # (week 59): (1 + 1 + 3 + 59) / 4 for everyone, (1 + 1 + 59) / 3 in the target group
    assert summary["weeks_to_employment"] == pytest.approx((1 + 1 + 3 + 59) / 4)
    assert summary["target_weeks_to_employment"] == pytest.approx((1 + 1 + 59) / 3)


def test_lasting_employment_per_client_served_and_employed_share_follow_people():
    region = StandIn(6)
    region.clock.week = 30
    # served (started a service) and reached 3 months in one job: persons 0 and 1 (1 is
    # still working); served without lasting work: 2 and 3; never served: 4 (lasting) and 5.
    for person, (served, sustained, state, target, registered) in enumerate([
            (True, 1, State.EMPLOYED, True, 0),
            (True, 2, State.UNEMPLOYED, True, 0),
            (True, 0, State.EMPLOYED, True, 0),
            (True, 0, State.UNEMPLOYED, False, 0),
            (False, 1, State.EMPLOYED, True, 0),
            (False, 0, State.EMPLOYED, False, 7)]):   # registered in week 7: not in the cohort
        region.set(person, state, target=target, served=served, sustained=sustained,
                   registered_week=registered)
    region.record()
    summary = summarise(region, region.frame())
    assert summary["served"] == 4 and summary["target_served"] == 3
    assert summary["lasting_employment_rate_served"] == pytest.approx(2 / 4)
    assert summary["target_lasting_employment_rate_served"] == pytest.approx(2 / 3)
    # employed at the end, among the people there at the start: 0, 2 and 4 of 0–4
    assert summary["employed_share_end"] == pytest.approx(3 / 5)
    assert summary["target_employed_share_end"] == pytest.approx(3 / 4)


# --- cost by payer --------------------------------------------------------------------------

def _paying_week() -> StandIn:
    """One week of money for seven hand-placed people and one pilot coach."""
    pools = [pool("labour_market_training", 300.0, (0.6, 0.4, 0.0)),
             pool("subsidised_job", 0.0, (1.0, 0.0, 0.0))]
    coaches = [SimpleNamespace(pilot=True, cost_per_year=52_000.0, payer_shares=(0.0, 1.0, 0.0))]
    region = StandIn(7, pools, coaches)
    region.clock.week = 1
    region.set(0, State.UNEMPLOYED, benefit=Benefit.EARNINGS_RELATED, benefit_days=20)
    region.set(1, State.UNEMPLOYED, target=True, benefit=Benefit.LABOUR_MARKET_SUBSIDY,
               lms_days=400)
    region.set(2, State.IN_SERVICE, target=True, benefit=Benefit.LABOUR_MARKET_SUBSIDY,
               lms_days=2000, pool=0)
    region.set(3, State.EMPLOYED, target=True)
    region.set(4, State.SUBSIDISED, pool=1, weeks_since_work=60)
    region.set(5, State.OUT_OF_LABOUR_FORCE, target=True, benefit=Benefit.BASIC_ALLOWANCE)
    region.set(6, State.STUDYING)
    pay_week(region)
    region.record()
    return region


# Worked by hand, one line per person (state, municipality, other), scope in brackets:
#  0 earnings-related allowance: the state the basic part 30·5, the fund the rest (50−30)·5
#  1 labour-market subsidy, 400 days paid before: the municipality half of 5 days (target)
#  2 in a service: the whole subsidy is the state's, plus the increase 5·5; the service's
#    purchase 300 €/week by the pool's shares 0.6 / 0.4 (target)
#  3 in work: taxes 5 %, 20 % and 25 % of 600 € (target)
#  4 wage-subsidised job after 60 weeks without work: 40 % of 600 € to the employer, and the
#    same taxes as any work
#  5 out of the labour force, 6 studying: nothing
#  the pilot coach: 52,000 € a year is 1,000 € a week, the municipality's (target)
BY_HAND = {
    "region": {
        "state": 150 + 75 + (150 + 25 + 180) - 30 + (240 - 30),
        "municipality": 75 + 120 - 120 - 120 + 1000,
        "other": 100 - 150 - 150,
    },
    "target": {
        "state": 75 + (150 + 25 + 180) - 30,
        "municipality": 75 + 120 - 120 + 1000,
        "other": -150,
    },
}


def test_cost_by_payer_follows_the_payment_rules_on_a_hand_made_week():
    weekly = _paying_week().frame()
    for scope, expected in BY_HAND.items():
        row = _row(weekly, scope)
        for payer, euros in expected.items():
            assert row[f"cost_{payer}_eur"] == pytest.approx(euros, abs=1e-9), (scope, payer)
        assert row["cost_total_eur"] == pytest.approx(sum(expected.values()), abs=1e-9)


def test_cost_by_item_on_the_hand_made_week():
    row = _row(_paying_week().frame(), "region")
    assert row["cost_earnings_related_allowance_eur"] == pytest.approx(150 + 100)
    assert row["cost_labour_market_subsidy_eur"] == pytest.approx(150 + 150)
    assert row["cost_service_increase_eur"] == pytest.approx(25)
    assert row["cost_service_purchases_eur"] == pytest.approx(300)
    assert row["cost_wage_subsidy_eur"] == pytest.approx(240)
    assert row["cost_coach_staff_eur"] == pytest.approx(1000)
    assert row["cost_tax_revenue_eur"] == pytest.approx(-2 * 600 * (0.05 + 0.2 + 0.25))
    assert "cost_basic_allowance_eur" not in row or row["cost_basic_allowance_eur"] == 0


def test_every_euro_names_who_is_paid():
    ledger = _paying_week().ledger.to_frame()
    payees = ledger.groupby("item")["payee"].unique().map(list).to_dict()
    assert payees == {
        "earnings_related_allowance": ["job_seekers"], "labour_market_subsidy": ["job_seekers"],
        "service_increase": ["job_seekers"], "service_purchases": ["service_providers"],
        "wage_subsidy": ["firms"], "coach_staff": ["staff"], "tax_revenue": ["employed"]}
    assert set(ledger["week"]) == {1}


def test_run_costs_are_the_sums_of_the_weeks():
    region = _paying_week()
    region.clock.week = 2
    pay_week(region)          # the same people, a second week (person 1 has 405 days now)
    region.record()
    summary = summarise(region, region.frame())
    for scope, prefix in (("region", ""), ("target", "target_")):
        for payer, euros in BY_HAND[scope].items():
            assert summary[f"{prefix}cost_{payer}_eur"] == pytest.approx(2 * euros)
        assert summary[f"{prefix}cost_total_eur"] == pytest.approx(
            2 * sum(BY_HAND[scope].values()))


def test_the_earnings_related_allowance_turns_into_the_subsidy_when_exhausted():
    region = StandIn(2)
    region.clock.week = 1
    region.set(0, State.UNEMPLOYED, benefit=Benefit.EARNINGS_RELATED, benefit_days=395)
    region.set(1, State.UNEMPLOYED, benefit=Benefit.EARNINGS_RELATED, benefit_days=390)
    pay_week(region)
    s = region.seekers
    # 395 + 5 = 400 days: exhausted (the maximum); 390 + 5 = 395: not yet
    assert s.benefit[:2].tolist() == [Benefit.LABOUR_MARKET_SUBSIDY, Benefit.EARNINGS_RELATED]
    assert s.benefit_days[:2].tolist() == [0, 395]


# --- deadweight and the creaming gap against the baseline ------------------------------------

def _clients() -> pd.DataFrame:
    """Provider clients of a scenario run, as ``ProviderMarket.client_frame`` gives them."""
    rows = [
        # person, intake, placement week (-1: none), paid €, initial, employability
        (1, 5, 10, 1000.0, True, 1.0),
        (2, 5, 10, 2000.0, True, 2.0),
        (3, 8, 12, 500.0, True, 3.0),
        (4, 8, 12, 700.0, True, 4.0),
        (5, 6, 9, 900.0, False, 5.0),    # registered during the run: not compared
        (6, 2, 4, 0.0, True, 6.0),       # placed but nothing paid: not compared
        (7, 2, -1, 300.0, True, 7.0),    # paid (an attachment fee) but never placed
        (8, 0, 3, 400.0, True, 8.0),
    ]
    return pd.DataFrame(rows, columns=["person", "intake_week", "placement_week", "paid_eur",
                                       "initial", "employability"])


def _baseline_events() -> pd.DataFrame:
    """The same people in the same-seed baseline run: who started or lost a job when."""
    rows = [
        (1, 23, "placements"),   # person 1: in work by week 10 + 13: deadweight
        (2, 24, "placements"),   # person 2: a week too late
        (3, 2, "placements"),    # person 3: in work since before the intake: deadweight
        (4, 2, "placements"), (4, 6, "job_losses"),   # person 4: lost it before the intake
        (5, 9, "placements"),    # would be deadweight, but person 5 is not compared
        (6, 3, "placements"),
        (7, 5, "placements"),
    ]
    return pd.DataFrame(rows, columns=["person", "week", "event"])


def test_deadweight_is_the_share_of_paid_placements_the_baseline_had_anyway():
    result = deadweight(_clients(), _baseline_events(), grace_weeks=13)
    # compared: paid, placed, initial clients 1, 2, 3, 4 and 8; deadweight: 1 and 3
    assert result["paid_outcomes_compared"] == 5
    assert result["deadweight_outcomes"] == 2
    assert result["deadweight_share"] == pytest.approx(2 / 5)
    assert result["paid_eur_compared"] == pytest.approx(1000 + 2000 + 500 + 700 + 400)
    assert result["deadweight_eur"] == pytest.approx(1000 + 500)


def test_deadweight_window_runs_from_intake_to_placement_plus_grace():
    events = _baseline_events()
    # without grace, person 1's baseline job in week 23 comes too late
    assert deadweight(_clients(), events, grace_weeks=0)["deadweight_outcomes"] == 1
    # a grace of 14 weeks reaches person 2's baseline job in week 24
    assert deadweight(_clients(), events, grace_weeks=14)["deadweight_outcomes"] == 3
    # a baseline job that starts in the intake week counts; one a week before and lost
    # the week before the intake does not
    clients = pd.DataFrame({"person": [1, 2], "intake_week": [5, 5], "placement_week": [9, 9],
                            "paid_eur": [1.0, 1.0], "initial": [True, True],
                            "employability": [1.0, 2.0]})
    edge = pd.DataFrame({"person": [1, 2, 2], "week": [5, 3, 4],
                         "event": ["placements", "placements", "job_losses"]})
    assert deadweight(clients, edge, grace_weeks=0)["deadweight_outcomes"] == 1


def test_deadweight_without_paid_placements_is_undefined_not_zero():
    result = deadweight(_clients().assign(paid_eur=0.0), _baseline_events())
    assert result["paid_outcomes_compared"] == 0 and result["deadweight_outcomes"] == 0
    assert math.isnan(result["deadweight_share"])


def test_creaming_gap_is_the_top_third_placement_rate_minus_the_bottom_third():
    employability = np.arange(1.0, 10.0)          # 1 … 9: thirds {1,2,3} and {7,8,9}
    placed = np.array([1, 0, 0, 1, 1, 1, 1, 1, 0], dtype=bool)
    assert creaming_gap(employability, placed) == pytest.approx(2 / 3 - 1 / 3)
    assert creaming_gap(employability[::-1], placed[::-1]) == pytest.approx(1 / 3)
    assert creaming_gap(employability, ~placed) == pytest.approx(1 / 3 - 2 / 3)
    assert math.isnan(creaming_gap(np.array([1.0, 2.0]), np.array([True, False])))


def test_baseline_creaming_gap_asks_whether_the_same_people_worked_in_the_baseline():
    clients = _clients()
    events = _baseline_events()
    # the initial clients 1, 2, 3, 4, 6, 7, 8 by employability; in work in the baseline
    # between intake and intake + 10 weeks: 3 (since week 2), 6 (week 3), 7 (week 5)
    # employability thirds of (1, 2, 3, 4, 6, 7, 8): bottom {1, 2, 3}, top {6, 7, 8}
    gap = baseline_creaming_gap(clients, events, programme_weeks=10)
    assert gap == pytest.approx(2 / 3 - 1 / 3)
    # a 20-week window also reaches the baseline jobs of persons 1 and 2 (weeks 23 and 24)
    assert baseline_creaming_gap(clients, events, programme_weeks=20) == pytest.approx(
        2 / 3 - 3 / 3)


# --- cost per net placement -----------------------------------------------------------------

def _result(replication: int, summary: dict[str, float]) -> RunResult:
    empty = pd.DataFrame()
    return RunResult("x", replication, 1, (replication,), empty, empty, empty, summary)


def test_cost_per_net_placement_is_the_mean_cost_effect_over_the_mean_placement_effect():
    base = [_result(i, {"cost_total_eur": 1000.0, "placements": 10.0, "sustained_3m": 5.0,
                        "target_cost_total_eur": 500.0, "target_placements": 4.0,
                        "target_sustained_3m": 2.0}) for i in range(3)]
    pilot = [_result(i, {"cost_total_eur": c, "placements": p, "sustained_3m": 6.0,
                         "target_cost_total_eur": 800.0, "target_placements": 4.0,
                         "target_sustained_3m": 1.0})
             for i, (c, p) in enumerate([(1100.0, 12.0), (1300.0, 14.0), (1200.0, 13.0)])]
    effects = paired_effects(pilot, base)
    # cost effects 100, 300, 200 (mean 200); placement effects 2, 4, 3 (mean 3)
    assert effects["cost_total_eur"]["mean"] == pytest.approx(200)
    assert effects["placements"]["mean"] == pytest.approx(3)
    assert effects["cost_per_net_placement_eur"]["mean"] == pytest.approx(200 / 3)
    # per net lasting placement: one more 3-month placement in each replication
    assert effects["cost_per_net_lasting_placement_eur"]["mean"] == pytest.approx(200 / 1)
    # a bootstrap interval of ratios of resampled means: between the replications' own
    # ratios 100/2 = 50 and 300/4 = 75
    low, high = (effects["cost_per_net_placement_eur"][k] for k in ("ci95_low", "ci95_high"))
    assert 50 - 1e-9 <= low <= 200 / 3 <= high <= 75 + 1e-9
    # the target group: no net placements, fewer lasting ones: no cost per net placement
    assert math.isnan(effects["target_cost_per_net_placement_eur"]["mean"])
    assert math.isnan(effects["target_cost_per_net_lasting_placement_eur"]["mean"])


def test_each_initial_target_group_members_outcomes_are_their_own():
    from simulation.engine.results import cohort_outcomes

    region = StandIn(4)
    region.clock.week = 20
    region.set(0, State.EMPLOYED, target=True, first_placement=3, sustained=1, served=True)
    region.set(1, State.UNEMPLOYED, target=True, first_placement=0)      # placed in week 0
    region.set(2, State.SUBSIDISED, target=True, pool=None)
    region.set(3, State.EMPLOYED, target=True, first_placement=5, sustained=3)
    frame = cohort_outcomes(region, np.array([0, 1, 2, 3]))
    assert frame["person"].tolist() == [0, 1, 2, 3]
    assert frame["placed"].tolist() == [True, True, False, True]
    assert frame["employed_end"].tolist() == [True, False, False, True]
    assert frame["sustained"].tolist() == [1, 0, 0, 3]
    assert frame["served"].tolist() == [True, False, False, False]


def test_mean_wait_is_weighted_by_the_admissions_of_each_week():
    region = StandIn(1)
    for week, admitted, wait in ((1, 3, 2.0), (2, 0, float("nan")), (3, 1, 6.0)):
        region.clock.week = week
        region.metrics.record((np.array([admitted, 0]), np.array([admitted * wait
                                                                  if admitted else 0.0, 0.0]),
                               np.zeros((2, 0), np.int64)), [], {})
    summary = summarise(region, region.frame())
    # 3 people waited 2 weeks, 1 person 6 weeks: (3·2 + 1·6) / 4 = 3 weeks
    assert summary["mean_wait_weeks"] == pytest.approx(3.0)
    assert summary["target_mean_wait_weeks"] == 0.0     # no target-group admissions


def test_rates_over_no_one_are_undefined_not_zero():
    region = StandIn(2)
    region.clock.week = 4
    region.set(0, State.UNEMPLOYED, registered_week=2)
    region.set(1, State.EMPLOYED, registered_week=3)
    region.record()
    summary = summarise(region, region.frame())
    assert summary["served"] == 0
    for name in ("lasting_employment_rate_served", "weeks_to_employment", "employed_share_end",
                 "target_lasting_employment_rate_served", "target_employed_share_end"):
        assert math.isnan(summary[name]), name


def test_a_municipal_wage_subsidy_top_up_is_for_the_target_group_and_capped():
    pools = [pool("subsidised_job", 100.0, (1.0, 0.0, 0.0)), pool("enterprise", 0.0, (1, 0, 0))]
    coaches = [SimpleNamespace(pilot=False, cost_per_year=26_000.0, payer_shares=(1.0, 0, 0)),
               SimpleNamespace(pilot=False, cost_per_year=26_000.0, payer_shares=(1.0, 0, 0)),
               SimpleNamespace(pilot=True, cost_per_year=5_200.0, payer_shares=(0.5, 0.5, 0))]
    region = StandIn(6, pools, coaches, overrides={
        "wage_subsidy": {"rates": [0.3, 0.4, 0.5], "municipal_top_up": 0.2, "top_up_cap": 0.5}})
    region.clock.week = 1
    # subsidised jobs after 10, 60 and 110 weeks without work: state rates 30, 40 and 50 %;
    # the city tops up by 20 points but not past 50 %: 20, 10 and 0 points, target group only
    for person, weeks in enumerate((10, 60, 110)):
        region.set(person, State.SUBSIDISED, target=True, pool=0, weeks_since_work=weeks)
    region.set(3, State.SUBSIDISED, target=False, pool=0, weeks_since_work=10)
    region.set(4, State.SUBSIDISED, target=True, pool=1)           # a start-up grant
    region.set(5, State.UNEMPLOYED, benefit=Benefit.BASIC_ALLOWANCE)
    pay_week(region)
    region.record()
    ledger = region.ledger.to_frame()

    def paid(item: str, payer: str, scope: str | None = None) -> float:
        rows = ledger[(ledger["item"] == item) & (ledger["payer"] == payer)]
        return rows[rows["scope"] == scope]["amount_eur"].sum() if scope else \
            rows["amount_eur"].sum()

    assert paid("wage_subsidy", "state") == pytest.approx(600 * (0.3 + 0.4 + 0.5 + 0.3))
    assert paid("wage_subsidy", "municipality", "target") == pytest.approx(600 * (0.2 + 0.1))
    assert paid("wage_subsidy", "municipality", "other") == 0
    # the subsidised jobs' purchase: 100 € a week each, three in the target group
    assert paid("service_purchases", "state", "target") == pytest.approx(300)
    assert paid("service_purchases", "state", "other") == pytest.approx(100)
    # a start-up grant is the basic allowance, 30 € × 5 days, from the state; no taxes on it
    assert paid("start_up_grant", "state", "target") == pytest.approx(150)
    assert paid("start_up_grant", "state", "other") == 0
    assert paid("basic_allowance", "state", "other") == pytest.approx(150)   # person 5
    assert paid("basic_allowance", "state", "target") == 0
    assert set(ledger.loc[ledger["item"] == "basic_allowance", "payee"]) == {"job_seekers"}
    assert paid("tax_revenue", "state") == pytest.approx(-4 * 600 * 0.05)
    # staff: two TE experts at 500 € a week each, the state's (the rest of the region); a
    # pilot coach at 100 € a week, half the state's, half the municipality's (target)
    assert paid("coach_staff", "state", "other") == pytest.approx(1000)
    assert paid("coach_staff", "state", "target") == pytest.approx(50)
    assert paid("coach_staff", "municipality", "target") == pytest.approx(50)


def test_wage_subsidy_tiers_change_at_52_and_104_weeks_and_grants_go_to_entrepreneurs():
    pools = [pool("subsidised_job", 0.0, (1.0, 0.0, 0.0)), pool("enterprise", 0.0, (1, 0, 0))]
    region = StandIn(5, pools)
    region.clock.week = 1
    for person, weeks in enumerate((51, 52, 103, 104)):
        region.set(person, State.SUBSIDISED, pool=0, weeks_since_work=weeks)
    region.set(4, State.SUBSIDISED, pool=1)
    pay_week(region)
    ledger = region.ledger.to_frame()
    subsidy = ledger[ledger["item"] == "wage_subsidy"]["amount_eur"].sum()
    assert subsidy == pytest.approx(600 * (0.3 + 0.4 + 0.4 + 0.5))
    grants = ledger[ledger["item"] == "start_up_grant"]
    assert grants["payee"].tolist() == ["entrepreneurs"] and grants["amount_eur"].sum() == 150
