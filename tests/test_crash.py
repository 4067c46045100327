"""A sweep killed with SIGKILL at random moments, again and again: no process it started
survives it (checked in the process table: the forkserver, its resource tracker, the workers),
and when the sweeps are finally run to the end every run is in the store exactly once.

The coordinator is a small script around the real runner (a local pool of two workers, the
results store compacting every three runs, so kills also land in compactions). Each kill
interrupts its own sweep (its own seed) sharing one store; half the kills come at a random
moment from the start (imports, opening the store, recovery, runs), half at a random moment
after the pool's workers are up. ``PILOTSIM_CRASH_KILLS`` and ``PILOTSIM_CRASH_SEED`` change
how many kills and which moments; a failure names the kill and its moment.
"""

from __future__ import annotations

import os
import random
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import pytest

from simulation.experiments.runner import run_meta
from simulation.experiments.store.reader import StoreReader
from simulation.experiments.store.writer import ResultsStore
from simulation.experiments.sweep import Sweep, parse_parameter

REPO = Path(__file__).resolve().parents[1]
KILLS = int(os.environ.get("PILOTSIM_CRASH_KILLS", "6"))
SEED = int(os.environ.get("PILOTSIM_CRASH_SEED", "17"))
SCENARIO = """
[scenario]
extends = "baseline"
name = "crash"
weeks = { value = 26, assumption = "long enough that a kill after the pool is up finds it" }
[region]
job_seekers = { value = 500, assumption = "tiny test region" }
firms = { value = 20, assumption = "tiny test region" }
"""
PARAMS = ("public_office.caseload=60,107",)
REPLICATIONS = 6

COORDINATOR = textwrap.dedent("""
    import sys
    from simulation.experiments.runner import execute
    from simulation.experiments.store.writer import ResultsStore
    from simulation.experiments.sweep import Sweep, parse_parameter

    scenario, root = sys.argv[1], sys.argv[2]
    with ResultsStore(root, compact_every=3, fsync=False) as store:
        store.recover()
        for seed in map(int, sys.argv[3].split(",")):
            plan = Sweep(scenario, tuple(parse_parameter(p) for p in {params!r}),
                         replications={replications}, seed=seed)
            execute(plan.build()[2], workers=2, store=store)
    print("done", flush=True)
""").format(params=PARAMS, replications=REPLICATIONS)


def session_processes(session: int) -> list[str]:
    """Live processes (not zombies) of a session, as "pid command" lines."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            command = (entry / "cmdline").read_bytes().replace(b"\0", b" ").decode()[:120]
        except (OSError, IndexError):
            continue
        if int(fields[3]) == session and fields[0] not in ("Z", "X"):
            found.append(f"{entry.name} {command}")
    return found


def survivors(session: int, grace: float = 15.0) -> list[str]:
    """The session's processes still there after ``grace`` seconds (then killed, so that
    they cannot disturb the next test)."""
    deadline = time.monotonic() + grace
    while session_processes(session) and time.monotonic() < deadline:
        time.sleep(0.1)
    left = session_processes(session)
    for line in left:
        os.kill(int(line.split()[0]), signal.SIGKILL)
    return left


def start(scenario: Path, root: Path, seeds: list[int], log: Path) -> subprocess.Popen[str]:
    # Output goes to a file, not a pipe: a pipe that orphans still hold would never close.
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    with log.open("w") as sink:
        return subprocess.Popen([sys.executable, "-c", COORDINATOR, str(scenario), str(root),
                                 ",".join(map(str, seeds))], env=env, text=True,
                                start_new_session=True, stdout=sink, stderr=subprocess.STDOUT)


def pool_up(process: subprocess.Popen[str], timeout: float = 60) -> bool:
    """Wait until the coordinator's workers run (coordinator, forkserver, resource tracker
    and at least one worker); False if it finished first."""
    deadline = time.monotonic() + timeout
    while process.poll() is None and time.monotonic() < deadline:
        if len(session_processes(process.pid)) > 3:
            return True
        time.sleep(0.05)
    return False


def expected(scenario: Path, seed: int) -> set[str]:
    plan = Sweep(str(scenario), tuple(parse_parameter(p) for p in PARAMS),
                 replications=REPLICATIONS, seed=seed)
    return {run_meta(request).run_id for request in plan.build()[2]}


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs /proc")
@pytest.mark.slow
def test_a_sweep_killed_at_random_moments_leaves_no_process_and_loses_nothing(
        tmp_path: Path) -> None:
    scenario = tmp_path / "crash.toml"
    scenario.write_text(SCENARIO, encoding="utf-8")
    root = tmp_path / "store"
    draw = random.Random(SEED)
    seeds = list(range(7, 7 + KILLS))  # each kill interrupts its own sweep
    moments, with_workers = [], 0
    for kill, seed in enumerate(seeds):
        process = start(scenario, root, [seed], tmp_path / "killed.log")
        if kill % 2 and pool_up(process):
            moment = f"pool + {draw.uniform(0.0, 0.5):.2f} s"
            time.sleep(float(moment.split()[2]))
        else:
            moment = f"{draw.uniform(0.2, 6.0):.2f} s"
            time.sleep(float(moment.split()[0]))
        # coordinator + forkserver + resource tracker + workers: the pool was running
        with_workers += len(session_processes(process.pid)) > 3
        os.kill(process.pid, signal.SIGKILL)  # the coordinator only, as `kill -9` does
        process.wait()
        moments.append(moment)
        left = survivors(process.pid)
        assert not left, f"kill {kill} at {moment} (moments {moments}) left {left}"
    print(f"{with_workers} of {KILLS} kills hit a running pool; moments {moments}")
    assert with_workers >= KILLS // 3, f"too few kills hit a running pool ({moments})"
    process = start(scenario, root, seeds, tmp_path / "final.log")  # every sweep to its end
    process.wait(timeout=600)
    output = (tmp_path / "final.log").read_text()
    assert process.returncode == 0 and output.strip().endswith("done"), output
    assert not survivors(process.pid)

    wanted = set().union(*(expected(scenario, seed) for seed in seeds))
    with ResultsStore(root) as store:
        assert store.recover().clean
        assert all(store.has(run_id) for run_id in wanted)
    with StoreReader(root) as reader:
        runs, summaries, weekly = reader.runs(), reader.summaries(), reader.weekly()
    assert runs["run_id"].is_unique and set(runs["run_id"]) >= wanted, moments
    assert set(runs.loc[runs["run_id"].isin(wanted), "status"]) == {"done"}
    assert summaries["run_id"].is_unique and set(summaries["run_id"]) == wanted
    assert not weekly.duplicated(["run_id", "week", "scope"]).any()
    assert set(weekly["run_id"]) == wanted
    assert not [p for p in (root / "tmp").iterdir()]
