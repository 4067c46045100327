"""Means and confidence intervals across replications."""

from __future__ import annotations

import math
from collections.abc import Iterable

import numpy as np
from scipy import stats


def mean_ci(values: Iterable[float], level: float = 0.95) -> dict[str, float]:
    """Mean and a t-based confidence interval; with one replication the interval is the point."""
    x = np.asarray([v for v in values if not math.isnan(v)], dtype=float)
    if len(x) == 0:
        return {"mean": float("nan"), "ci95_low": float("nan"), "ci95_high": float("nan")}
    mean = float(x.mean())
    if len(x) < 2:
        return {"mean": mean, "ci95_low": mean, "ci95_high": mean}
    half = float(stats.t.ppf(0.5 + level / 2, len(x) - 1) * x.std(ddof=1) / math.sqrt(len(x)))
    return {"mean": mean, "ci95_low": mean - half, "ci95_high": mean + half}


def summarise_replications(summaries: list[dict[str, float]]) -> dict[str, dict[str, float]]:
    """Each metric's mean and 95 % interval over replications."""
    names = list(summaries[0]) if summaries else []
    return {name: mean_ci(s[name] for s in summaries) for name in names}
