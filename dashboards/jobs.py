"""The dashboard's run queue: one worker thread, one bounded queue, the project's runner.

Clicks never start processes. ``submit`` puts a job (a scenario and its baseline, the same
seeds) on a queue of at most ``max_queue`` jobs and refuses more with ``QueueFull``. One
background thread takes whatever is queued as one batch to :func:`simulation.runner.execute`,
which runs it on a local pool of at most ``workers`` processes and skips every replication
the store already holds. That thread is the store's writer only while a batch runs: the
store's lock is taken for the batch and released after it, so a sweep, a report or a second
dashboard can use the same store in between, and reading results never needs the lock. A
batch that finds the store busy waits for it (up to ``busy_wait`` seconds), then fails its
jobs with a message.
A job identical to one queued, running or done (same resolved scenario content, seeds, weeks)
is that job; one whose runs are all stored is done at once without queueing.

The page reads results from the store (``simulation.store.StoreReader``) by run id.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from simulation.experiments.runner import RunRequest, code_version, execute, requests, run_meta
from simulation.experiments.store.opening import StoreBusyError, StoreRefusal, check_folder
from simulation.experiments.store.reader import StoreReader
from simulation.experiments.store.writer import ResultsStore
from simulation.params.loading import content_hash
from simulation.params.schema import Scenario

MAX_BATCH_RUNS = 400  # replications taken into one execute() call
KEEP_JOBS = 500  # finished jobs remembered (their results stay in the store regardless)


class QueueFull(RuntimeError):
    """The run queue is at its limit; the page asks the participant to try again shortly."""


@dataclass
class Job:
    """A scenario and its baseline, replication by replication with common seeds."""

    id: str
    scenario: Scenario
    baseline: Scenario
    seed: int
    replications: int
    weeks: int
    scenario_runs: list[str]  # run ids in replication order
    baseline_runs: list[str]
    status: str = "queued"  # queued | running | done | failed
    error: str = ""
    submitted: float = field(default_factory=time.monotonic)
    finished: float | None = None
    from_store: bool = False
    finished_runs: set[str] = field(default_factory=set)

    @property
    def run_ids(self) -> set[str]:
        return {*self.scenario_runs, *self.baseline_runs}

    @property
    def progress(self) -> tuple[int, int]:
        ids = self.run_ids
        return len(ids & self.finished_runs), len(ids)

    def batch(self) -> list[RunRequest]:
        tags = {"source": "dashboard", "job": self.id}
        return [*requests(self.scenario, self.replications, self.seed, self.weeks,
                          batch="dashboard", tags=tags),
                *requests(self.baseline, self.replications, self.seed, self.weeks,
                          batch="dashboard", tags=tags)]


def job_id(scenario: Scenario, baseline: Scenario, seed: int, replications: int,
           weeks: int) -> str:
    """Same resolved contents, seeds and weeks: the same job."""
    identity = [content_hash(scenario), content_hash(baseline), seed, replications, weeks,
                code_version()]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:16]


class JobQueue:
    """A bounded run queue served by one worker thread (see the module docstring)."""

    def __init__(self, store_root: Path | str, *, workers: int = 2, max_queue: int = 32,
                 run: Callable[..., Any] = execute, busy_wait: float = 120.0) -> None:
        self.store_root = Path(store_root)
        self.workers = max(1, int(workers))
        self.max_queue = max(1, int(max_queue))
        self.busy_wait = busy_wait
        self._run = run
        self._recovered = False
        self._lock = threading.Condition()
        self._pending: list[Job] = []
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._stopping = False
        self._thread = threading.Thread(target=self._work, name="pilotsim-run-queue",
                                        daemon=True)

    # -- lifecycle ---------------------------------------------------------------------------

    def start(self) -> JobQueue:
        """Start the worker; raises ``StoreRefusal`` for a folder that is not a store. A store
        another process is writing is fine: the worker takes its lock only to run a batch."""
        check_folder(self.store_root)
        self._thread.start()
        return self

    def stop(self, timeout: float = 10.0) -> None:
        with self._lock:
            self._stopping = True
            self._lock.notify_all()
        self._thread.join(timeout)

    # -- the page's side ---------------------------------------------------------------------

    def get(self, job: str) -> Job | None:
        with self._lock:
            return self._jobs.get(job)

    def queued(self) -> int:
        with self._lock:
            return len(self._pending)

    def position(self, job: Job) -> int:
        """1 for the next batch; 0 if not waiting."""
        with self._lock:
            return self._pending.index(job) + 1 if job in self._pending else 0

    def submit(self, scenario: Scenario, baseline: Scenario, *, seed: int, replications: int,
               weeks: int) -> Job:
        """Queue a job (or return the identical one); ``QueueFull`` when the queue is full."""
        version = code_version()
        key = job_id(scenario, baseline, seed, replications, weeks)
        with self._lock:
            known = self._jobs.get(key)
            if known is not None and known.status != "failed":
                return known
        job = Job(id=key, scenario=scenario, baseline=baseline, seed=seed,
                  replications=replications, weeks=weeks, scenario_runs=[], baseline_runs=[])
        runs = [run_meta(r, version).run_id for r in job.batch()]
        job.scenario_runs, job.baseline_runs = runs[:replications], runs[replications:]
        stored = self._stored(job.run_ids)
        with self._lock:
            known = self._jobs.get(key)
            if known is not None and known.status != "failed":
                return known
            if stored >= job.run_ids:
                job.status, job.from_store, job.finished = "done", True, time.monotonic()
                job.finished_runs = set(job.run_ids)
            else:
                if len(self._pending) >= self.max_queue:
                    raise QueueFull(f"the run queue is full ({self.max_queue} jobs waiting); "
                                    "try again in a minute")
                self._pending.append(job)
                self._lock.notify_all()
            self._remember(job)
        return job

    def lookup(self, scenario: Scenario, baseline: Scenario, *, seed: int, replications: int,
               weeks: int) -> Job | None:
        """The job for these runs if it is known or all its runs are stored; never queues."""
        key = job_id(scenario, baseline, seed, replications, weeks)
        known = self.get(key)
        if known is not None and known.status != "failed":
            return known
        job = Job(id=key, scenario=scenario, baseline=baseline, seed=seed,
                  replications=replications, weeks=weeks, scenario_runs=[], baseline_runs=[])
        version = code_version()
        runs = [run_meta(r, version).run_id for r in job.batch()]
        job.scenario_runs, job.baseline_runs = runs[:replications], runs[replications:]
        if not self._stored(job.run_ids) >= job.run_ids:
            return None
        job.status, job.from_store, job.finished = "done", True, time.monotonic()
        job.finished_runs = set(job.run_ids)
        with self._lock:
            self._remember(job)
        return job

    def _remember(self, job: Job) -> None:
        self._jobs[job.id] = job
        self._jobs.move_to_end(job.id)
        while len(self._jobs) > KEEP_JOBS:
            oldest = next(iter(self._jobs))
            if self._jobs[oldest].status in ("queued", "running"):
                break
            self._jobs.popitem(last=False)

    def _stored(self, run_ids: set[str]) -> set[str]:
        if not (self.store_root / "data").is_dir():
            return set()
        with StoreReader(self.store_root) as reader:
            done = reader.runs(status="done")
        return set(done["run_id"]) & run_ids

    # -- the worker --------------------------------------------------------------------------

    def _work(self) -> None:
        while True:
            with self._lock:
                while not self._pending and not self._stopping:
                    self._lock.wait()
                if self._stopping:
                    return
                batch_jobs = self._take()
            self._run_batch(batch_jobs)

    def _open_store(self) -> ResultsStore:
        """The store's writer for one batch; waits while another process holds it."""
        deadline = time.monotonic() + self.busy_wait
        while True:
            try:
                store = ResultsStore(self.store_root)
                break
            except StoreBusyError:
                if time.monotonic() >= deadline or self._stopping:
                    raise
                time.sleep(1.0)
        if not self._recovered:  # settle what a killed writer left, once per server
            store.recover()
            self._recovered = True
        return store

    def _take(self) -> list[Job]:
        """Queued jobs for one batch, first come first served (call with the lock held)."""
        taken: list[Job] = []
        runs = 0
        while self._pending and (not taken or runs + 2 * self._pending[0].replications
                                 <= MAX_BATCH_RUNS):
            job = self._pending.pop(0)
            runs += 2 * job.replications
            job.status = "running"
            taken.append(job)
        return taken

    def _fail(self, jobs: list[Job], message: str) -> None:
        with self._lock:
            for job in jobs:
                if job.status != "done":
                    job.status, job.error = "failed", message
                    job.finished = time.monotonic()

    def _run_batch(self, jobs: list[Job]) -> None:
        try:
            store = self._open_store()
        except StoreRefusal as error:
            self._fail(jobs, f"{error}; try again when it is free")
            return
        except Exception as error:  # shown on the page; the worker carries on
            self._fail(jobs, " ".join(str(error).split())[:300] or type(error).__name__)
            return
        with store:
            self._run_with(store, jobs)

    def _run_with(self, store: ResultsStore, jobs: list[Job]) -> None:
        version = code_version()
        batch: list[RunRequest] = []
        for job in jobs:
            batch.extend(job.batch())
        owners: dict[str, list[Job]] = {}
        for job in jobs:
            for run_id in job.run_ids:
                owners.setdefault(run_id, []).append(job)

        def on_done(request: RunRequest, _cached: bool) -> None:
            run_id = run_meta(request, version).run_id
            now = time.monotonic()
            with self._lock:
                for job in owners.get(run_id, []):
                    job.finished_runs.add(run_id)
                    if job.finished_runs >= job.run_ids and job.status == "running":
                        job.status, job.finished = "done", now

        try:
            self._run(batch, workers=self.workers, store=store, on_done=on_done)
        except Exception as error:  # shown on the page; the worker carries on
            self._fail(jobs, " ".join(str(error).split())[:300] or type(error).__name__)
            return
        with self._lock:
            for job in jobs:
                if job.status == "running":  # e.g. duplicates reported once by execute
                    job.finished_runs |= job.run_ids
                    job.status, job.finished = "done", time.monotonic()
