"""The results store keeps every run exactly once, survives SIGKILL, and serves readers
in other processes while the coordinator holds the registry."""

from __future__ import annotations

import json
import os
import shutil
import signal
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from simulation.experiments.store.identity import RunMeta, make_run_id
from simulation.experiments.store.reader import StoreReader
from simulation.experiments.store.writer import ResultConflictError, ResultsStore, StoreError

REPO = Path(__file__).resolve().parents[1]
WEEKS = 4
BIG_ENTROPY = 2**100 + 7  # SeedSequence entropy does not fit in 64 bits


def run_meta(replication: int, scenario: str = "baseline", weeks: int = WEEKS) -> RunMeta:
    return RunMeta(
        scenario=scenario, scenario_hash=f"hash-{scenario}", parameters={"caseload": 107},
        entropy=BIG_ENTROPY, spawn_key=(replication, 0), replication=replication, weeks=weeks,
        code_version="test", batch="sweep-1", tags={"outcome_fee": 1500.0},
    )


def run_results(replication: int, weeks: int = WEEKS,
                ) -> tuple[pd.DataFrame, dict[str, float], pd.DataFrame]:
    rng = np.random.default_rng(replication)
    week = np.repeat(np.arange(weeks), 2)
    weekly = pd.DataFrame({
        "week": week,
        "scope": np.tile(["region", "target"], weeks),
        "unemployed": rng.integers(900, 1100, size=2 * weeks),
        "activation_rate": rng.random(2 * weeks),
    })
    summary = {"employment_rate": float(rng.random()), "cost_eur": 1e6 * replication}
    ledger = pd.DataFrame({
        "week": np.arange(weeks), "payer": "state", "payee": "provider", "item": "outcome_fee",
        "scope": "target", "amount_eur": 1500.0 * np.arange(weeks),
    })
    return weekly, summary, ledger


def store_run(store: ResultsStore, replication: int, scenario: str = "baseline") -> str:
    run_id = store.begin(run_meta(replication, scenario))
    store.write(run_id, *run_results(replication))
    store.finish(run_id)
    return run_id


def python(script: Path, *args: str, **popen: object) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, str(script), *args], env=env, text=True,
                            stdout=subprocess.PIPE, stderr=subprocess.PIPE, **popen)


def test_run_id_is_stable_and_depends_on_every_identity_field() -> None:
    base = dict(scenario_hash="abc", entropy=BIG_ENTROPY, spawn_key=(3, 0), weeks=74,
                code_version="0.1")
    assert make_run_id(**base) == make_run_id(**{**base, "spawn_key": "3,0"})
    assert make_run_id(**base) == RunMeta(
        scenario="x", scenario_hash="abc", parameters={}, entropy=BIG_ENTROPY, spawn_key="3,0",
        replication=3, weeks=74, code_version="0.1").run_id
    for field, other in [("scenario_hash", "abd"), ("entropy", BIG_ENTROPY + 1),
                         ("spawn_key", (3, 1)), ("weeks", 75), ("code_version", "0.2")]:
        assert make_run_id(**base) != make_run_id(**{**base, field: other})


def test_round_trip_returns_what_was_written(tmp_path: Path) -> None:
    with ResultsStore(tmp_path) as store:
        run_id = store_run(store, 3)
    weekly, summary, ledger = run_results(3)
    with StoreReader(tmp_path) as reader:
        stored = reader.weekly([run_id])
        pd.testing.assert_frame_equal(stored.drop(columns=["run_id", "scenario"]), weekly,
                                      check_dtype=False)
        assert set(stored["scenario"]) == {"baseline"}
        row = reader.summaries([run_id]).iloc[0]
        assert {k: row[k] for k in summary} == summary
        pd.testing.assert_frame_equal(
            reader.ledger([run_id]).drop(columns=["run_id", "scenario"]), ledger,
            check_dtype=False)
        runs = reader.runs()
    assert len(runs) == 1
    registry = runs.iloc[0]
    assert registry["run_id"] == run_id
    assert registry["status"] == "done"
    assert int(registry["entropy"]) == BIG_ENTROPY
    assert registry["spawn_key"] == "3,0"
    assert registry["replication"] == 3
    assert json.loads(registry["parameters"]) == {"caseload": 107}
    assert json.loads(registry["tags"]) == {"outcome_fee": 1500.0}
    assert registry["finished_at"] >= registry["started_at"]


def test_has_is_true_only_once_the_run_is_written_and_done(tmp_path: Path) -> None:
    with ResultsStore(tmp_path) as store:
        run_id = store.begin(run_meta(1))
        assert not store.has(run_id)
        store.write(run_id, *run_results(1))
        assert not store.has(run_id)
        store.finish(run_id)
        assert store.has(run_id)
        assert not store.has(run_meta(2).run_id)


def test_done_run_rewritten_identically_is_kept_and_differently_is_refused(
        tmp_path: Path) -> None:
    with ResultsStore(tmp_path) as store:
        run_id = store_run(store, 1)
        assert store.write(run_id, *run_results(1)).is_dir()
        with pytest.raises(ResultConflictError):
            store.write(run_id, *run_results(2))
        with pytest.raises(StoreError):
            store.begin(run_meta(1))
    with StoreReader(tmp_path) as reader:
        assert len(reader.weekly()) == 2 * WEEKS


def test_finish_done_requires_results_and_failed_forbids_them(tmp_path: Path) -> None:
    with ResultsStore(tmp_path) as store:
        run_id = store.begin(run_meta(1))
        with pytest.raises(StoreError):
            store.finish(run_id)
        store.finish(run_id, status="failed")
        assert not store.has(run_id)
        rerun = store.begin(run_meta(1))  # a failed run may be tried again
        store.write(rerun, *run_results(1))
        with pytest.raises(StoreError):
            store.finish(rerun, status="failed")
        store.finish(rerun)
        assert store.has(rerun)


def test_compaction_keeps_every_run_exactly_once(tmp_path: Path) -> None:
    with ResultsStore(tmp_path, compact_every=3) as store:
        ids = [store_run(store, rep) for rep in range(7)]
        assert all(store.has(run_id) for run_id in ids)
    data = tmp_path / "data" / "scenario=baseline"
    assert len(list(data.glob("segment-*"))) == 2
    assert len(list(data.glob("run-*"))) == 1
    with StoreReader(tmp_path) as reader:
        assert sorted(reader.runs()["run_id"]) == sorted(ids)
        weekly = reader.weekly()
        assert len(weekly) == 7 * 2 * WEEKS
        assert not weekly.duplicated(["run_id", "week", "scope"]).any()
        assert len(reader.summaries(ids[:2])) == 2


def person_tables(replication: int) -> dict[str, pd.DataFrame | None]:
    rng = np.random.default_rng(100 + replication)
    return {
        "cohort": pd.DataFrame({"person": np.arange(5, dtype=np.int32),
                                "sustained": rng.integers(0, 3, 5).astype(np.int8),
                                "placed": rng.random(5) < 0.5}),
        "person_events": pd.DataFrame({"person": [1, 4], "week": [2, 3],
                                       "event": ["hired", "separated"]}),
        "provider_clients": pd.DataFrame({"person": pd.Series([], dtype=np.int64),
                                          "paid_eur": pd.Series([], dtype=float)}),
        "providers": None,
    }


def test_per_person_tables_come_back_as_written_loose_and_compacted(tmp_path: Path) -> None:
    with ResultsStore(tmp_path, compact_every=None) as store:
        ids = []
        for rep in range(3):
            run_id = store.begin(run_meta(rep))
            store.write(run_id, *run_results(rep), details=person_tables(rep))
            store.finish(run_id)
            ids.append(run_id)
        plain = store_run(store, 9)  # stored without per-person tables

        def check() -> None:
            with StoreReader(tmp_path) as reader:
                found = reader.details([*ids, plain, "not-a-run"])
            assert set(found) == {*ids, plain}
            assert found[plain] == {}
            for rep, run_id in enumerate(ids):
                written = {k: v for k, v in person_tables(rep).items() if v is not None}
                assert set(found[run_id]) == set(written)  # "providers: None" stays absent
                for name, frame in written.items():
                    pd.testing.assert_frame_equal(found[run_id][name], frame)  # dtypes too

        check()
        store.compact()
        assert not list((tmp_path / "data" / "scenario=baseline").glob("run-*"))
        check()
        with pytest.raises(ValueError, match="unknown per-person tables"):
            store.write(store.begin(run_meta(5)), *run_results(5), details={"people": None})


def test_interrupted_compaction_is_invisible_to_readers_and_settled_by_recover(
        tmp_path: Path) -> None:
    root = tmp_path / "store"
    with ResultsStore(root, compact_every=None) as store:
        ids = [store_run(store, rep) for rep in range(3)]
    backup = tmp_path / "backup"
    shutil.copytree(root, backup)
    with ResultsStore(root, compact_every=None) as store:
        store.compact()
    # Killed after the segment was published, before the loose runs and sidecars were removed.
    for name in ("data/scenario=baseline", "registry"):
        shutil.copytree(backup / name, root / name, dirs_exist_ok=True)
    with StoreReader(root) as reader:
        assert len(reader.weekly()) == 3 * 2 * WEEKS
        assert len(reader.runs()) == 3
    with ResultsStore(root) as store:
        report = store.recover()
        assert not list((root / "data" / "scenario=baseline").glob("run-*"))
        assert all(store.has(run_id) for run_id in ids)
        assert store.recover().clean
    assert not report.failed and not report.lost


def test_recover_settles_each_kind_of_crash_leftover(tmp_path: Path) -> None:
    other = tmp_path / "other"
    with ResultsStore(other) as store:
        orphan = store_run(store, 9)  # its data will appear without a registry row
    root = tmp_path / "store"
    with ResultsStore(root) as store:
        running = store.begin(run_meta(1))  # killed while the model ran
        written = store.begin(run_meta(2))  # killed between write() and finish()
        store.write(written, *run_results(2))
        (root / "tmp" / "stage-half-written").mkdir()  # the store's own staging names
        (root / "registry" / f".{written}.x.tmp").write_text("{")
        (root / "tmp" / "notes.txt").write_text("not the store's")  # never touched
        (root / "registry" / "mine.json").write_text("{}")
        shutil.copytree(other / "data" / "scenario=baseline" / f"run-{orphan}",
                        root / "data" / "scenario=baseline" / f"run-{orphan}")
        report = store.recover()
        assert report.failed == [running]
        assert report.completed == [written]
        assert report.registered == [orphan]
        assert sorted(report.temp_removed) == [f".{written}.x.tmp", "stage-half-written"]
        assert (root / "tmp" / "notes.txt").exists() and (root / "registry" / "mine.json").exists()
        assert store.has(written) and store.has(orphan) and not store.has(running)
        assert store.recover().clean
    with StoreReader(root) as reader:
        statuses = dict(zip(reader.runs()["run_id"], reader.runs()["status"], strict=True))
    assert statuses == {running: "failed", written: "done", orphan: "done"}


SWEEP_SCRIPT = textwrap.dedent("""
    import sys, time
    sys.path.insert(0, {tests!r})
    from test_store import run_meta, run_results
    from simulation.experiments.store.writer import ResultsStore

    root, runs = sys.argv[1], int(sys.argv[2])
    store = ResultsStore(root, compact_every=4, fsync=False)
    store.recover()
    for rep in range(runs):
        meta = run_meta(rep)
        if store.has(meta.run_id):
            continue
        run_id = store.begin(meta)
        time.sleep(0.002)  # the model runs
        store.write(run_id, *run_results(rep))
        store.finish(run_id)
        print(rep, flush=True)
    store.close()
""")


def test_sweep_killed_repeatedly_resumes_without_duplicates_or_gaps(tmp_path: Path) -> None:
    script = tmp_path / "sweep.py"
    script.write_text(SWEEP_SCRIPT.format(tests=str(Path(__file__).parent)))
    root, runs = tmp_path / "store", 40
    for kill_after in (3, 7, 5):
        sweep = python(script, str(root), str(runs))
        assert sweep.stdout is not None
        for _ in range(kill_after):
            if not sweep.stdout.readline():
                break
        os.kill(sweep.pid, signal.SIGKILL)  # anywhere: mid-write, mid-compaction, mid-commit
        sweep.wait()
        sweep.stdout.close()
        assert sweep.stderr is not None
        sweep.stderr.close()
    final = python(script, str(root), str(runs))
    out, err = final.communicate(timeout=120)
    assert final.returncode == 0, err

    expected = {run_meta(rep).run_id for rep in range(runs)}
    with ResultsStore(root) as store:  # the registry opens cleanly after all the kills
        assert store.recover().clean
        assert all(store.has(run_id) for run_id in expected)
    with StoreReader(root) as reader:
        registry = reader.runs()
        weekly = reader.weekly()
        summaries = reader.summaries()
    assert set(registry["run_id"]) == expected and len(registry) == runs
    assert set(registry["status"]) == {"done"}
    assert set(weekly["run_id"]) == expected
    assert len(weekly) == runs * 2 * WEEKS
    assert not weekly.duplicated(["run_id", "week", "scope"]).any()
    assert sorted(summaries["run_id"]) == sorted(expected)
    assert not list((root / "tmp").iterdir())


READER_SCRIPT = textwrap.dedent("""
    import json, sys
    import duckdb
    from simulation.experiments.store.reader import StoreReader

    root = sys.argv[1]
    try:
        duckdb.connect(root + "/registry.duckdb", read_only=True)
        locked = False
    except duckdb.Error:
        locked = True
    with StoreReader(root) as reader:
        band = reader.band_by_week("baseline", "unemployed")
        print(json.dumps({"locked": locked, "runs": len(reader.runs()),
                          "weeks": band["week"].tolist(), "n": band["runs"].tolist()}))
""")


def test_reader_in_another_process_queries_while_the_writer_holds_the_registry(
        tmp_path: Path) -> None:
    script = tmp_path / "reader.py"
    script.write_text(READER_SCRIPT)
    root = tmp_path / "store"
    with ResultsStore(root) as store:
        for rep in range(3):
            store_run(store, rep)
        store.begin(run_meta(3))  # a run in progress
        reader = python(script, str(root))
        out, err = reader.communicate(timeout=60)
        assert reader.returncode == 0, err
        seen = json.loads(out)
    assert seen["locked"], "the writer should hold DuckDB's lock, or this test proves nothing"
    assert seen["runs"] == 4
    assert seen["weeks"] == list(range(WEEKS))
    assert seen["n"] == [3] * WEEKS


def test_band_by_week_gives_mean_and_exact_quantiles(tmp_path: Path) -> None:
    weeks, runs = 3, 11
    values = np.arange(runs * weeks, dtype=float).reshape(runs, weeks) ** 1.5
    with ResultsStore(tmp_path) as store:
        for rep in range(runs):
            run_id = store.begin(run_meta(rep, weeks=weeks))
            weekly = pd.DataFrame({
                "week": np.repeat(np.arange(weeks), 2),
                "scope": np.tile(["region", "target"], weeks),
                "unemployed": np.column_stack([values[rep], -values[rep]]).ravel(),
            })
            store.write(run_id, weekly, {}, run_results(rep, weeks)[2])
            store.finish(run_id)
        store_run(store, 0, scenario="other")  # another scenario must not leak in
    with StoreReader(tmp_path) as reader:
        band = reader.band_by_week("baseline", "unemployed", low=0.1, high=0.9)
        target = reader.band_by_week("baseline", "unemployed", scope="target", low=0.25,
                                     high=0.75)
    assert band["week"].tolist() == list(range(weeks))
    assert band["runs"].tolist() == [runs] * weeks
    np.testing.assert_allclose(band["mean"], values.mean(axis=0))
    np.testing.assert_allclose(band["low"], np.quantile(values, 0.1, axis=0))
    np.testing.assert_allclose(band["high"], np.quantile(values, 0.9, axis=0))
    np.testing.assert_allclose(target["low"], np.quantile(-values, 0.25, axis=0))
    np.testing.assert_allclose(target["high"], np.quantile(-values, 0.75, axis=0))


def test_export_refuses_to_overwrite_an_existing_file(tmp_path: Path) -> None:
    with ResultsStore(tmp_path / "store") as store:
        ids = [store_run(store, rep) for rep in range(2)]
    with StoreReader(tmp_path / "store") as reader:
        target = reader.export(ids, tmp_path / "weekly.csv")
        before = target.read_text()
        assert len(pd.read_csv(target)) == 2 * 2 * WEEKS
        with pytest.raises(FileExistsError, match="overwrite=True"):
            reader.export(ids[:1], target)
        assert target.read_text() == before
        reader.export(ids[:1], target, overwrite=True)
        assert len(pd.read_csv(target)) == 2 * WEEKS
        ledger = reader.export(ids, tmp_path / "ledger.parquet", table="ledger", fmt="parquet")
        assert len(pd.read_parquet(ledger)) == 2 * WEEKS
        with pytest.raises(FileExistsError):
            reader.export(ids, ledger, table="ledger", fmt="parquet")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["ledger.parquet", "store",
                                                          "weekly.csv"]


def test_reader_of_an_empty_store_returns_empty_tables(tmp_path: Path) -> None:
    ResultsStore(tmp_path).close()
    with StoreReader(tmp_path) as reader:
        assert reader.runs().empty
        assert reader.weekly().empty
        assert reader.band_by_week("baseline", "unemployed").empty


def test_reader_keeps_up_with_a_writer_in_progress(tmp_path: Path) -> None:
    with ResultsStore(tmp_path, compact_every=2) as store, StoreReader(tmp_path) as reader:
        for rep in range(5):
            store_run(store, rep)
            assert len(reader.runs(status="done")) == rep + 1
            assert reader.band_by_week("baseline", "unemployed")["runs"].tolist() == \
                [rep + 1] * WEEKS


def test_a_stored_ledger_comes_back_in_its_runs_row_order(tmp_path: Path) -> None:
    """Readers return each run's ledger rows in the order the run produced them (by week,
    payer, payee, item, scope), read after read, not in the order DuckDB's threads finish."""
    from simulation.experiments.runner import execute, requests, run_meta
    from simulation.params.loading import load_scenario

    scenario = load_scenario("baseline", overrides={"region": {"job_seekers": 800}})
    batch = requests(scenario, 3, seed=32, weeks=5)
    with ResultsStore(tmp_path, fsync=False) as store:
        fresh = execute(batch, workers=1, store=store)
    run_ids = [run_meta(r).run_id for r in batch]
    with StoreReader(tmp_path) as reader:
        for _ in range(5):
            for run_ids_read in (run_ids, run_ids[:1]):
                ledger = reader.ledger(run_ids_read)
                for run_id, result in zip(run_ids_read, fresh, strict=False):
                    rows = ledger[ledger["run_id"] == run_id].drop(columns=["run_id", "scenario"])
                    pd.testing.assert_frame_equal(rows.reset_index(drop=True), result.ledger)
