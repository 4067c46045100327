"""What providers are paid in a run, worked out by hand from the run's own outcome log.

``tests/test_providers.py`` reconciles every contract with ``settlement.settle``; these tests
pin the amounts themselves: the steering group's judgement and bonus, risk-class prices, and
when a contract's weeks start. Small regions, short runs.
"""

from __future__ import annotations

import numpy as np
import pytest

from simulation.engine.model import RegionalLabourMarket
from simulation.params.loading import load_scenario

A = {"assumption": "test"}
SMALL = {"providers": 2, "staff_hours_per_week": 40.0, "fixed_cost_per_week_eur": 500.0,
         "target_clients": 450, "referrals_per_week": 8.0}


def _market(scenario: str, procurement: dict, weeks: int, seed: int = 1):
    overrides = {"region": {"job_seekers": 3000}, "interventions": {"procurement": procurement}}
    model = RegionalLabourMarket(load_scenario(scenario, overrides=overrides),
                                 rng=np.random.SeedSequence(seed))
    model.run(weeks)
    model.release()
    return model, model.providers


def test_the_steering_group_judges_by_the_mean_client_feedback_and_the_bonus_follows():
    # Keski-Suomi: base fee 90,000 €, a bonus of up to 16 % of it judged in contract week 27;
    # clients served 8 weeks, so many have left (and given feedback) by then
    model, market = _market("keski_suomi_growth_booster", {"programme_weeks": 8}, weeks=30)
    events = market.events_frame()
    (review,) = events[events["kind"] == "steering_review"].itertuples()
    assert review.week == 27
    feedback = events[(events["kind"] == "feedback") & (events["week"] <= 27)
                      & (events["provider"] == review.provider)]["value"].dropna()
    assert len(feedback) >= 5
    assert review.value == pytest.approx(feedback.mean(), rel=1e-12)   # a fraction in [0, 1]
    bonus = market.fee_cents[review.provider, market.fees.order.index("steering_bonus")] / 100
    assert bonus == pytest.approx(90_000 * 0.16 * review.value, abs=0.005)
    ledger = model.ledger.to_frame()
    paid = ledger.loc[ledger["item"] == "provider_fee:steering_bonus", "amount_eur"].sum()
    assert paid == pytest.approx(bonus, abs=1e-6)
    assert (market.reconcile()["gap_eur"].abs() < 0.005).all()


def test_risk_tiered_placement_fees_pay_each_first_placement_at_its_risk_class_price():
    tiers = [1000, 2000, 4000]
    contract = {"title": "test", "pilot": "test", "sources": ["test"],
                "outcome_fees": {"placement": {"value": tiers, **A}}}
    model, market = _market("outsourcing_generic", {**SMALL, "contract_table": contract},
                            weeks=25)
    events = market.events_frame()
    placements = events[events["kind"] == "placement"].drop_duplicates("client_id")
    assert placements["risk_class"].nunique() == 3 and len(placements) >= 5
    by_hand = sum(tiers[r] for r in placements["risk_class"])
    column = market.fees.order.index("outcome_fee.placement")
    assert market.fee_cents[:, column].sum() / 100 == pytest.approx(by_hand)
    ledger = model.ledger.to_frame()
    fees = ledger[ledger["item"] == "provider_fee:outcome_fee.placement"]
    assert fees["amount_eur"].sum() == pytest.approx(by_hand)
    assert set(fees["payer"]) <= {"state", "municipality", "other"}
    clients = market.client_frame()
    assert clients["paid_eur"].sum() == pytest.approx(by_hand)


def test_contract_weeks_count_from_the_providers_start_week():
    model, market = _market("outsourcing_generic", {**SMALL, "start_week": 9}, weeks=6)
    provider = market.providers[0]
    assert provider.start_week == 9
    assert market.contract_weeks(provider) == 0          # week 6: not started
    model.run(4)                                          # week 10: contract weeks 0 and 1
    assert market.contract_weeks(provider) == 2
