"""The coordinator's writer: the DuckDB run registry, the run lifecycle and compaction (the
store's layout and its reasons are in ``layout.py``, crash recovery in ``recovery.py``).

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
from pathlib import Path

import pandas as pd
import pyarrow as pa
import pyarrow.compute as pc
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
    quarantine,
    segment_folders,
)
from simulation.experiments.store.opening import claim, open_registry
from simulation.experiments.store.recovery import RecoveryReport, recover
from simulation.experiments.store.registry import (
    DB_SCHEMA,
    INSERT_ROW,
    REGISTRY_COLUMNS,
    RUN_META_KEY,
    UPDATE_ROW,
    Row,
    Status,
    db_row,
    json_row,
    now,
    rows_table,
    stored_row,
)
from simulation.experiments.store.segments import (
    Segment,
    files_readable,
    own_metrics,
    owners,
    read_segment,
    run_folder_intact,
    segment_metrics,
    segment_tables_intact,
    with_metrics,
)

COMPACT_EVERY = 500


class StoreError(RuntimeError):
    """A store operation that would lose, duplicate or misfile results."""


class ResultConflictError(StoreError):
    """A run that is already stored was written again with different content."""


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
        # Refuses (StoreRefusal) a folder that is not a store and may not become one.
        claim(self.root)
        # DuckDB's lock keeps one writer; a damaged registry is moved to quarantine/ and
        # started afresh (``registry_rebuilt`` says where it went; recover() refills it).
        self._con, rows, self.registry_rebuilt = open_registry(self.root)
        # As the only writer we may keep the registry in memory; DuckDB is the durable copy.
        self._registry: dict[str, Row] = {row["run_id"]: row for row in rows}

    run_id = staticmethod(make_run_id)

    def __enter__(self) -> ResultsStore:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()

    # registry rows

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
        if not rows:
            return
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
            "started_at": now(), "finished_at": None, "content_hash": None, "location": None,
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
            stored = stored_row(folder) if run_folder_intact(folder) else None
            if stored is None:  # damaged, not different: set it aside and write afresh
                quarantine(self.root, folder)
            elif stored["content_hash"] != digest:
                raise ResultConflictError(f"run {run_id}: {folder} holds different results")
        if not folder.exists():
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
        self._put({**row, "status": status, "finished_at": now()})
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
        made = (self._compact_rows(rows) for rows in by_scenario.values())
        return [segment for segment in made if segment is not None]

    def _compact_rows(self, rows: list[Row]) -> Path | None:
        partition = self.root / "data" / partition_name(rows[0]["scenario"])
        # A run that a segment already holds (one published before a crash the registry
        # never heard of) is settled there, never compacted a second time.
        held = owners([seg for folder in segment_folders(partition)
                       if (seg := read_segment(folder)) is not None
                       and segment_tables_intact(folder)])
        already = [row for row in rows if row["run_id"] in held]
        if already:
            self._settle_in_segments(already, held)
        fresh = []
        for row in rows:
            if row["run_id"] in held:
                continue
            if run_folder_intact(self.root / row["location"]):
                fresh.append(row)
            else:  # damaged since it was written: never fold it into a segment
                self.discard(row["run_id"])
        if not fresh:
            return None
        folders = [self.root / row["location"] for row in fresh]
        read = {table: [pq.read_table(folder / f"{table}.parquet") for folder in folders]
                for table in TABLES}
        tables = {table: pa.concat_tables(parts, promote_options="permissive")
                  .replace_schema_metadata(None) for table, parts in read.items()}
        tables["summary"] = with_metrics(tables["summary"], {
            row["run_id"]: own_metrics(part.column_names)
            for row, part in zip(fresh, read["summary"], strict=True)})
        details = {f"details/{folder.name}/{path.name}": path
                   for folder in folders for path in sorted(folder.glob(detail_file("*")))}
        segment = self._publish_segment(fresh, tables, details)
        # The segment is now visible and readers prefer it; the rest is bookkeeping that
        # recover() redoes if we are killed here.
        for folder in folders:
            shutil.rmtree(folder, ignore_errors=True)
        return segment

    def _settle_in_segments(self, rows: Sequence[Row], held: Mapping[str, Path]) -> None:
        """Point rows at the segment that holds their run; drop their loose copies."""
        self._put_many([{**row, "status": "done",
                         "location": held[row["run_id"]].relative_to(self.root).as_posix()}
                        for row in rows])
        for row in rows:
            loose = held[row["run_id"]].parent / f"run-{row['run_id']}"
            if loose.is_dir():
                shutil.rmtree(loose)

    def _publish_segment(self, rows: Sequence[Row], tables: dict[str, pa.Table],
                         details: Mapping[str, Path]) -> Path:
        """Publish a segment of ``rows`` (whose data is ``tables`` and ``details``) and point
        the registry at it. Same runs, same name: a readable segment already there was
        published before a crash and is kept; a damaged one is set aside first."""
        run_ids = sorted(row["run_id"] for row in rows)
        name = "segment-" + hashlib.sha256(",".join(run_ids).encode()).hexdigest()[:16]
        location = f"data/{partition_name(rows[0]['scenario'])}/{name}"
        settled = [{**row, "status": "done", "location": location} for row in rows]
        tables = {**tables, "runs": rows_table(settled)}
        folder = self.root / location
        if folder.exists() and not (segment_tables_intact(folder) and files_readable(
                folder.glob(f"details/*/{detail_file('*')}"))):
            quarantine(self.root, folder)
        if not folder.exists():
            stage_and_publish(self.root / "tmp", folder, tables, self.fsync, details)
        self._put_many(settled)
        return folder

    def rewrite_segment(self, segment: Segment, drop: set[str]) -> Path | None:
        """Publish ``segment`` without the runs in ``drop`` (the rest keep their data and
        registry rows, in a new segment); returns it, or None when nothing is left. The old
        folder is left for the caller to remove or quarantine."""
        keep = [db_row(row) for row in segment.rows if row["run_id"] not in drop]
        if not keep:
            return None
        wanted = pa.array(sorted(row["run_id"] for row in keep))
        tables = {}
        for table in TABLES:
            data = pq.read_table(segment.folder / f"{table}.parquet")
            tables[table] = data.filter(pc.is_in(data["run_id"], wanted))
        metrics = segment_metrics(tables["summary"].schema)
        if metrics is not None:
            tables["summary"] = with_metrics(tables["summary"], {
                row["run_id"]: metrics[row["run_id"]] for row in keep
                if row["run_id"] in metrics})
        details = {f"details/run-{row['run_id']}/{path.name}": path for row in keep
                   for path in sorted(segment.details(row["run_id"]).glob(detail_file("*")))}
        return self._publish_segment(keep, tables, details)

    # damaged data

    def discard(self, run_id: str) -> None:
        """A done run whose data turned out damaged: set its data aside (a loose folder to
        quarantine/, or the run out of its segment) and mark it failed, so it is run again."""
        row = self._get(run_id)
        if row is None or row["location"] is None:
            return
        folder = self.root / row["location"]
        if is_segment(row["location"]):
            segment = read_segment(folder)
            if segment is not None and run_id in segment.run_ids:
                self.split_segment(segment, {run_id})
        elif folder.exists():
            quarantine(self.root, folder)
        self._fail_where(row["location"], {run_id})

    def split_segment(self, segment: Segment, damaged: set[str]) -> Path:
        """Keep a segment's readable runs in a new segment and quarantine the old folder;
        when its shared tables cannot be read after all, the whole segment goes, and all its
        runs are marked failed. Returns where the old folder went."""
        try:
            self.rewrite_segment(segment, damaged)
        except (OSError, pa.ArrowException):  # damage the footers did not show
            damaged = set(segment.run_ids)
        location = segment.folder.relative_to(self.root).as_posix()
        moved = quarantine(self.root, segment.folder)
        self._fail_where(location, damaged)
        return moved

    def _fail_where(self, location: str | None, run_ids: set[str]) -> None:
        """Mark failed the runs (of ``run_ids``) the registry still places at ``location``."""
        self._put_many([{**row, "status": "failed", "finished_at": now(),
                         "content_hash": None, "location": None}
                        for row in self._rows(lambda r: r["location"] == location
                                              and r["run_id"] in run_ids)])

    # crash recovery

    def recover(self) -> RecoveryReport:
        """Settle the store after a crash; call it when a coordinator starts (see
        :mod:`simulation.experiments.store.recovery`)."""
        return recover(self)
