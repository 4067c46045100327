"""The dashboard's run queue: fair turns across sessions, a quick first answer, one worker.

Clicks never start processes. ``submit`` puts a job (a scenario and its baseline, the same
seeds) on the queue of its session (a browser) and refuses more than ``max_queue`` waiting
jobs with ``QueueFull``. A job is cut into slices: its first ``FIRST_ANSWER_REPLICATIONS``
replications (a first answer the page shows at once), then the rest in slices of at most
``SLICE_REPLICATIONS``. Sessions take turns, one slice each (round-robin, not first come
first served), so a session that asks for many runs cannot make another wait behind all of
them. A slice is the same run requests, with the same seeds, as the whole job would make:
results never depend on the order or the cut.

One background thread takes slices in turn, up to ``BATCH_RUNS`` runs, as one batch to
:func:`simulation.runner.execute`, which runs it on a local pool of at most ``workers``
processes and skips every replication the store already holds. That thread is the store's
writer only while a batch runs: the store's lock is taken for the batch and released after it,
so a sweep, a report or a second dashboard can use the same store in between, and reading
results never needs the lock. A batch that finds the store busy waits for it (up to
``busy_wait`` seconds), then fails its jobs with a message.
A job identical to one queued, running or done (same resolved scenario content, seeds, weeks)
is that job; one whose runs are all stored is done at once without queueing.

The page reads results from the store (``simulation.store.StoreReader``) by run id; a job's
first answer is a job of its own (``answer``) over the first replications.
"""

from __future__ import annotations

import hashlib
import json
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any

from simulation.experiments.runner import RunRequest, code_version, execute, requests, run_meta
from simulation.experiments.store.opening import StoreBusyError, StoreRefusal, check_folder
from simulation.experiments.store.reader import StoreReader
from simulation.experiments.store.writer import ResultsStore
from simulation.params.loading import content_hash
from simulation.params.schema import Scenario

FIRST_ANSWER_REPLICATIONS = 2  # the quick first answer: enough for an interval
SLICE_REPLICATIONS = 4  # the rest of a job in turns of at most this many replications
BATCH_RUNS = 8  # runs taken into one execute() call: a newcomer waits at most for these
KEEP_JOBS = 500  # finished jobs remembered (their results stay in the store regardless)
# Seconds one run takes per job seeker and week, on one worker, until a batch has been timed
# (pirkanmaa, 4,000 job seekers x 74 weeks: 0.76 s on the shared 2-core machine).
SECONDS_PER_SEEKER_WEEK = 3e-6
SERVED_LOG = 1000  # slices remembered in the order they were taken (``served``)


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
    session: str = ""  # whose turn it takes: a browser's session cookie
    answered: float | None = None  # when the first answer was ready
    # labels of its runs in the store beyond source and job: a posterior draw's tags
    # (``posterior``, ``posterior_draw``, ``posterior_k``) as ``--posterior K`` writes them
    tags: dict[str, Any] = field(default_factory=dict)

    @property
    def first_replications(self) -> int:
        return min(FIRST_ANSWER_REPLICATIONS, self.replications)

    @property
    def first_runs(self) -> set[str]:
        k = self.first_replications
        return {*self.scenario_runs[:k], *self.baseline_runs[:k]}

    @property
    def seeker_weeks(self) -> float:
        """The work of one run of this job (job seekers times weeks)."""
        return float(self.scenario.region.job_seekers) * self.weeks

    @property
    def run_ids(self) -> set[str]:
        return {*self.scenario_runs, *self.baseline_runs}

    @property
    def progress(self) -> tuple[int, int]:
        ids = self.run_ids
        return len(ids & self.finished_runs), len(ids)

    def batch(self) -> list[RunRequest]:
        tags = {"source": "dashboard", "job": self.id, **self.tags}
        return [*requests(self.scenario, self.replications, self.seed, self.weeks,
                          batch="dashboard", tags=tags),
                *requests(self.baseline, self.replications, self.seed, self.weeks,
                          batch="dashboard", tags=tags)]

    def slices(self) -> list[Slice]:
        """The job in turns: the first answer, then the rest in bounded slices."""
        cuts = [0, self.first_replications]
        while cuts[-1] < self.replications:
            cuts.append(min(self.replications, cuts[-1] + SLICE_REPLICATIONS))
        return [Slice(self, start, stop) for start, stop in zip(cuts, cuts[1:], strict=False)]


@dataclass(frozen=True)
class Slice:
    """Replications ``start..stop-1`` of a job, scenario and baseline: one turn."""

    job: Job
    start: int
    stop: int

    @property
    def run_ids(self) -> set[str]:
        return {*self.job.scenario_runs[self.start:self.stop],
                *self.job.baseline_runs[self.start:self.stop]}

    def requests(self) -> list[RunRequest]:
        """The job's own requests for these replications (same seeds, same run ids)."""
        every, n = self.job.batch(), self.job.replications
        return [*every[self.start:self.stop], *every[n + self.start:n + self.stop]]


@dataclass(frozen=True)
class Wait:
    """Where a job stands: slices ahead of its next turn, and seconds to each answer."""

    position: int  # 1: its slice is next; 0: not waiting
    first_seconds: float  # to the first answer (0 when it is there)
    full_seconds: float  # to the full answer


def job_id(scenario: Scenario, baseline: Scenario, seed: int, replications: int,
           weeks: int, tags: dict[str, Any] | None = None) -> str:
    """Same resolved contents, seeds and weeks (and tags, if any): the same job."""
    identity: list[Any] = [content_hash(scenario), content_hash(baseline), seed, replications,
                           weeks, code_version()]
    if tags:
        identity.append(sorted((str(k), str(v)) for k, v in tags.items()))
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:16]


class JobQueue:
    """A bounded, fair run queue served by one worker thread (see the module docstring)."""

    def __init__(self, store_root: Path | str, *, workers: int = 2, max_queue: int = 32,
                 run: Callable[..., Any] = execute, busy_wait: float = 120.0,
                 max_per_session: int | None = None) -> None:
        self.store_root = Path(store_root)
        self.workers = max(1, int(workers))
        self.max_queue = max(1, int(max_queue))
        # one browser may hold at most this many waiting jobs (default two thirds of the
        # queue: parameter uncertainty's 20 draws and a run fit, and others keep a third)
        self.max_per_session = max(1, int(max_per_session) if max_per_session is not None
                                   else (2 * self.max_queue) // 3)
        self.busy_wait = busy_wait
        self._run = run
        self._recovered = False
        self._lock = threading.Condition()
        # session -> its waiting slices; the order of the keys is the order of turns
        self._turns: OrderedDict[str, deque[Slice]] = OrderedDict()
        self._jobs: OrderedDict[str, Job] = OrderedDict()
        self._done_runs: set[str] = set()  # run ids finished or stored (for the estimates)
        self._running: list[Slice] = []
        self._batch_started = 0.0
        self._batch_seconds = 0.0  # the running batch's expected length
        self.seconds_per_seeker_week = SECONDS_PER_SEEKER_WEEK
        self.served: deque[tuple[str, str, int]] = deque(maxlen=SERVED_LOG)
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

    def _waiting_jobs(self) -> set[str]:
        return {piece.job.id for turn in self._turns.values() for piece in turn}

    def queued(self) -> int:
        """Jobs with work still waiting for a turn."""
        with self._lock:
            return len(self._waiting_jobs())

    def room(self, session: str = "") -> int:
        """How many more jobs this session may queue now: the queue's free places, and no
        more than its own share (``max_per_session``)."""
        with self._lock:
            return self._room(session)

    def _room(self, session: str) -> int:
        own = {piece.job.id for piece in self._turns.get(session, ())}
        return max(0, min(self.max_queue - len(self._waiting_jobs()),
                          self.max_per_session - len(own)))

    def position(self, job: Job) -> int:
        """1 if the job's next slice is the next one taken; 0 if it is not waiting."""
        return self.wait(job).position

    def submit(self, scenario: Scenario, baseline: Scenario, *, seed: int, replications: int,
               weeks: int, session: str = "", tags: dict[str, Any] | None = None) -> Job:
        """Queue a job in its session's turn (or return the identical one); ``QueueFull``
        when too many jobs wait."""
        version = code_version()
        key = job_id(scenario, baseline, seed, replications, weeks, tags)
        with self._lock:
            known = self._jobs.get(key)
            if known is not None and known.status != "failed":
                return known
        job = Job(id=key, scenario=scenario, baseline=baseline, seed=seed,
                  replications=replications, weeks=weeks, scenario_runs=[], baseline_runs=[],
                  session=session, tags=dict(tags or {}))
        runs = [run_meta(r, version).run_id for r in job.batch()]
        job.scenario_runs, job.baseline_runs = runs[:replications], runs[replications:]
        stored = self._stored(job.run_ids)
        with self._lock:
            known = self._jobs.get(key)
            if known is not None and known.status != "failed":
                return known
            self._done_runs |= stored
            if stored >= job.run_ids:
                job.status, job.from_store, job.finished = "done", True, time.monotonic()
                job.answered = job.finished
                job.finished_runs = set(job.run_ids)
            else:
                if len(self._waiting_jobs()) >= self.max_queue:
                    raise QueueFull(f"the run queue is full ({self.max_queue} jobs waiting); "
                                    "try again in a minute")
                if self._room(session) == 0:
                    raise QueueFull(f"this browser already has {self.max_per_session} runs "
                                    "waiting, its share of the queue; try again when they "
                                    "are done")
                job.finished_runs = stored & job.run_ids
                turn = self._turns.setdefault(session, deque())  # a newcomer goes last
                turn.extend(job.slices())
                self._lock.notify_all()
            self._remember(job)
        return job

    def lookup(self, scenario: Scenario, baseline: Scenario, *, seed: int, replications: int,
               weeks: int, tags: dict[str, Any] | None = None) -> Job | None:
        """The job for these runs if it is known or all its runs are stored; never queues."""
        key = job_id(scenario, baseline, seed, replications, weeks, tags)
        known = self.get(key)
        if known is not None and known.status != "failed":
            return known
        job = Job(id=key, scenario=scenario, baseline=baseline, seed=seed,
                  replications=replications, weeks=weeks, scenario_runs=[], baseline_runs=[],
                  tags=dict(tags or {}))
        version = code_version()
        runs = [run_meta(r, version).run_id for r in job.batch()]
        job.scenario_runs, job.baseline_runs = runs[:replications], runs[replications:]
        if not self._stored(job.run_ids) >= job.run_ids:
            return None
        job.status, job.from_store, job.finished = "done", True, time.monotonic()
        job.answered = job.finished
        job.finished_runs = set(job.run_ids)
        with self._lock:
            self._remember(job)
        return job

    def answer(self, job: Job) -> Job | None:
        """The best answer ready for a job: the job itself when done, else its first
        replications as a job of their own (the page shows it while the rest run), else
        ``None``."""
        with self._lock:
            if job.status == "done":
                return job
            if job.status != "running" or not job.first_runs <= job.finished_runs:
                return None
            k = job.first_replications
            first = replace(job, id=f"{job.id}-first{k}", replications=k,
                            scenario_runs=job.scenario_runs[:k],
                            baseline_runs=job.baseline_runs[:k], status="done",
                            finished_runs=set(job.first_runs), finished=job.answered)
            known = self._jobs.get(first.id)
            if known is None:
                self._remember(first)
                known = first
            return known

    def wait(self, job: Job) -> Wait:
        """Turns ahead of the job and the expected seconds to its first and full answers,
        replaying the round-robin order over what waits now (later arrivals may add turns
        before the job's later slices, never before its next one)."""
        with self._lock:
            rate = self.seconds_per_seeker_week / self.workers
            elapsed = time.monotonic() - self._batch_started if self._running else 0.0
            clock = max(0.0, self._batch_seconds - elapsed) if self._running else 0.0
            counted = set(self._done_runs) | {r for piece in self._running
                                              for r in piece.run_ids}
            first = 0.0 if job.first_runs <= counted else None
            full = 0.0 if job.run_ids <= counted else None
            position = 0
            for ahead, piece in enumerate(self._service_order()):
                new = piece.run_ids - counted
                counted |= new
                clock += len(new) * piece.job.seeker_weeks * rate
                if piece.job is job:
                    position = position or ahead + 1
                    first = clock if first is None and job.first_runs <= counted else first
                    full = clock if full is None and job.run_ids <= counted else full
            if first is None:  # in the running batch only
                first = clock
            return Wait(position=position, first_seconds=first,
                        full_seconds=clock if full is None else full)

    def _service_order(self) -> list[Slice]:
        """Every waiting slice in the order the worker will take them (lock held)."""
        turns = [(session, list(turn)) for session, turn in self._turns.items()]
        order = []
        while turns:
            nxt = []
            for session, turn in turns:
                order.append(turn.pop(0))
                if turn:
                    nxt.append((session, turn))
            turns = nxt
        return order

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
                while not self._turns and not self._stopping:
                    self._lock.wait()
                if self._stopping:
                    return
                pieces = self._take()
            self._run_batch(pieces)

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

    def _take(self) -> list[Slice]:
        """Slices for one batch, one per session in turn, up to ``BATCH_RUNS`` runs (call
        with the lock held). A session served goes to the back of the line."""
        taken: list[Slice] = []
        runs = 0
        while self._turns:
            session, turn = next(iter(self._turns.items()))
            piece = turn[0]
            size = 2 * (piece.stop - piece.start)
            if taken and runs + size > BATCH_RUNS:
                break
            turn.popleft()
            if turn:
                self._turns.move_to_end(session)
            else:
                del self._turns[session]
            runs += size
            piece.job.status = "running"
            taken.append(piece)
            self.served.append((session, piece.job.id, piece.start))
        rate = self.seconds_per_seeker_week / self.workers
        counted = set(self._done_runs)
        self._batch_seconds = 0.0
        for piece in taken:
            new = piece.run_ids - counted
            counted |= new
            self._batch_seconds += len(new) * piece.job.seeker_weeks * rate
        self._running, self._batch_started = taken, time.monotonic()
        return taken

    def _fail(self, pieces: list[Slice], message: str) -> None:
        with self._lock:
            failed = {piece.job.id for piece in pieces if piece.job.status != "done"}
            for piece in pieces:
                job = piece.job
                if job.status != "done":
                    job.status, job.error = "failed", message
                    job.finished = time.monotonic()
            for session in list(self._turns):  # their later slices have nothing to add to
                kept = deque(p for p in self._turns[session] if p.job.id not in failed)
                if kept:
                    self._turns[session] = kept
                else:
                    del self._turns[session]
            self._running = []

    def _run_batch(self, pieces: list[Slice]) -> None:
        try:
            store = self._open_store()
        except StoreRefusal as error:
            self._fail(pieces, f"{error}; try again when it is free")
            return
        except Exception as error:  # shown on the page; the worker carries on
            self._fail(pieces, " ".join(str(error).split())[:300] or type(error).__name__)
            return
        with store:
            self._run_with(store, pieces)

    def _finish(self, job: Job, run_ids: set[str], now: float) -> None:
        """Runs of a job are done (lock held): its first answer, then the whole job."""
        job.finished_runs |= run_ids & job.run_ids
        self._done_runs |= run_ids
        if job.answered is None and job.first_runs <= job.finished_runs:
            job.answered = now
        if job.finished_runs >= job.run_ids and job.status == "running":
            job.status, job.finished = "done", now

    def _run_with(self, store: ResultsStore, pieces: list[Slice]) -> None:
        version = code_version()
        batch: list[RunRequest] = []
        for piece in pieces:
            batch.extend(piece.requests())
        owners: dict[str, list[Job]] = {}
        for piece in pieces:
            for run_id in piece.run_ids:
                owners.setdefault(run_id, []).append(piece.job)
        work = {run_meta(r, version).run_id: r.scenario.region.job_seekers * (r.weeks or 0)
                for r in batch}
        computed: list[float] = []

        def on_done(request: RunRequest, cached: bool) -> None:
            run_id = run_meta(request, version).run_id
            now = time.monotonic()
            with self._lock:
                if not cached:
                    computed.append(work.get(run_id, 0.0))
                for job in owners.get(run_id, []):
                    self._finish(job, {run_id}, now)

        started = time.monotonic()
        try:
            self._run(batch, workers=self.workers, store=store, on_done=on_done)
        except Exception as error:  # shown on the page; the worker carries on
            self._fail(pieces, " ".join(str(error).split())[:300] or type(error).__name__)
            return
        elapsed = time.monotonic() - started
        with self._lock:
            now = time.monotonic()
            for piece in pieces:  # e.g. duplicates reported once by execute
                self._finish(piece.job, piece.run_ids, now)
            self._running = []
            if computed and sum(computed) > 0:  # learn the speed from runs actually made
                measured = elapsed * min(self.workers, len(computed)) / sum(computed)
                self.seconds_per_seeker_week = 0.5 * (self.seconds_per_seeker_week + measured)
