"""Means, confidence intervals and weekly bands across replications."""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence

import numpy as np
import pandas as pd
from scipy import special  # not scipy.stats: importing it costs half a second per run


def mean_ci(values: Iterable[float], level: float = 0.95) -> dict[str, float]:
    """Mean and a t-based confidence interval. One replication has no interval (NaN, shown as
    "–" and null in JSON), so nothing from a single run is ever marked significant."""
    x = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    if len(x) == 0:
        return {"mean": float("nan"), "ci95_low": float("nan"), "ci95_high": float("nan")}
    mean = float(x.mean())
    if len(x) < 2:
        return {"mean": mean, "ci95_low": float("nan"), "ci95_high": float("nan")}
    # stdtrit is what scipy.stats.t.ppf computes (the same bits)
    half = float(special.stdtrit(len(x) - 1, 0.5 + level / 2) * x.std(ddof=1)
                 / math.sqrt(len(x)))
    return {"mean": mean, "ci95_low": mean - half, "ci95_high": mean + half}


def is_money(name: str) -> bool:
    """Cost and fee totals: absent from a run's summary means nothing was paid."""
    return name.startswith(("cost_", "target_cost_", "provider_fee_"))


def metric_names(*groups: list[dict[str, float]]) -> list[str]:
    """Every metric any replication reported, in first-seen order.

    A ledger item paid in one replication but not another (a first-hire subsidy, say) has a
    cost column only where it occurred; `metric_value` reads it as 0 elsewhere.
    """
    names: dict[str, None] = {}
    for summaries in groups:
        for summary in summaries:
            names.update(dict.fromkeys(summary))
    return list(names)


def metric_value(summary: dict[str, float], name: str) -> float:
    return summary.get(name, 0.0 if is_money(name) else float("nan"))


def summarise_replications(summaries: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Each metric's mean and 95 % interval over replications."""
    return {name: mean_ci(metric_value(s, name) for s in summaries)
            for name in metric_names(summaries)}


def weekly_bands(weekly: pd.DataFrame, columns: Sequence[str],
                 by: Sequence[str] = ()) -> pd.DataFrame:
    """Per week: the mean and the 10 % and 90 % quantiles of each column across replications.

    ``weekly`` has one row per replication and week of one scope (columns ``replication``,
    ``week`` and ``columns``); rows alike in the columns ``by`` (the dashboard's scenario and
    baseline) are one set of replications. Tidy result, sorted: ``*by, series, week, mean,
    p10, p90``. Missing values are left out of a week's statistics.
    """
    keys, columns = list(by), list(columns)
    frames = []
    for key, part in (weekly.groupby(keys, sort=True) if keys else [((), weekly)]):
        replication = pd.factorize(part["replication"])[0]  # in the order they come
        weeks, week = np.unique(part["week"].to_numpy(), return_inverse=True)
        # replications × columns × weeks, a week missing from a run left NaN; summed over
        # replications one at a time, as the column-by-column frames this replaced were
        values = np.full((replication.max() + 1, len(columns), len(weeks)), np.nan)
        values[replication, :, week] = part[columns].to_numpy(dtype=float)
        if np.isnan(values).any():
            p10, p90 = (np.nanquantile(values, q, axis=0) for q in (0.1, 0.9))
        else:  # the same numbers; nanquantile loops over the weeks in Python (100× slower)
            p10, p90 = np.quantile(values, [0.1, 0.9], axis=0)
        frame = pd.DataFrame({"series": np.repeat(columns, len(weeks)),
                              "week": np.tile(weeks, len(columns)),
                              "mean": np.nanmean(values, axis=0).ravel(),
                              "p10": p10.ravel(), "p90": p90.ravel()})
        for name, value in zip(keys, key, strict=True):
            frame.insert(keys.index(name), name, value)
        frames.append(frame)
    return pd.concat(frames, ignore_index=True).sort_values(
        [*keys, "series", "week"], kind="stable", ignore_index=True)
