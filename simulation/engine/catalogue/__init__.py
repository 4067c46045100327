"""The metric catalogue: every metric the model reports, defined once.

Each ``Metric`` has its name, label, unit, kind (how it is formatted), scope (whether a
``target_`` twin exists), aggregation (how it is made from the run), a plain-language
description and the named groups that show it. The domain modules define them (``labour``,
``money``, ``provider_books``, ``firm_side``); ``groups`` holds the selections that tables,
charts and commands show. Everything else asks here rather than keeping its own list::

    metric("target_placements").label      # "Placements"
    in_group("headline")                    # ("placements", "sustained_3m", ...)
    where(aggregation=Aggregation.FLOW_TOTAL, scope=Scope.BOTH)

This package imports nothing from the engine: the engine's own summaries read it.
"""

from __future__ import annotations

import re
from dataclasses import replace
from functools import cache

from simulation.engine.catalogue.firm_side import FIRM_SIDE
from simulation.engine.catalogue.groups import GROUPS
from simulation.engine.catalogue.labour import LABOUR
from simulation.engine.catalogue.metric import Aggregation, Kind, Metric, Scope
from simulation.engine.catalogue.money import MONEY
from simulation.engine.catalogue.provider_books import PROVIDERS

TARGET = "target_"
_DEFINED = (*LABOUR, *MONEY, *PROVIDERS, *FIRM_SIDE)


def _family(name: str) -> re.Pattern[str] | None:
    """A name with a ``{placeholder}`` as a pattern of the names it stands for."""
    if "{" not in name:
        return None
    head, _, rest = name.partition("{")
    tail = rest.partition("}")[2]
    return re.compile(f"{re.escape(head)}.+{re.escape(tail)}")


def _lookup(name: str, metrics: dict[str, Metric]) -> Metric | None:
    if name in metrics:
        return metrics[name]
    # names made at run time: the first family whose pattern matches
    return next((m for m in metrics.values()
                 if (pattern := _family(m.name)) and pattern.fullmatch(name)), None)


def _resolve(name: str, metrics: dict[str, Metric]) -> Metric | None:
    found = _lookup(name, metrics)
    if found is None and name.startswith(TARGET):
        twin = _lookup(name.removeprefix(TARGET), metrics)
        found = twin if twin is not None and twin.scope is Scope.BOTH else None
    return found


def _build() -> dict[str, Metric]:
    metrics: dict[str, Metric] = {}
    for m in _DEFINED:
        if m.name in metrics:
            raise ValueError(f"metric {m.name!r} is defined twice")
        metrics[m.name] = m
    shown: dict[str, list[str]] = {}
    for group, names in GROUPS.items():
        for name in names:
            found = _resolve(name, metrics)
            if found is None:
                raise ValueError(f"group {group!r}: {name!r} is not in the catalogue")
            shown.setdefault(found.name, []).append(group)
    return {name: replace(m, groups=tuple(dict.fromkeys(shown.get(name, ()))))
            for name, m in metrics.items()}


CATALOGUE: dict[str, Metric] = _build()


@cache
def metric(name: str) -> Metric:
    """The definition of a metric as a summary, an effect or the weekly table names it:
    ``target_`` twins and names made at run time (``cost_wage_subsidy_eur``) included."""
    found = _resolve(name, CATALOGUE)
    if found is None:
        raise KeyError(f"{name!r} is not in the metric catalogue")
    return found


def in_group(group: str) -> tuple[str, ...]:
    """The metric names a group shows, in its order."""
    return GROUPS[group]


def where(*, kind: Kind | None = None, scope: Scope | None = None,
          aggregation: Aggregation | None = None) -> tuple[Metric, ...]:
    """The metrics with all the given properties, in catalogue order (families included)."""
    return tuple(m for m in CATALOGUE.values()
                 if (kind is None or m.kind is kind) and (scope is None or m.scope is scope)
                 and (aggregation is None or m.aggregation is aggregation))


def is_family(m: Metric) -> bool:
    """Whether a definition stands for names made at run time (``cost_{item}_eur``)."""
    return _family(m.name) is not None


__all__ = ["CATALOGUE", "GROUPS", "Aggregation", "Kind", "Metric", "Scope", "in_group",
           "is_family", "metric", "where"]
