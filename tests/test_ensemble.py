"""The ensemble runner gives the same numbers on any engine and worker count, keeps every run
in the store once, and reuses what is stored."""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

from simulation.experiments import runner
from simulation.experiments.runner import code_version, execute, requests, run_meta
from simulation.experiments.store.reader import StoreReader
from simulation.experiments.store.writer import ResultsStore
from simulation.experiments.sweep import Sweep, parse_parameter
from simulation.params.loading import load_scenario

REPO = Path(__file__).resolve().parents[1]
SMALL = {"region": {"job_seekers": 1500}}
WEEKS = 20
CLI = "from simulation.cli.main import main; main()"  # the `pilotsim` console script


def small_sweep() -> Sweep:
    return Sweep("baseline", (parse_parameter("region.job_seekers=1500"),
                              parse_parameter("public_office.caseload=60,107")),
                 replications=2, seed=11, weeks=WEEKS)


def stored_tables_digest(root: Path, run_ids: list[str]) -> str:
    """One digest of the weekly, summary and ledger tables of these runs, read back."""
    digest = hashlib.sha256()
    with StoreReader(root) as reader:
        for frame in (reader.weekly(run_ids), reader.summaries(run_ids), reader.ledger(run_ids)):
            frame = frame.sort_values(list(frame.columns)).reset_index(drop=True)
            digest.update(pd.util.hash_pandas_object(frame, index=False).to_numpy().tobytes())
            digest.update(",".join(map(str, frame.columns)).encode())
    return digest.hexdigest()


def test_sweep_results_are_identical_on_one_and_two_workers_and_on_dask(tmp_path: Path) -> None:
    _, _, batch = small_sweep().build()
    run_ids = sorted({run_meta(r).run_id for r in batch})
    digests, summaries = {}, {}
    engines = {"local-1": {"workers": 1}, "local-2": {"workers": 2},
               "dask-2": {"executor": "dask", "workers": 2}}
    for name, options in engines.items():
        with ResultsStore(tmp_path / name, fsync=False) as store:
            results = execute(batch, store=store, **options)
        summaries[name] = [r.summary for r in results]
        digests[name] = stored_tables_digest(tmp_path / name, run_ids)
        with StoreReader(tmp_path / name) as reader:
            registry = reader.runs()
        assert sorted(registry["run_id"]) == run_ids
        assert set(registry["status"]) == {"done"}
    assert len(set(digests.values())) == 1, digests
    assert summaries["local-1"] == summaries["local-2"] == summaries["dask-2"]


def test_a_rerun_reads_stored_runs_back_instead_of_running_them(tmp_path: Path) -> None:
    scenario = load_scenario("baseline", overrides=SMALL)
    batch = requests(scenario, 3, seed=5, weeks=WEEKS)
    seen: list[tuple[int, bool]] = []
    with ResultsStore(tmp_path, fsync=False) as store:
        first = execute(batch, workers=2, store=store)
        again = execute(batch, workers=2, store=store,
                        on_done=lambda request, cached: seen.append((request.replication,
                                                                      cached)))
    assert seen == [(0, True), (1, True), (2, True)]
    for a, b in zip(first, again, strict=True):
        assert a.summary == b.summary
        assert (a.replication, a.entropy, a.spawn_key) == (b.replication, b.entropy, b.spawn_key)
        pd.testing.assert_frame_equal(a.weekly, b.weekly, check_dtype=False)
        pd.testing.assert_frame_equal(a.ledger, b.ledger, check_dtype=False)


def test_results_come_back_in_request_order_and_match_single_runs() -> None:
    scenario = load_scenario("baseline", overrides=SMALL)
    batch = requests(scenario, 3, seed=9, weeks=8)
    results = execute(list(reversed(batch)), workers=2)
    alone = runner.run_replication(batch[1])
    assert [r.replication for r in results] == [2, 1, 0]
    assert results[1].summary == alone.summary


def worker_pids() -> set[int]:
    pool = runner._shared_pool
    return set((pool._pool._processes or {}) if pool is not None else ())


def test_later_batches_reuse_the_workers_and_a_failed_batch_gets_fresh_ones() -> None:
    scenario = load_scenario("baseline", overrides=SMALL)
    batch = requests(scenario, 3, seed=5, weeks=6)
    first = execute(batch, workers=2)
    pids = worker_pids()
    assert len(pids) == 2
    again = execute(batch, workers=2)
    assert worker_pids() == pids
    assert [r.summary for r in again] == [r.summary for r in first]

    broken = [*batch, dataclasses.replace(batch[0], entropy=-1)]  # SeedSequence refuses it
    with pytest.raises(ValueError):
        execute(broken, workers=2)
    after = execute(batch, workers=2)
    assert worker_pids().isdisjoint(pids)
    assert [r.summary for r in after] == [r.summary for r in first]


def test_stopping_the_workers_never_waits_for_a_batch_in_another_thread() -> None:
    # e.g. the dashboard's queue is mid-batch when the server exits
    import threading

    execute(requests(load_scenario("baseline", overrides=SMALL), 2, seed=2, weeks=2),
            workers=2)
    assert worker_pids()
    with runner._shared_lock:  # what a running batch holds
        stopper = threading.Thread(target=runner.stop_workers)
        stopper.start()
        stopper.join(10)
        assert not stopper.is_alive()
    # the stopped workers are replaced by the next batch
    again = execute(requests(load_scenario("baseline", overrides=SMALL), 2, seed=2, weeks=2),
                    workers=2)
    assert len(again) == 2
    runner.stop_workers()
    assert runner._shared_pool is None


def test_stored_runs_come_back_with_their_per_person_tables(tmp_path: Path) -> None:
    from simulation.experiments.compare import provider_counterfactuals

    small = {"region": {"job_seekers": 3000}}
    scenario = load_scenario("outsourcing_generic", overrides=small)
    baseline = load_scenario("baseline", overrides=small)
    batch = [*requests(scenario, 2, seed=6, weeks=16), *requests(baseline, 2, seed=6, weeks=16)]
    with ResultsStore(tmp_path, fsync=False) as store:
        fresh = execute(batch, workers=2, store=store)
        stored = execute(batch, workers=2, store=store,
                         on_done=lambda _r, cached: None if cached else pytest.fail("rerun"))
    for new, old in zip(fresh, stored, strict=True):
        for name in ("cohort", "person_events", "providers", "provider_clients",
                     "duration_exits"):
            if getattr(new, name) is None:
                assert getattr(old, name) is None
            else:
                pd.testing.assert_frame_equal(getattr(old, name), getattr(new, name))
    assert fresh[0].provider_clients is not None and len(fresh[0].provider_clients) > 0
    deadweight = provider_counterfactuals(scenario, stored[:2], stored[2:])
    assert deadweight  # computable from stored runs
    assert deadweight == provider_counterfactuals(scenario, fresh[:2], fresh[2:])


def test_identical_requests_in_one_batch_run_once(tmp_path: Path) -> None:
    scenario = load_scenario("baseline", overrides=SMALL)
    request = requests(scenario, 1, seed=3, weeks=6)[0]
    done: list[bool] = []
    with ResultsStore(tmp_path, fsync=False) as store:
        results = execute([request, request], workers=1, store=store,
                          on_done=lambda _r, cached: done.append(cached))
    assert done == [False]
    assert results[0].summary == results[1].summary
    with StoreReader(tmp_path) as reader:
        assert len(reader.runs()) == 1


def test_a_failing_replication_is_recorded_failed_and_redone_next_time(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    scenario = load_scenario("baseline", overrides=SMALL)
    batch = requests(scenario, 3, seed=4, weeks=6)
    real = runner.run_replication

    def flaky(request):
        if request.replication == 1:
            raise RuntimeError("worker lost")
        return real(request)

    monkeypatch.setattr(runner, "run_replication", flaky)
    with ResultsStore(tmp_path, fsync=False) as store:
        with pytest.raises(RuntimeError, match="worker lost"):
            execute(batch, workers=1, store=store)
        monkeypatch.setattr(runner, "run_replication", real)
        status = {row.replication: row.status
                  for row in StoreReader(tmp_path).runs().itertuples()}
        assert status == {0: "done", 1: "failed"}
        ran: list[int] = []
        execute(batch, workers=1, store=store,
                on_done=lambda r, cached: None if cached else ran.append(r.replication))
        assert ran == [1, 2]
        assert store.recover().clean
    with StoreReader(tmp_path) as reader:
        assert list(reader.runs()["status"]) == ["done"] * 3


def test_registry_row_describes_the_run(tmp_path: Path) -> None:
    scenario = load_scenario("baseline", overrides=SMALL)
    request = requests(scenario, 1, seed=2**70 + 1, weeks=4, batch="b1", tags={"k": 1})[0]
    with ResultsStore(tmp_path, fsync=False) as store:
        execute([request], workers=1, store=store)
    row = StoreReader(tmp_path).runs().iloc[0]
    assert row["run_id"] == run_meta(request).run_id
    assert (row["scenario"], row["entropy"], row["spawn_key"]) == ("baseline", str(2**70 + 1),
                                                                  "0")
    assert row["code_version"] == code_version()
    assert row["batch"] == "b1" and json.loads(row["tags"]) == {"k": 1}
    assert json.loads(row["parameters"])["region"]["job_seekers"] == 1500
    assert row["started_at"] <= row["finished_at"]


def test_code_version_names_the_package_and_the_model_sources() -> None:
    version = code_version()
    assert version.startswith("0.") and "+" in version
    assert len(version.split("+")[1]) == 12


def run_cli(*args: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.run([sys.executable, "-c", CLI, *args], cwd=cwd, env=env,
                          text=True, capture_output=True, timeout=300)


def test_run_command_stores_its_runs_and_reuses_them(tmp_path: Path) -> None:
    small = tmp_path / "small.toml"
    small.write_text('[scenario]\nextends = "baseline"\nname = "small"\n'
                     'weeks = { value = 8, assumption = "test size" }\n'
                     '[region]\njob_seekers = { value = 1500, assumption = "test size" }\n')
    args = ("run", str(small), "--replications", "2", "--seed", "3", "--json")
    first = run_cli(*args, "--workers", "2", cwd=tmp_path)
    assert first.returncode == 0, first.stderr
    again = run_cli(*args, "--dask-local", "2", cwd=tmp_path)
    assert again.returncode == 0, again.stderr
    assert first.stdout == again.stdout
    result = json.loads(first.stdout)
    assert list(result) == ["scenario", "replications", "seed", "weeks", "metrics"]
    assert list(result["metrics"]["placements"]) == ["mean", "ci95_low", "ci95_high"]
    with StoreReader(tmp_path / "pilotsim-results") as reader:
        assert len(reader.runs(scenario="small", status="done")) == 2
    unstored = run_cli(*args, "--no-store", "--store", str(tmp_path / "elsewhere"),
                       cwd=tmp_path)
    assert unstored.stdout == first.stdout
    assert not (tmp_path / "elsewhere").exists()


def test_runs_and_export_commands(tmp_path: Path) -> None:
    scenario = load_scenario("baseline", overrides=SMALL)
    with ResultsStore(tmp_path / "store", fsync=False) as store:
        execute(requests(scenario, 2, seed=1, weeks=4, batch="b1", tags={"caseload": 60}),
                workers=1, store=store)
    listed = run_cli("runs", "--store", "store", "--batch", "b1", "--tag", "caseload=60",
                     "--json", cwd=tmp_path)
    assert listed.returncode == 0, listed.stderr
    rows = [json.loads(line) for line in listed.stdout.splitlines()]
    assert [r["replication"] for r in rows] == [0, 1] and rows[0]["tags"] == {"caseload": 60}
    exported = run_cli("export", "out.csv", "--store", "store", "--table", "summary",
                       cwd=tmp_path)
    assert exported.returncode == 0, exported.stderr
    assert len(pd.read_csv(tmp_path / "out.csv")) == 2
    refused = run_cli("export", "out.csv", "--store", "store", cwd=tmp_path)
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert "Traceback" not in refused.stderr
    forced = run_cli("export", "out.csv", "--store", "store", "--force", cwd=tmp_path)
    assert forced.returncode == 0, forced.stderr
    assert "week" in pd.read_csv(tmp_path / "out.csv").columns
    cohort = run_cli("export", "cohort.parquet", "--store", "store", "--table", "cohort",
                     cwd=tmp_path)
    assert cohort.returncode == 0, cohort.stderr
    people = pd.read_parquet(tmp_path / "cohort.parquet")
    assert list(people.columns[:2]) == ["run_id", "scenario"] and "person" in people.columns
    assert people["run_id"].nunique() == 2
    assert (people.groupby("run_id")["person"].nunique() == people.groupby("run_id").size()).all()
    unknown = run_cli("export", "x.csv", "--store", "store", "--table", "people", cwd=tmp_path)
    assert unknown.returncode == 2 and "--table" in unknown.stderr
    missing = run_cli("runs", "--store", "nowhere", cwd=tmp_path)
    assert missing.returncode == 2 and missing.stderr.startswith("error: nowhere")


def test_reuse_false_runs_stored_requests_again_without_rewriting_them(tmp_path: Path) -> None:
    scenario = load_scenario("baseline", overrides=SMALL)
    batch = requests(scenario, 2, seed=8, weeks=4)
    with ResultsStore(tmp_path, fsync=False) as store:
        first = execute(batch, workers=1, store=store)
        cached: list[bool] = []
        again = execute(batch, workers=1, store=store, reuse=False,
                        on_done=lambda _r, c: cached.append(c))
        assert cached == [False, False]
        assert not again[0].duration_exits.empty  # a fresh run, not read back
        assert [r.summary for r in again] == [r.summary for r in first]
        assert store.recover().clean
    with StoreReader(tmp_path) as reader:
        assert len(reader.runs(status="done")) == 2
