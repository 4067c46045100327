"""A run's registry row: its columns, the DuckDB table, and the forms readers see.

The coordinator keeps every row in ``registry.duckdb``. Readers never open that file: they see
a row as a JSON sidecar (``registry/<run_id>.json``) or, once the run is compacted, in its
segment's ``runs.parquet``; a run folder's summary footer carries the row for ``recover()``.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal

import pyarrow as pa
import pyarrow.parquet as pq

from simulation.experiments.store.layout import TABLES, folder_readable

Status = Literal["running", "done", "failed"]
Row = dict[str, Any]

REGISTRY_COLUMNS = (
    "run_id", "scenario", "scenario_hash", "parameters", "entropy", "spawn_key", "replication",
    "weeks", "code_version", "batch", "tags", "status", "started_at", "finished_at",
    "content_hash", "location",
)
_INT_COLUMNS = {"replication", "weeks"}
TIME_COLUMNS = ("started_at", "finished_at")
# A row in Parquet (segment runs.parquet): timestamps as ISO text, like the JSON sidecars.
_ROW_SCHEMA = pa.schema(
    [(name, pa.int64() if name in _INT_COLUMNS else pa.string()) for name in REGISTRY_COLUMNS]
)
REGISTRY_DDL = """
CREATE TABLE IF NOT EXISTS runs (
    run_id        VARCHAR PRIMARY KEY,
    scenario      VARCHAR NOT NULL,
    scenario_hash VARCHAR NOT NULL,
    parameters    VARCHAR NOT NULL,  -- resolved parameters, JSON text
    entropy       VARCHAR NOT NULL,  -- SeedSequence entropy; may exceed 64 bits
    spawn_key     VARCHAR NOT NULL,  -- '3' or '3,0'
    replication   INTEGER NOT NULL,
    weeks         INTEGER NOT NULL,
    code_version  VARCHAR NOT NULL,
    batch         VARCHAR,           -- sweep or batch label
    tags          VARCHAR NOT NULL,  -- free JSON, e.g. the sweep point's parameter values
    status        VARCHAR NOT NULL CHECK (status IN ('running', 'done', 'failed')),
    started_at    TIMESTAMP NOT NULL,  -- UTC
    finished_at   TIMESTAMP,           -- UTC
    content_hash  VARCHAR,           -- digest of the written tables
    location      VARCHAR            -- data folder relative to root, once written
)
"""
# Rows in registry form, for DuckDB to insert many at once.
DB_SCHEMA = pa.schema([
    (name, pa.int64() if name in _INT_COLUMNS
     else pa.timestamp("us") if name in TIME_COLUMNS else pa.string())
    for name in REGISTRY_COLUMNS
])
INSERT_ROW = f"INSERT INTO runs VALUES ({', '.join('?' * len(REGISTRY_COLUMNS))})"
UPDATE_ROW = ("UPDATE runs SET " + ", ".join(f"{name} = ?" for name in REGISTRY_COLUMNS[1:])
              + " WHERE run_id = ?")
RUN_META_KEY = b"pilotsim.run"  # summary.parquet footer: the registry row, for recover()
# a segment's summary.parquet footer: each run's own summary metrics, in its order (the file
# has the columns of all its runs)
METRICS_KEY = b"pilotsim.metrics"


def now() -> datetime:
    """Registry time: UTC, without a time zone (DuckDB's TIMESTAMP)."""
    return datetime.now(UTC).replace(tzinfo=None)


def json_row(row: Row) -> Row:
    """A registry row as plain JSON values (timestamps as ISO text)."""
    out = dict(row)
    for name in TIME_COLUMNS:
        if isinstance(out[name], datetime):
            out[name] = out[name].isoformat()
    return out


def db_row(row: Row) -> Row:
    """A mirrored row back in registry form (timestamps as datetimes)."""
    out = {name: row.get(name) for name in REGISTRY_COLUMNS}
    for name in TIME_COLUMNS:
        if isinstance(out[name], str):
            out[name] = datetime.fromisoformat(out[name])
    return out


def rows_table(rows: Sequence[Row]) -> pa.Table:
    """Registry rows as a segment's ``runs.parquet`` table."""
    return pa.Table.from_pylist([json_row(row) for row in rows], schema=_ROW_SCHEMA)


def stored_row(folder: Path) -> Row | None:
    """The registry row a run folder carries in its summary footer; None if unreadable."""
    if not folder_readable(folder, TABLES):
        return None
    metadata = pq.read_schema(folder / "summary.parquet").metadata or {}
    if RUN_META_KEY not in metadata:
        return None
    return db_row(json.loads(metadata[RUN_META_KEY]))
