"""Gross change beside net effect, and displacement.

A programme reports its own before/after change ("activation rose 10 points", "the region
gained N jobs"); part of that change is the trend the region would have followed anyway. With
a scenario and its baseline run on the same seeds, each replication gives three numbers for a
weekly quantity over a window: the scenario's own change (gross), the baseline's change (the
trend) and their difference (net), so gross − trend = net holds exactly, replication by
replication, and each gets its interval across replications.

Displacement: job seekers who get help compete for the same vacancies as everyone else. The
effect on the people outside the target group is the region's effect minus the target group's
(additive counts only), and the displacement share is the outside loss per target gain.
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd

from simulation.engine.catalogue import Aggregation, Kind, Scope, in_group, where
from simulation.engine.results import RunResult
from simulation.experiments.statistics import mean_ci

SCOPES = ("target", "region")
DISPLACED_OUTCOMES = ("employed_end", "sustained_3m")  # people in work, lasting placements


def _at(weekly: pd.DataFrame, scope: str, column: str, week: int, rows: dict) -> float:
    """The column's value in the scope's last row at or before ``week``; ``rows`` keeps which
    row that is, by table, scope and week, for the other columns asked for."""
    if column not in weekly:
        return math.nan
    key = (id(weekly), scope, week)
    if key not in rows:  # on numpy columns: a tenth of the time of filtering the frame
        weeks = weekly["week"].to_numpy()
        chosen = np.flatnonzero((weekly["scope"].to_numpy() == scope) & (weeks <= week))
        # the first row with the latest week, as idxmax
        rows[key] = None if len(chosen) == 0 else weekly.index[chosen[np.argmax(weeks[chosen])]]
    label = rows[key]
    return math.nan if label is None else float(weekly.at[label, column])


def changes(scenario_runs: Sequence[RunResult], baseline_runs: Sequence[RunResult],
            column: str, scope: str, start_week: int, end_week: int,
            rows: dict | None = None) -> dict[str, dict[str, float]]:
    """Gross, trend and net change of a weekly column from ``start_week`` to ``end_week``
    (the last week recorded at or before each). ``rows``: shared by calls over the same runs
    while those runs are alive (see :func:`_at`)."""
    rows = {} if rows is None else rows
    gross, trend = [], []
    for s, b in zip(scenario_runs, baseline_runs, strict=True):
        gross.append(_at(s.weekly, scope, column, end_week, rows)
                     - _at(s.weekly, scope, column, start_week, rows))
        trend.append(_at(b.weekly, scope, column, end_week, rows)
                     - _at(b.weekly, scope, column, start_week, rows))
    net = [g - t for g, t in zip(gross, trend, strict=True)]
    return {"gross": mean_ci(gross), "trend": mean_ci(trend), "net": mean_ci(net)}


def gross_and_net(scenario_runs: Sequence[RunResult], baseline_runs: Sequence[RunResult],
                  columns: Iterable[str] | None = None, start_week: int = 1,
                  end_week: int | None = None) -> dict[str, dict[str, dict]]:
    """Scope -> weekly column -> gross, trend and net over the window (default: the run)."""
    if not scenario_runs:
        return {}
    last = int(scenario_runs[0].weekly["week"].max())
    end = last if end_week is None else min(end_week, last)
    wanted = tuple(columns) if columns is not None else in_group("gross_net")
    present = set(scenario_runs[0].weekly.columns) & set(baseline_runs[0].weekly.columns)
    out: dict[str, dict[str, dict]] = {}
    rows: dict = {}  # each run's row at the window's ends, found once for all columns
    for scope in SCOPES:
        for column in wanted:
            if column in present and (scope == "region" or _measured_for_target(column)):
                out.setdefault(scope, {})[column] = changes(
                    scenario_runs, baseline_runs, column, scope, start_week, end, rows)
    return out


def _measured_for_target(column: str) -> bool:
    """Whether the weekly table has the column in its target-group rows too."""
    try:
        from simulation.engine.catalogue import metric

        return metric(column).scope == Scope.BOTH
    except KeyError:
        return False


def additive_counts() -> tuple[str, ...]:
    """Summary metrics for which region = target group + everyone else (counts and euros)."""
    return tuple(m.name for m in where(scope=Scope.BOTH)
                 if m.kind in (Kind.COUNT, Kind.EUROS) and "{" not in m.name
                 and m.aggregation in (Aggregation.FLOW_TOTAL, Aggregation.AT_END,
                                       Aggregation.LEDGER_TOTAL))


def outside_effects(scenario_runs: Sequence[RunResult], baseline_runs: Sequence[RunResult]
                    ) -> dict[str, dict[str, float]]:
    """``outside_<metric>``: the effect on the job seekers outside the target group."""
    out = {}
    for name in additive_counts():
        values = []
        for s, b in zip(scenario_runs, baseline_runs, strict=True):
            if name not in s.summary or f"target_{name}" not in s.summary:
                break
            outside_s = s.summary[name] - s.summary[f"target_{name}"]
            outside_b = b.summary.get(name, 0.0) - b.summary.get(f"target_{name}", 0.0)
            values.append(outside_s - outside_b)
        else:
            out[f"outside_{name}"] = mean_ci(values)
    return out


def displacement(scenario_runs: Sequence[RunResult], baseline_runs: Sequence[RunResult],
                 rng: np.random.Generator, draws: int = 2000) -> dict[str, dict[str, float]]:
    """``displacement_share_<outcome>``: the outside group's loss per target-group gain, with
    a bootstrap interval over replications; undefined (NaN) unless the target gain is
    significantly positive, and where nobody is outside the target group."""
    out = {}
    for outcome in DISPLACED_OUTCOMES:
        gain, loss, outside_size = [], [], 0.0
        for s, b in zip(scenario_runs, baseline_runs, strict=True):
            target = f"target_{outcome}"
            if outcome not in s.summary or target not in s.summary:
                break
            gain.append(s.summary[target] - b.summary[target])
            loss.append(-((s.summary[outcome] - s.summary[target])
                          - (b.summary[outcome] - b.summary[target])))
            outside_size += abs(s.summary.get("job_seekers_end", 0.0)
                                - s.summary.get("target_job_seekers_end", 0.0))
        else:
            out[f"displacement_share_{outcome}"] = (
                share_ci(loss, gain, rng, draws) if outside_size > 0 else
                {"mean": math.nan, "ci95_low": math.nan, "ci95_high": math.nan})
    return out


def share_ci(loss: Sequence[float], gain: Sequence[float], rng: np.random.Generator,
             draws: int = 2000) -> dict[str, float]:
    """Mean loss over mean gain, with a percentile bootstrap interval; NaN when the gain's
    95 % interval includes zero (a share of nothing is not a number)."""
    nan = {"mean": math.nan, "ci95_low": math.nan, "ci95_high": math.nan}
    gain_a, loss_a = np.asarray(gain, float), np.asarray(loss, float)
    stats = mean_ci(gain_a)
    if len(gain_a) < 2 or not stats["ci95_low"] > 0:
        return nan
    picks = rng.integers(0, len(gain_a), size=(draws, len(gain_a)))
    gains = gain_a[picks].mean(axis=1)
    ratios = loss_a[picks].mean(axis=1)[gains > 0] / gains[gains > 0]
    low, high = np.quantile(ratios, [0.025, 0.975])
    return {"mean": float(loss_a.mean() / gain_a.mean()), "ci95_low": float(low),
            "ci95_high": float(high)}
