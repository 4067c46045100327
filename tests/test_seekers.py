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
