"""Simulated moments: what a target's ``metric`` means and how it is computed.

A metric is one of

* a **summary key** of ``simulation.results.summarise`` (``activation_rate_mean``,
  ``placements``, ``served``, ...); with ``scope = target`` the ``target_`` prefix is
  added;
* a **Labore exit rate** ``monthly_to_work[B]`` / ``monthly_to_services[B]`` with B a
  spell band 0–6 or ``all``: exits over person-weeks at risk, pooled over
  replications, as a monthly rate;
* a **weekly column**, a sum of columns (``starts_work_trial+starts_job_coaching``) or a
  ratio (``long_term_unemployed/unemployed``, each side possibly a sum) with an
  aggregation after ``@``:

  ``@week=N`` value in week N (weeks are numbered 1, 2, ... from the start date);
  ``@end`` / ``@start`` the last / first week; ``@mean`` / ``@sum`` over all weeks;
  ``@mean=A:B`` / ``@sum=A:B`` over weeks A..B inclusive; ``@change=A:B`` value in
  week B minus value in week A; ``@ratio=A:B`` value in week B over value in week A
  (A and B may be ``start`` or ``end``). A ratio column ``X/Y`` is summed first
  (``sum X / sum Y``) when aggregated over several weeks.
* ``unemployed_end_ratio`` — shorthand for ``unemployed@ratio=start:end``.

Every moment is computed per replication (its mean and 95 % interval go in the
report); the Labore rates are pooled over replications, as the duration-profile
fit pools them.
"""

from __future__ import annotations

import math
import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np
import pandas as pd

from simulation.engine.results import RunResult
from simulation.params.schema import N_BANDS

WEEKS_PER_MONTH = 52 / 12
ALIASES = {"unemployed_end_ratio": "unemployed@ratio=start:end"}
_LABORE = re.compile(r"^monthly_to_(work|services)\[(\d+|all)\]$")
_SUM = r"[a-z_0-9]+(?:\+[a-z_0-9]+)*"
_WEEKLY = re.compile(rf"^(?P<column>{_SUM}(?:/{_SUM})?)@(?P<agg>[a-z]+)"
                     r"(?:=(?P<arg>[a-z0-9]+(?::[a-z0-9]+)?))?$")
_AGGREGATIONS = {"week": "N", "end": None, "start": None, "mean": "opt", "sum": "opt",
                 "change": "A:B", "ratio": "A:B"}


class MetricError(ValueError):
    """A metric text that does not follow the grammar above."""


@dataclass(frozen=True)
class Metric:
    """A parsed metric: kind is ``summary``, ``labore`` or ``weekly``."""
    text: str
    kind: str
    name: str  # summary key, Labore destination, or weekly column (maybe A+B, X/Y)
    band: int | None = None  # Labore band (None = all)
    aggregation: str = ""
    weeks: tuple[str, ...] = ()

    def columns(self) -> tuple[str, ...]:
        """Every weekly column the metric reads."""
        return tuple(c for side in self.sides() for c in side)

    def sides(self) -> tuple[tuple[str, ...], ...]:
        """The summed columns of the numerator and, for a ratio, of the denominator."""
        if self.kind != "weekly":
            return ()
        return tuple(tuple(side.split("+")) for side in self.name.split("/"))


def parse_metric(text: str) -> Metric:
    """Parse a metric text; raise ``MetricError`` with a one-line reason."""
    text = text.strip()
    expanded = ALIASES.get(text, text)
    labore = _LABORE.match(expanded)
    if labore:
        destination, band = labore.groups()
        if band != "all" and not 0 <= int(band) < N_BANDS:
            raise MetricError(f"Labore band must be 0–{N_BANDS - 1} or 'all', got {band}")
        return Metric(text, "labore", destination, None if band == "all" else int(band))
    if "@" in expanded:
        weekly = _WEEKLY.match(expanded)
        if not weekly:
            raise MetricError(f"{text!r} is not COLUMN@AGGREGATION (e.g. activation_rate@week=22)")
        agg, arg = weekly.group("agg"), weekly.group("arg")
        if agg not in _AGGREGATIONS:
            raise MetricError(f"unknown aggregation {agg!r}; allowed: "
                              + ", ".join(_AGGREGATIONS))
        form = _AGGREGATIONS[agg]
        weeks: tuple[str, ...] = ()
        if form is None and arg:
            raise MetricError(f"@{agg} takes no argument")
        if form == "N":
            if not arg or not arg.isdigit():
                raise MetricError(f"@week needs a week number, e.g. @week=22 (got {arg!r})")
            weeks = (arg,)
        elif form in ("A:B", "opt") and arg:
            parts = arg.split(":")
            if len(parts) != 2 or not all(p.isdigit() or p in ("start", "end") for p in parts):
                raise MetricError(f"@{agg} needs weeks A:B, e.g. @{agg}=22:74 (got {arg!r})")
            weeks = tuple(parts)
        elif form == "A:B":
            raise MetricError(f"@{agg} needs weeks A:B, e.g. @{agg}=22:74")
        return Metric(text, "weekly", weekly.group("column"), aggregation=agg, weeks=weeks)
    if not re.fullmatch(r"[a-z_0-9]+", expanded):
        raise MetricError(f"{text!r} is not a summary key, a Labore rate "
                          "(monthly_to_work[B]) or COLUMN@AGGREGATION")
    return Metric(text, "summary", expanded)


def summary_key(metric: Metric, scope: str) -> str:
    if scope == "target" and not metric.name.startswith("target_"):
        return f"target_{metric.name}"
    return metric.name


def is_produced(metric: Metric, scope: str, summary_keys: set[str],
                weekly_columns: set[str]) -> bool:
    """Whether a run with these summary keys and weekly columns can give the metric."""
    if metric.kind == "labore":
        return True
    if metric.kind == "summary":
        return summary_key(metric, scope) in summary_keys
    return all(c in weekly_columns for c in metric.columns())


def _week_number(token: str, weeks: np.ndarray) -> int:
    if token == "start":
        return int(weeks.min())
    if token == "end":
        return int(weeks.max())
    return int(token)


def _weekly_value(metric: Metric, table: pd.DataFrame) -> float:
    """One replication's value of a weekly metric (``table``: one scope, sorted by week)."""
    # min_count=1 keeps a week with no value (NaN) out of a mean, as for a single column
    sides = [table[list(side)].sum(axis=1, min_count=1) for side in metric.sides()]
    ratio = len(sides) == 2
    weeks = table["week"].to_numpy()

    def total(first: int, last: int) -> float:
        rows = (weeks >= first) & (weeks <= last)
        if not rows.any():
            return math.nan
        if ratio:
            den = float(sides[1].iloc[rows].sum())
            return float(sides[0].iloc[rows].sum()) / den if den else math.nan
        return float(sides[0].iloc[rows].sum()) if metric.aggregation == "sum" else \
            float(sides[0].iloc[rows].mean())

    def at(token: str) -> float:
        rows = np.flatnonzero(weeks == _week_number(token, weeks))
        if len(rows) == 0:
            return math.nan
        if ratio:
            den = float(sides[1].iloc[rows[0]])
            return float(sides[0].iloc[rows[0]]) / den if den else math.nan
        return float(sides[0].iloc[rows[0]])

    agg = metric.aggregation
    if agg in ("week", "end", "start"):
        return at(metric.weeks[0] if agg == "week" else agg)
    if agg in ("mean", "sum"):
        first, last = ((_week_number(metric.weeks[0], weeks), _week_number(metric.weeks[1], weeks))
                       if metric.weeks else (int(weeks.min()), int(weeks.max())))
        return total(first, last)  # a ratio column: a ratio of sums
    a, b = at(metric.weeks[0]), at(metric.weeks[1])
    if agg == "change":
        return b - a
    return b / a if a else math.nan


def replication_values(metric: Metric, scope: str, results: Sequence[RunResult]) -> np.ndarray:
    """The metric in each replication."""
    out = []
    for result in results:
        if metric.kind == "summary":
            out.append(float(result.summary.get(summary_key(metric, scope), math.nan)))
        elif metric.kind == "labore":
            out.append(labore_rate(metric, [result]))
        else:
            table = result.weekly[result.weekly["scope"] == scope].sort_values("week")
            out.append(_weekly_value(metric, table))
    return np.array(out, dtype=float)


def labore_rate(metric: Metric, results: Sequence[RunResult]) -> float:
    """Monthly exit rate pooled over replications (exits / person-weeks at risk)."""
    column = "exits_to_work" if metric.name == "work" else "exits_to_services"
    exits = at_risk = 0.0
    for result in results:
        table = result.duration_exits
        rows = table if metric.band is None else table[table["band"] == metric.band]
        exits += float(rows[column].sum())
        at_risk += float(rows["person_weeks"].sum())
    if at_risk <= 0:
        return math.nan
    return 1 - (1 - exits / at_risk) ** WEEKS_PER_MONTH


def simulated_value(metric: Metric, scope: str, results: Sequence[RunResult]) -> float:
    """The moment compared with the target: mean over replications (Labore: pooled)."""
    if metric.kind == "labore":
        return labore_rate(metric, results)
    values = replication_values(metric, scope, results)
    values = values[~np.isnan(values)]
    return float(values.mean()) if len(values) else math.nan
