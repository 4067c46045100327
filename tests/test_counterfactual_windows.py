"""Who was in work in a window of the baseline run: the searchsorted version the comparisons
use, against the merge-and-group formulation it replaced (kept here as the reference)."""

from __future__ import annotations

import numpy as np
import pandas as pd
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.experiments.counterfactuals import _employed_between


def _reference(person_events: pd.DataFrame, people: np.ndarray, start: np.ndarray,
               end: np.ndarray) -> np.ndarray:
    frame = pd.DataFrame({"row": np.arange(len(people)), "person": people, "start": start,
                          "end": end})
    events = person_events[person_events["person"].isin(frame["person"])]
    joined = frame.merge(events, on="person", how="inner")
    started = joined[(joined["event"] == "placements") & (joined["week"] >= joined["start"])
                     & (joined["week"] <= joined["end"])]["row"].unique()
    before = joined[joined["week"] < joined["start"]].sort_values(["row", "week"])
    last = before.groupby("row")["event"].last()
    working_at_start = last[last == "placements"].index.to_numpy()
    result = np.zeros(len(people), dtype=bool)
    result[started] = True
    result[working_at_start] = True
    return result


events = st.lists(st.tuples(st.integers(0, 6), st.integers(0, 12),
                            st.sampled_from(["placements", "job_losses"])), max_size=40)
windows = st.lists(st.tuples(st.integers(0, 8), st.integers(0, 12), st.integers(-2, 14)),
                   max_size=15)


@settings(max_examples=400, deadline=None)
@given(events, windows)
def test_the_same_people_are_found_in_work_as_by_merging(logged, asked) -> None:
    # events in week order as the metrics log them (several per person and week possible);
    # people asked about repeat, have no events, or ask for empty windows (end < start)
    logged = sorted(logged, key=lambda e: e[1])
    person_events = pd.DataFrame(logged or None, columns=["person", "week", "event"]).astype(
        {"person": "int64", "week": "int64", "event": object})
    people, start, length = (np.array([a[i] for a in asked], dtype=np.int64)
                             for i in range(3))
    end = start + length
    np.testing.assert_array_equal(_employed_between(person_events, people, start, end),
                                  _reference(person_events, people, start, end))
