"""Target moments and observed time series: reading and checking the CSV files.

Both formats are documented in ``calibration/README.md``. Anything wrong is one
``TargetsError`` naming the file, the line and the column, which the CLI prints
as ``error: FILE: line N, column C: message`` with exit status 2.
"""

from __future__ import annotations

import csv
import datetime
import difflib
import math
from dataclasses import dataclass, replace
from pathlib import Path

from calibration.moments import Metric, MetricError, parse_metric
from simulation.engine.catalogue import Aggregation, Scope, is_family, where

TARGET_COLUMNS = ("target_id", "scenario", "metric", "scope", "value", "unit", "tolerance",
                  "weight", "use", "status", "source", "note")
TARGET_REQUIRED = ("target_id", "scenario", "metric", "value", "tolerance", "use", "source")
OBSERVED_COLUMNS = ("date", "metric", "value", "scope", "period", "tolerance", "weight", "use",
                    "source")
OBSERVED_REQUIRED = ("date", "metric", "value")
# fit: the baseline's fit (msm, and ABC's first stage); pilot: a pilot's reported figure, fitted
# by that pilot's levers in ABC's second stage (calibration/levers.py); validate: never fitted
USES = ("fit", "validate", "pilot")
SCOPES = ("region", "target")
STATUSES = ("", "pending")
# the job seekers' weekly columns that count events in a week (an observed series of one is
# summed over its period); the rest are stocks
FLOW_COLUMNS = frozenset(
    m.name for m in where(scope=Scope.BOTH)
    if m.aggregation in (Aggregation.FLOW_TOTAL, Aggregation.WEEK_FLOW) and not is_family(m))
DEFAULT_RELATIVE_TOLERANCE = 0.10


class TargetsError(ValueError):
    """A targets or observations file that cannot be used, located by line and column."""

    def __init__(self, file: str | Path, line: int | None, column: str, message: str) -> None:
        where = f"line {line}, column {column}" if line else f"column {column}"
        message = " ".join(str(message).split())
        super().__init__(f"{file}: {where}: {message}")
        self.file, self.line, self.column, self.message = str(file), line, column, message


@dataclass(frozen=True)
class Target:
    """One target moment and where it is compared."""
    target_id: str
    scenario: str
    metric: Metric
    scope: str
    value: float
    unit: str
    tolerance: float
    weight: float
    use: str
    status: str
    source: str
    note: str = ""
    file: str = ""
    line: int = 0

    @property
    def precision(self) -> float:
        """Weight in the distance: weight / tolerance²."""
        return self.weight / self.tolerance ** 2

    @property
    def interval(self) -> tuple[float, float]:
        return self.value - self.tolerance, self.value + self.tolerance


def _read_rows(path: Path, columns: tuple[str, ...], required: tuple[str, ...]
               ) -> list[tuple[int, dict[str, str]]]:
    if not path.exists():
        raise TargetsError(path, None, "file", "no such file")
    try:
        text = path.read_text(encoding="utf-8-sig")
    except UnicodeDecodeError:
        raise TargetsError(path, None, "file", "not UTF-8 text; save the file as UTF-8") from None
    lines = [line for line in text.splitlines() if line.strip()]
    if not lines:
        raise TargetsError(path, None, "file", "empty file")
    reader = csv.reader(text.splitlines())
    header: list[str] | None = None
    rows: list[tuple[int, dict[str, str]]] = []
    for number, cells in enumerate(reader, start=1):
        if not any(c.strip() for c in cells) or cells[0].lstrip().startswith("#"):
            continue
        if header is None:
            header = [c.strip() for c in cells]
            for name in header:
                if name not in columns:
                    close = difflib.get_close_matches(name, columns, n=1, cutoff=0.6)
                    hint = f" (did you mean {close[0]!r}?)" if close else ""
                    raise TargetsError(path, number, name or "(empty)",
                                       f"unknown column{hint}; allowed: {', '.join(columns)}")
            seen = set()
            for name in header:
                if name in seen:
                    raise TargetsError(path, number, name, "column appears twice in the header")
                seen.add(name)
            for name in required:
                if name not in header:
                    raise TargetsError(path, number, name, "missing column (required: "
                                       + ", ".join(required) + ")")
            continue
        if len(cells) > len(header):
            raise TargetsError(path, number, "(row)", f"{len(cells)} cells for {len(header)} "
                               "columns (quote text containing commas)")
        cells = cells + [""] * (len(header) - len(cells))
        rows.append((number, {h: c.strip() for h, c in zip(header, cells, strict=True)}))
    if not rows:
        raise TargetsError(path, None, "file", "no data rows under the header")
    return rows


def _number(path: Path, line: int, column: str, text: str, *, positive: bool = False,
            non_negative: bool = False, default: float | None = None) -> float:
    if text == "" and default is not None:
        return default
    if text == "":
        raise TargetsError(path, line, column, "is empty; a number is required")
    try:
        value = float(text)
    except ValueError:
        raise TargetsError(path, line, column, f"not a number: {text!r}") from None
    if not math.isfinite(value):
        raise TargetsError(path, line, column, f"must be a finite number, got {text!r}")
    if positive and value <= 0:
        raise TargetsError(path, line, column, f"must be greater than 0, got {text}")
    if non_negative and value < 0:
        raise TargetsError(path, line, column, f"must be 0 or more, got {text}")
    return value


def _choice(path: Path, line: int, column: str, text: str, allowed: tuple[str, ...],
            default: str) -> str:
    value = text.lower() or default
    if value not in allowed:
        shown = ", ".join(a or "(empty)" for a in allowed)
        raise TargetsError(path, line, column, f"must be one of {shown}, got {text!r}")
    return value


def read_targets(path: str | Path) -> list[Target]:
    """Read and check a targets table (format: calibration/README.md)."""
    path = Path(path)
    targets: list[Target] = []
    ids: dict[str, int] = {}
    keys: dict[tuple[str, str, str], int] = {}
    for line, row in _read_rows(path, TARGET_COLUMNS, TARGET_REQUIRED):
        target_id = row["target_id"]
        if not target_id:
            raise TargetsError(path, line, "target_id", "is empty")
        if target_id in ids:
            raise TargetsError(path, line, "target_id",
                               f"duplicate target {target_id!r} (first on line {ids[target_id]})")
        ids[target_id] = line
        scenario = row["scenario"]
        if not scenario:
            raise TargetsError(path, line, "scenario", "is empty")
        try:
            metric = parse_metric(row["metric"])
        except MetricError as exc:
            raise TargetsError(path, line, "metric", str(exc)) from None
        scope = _choice(path, line, "scope", row.get("scope", ""), SCOPES, "region")
        key = (scenario, metric.text, scope)
        if key in keys:
            raise TargetsError(path, line, "metric", f"duplicate target: {scenario} {metric.text} "
                               f"({scope}) is already on line {keys[key]}")
        keys[key] = line
        targets.append(Target(
            target_id=target_id, scenario=scenario, metric=metric, scope=scope,
            value=_number(path, line, "value", row["value"]),
            unit=row.get("unit", ""),
            tolerance=_number(path, line, "tolerance", row["tolerance"], positive=True),
            weight=_number(path, line, "weight", row.get("weight", ""), non_negative=True,
                           default=1.0),
            use=_choice(path, line, "use", row["use"], USES, ""),
            status=_choice(path, line, "status", row.get("status", ""), STATUSES, ""),
            source=row["source"] or _missing(path, line, "source"),
            note=row.get("note", ""), file=str(path), line=line))
    return targets


def _missing(path: Path, line: int, column: str) -> str:
    raise TargetsError(path, line, column, "is empty; say where the number comes from")


def week_of(date: datetime.date, start: datetime.date) -> int:
    """The model week (1, 2, ...) that contains ``date``."""
    return (date - start).days // 7 + 1


def read_observed(path: str | Path, scenario: str, start_date: str, weeks: int) -> list[Target]:
    """Turn an observed time series of a region into target rows of ``scenario``.

    Stocks are compared in the week containing the date; flows (counts of events)
    are summed over the weeks of the ``period`` ending at the date (``week`` or
    ``month``, default ``month``).
    """
    path = Path(path)
    start = datetime.date.fromisoformat(start_date)
    last_day = start + datetime.timedelta(days=7 * weeks - 1)
    out: list[Target] = []
    seen: dict[tuple[str, str, str], int] = {}
    for line, row in _read_rows(path, OBSERVED_COLUMNS, OBSERVED_REQUIRED):
        try:
            date = datetime.date.fromisoformat(row["date"])
        except ValueError:
            raise TargetsError(path, line, "date", f"not a date like 2018-01-31: "
                               f"{row['date']!r}") from None
        if not start <= date <= last_day:
            raise TargetsError(path, line, "date", f"{date} is outside the scenario's weeks "
                               f"({start} – {last_day})")
        column = row["metric"]
        if "@" in column or not column:
            raise TargetsError(path, line, "metric", "give a weekly column (e.g. unemployed or "
                               f"long_term_unemployed/unemployed), not {column!r}")
        scope = _choice(path, line, "scope", row.get("scope", ""), SCOPES, "region")
        key = (row["date"], column, scope)
        if key in seen:
            raise TargetsError(path, line, "metric", f"duplicate observation of {column} on "
                               f"{date} ({scope}); first on line {seen[key]}")
        seen[key] = line
        value = _number(path, line, "value", row["value"])
        week = week_of(date, start)
        if column.split("/")[0] in FLOW_COLUMNS or column.startswith("cost_"):
            period = _choice(path, line, "period", row.get("period", ""), ("week", "month"),
                             "month")
            first = week if period == "week" else week_of(date.replace(day=1), start)
            metric_text = f"{column}@sum={max(1, first)}:{week}"
        else:
            metric_text = f"{column}@week={week}"
        try:
            metric = parse_metric(metric_text)
        except MetricError as exc:
            raise TargetsError(path, line, "metric", str(exc)) from None
        default_tolerance = abs(value) * DEFAULT_RELATIVE_TOLERANCE
        tolerance = _number(path, line, "tolerance", row.get("tolerance", ""), positive=True,
                            default=default_tolerance or -1.0)
        if tolerance <= 0:
            raise TargetsError(path, line, "tolerance", "value is 0, so give a tolerance")
        out.append(Target(
            target_id=f"observed_{column.replace('/', '_per_')}_{date}", scenario=scenario,
            metric=metric, scope=scope, value=value, unit="", tolerance=tolerance,
            weight=_number(path, line, "weight", row.get("weight", ""), non_negative=True,
                           default=1.0),
            use=_choice(path, line, "use", row.get("use", ""), USES, "fit"), status="",
            source=row.get("source", "") or f"observed series {path.name}",
            file=str(path), line=line))
    return out


def check_produced(targets: list[Target], produced: dict[str, tuple[set[str], set[str]] | None]
                   ) -> list[Target]:
    """Mark or reject targets whose scenario or metric the model does not produce.

    ``produced`` maps a scenario name to (summary keys, weekly columns), or None
    if the scenario is not in the library. A ``pending`` row is kept and later
    reported as "not yet simulated"; any other row is an error.
    """
    from calibration.moments import is_produced

    checked = []
    for target in targets:
        columns = produced.get(target.scenario)
        if columns is None:
            if target.status != "pending":
                raise TargetsError(target.file, target.line, "scenario",
                                   f"no scenario named {target.scenario!r} (mark the row "
                                   "status=pending if it is still to be written)")
        elif (not is_produced(target.metric, target.scope, *columns)
              and target.status != "pending"):
            raise TargetsError(target.file, target.line, "metric",
                                   f"unknown metric {target.metric.text!r}: scenario "
                                   f"{target.scenario!r} produces no such summary key or "
                                   "weekly column (see calibration/README.md)")
        checked.append(target)
    return checked


def with_use(target: Target, use: str) -> Target:
    return replace(target, use=use)
