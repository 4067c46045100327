"""Running replications: seeds, one replication, and many on a local pool or a Dask cluster.

Replication *i* of a request is seeded by child *i* of ``SeedSequence(seed)``
(``SeedSequence(seed, spawn_key=(i,))``), so any run can be rebuilt alone, and a scenario and
its baseline use the same children (common random numbers). Replications are independent, so
results do not depend on the engine, how many workers run them or in which order they finish:
:func:`execute` always returns them in request order.

Engines: a local process pool (the default; every core) or Dask distributed (a scheduler
address, a ``distributed.Client``, or a ``LocalCluster`` started here). The local workers are
started once per process and kept for later batches (``compare --all``, the dashboard, a
sweep's chunks), because starting one costs about as much as a replication; each replication
frees its model, so memory is returned between replications. Only this coordinating process
touches the results store: workers return results, the coordinator writes.
"""

from __future__ import annotations

import atexit
import hashlib
import multiprocessing
import os
import signal
import threading
from collections.abc import Callable, Iterator, Mapping, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import contextmanager, suppress
from dataclasses import dataclass, field
from functools import cache
from importlib import metadata, resources
from pathlib import Path
from typing import TYPE_CHECKING, Any, Literal

import numpy as np

from simulation.engine.model import RegionalLabourMarket
from simulation.engine.results import (
    RunResult,
    cohort_outcomes,
    extra_tables,
    initial_cohort,
    summarise,
)
from simulation.experiments.lifeline import worker_started
from simulation.params.loading import content_hash
from simulation.params.schema import Scenario

if TYPE_CHECKING:
    from simulation.experiments.store.identity import RunMeta
    from simulation.experiments.store.writer import ResultsStore

Engine = Literal["local", "dask"]
OnDone = Callable[["RunRequest", bool], None]

# The packages that decide a replication's numbers: the engine and the parameter schema. The
# code version digests exactly their sources, so editing anything else (the runner, the store,
# the report, the CLI) keeps stored results reusable, and a new file there joins by design.
RESULT_PACKAGES = ("simulation.engine", "simulation.params")


@dataclass(frozen=True)
class RunRequest:
    """One replication of one scenario; ``batch`` and ``tags`` only label it in the store."""
    scenario: Scenario
    entropy: int
    replication: int
    weeks: int
    batch: str | None = field(default=None, compare=False)
    tags: Mapping[str, Any] = field(default_factory=dict, compare=False, hash=False)

    @property
    def spawn_key(self) -> tuple[int, ...]:
        return (self.replication,)

    def seed_sequence(self) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)


def requests(scenario: Scenario, replications: int, seed: int, weeks: int | None = None, *,
             batch: str | None = None, tags: Mapping[str, Any] | None = None
             ) -> list[RunRequest]:
    """The replications of a scenario; the same seed gives the same children."""
    return [RunRequest(scenario, seed, i, weeks or scenario.weeks, batch, dict(tags or {}))
            for i in range(replications)]


def run_replication(request: RunRequest) -> RunResult:
    """Build, run and summarise one replication; free the model afterwards."""
    model = RegionalLabourMarket(request.scenario, rng=request.seed_sequence())
    try:
        cohort = initial_cohort(model)
        model.run(request.weeks)
        ledger = model.ledger.to_frame()
        weekly = model.metrics.frame(ledger)  # the ledger's table built once, not twice
        return RunResult(
            scenario=request.scenario.name, replication=request.replication,
            entropy=request.entropy, spawn_key=request.spawn_key, weekly=weekly,
            ledger=ledger, duration_exits=model.metrics.duration_exit_frame(),
            summary=summarise(model, weekly), cohort=cohort_outcomes(model, cohort),
            **extra_tables(model))
    finally:
        model.release()


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


@cache
def code_version() -> str:
    """Package version plus a digest of the model's sources: changed code gets new run ids."""
    try:
        version = metadata.version("pilotsim")
    except metadata.PackageNotFoundError:
        version = "0"
    digest = hashlib.sha256()
    for package in RESULT_PACKAGES:
        folder = Path(str(resources.files(package)))
        for path in sorted(folder.rglob("*.py")):
            name = f"{package}/{path.relative_to(folder).as_posix()}"
            digest.update(name.encode() + b"\0" + path.read_bytes() + b"\0")
    return f"{version}+{digest.hexdigest()[:12]}"


def run_meta(request: RunRequest, version: str | None = None) -> RunMeta:
    """The store's description of a request (its run id is derived from it)."""
    from simulation.experiments.store.identity import RunMeta

    return RunMeta(
        scenario=request.scenario.name, scenario_hash=content_hash(request.scenario),
        parameters=request.scenario.model_dump(mode="json", exclude={"provenance"}),
        entropy=request.entropy, spawn_key=request.spawn_key,
        replication=request.replication, weeks=request.weeks,
        code_version=version or code_version(), batch=request.batch, tags=dict(request.tags))


# --- engines ----------------------------------------------------------------------------------

class _Pool:
    """What :func:`execute` needs from an engine: submit, wait for some, stop."""

    capacity: int

    def submit(self, request: RunRequest) -> Any: ...
    def wait_some(self, pending: set[Any], timeout: float) -> set[Any]: ...
    def result(self, future: Any) -> RunResult: ...
    def stop(self) -> None: ...


class _LocalPool(_Pool):
    def __init__(self, workers: int) -> None:
        self.workers = workers
        self.stopped = False
        # one queued replication beyond the running ones: a worker that finishes starts the
        # next at once instead of waiting for the coordinator to hand it one
        self.capacity = workers + 1
        # forkserver with the model preloaded: workers start with a fork, not an import.
        # Workers are long-lived: each replication releases its model (and Mesa's agent-id
        # registry), and numpy returns large arrays to the system. (max_tasks_per_child=1
        # would recycle them, but on Python 3.11 it can crash the executor's management
        # thread at shutdown and hang the process.)
        # The lifeline ends workers and forkserver with the coordinator, even on SIGKILL.
        context = multiprocessing.get_context("forkserver")
        context.set_forkserver_preload(["simulation.experiments.runner",
                                        "simulation.experiments.lifeline"])
        self._pool = ProcessPoolExecutor(workers, mp_context=context,
                                         initializer=worker_started, initargs=(os.getpid(),))

    def submit(self, request: RunRequest) -> Future[RunResult]:
        return self._pool.submit(run_replication, request)

    def wait_some(self, pending: set[Any], timeout: float) -> set[Any]:
        return set(wait(pending, timeout, return_when=FIRST_COMPLETED).done)

    def result(self, future: Future[RunResult]) -> RunResult:
        return future.result()

    @property
    def usable(self) -> bool:
        return not self.stopped and not getattr(self._pool, "_broken", False)

    def close(self) -> None:
        """Let idle workers exit (the normal end of the shared pool)."""
        self.stopped = True
        self._pool.shutdown(wait=True)

    def stop(self) -> None:
        self.stopped = True
        self._pool.shutdown(wait=False, cancel_futures=True)
        terminate = getattr(self._pool, "terminate_workers", None)  # Python 3.14+
        if terminate is not None:
            terminate()
            return
        for process in list((getattr(self._pool, "_processes", None) or {}).values()):
            process.terminate()
        for process in list((getattr(self._pool, "_processes", None) or {}).values()):
            process.join(5)


class _InlinePool(_Pool):
    """One worker: run in this process (no pickling, easy to debug), one at a time."""

    capacity = 1

    def submit(self, request: RunRequest) -> Future[RunResult]:
        future: Future[RunResult] = Future()
        future.set_result(run_replication(request))
        return future

    def wait_some(self, pending: set[Any], timeout: float) -> set[Any]:
        return set(pending)

    def result(self, future: Future[RunResult]) -> RunResult:
        return future.result()

    def stop(self) -> None:
        pass


class _DaskPool(_Pool):
    def __init__(self, client: Any, owned: Sequence[Any] = ()) -> None:
        self._client = client
        self._owned = owned  # what we started and must close (client, cluster)

    @property
    def capacity(self) -> int:  # type: ignore[override]
        # Workers may join or leave; keep two tasks per thread in flight to hide latency.
        threads = sum(self._client.nthreads().values())
        return max(2, 2 * threads)

    def submit(self, request: RunRequest) -> Any:
        return self._client.submit(run_replication, request, pure=False)

    def wait_some(self, pending: set[Any], timeout: float) -> set[Any]:
        from distributed import wait as dask_wait

        try:
            return set(dask_wait(list(pending), timeout, return_when="FIRST_COMPLETED").done)
        except TimeoutError:
            return set()

    def result(self, future: Any) -> RunResult:
        result = future.result()
        future.release()
        return result

    def stop(self) -> None:
        for thing in self._owned:
            # closing a cluster must not hide the error that stopped the batch
            with suppress(Exception):
                thing.close()


@contextmanager
def engine(executor: Engine | Any | None = None, *, workers: int | None = None,
           scheduler: str | None = None) -> Iterator[_Pool]:
    """An engine for :func:`execute`.

    ``executor``: ``None``/``"local"`` (process pool of ``workers``, default every core),
    ``"dask"`` (the Dask scheduler at ``scheduler``, e.g. ``tcp://10.0.0.5:8786``; without an
    address a ``LocalCluster`` of ``workers`` single-threaded worker processes), or a
    ``distributed.Client`` to use as it is.
    """
    if executor is None or executor == "local":
        count = workers or default_workers()
        if count == 1:
            yield _InlinePool()
        else:
            with _local_pool(count) as local:
                yield local
        return
    pool: _Pool
    if executor == "dask":
        pool = _dask_pool(workers, scheduler)
    elif hasattr(executor, "submit") and hasattr(executor, "nthreads"):
        pool = _DaskPool(executor)
    else:
        raise ValueError(f"executor is 'local', 'dask' or a distributed.Client, not {executor!r}")
    try:
        yield pool
    finally:
        pool.stop()


# The process's local pool, kept between batches; a batch that fails or is interrupted
# terminates it (its workers may be mid-replication) and the next batch starts a new one.
_shared_pool: _LocalPool | None = None
_shared_lock = threading.Lock()


@contextmanager
def _local_pool(workers: int) -> Iterator[_LocalPool]:
    global _shared_pool
    if not _shared_lock.acquire(blocking=False):
        # another thread's batch is using the shared pool: this one gets its own
        private = _LocalPool(workers)
        try:
            yield private
        finally:
            private.stop()
        return
    try:
        if _shared_pool is not None and (_shared_pool.workers != workers
                                         or not _shared_pool.usable):
            _shared_pool.stop()
            _shared_pool = None
        if _shared_pool is None:
            _shared_pool = _LocalPool(workers)
        try:
            yield _shared_pool
        except BaseException:
            _shared_pool.stop()
            _shared_pool = None
            raise
    finally:
        _shared_lock.release()


@atexit.register
def stop_workers() -> None:
    """Let the kept local workers exit (called at interpreter exit; safe to call any time)."""
    global _shared_pool
    if not _shared_lock.acquire(timeout=1.0):
        # another thread is mid-batch (e.g. the dashboard's queue at server shutdown):
        # waiting for it could hang the exit, so its workers are stopped instead
        if _shared_pool is not None:
            _shared_pool.stop()
        return
    try:
        if _shared_pool is not None:
            _shared_pool.close()
            _shared_pool = None
    finally:
        _shared_lock.release()


def _dask_pool(workers: int | None, scheduler: str | None) -> _DaskPool:
    import logging

    from distributed import Client, LocalCluster

    if scheduler:
        try:
            client = Client(scheduler, timeout="20s")
        except OSError as exc:
            raise ConnectionError(f"cannot reach the Dask scheduler at {scheduler}: "
                                  f"{str(exc).splitlines()[0]}") from exc
        return _DaskPool(client, owned=(client,))
    cluster = LocalCluster(n_workers=workers or default_workers(), threads_per_worker=1,
                           processes=True, host="127.0.0.1", dashboard_address=None,
                           silence_logs=logging.ERROR)
    client = Client(cluster)
    return _DaskPool(client, owned=(client, cluster))


# --- the coordinator --------------------------------------------------------------------------

def _identity(request: RunRequest) -> tuple[str, int, tuple[int, ...], int]:
    return (content_hash(request.scenario), request.entropy, request.spawn_key, request.weeks)


def execute(batch: Sequence[RunRequest], *, workers: int | None = None,
            executor: Engine | Any | None = None, scheduler: str | None = None,
            store: ResultsStore | None = None, read_from: Path | str | None = None,
            on_done: OnDone | None = None, reuse: bool = True) -> list[RunResult]:
    """Run a batch of replications and return their results in request order.

    With a ``store``, requests whose runs are already stored (same scenario content, seed,
    spawn key, weeks and :func:`code_version`) are not run again: their tables are read back,
    per-person ones included (runs stored before those were kept come back without them, as
    ``None``). New runs are registered when submitted and written as they finish, by this
    process only; if the batch stops early (an error, Ctrl-C) runs still in flight are marked
    failed, so the next call redoes exactly those. Identical requests in one batch run once.

    ``read_from`` (without a ``store``): a store to read stored runs from without writing it
    (another coordinator holds it, or it is read-only); the other runs are made and not stored.

    ``reuse=False`` runs every request even if stored (for callers that need per-person tables
    that older stored runs lack); stored runs are then not written again.
    ``on_done(request, cached)`` is called once per request, ``cached`` true for a run read
    from the store. See :func:`engine` for ``executor``, ``workers`` and ``scheduler``.
    """
    version = code_version() if store is not None or read_from is not None else ""
    unique: dict[Any, int] = {}  # identity -> index of the first request with it
    for i, request in enumerate(batch):
        unique.setdefault(_identity(request), i)
    results: dict[int, RunResult] = {}
    todo: list[int] = []
    cached = {}
    if reuse and (store is not None or read_from is not None):
        # imported here: workers, which import this module, never need the store's libraries
        from simulation.experiments.stored import stored_results

        ids = {i: run_meta(batch[i], version).run_id for i in unique.values()}
        cached = stored_results(batch, ids, store=store, read_from=read_from)
    for i in unique.values():
        if i in cached:
            results[i] = cached[i]
        else:
            todo.append(i)
    for i in sorted(cached):
        if on_done:
            on_done(batch[i], True)
    if todo:
        # one replication runs here; otherwise the (kept) pool keeps its size between batches
        count = 1 if len(todo) == 1 and executor in (None, "local") else workers
        with engine(executor, workers=count, scheduler=scheduler) as pool:
            _drive(pool, batch, todo, results, store, version, on_done)
    out: list[RunResult] = []
    for request in batch:
        first = results[unique[_identity(request)]]
        out.append(first if request.scenario.name == first.scenario else
                   RunResult(**{**vars(first), "scenario": request.scenario.name}))
    return out


def _drive(pool: _Pool, batch: Sequence[RunRequest], todo: list[int],
           results: dict[int, RunResult], store: ResultsStore | None, version: str,
           on_done: OnDone | None) -> None:
    """Keep the engine busy, store results as they arrive, clean up if stopped."""
    queue = list(reversed(todo))
    in_flight: dict[Any, tuple[int, str | None]] = {}  # future -> (index, run id)
    with _Interrupts() as interrupts:
        try:
            _fill_and_collect(pool, batch, queue, in_flight, results, store, version, on_done,
                              interrupts)
        except BaseException:
            interrupts.shielded = True  # a second Ctrl-C must not cut the clean-up short
            if store is not None:
                for _, run_id in in_flight.values():
                    if run_id is not None:
                        _close_failed(store, run_id)
            raise


def _fill_and_collect(pool: _Pool, batch: Sequence[RunRequest], queue: list[int],
                      in_flight: dict[Any, tuple[int, str | None]],
                      results: dict[int, RunResult], store: ResultsStore | None, version: str,
                      on_done: OnDone | None, interrupts: _Interrupts) -> None:
    from simulation.experiments.store.layout import DETAIL_TABLES

    while queue or in_flight:
        while queue and len(in_flight) < pool.capacity:
            i = queue.pop()
            run_id = None
            try:
                with interrupts.shield():
                    run_id = _begin(store, batch[i], version)
                in_flight[pool.submit(batch[i])] = (i, run_id)
            except BaseException:
                if store is not None and run_id is not None:
                    _close_failed(store, run_id)
                raise
        for future in sorted(pool.wait_some(set(in_flight), 0.5),
                             key=lambda f: in_flight[f][0]):
            i, run_id = in_flight[future]
            result = pool.result(future)
            with interrupts.shield():
                if store is not None and run_id is not None:
                    store.write(run_id, result.weekly, result.summary, result.ledger,
                                {name: getattr(result, name) for name in DETAIL_TABLES})
                    store.finish(run_id)
                del in_flight[future]
                results[i] = result
            if on_done:
                on_done(batch[i], False)


class _Interrupts:
    """Ctrl-C handling for the coordinator: an interrupt that arrives while the registry is
    being updated waits until the update is complete (DuckDB would abandon the statement),
    anywhere else it stops at once."""

    def __init__(self) -> None:
        self.shielded = False
        self.pending = False
        self._installed = False

    def __enter__(self) -> _Interrupts:
        # Only the main thread may handle signals; leave an ignored SIGINT ignored.
        if threading.current_thread() is threading.main_thread() \
                and signal.getsignal(signal.SIGINT) is signal.default_int_handler:
            signal.signal(signal.SIGINT, self._handler)
            self._installed = True
        return self

    def __exit__(self, *exc: object) -> None:
        if self._installed:
            signal.signal(signal.SIGINT, signal.default_int_handler)

    def _handler(self, signum: int, frame: Any) -> None:
        if self.shielded:
            self.pending = True
        else:
            raise KeyboardInterrupt

    @contextmanager
    def shield(self) -> Iterator[None]:
        self.shielded = True
        try:
            yield
        finally:
            self.shielded = False
        if self.pending:
            self.pending = False
            raise KeyboardInterrupt


def _begin(store: ResultsStore | None, request: RunRequest, version: str) -> str | None:
    """Register a run about to start; None when there is no store or it is stored already."""
    if store is None:
        return None
    meta = run_meta(request, version)
    return None if store.has(meta.run_id) else store.begin(meta)


def _close_failed(store: ResultsStore, run_id: str) -> None:
    # e.g. its data landed just now; recover() settles whatever this leaves
    with suppress(Exception):
        store.finish(run_id, "failed")


# --- compatibility ----------------------------------------------------------------------------

def run_many(batch: Sequence[RunRequest], workers: int | None = None,
             on_done: Callable[[RunRequest], None] | None = None) -> list[RunResult]:
    """Run replications on local processes, without a store; results in request order."""
    return execute(batch, workers=workers,
                   on_done=(lambda request, _cached: on_done(request)) if on_done else None)


def iter_results(batch: Sequence[RunRequest], workers: int | None = None,
                 on_done: Callable[[RunRequest], None] | None = None
                 ) -> Iterator[tuple[RunRequest, RunResult]]:
    yield from zip(batch, run_many(batch, workers, on_done), strict=True)
