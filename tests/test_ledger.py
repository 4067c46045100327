"""Money: the municipal-share rule, payer totals, and the weekly table against the ledger."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pytest
from hypothesis import given
from hypothesis import strategies as st

from simulation.engine.ledger import PAYERS, Ledger, days_by_band, municipal_passive_days
from simulation.engine.model import RegionalLabourMarket
from simulation.engine.payments import pay_week
from simulation.engine.seekers import Benefit, State
from simulation.params.loading import load_scenario

THRESHOLDS, SHARES = [300, 1000], [0.5, 0.7]
DAILY = 32.40


def _reference(before: int, days: int, thresholds: list[int], shares: list[float]) -> float:
    """Day by day: a day is shared once at least ``threshold`` days were paid before it."""
    total = 0.0
    for paid in range(before, before + days):
        share = 0.0
        for threshold, s in zip(thresholds, shares, strict=True):
            if paid >= threshold:
                share = s
        total += share
    return total


@pytest.mark.parametrize(("before", "expected"), [
    (0, 0.0),
    (295, 0.0),        # days 296..300 are all the state's
    (296, 0.5),        # day 301 is the first shared one
    (299, 4 * 0.5),    # day 300 the state's, 301..304 at 50 %
    (300, 5 * 0.5),
    (999, 0.5 + 4 * 0.7),  # day 1,000 at 50 %, 1,001.. at 70 %
    (1000, 5 * 0.7),
    (5000, 5 * 0.7),
])
def test_municipal_days_for_one_passive_week(before: int, expected: float) -> None:
    got = municipal_passive_days(np.array([before]), 5, THRESHOLDS, SHARES)
    assert got[0] == pytest.approx(expected, abs=1e-12)


@given(st.lists(st.integers(0, 3000), min_size=1, max_size=50), st.integers(1, 7),
       st.lists(st.integers(1, 2000), min_size=1, max_size=3, unique=True),
       st.lists(st.floats(0.0, 1.0), min_size=3, max_size=3))
def test_municipal_days_equal_a_day_by_day_count(before: list[int], days: int,
                                                 thresholds: list[int],
                                                 shares: list[float]) -> None:
    thresholds = sorted(thresholds)
    shares = shares[:len(thresholds)]
    got = municipal_passive_days(np.array(before), days, thresholds, shares)
    expected = [_reference(b, days, thresholds, shares) for b in before]
    np.testing.assert_allclose(got, expected, rtol=0, atol=1e-9)
    # the one-band shortcut gives the band-by-band sum to the last bit
    np.testing.assert_array_equal(
        got, days_by_band(np.array(before, dtype=np.int64), days, thresholds, shares))


def test_ledger_payer_rows_sum_to_the_total() -> None:
    ledger = Ledger()
    ledger.pay(1, "state", "job_seekers", "basic_allowance", 100.0)
    ledger.pay_split(1, (0.2, 0.5, 0.3), "service_providers", "service_purchases", 1000.0,
                     "target")
    ledger.pay_by_scope(2, "municipality", "job_seekers", "labour_market_subsidy",
                        np.array([1.0, 2.0, 4.0]), np.array([True, False, True]))
    with pytest.raises(ValueError, match="unknown payer"):
        ledger.pay(1, "nobody", "x", "y", 1.0)
    assert sum(ledger.total(p) for p in PAYERS) == pytest.approx(ledger.total())
    assert ledger.total() == pytest.approx(1107.0)
    frame = ledger.to_frame()
    assert frame["amount_eur"].sum() == pytest.approx(1107.0)
    assert frame.loc[frame["scope"] == "target", "amount_eur"].sum() == pytest.approx(1005.0)


def _constructed_model() -> tuple[RegionalLabourMarket, dict[str, int]]:
    """A tiny model where only a few chosen people draw benefits this week."""
    scenario = load_scenario("baseline", overrides={"region": {"job_seekers": 500}})
    model = RegionalLabourMarket(scenario, rng=1)
    model.step()  # initial cohorts take their places
    s = model.seekers
    state = s.view("state")
    in_service = np.flatnonzero(state == State.IN_SERVICE)
    chosen = {"in_service": int(in_service[0])}
    passive = np.flatnonzero(state == State.UNEMPLOYED)[:4]
    for days, who in zip((299, 300, 999, 1000), passive, strict=True):
        chosen[f"passive_{days}"] = int(who)
    keep = np.array(list(chosen.values()))
    # everyone else leaves the register; the chosen are on the labour-market subsidy
    gone = np.setdiff1d(np.arange(s.n), np.concatenate([keep, in_service]))
    state[gone] = State.OUT_OF_LABOUR_FORCE
    s.view("benefit")[np.setdiff1d(np.arange(s.n), keep)] = Benefit.NONE
    s.benefit[keep] = Benefit.LABOUR_MARKET_SUBSIDY
    s.target[keep] = False
    for key, who in chosen.items():
        s.lms_days[who] = 500 if key == "in_service" else int(key.split("_")[1])
    model.ledger = Ledger()
    return model, chosen


def test_municipal_share_through_the_payment_code() -> None:
    model, chosen = _constructed_model()
    try:
        pay_week(model)
        ledger = model.ledger.to_frame()
        lms = ledger[ledger["item"] == "labour_market_subsidy"]
        municipal = lms.loc[lms["payer"] == "municipality", "amount_eur"].sum()
        state = lms.loc[lms["payer"] == "state", "amount_eur"].sum()
        expected_days = 4 * 0.5 + 5 * 0.5 + (0.5 + 4 * 0.7) + 5 * 0.7
        assert municipal == pytest.approx(expected_days * DAILY)
        # five people, five days each; the one in a service is all the state's
        assert municipal + state == pytest.approx(5 * 5 * DAILY)
        increase = ledger.loc[ledger["item"] == "service_increase", "amount_eur"].sum()
        assert increase == pytest.approx(5 * 4.74)
        s = model.seekers
        for key, who in chosen.items():
            before = 500 if key == "in_service" else int(key.split("_")[1])
            assert s.lms_days[who] == before + 5
    finally:
        model.release()


def test_a_seeker_in_a_service_generates_no_municipal_share() -> None:
    model, chosen = _constructed_model()
    try:
        s = model.seekers
        passive = [who for key, who in chosen.items() if key != "in_service"]
        s.benefit[passive] = Benefit.NONE  # only the one in a service is paid
        s.lms_days[chosen["in_service"]] = 5000
        pay_week(model)
        ledger = model.ledger.to_frame()
        lms = ledger[ledger["item"] == "labour_market_subsidy"]
        assert lms.loc[lms["payer"] == "municipality", "amount_eur"].sum() == 0.0
        assert lms.loc[lms["payer"] == "state", "amount_eur"].sum() == pytest.approx(5 * DAILY)
    finally:
        model.release()


@pytest.fixture(scope="module")
def pilot_run() -> RegionalLabourMarket:
    scenario = load_scenario("baseline", overrides={
        "region": {"job_seekers": 3000},
        "interventions": {"coaching": {"caseload": 60.0},
                          "service_funding": {"extra_places_share": 0.5}},
        "wage_subsidy": {"municipal_top_up": 0.2}})
    model = RegionalLabourMarket(scenario, rng=2)
    model.run(20)
    yield model
    model.release()


def test_payer_totals_sum_to_the_ledger_total(pilot_run: RegionalLabourMarket) -> None:
    ledger = pilot_run.ledger
    assert sum(ledger.total(p) for p in PAYERS) == pytest.approx(ledger.total(), rel=1e-12)
    frame = ledger.to_frame()
    assert set(frame["payer"]) <= set(PAYERS)
    assert {"state", "municipality", "other"} <= set(frame["payer"])
    assert frame["amount_eur"].sum() == pytest.approx(ledger.total(), rel=1e-12)


def test_weekly_cost_columns_equal_the_ledger(pilot_run: RegionalLabourMarket) -> None:
    weekly = pilot_run.metrics.frame()
    ledger = pilot_run.ledger.to_frame()
    for scope, rows in (("region", ledger), ("target", ledger[ledger["scope"] == "target"])):
        table = weekly[weekly["scope"] == scope].set_index("week").sort_index()
        by_payer = rows.pivot_table(index="week", columns="payer", values="amount_eur",
                                    aggfunc="sum").reindex(table.index).fillna(0.0)
        for payer in PAYERS:
            expected = by_payer.get(payer, 0.0)
            np.testing.assert_allclose(table[f"cost_{payer}_eur"], expected, rtol=1e-9,
                                       atol=1e-6)
        total = rows.groupby("week")["amount_eur"].sum().reindex(table.index).fillna(0.0)
        np.testing.assert_allclose(table["cost_total_eur"], total, rtol=1e-9, atol=1e-6)
        items = [c for c in table.columns if c.startswith("cost_")
                 and c.removeprefix("cost_").removesuffix("_eur") not in (*PAYERS, "total")]
        np.testing.assert_allclose(table[items].sum(axis=1), table["cost_total_eur"],
                                   rtol=1e-9, atol=1e-6)
    region = weekly[weekly["scope"] == "region"]
    assert region["cost_total_eur"].sum() == pytest.approx(pilot_run.ledger.total(), rel=1e-9)
    assert isinstance(weekly, pd.DataFrame) and len(region) == 20


share_rows = st.lists(
    st.tuples(st.sampled_from([0.0, 0.25, 0.5, 1.0, 1 / 3]),
              st.sampled_from([0.0, 0.3, 0.5, 2 / 3]),
              st.sampled_from([0.0, 0.2, 0.7])),
    min_size=1, max_size=12)


@given(share_rows, st.data())
def test_split_rows_add_up_as_one_split_a_row(shares: list[tuple], data: st.DataObject) -> None:
    """The week's service purchases, split pool by pool at once, leave the ledger's rows
    bit for bit as one pay_split per pool in pool order would."""
    amounts = np.array(data.draw(st.lists(
        st.one_of(st.just(0.0), st.floats(0.01, 1e7)), min_size=len(shares),
        max_size=len(shares))))
    one_by_one, at_once = Ledger(), Ledger()
    for amount, row in zip(amounts.tolist(), shares, strict=True):
        if amount:
            one_by_one.pay_split(3, row, "service_providers", "service_purchases", amount,
                                 "target")
    at_once.pay_split_rows(3, np.array(shares), "service_providers", "service_purchases",
                           amounts, "target")
    assert dict(at_once._rows) == dict(one_by_one._rows)
