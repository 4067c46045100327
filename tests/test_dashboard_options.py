"""Issue 18's dashboard parts without a browser: pinned options in the link and their names,
the scaling to the real region, the headline cards, the glossary and why-notes, the picker."""

from __future__ import annotations

import math

import pytest

pytest.importorskip("dash")

from dashboards import options  # noqa: E402
from dashboards.glossary import help_text, item_label, why_notes  # noqa: E402
from dashboards.headline_card import cards  # noqa: E402
from dashboards.levers import build_request, scenario_names  # noqa: E402
from dashboards.picker import grouped_options, kind_of  # noqa: E402
from simulation.engine.catalogue import in_group  # noqa: E402
from simulation.engine.providers.codes import COMPONENT_KIND  # noqa: E402
from simulation.experiments.compare import Comparison  # noqa: E402
from simulation.report.headline import Scale  # noqa: E402

SMALL = {"job_seekers": 600, "weeks": 10, "replications": 2}
CASELOAD = "interventions.coaching.caseload"


def ci(mean: float, low: float, high: float) -> dict[str, float]:
    return {"mean": mean, "ci95_low": low, "ci95_high": high}


def request(scenario: str = "pirkanmaa", **levers: float):
    return build_request({"scenario": scenario, **SMALL, **levers})


def test_pinned_options_travel_in_the_fragment_in_order_and_once() -> None:
    fragment = ""
    for caseload in (None, 60, 30):
        levers = {} if caseload is None else {CASELOAD: caseload}
        fragment, message = options.pin(fragment, request(**levers).query())
        assert message.startswith("Pinned as")
    again, message = options.pin(fragment, request(**{CASELOAD: 60}).query())
    assert again == fragment and "Already pinned" in message
    # the view scope changes the view, not the runs: the same option
    scoped = build_request({"scenario": "pirkanmaa", **SMALL, CASELOAD: 30, "scope": "region"})
    assert "Already pinned" in options.pin(fragment, scoped.query())[1]
    pinned = options.read_fragment(fragment)
    assert [options.option_name(o, pinned.options) for o in pinned.options] == [
        "pirkanmaa as in the library", "caseload 60", "caseload 30"]
    assert options.read_fragment(options.unpin(fragment, 1)).options == (
        pinned.options[0], pinned.options[2])


def test_the_fragment_is_untrusted_and_bounded() -> None:
    bad = options.read_fragment("#view=nowhere&option=scenario%3D..%2Fetc%2Fpasswd")
    assert bad.view == "workshop" and bad.options == ()
    assert any("unknown scenario" in p for p in bad.problems)
    fragment = ""
    for caseload in range(10, 10 + options.MAX_OPTIONS):
        fragment, _ = options.pin(fragment, request(**{CASELOAD: caseload}).query())
    full, message = options.pin(fragment, request(**{CASELOAD: 99}).query())
    assert full == fragment and f"At most {options.MAX_OPTIONS}" in message


def test_names_say_what_differs_across_scenarios_and_settings() -> None:
    a = request(**{CASELOAD: 60})
    b = request("outsourcing_generic", **{"contract.base_share": 0.2})
    c = build_request({"scenario": "pirkanmaa", **SMALL, "weeks": 20})
    group = (a, b, c)
    assert options.option_name(a, group) == "pirkanmaa: caseload 60 (10 weeks)"
    assert options.option_name(b, group) == "outsourcing_generic: fee: base share 0.2 (10 weeks)"
    assert options.option_name(c, group) == "pirkanmaa as in the library (20 weeks)"


def test_counts_and_euros_scale_to_the_real_region_but_shares_and_ratios_do_not() -> None:
    c = Comparison(baseline="b", scenario="s", levels={}, effects={
        "target_employed_end": ci(10, 5, 15), "cost_state_eur": ci(1e5, 0, 2e5),
        "target_activation_rate_end": ci(0.1, 0.05, 0.15),
        "target_cost_per_net_lasting_placement_eur": ci(3e4, 2e4, 4e4)})
    scaled = options.to_real_region(c, Scale(600, 36_000)).effects
    assert scaled["target_employed_end"] == ci(600, 300, 900)
    assert scaled["cost_state_eur"]["mean"] == pytest.approx(6e6)
    assert scaled["target_activation_rate_end"] == c.effects["target_activation_rate_end"]
    assert (scaled["target_cost_per_net_lasting_placement_eur"]
            == c.effects["target_cost_per_net_lasting_placement_eur"])


def test_cards_read_in_persons_points_euros_per_period_and_say_why_there_is_no_ratio() -> None:
    c = Comparison(baseline="b", scenario="s", levels={}, effects={
        "target_employed_end": ci(-5, -9, -1),
        "target_activation_rate_end": ci(0.148, 0.12, 0.17),
        "target_sustained_3m": ci(2, -3, 7), "cost_total_eur": ci(52_000, 40_000, 64_000),
        "cost_state_eur": ci(30_000, 20_000, 40_000),
        "cost_municipality_eur": ci(22_000, 15_000, 30_000),
        "cost_other_eur": ci(-1_000, -2_000, 0),
        "target_cost_per_net_lasting_placement_eur": ci(26_000, math.nan, math.nan)})
    shown = {card.metric: card for card in cards(c, weeks=26, scale=Scale(1000, 2000))}
    assert shown["target_activation_rate_end"].value == "+14.8 pp"
    assert shown["target_employed_end"].value == "−10 persons"  # scaled ×2
    cost = shown["cost_total_eur"]
    assert cost.value == "+104 k€" and "over 26 weeks" in cost.title
    assert cost.note.startswith("+208 k€ a year")  # 104 k€ over half a year
    assert "state +60 k€" in shown["cost_by_payer"].value
    assert "other funds −2,000 €" in shown["cost_by_payer"].value
    per = shown["target_cost_per_net_lasting_placement_eur"]
    assert per.value == "none" and "no clear extra lasting placements" in per.interval


def test_why_notes_name_lock_in_displacement_and_savings_only_when_the_signs_say_so() -> None:
    surprising = {"target_activation_rate_end": ci(0.1, 0.08, 0.12),
                  "target_placements": ci(-20, -30, -10), "target_employed_end": ci(-5, -9, -1),
                  "cost_other_eur": ci(-1e4, -2e4, -5e3)}
    titles = [title for title, _ in why_notes(surprising)]
    assert titles == ["Lock-in", "Negative costs"]
    displaced = {"target_placements": ci(50, 30, 70), "placements": ci(10, -5, 25),
                 "target_employed_end": ci(40, 20, 60)}
    assert [t for t, _ in why_notes(displaced)] == ["Displacement"]
    plain = {"target_placements": ci(50, 30, 70), "placements": ci(50, 30, 70),
             "target_employed_end": ci(40, 20, 60),
             "target_activation_rate_end": ci(0.01, 0.005, 0.02),
             "cost_total_eur": ci(1e5, 5e4, 2e5), "target_cost_total_eur": ci(9e4, 4e4, 1e5)}
    assert why_notes(plain) == []


def test_cost_items_have_plain_names_and_metrics_hover_help() -> None:
    for component in COMPONENT_KIND:
        label = item_label(f"provider_fee:{component}")
        assert label.startswith("Provider fee: ") and "_" not in label and "." not in label
    assert item_label("provider_fee:outcome_fee.placement") == (
        "Provider fee: outcome fee — placement")
    for name in in_group("dashboard_effects"):
        assert help_text(name).endswith("Counted for the whole region.")
        assert help_text(f"target_{name}").endswith("Counted for the target group.")
    assert help_text("no_such_metric") == ""


def test_the_picker_groups_every_scenario_once_with_baselines_apart() -> None:
    entries = grouped_options()
    values = [e["value"] for e in entries if not e.get("disabled")]
    assert sorted(values) == sorted(scenario_names())
    headings = [i for i, e in enumerate(entries) if e.get("disabled")]
    last = entries[headings[-1] + 1:]
    assert all(kind_of(str(e["value"])) == "baseline" for e in last)
    assert kind_of("pirkanmaa") == "municipal" and kind_of("koko_rekry") == "growth"
