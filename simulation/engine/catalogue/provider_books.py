"""Metrics of the service providers of a procurement scenario (region only).

From ``engine.providers.provider_summary`` at the end of a run, and, in comparisons, from
``experiments.compare.provider_counterfactuals`` (which needs the same-seed baseline run).
Scenarios that procure nothing report none of them.
"""

from __future__ import annotations

from simulation.engine.catalogue.metric import Aggregation, Kind, Metric, Scope

COUNT, SHARE, POINTS, EUROS = Kind.COUNT, Kind.SHARE, Kind.POINTS, Kind.EUROS


def _book(name: str, label: str, unit: str, kind: Kind, description: str) -> Metric:
    return Metric(name, label, unit, kind, Scope.REGION, Aggregation.PROVIDER, description)


def _paired(name: str, label: str, unit: str, kind: Kind, description: str) -> Metric:
    return Metric(name, label, unit, kind, Scope.REGION, Aggregation.PAIRED, description)


PROVIDERS: tuple[Metric, ...] = (
    _book("provider_revenue_eur", "Provider revenue", "€", EUROS,
          "Fees the providers earned over the run, from every component of the contract."),
    _book("provider_cost_eur", "Provider cost", "€", EUROS,
          "The providers' own costs over the run (fixed, per client-week, per effort hour, "
          "per marketing contact and per firm signed up); not public money."),
    _book("provider_profit_eur", "Provider profit", "€", EUROS,
          "Provider revenue minus provider cost over the run."),
    _book("provider_exits", "Provider exits", "providers", COUNT,
          "Providers that left in losses before their work was done."),
    _book("provider_completed", "Providers that completed", "providers", COUNT,
          "Providers that wound down with their contracted work done or at the contract's "
          "end."),
    _book("provider_entries", "Provider entries", "providers", COUNT,
          "New providers that joined during the run (dynamic purchasing systems only)."),
    _book("providers_end", "Providers at the end", "providers", COUNT,
          "Providers still active in the run's last week."),
    _book("providers_registered", "Providers registered", "providers", COUNT,
          "Providers admitted during the run: those under contract at the start and those "
          "that joined later (the registered providers of a dynamic purchasing system)."),
    _book("providers_active", "Providers with clients", "providers", COUNT,
          "Providers that took on at least one client during the run (the active providers "
          "of a dynamic purchasing system, each client taken on one order)."),
    _book("provider_survival", "Survival of the initial providers", "share", SHARE,
          "Share of the providers present at the start that did not exit in losses."),
    _book("provider_fee_{component}_eur", "Provider fees by component", "€", EUROS,
          "Fees paid to the providers over the run for one component of the contract (such "
          "as base_fee or outcome_fee.placement)."),
    _book("provider_clients", "Clients taken on", "persons", COUNT,
          "People the providers took on as clients during the run."),
    _book("provider_target_clients", "Contracted clients", "persons", COUNT,
          "The number of clients the contract asks the providers to take on (a parameter)."),
    _book("provider_acquisition_shortfall", "Acquisition shortfall", "persons", COUNT,
          "Contracted clients the providers did not take on (0 when they reached the "
          "target)."),
    _book("provider_acquisition_shortfall_share", "Acquisition shortfall, share", "share",
          SHARE, "The acquisition shortfall as a share of the contracted clients."),
    _book("provider_contacts", "Marketing contacts", "contacts", COUNT,
          "Job seekers the providers contacted to recruit clients."),
    _book("provider_enrolment_share", "Enrolment share", "share", SHARE,
          "Clients taken on as a share of everyone who belonged to the target group at some "
          "time in the run."),
    _book("provider_firms", "Firms signed up", "firms", COUNT,
          "Solo entrepreneurs the providers signed up for guidance towards a first hire "
          "(contracts with a firm target only)."),
    _book("provider_target_firms", "Contracted firms", "firms", COUNT,
          "The number of firms the contract asks the providers to sign up (a parameter)."),
    _book("provider_firm_shortfall_share", "Firm shortfall, share", "share", SHARE,
          "Contracted firms not signed up, as a share of the contracted firms."),
    _book("provider_firm_first_hires", "First hires of guided firms", "firms", COUNT,
          "Signed-up firms that made their first hire while a provider was guiding them."),
    _book("provider_placements", "Provider placements", "persons", COUNT,
          "Clients who started a job while with a provider (the contract's placement outcome, "
          "once per client)."),
    _book("provider_placement_rate", "Placement rate of clients", "share", SHARE,
          "Provider placements as a share of the clients taken on."),
    _book("provider_creaming_gap", "Creaming gap", "employability", POINTS,
          "Placement rate of the most employable third of the clients (by latent "
          "employability) minus that of the least employable third."),
    _book("provider_parked_share", "Parked share of client-weeks", "share", SHARE,
          "Share of the clients' weeks with a provider in which they got under a tenth of "
          "the provider's even share of hours (parking)."),
    _book("provider_paid_outcomes", "Paid outcomes", "outcomes", COUNT,
          "Outcome fees paid to the providers for a client (a placement, months in work, a "
          "training referral)."),
    _book("provider_declined", "Clients declined", "persons", COUNT,
          "People a provider declined at intake because their expected fees did not cover "
          "their cost (creaming)."),
    # in comparisons only
    _paired("provider_deadweight_share", "Deadweight share", "share", SHARE,
            "Share of the paid placements of clients from the initial population who, in the "
            "baseline run, were in work at some week from intake to 13 weeks after the paid "
            "placement."),
    _paired("provider_deadweight_eur", "Deadweight fees", "€", EUROS,
            "Everything paid to providers for the clients whose paid placement was "
            "deadweight."),
    _paired("provider_baseline_creaming_gap", "Creaming gap in the baseline", "employability",
            POINTS, "The same clients' creaming gap in the baseline run: the share in work "
            "during the programme window of the most employable third minus that of the least "
            "employable third (initial population only)."),
    _paired("provider_creaming_gap_added", "Creaming gap added by providers",
            "employability", POINTS,
            "The creaming gap minus the creaming gap of the same clients in the baseline run."),
)
