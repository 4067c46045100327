"""The metric catalogue: every metric a run or a comparison reports is defined there, once,
and the engine's summary lists read from it come out as they were."""

from __future__ import annotations

import json
import sys
from pathlib import Path

import pytest

from simulation.engine.catalogue import (
    CATALOGUE,
    GROUPS,
    Aggregation,
    Kind,
    Scope,
    in_group,
    is_family,
    metric,
    where,
)
from simulation.engine.results import END_STOCKS, FLOW_TOTALS

GOLDEN = Path(__file__).parent / "golden"
sys.path.insert(0, str(GOLDEN))


def test_summary_lists_keep_their_names_and_order() -> None:
    # the summary's keys come in this order (JSON output, stored columns)
    assert FLOW_TOTALS == ("placements", "sustained_3m", "sustained_6m", "sustained_12m",
                           "referrals", "meetings", "admissions", "registrations", "job_losses")
    assert END_STOCKS == ("unemployed", "long_term_unemployed", "in_service", "subsidised",
                          "employed", "job_seekers", "waiting")


def test_every_pinned_summary_metric_and_effect_is_defined() -> None:
    names = set()
    for path in GOLDEN.glob("*.json"):
        pinned = json.loads(path.read_text(encoding="utf-8"))
        names |= set(pinned.get("summary", {})) | set(pinned.get("effects", {}))
    missing = sorted(n for n in names if _undefined(n))
    assert not missing, missing


def test_every_weekly_column_and_provider_metric_is_defined() -> None:
    from cases import run_case

    from simulation.experiments.compare import provider_counterfactuals
    from simulation.params.loading import load_scenario

    run = run_case("north_karelia_1000_jobs")  # a firm side and providers
    columns = set(run.weekly.columns) - {"week", "scope"}
    missing = sorted(n for n in columns | set(run.summary) if _undefined(n))
    assert not missing, missing
    scenario = load_scenario("outsourcing_generic")
    provider = run_case("outsourcing_generic")
    paired = provider_counterfactuals(scenario, [provider], [provider])
    assert paired and all(metric(n).aggregation is Aggregation.PAIRED for n in paired)


def _undefined(name: str) -> bool:
    try:
        metric(name)
    except KeyError:
        return True
    return False


def test_names_resolve_with_their_scope_and_family() -> None:
    assert metric("target_placements") is metric("placements")
    assert metric("cost_provider_fee:base_fee_eur").name == "cost_{item}_eur"
    assert metric("target_clients_during_2018").name == "clients_during_{year}"
    assert metric("cost_per_net_placement_eur").basis == "placements"
    with pytest.raises(KeyError):
        metric("target_jobs_created")  # region only
    with pytest.raises(KeyError):
        metric("no_such_metric")


def test_definitions_are_complete() -> None:
    for m in CATALOGUE.values():
        assert m.label and m.unit and m.description.endswith("."), m.name
        assert m.description[0].isupper() and len(m.description) < 300, m.name
        if m.aggregation in (Aggregation.FLOW_TOTAL, Aggregation.AT_END,
                             Aggregation.WEEKLY_MEAN, Aggregation.PAIRED_RATIO):
            assert m.basis, m.name
    ratios = where(aggregation=Aggregation.PAIRED_RATIO)
    assert [m.name for m in ratios] == ["cost_per_net_placement_eur",
                                        "cost_per_net_lasting_placement_eur"]
    assert all(m.kind is Kind.EUROS and m.scope is Scope.BOTH for m in ratios)
    assert is_family(metric("starts_coaching")) and not is_family(metric("placements"))


def test_groups_name_catalogue_metrics_and_metrics_know_their_groups() -> None:
    for group, names in GROUPS.items():
        assert in_group(group) == names
        assert len(set(names)) == len(names), group
        for name in names:
            assert group in metric(name).groups
    assert metric("placements").wording == "placements (jobs found)"
    assert metric("sustained_3m").wording == "placements lasting 3 months"
