"""Provider contracts: each pilot's fee schedule pays exactly what DOMAIN.md §2.3 says.

Expected amounts are worked out by hand from the figures in DOMAIN.md §2.3. Where the brief
gives no figure the contract file marks an assumption; the test then reads that number straight
from the TOML text (not through the code under test).
"""

from __future__ import annotations

import math
import tomllib
from decimal import Decimal
from pathlib import Path
from typing import Any

import pandas as pd
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.params.contracts import (
    ContractError,
    contract_from_table,
    contract_names,
    load_contract,
)
from simulation.params.settlement import OutcomeEvent, settle

CONTRACTS = Path(__file__).resolve().parents[1] / "scenarios" / "contracts"
PILOTS = (
    "entrepreneur_to_employer", "growth_boost_pirkanmaa", "pohjois_savo_growth_skills",
    "etela_pohjanmaa_growth", "bothnian_arc", "keski_suomi_growth_booster", "koko_rekry",
    "marine_car_industry", "tourism_lapland", "growth_south_east", "kokosata_rekry",
)
NAN = math.nan
D = Decimal


def assumed(name: str, *keys: str | int) -> Decimal:
    """A number from the contract file's raw TOML, checked to be marked an assumption."""
    node: Any = tomllib.loads((CONTRACTS / f"{name}.toml").read_text(encoding="utf-8"))
    for key in ("contract", *keys):
        node = node[key]
    assert "assumption" in node, f"{name}: {keys} is expected to be an assumption"
    return D(str(node["value"]))


def totals(name: str, events: list[OutcomeEvent], weeks: int = 200) -> dict[str, Decimal]:
    return dict(settle(load_contract(name), events, weeks=weeks).totals_eur)


def client(week: int, kind: str, client_id: int, risk_class: int = -1,
           value: float = NAN) -> OutcomeEvent:
    return OutcomeEvent(week, kind, client_id=client_id, risk_class=risk_class, value=value)


def firm(week: int, kind: str, firm_id: int, value: float = NAN) -> OutcomeEvent:
    return OutcomeEvent(week, kind, firm_id=firm_id, value=value)


def metric(week: int, name: str, value: float) -> OutcomeEvent:
    return OutcomeEvent(week, name, value=value)


def minimal(**components: Any) -> dict[str, Any]:
    return {"title": "test", "pilot": "test contract", "sources": ["test"], **components}


# --- the shipped contracts ------------------------------------------------------------------

def test_every_pilot_of_domain_2_3_has_a_contract_file():
    # and Kuopio's dynamic purchasing system (DOMAIN §2.1)
    assert set(contract_names()) == {*PILOTS, "generic_outsourcing", "kuopio_dps"}


@pytest.mark.parametrize("name", [*PILOTS, "generic_outsourcing", "kuopio_dps"])
def test_every_number_in_a_contract_file_says_where_it_came_from(name):
    contract = load_contract(name)
    assert contract.provenance
    assert all(text.startswith(("source: ", "assumption: "))
               for text in contract.provenance.values())
    sourced = [t for t in contract.provenance.values() if t.startswith("source: ")]
    assert all("seed 004 (TEM 17/2018), DOMAIN.md §2.3" in t for t in sourced)


def test_a_contract_loads_by_path_as_well_as_by_name():
    by_path = load_contract(CONTRACTS / "koko_rekry.toml")
    assert by_path.outcome_fees == load_contract("koko_rekry").outcome_fees


def test_an_unknown_contract_name_suggests_the_closest():
    with pytest.raises(ContractError, match="did you mean 'koko_rekry'"):
        load_contract("koko_rekri")


def test_a_number_without_source_is_refused(tmp_path):
    path = tmp_path / "bare.toml"
    path.write_text('[contract]\ntitle = "t"\npilot = "p"\nsources = ["s"]\n'
                    "budget_cap_eur = 100\n", encoding="utf-8")
    with pytest.raises(ContractError) as error:
        load_contract(path)
    assert error.value.field_path == "contract.budget_cap_eur"


# --- each pilot's schedule, component by component ------------------------------------------

def test_entrepreneur_to_employer_pays_per_firm_served_and_per_outcome():
    events = [
        firm(2, "personal_guidance", 1), firm(4, "recruitment_plan", 1),
        firm(8, "personal_guidance", 1),                  # second guidance: paid once per firm
        firm(10, "feedback", 1, value=1.0),               # all five items at the top: bonus
        firm(14, "firm_growth", 1, value=0.5),            # 12 weeks after first guidance: paid
        firm(3, "personal_guidance", 2), firm(5, "recruitment_plan", 2),
        firm(10, "feedback", 2, value=0.95),              # one item below the top: no bonus
        firm(20, "firm_growth", 2, value=0.6),            # 17 weeks after guidance: too late
        firm(1, "personal_guidance", 3),
        firm(5, "firm_growth", 3, value=0.4),             # under 0.5 person-years
        firm(6, "group_event", 900),
    ]
    assert totals("entrepreneur_to_employer", events) == {
        "quality_bonus": D(1000),
        "firm_fee.personal_guidance": D(3 * 800),
        "firm_fee.recruitment_plan": D(2 * 300),
        "firm_fee.group_event": D(3000),
        "firm_outcome.firm_growth": D(1200),
    }


def test_growth_boost_splits_the_voucher_50_25_25_and_non_response_earns_no_quality_fee():
    price = assumed("growth_boost_pirkanmaa", "blend", "price_per_client_eur")
    events = [client(1, "attachment", c) for c in (1, 2, 3, 4)]
    events += [client(20, "placement", 1), client(25, "placement", 2)]
    events += [client(30, "feedback", 1, value=1.0), client(30, "feedback", 2, value=0.5),
               client(30, "feedback", 3, value=NAN)]           # client 4 was never asked
    assert totals("growth_boost_pirkanmaa", events) == {
        "attachment_fee": 4 * price * D("0.5"),
        "outcome_fee.placement": 2 * price * D("0.25"),
        "quality_bonus": price * D("0.25") * (1 + D("0.5")),
    }


def test_pohjois_savo_black_box_pays_each_metric_reaching_its_target_at_12_months():
    events = [metric(50, "firm_sales_growth", 0.12),
              metric(40, "recruiting_activity", 5),
              metric(53, "recruiting_activity", 20)]              # after the checkpoint
    assert assumed("pohjois_savo_growth_skills", "black_box", 0, "target") <= D("0.12")
    assert totals("pohjois_savo_growth_skills", events) == {
        "black_box.firm_sales_growth":
            assumed("pohjois_savo_growth_skills", "black_box", 0, "fee_eur"),
    }
    before_checkpoint = settle(load_contract("pohjois_savo_growth_skills"), events, weeks=52)
    assert before_checkpoint.total_eur == 0


def test_etela_pohjanmaa_fixed_fee_and_second_phase_option():
    contract = load_contract("etela_pohjanmaa_growth")
    needed = int(assumed("etela_pohjanmaa_growth", "extension", "threshold"))
    placements = [client(10 + c, "placement", c) for c in range(needed)]
    full_term = settle(contract, placements, weeks=200)
    assert full_term.totals_eur == {"base_fee": D(50000)}
    assert full_term.extension_exercised
    assert not settle(contract, placements[:-1], weeks=200).extension_exercised
    assert not settle(contract, placements, weeks=52).extension_exercised  # review not reached
    # 50,000 € in 86 weekly instalments: 46 of 581.40 € then 40 of 581.39 €; weeks 1..43 paid.
    assert settle(contract, [], weeks=44).total_eur == 43 * D("581.40")


def test_bothnian_arc_pays_employment_its_duration_and_metrics():
    name = "bothnian_arc"
    events = [client(5, "placement", c) for c in (1, 2, 3)]
    events += [client(31, "employed_6m", c) for c in (1, 2)]
    events += [metric(30, "new_firm_networks", 3), metric(50, "students_to_firms", 4)]
    assert totals(name, events) == {
        "outcome_fee.placement": 3 * assumed(name, "outcome_fees", "placement"),
        "outcome_fee.employed_6m": 2 * assumed(name, "outcome_fees", "employed_6m"),
        "black_box.new_firm_networks": assumed(name, "black_box", 0, "fee_eur"),
    }


def test_keski_suomi_steering_group_bonus_is_a_share_of_up_to_16_percent_of_the_base_fee():
    base = assumed("keski_suomi_growth_booster", "base_fee", "total_eur")
    end = int(assumed("keski_suomi_growth_booster", "base_fee", "remainder_week"))
    events = [OutcomeEvent(end, "steering_review", value=0.75)]
    result = settle(load_contract("keski_suomi_growth_booster"), events, weeks=200)
    assert result.totals_eur == {"base_fee": base, "steering_bonus": base * D("0.16") * D("0.75")}
    base_rows = result.payments[result.payments["component"] == "base_fee"]
    assert base_rows["week"].tolist() == [0, end]


def test_koko_rekry_pays_per_placement_only_and_nothing_for_lasting_employment():
    events = [client(3, "placement", c) for c in (1, 2, 3)]
    events += [client(30, "employed_6m", c) for c in (1, 2)] + [client(55, "employed_12m", 1)]
    assert totals("koko_rekry", events) == {
        "outcome_fee.placement": 3 * assumed("koko_rekry", "outcome_fees", "placement"),
    }


def test_marine_car_pays_900_650_450_by_risk_class_per_placement_lasting_3_months():
    events = [client(14, "employed_3m", c, risk_class=c) for c in (0, 1, 2)]
    events += [client(1, "placement", 5, risk_class=2),      # not yet 3 months: not paid
               client(30, "employed_3m", 0, risk_class=0),   # the same client again: paid once
               client(2, "training_referral", 6), client(3, "training_referral", 7)]
    result = settle(load_contract("marine_car_industry"), events, weeks=200)
    referral = assumed("marine_car_industry", "outcome_fees", "training_referral")
    assert result.totals_eur == {"outcome_fee.employed_3m": D(450 + 650 + 900),
                                 "outcome_fee.training_referral": 2 * referral}
    by_client = result.payments.set_index("client_id")["amount_eur"]
    assert (by_client[2], by_client[1], by_client[0]) == (900, 650, 450)  # high risk, high fee


def test_tourism_lapland_pays_at_most_700_on_quality_and_300_on_recruitment_per_firm():
    events = [firm(10, "feedback", 1, value=1.0), firm(10, "feedback", 2, value=0.5),
              firm(10, "feedback", 3, value=NAN),
              firm(20, "firm_recruitment", 1, value=1), firm(20, "firm_recruitment", 2, value=0)]
    result = settle(load_contract("tourism_lapland"), events, weeks=200)
    assert result.totals_eur == {
        "base_fee": assumed("tourism_lapland", "base_fee", "total_eur"),
        "quality_bonus": D(700) + D(350),
        "firm_outcome.firm_recruitment": D(300),
    }
    per_firm = result.payments[result.payments["firm_id"] >= 0].groupby("firm_id")["amount_eur"]
    assert per_firm.sum().max() == 1000


def test_growth_south_east_pays_per_recruitment():
    events = [client(8, "placement", c) for c in range(4)]
    assert totals("growth_south_east", events) == {
        "outcome_fee.placement": 4 * assumed("growth_south_east", "outcome_fees", "placement"),
    }


def test_kokosata_pays_a_fixed_start_fee_2000_per_recruitment_and_400_per_training_referral():
    events = [client(10, "placement", c) for c in (1, 2, 3)]
    events += [client(5, "recruitment_training", c) for c in (4, 5)]
    result = settle(load_contract("kokosata_rekry"), events, weeks=200)
    start_fee = assumed("kokosata_rekry", "base_fee", "total_eur")
    assert result.totals_eur == {"base_fee": start_fee,
                                 "outcome_fee.placement": D(3 * 2000),
                                 "outcome_fee.recruitment_training": D(2 * 400)}
    assert result.payments["week"].iloc[0] == 0 and result.payments["amount_eur"].iloc[0] == (
        float(start_fee))


def test_generic_outsourcing_blend():
    name = "generic_outsourcing"
    price = assumed(name, "blend", "price_per_client_eur")
    events = [client(0, "attachment", 1), client(0, "attachment", 2),
              client(10, "placement", 1), client(36, "employed_6m", 1),
              client(40, "feedback", 1, value=0.8), client(40, "feedback", 2, value=NAN)]
    assert totals(name, events) == {
        "attachment_fee": 2 * price * assumed(name, "blend", "base_share"),
        "outcome_fee.placement": price * assumed(name, "blend", "result_shares", "placement"),
        "outcome_fee.employed_6m": price * assumed(name, "blend", "result_shares", "employed_6m"),
        "quality_bonus": price * assumed(name, "blend", "quality_share") * D("0.8"),
    }


# --- settlement rules -----------------------------------------------------------------------

def capped_contract(cap: float = 1000) -> Any:
    return contract_from_table(minimal(outcome_fees={"placement": 400}, budget_cap_eur=cap),
                               file="test")


def test_budget_cap_cuts_the_payment_that_crosses_it_and_everything_after():
    events = [client(3, "placement", 30), client(1, "placement", 10), client(2, "placement", 20),
              client(4, "placement", 40)]
    result = settle(capped_contract(), events, weeks=10)
    assert result.payments["client_id"].tolist() == [10, 20, 30, 40]  # chronological
    assert result.payments["amount_eur"].tolist() == [400, 400, 200, 0]
    assert result.payments["cut_cents"].tolist() == [0, 0, 20000, 40000]
    assert result.total_eur == 1000 and result.capped_eur == 600


def test_budget_cap_breaks_ties_within_a_week_by_client_id():
    events = [client(2, "placement", 9), client(2, "placement", 4), client(2, "placement", 7)]
    result = settle(capped_contract(cap=1000), events, weeks=10)
    assert dict(zip(result.payments["client_id"], result.payments["amount_eur"], strict=True)) == {
        4: 400, 7: 400, 9: 200}


def test_non_response_gives_no_quality_bonus_unless_the_contract_counts_it():
    events = [client(5, "feedback", 1, value=NAN), client(5, "feedback", 2, value=0.5)]
    silent = contract_from_table(minimal(quality_bonus={"max_eur": 500}), file="test")
    assert settle(silent, events, weeks=10).totals_eur == {"quality_bonus": D(250)}
    counted = contract_from_table(
        minimal(quality_bonus={"max_eur": 500, "non_response_fraction": 0.4}), file="test")
    assert settle(counted, events, weeks=10).totals_eur == {"quality_bonus": D(200 + 250)}


def test_a_late_response_replaces_an_earlier_non_response():
    events = [client(5, "feedback", 1, value=NAN), client(9, "feedback", 1, value=1.0)]
    contract = contract_from_table(minimal(quality_bonus={"max_eur": 500}), file="test")
    assert settle(contract, events, weeks=10).total_eur == 500


def test_a_client_quality_bonus_ignores_firm_feedback():
    events = [client(5, "feedback", 1, value=1.0), firm(5, "feedback", 8, value=1.0)]
    contract = contract_from_table(minimal(quality_bonus={"max_eur": 500}), file="test")
    assert settle(contract, events, weeks=10).total_eur == 500


def test_events_after_the_horizon_have_not_happened():
    contract = contract_from_table(minimal(outcome_fees={"placement": 100}), file="test")
    events = [client(4, "placement", 1), client(5, "placement", 2)]
    assert settle(contract, events, weeks=5).total_eur == 100


def test_a_dataframe_history_settles_like_a_list_of_events():
    contract = load_contract("marine_car_industry")
    events = [client(w, "employed_3m", c, risk_class=c % 3) for w, c in [(3, 5), (1, 2), (3, 4)]]
    frame = pd.DataFrame({"week": [3, 1, 3], "kind": ["employed_3m"] * 3,
                          "client_id": [5, 2, 4], "risk_class": [2, 2, 1]})
    from_list = settle(contract, events, weeks=10).payments
    from_frame = settle(contract, frame, weeks=10).payments
    pd.testing.assert_frame_equal(from_list, from_frame)


def test_a_risk_class_fee_needs_the_risk_class():
    with pytest.raises(ValueError, match="risk_class"):
        settle(load_contract("marine_car_industry"), [client(3, "employed_3m", 1)], weeks=10)


# --- validation -----------------------------------------------------------------------------

def refused(table: dict[str, Any]) -> ContractError:
    with pytest.raises(ContractError) as error:
        contract_from_table(table, file="test.toml")
    return error.value


def blend(**overrides: Any) -> dict[str, Any]:
    shares = {"price_per_client_eur": 1000, "base_share": 0.5,
              "result_shares": {"placement": 0.25}, "quality_share": 0.25}
    return minimal(blend={**shares, **overrides})


def test_blend_shares_that_sum_to_one_are_accepted():
    contract = contract_from_table(blend(), file="test")
    assert contract.attachment_fee == (D(500),) * 3
    assert contract.quality_bonus is not None and contract.quality_bonus.max_eur == 250


def test_blend_shares_not_summing_to_one_are_refused_naming_the_field():
    error = refused(blend(quality_share=0.2))
    assert error.field_path == "contract.blend"
    assert "sum to 1" in error.message and "0.95" in error.message
    assert "test.toml" in str(error)


def test_blend_and_an_explicit_component_for_the_same_fee_are_refused():
    error = refused({**blend(), "attachment_fee": 100})
    assert error.field_path == "contract.attachment_fee"


@pytest.mark.parametrize(("table", "path", "suggestion"), [
    (minimal(outcome_fees={"placment": 100}), "contract.outcome_fees.placment", "'placement'"),
    (minimal(outcome_fees={"placement": 1}, budget_cap=5), "contract.budget_cap",
     "'budget_cap_eur'"),
    (minimal(firm_fees={"personal_guidence": 800}), "contract.firm_fees.personal_guidence",
     "'personal_guidance'"),
    (minimal(black_box=[{"metric": "m", "target": 1, "fee_eur": 1, "checkpont_week": 5}]),
     "contract.black_box[0].checkpont_week", "'checkpoint_week'"),
])
def test_unknown_keys_are_refused_with_a_suggestion(table, path, suggestion):
    error = refused(table)
    assert error.field_path == path
    assert f"did you mean {suggestion}" in error.message


@pytest.mark.parametrize(("table", "path"), [
    (minimal(outcome_fees={"placement": -100}), "contract.outcome_fees.placement"),
    (minimal(attachment_fee=[450, -650, 900]), "contract.attachment_fee"),
    (minimal(base_fee={"total_eur": -1}), "contract.base_fee.total_eur"),
    (minimal(outcome_fees={"placement": 1}, budget_cap_eur=-5), "contract.budget_cap_eur"),
])
def test_negative_fees_are_refused(table, path):
    error = refused(table)
    assert error.field_path == path
    assert "negative" in error.message


@pytest.mark.parametrize(("table", "path", "words"), [
    (minimal(outcome_fees={"placement": 10.005}), "contract.outcome_fees.placement", "cent"),
    (minimal(outcome_fees={"placement": [1, 2]}), "contract.outcome_fees.placement", "three"),
    (minimal(base_fee={"total_eur": 10, "upfront_share": 0.5}), "contract.base_fee",
     "remainder_week"),
    (minimal(steering_bonus={"max_share": 0.16, "review_week": 5}), "contract", "base_fee"),
    (minimal(), "contract", "pays nothing"),
    (minimal(outcome_fees={"placement": True}), "contract.outcome_fees.placement", "number"),
])
def test_malformed_components_are_refused(table, path, words):
    error = refused(table)
    assert error.field_path == path
    assert words in error.message


def test_settling_is_pure_and_repeatable():
    contract = load_contract("generic_outsourcing")
    events = [client(w % 7, k, w % 5) for w in range(40)
              for k in ("attachment", "placement", "employed_6m")]
    first, second = settle(contract, events, weeks=30), settle(contract, events, weeks=30)
    pd.testing.assert_frame_equal(first.payments, second.payments)
    assert first.totals_eur == second.totals_eur


# --- property: the cap, the totals and the payments agree -----------------------------------

cents = st.integers(min_value=0, max_value=500_000).map(lambda c: D(c).scaleb(-2))
histories = st.lists(
    st.builds(OutcomeEvent, week=st.integers(0, 30),
              kind=st.sampled_from(["attachment", "placement", "employed_6m", "feedback"]),
              client_id=st.integers(0, 12), risk_class=st.integers(0, 2),
              value=st.one_of(st.just(NAN), st.floats(0, 1))),
    max_size=60)


@settings(max_examples=150, deadline=None)
@given(base=cents, upfront=st.sampled_from(["0", "0.25", "0.5", "1"]), attach=cents,
       placement=st.tuples(cents, cents, cents), sustained=cents, quality=cents,
       cap=st.one_of(st.none(), cents), events=histories, weeks=st.integers(0, 40))
def test_total_paid_is_the_sum_of_components_and_the_capped_uncapped_total(
        base, upfront, attach, placement, sustained, quality, cap, events, weeks):
    table = minimal(
        base_fee={"total_eur": base, "upfront_share": D(upfront), "remainder_week": 12,
                  "spread_remainder": upfront == "0.25"},
        attachment_fee=attach, outcome_fees={"placement": list(placement),
                                             "employed_6m": sustained},
        quality_bonus={"max_eur": quality})
    uncapped = settle(contract_from_table(table, file="test"), events, weeks=weeks)
    capped = settle(contract_from_table({**table, "budget_cap_eur": cap}, file="test"), events,
                    weeks=weeks)
    expected = uncapped.total_eur if cap is None else min(cap, uncapped.total_eur)
    assert capped.total_eur == sum(capped.totals_eur.values(), D(0)) == expected
    assert capped.capped_eur == uncapped.total_eur - capped.total_eur
    assert capped.payments["amount_cents"].sum() == int(capped.total_eur * 100)
    assert (capped.payments["amount_cents"] >= 0).all()
    assert capped.payments["week"].is_monotonic_increasing
