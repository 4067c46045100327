"""Running replications: seeds, one replication, and many in parallel.

Replication *i* of a request is seeded by child *i* of
``SeedSequence(seed)``, so any run can be rebuilt alone, and a scenario and its
baseline use the same children (common random numbers). Replications are
independent, so results do not depend on how many workers run them or in
which order they finish: they are always returned in replication order.
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator, Sequence
from concurrent.futures import ProcessPoolExecutor, as_completed
from dataclasses import dataclass

import numpy as np

from simulation.model import RegionalLabourMarket
from simulation.parameters import Scenario
from simulation.results import (
    RunResult,
    cohort_outcomes,
    extra_tables,
    initial_cohort,
    summarise,
)


@dataclass(frozen=True)
class RunRequest:
    """One replication of one scenario."""
    scenario: Scenario
    entropy: int
    replication: int
    weeks: int

    @property
    def spawn_key(self) -> tuple[int, ...]:
        return (self.replication,)

    def seed_sequence(self) -> np.random.SeedSequence:
        return np.random.SeedSequence(self.entropy, spawn_key=self.spawn_key)


def requests(scenario: Scenario, replications: int, seed: int,
             weeks: int | None = None) -> list[RunRequest]:
    """The replications of a scenario; the same seed gives the same children."""
    return [RunRequest(scenario, seed, i, weeks or scenario.weeks) for i in range(replications)]


def run_replication(request: RunRequest) -> RunResult:
    """Build, run and summarise one replication; free the model afterwards."""
    model = RegionalLabourMarket(request.scenario, rng=request.seed_sequence())
    try:
        cohort = initial_cohort(model)
        model.run(request.weeks)
        weekly = model.metrics.frame()
        return RunResult(
            scenario=request.scenario.name, replication=request.replication,
            entropy=request.entropy, spawn_key=request.spawn_key, weekly=weekly,
            ledger=model.ledger.to_frame(), duration_exits=model.metrics.duration_exit_frame(),
            summary=summarise(model, weekly), cohort=cohort_outcomes(model, cohort),
            **extra_tables(model))
    finally:
        model.release()


def default_workers() -> int:
    return max(1, os.cpu_count() or 1)


def run_many(batch: Sequence[RunRequest], workers: int | None = None,
             on_done: Callable[[RunRequest], None] | None = None) -> list[RunResult]:
    """Run replications on local processes; results come back in request order."""
    return [result for _, result in iter_results(batch, workers, on_done)]


def iter_results(batch: Sequence[RunRequest], workers: int | None = None,
                 on_done: Callable[[RunRequest], None] | None = None
                 ) -> Iterator[tuple[RunRequest, RunResult]]:
    workers = min(workers or default_workers(), max(1, len(batch)))
    results: dict[int, RunResult] = {}
    if workers == 1:
        for i, request in enumerate(batch):
            results[i] = run_replication(request)
            if on_done:
                on_done(request)
    else:
        with ProcessPoolExecutor(max_workers=workers) as pool:
            futures = {pool.submit(run_replication, r): i for i, r in enumerate(batch)}
            try:
                for future in as_completed(futures):
                    i = futures[future]
                    results[i] = future.result()
                    if on_done:
                        on_done(batch[i])
            except BaseException:
                for future in futures:
                    future.cancel()
                raise
    for i, request in enumerate(batch):
        yield request, results[i]
