"""Metrics of public money: the ledger's totals by payer and item, and cost per net outcome.

The totals are sums of the weekly cost columns ``engine.metrics`` builds from the ledger (so
of every ledger row); cost per net outcome is a ratio of two paired effects, made in
``experiments.compare.paired_effects``. Tax revenue from work is a negative cost throughout.
"""

from __future__ import annotations

from simulation.engine.catalogue.metric import Aggregation, Kind, Metric, Scope

EUROS, BOTH = Kind.EUROS, Scope.BOTH


def _ledger(name: str, label: str, description: str, phrase: str = "") -> Metric:
    return Metric(name, label, "€", EUROS, BOTH, Aggregation.LEDGER_TOTAL, description,
                  phrase=phrase)


def _per_net(name: str, label: str, outcome: str, description: str) -> Metric:
    return Metric(name, label, "€", EUROS, BOTH, Aggregation.PAIRED_RATIO, description,
                  basis=outcome)


MONEY: tuple[Metric, ...] = (
    _ledger("cost_total_eur", "Public cost, total",
            "Public money paid over the run by the state, municipalities and other funds "
            "together (benefits, services, subsidies, staff, fees), less the tax revenue and "
            "contributions from people's work."),
    _ledger("cost_state_eur", "Cost to the state",
            "The state's share of the public cost over the run, less the income tax it "
            "receives from work.", phrase="paid by the state"),
    _ledger("cost_municipality_eur", "Cost to municipalities",
            "Municipalities' share of the public cost over the run, less the income tax "
            "they receive from work.",
            phrase="paid by municipalities"),
    _ledger("cost_other_eur", "Cost to other funds",
            "The share of other funds, such as unemployment funds, over the run, less the "
            "contributions they receive from work.", phrase="paid by other funds"),
    _ledger("cost_{item}_eur", "Cost of one ledger item",
            "Public money paid over the run for one ledger item (such as wage_subsidy or "
            "provider_fee:<component>) by every payer together; tax_revenue is negative."),
    # in comparisons only: the numerator is always the effect on cost_total_eur
    _per_net("cost_per_net_placement_eur", "Cost per net placement", "placements",
             "The effect on public cost divided by the effect on placements (means over "
             "paired replications), with a bootstrap interval; undefined without net extra "
             "placements."),
    _per_net("cost_per_net_lasting_placement_eur", "Cost per net lasting placement",
             "sustained_3m",
             "The effect on public cost divided by the effect on placements lasting 3 months "
             "(means over paired replications); undefined without net extra ones."),
)
