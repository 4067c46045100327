"""The providers' side of a procurement run: did they take on the clients the contract asked
for, why did they stop, what did the fees buy against the same people in the baseline
(deadweight, creaming, parking), and how their profit went week by week.

Everything comes from what the store holds for the job's runs: the summaries (metrics of the
catalogue's ``provider_books``), the providers' weekly books and the per-person tables, with
which ``simulation.experiments.compare.provider_counterfactuals`` measures deadweight and the
baseline creaming gap from same-seed pairs. Numbers are means over replications with their
95 % intervals; labels and units come from the catalogue.
"""

from __future__ import annotations

import math
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboards.views import ENGLISH, SCENARIO_COLOUR, JobResults, fmt, unit_word
from simulation.engine.catalogue import metric
from simulation.engine.results import RunResult
from simulation.experiments.compare import provider_counterfactuals
from simulation.experiments.statistics import mean_ci
from simulation.experiments.store.reader import StoreReader
from simulation.i18n import N_, Words

# The view's sections: (title, metrics of the catalogue), in the order the page shows them.
SECTIONS: tuple[tuple[str, tuple[str, ...]], ...] = (
    (N_("Clients: contracted against taken on"), (
        "provider_target_clients", "provider_clients", "provider_acquisition_shortfall_share",
        "provider_declined", "provider_contacts", "provider_enrolment_share")),
    (N_("Why providers stopped"), (
        "provider_exits", "provider_completed", "providers_end", "provider_entries")),
    (N_("What the clients got"), (
        "provider_placements", "provider_placement_rate", "provider_paid_outcomes",
        "provider_parked_share")),
    (N_("Against the same people in the baseline"), (
        "provider_deadweight_share", "provider_deadweight_eur", "provider_creaming_gap",
        "provider_baseline_creaming_gap", "provider_creaming_gap_added")),
    (N_("Money"), ("provider_revenue_eur", "provider_cost_eur", "provider_profit_eur")),
)
# the stop reasons read as a list under "Why providers stopped", not as the metrics' labels
STOP_WORDS = {"provider_exits": N_("left in losses"),
              "provider_completed": N_("completed (work done or contract ended)"),
              "providers_end": N_("still working at the end"),
              "provider_entries": N_("joined during the run")}


@dataclass
class ProviderView:
    """The numbers of the view: one row per metric, and the weekly books."""

    rows: list[dict[str, Any]]  # section, metric, label, unit, mean, ci95_low, ci95_high
    # (section and label are the English message ids: the page translates them when shown)
    books: pd.DataFrame  # replication, week, revenue_eur, cost_eur, profit_eur, cumulative

    def value(self, name: str) -> float:
        return next((r["mean"] for r in self.rows if r["metric"] == name), math.nan)


def _runs(ids: Iterable[str], details: dict[str, dict[str, pd.DataFrame]],
          summaries: list[dict[str, float]]) -> list[RunResult]:
    empty = pd.DataFrame()
    out = []
    for replication, (run, summary) in enumerate(zip(ids, summaries, strict=True)):
        tables = details.get(run, {})
        out.append(RunResult(scenario="", replication=replication, entropy=0,
                             spawn_key=(replication,), weekly=empty, ledger=empty,
                             duration_exits=empty, summary=summary,
                             provider_clients=tables.get("provider_clients"),
                             person_events=tables.get("person_events")))
    return out


def provider_view(store_root: Path | str, results: JobResults) -> ProviderView | None:
    """The view of a job whose scenario procures services; ``None`` otherwise."""
    job = results.job
    if job.scenario.interventions.procurement is None or not results.scenario \
            or "provider_clients" not in results.scenario[0]:
        return None
    with StoreReader(store_root) as reader:
        details = reader.details(sorted(job.run_ids))
    scenario_runs = _runs(job.scenario_runs, details, results.scenario)
    baseline_runs = _runs(job.baseline_runs, details, results.baseline)
    paired = provider_counterfactuals(job.scenario, scenario_runs, baseline_runs)
    rows = []
    for section, names in SECTIONS:
        for name in names:
            if name in paired:
                stats = paired[name]
            elif name in results.scenario[0]:
                stats = mean_ci(s.get(name, math.nan) for s in results.scenario)
            else:
                continue
            shown = metric(name)
            rows.append({"section": section, "metric": name,
                         "label": STOP_WORDS.get(name, shown.label), "unit": shown.unit,
                         "mean": stats["mean"], "ci95_low": stats["ci95_low"],
                         "ci95_high": stats["ci95_high"]})
    return ProviderView(rows=rows, books=_books(job.scenario_runs, details))


def _books(runs: list[str], details: dict[str, dict[str, pd.DataFrame]]) -> pd.DataFrame:
    """All providers' books summed by week, per replication, with cumulative profit."""
    frames = []
    for replication, run in enumerate(runs):
        books = details.get(run, {}).get("providers")
        if books is None or books.empty:
            continue
        week = books.groupby("week")[["revenue_eur", "cost_eur", "profit_eur"]].sum()
        week = week.reset_index().assign(replication=replication)
        week["cumulative_profit_eur"] = week["profit_eur"].cumsum()
        frames.append(week)
    if not frames:
        return pd.DataFrame(columns=["replication", "week", "revenue_eur", "cost_eur",
                                     "profit_eur", "cumulative_profit_eur"])
    return pd.concat(frames, ignore_index=True)


def headline(view: ProviderView, w: Words = ENGLISH) -> str:
    """One sentence: clients contracted against taken on, and the providers' profit."""
    target, clients = view.value("provider_target_clients"), view.value("provider_clients")
    profit = fmt(view.value("provider_profit_eur"), "€", w)
    if target:
        return w.text(N_("The contract asked for {target} clients; the providers took on "
                         "{clients} ({share}). Their profit over the run: {profit} €."),
                      target=fmt(target, "", w), clients=fmt(clients, "", w),
                      share=w.percent(clients / target, 0), profit=profit)
    return w.text(N_("The contract asked for {target} clients; the providers took on "
                     "{clients}. Their profit over the run: {profit} €."),
                  target=fmt(target, "", w), clients=fmt(clients, "", w), profit=profit)


def profit_figure(view: ProviderView, title: str | None = None, w: Words = ENGLISH
                  ) -> go.Figure:
    """Cumulative profit of all providers by week: mean and 10–90 % band over replications."""
    title = title if title is not None else w.gettext(N_("Providers' cumulative profit"))
    books = view.books
    fig = go.Figure()
    if not books.empty:
        by_week = books.groupby("week")["cumulative_profit_eur"]
        band = pd.DataFrame({"mean": by_week.mean(), "p10": by_week.quantile(0.1),
                             "p90": by_week.quantile(0.9)}).reset_index()
        fig.add_trace(go.Scatter(x=band["week"], y=band["p90"], mode="lines",
                                 line={"width": 0}, hoverinfo="skip", showlegend=False))
        fig.add_trace(go.Scatter(x=band["week"], y=band["p10"], mode="lines",
                                 line={"width": 0}, fill="tonexty",
                                 fillcolor="rgba(192,57,43,0.18)", name="10–90 %"))
        fig.add_trace(go.Scatter(x=band["week"], y=band["mean"], mode="lines",
                                 line={"color": SCENARIO_COLOUR, "width": 2},
                                 name=w.gettext(N_("mean over replications"))))
        fig.add_hline(y=0, line={"color": "#7f8c8d", "width": 1, "dash": "dot"})
    fig.update_layout(title=title, height=340, template="plotly_white",
                      margin={"l": 60, "r": 20, "t": 60, "b": 40},
                      xaxis_title=w.gettext(N_("week")),
                      yaxis_title=w.gettext(N_("€ (all providers, since the start)")),
                      legend={"orientation": "h", "y": -0.25})
    return fig


def display_rows(view: ProviderView, w: Words = ENGLISH) -> list[dict[str, str]]:
    """The rows as the page shows them (numbers formatted by their unit, words translated)."""
    return [{"section": w.gettext(r["section"]), "metric": r["metric"],
             "label": w.gettext(r["label"]), "unit": unit_word(r["unit"], w),
             "mean": fmt(r["mean"], r["unit"], w), "ci95_low": fmt(r["ci95_low"], r["unit"], w),
             "ci95_high": fmt(r["ci95_high"], r["unit"], w)} for r in view.rows]
