"""Weekly bands across replications: the mean and the 10-90 % quantiles of each week."""

from __future__ import annotations

import numpy as np
import pandas as pd

from simulation.experiments.statistics import weekly_bands


def _weekly(values: np.ndarray) -> pd.DataFrame:
    weeks, runs = values.shape
    return pd.DataFrame({"replication": np.repeat(np.arange(runs), weeks),
                         "week": np.tile(np.arange(1, weeks + 1), runs),
                         "x": values.T.ravel()})


def test_bands_are_each_weeks_quantiles_to_the_bit() -> None:
    values = np.random.default_rng(4).normal(size=(40, 7)).round(2)  # ties included
    bands = weekly_bands(_weekly(values), ["x"])
    for q, column in ((0.1, "p10"), (0.9, "p90")):
        expected = [np.nanquantile(row, q) for row in values]
        np.testing.assert_array_equal(bands[column].to_numpy(), expected)
    np.testing.assert_array_equal(bands["mean"].to_numpy(), values.mean(axis=1))


def test_missing_values_are_left_out_of_a_weeks_bands() -> None:
    values = np.random.default_rng(5).normal(size=(10, 5))
    values[3, 2] = np.nan
    bands = weekly_bands(_weekly(values), ["x"])
    row = bands.iloc[3]
    kept = np.delete(values[3], 2)
    assert row["p10"] == np.quantile(kept, 0.1) and row["p90"] == np.quantile(kept, 0.9)
    assert row["mean"] == np.mean(kept)
    assert not bands[["mean", "p10", "p90"]].isna().any().any()


def test_groups_columns_and_weeks_missing_from_a_run_are_each_weeks_own_figures() -> None:
    # 12 replications (more than numpy's pairwise-summation block), two groups, two columns,
    # rows shuffled, and each third run without its first and last weeks
    rng = np.random.default_rng(6)
    rows = []
    for role in ("scenario", "baseline"):
        for replication in range(12):
            weeks = np.arange(2, 30) if replication % 3 == 0 else np.arange(1, 31)
            rows.append(pd.DataFrame({"role": role, "replication": replication, "week": weeks,
                                      "x": rng.normal(size=len(weeks)) * 1e3,
                                      "a": rng.normal(size=len(weeks))}))
    weekly = pd.concat(rows, ignore_index=True).sample(frac=1, random_state=1)
    bands = weekly_bands(weekly, ["x", "a"], by=["role"])
    assert list(bands.columns) == ["role", "series", "week", "mean", "p10", "p90"]
    assert len(bands) == 2 * 2 * 30
    for (role, series, week), row in bands.set_index(["role", "series", "week"]).iterrows():
        found = weekly[(weekly["role"] == role) & (weekly["week"] == week)]
        # the replications in the order they first come in the rows
        order = pd.unique(weekly.loc[weekly["role"] == role, "replication"])
        values = [v for r in order for v in found.loc[found["replication"] == r, series]]
        assert row["p10"] == np.quantile(values, 0.1) and row["p90"] == np.quantile(values, 0.9)
        total = 0.0
        for value in values:  # summed one replication at a time
            total += value
        assert row["mean"] == total / len(values)
