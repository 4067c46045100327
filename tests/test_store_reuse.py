"""The store's reuse and resume path: a run is read back only when it is really there.

``execute`` with a store skips a request whose run id (scenario content, seed, spawn key,
weeks, code version) is stored done with readable data, and reads its tables back; anything
else runs. Small runs on one worker, in this process.
"""

from __future__ import annotations

import math
import shutil
from pathlib import Path

import pandas as pd
import pytest

from simulation.experiments import runner
from simulation.experiments.runner import execute, requests, run_meta
from simulation.experiments.statistics import metric_value
from simulation.experiments.store.reader import StoreReader
from simulation.experiments.store.writer import ResultsStore
from simulation.params.loading import load_scenario

SMALL = {"region": {"job_seekers": 800}}
WEEKS = 5


@pytest.fixture(scope="module")
def scenario():
    return load_scenario("baseline", overrides=SMALL)


def _run(batch, store: ResultsStore) -> tuple[list, list[tuple[int, bool]]]:
    seen: list[tuple[int, bool]] = []
    results = execute(batch, workers=1, store=store,
                      on_done=lambda request, cached: seen.append((request.replication, cached)))
    return results, sorted(seen)


def _same(a, b) -> None:
    assert a.summary == b.summary
    assert (a.replication, a.entropy, a.spawn_key) == (b.replication, b.entropy, b.spawn_key)
    for name in ("weekly", "ledger"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name), check_dtype=False)
    for name in ("cohort", "person_events", "duration_exits"):
        pd.testing.assert_frame_equal(getattr(a, name), getattr(b, name))


def _run_folder(root: Path, run_id: str) -> Path:
    (folder,) = root.glob(f"data/scenario=*/run-{run_id}")
    return folder


def test_stored_runs_are_read_back_with_every_table(tmp_path: Path, scenario) -> None:
    batch = requests(scenario, 2, seed=31, weeks=WEEKS)
    with ResultsStore(tmp_path, fsync=False) as store:
        fresh, first = _run(batch, store)
        again, second = _run(batch, store)
    assert first == [(0, False), (1, False)] and second == [(0, True), (1, True)]
    for a, b in zip(fresh, again, strict=True):
        _same(a, b)
    assert fresh[0].summary != fresh[1].summary   # each replication read back as itself


def test_a_run_whose_data_was_lost_is_run_again_not_trusted_from_the_registry(
        tmp_path: Path, scenario) -> None:
    batch = requests(scenario, 2, seed=32, weeks=WEEKS)
    with ResultsStore(tmp_path, fsync=False) as store:
        fresh, _ = _run(batch, store)
        lost = run_meta(batch[1]).run_id
        shutil.rmtree(_run_folder(tmp_path, lost))         # the registry still says done
        assert not store.has(lost) and store.has(run_meta(batch[0]).run_id)
        again, seen = _run(batch, store)
        assert seen == [(0, True), (1, False)]
        assert store.has(lost)
    for a, b in zip(fresh, again, strict=True):
        _same(a, b)
    with StoreReader(tmp_path) as reader:
        runs = reader.runs()
        assert sorted(runs["run_id"]) == sorted(run_meta(r).run_id for r in batch)
        assert set(runs["status"]) == {"done"}
        assert len(reader.summaries()) == 2


def test_a_compacted_run_whose_segment_was_lost_is_run_again(tmp_path: Path, scenario) -> None:
    batch = requests(scenario, 2, seed=33, weeks=WEEKS)
    with ResultsStore(tmp_path, fsync=False, compact_every=None) as store:
        fresh, _ = _run(batch, store)
        (segment,) = store.compact()
        _, seen = _run(batch, store)
        assert seen == [(0, True), (1, True)]          # read back from the segment
        (segment / "weekly.parquet").unlink()           # part of the segment is gone
        again, seen = _run(batch, store)
        assert seen == [(0, False), (1, False)]
    for a, b in zip(fresh, again, strict=True):
        _same(a, b)


def test_a_run_that_failed_or_is_still_registered_running_is_run_again(
        tmp_path: Path, scenario) -> None:
    batch = requests(scenario, 2, seed=34, weeks=WEEKS)
    with ResultsStore(tmp_path, fsync=False) as store:
        store.begin(run_meta(batch[0]))                         # left 'running' by a crash
        store.finish(store.begin(run_meta(batch[1])), "failed")
        _, seen = _run(batch, store)
        assert seen == [(0, False), (1, False)]
        assert all(store.has(run_meta(r).run_id) for r in batch)


def test_only_the_same_content_seed_spawn_key_weeks_and_code_are_reused(
        tmp_path: Path, scenario, monkeypatch: pytest.MonkeyPatch) -> None:
    with ResultsStore(tmp_path, fsync=False) as store:
        _run(requests(scenario, 2, seed=35, weeks=WEEKS), store)
        # another name for the same content shares the runs, and keeps its own name
        renamed = scenario.model_copy(update={"name": "renamed", "title": "another title"})
        results, seen = _run(requests(renamed, 2, seed=35, weeks=WEEKS), store)
        assert seen == [(0, True), (1, True)]
        assert [r.scenario for r in results] == ["renamed", "renamed"]
        # a third replication, another seed, more weeks, other content: all new
        _, seen = _run(requests(scenario, 3, seed=35, weeks=WEEKS), store)
        assert seen == [(0, True), (1, True), (2, False)]
        assert _run(requests(scenario, 1, seed=36, weeks=WEEKS), store)[1] == [(0, False)]
        assert _run(requests(scenario, 1, seed=35, weeks=WEEKS + 1), store)[1] == [(0, False)]
        other = load_scenario("baseline", overrides={"region": {"job_seekers": 801}})
        assert _run(requests(other, 1, seed=35, weeks=WEEKS), store)[1] == [(0, False)]
        # a changed model (another code version) does not reuse what the old one stored
        monkeypatch.setattr(runner, "code_version", lambda: "0+changed")
        assert _run(requests(scenario, 1, seed=35, weeks=WEEKS), store)[1] == [(0, False)]
    with StoreReader(tmp_path) as reader:
        assert len(reader.runs()) == 2 + 1 + 1 + 1 + 1 + 1


def test_reuse_false_runs_again_and_stores_nothing_twice(tmp_path: Path, scenario) -> None:
    batch = requests(scenario, 1, seed=37, weeks=WEEKS)
    with ResultsStore(tmp_path, fsync=False) as store:
        (first,), _ = _run(batch, store)
        seen: list[bool] = []
        (again,) = execute(batch, workers=1, store=store, reuse=False,
                           on_done=lambda _r, cached: seen.append(cached))
        assert seen == [False]
        _same(first, again)
    with StoreReader(tmp_path) as reader:
        assert len(reader.runs()) == 1 and len(reader.summaries()) == 1


def test_the_registry_keeps_the_resolved_parameters_and_any_tags(tmp_path: Path,
                                                                 scenario) -> None:
    import json
    from decimal import Decimal

    request = requests(scenario, 1, seed=38, weeks=WEEKS, batch="b",
                       tags={"fee": Decimal("1500.50"), "where": tmp_path})[0]
    with ResultsStore(tmp_path / "store", fsync=False) as store:
        execute([request], workers=1, store=store)
    row = StoreReader(tmp_path / "store").runs().iloc[0]
    # every resolved parameter, without the provenance texts
    assert json.loads(row["parameters"]) == scenario.model_dump(mode="json",
                                                                exclude={"provenance"})
    # tags that are not JSON values are kept as their text
    assert json.loads(row["tags"]) == {"fee": "1500.50", "where": str(tmp_path)}


def test_readers_filter_by_scenario_and_a_done_run_cannot_begin_again(tmp_path: Path,
                                                                      scenario) -> None:
    from simulation.experiments.store.writer import StoreError

    other = load_scenario("baseline", overrides={"region": {"job_seekers": 700}})
    other = other.model_copy(update={"name": "other"})
    with ResultsStore(tmp_path, fsync=False) as store:
        execute(requests(scenario, 1, seed=39, weeks=WEEKS)
                + requests(other, 2, seed=39, weeks=WEEKS), workers=1, store=store)
        with pytest.raises(StoreError, match="already has stored results"):
            store.begin(run_meta(requests(other, 1, seed=39, weeks=WEEKS)[0]))
    with StoreReader(tmp_path) as reader:
        assert set(reader.summaries(scenario="other")["scenario"]) == {"other"}
        assert len(reader.summaries(scenario="other")) == 2
        assert len(reader.summaries(scenario="baseline")) == 1
        assert set(reader.weekly(scenario="other")["scenario"]) == {"other"}
        assert len(reader.ledger(scenario="baseline")) > 0
        assert set(reader.ledger(scenario="baseline")["scenario"]) == {"baseline"}
        assert set(reader.runs(scenario="other")["scenario"]) == {"other"}


def _values(summary: dict[str, float]) -> list[tuple[str, float | None]]:
    """The summary's metrics in its order, NaN as None (NaN is not equal to itself)."""
    return [(name, None if math.isnan(value) else value) for name, value in summary.items()]


def test_runs_read_back_together_keep_their_own_metrics_in_their_order(tmp_path: Path,
                                                                       scenario) -> None:
    # read back in one call with a provider scenario's runs, a baseline run used to get their
    # fee and provider columns as missing values: a fee's paired effect came back missing and
    # the same compare printed rows the fresh runs did not have
    providers = load_scenario("outsourcing_generic", overrides=SMALL)
    batch = [*requests(scenario, 2, seed=35, weeks=WEEKS),
             *requests(providers, 2, seed=35, weeks=WEEKS)]
    with ResultsStore(tmp_path, fsync=False, compact_every=None) as store:
        fresh, _ = _run(batch, store)
        again, seen = _run(batch, store)
        assert all(cached for _, cached in seen)
        fees = [k for k in fresh[2].summary if k.startswith("provider_fee_")]
        assert fees and not any(k in fresh[0].summary for k in fees)
        for a, b in zip(fresh, again, strict=True):
            assert _values(a.summary) == _values(b.summary)
        # compacted, one file holds every run's columns; its footer keeps each run's own
        store.compact()
        compacted, seen = _run(batch, store)
        assert all(cached for _, cached in seen)
        # and a segment rewritten without one of its runs keeps the others' lists
        store.discard(run_meta(batch[1], runner.code_version()).run_id)
        rewritten, seen = _run(batch, store)
        assert sorted(cached for _, cached in seen) == [False, True, True, True]
    for a, b, c in zip(fresh, compacted, rewritten, strict=True):
        assert _values(a.summary) == _values(b.summary) == _values(c.summary)


def test_a_segments_missing_fee_is_left_out_and_a_missing_rate_stays_missing() -> None:
    # a segment's summary file has the columns of all its runs: a run's own list then names
    # a fee it never paid, read back as missing
    from simulation.experiments.stored import stored_summary

    row = {"employed": 3.0, "provider_fee_placement_eur": math.nan, "cost_x_eur": 2.0,
           "placement_rate": math.nan, "other": 9.0}
    summary = stored_summary(row, ["cost_x_eur", "provider_fee_placement_eur", "employed",
                                   "placement_rate"])
    assert list(summary) == ["cost_x_eur", "employed", "placement_rate"]
    assert metric_value(summary, "provider_fee_placement_eur") == 0.0
    assert math.isnan(summary["placement_rate"])
