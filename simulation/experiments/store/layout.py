"""The results store on disk: its folders and tables, and why it has this shape.

One coordinating process owns a :class:`~simulation.experiments.store.writer.ResultsStore`
(the only writer); any number of :class:`~simulation.experiments.store.reader.StoreReader`
objects, in any process, query while a sweep is writing.

On disk (``root`` defaults to ``./pilotsim-results``)::

    registry.duckdb                         run registry; opened by the coordinator only
    registry/<run_id>.json                  reader mirror of each registry row not yet in a segment
    data/scenario=<name>/run-<run_id>/      one run, as it arrives: weekly, summary and
        weekly.parquet summary.parquet      ledger Parquet files (each with run_id and
        ledger.parquet                      scenario columns)
        detail-<name>.parquet               per-person tables, when the run has them
    data/scenario=<name>/segment-<hash>/    many done runs compacted together: the same three
        weekly.parquet summary.parquet      tables plus runs.parquet, their registry rows,
        ledger.parquet runs.parquet         and each run's per-person tables unchanged in
        details/run-<run_id>/               their own folder
    tmp/                                    staging; whatever is here after a crash is garbage
    quarantine/                             unreadable run folders found by recover()

Why this shape:

- **Readers never open the DuckDB file.** DuckDB lets one process write a database file and
  refuses other openers while it does. So every registry change is mirrored to a small JSON
  sidecar (temp file + ``os.replace``), and readers use an in-memory DuckDB connection over the
  Parquet files and sidecars. ``registry.duckdb`` stays the coordinator's source of truth (its
  WAL makes it crash safe); the mirror can always be rebuilt from it by ``recover()``.
- **Atomic arrival.** A run's files are written into ``tmp/`` and the folder is renamed
  into its partition, so a reader sees either the whole run or nothing; a SIGKILL at any moment
  leaves at most a stale folder in ``tmp/``.
- **Compaction for fast queries.** Every run first lands in its own folder (the architecture's
  "one Parquet file per run"). Opening 10,000 small files costs DuckDB about 3 s, so once
  ``compact_every`` done runs of a scenario are loose, the coordinator folds them into one
  segment (write + rename, then update the registry, then delete the loose folders and
  sidecars). Readers list loose folders *before* segments and skip any loose run a segment
  already holds, so a run is never counted twice; a file deleted under a reader makes it retry.
- **Per-person tables ride along.** A run's per-person tables (cohort outcomes, job events,
  provider clients...; :data:`DETAIL_TABLES`) are read one run at a time, never scanned across
  runs, so they stay one small file each, also inside a segment. A table a run does not have
  is simply absent, which tells "none" apart from "no rows".
- **Resumable.** ``run_id`` hashes what determines a run's output (scenario content, seed
  entropy, spawn key, weeks, code version), so a rerun of a sweep skips what ``has()`` finds.
  A run that is already done can be written again only with identical content.

Scenario names are percent-encoded in partition names. Note that the run id does not include
the scenario name: two names for identical content share their runs.
"""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path
from typing import Literal
from urllib.parse import quote

import pyarrow as pa
import pyarrow.parquet as pq

Table = Literal["weekly", "summary", "ledger"]

DEFAULT_ROOT = "pilotsim-results"
TABLES: tuple[Table, ...] = ("weekly", "summary", "ledger")
# Per-person and per-provider tables of a run (``RunResult`` fields), stored as they are.
DETAIL_TABLES = ("duration_exits", "cohort", "person_events", "providers", "provider_clients")
LEDGER_COLUMNS = ("week", "payer", "payee", "item", "scope", "amount_eur")
KEY_COLUMNS = ("run_id", "scenario")  # added to every stored table


def partition_name(scenario: str) -> str:
    """The scenario's partition folder under ``data/``."""
    return "scenario=" + quote(scenario, safe="")


def is_segment(location: str | None) -> bool:
    """True when a data folder (relative to root) is a compacted segment."""
    return location is not None and Path(location).name.startswith("segment-")


def detail_file(name: str) -> str:
    """File name of a per-person table (``*`` gives the glob of them all)."""
    return f"detail-{name}.parquet"


def folder_readable(folder: Path, tables: Iterable[str]) -> bool:
    """True when every named table of a data folder has a readable Parquet footer."""
    try:
        for table in tables:
            pq.read_metadata(folder / f"{table}.parquet")
    except (OSError, pa.ArrowException):
        return False
    return True
