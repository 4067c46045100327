"""The coordinator's writer: the DuckDB run registry, the run lifecycle, compaction and
crash recovery (the store's layout and its reasons are in ``layout.py``).

Run lifecycle: ``begin`` (registry row ``running``) -> ``write`` (data lands; its folder's
footer carries the row) -> ``finish`` (``done``, recorded in the registry), or ``begin`` ->
``finish(status='failed')``. After a crash, ``recover`` settles everything (a 'running' run
without data becomes 'failed', data without a 'done' row is registered) so that the sweep can
simply be run again.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulation.experiments.store.files import (
    check_results,
    content_hash,
    detail_tables,
    run_tables,
    stage_and_publish,
)
from simulation.experiments.store.identity import RunMeta, make_run_id, spawn_key_text
from simulation.experiments.store.layout import (
    DEFAULT_ROOT,
    TABLES,
    detail_file,
    folder_readable,
    is_segment,
    partition_name,
)
from simulation.experiments.store.registry import (
    DB_SCHEMA,
    INSERT_ROW,
    REGISTRY_COLUMNS,
    REGISTRY_DDL,
    RUN_META_KEY,
    UPDATE_ROW,
    Row,
    Status,
    db_row,
    json_row,
    rows_table,
    stored_row,
)

COMPACT_EVERY = 500


class StoreError(RuntimeError):
    """A store operation that would lose, duplicate or misfile results."""


class ResultConflictError(StoreError):
    """A run that is already stored was written again with different content."""


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


def _now() -> datetime:
    return datetime.now(UTC).replace(tzinfo=None)


def _is_loose(row: Row) -> bool:
    """A done run still in its own folder, waiting to be compacted."""
    return row["status"] == "done" and row["location"] is not None \
        and not is_segment(row["location"])


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
        self._con.execute(REGISTRY_DDL)
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
            self._con.execute(UPDATE_ROW, [*(row[name] for name in REGISTRY_COLUMNS[1:]),
                                           row["run_id"]])
        else:
            self._con.execute(INSERT_ROW, [row[name] for name in REGISTRY_COLUMNS])
        self._registry[row["run_id"]] = row
        if is_segment(row["location"]):
            self._sidecar(row["run_id"]).unlink(missing_ok=True)
        else:
            self._mirror(row)

    def _put_many(self, rows: Sequence[Row]) -> None:
        """Upsert many rows in one transaction (compaction, recovery): one statement, not many."""
        self._con.register("incoming_rows", pa.Table.from_pylist(list(rows), schema=DB_SCHEMA))
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
            if is_segment(row["location"]):
                self._sidecar(row["run_id"]).unlink(missing_ok=True)
            else:
                self._mirror(row)

    def _sidecar(self, run_id: str) -> Path:
        return self.root / "registry" / f"{run_id}.json"

    def _mirror(self, row: Row) -> None:
        fd, temp = tempfile.mkstemp(dir=self.root / "registry", prefix=f".{row['run_id']}.",
                                    suffix=".tmp")
        with os.fdopen(fd, "w") as sidecar:
            json.dump(json_row(row), sidecar)
        os.replace(temp, self._sidecar(row["run_id"]))

    def _data_intact(self, location: str | None) -> bool:
        if location is None:
            return False
        tables = (*TABLES, "runs") if is_segment(location) else TABLES
        return folder_readable(self.root / location, tables)

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
        check_results(weekly, ledger)
        tables = {**run_tables(run_id, row["scenario"], weekly, summary, ledger),
                  **detail_tables(details)}
        digest = content_hash(tables)
        if row["content_hash"] is not None:
            return self._same_content(row, digest)
        if row["status"] != "running":
            raise StoreError(f"run {run_id} is {row['status']}; call begin() first")
        location = f"data/{partition_name(row['scenario'])}/run-{run_id}"
        row = {**row, "content_hash": digest, "location": location}
        folder = self.root / location
        if folder.exists():  # written before a crash, registry not yet told
            stored = stored_row(folder)
            if stored is None or stored["content_hash"] != digest:
                raise ResultConflictError(f"run {run_id}: {folder} holds different results")
        else:
            meta = json.dumps(json_row({**row, "status": "done"})).encode()
            tables["summary"] = tables["summary"].replace_schema_metadata({RUN_META_KEY: meta})
            stage_and_publish(self.root / "tmp", folder, tables, self.fsync)
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
        location = f"data/{partition_name(rows[0]['scenario'])}/{name}"
        folders = [self.root / row["location"] for row in rows]
        tables = {
            table: pa.concat_tables(
                [pq.read_table(folder / f"{table}.parquet") for folder in folders],
                promote_options="permissive").replace_schema_metadata(None)
            for table in TABLES
        }
        details = {f"details/{folder.name}/{path.name}": path
                   for folder in folders for path in sorted(folder.glob(detail_file("*")))}
        settled = [{**row, "location": location} for row in rows]
        tables["runs"] = rows_table(settled)
        # Same runs, same name: a segment already there was published before a crash.
        if not (self.root / location).exists():
            stage_and_publish(self.root / "tmp", self.root / location, tables, self.fsync,
                              details)
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
                row = {**db_row(stored), "status": "done", "location": location}
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
            stored = stored_row(folder)
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
