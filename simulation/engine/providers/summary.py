"""The provider market's end-of-run metrics and the check that fees paid through the ledger
equal ``settlement.settle`` on the logged events. (Deadweight needs the baseline run:
``simulation.experiments.counterfactuals``.)"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

from simulation.engine.providers.codes import DECLINED, NEVER
from simulation.params.settlement import settle


def creaming_gap(employability: np.ndarray, placed: np.ndarray) -> float:
    """Placement rate of the most employable third minus that of the least employable third."""
    employability = np.asarray(employability, dtype=float)
    placed = np.asarray(placed, dtype=bool)
    if len(employability) < 3:
        return math.nan
    low, high = np.quantile(employability, [1 / 3, 2 / 3])
    top, bottom = placed[employability >= high], placed[employability <= low]
    if len(top) == 0 or len(bottom) == 0:
        return math.nan
    return float(top.mean() - bottom.mean())


class Summaries:
    """Part of ``ProviderMarket``: the run's provider metrics and the fee reconciliation."""

    def summary(self, weekly: pd.DataFrame) -> dict[str, float]:
        """End-of-run provider metrics."""
        market, model = self, self.model
        clients = market.client_frame()
        weekly = market.weekly_frame()
        out: dict[str, float] = {}
        for name in ("revenue_eur", "cost_eur", "profit_eur"):
            out[f"provider_{name}"] = float(weekly[name].sum()) if len(weekly) else 0.0
        initial = market.providers[:market.initial_count]
        out["provider_exits"] = float(sum(not p.active and not p.completed
                                          for p in market.providers))
        out["provider_completed"] = float(sum(p.completed for p in market.providers))
        out["provider_entries"] = float(market.entries)
        out["providers_end"] = float(len(market.active_providers()))
        # a dynamic purchasing system's counts: every provider admitted during the run (the
        # initial ones and the entrants), and those that took at least one client (an order)
        out["providers_registered"] = float(len(market.providers))
        out["providers_active"] = float(sum(p.intake > 0 for p in market.providers))
        out["provider_survival"] = float(np.mean([p.active or p.completed for p in initial]))
        for c, name in enumerate(market.fees.order):
            out[f"provider_fee_{name}_eur"] = float(market.fee_cents[:, c].sum()) / 100
        out["provider_clients"] = float(len(clients))
        out["provider_target_clients"] = float(market.p.target_clients)
        out["provider_acquisition_shortfall"] = float(
            max(0, market.p.target_clients - len(clients)))
        out["provider_acquisition_shortfall_share"] = (
            out["provider_acquisition_shortfall"] / market.p.target_clients
            if market.p.target_clients else 0.0)
        out["provider_contacts"] = float(market.contacts_total)
        # clients over everyone who belonged to the target group at some point of the run
        in_target = int(model.seekers.view("target").sum())
        out["provider_enrolment_share"] = len(clients) / in_target if in_target else math.nan
        if market.firm_work:
            out["provider_firms"] = float((market.firm_phase != NEVER).sum())
            out["provider_target_firms"] = float(market.p.target_firms)
            out["provider_firm_shortfall_share"] = max(
                0.0, 1 - out["provider_firms"] / market.p.target_firms)
            out["provider_firm_first_hires"] = float(market.firm_has_hired.sum())
        placed = clients["placement_week"].to_numpy() >= 0
        out["provider_placements"] = float(placed.sum())
        out["provider_placement_rate"] = float(placed.mean()) if len(clients) else math.nan
        out["provider_creaming_gap"] = creaming_gap(clients["employability"], placed)
        served = clients["weeks_served"].to_numpy()
        out["provider_parked_share"] = (float(clients["parked_weeks"].sum() / served.sum())
                                        if served.sum() else math.nan)
        outcome_components = [c for c, name in enumerate(market.fees.order)
                              if name.startswith("outcome_fee.")]
        out["provider_paid_outcomes"] = float(sum(
            int(((part > 0) & np.isin(component, outcome_components)).sum())
            for _, _, component, _, part in market.payments))
        out["provider_declined"] = float((market.phase[:model.seekers.n] == DECLINED).sum())
        return out

    def reconcile(self) -> pd.DataFrame:
        """Per provider: fees paid through the ledger against ``settlement.settle`` on its
        events."""
        market, rows = self, []
        events = market.events_frame()
        for provider in market.providers:
            mine = events[events["provider"] == provider.number].drop(columns="provider")
            settled = settle(market.contract, mine, weeks=market.contract_weeks(provider))
            rows.append({"provider": provider.number,
                         "paid_eur": provider.paid_cents / 100,
                         "settled_eur": float(settled.total_eur)})
        frame = pd.DataFrame(rows)
        frame["gap_eur"] = frame["paid_eur"] - frame["settled_eur"]
        return frame
