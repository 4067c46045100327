"""Each pilot's own contract in its levers (issue 18, item 4): the levers are the contract's
own fees, changing one edits that contract and nothing else, and the generic blend is a
template a participant picks, never a silent replacement."""

from __future__ import annotations

import pytest

pytest.importorskip("dash")

from dashboards.contract_levers import OWN, TEMPLATE, in_words  # noqa: E402
from dashboards.levers import (  # noqa: E402
    RequestError,
    build_request,
    contract_templates,
    levers_for,
    library_scenario,
    parse_query,
    resolve,
    scenario_names,
)
from simulation.params.contracts import load_contract  # noqa: E402

SMALL = {"job_seekers": 600, "weeks": 8, "replications": 2, "seed": 3}


def _fee_levers(name: str, template: str = OWN) -> dict[str, float]:
    return {lever.path: lever.default for lever in levers_for(name, template)
            if lever.group == "Contract"}


def _contract(raw: dict):
    return resolve(build_request({**SMALL, **raw})).scenario.interventions.procurement \
        .resolved_contract()


def test_koko_rekry_levers_are_its_own_placement_fee() -> None:
    shipped = load_contract("koko_rekry")
    fee = float(shipped.outcome_fees.placement[0])
    assert _fee_levers("koko_rekry") == {"contract.outcome_fees.placement": fee}
    assert f"{fee:,.0f} € per placement" in in_words(shipped)
    assert "no base fee" in in_words(shipped)


def test_changing_the_placement_fee_edits_that_contract_only() -> None:
    shipped = load_contract("koko_rekry")
    old = float(shipped.outcome_fees.placement[0])
    edited = _contract({"scenario": "koko_rekry",
                        "contract.outcome_fees.placement": old + 500})
    assert [float(x) for x in edited.outcome_fees.placement] == [old + 500] * 3
    # the same components as the pilot's contract: no base, attachment or quality fee appears
    assert edited.component_order() == shipped.component_order()
    assert edited.title.startswith(shipped.title)


def test_untouched_levers_run_the_shipped_contract() -> None:
    request = build_request({"scenario": "koko_rekry", **SMALL})
    procurement = resolve(request).scenario.interventions.procurement
    assert procurement.contract_table is None
    assert procurement.resolved_contract() == library_scenario("koko_rekry").interventions \
        .procurement.resolved_contract()


def test_the_generic_blend_is_a_template_one_picks() -> None:
    assert "generic_outsourcing" in dict(contract_templates("koko_rekry"))
    request = build_request({"scenario": "koko_rekry", **SMALL,
                             TEMPLATE: "generic_outsourcing", "contract.base_share": 0.3})
    assert parse_query(request.query()) == request  # the template travels in the link
    contract = resolve(request).scenario.interventions.procurement.resolved_contract()
    generic = load_contract("generic_outsourcing")
    price = float(generic.blend.price_per_client_eur)
    assert float(contract.attachment_fee[0]) == pytest.approx(0.3 * price)
    # a fee lever of the own contract means nothing under another template
    with pytest.raises(RequestError, match="is not a lever"):
        build_request({"scenario": "koko_rekry", TEMPLATE: "generic_outsourcing",
                       "contract.outcome_fees.placement": 100})


def test_unknown_template_is_refused() -> None:
    with pytest.raises(RequestError, match="unknown contract template"):
        parse_query("?scenario=koko_rekry&contract.template=../../etc/passwd")


def test_one_risk_class_of_a_tiered_fee_changes_alone() -> None:
    shipped = load_contract("marine_car_industry").outcome_fees.employed_3m
    edited = _contract({"scenario": "marine_car_industry",
                        "contract.outcome_fees.employed_3m.2": float(shipped[2]) + 100})
    assert edited.outcome_fees.employed_3m[:2] == shipped[:2]
    assert edited.outcome_fees.employed_3m[2] == shipped[2] + 100


@pytest.mark.parametrize("name", [n for n in scenario_names()
                                  if library_scenario(n).interventions.procurement])
def test_every_fee_lever_of_every_pilot_edits_a_valid_contract(name: str) -> None:
    own = library_scenario(name).interventions.procurement.resolved_contract()
    for path, default in _fee_levers(name).items():
        fraction = "share" in path or "multiplier" in path
        changed = (default * 0.5 or 0.05) if fraction else default + 10
        edited = _contract({"scenario": name, path: changed})
        if not fraction:  # (a changed blend is written out as its fees)
            assert edited.component_order() == own.component_order(), path
        assert edited != own, path
