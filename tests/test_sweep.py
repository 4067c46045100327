"""Sweeps: their designs are deterministic, they resume after SIGKILL without duplicates or
gaps, stop cleanly on Ctrl-C, and readers can query the store while they write."""

from __future__ import annotations

import contextlib
import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pyarrow.parquet as pq
import pytest

from simulation.experiments.runner import run_meta
from simulation.experiments.store.reader import StoreReader
from simulation.experiments.store.writer import ResultsStore
from simulation.experiments.sweep import (
    Sweep,
    SweepError,
    design_points,
    overrides_for,
    parse_parameter,
)

REPO = Path(__file__).resolve().parents[1]
CLI = "from simulation.cli.main import main; main()"  # the `pilotsim` console script
SWEEP_ARGS = ("sweep", "baseline", "--param", "region.job_seekers=1500",
              "--param", "public_office.caseload=60,80,107", "--replications", "3",
              "--weeks", "20", "--seed", "7", "--workers", "2")
SWEEP_RUNS = 9


# --- designs ----------------------------------------------------------------------------------

def test_parameters_parse_values_and_ranges() -> None:
    caseload = parse_parameter("public_office.caseload=60,80,107")
    assert caseload.values == (60, 80, 107) and not caseload.is_range
    elasticity = parse_parameter("labour_market.matching_elasticity=0.3:0.7")
    assert (elasticity.low, elasticity.high, elasticity.integer) == (0.3, 0.7, False)
    assert parse_parameter("region.firms=100:900").integer
    assert parse_parameter("a.b=x,true,1.5").values == ("x", True, 1.5)


@pytest.mark.parametrize("text", ["caseload", "=1,2", "a.b=", "a..b=1", "a.b=1,1",
                                  "a.b=0.7:0.3", "a.b=x:y", "a.b=nan"])
def test_bad_parameters_are_refused(text: str) -> None:
    with pytest.raises(SweepError):
        parse_parameter(text)


def test_grid_runs_every_combination_first_parameter_slowest() -> None:
    specs = [parse_parameter("a.x=1,2"), parse_parameter("b.y=10,20,30")]
    points = design_points(specs)
    assert points[:2] == [{"a.x": 1, "b.y": 10}, {"a.x": 1, "b.y": 20}]
    assert len(points) == 6
    with pytest.raises(SweepError, match="lhs"):
        design_points([parse_parameter("a.x=0.1:0.2")])


def test_latin_hypercube_is_seeded_stratified_and_within_range() -> None:
    specs = [parse_parameter("labour_market.matching_elasticity=0.3:0.7"),
             parse_parameter("region.firms=100:200"), parse_parameter("c.z=a,b")]
    points = design_points(specs, "lhs", samples=10, seed=42)
    assert points == design_points(specs, "lhs", samples=10, seed=42)
    assert points != design_points(specs, "lhs", samples=10, seed=43)
    elasticity = np.array([p["labour_market.matching_elasticity"] for p in points])
    assert ((elasticity >= 0.3) & (elasticity < 0.7)).all()
    # one sample in each tenth of the range
    assert sorted(np.floor((elasticity - 0.3) / 0.04).astype(int)) == list(range(10))
    assert all(isinstance(p["region.firms"], int) and 100 <= p["region.firms"] < 200
               for p in points)
    assert sorted(p["c.z"] for p in points) == ["a"] * 5 + ["b"] * 5


def test_dotted_paths_become_nested_overrides() -> None:
    assert overrides_for({"a.b": 1, "a.c": 2, "d": 3}) == {"a": {"b": 1, "c": 2}, "d": 3}


def test_a_sweep_has_a_stable_id_and_labels_its_runs() -> None:
    plan = Sweep("baseline", (parse_parameter("public_office.caseload=60,107"),),
                 replications=2, seed=1, weeks=4)
    sweep_id, points, batch = plan.build()
    assert sweep_id == plan.build()[0]
    other = Sweep("baseline", (parse_parameter("public_office.caseload=60,80"),),
                  replications=2, seed=1, weeks=4)
    assert other.build()[0] != sweep_id
    assert [r.tags for r in batch] == [points[0]] * 2 + [points[1]] * 2
    assert {r.batch for r in batch} == {sweep_id}
    assert [r.scenario.public_office.caseload for r in batch] == [60, 60, 107, 107]
    # common random numbers: the same seed children at every point
    assert [(r.entropy, r.spawn_key) for r in batch[:2]] == \
        [(r.entropy, r.spawn_key) for r in batch[2:]]


# --- the sweep command under stress -----------------------------------------------------------

def start_sweep(store: Path, *extra: str) -> subprocess.Popen[str]:
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    return subprocess.Popen([sys.executable, "-c", CLI, *SWEEP_ARGS, "--store", str(store),
                             *extra], env=env, text=True, stdout=subprocess.PIPE,
                            stderr=subprocess.PIPE, start_new_session=True,
                            preexec_fn=_default_sigint)


def _default_sigint() -> None:
    # A shell starts background jobs with SIGINT ignored, and children inherit that; a
    # terminal's sweep has the default, so that Python turns Ctrl-C into KeyboardInterrupt.
    signal.signal(signal.SIGINT, signal.SIG_DFL)


def landed_runs(store: Path) -> int:
    return len(list((store / "data").glob("scenario=*/run-*"))) if store.exists() else 0


def wait_for_runs(process: subprocess.Popen[str], store: Path, count: int,
                  timeout: float = 240) -> None:
    deadline = time.monotonic() + timeout
    while landed_runs(store) < count:
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, "sweep made no progress"
        time.sleep(0.05)


def stop_group(process: subprocess.Popen[str]) -> None:
    """Leave no worker of a killed sweep behind."""
    with contextlib.suppress(ProcessLookupError):
        os.killpg(process.pid, signal.SIGKILL)
    process.communicate()


def expected_run_ids() -> set[str]:
    plan = Sweep("baseline", (parse_parameter("region.job_seekers=1500"),
                              parse_parameter("public_office.caseload=60,80,107")),
                 replications=3, seed=7, weeks=20)
    return {run_meta(r).run_id for r in plan.build()[2]}


def assert_sweep_complete(store: Path, sweep_id: str) -> None:
    with StoreReader(store) as reader:
        runs = reader.runs()
        summaries = reader.summaries()
    assert set(runs["run_id"]) == expected_run_ids()
    assert runs["run_id"].is_unique and len(runs) == SWEEP_RUNS
    assert set(runs["status"]) == {"done"} and set(runs["batch"]) == {sweep_id}
    assert sorted(summaries["run_id"]) == sorted(runs["run_id"])


def test_a_sweep_killed_midway_completes_on_rerun_without_duplicates(tmp_path: Path) -> None:
    store = tmp_path / "store"
    process = start_sweep(store)
    try:
        wait_for_runs(process, store, 3)
        os.kill(process.pid, signal.SIGKILL)  # the coordinator only, as `kill -9` would
        process.wait(30)
    finally:
        stop_group(process)
    assert landed_runs(store) < SWEEP_RUNS
    rerun = start_sweep(store, "--json")
    output, errors = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, errors
    sweep_id = json.loads(output)["sweep"]
    assert_sweep_complete(store, sweep_id)
    with ResultsStore(store) as writer:  # the registry opens and has nothing left to settle
        assert writer.recover().clean
        assert all(writer.has(run_id) for run_id in expected_run_ids())


def test_a_reader_queries_the_store_while_a_sweep_writes_it(tmp_path: Path) -> None:
    store = tmp_path / "store"
    process = start_sweep(store, "--json")
    try:
        wait_for_runs(process, store, 1)
        seen = []
        while process.poll() is None:
            with StoreReader(store) as reader:
                done = reader.runs(status="done")
                summaries = reader.summaries(list(done["run_id"]))
            assert set(summaries["run_id"]) == set(done["run_id"])
            seen.append(len(done))
            time.sleep(0.2)
        output, errors = process.communicate()
    finally:
        stop_group(process)
    assert process.returncode == 0, errors
    assert seen == sorted(seen) and len(seen) >= 2
    assert_sweep_complete(store, json.loads(output)["sweep"])


def test_ctrl_c_stops_a_sweep_cleanly(tmp_path: Path) -> None:
    store = tmp_path / "store"
    process = start_sweep(store)
    try:
        wait_for_runs(process, store, 2)
        os.killpg(process.pid, signal.SIGINT)  # what Ctrl-C in a terminal does
        _, errors = process.communicate(timeout=60)
    finally:
        stop_group(process)
    assert process.returncode == 130
    assert "Traceback" not in errors and "interrupted" in errors
    with StoreReader(store) as reader:
        runs = reader.runs()
    assert "running" not in set(runs["status"])  # in-flight runs were closed as failed
    for row in runs[runs["status"] == "done"].itertuples():
        folder = store / "data" / "scenario=baseline" / f"run-{row.run_id}"
        assert pq.read_table(folder / "summary.parquet").num_rows == 1
    assert not any((store / "tmp").iterdir())  # nothing half-written
    rerun = start_sweep(store, "--json")
    output, errors = rerun.communicate(timeout=300)
    assert rerun.returncode == 0, errors
    assert_sweep_complete(store, json.loads(output)["sweep"])
