"""What drives each answer: which uncertain parameters an effect depends on most, from the
K posterior draws it was computed under.

For each parameter, the index is the squared rank correlation (Spearman's ρ²) between the
parameter's drawn value and the draw's mean effect: the share of the effect's spread across
draws that this parameter explains on its own for a monotone relation (for a linear, additive
effect of independent parameters, it is the first-order Sobol index). It needs no special
design, so it works on the draws already run. With few draws and many parameters some
correlation arises by chance: :func:`chance_level` is the index that no parameter without
influence reaches in 95 % of cases (Bonferroni over the parameters), and only the parameters
above it are named as drivers. Parameters that the posterior correlates share what they
explain. With 128 draws or more, SALib's RBD-FAST estimate of the first-order Sobol index from
the same draws is given beside it.
"""

from __future__ import annotations

import math

import numpy as np
import pandas as pd

SOBOL_FROM = 128


def rank_drivers(parameters: pd.DataFrame, effect: np.ndarray) -> pd.DataFrame:
    """Rows ``parameter, index, correlation, sobol_first_order, rank``, strongest first.

    ``parameters``: one row per draw, one column per parameter; ``effect``: the draw's mean
    effect. Parameters that do not vary across the draws are left out.
    """
    from scipy import stats  # only here: importing scipy.stats costs half a second

    y = np.asarray(effect, float)
    columns = [c for c in parameters.columns if parameters[c].nunique() > 1]
    rows = []
    constant = np.ptp(y) == 0
    for column in columns:
        x = parameters[column].to_numpy(float)
        rho = 0.0 if constant else float(stats.spearmanr(x, y).statistic)
        rows.append({"parameter": column, "index": rho * rho if math.isfinite(rho) else 0.0,
                     "correlation": rho if math.isfinite(rho) else 0.0})
    frame = pd.DataFrame(rows, columns=["parameter", "index", "correlation"])
    frame["sobol_first_order"] = _sobol(parameters[columns], y) if len(y) >= SOBOL_FROM \
        and columns and not constant else math.nan
    frame = frame.sort_values(["index", "parameter"], ascending=[False, True],
                              kind="stable").reset_index(drop=True)
    frame["rank"] = np.arange(1, len(frame) + 1)
    return frame


def _sobol(parameters: pd.DataFrame, y: np.ndarray) -> np.ndarray:
    from SALib.analyze import rbd_fast

    X = parameters.to_numpy(float)
    problem = {"num_vars": X.shape[1], "names": list(parameters.columns),
               "bounds": [[float(c.min()), float(c.max())] for c in X.T]}
    result = rbd_fast.analyze(problem, X, y, M=10, print_to_console=False, seed=1)
    return np.clip(np.asarray(result["S1"], float), 0.0, 1.0)


def chance_level(draws: int, parameters: int, alpha: float = 0.05) -> float:
    """The index a parameter without influence stays below, for all ``parameters`` at once,
    with probability 1 − alpha: ρ is about normal with variance 1/(K − 1) under no relation."""
    if draws < 3 or parameters < 1:
        return 1.0
    from scipy import stats

    z = float(stats.norm.ppf(1 - alpha / (2 * parameters)))
    return min(1.0, z * z / (draws - 1))


def top(frame: pd.DataFrame, draws: int, n: int = 3) -> list[tuple[str, float, float]]:
    """The n strongest drivers above the chance level: (parameter, index, correlation)."""
    floor = chance_level(draws, len(frame))
    rows = frame[frame["index"] > floor].head(n)
    return [(r.parameter, float(r.index), float(r.correlation)) for r in rows.itertuples()]
