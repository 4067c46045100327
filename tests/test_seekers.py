"""The job-seeker table's small helpers agree with the plain numpy they replace."""

from __future__ import annotations

import itertools

import numpy as np

from simulation.engine.seekers import BAND_EDGES_WEEKS, JobSeekers, State, in_states


def test_in_states_is_isin_for_every_set_of_states() -> None:
    states = np.arange(len(State), dtype=np.int8).repeat(3)
    for k in range(1, len(State) + 1):
        for chosen in itertools.combinations(range(len(State)), k):
            expected = np.isin(states, chosen)
            for dtype in (np.int8, np.int64):
                got = in_states(states.astype(dtype), *chosen)
                assert got.dtype == np.bool_
                np.testing.assert_array_equal(got, expected, err_msg=str(chosen))


def test_band_of_whole_weeks_is_the_band_of_the_edges() -> None:
    weeks = np.arange(-3, int(BAND_EDGES_WEEKS[-1]) + 60, dtype=np.int32)
    expected = np.searchsorted(BAND_EDGES_WEEKS, np.maximum(weeks, 0), side="right")
    np.testing.assert_array_equal(JobSeekers.band(None, weeks), expected)


def test_risk_classes_in_whole_numbers_are_the_scores_classes() -> None:
    """Every combination of age (at and around the thresholds), education, benefit and
    weeks since work (0–600, past the cap of 104): the same class as the points score."""
    from simulation.engine.seekers import risk_class, risk_classes, risk_score

    age, education, weeks, benefit = np.meshgrid(
        np.array([18.0, 24.99, 25.0, 40.0, 54.99, 55.0, 64.0], dtype=np.float32),
        np.arange(3, dtype=np.int8), np.arange(601, dtype=np.int32),
        np.arange(4, dtype=np.int8), indexing="ij")
    args = (age.ravel(), education.ravel(), weeks.ravel(), benefit.ravel())
    expected = risk_class(risk_score(*args))
    got = risk_classes(*args)
    assert got.dtype == expected.dtype
    np.testing.assert_array_equal(got, expected)
    assert set(np.unique(got).tolist()) == {0, 1, 2}
