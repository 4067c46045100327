"""Readers are never blocked and never stopped by a damaged file.

Issue 21: the report and the dashboard read the store while another process holds it as its
writer (before: ``report`` exited 2, "results store is in use", and the dashboard's queue
raised a DuckDB IOException). Issue 17, item 5: a damaged per-person table no longer stops a
command: readers leave the run out, the next writer sets it aside and runs it again.
"""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
from test_cli_refusals import pilotsim, tiny
from test_store import REPO
from test_store_safety import hold_store, truncate

from simulation.experiments.runner import execute, requests
from simulation.experiments.store.reader import StoreReader
from simulation.experiments.store.writer import ResultsStore
from simulation.params.loading import load_scenario


def start_sweep(tmp_path: Path, store: Path) -> subprocess.Popen[str]:
    """A long sweep (one worker) writing ``store``; returns once it holds the store."""
    scenario = tiny(tmp_path, "swept")
    values = ",".join(str(60 + k) for k in range(300))
    sweep = subprocess.Popen(
        [sys.executable, "-m", "simulation.cli", "sweep", str(scenario), "--param",
         f"public_office.caseload={values}", "--replications", "1", "--workers", "1",
         "--store", str(store)], env={**os.environ, "PYTHONPATH": str(REPO)}, text=True,
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True)
    deadline = time.monotonic() + 120
    while not list(store.glob("data/scenario=swept/run-*")):  # it writes: it holds the store
        assert sweep.poll() is None and time.monotonic() < deadline, "the sweep did not start"
        time.sleep(0.1)
    return sweep


def stop_sweep(sweep: subprocess.Popen[str]) -> None:
    """The sweep's whole process group goes (its own session: nothing else is in it)."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(sweep.pid, signal.SIGKILL)
    sweep.wait(60)


def test_report_and_dashboard_read_the_store_while_a_sweep_writes_it(tmp_path: Path) -> None:
    pytest.importorskip("dash")
    from dashboards import views
    from dashboards.jobs import JobQueue
    from dashboards.levers import build_request, resolve

    store = tmp_path / "store"
    args = [str(tiny(tmp_path)), str(tiny(tmp_path, "other")), "--replications", "2",
            "--workers", "1", "--store", str(store)]
    assert pilotsim("compare", *args).code == 0
    resolved = resolve(build_request({"scenario": "outsourcing_generic", "job_seekers": 600,
                                      "weeks": 8, "replications": 2, "seed": 3}))
    shape = {"seed": 3, "replications": 2, "weeks": 8}
    queue = JobQueue(store, workers=1).start()
    job = queue.submit(resolved.scenario, resolved.baseline, **shape)
    deadline = time.monotonic() + 120
    while job.status not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
    queue.stop()
    assert job.status == "done", job.error

    sweep = start_sweep(tmp_path, store)
    try:
        done = pilotsim("report", *args, "--out", str(tmp_path / "r.html"))  # before: exit 2
        queue = JobQueue(store, workers=1).start()  # before: a DuckDB IOException
        try:
            found = queue.lookup(resolved.scenario, resolved.baseline, **shape)
            assert found is not None and found.from_store
            assert views.effects_rows(views.load_results(store, found), "target")
        finally:
            queue.stop()
        assert sweep.poll() is None, "the sweep must still hold the store"
    finally:
        stop_sweep(sweep)
    assert done.code == 0, done.err
    assert (tmp_path / "r.html").stat().st_size > 10_000
    assert "error" not in done.err and "in use by another pilotsim run" in done.err


def test_dashboard_reads_the_store_while_another_process_holds_it(tmp_path: Path) -> None:
    pytest.importorskip("dash")
    from dashboards import views
    from dashboards.jobs import JobQueue
    from dashboards.levers import build_request, resolve

    store = tmp_path / "store"
    request = build_request({"scenario": "outsourcing_generic", "job_seekers": 600,
                             "weeks": 8, "replications": 2, "seed": 3})
    resolved = resolve(request)
    shape = {"seed": request.seed, "replications": request.replications,
             "weeks": request.weeks}
    queue = JobQueue(store, workers=1).start()
    job = queue.submit(resolved.scenario, resolved.baseline, **shape)
    deadline = time.monotonic() + 120
    while job.status not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
    queue.stop()
    assert job.status == "done", job.error

    holder = hold_store(store)
    try:
        queue = JobQueue(store, workers=1)
        queue.busy_wait = 0.5  # seconds a batch waits for the store before giving up
        queue.start()  # before: a DuckDB IOException
        try:
            found = queue.lookup(resolved.scenario, resolved.baseline, **shape)
            assert found is not None and found.from_store
            assert views.effects_rows(views.load_results(store, found), "target")
            other = resolve(build_request({"scenario": "outsourcing_generic",
                                           "job_seekers": 600, "weeks": 8,
                                           "replications": 2, "seed": 4}))
            waiting = queue.submit(other.scenario, other.baseline, seed=4, replications=2,
                                   weeks=8)
            deadline = time.monotonic() + 30
            while waiting.status not in ("done", "failed") and time.monotonic() < deadline:
                time.sleep(0.1)
            assert waiting.status == "failed" and "in use by another pilotsim run" in \
                waiting.error
        finally:
            queue.stop()
    finally:
        holder.communicate("")


def cohort_file(store: Path, run_id: str) -> Path:
    return next(store.glob(f"data/*/run-{run_id}/detail-cohort.parquet"))


def test_a_damaged_per_person_table_is_left_out_then_set_aside_and_run_again(
        tmp_path: Path) -> None:
    store = tmp_path / "store"
    run = ["run", str(tiny(tmp_path)), "--replications", "2", "--workers", "1", "--store",
           str(store), "--json"]
    assert pilotsim(*run).code == 0
    with StoreReader(store) as reader:
        ids = list(reader.runs()["run_id"])
    truncate(cohort_file(store, ids[0]))
    export = ["export", str(tmp_path / "cohort.csv"), "--table", "cohort", "--store",
              str(store), "--force"]
    done = pilotsim(*export)  # before: an ArrowInvalid traceback
    assert done.code == 0, done.err
    assert "1 run(s) left out" in done.err
    done = pilotsim(*run)  # the writer's repair sets the run aside; the run is made again
    assert done.code == 0, done.err
    assert "quarantine" in done.err
    done = pilotsim(*export)
    assert done.code == 0 and "left out" not in done.err, done.err
    assert "wrote the cohort table of 2 runs" in done.err


def test_damage_found_while_reading_is_set_aside_and_run_again(tmp_path: Path) -> None:
    """A file damaged after the writer's start-up repair: found when the run is read back."""
    batch = requests(load_scenario(tiny(tmp_path)), 2, 7)
    made: list[bool] = []
    with ResultsStore(tmp_path / "store") as store:
        store.recover()
        execute(batch, workers=1, store=store)
        with StoreReader(store.root) as reader:
            damaged = reader.runs()["run_id"].iloc[0]
        truncate(cohort_file(store.root, damaged))
        execute(batch, workers=1, store=store,
                on_done=lambda _request, cached: made.append(not cached))
        assert sorted(made) == [False, True]  # one read back, the damaged one made again
        assert store.has(damaged)
    with StoreReader(tmp_path / "store") as reader:
        assert len(reader.detail_table("cohort", list(reader.runs()["run_id"]))) > 0
        assert not reader.damaged


SECOND_DASHBOARD = """
import sys, time
from dashboards.jobs import JobQueue
from dashboards.levers import build_request, resolve

queue = JobQueue(sys.argv[1], workers=1).start()
for seed in (3, 4):
    resolved = resolve(build_request({"scenario": "outsourcing_generic", "job_seekers": 600,
                                      "weeks": 8, "replications": 2, "seed": seed}))
    job = queue.submit(resolved.scenario, resolved.baseline, seed=seed, replications=2,
                       weeks=8)
    deadline = time.monotonic() + 120
    while job.status not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
    print(seed, job.status, job.from_store, job.error, flush=True)
queue.stop()
"""


def test_two_dashboards_share_one_store(tmp_path: Path) -> None:
    """Issue 17, item 8: a second dashboard on the same store (before: a DuckDB IOException,
    the first held the store's lock for its whole life). Each takes the lock per batch."""
    pytest.importorskip("dash")
    from dashboards.jobs import JobQueue
    from dashboards.levers import build_request, resolve

    store = tmp_path / "store"
    first = JobQueue(store, workers=1).start()
    try:
        resolved = resolve(build_request({"scenario": "outsourcing_generic",
                                          "job_seekers": 600, "weeks": 8,
                                          "replications": 2, "seed": 3}))
        job = first.submit(resolved.scenario, resolved.baseline, seed=3, replications=2,
                           weeks=8)
        deadline = time.monotonic() + 120
        while job.status not in ("done", "failed") and time.monotonic() < deadline:
            time.sleep(0.1)
        assert job.status == "done", job.error
        second = subprocess.run([sys.executable, "-c", SECOND_DASHBOARD, str(store)],
                                capture_output=True, text=True, timeout=300,
                                env={**os.environ, "PYTHONPATH": str(REPO)})
    finally:
        first.stop()
    assert second.returncode == 0, second.stderr
    assert second.stdout.splitlines() == ["3 done True ", "4 done False "]
