"""What one replication produces, and its end-of-run summary.

``RunResult`` holds the tidy weekly table, the ledger, the Labore-style exit
counts and a flat ``summary`` of end-of-run metrics. Region-wide metrics have
plain names (``placements``); target-group metrics are prefixed ``target_``.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulation.engine.catalogue import Aggregation, Kind, Scope, where
from simulation.engine.seekers import State

if TYPE_CHECKING:
    from simulation.engine.interface import Region

# From the metric catalogue: the job seekers' weekly flows totalled over the run, and the
# weekly stocks (counts of people) read in its last week as ``<name>_end``.
FLOW_TOTALS = tuple(m.name for m in where(aggregation=Aggregation.FLOW_TOTAL, scope=Scope.BOTH))
END_STOCKS = tuple(m.basis for m in where(aggregation=Aggregation.AT_END, scope=Scope.BOTH,
                                          kind=Kind.COUNT))


@dataclass
class RunResult:
    scenario: str
    replication: int
    entropy: int
    spawn_key: tuple[int, ...]
    weekly: pd.DataFrame
    ledger: pd.DataFrame
    duration_exits: pd.DataFrame
    summary: dict[str, float] = field(default_factory=dict)
    # Provider runs: the weekly table by provider and one row per client (else None); every
    # run: who started or lost a job when, for comparisons with a baseline of the same seed.
    providers: pd.DataFrame | None = None
    provider_clients: pd.DataFrame | None = None
    person_events: pd.DataFrame | None = None
    # The target group's members at the start: one row each with their individual outcomes,
    # for evaluation designs (``experiments.power``); the same seed gives the same people.
    cohort: pd.DataFrame | None = None


def extra_tables(model: Region) -> dict[str, pd.DataFrame | None]:
    """The optional tables of a ``RunResult``: provider books and per-person job events."""
    tables: dict[str, pd.DataFrame | None] = {"providers": None, "provider_clients": None}
    for mechanism in model.mechanisms:
        tables.update(mechanism.tables())
    tables["person_events"] = model.metrics.person_events()
    return tables


def initial_cohort(model: Region) -> np.ndarray:
    """Indices of the target group's members when the run starts (call before ``run``)."""
    return model.seekers.view("target").nonzero()[0]


def cohort_outcomes(model: Region, people: np.ndarray) -> pd.DataFrame:
    """Individual outcomes at the end of the run of ``people`` (see ``initial_cohort``)."""
    s = model.seekers
    return pd.DataFrame({
        "person": people.astype(np.int32),
        "sustained": s.sustained[people],  # 0 none, 1 ≥3, 2 ≥6, 3 ≥12 months in one job
        "placed": s.first_placement[people] >= 0,
        "employed_end": s.state[people] == State.EMPLOYED,
        "served": s.served[people],
    })


def summarise(model: Region, weekly: pd.DataFrame) -> dict[str, float]:
    """End-of-run metrics for the region and the target group."""
    summary: dict[str, float] = {}
    for scope, prefix in (("region", ""), ("target", "target_")):
        rows = weekly[weekly["scope"] == scope].sort_values("week")
        last = rows.iloc[-1]
        for name in FLOW_TOTALS:
            summary[f"{prefix}{name}"] = float(rows[name].sum())
        for name in END_STOCKS:
            summary[f"{prefix}{name}_end"] = float(last[name])
        summary[f"{prefix}activation_rate_end"] = float(last["activation_rate"])
        summary[f"{prefix}activation_rate_mean"] = float(rows["activation_rate"].mean())
        summary[f"{prefix}mean_wait_weeks"] = float(
            (rows["mean_wait_weeks"].fillna(0) * rows["admissions"]).sum()
            / max(1.0, rows["admissions"].sum()))
        for column in rows.columns:
            if column.startswith("cost_"):
                summary[f"{prefix}{column}"] = float(rows[column].sum())
    summary.update(_person_metrics(model))
    summary.update(_clients_by_year(model))
    for mechanism in model.mechanisms:  # e.g. provider books, the firm side
        summary.update(mechanism.summary(weekly))
    return summary


def _clients_by_year(model: Region) -> dict[str, float]:
    """Distinct registered job seekers (``clients_during_<year>``) and target-group clients
    (``target_clients_during_<year>``) in each calendar year of the scenario's horizon (a part
    year, or a run cut short, counts only its simulated weeks), and over the whole run
    (``clients_during_run``)."""
    s, metrics = model.seekers, model.metrics
    last_week = max(1, model.week, model.scenario.weeks)
    out: dict[str, float] = {}
    for year in range(metrics.calendar_year(1), metrics.calendar_year(last_week) + 1):
        bit = metrics.year_bit(year)
        out[f"clients_during_{year}"] = float(((s.view("seeker_years") & bit) > 0).sum())
        out[f"target_clients_during_{year}"] = float(((s.view("client_years") & bit) > 0).sum())
    # over the whole run: a job seeker (client) in some week of any of its years
    out["clients_during_run"] = float((s.view("seeker_years") != 0).sum())
    out["target_clients_during_run"] = float((s.view("client_years") != 0).sum())
    return out


def _person_metrics(model: Region) -> dict[str, float]:
    """Metrics that follow people rather than weeks."""
    s, weeks = model.seekers, model.week
    out: dict[str, float] = {}
    initial = s.view("registered_week") == 0
    for prefix, mask in (("", np.ones(s.n, dtype=bool)), ("target_", s.view("target"))):
        served = mask & s.view("served")
        out[f"{prefix}served"] = float(served.sum())
        out[f"{prefix}lasting_employment_rate_served"] = (
            float((s.view("sustained")[served] >= 1).mean()) if served.any() else float("nan"))
        cohort = mask & initial
        first = s.view("first_placement")[cohort]
        # restricted mean time to first job over the run (censored at its end)
        out[f"{prefix}weeks_to_employment"] = (
            float(np.where(first >= 0, first, weeks).mean()) if cohort.any() else float("nan"))
        out[f"{prefix}employed_share_end"] = (
            float((s.view("state")[cohort] == State.EMPLOYED).mean())
            if cohort.any() else float("nan"))
    return out
