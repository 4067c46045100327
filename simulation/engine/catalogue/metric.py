"""What a metric is: the ``Metric`` record and the words its fields use.

A metric is defined once, in one of the catalogue's domain modules; every table, chart and
list that shows it reads its name, label, unit and kind from there.
"""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum


class Kind(StrEnum):
    """How a value is formatted."""
    COUNT = "count"    # people, events, firms (a mean over replications may be fractional)
    SHARE = "share"    # a fraction from 0 to 1, shown as %; its effects are percentage points
    POINTS = "points"  # a difference of two shares: percentage points
    EUROS = "euros"
    WEEKS = "weeks"


class Scope(StrEnum):
    """Whom a metric is measured for."""
    # the region, and the target group under the same name prefixed ``target_`` (in the
    # weekly table: the rows of scope ``target``)
    BOTH = "region and target group"
    REGION = "region"


class Aggregation(StrEnum):
    """How the reported value is made from the run."""
    FLOW_TOTAL = "sum of a weekly flow"              # the weekly column of the same name
    AT_END = "value in the last week"                # of the weekly column ``basis``
    AT_START = "value at the start"
    WEEKLY_MEAN = "mean over weeks"                  # of the weekly column ``basis``
    PER_ADMISSION = "mean over admissions"
    PER_PERSON = "per person"                        # follows people, not weeks
    LEDGER_TOTAL = "sum of ledger payments"
    FINAL_YEAR = "final-year level"                  # the run's last 52 weeks, per year
    CHANGE = "change over the run"
    RATIO = "ratio of run totals"
    PROVIDER = "provider summary"                    # from the providers' books at the end
    PAIRED_RATIO = "ratio of paired effects"         # cost effect / effect on ``basis``
    PAIRED = "paired with the baseline run"          # needs the same-seed baseline run
    WEEK_FLOW = "events in the week"                 # a weekly column, not totalled
    WEEK_STOCK = "value at the end of the week"      # a weekly column
    RUN_COUNT = "counted over the run"               # by a mechanism, e.g. the activation model


@dataclass(frozen=True)
class Metric:
    """One metric the model reports.

    ``name`` may hold a ``{placeholder}`` for a family of names made at run time (one per
    ledger item, contract component, calendar year or service). ``phrase`` is the wording in
    running text and the report's tables where it differs from the label in lower case.
    ``groups`` are the named selections that show it (filled in by the catalogue).
    """
    name: str
    label: str
    unit: str  # what one of it is, as shown beside the value
    kind: Kind
    scope: Scope
    aggregation: Aggregation
    description: str
    basis: str | None = None  # the weekly column it is made from, or a ratio's denominator
    phrase: str = ""
    groups: tuple[str, ...] = ()

    @property
    def wording(self) -> str:
        """How the metric is named in a sentence or a report table row."""
        return self.phrase or self.label[:1].lower() + self.label[1:]
