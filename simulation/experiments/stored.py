"""Reading stored runs back as results, for :func:`simulation.experiments.runner.execute`.

Two ways in: as the store's writer (the coordinator's registry says which runs are done), or
as a reader only (``read_from``: the store is busy with another coordinator or read-only, so
what is stored is read and the rest is run without being stored). Either way a run whose files
turn out damaged is not returned, so it is run again; the writer also sets its data aside
(:meth:`~simulation.experiments.store.writer.ResultsStore.discard`) so the new run can be
stored in its place.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pandas as pd

from simulation.engine.results import RunResult
from simulation.experiments.statistics import is_money
from simulation.experiments.store.layout import KEY_COLUMNS, LEDGER_COLUMNS
from simulation.experiments.store.reader import StoreReader

if TYPE_CHECKING:
    from simulation.experiments.runner import RunRequest
    from simulation.experiments.store.writer import ResultsStore


def stored_results(batch: Sequence[RunRequest], run_ids: Mapping[int, str], *,
                   store: ResultsStore | None = None, read_from: Path | str | None = None
                   ) -> dict[int, RunResult]:
    """Results of the requests (by index, with their run ids) that the store holds intact."""
    root = store.root if store is not None else read_from
    if root is None:
        return {}
    try:
        reader = StoreReader(root)
    except FileNotFoundError:  # nothing stored yet
        return {}
    with reader:
        if store is not None:
            found = {i: run_id for i, run_id in run_ids.items() if store.has(run_id)}
        else:
            done = set(reader.runs(status="done")["run_id"])
            found = {i: run_id for i, run_id in run_ids.items() if run_id in done}
        if not found:
            return {}
        wanted = sorted(set(found.values()))
        tables = {name: getattr(reader, name)(wanted)
                  for name in ("weekly", "summaries", "ledger")}
        metrics = reader.summary_columns(wanted)
        details = reader.details(wanted)
        damaged = set(reader.damaged)
    parts = {name: dict(iter(frame.groupby("run_id", sort=False)))
             for name, frame in tables.items()}
    if store is not None:
        for run_id in sorted(damaged & set(wanted)):
            store.discard(run_id)  # set aside, so that the rerun can be stored

    def part(name: str, run_id: str) -> pd.DataFrame:
        if run_id not in parts[name]:  # a run without ledger rows paid nothing
            return pd.DataFrame(columns=list(LEDGER_COLUMNS))
        return parts[name][run_id].drop(columns=list(KEY_COLUMNS)).reset_index(drop=True)

    out = {}
    for i, run_id in found.items():
        if run_id in damaged or run_id not in parts["summaries"] \
                or run_id not in parts["weekly"] or run_id not in details \
                or run_id not in metrics:
            continue  # not readable after all: run it again
        request = batch[i]
        summary_row = part("summaries", run_id).iloc[0]
        extra = dict(details[run_id])
        out[i] = RunResult(
            scenario=request.scenario.name, replication=request.replication,
            entropy=request.entropy, spawn_key=request.spawn_key,
            weekly=part("weekly", run_id), ledger=part("ledger", run_id),
            duration_exits=extra.pop("duration_exits", pd.DataFrame()),
            summary=stored_summary(summary_row, metrics[run_id]), **extra)
    return out


def stored_summary(row: Mapping[str, Any], metrics: Sequence[str]) -> dict[str, float]:
    """A run's summary as read back from the store, as the run gave it.

    Summaries come back with the columns of every run read with them; ``metrics`` are the
    run's own (:meth:`~simulation.experiments.store.reader.StoreReader.summary_columns`), in
    its order. A segment's file has the metrics of all its runs, so there a cost or fee that
    the run never paid comes back missing too; it is left out as the run left it out, so that
    it counts as 0 € (``metric_value``), not as missing (its paired effect would be missing).
    """
    return {name: float(row[name]) for name in metrics
            if not (is_money(name) and math.isnan(float(row[name])))}
