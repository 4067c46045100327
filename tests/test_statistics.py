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
