"""Contract settlement rule by rule, on small hand-made contracts and outcome histories.

``tests/test_contracts.py`` checks what each pilot's contract pays; these tests pin the rules
that every contract shares (``simulation.params.settlement``), each amount worked out by hand.
"""

from __future__ import annotations

import math
from decimal import Decimal
from typing import Any

import pandas as pd
import pytest

from simulation.params.contracts import contract_from_table
from simulation.params.settlement import OutcomeEvent, events_frame, settle

D = Decimal
NAN = math.nan


def contract(**components: Any):
    return contract_from_table({"title": "test", "pilot": "test", "sources": ["test"],
                                **components}, file="test")


def review(week: int, judged: float) -> OutcomeEvent:
    return OutcomeEvent(week, "steering_review", value=judged)


STEERED = {"base_fee": {"total_eur": 10_000, "upfront_share": 1.0},
           "steering_bonus": {"max_share": 0.2, "review_week": 30}}


def test_the_steering_bonus_follows_the_latest_review_by_the_review_week():
    # reviews in weeks 10 (0.5) and 25 (0.9): the latest one counts, 0.9 of 20 % of 10,000 €
    result = settle(contract(**STEERED), [review(10, 0.5), review(25, 0.9)], weeks=52)
    assert result.totals_eur["steering_bonus"] == D("1800.00")
    bonus = result.payments[result.payments["component"] == "steering_bonus"]
    assert bonus["week"].tolist() == [30]   # paid in the review week
    # the order of the history does not matter, its weeks do
    shuffled = settle(contract(**STEERED), [review(25, 0.9), review(10, 0.5)], weeks=52)
    assert shuffled.totals_eur["steering_bonus"] == D("1800.00")


def test_a_review_after_the_review_week_is_too_late_and_none_pays_nothing():
    late = settle(contract(**STEERED), [review(20, 0.25), review(31, 1.0)], weeks=52)
    assert late.totals_eur["steering_bonus"] == D("500.00")    # 0.25 · 0.2 · 10,000
    on_time = settle(contract(**STEERED), [review(30, 0.5)], weeks=52)
    assert on_time.totals_eur["steering_bonus"] == D("1000.00")
    assert "steering_bonus" not in settle(contract(**STEERED), [], weeks=52).totals_eur
    # before the review week the bonus is not due yet
    assert "steering_bonus" not in settle(contract(**STEERED), [review(10, 1.0)],
                                          weeks=30).totals_eur
    assert settle(contract(**STEERED), [review(10, 1.0)], weeks=31).totals_eur[
        "steering_bonus"] == D("2000.00")


def test_a_spread_base_fee_pays_equal_instalments_the_first_ones_carrying_the_odd_cents():
    fee = {"total_eur": D("1000.03"), "upfront_share": D("0.5"), "remainder_week": 4,
           "spread_remainder": True}
    payments = settle(contract(base_fee=fee), [], weeks=10).payments
    # upfront: half of 1,000.03 € is 500.015 €, rounded half to even: 500.02 €; the rest
    # 500.01 € in four instalments of 125.0025 €: 125.01, 125.00, 125.00, 125.00
    assert payments["week"].tolist() == [0, 1, 2, 3, 4]
    assert payments["amount_cents"].tolist() == [50002, 12501, 12500, 12500, 12500]
    lump = settle(contract(base_fee={**fee, "spread_remainder": False}), [], weeks=10).payments
    assert lump["week"].tolist() == [0, 4] and lump["amount_cents"].tolist() == [50002, 50001]
    # a horizon of weeks 0–2 pays the upfront part and two instalments
    assert settle(contract(base_fee=fee), [], weeks=3).total_eur == D("750.03")


def test_each_client_earns_each_fee_once_on_its_first_event_at_its_risk_class_price():
    tiered = contract(outcome_fees={"placement": [100, 200, 400]}, attachment_fee=50)
    events = [OutcomeEvent(3, "placement", client_id=1, risk_class=2),
              OutcomeEvent(5, "placement", client_id=1, risk_class=0),   # a second: unpaid
              OutcomeEvent(4, "placement", client_id=2, risk_class=1),
              OutcomeEvent(1, "attachment", client_id=1, risk_class=2),
              OutcomeEvent(2, "attachment", client_id=1, risk_class=2)]
    result = settle(tiered, events, weeks=10)
    assert result.totals_eur == {"attachment_fee": D(50), "outcome_fee.placement": D(600)}
    paid = result.payments.set_index(["component", "client_id"])["amount_eur"]
    assert paid[("outcome_fee.placement", 1)] == 400 and paid[("outcome_fee.placement", 2)] == 200
    assert result.payments["week"].tolist() == [1, 3, 4]


def test_proportional_quality_bonus_rounds_half_to_even_and_all_top_pays_only_full_marks():
    events = [OutcomeEvent(2, "feedback", client_id=c, value=v)
              for c, v in ((1, 0.125), (2, 0.375), (3, 1.0), (4, 0.9))]
    proportional = settle(contract(quality_bonus={"max_eur": D("0.20")}), events, weeks=5)
    # 20 cents × 0.125 = 2.5 → 2; × 0.375 = 7.5 → 8; × 1 = 20; × 0.9 = 18
    assert proportional.payments["amount_cents"].tolist() == [2, 8, 20, 18]
    all_top = settle(contract(quality_bonus={"max_eur": 100, "rule": "all_top"}), events,
                     weeks=5)
    assert all_top.totals_eur == {"quality_bonus": D(100)}


def test_firm_outcomes_pay_above_the_threshold_within_the_weeks_after_the_first_service():
    rule = {"firm_growth": {"fee_eur": 1000, "threshold": 2.0, "within_weeks": 10}}
    table = contract(firm_fees={"personal_guidance": 300}, firm_outcomes=rule)
    events = [OutcomeEvent(5, "personal_guidance", firm_id=1),
              OutcomeEvent(15, "firm_growth", firm_id=1, value=2.0),   # 10 weeks on: paid
              OutcomeEvent(5, "personal_guidance", firm_id=2),
              OutcomeEvent(16, "firm_growth", firm_id=2, value=3.0),   # 11 weeks: too late
              OutcomeEvent(5, "personal_guidance", firm_id=3),
              OutcomeEvent(6, "firm_growth", firm_id=3, value=1.5),    # below the threshold
              OutcomeEvent(7, "firm_growth", firm_id=3, value=2.5)]    # paid
    result = settle(table, events, weeks=30)
    assert result.totals_eur == {"firm_fee.personal_guidance": D(900),
                                 "firm_outcome.firm_growth": D(2000)}
    growth = result.payments[result.payments["component"] == "firm_outcome.firm_growth"]
    assert growth["firm_id"].tolist() == [3, 1] and growth["week"].tolist() == [7, 15]


def test_a_black_box_metric_pays_when_its_latest_value_by_the_checkpoint_reaches_the_target():
    box = [{"metric": "m", "target": 10, "fee_eur": 500, "checkpoint_week": 20}]
    pays = [OutcomeEvent(5, "m", value=4.0), OutcomeEvent(20, "m", value=10.0),
            OutcomeEvent(25, "m", value=0.0)]
    assert settle(contract(black_box=box), pays, weeks=40).totals_eur == {
        "black_box.m": D(500)}
    misses = [OutcomeEvent(5, "m", value=12.0), OutcomeEvent(18, "m", value=9.0)]
    assert settle(contract(black_box=box), misses, weeks=40).total_eur == 0
    assert settle(contract(black_box=box), pays, weeks=20).total_eur == 0   # not yet due


@pytest.mark.parametrize(("statistic", "measure", "exercised"), [
    ("latest", 3.0, False), ("count", 3.0, False), ("sum", 9.0, True)])
def test_an_extension_option_reads_its_measure_at_the_review(statistic, measure, exercised):
    option = {"measure": "recruitments", "statistic": statistic, "threshold": 5,
              "review_week": 10}
    table = contract(outcome_fees={"placement": 1}, extension=option)
    events = [OutcomeEvent(w, "recruitments", value=v) for w, v in ((2, 4.0), (6, 2.0),
                                                                    (10, 3.0), (11, 7.0))]
    result = settle(table, events, weeks=20)
    assert result.extension_measure == measure
    assert result.extension_exercised is exercised
    assert settle(table, events, weeks=10).extension_measure is None   # review not reached


def test_a_history_without_week_or_kind_or_with_bad_values_is_refused():
    with pytest.raises(ValueError, match="lacks column"):
        events_frame(pd.DataFrame({"week": [1]}))
    with pytest.raises(ValueError, match="before week 0"):
        events_frame([OutcomeEvent(-1, "placement", client_id=1)])
    with pytest.raises(ValueError, match="risk_class"):
        events_frame([OutcomeEvent(1, "placement", client_id=1, risk_class=3)])
    with pytest.raises(ValueError, match="fractions"):
        events_frame([OutcomeEvent(1, "feedback", client_id=1, value=1.5)])
    with pytest.raises(ValueError, match="client_id"):
        settle(contract(outcome_fees={"placement": 1}), [OutcomeEvent(1, "placement")],
               weeks=5)
    with pytest.raises(ValueError, match="negative"):
        settle(contract(outcome_fees={"placement": 1}), [], weeks=-1)
    row = events_frame(pd.DataFrame({"week": [2], "kind": ["placement"]})).iloc[0].to_dict()
    assert math.isnan(row.pop("value"))
    assert row == {"week": 2, "kind": "placement", "client_id": -1, "firm_id": -1,
                   "risk_class": -1}


def test_a_measure_never_observed_pays_no_black_box_fee_and_leaves_no_extension_measure():
    box = [{"metric": "m", "target": 0, "fee_eur": 500, "checkpoint_week": 20}]
    option = {"measure": "recruitments", "statistic": "latest", "threshold": 0,
              "review_week": 10}
    table = contract(black_box=box, extension=option)
    result = settle(table, [OutcomeEvent(3, "m")], weeks=40)   # a row without a value
    assert result.total_eur == 0
    assert result.extension_measure is None and result.extension_exercised is False


def test_a_bad_risk_class_is_refused_naming_the_valid_classes():
    with pytest.raises(ValueError, match=r"risk_class must be 0\.\.2"):
        events_frame([OutcomeEvent(1, "placement", client_id=1, risk_class=3)])
