"""The durable results store: where every finished run lands and where readers find it.

One coordinating process owns a :class:`ResultsStore` (the only writer); any number of
:class:`StoreReader` objects, in any process, query while a sweep is writing.

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
  WAL makes it crash safe); the mirror can always be rebuilt from it by :meth:`recover`.
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
  entropy, spawn key, weeks, code version), so a rerun of a sweep skips what :meth:`has` finds.
  A run that is already done can be written again only with identical content.

Run lifecycle: ``begin`` (registry row ``running``) -> ``write`` (data lands; its folder's
footer carries the row) -> ``finish`` (``done``, recorded in the registry), or ``begin`` ->
``finish(status='failed')``. After a crash, ``recover`` settles everything (a 'running' run
without data becomes 'failed', data without a 'done' row is registered) so that the sweep can
simply be run again. Scenario names are percent-encoded in partition names. Note that the run
id does not include the scenario name: two names for identical content share their runs.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
import shutil
import tempfile
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, Literal, TypeVar
from urllib.parse import quote

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

Status = Literal["running", "done", "failed"]
Table = Literal["weekly", "summary", "ledger"]

DEFAULT_ROOT = "pilotsim-results"
COMPACT_EVERY = 500
TABLES: tuple[Table, ...] = ("weekly", "summary", "ledger")
# Per-person and per-provider tables of a run (``RunResult`` fields), stored as they are.
DETAIL_TABLES = ("duration_exits", "cohort", "person_events", "providers", "provider_clients")
LEDGER_COLUMNS = ("week", "payer", "payee", "item", "scope", "amount_eur")
KEY_COLUMNS = ("run_id", "scenario")  # added to every stored table

REGISTRY_COLUMNS = (
    "run_id", "scenario", "scenario_hash", "parameters", "entropy", "spawn_key", "replication",
    "weeks", "code_version", "batch", "tags", "status", "started_at", "finished_at",
    "content_hash", "location",
)
_INT_COLUMNS = {"replication", "weeks"}
_TIME_COLUMNS = ("started_at", "finished_at")
_ROW_SCHEMA = pa.schema(
    [(name, pa.int64() if name in _INT_COLUMNS else pa.string()) for name in REGISTRY_COLUMNS]
)
_REGISTRY_DDL = """
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
_DB_SCHEMA = pa.schema([
    (name, pa.int64() if name in _INT_COLUMNS
     else pa.timestamp("us") if name in _TIME_COLUMNS else pa.string())
    for name in REGISTRY_COLUMNS
])
_INSERT_ROW = f"INSERT INTO runs VALUES ({', '.join('?' * len(REGISTRY_COLUMNS))})"
_UPDATE_ROW = ("UPDATE runs SET " + ", ".join(f"{name} = ?" for name in REGISTRY_COLUMNS[1:])
               + " WHERE run_id = ?")
_RUN_META_KEY = b"pilotsim.run"  # summary.parquet footer: the registry row, for recover()
_SPAWN_KEY = re.compile(r"^\d+(,\d+)*$")
_READ_RETRIES = 5

Row = dict[str, Any]
T = TypeVar("T")


class StoreError(RuntimeError):
    """A store operation that would lose, duplicate or misfile results."""


class ResultConflictError(StoreError):
    """A run that is already stored was written again with different content."""


def spawn_key_text(spawn_key: Sequence[int] | int | str) -> str:
    """The spawn key as registry text: ``(3, 0)`` -> ``'3,0'``."""
    if isinstance(spawn_key, str):
        text = spawn_key.replace(" ", "")
    elif isinstance(spawn_key, int):
        text = str(spawn_key)
    else:
        text = ",".join(str(int(part)) for part in spawn_key)
    if not _SPAWN_KEY.match(text):
        raise ValueError(f"spawn key {spawn_key!r} is not a sequence of non-negative integers")
    return text


def make_run_id(*, scenario_hash: str, entropy: int, spawn_key: Sequence[int] | int | str,
                weeks: int, code_version: str) -> str:
    """Stable id of one replication: the same request always maps to the same id."""
    identity = [scenario_hash, str(int(entropy)), spawn_key_text(spawn_key), int(weeks),
                code_version]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class RunMeta:
    """What the coordinator knows about a run before it starts; its id is derived, not given."""

    scenario: str
    scenario_hash: str
    parameters: Mapping[str, Any]
    entropy: int
    spawn_key: Sequence[int] | int | str
    replication: int
    weeks: int
    code_version: str
    batch: str | None = None
    tags: Mapping[str, Any] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return make_run_id(scenario_hash=self.scenario_hash, entropy=self.entropy,
                           spawn_key=self.spawn_key, weeks=self.weeks,
                           code_version=self.code_version)


@dataclass
class RecoveryReport:
    """What :meth:`ResultsStore.recover` found and did, by run id."""

    temp_removed: list[str] = field(default_factory=list)
    segments_settled: list[str] = field(default_factory=list)  # compaction finished after a crash
    completed: list[str] = field(default_factory=list)  # data was stored; row marked done
    registered: list[str] = field(default_factory=list)  # data without a registry row
    failed: list[str] = field(default_factory=list)  # 'running' without data
    lost: list[str] = field(default_factory=list)  # 'done' but its data is gone
    quarantined: list[str] = field(default_factory=list)  # unreadable run folders moved aside

    @property
    def clean(self) -> bool:
        return not any(vars(self).values())


# --- paths and small file helpers ------------------------------------------------------------

def _partition_name(scenario: str) -> str:
    return "scenario=" + quote(scenario, safe="")


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def _is_segment(location: str | None) -> bool:
    return location is not None and Path(location).name.startswith("segment-")


def _is_loose(row: Row) -> bool:
    """A done run still in its own folder, waiting to be compacted."""
    return row["status"] == "done" and row["location"] is not None \
        and not _is_segment(row["location"])


def _folder_readable(folder: Path, tables: Iterable[str]) -> bool:
    try:
        for table in tables:
            pq.read_metadata(folder / f"{table}.parquet")
    except (OSError, pa.ArrowException):
        return False
    return True


def _json_row(row: Row) -> Row:
    """A registry row as plain JSON values (timestamps as ISO text)."""
    out = dict(row)
    for name in _TIME_COLUMNS:
        if isinstance(out[name], datetime):
            out[name] = out[name].isoformat()
    return out


def _db_row(row: Row) -> Row:
    """A mirrored row back in registry form (timestamps as datetimes)."""
    out = {name: row.get(name) for name in REGISTRY_COLUMNS}
    for name in _TIME_COLUMNS:
        if isinstance(out[name], str):
            out[name] = datetime.fromisoformat(out[name])
    return out


def _content_hash(tables: Mapping[str, pa.Table]) -> str:
    """Digest of a run's results (schema and values), to tell a harmless rewrite from a
    conflicting one."""
    digest = hashlib.sha256()
    for name in (*TABLES, *sorted(set(tables) - set(TABLES))):
        digest.update(name.encode() + b"\0")
        sink = pa.BufferOutputStream()
        with pa.ipc.new_stream(sink, tables[name].schema) as stream:
            stream.write_table(tables[name])
        digest.update(sink.getvalue())
    return digest.hexdigest()


def _run_tables(run_id: str, scenario: str, weekly: pd.DataFrame,
                summary: Mapping[str, float], ledger: pd.DataFrame) -> dict[str, pa.Table]:
    summary_frame = pd.DataFrame({k: [float(v)] for k, v in summary.items()})
    return {
        "weekly": _arrow_table(weekly, run_id, scenario),
        "summary": _arrow_table(summary_frame, run_id, scenario),
        "ledger": _arrow_table(ledger, run_id, scenario),
    }


def _arrow_table(frame: pd.DataFrame, run_id: str, scenario: str) -> pa.Table:
    clash = set(KEY_COLUMNS) & set(map(str, frame.columns))
    if clash:
        raise ValueError(f"result tables must not carry their own {sorted(clash)} columns")
    table = pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    rows = table.num_rows
    table = table.add_column(0, "scenario", pa.array([scenario] * rows, pa.string()))
    return table.add_column(0, "run_id", pa.array([run_id] * rows, pa.string()))


def _check_results(weekly: pd.DataFrame, ledger: pd.DataFrame) -> None:
    missing = {"week", "scope"} - set(weekly.columns)
    if missing:
        raise ValueError(f"weekly table lacks columns {sorted(missing)}")
    missing = set(LEDGER_COLUMNS) - set(ledger.columns)
    if missing:
        raise ValueError(f"ledger lacks columns {sorted(missing)}")


def _detail_file(name: str) -> str:
    return f"detail-{name}.parquet"


def _detail_tables(details: Mapping[str, pd.DataFrame | None] | None) -> dict[str, pa.Table]:
    unknown = set(details or {}) - set(DETAIL_TABLES)
    if unknown:
        raise ValueError(f"unknown per-person tables {sorted(unknown)}")
    # pandas metadata kept: the tables come back with their dtypes
    return {f"detail-{name}": pa.Table.from_pandas(frame, preserve_index=False)
            for name, frame in (details or {}).items() if frame is not None}


def _write_folder(folder: Path, tables: Mapping[str, pa.Table], fsync: bool,
                  copies: Mapping[str, Path] | None = None) -> None:
    """Write ``tables`` as Parquet files and copy ``copies`` (relative name -> file) in."""
    folder.mkdir(parents=True)
    written = []
    for name, table in tables.items():
        pq.write_table(table, folder / f"{name}.parquet")
        written.append(folder / f"{name}.parquet")
    for name, source in (copies or {}).items():
        (folder / name).parent.mkdir(parents=True, exist_ok=True)
        shutil.copyfile(source, folder / name)
        written.append(folder / name)
    if fsync:
        for path in written:
            _fsync(path)
        for directory in sorted({path.parent for path in written}, reverse=True):
            _fsync(directory)


def _rows_table(rows: Sequence[Row]) -> pa.Table:
    return pa.Table.from_pylist([_json_row(row) for row in rows], schema=_ROW_SCHEMA)


# --- the writer -------------------------------------------------------------------------------

class ResultsStore:
    """The coordinator's handle on the store: the only process that writes.

    ``compact_every``: fold a scenario's loose done runs into a segment once this many have
    accumulated (``None``: only on :meth:`compact`). ``fsync``: make each run durable against
    power loss too, not only against the process being killed.
    """

    def __init__(self, root: Path | str = DEFAULT_ROOT, *,
                 compact_every: int | None = COMPACT_EVERY, fsync: bool = True) -> None:
        self.root = Path(root)
        self.compact_every = compact_every
        self.fsync = fsync
        for sub in ("data", "registry", "tmp"):
            (self.root / sub).mkdir(parents=True, exist_ok=True)
        # Fails fast if another coordinator holds the registry: DuckDB's lock keeps one writer.
        self._con = duckdb.connect(str(self.root / "registry.duckdb"))
        self._con.execute(_REGISTRY_DDL)
        # As the only writer we may keep the registry in memory; DuckDB is the durable copy.
        self._registry: dict[str, Row] = {row["run_id"]: row for row in self._select_all()}

    run_id = staticmethod(make_run_id)

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()

    # registry rows

    def _select_all(self) -> list[Row]:
        cursor = self._con.execute("SELECT * FROM runs ORDER BY run_id")
        names = [d[0] for d in cursor.description]
        return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]

    def _get(self, run_id: str) -> Row | None:
        return self._registry.get(run_id)

    def _rows(self, keep: Callable[[Row], bool] = lambda row: True) -> list[Row]:
        return [row for _, row in sorted(self._registry.items()) if keep(row)]

    def _put(self, row: Row) -> None:
        """Upsert a registry row, then mirror it for readers (segment rows live in the segment)."""
        # Plain INSERT / UPDATE: DuckDB's INSERT OR REPLACE costs about twice as much.
        if row["run_id"] in self._registry:
            self._con.execute(_UPDATE_ROW, [*(row[name] for name in REGISTRY_COLUMNS[1:]),
                                            row["run_id"]])
        else:
            self._con.execute(_INSERT_ROW, [row[name] for name in REGISTRY_COLUMNS])
        self._registry[row["run_id"]] = row
        if _is_segment(row["location"]):
            self._sidecar(row["run_id"]).unlink(missing_ok=True)
        else:
            self._mirror(row)

    def _put_many(self, rows: Sequence[Row]) -> None:
        """Upsert many rows in one transaction (compaction, recovery): one statement, not many."""
        self._con.register("incoming_rows", pa.Table.from_pylist(list(rows), schema=_DB_SCHEMA))
        self._con.execute("BEGIN")
        try:
            self._con.execute("DELETE FROM runs WHERE list_contains($ids, run_id)",
                              {"ids": [row["run_id"] for row in rows]})
            self._con.execute("INSERT INTO runs SELECT * FROM incoming_rows")
            self._con.execute("COMMIT")
        except BaseException:
            self._con.execute("ROLLBACK")
            raise
        finally:
            self._con.unregister("incoming_rows")
        for row in rows:
            self._registry[row["run_id"]] = row
            if _is_segment(row["location"]):
                self._sidecar(row["run_id"]).unlink(missing_ok=True)
            else:
                self._mirror(row)

    def _sidecar(self, run_id: str) -> Path:
        return self.root / "registry" / f"{run_id}.json"

    def _mirror(self, row: Row) -> None:
        fd, temp = tempfile.mkstemp(dir=self.root / "registry", prefix=f".{row['run_id']}.",
                                    suffix=".tmp")
        with os.fdopen(fd, "w") as sidecar:
            json.dump(_json_row(row), sidecar)
        os.replace(temp, self._sidecar(row["run_id"]))

    def _data_intact(self, location: str | None) -> bool:
        if location is None:
            return False
        tables = (*TABLES, "runs") if _is_segment(location) else TABLES
        return _folder_readable(self.root / location, tables)

    # the run lifecycle

    def has(self, run_id: str) -> bool:
        """True when the run is done and its data is readable: a rerun may skip it."""
        row = self._get(run_id)
        return row is not None and row["status"] == "done" and self._data_intact(row["location"])

    def begin(self, meta: RunMeta) -> str:
        """Register the run as 'running'; returns its id. A failed run may begin again."""
        run_id = meta.run_id
        row = self._get(run_id)
        if row is not None and row["location"] is not None and self._data_intact(row["location"]):
            raise StoreError(f"run {run_id} already has stored results; check has() first")
        self._put({
            "run_id": run_id, "scenario": meta.scenario, "scenario_hash": meta.scenario_hash,
            "parameters": json.dumps(meta.parameters, sort_keys=True, default=str),
            "entropy": str(int(meta.entropy)), "spawn_key": spawn_key_text(meta.spawn_key),
            "replication": int(meta.replication), "weeks": int(meta.weeks),
            "code_version": meta.code_version, "batch": meta.batch,
            "tags": json.dumps(meta.tags, sort_keys=True, default=str), "status": "running",
            "started_at": _now(), "finished_at": None, "content_hash": None, "location": None,
        })
        return run_id

    def write(self, run_id: str, weekly: pd.DataFrame, summary: Mapping[str, float],
              ledger: pd.DataFrame,
              details: Mapping[str, pd.DataFrame | None] | None = None) -> Path:
        """Store a run's results atomically; returns its data folder.

        ``details``: the run's per-person tables by name (:data:`DETAIL_TABLES`); ``None``
        values are not stored. Writing identical content again is a no-op; different content
        is a :class:`ResultConflictError`, never an overwrite.
        """
        row = self._get(run_id)
        if row is None:
            raise StoreError(f"run {run_id} is not registered; call begin() first")
        _check_results(weekly, ledger)
        tables = {**_run_tables(run_id, row["scenario"], weekly, summary, ledger),
                  **_detail_tables(details)}
        digest = _content_hash(tables)
        if row["content_hash"] is not None:
            return self._same_content(row, digest)
        if row["status"] != "running":
            raise StoreError(f"run {run_id} is {row['status']}; call begin() first")
        location = f"data/{_partition_name(row['scenario'])}/run-{run_id}"
        row = {**row, "content_hash": digest, "location": location}
        folder = self.root / location
        if folder.exists():  # written before a crash, registry not yet told
            stored = _stored_row(folder)
            if stored is None or stored["content_hash"] != digest:
                raise ResultConflictError(f"run {run_id}: {folder} holds different results")
        else:
            meta = json.dumps(_json_row({**row, "status": "done"})).encode()
            tables["summary"] = tables["summary"].replace_schema_metadata({_RUN_META_KEY: meta})
            self._stage_and_publish(folder, tables)
        # The registry learns of the data in finish(); the folder's footer carries the row
        # for recover() should we be killed in between.
        self._registry[run_id] = row
        return folder

    def _same_content(self, row: Row, digest: str) -> Path:
        if row["content_hash"] != digest:
            raise ResultConflictError(
                f"run {row['run_id']} is already stored with different results; "
                "a changed model needs a new code_version")
        return self.root / row["location"]

    def _stage_and_publish(self, folder: Path, tables: Mapping[str, pa.Table],
                           copies: Mapping[str, Path] | None = None) -> None:
        staging = Path(tempfile.mkdtemp(dir=self.root / "tmp")) / folder.name
        _write_folder(staging, tables, self.fsync, copies)
        folder.parent.mkdir(parents=True, exist_ok=True)
        os.replace(staging, folder)  # the moment the data appears to readers
        shutil.rmtree(staging.parent)
        if self.fsync:
            _fsync(folder.parent)

    def finish(self, run_id: str, status: Status = "done") -> None:
        """Close a run as 'done' (its results written) or 'failed' (none written)."""
        row = self._get(run_id)
        if row is None:
            raise StoreError(f"run {run_id} is not registered")
        if status == "done" and row["location"] is None:
            raise StoreError(f"run {run_id} has no stored results; call write() first")
        if status == "failed" and row["location"] is not None:
            raise StoreError(f"run {run_id} has stored results; it cannot be marked failed")
        if status not in ("done", "failed"):
            raise ValueError(f"a run finishes 'done' or 'failed', not {status!r}")
        if row["status"] == status:
            return
        self._put({**row, "status": status, "finished_at": _now()})
        if status == "done" and self.compact_every:
            loose = sum(1 for r in self._registry.values()
                        if r["scenario"] == row["scenario"] and _is_loose(r))
            if loose >= self.compact_every:
                self.compact(row["scenario"])

    # compaction

    def compact(self, scenario: str | None = None) -> list[Path]:
        """Fold loose done runs into one new segment per scenario; returns the segments."""
        by_scenario: dict[str, list[Row]] = {}
        for row in self._rows(lambda r: _is_loose(r) and scenario in (None, r["scenario"])):
            by_scenario.setdefault(row["scenario"], []).append(row)
        return [self._compact_rows(rows) for rows in by_scenario.values()]

    def _compact_rows(self, rows: list[Row]) -> Path:
        run_ids = sorted(row["run_id"] for row in rows)
        name = "segment-" + hashlib.sha256(",".join(run_ids).encode()).hexdigest()[:16]
        location = f"data/{_partition_name(rows[0]['scenario'])}/{name}"
        folders = [self.root / row["location"] for row in rows]
        tables = {
            table: pa.concat_tables(
                [pq.read_table(folder / f"{table}.parquet") for folder in folders],
                promote_options="permissive").replace_schema_metadata(None)
            for table in TABLES
        }
        details = {f"details/{folder.name}/{path.name}": path
                   for folder in folders for path in sorted(folder.glob(_detail_file("*")))}
        settled = [{**row, "location": location} for row in rows]
        tables["runs"] = _rows_table(settled)
        # Same runs, same name: a segment already there was published before a crash.
        if not (self.root / location).exists():
            self._stage_and_publish(self.root / location, tables, details)
        # The segment is now visible and readers prefer it; the rest is bookkeeping that
        # recover() redoes if we are killed here.
        self._put_many(settled)
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
        return self.root / location

    # crash recovery

    def recover(self) -> RecoveryReport:
        """Settle the store after a crash; call it when a coordinator starts.

        Removes staging leftovers, finishes interrupted compactions, marks runs whose data
        landed as done (registering them if the row is missing), marks 'running' runs without
        data as failed (so a rerun redoes them), and rebuilds the readers' mirror.
        """
        report = RecoveryReport()
        self._clear_staging(report)
        segment_ids = self._settle_segments(report)
        self._settle_loose_runs(segment_ids, report)
        self._settle_rows(report)
        self._rebuild_mirror(segment_ids)
        return report

    def _clear_staging(self, report: RecoveryReport) -> None:
        for leftover in sorted((self.root / "tmp").iterdir()):
            if leftover.is_dir():
                shutil.rmtree(leftover)
            else:
                leftover.unlink()
            report.temp_removed.append(leftover.name)
        for temp in (self.root / "registry").glob(".*.tmp"):
            temp.unlink()
            report.temp_removed.append(temp.name)

    def _settle_segments(self, report: RecoveryReport) -> set[str]:
        segment_ids: set[str] = set()
        for segment in sorted((self.root / "data").glob("scenario=*/segment-*")):
            location = segment.relative_to(self.root).as_posix()
            unsettled = []
            for stored in pq.read_table(segment / "runs.parquet").to_pylist():
                row = {**_db_row(stored), "status": "done", "location": location}
                segment_ids.add(row["run_id"])
                current = self._get(row["run_id"])
                if current is None or current["location"] != location \
                        or current["status"] != "done":
                    unsettled.append(row)
                loose = segment.parent / f"run-{row['run_id']}"
                if loose.exists():
                    shutil.rmtree(loose)
            if unsettled:
                self._put_many(unsettled)
                report.segments_settled.extend(row["run_id"] for row in unsettled)
        return segment_ids

    def _settle_loose_runs(self, segment_ids: set[str], report: RecoveryReport) -> None:
        for folder in sorted((self.root / "data").glob("scenario=*/run-*")):
            run_id = folder.name.removeprefix("run-")
            if run_id in segment_ids:
                continue
            stored = _stored_row(folder)
            if stored is None:
                quarantine = self.root / "quarantine"
                quarantine.mkdir(exist_ok=True)
                os.replace(folder, quarantine / f"{folder.name}-{_now():%Y%m%dT%H%M%S}")
                report.quarantined.append(run_id)
                continue
            location = folder.relative_to(self.root).as_posix()
            current = self._get(run_id)
            if current is None:
                self._put({**stored, "status": "done", "location": location,
                           "finished_at": stored["finished_at"] or _now()})
                report.registered.append(run_id)
            elif current["status"] != "done" or current["location"] != location \
                    or current["content_hash"] != stored["content_hash"]:
                self._put({**current, "status": "done", "location": location,
                           "content_hash": stored["content_hash"],
                           "finished_at": current["finished_at"] or _now()})
                report.completed.append(run_id)

    def _settle_rows(self, report: RecoveryReport) -> None:
        for row in self._rows(lambda r: r["status"] != "failed"):
            if self._data_intact(row["location"]):
                continue
            self._put({**row, "status": "failed", "finished_at": _now(),
                       "content_hash": None, "location": None})
            (report.lost if row["status"] == "done" else report.failed).append(row["run_id"])

    def _rebuild_mirror(self, segment_ids: set[str]) -> None:
        keep = set()
        for row in self._rows():
            if row["run_id"] not in segment_ids:
                self._mirror(row)
                keep.add(row["run_id"])
        for sidecar in (self.root / "registry").glob("*.json"):
            if sidecar.stem not in keep:
                sidecar.unlink()


def _stored_row(folder: Path) -> Row | None:
    """The registry row a run folder carries in its summary footer; None if unreadable."""
    if not _folder_readable(folder, TABLES):
        return None
    metadata = pq.read_schema(folder / "summary.parquet").metadata or {}
    if _RUN_META_KEY not in metadata:
        return None
    return _db_row(json.loads(metadata[_RUN_META_KEY]))


# --- readers ----------------------------------------------------------------------------------

@dataclass(frozen=True)
class _Snapshot:
    """The data folders and registry rows visible at one moment, each run exactly once."""

    folders: tuple[Path, ...]
    rows: tuple[Row, ...]

    def files(self, table: Table, run_ids: Sequence[str] | None = None) -> list[str]:
        wanted = set(run_ids) if run_ids is not None else None
        return [
            str(folder / f"{table}.parquet") for folder in self.folders
            if wanted is None or folder.name.startswith("segment-")
            or folder.name.removeprefix("run-") in wanted
        ]


def _take_snapshot(root: Path, scenario: str | None) -> _Snapshot:
    data = root / "data"
    partitions = [data / _partition_name(scenario)] if scenario is not None \
        else sorted(data.glob("scenario=*"))
    partitions = [p for p in partitions if p.is_dir()]
    # Order matters: loose runs and sidecars first, segments last. Compaction publishes a
    # segment before deleting what it holds, so anything listed early that has moved on is
    # found in a segment listed later.
    loose = {run.name.removeprefix("run-"): run
             for part in partitions for run in part.glob("run-*")}
    sidecar_rows = [json.loads(p.read_text()) for p in sorted((root / "registry").glob("*.json"))]
    segments = sorted(segment for part in partitions for segment in part.glob("segment-*"))
    segment_rows = [row for segment in segments
                    for row in pq.read_table(segment / "runs.parquet").to_pylist()]
    in_segments = {row["run_id"] for row in segment_rows}
    folders = [*segments, *(run for run_id, run in sorted(loose.items())
                            if run_id not in in_segments)]
    rows = [*segment_rows, *(row for row in sidecar_rows if row["run_id"] not in in_segments)]
    if scenario is not None:
        rows = [row for row in rows if row["scenario"] == scenario]
    return _Snapshot(tuple(folders), tuple(rows))


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class StoreReader:
    """Read-only queries over a store, safe while a coordinator is writing it.

    Never opens ``registry.duckdb``: it reads the Parquet files and registry sidecars through
    its own in-memory DuckDB connection, so it needs no lock and any number may run at once.
    """

    def __init__(self, root: Path | str = DEFAULT_ROOT) -> None:
        self.root = Path(root)
        if not (self.root / "data").is_dir():
            raise FileNotFoundError(f"no results store at {self.root}")
        self._con = duckdb.connect()

    def __enter__(self) -> StoreReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()

    def _retrying(self, query: Callable[[], T]) -> T:
        # A compaction may delete a file between our listing and our read; list again.
        for attempt in range(_READ_RETRIES):
            try:
                return query()
            except (FileNotFoundError, duckdb.IOException):
                if attempt == _READ_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def _query(self, files: list[str], select: str, where: str = "TRUE",
               params: Mapping[str, Any] | None = None, tail: str = "") -> pd.DataFrame | None:
        if not files:
            return None
        sql = (f"SELECT {select} FROM read_parquet($files, union_by_name = true) "
               f"WHERE {where} {tail}")
        return self._con.cursor().execute(sql, {"files": files, **(params or {})}).df()

    def runs(self, *, scenario: str | None = None, status: Status | None = None,
             batch: str | None = None, code_version: str | None = None) -> pd.DataFrame:
        """The registry: one row per run, filtered by whichever arguments are given."""
        rows = self._retrying(lambda: _take_snapshot(self.root, scenario).rows)
        frame = pd.DataFrame(list(rows), columns=list(REGISTRY_COLUMNS))
        frame = frame.drop(columns="location")
        for name in _TIME_COLUMNS:
            frame[name] = pd.to_datetime(frame[name], utc=True)
        for name, wanted in (("status", status), ("batch", batch),
                             ("code_version", code_version)):
            if wanted is not None:
                frame = frame[frame[name] == wanted]
        return frame.sort_values(["scenario", "started_at", "run_id"]).reset_index(drop=True)

    def _table(self, table: Table, run_ids: Sequence[str] | None, scenario: str | None,
               select: str = "*", where: str = "TRUE",
               params: Mapping[str, Any] | None = None) -> pd.DataFrame:
        if run_ids is not None:
            where, params = f"({where}) AND list_contains($run_ids, run_id)", \
                {**(params or {}), "run_ids": list(run_ids)}
        order = "ORDER BY run_id" + (", week, scope" if table == "weekly" else "")

        def query() -> pd.DataFrame | None:
            snapshot = _take_snapshot(self.root, scenario)
            return self._query(snapshot.files(table, run_ids), select, where, params, order)

        found = self._retrying(query)
        return found if found is not None else pd.DataFrame(columns=list(KEY_COLUMNS))

    def weekly(self, run_ids: Sequence[str] | None = None, *, scenario: str | None = None,
               metrics: Sequence[str] | None = None, scope: str | None = None) -> pd.DataFrame:
        """Weekly rows (run_id, scenario, week, scope, metrics...) of the chosen runs."""
        select = "*" if metrics is None else ", ".join(
            _identifier(c) for c in (*KEY_COLUMNS, "week", "scope", *metrics))
        where, params = ("scope = $scope", {"scope": scope}) if scope else ("TRUE", {})
        return self._table("weekly", run_ids, scenario, select, where, params)

    def summaries(self, run_ids: Sequence[str] | None = None, *,
                  scenario: str | None = None) -> pd.DataFrame:
        """End-of-run metrics, one row per run."""
        return self._table("summary", run_ids, scenario)

    def ledger(self, run_ids: Sequence[str] | None = None, *,
               scenario: str | None = None) -> pd.DataFrame:
        """Ledger rows (who paid whom, for what) of the chosen runs."""
        return self._table("ledger", run_ids, scenario)

    def details(self, run_ids: Sequence[str], *, scenario: str | None = None
                ) -> dict[str, dict[str, pd.DataFrame]]:
        """Each run's stored per-person tables by name (:data:`DETAIL_TABLES`).

        A run that is not stored is missing from the answer; a table a run was stored
        without is missing from its entry (runs stored before per-person tables were kept
        have an empty entry).
        """
        wanted = set(run_ids)

        def read_folder(folder: Path) -> dict[str, pd.DataFrame]:
            tables = {path.name.removeprefix("detail-").removesuffix(".parquet"):
                      pq.read_table(path).to_pandas()
                      for path in sorted(folder.glob(_detail_file("*")))}
            if not folder.is_dir():  # compacted away under us: list again
                raise FileNotFoundError(folder)
            return tables

        def read() -> dict[str, dict[str, pd.DataFrame]]:
            found: dict[str, dict[str, pd.DataFrame]] = {}
            for row in _take_snapshot(self.root, scenario).rows:
                if row["run_id"] not in wanted or row["status"] != "done" \
                        or not row["location"]:
                    continue
                folder = self.root / row["location"]
                if _is_segment(row["location"]):
                    folder = folder / "details" / f"run-{row['run_id']}"
                    if not folder.is_dir():  # stored without per-person tables
                        found[row["run_id"]] = {}
                        continue
                found[row["run_id"]] = read_folder(folder)
            return found

        return self._retrying(read)

    def band_by_week(self, scenario: str, metric: str, *, scope: str = "region",
                     low: float = 0.1, high: float = 0.9) -> pd.DataFrame:
        """Mean and [low, high] quantile band of ``metric`` by week across a scenario's runs.

        Columns: week, runs (runs with a value that week), mean, low, high. Quantiles
        interpolate linearly between order statistics (as ``numpy.quantile``).
        """
        if not 0.0 <= low <= high <= 1.0:
            raise ValueError(f"need 0 <= low <= high <= 1, got {low}, {high}")
        column = _identifier(metric)
        select = (f"week, count({column}) AS runs, avg({column}) AS mean, "
                  f"quantile_cont({column}, {float(low)!r}) AS low, "
                  f"quantile_cont({column}, {float(high)!r}) AS high")

        def query() -> pd.DataFrame | None:
            files = _take_snapshot(self.root, scenario).files("weekly")
            return self._query(files, select, "scope = $scope", {"scope": scope},
                               "GROUP BY week ORDER BY week")

        found = self._retrying(query)
        if found is None:
            return pd.DataFrame(columns=["week", "runs", "mean", "low", "high"])
        return found

    def export(self, run_ids: Sequence[str], path: Path | str, *, table: str = "weekly",
               fmt: Literal["csv", "parquet"] = "csv", overwrite: bool = False) -> Path:
        """Write one table of the chosen runs to ``path``; an existing file is kept unless
        ``overwrite`` is true."""
        target = Path(path)
        if fmt not in ("csv", "parquet"):
            raise ValueError(f"export format is 'csv' or 'parquet', not {fmt!r}")
        if target.exists() and not overwrite:
            raise FileExistsError(f"{target} exists; pass overwrite=True to replace it")
        frame = self.detail_table(table, run_ids) if table in DETAIL_TABLES \
            else self._table(table, list(run_ids), None)
        write_table(frame, target, fmt, overwrite)
        return target

    def detail_table(self, name: str, run_ids: Sequence[str]) -> pd.DataFrame:
        """One per-person table of the chosen runs, stacked, with run_id and scenario first."""
        if name not in DETAIL_TABLES:
            raise ValueError(f"per-person tables are {', '.join(DETAIL_TABLES)}, not {name!r}")
        scenarios = self.runs().set_index("run_id")["scenario"]
        found = self.details(run_ids)
        parts = [frame.assign(run_id=run_id, scenario=scenarios[run_id])
                 for run_id in run_ids if (frame := found.get(run_id, {}).get(name)) is not None]
        if not parts:
            return pd.DataFrame(columns=list(KEY_COLUMNS))
        stacked = pd.concat(parts, ignore_index=True)
        return stacked[[*KEY_COLUMNS, *(c for c in stacked.columns if c not in KEY_COLUMNS)]]


def write_table(frame: pd.DataFrame, target: Path, fmt: str, overwrite: bool) -> None:
    """Write a table through a temporary file; without ``overwrite`` never replace a file,
    not even one that appears while writing."""
    fd, temp = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    os.close(fd)
    try:
        if fmt == "csv":
            frame.to_csv(temp, index=False)
        else:
            frame.to_parquet(temp, index=False)
        if overwrite:
            os.replace(temp, target)
        else:
            try:
                os.link(temp, target)  # fails if the target appeared meanwhile: no clobber
            except FileExistsError:
                raise FileExistsError(
                    f"{target} exists; pass overwrite=True to replace it") from None
    finally:
        Path(temp).unlink(missing_ok=True)
