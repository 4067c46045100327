"""Read-only queries over the store, safe while the coordinator writes it.

A query works on a snapshot: the data folders and registry rows visible at one moment, each
run exactly once (a run in two segments counts in its owner only, see ``segments.py``).
Compaction may delete a file between listing and reading; the query then takes a new snapshot
and tries again. A damaged file never stops a query: its runs are left out of the answer and
listed in :attr:`StoreReader.damaged` (the next coordinator's repair quarantines them).
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal, TypeVar

import duckdb
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulation.experiments.store.files import write_table
from simulation.experiments.store.layout import (
    DEFAULT_ROOT,
    DETAIL_TABLES,
    KEY_COLUMNS,
    RUN_FOLDER,
    SIDECAR,
    Table,
    detail_file,
    partition_name,
    partitions,
    run_folders,
    segment_folders,
)
from simulation.experiments.store.registry import REGISTRY_COLUMNS, TIME_COLUMNS, Row, Status
from simulation.experiments.store.segments import (
    files_readable,
    own_metrics,
    owners,
    read_segment,
    segment_metrics,
)

_READ_RETRIES = 5
_FILE = "_pilotsim_file"  # the column DuckDB adds with each row's file, to hide duplicates

T = TypeVar("T")


@dataclass(frozen=True)
class _Snapshot:
    """The data folders and registry rows visible at one moment, each run exactly once."""

    folders: tuple[Path, ...]
    rows: tuple[Row, ...]
    # (segment, run id): rows a segment holds for a run that another segment owns
    hidden: tuple[tuple[Path, str], ...] = ()
    runs_of: Mapping[Path, tuple[str, ...]] = field(default_factory=dict)

    def files(self, table: Table, run_ids: Sequence[str] | None = None) -> list[str]:
        wanted = set(run_ids) if run_ids is not None else None
        return [
            str(folder / f"{table}.parquet") for folder in self.folders
            if wanted is None or folder.name.startswith("segment-")
            or folder.name.removeprefix("run-") in wanted
        ]

    def hidden_keys(self, table: Table) -> list[str]:
        return [f"{folder / f'{table}.parquet'}\0{run_id}" for folder, run_id in self.hidden]


def _sidecar_rows(root: Path) -> list[Row]:
    rows = []
    for path in sorted((root / "registry").glob("*.json")):
        if not SIDECAR.match(path.name):
            continue  # not the store's
        try:
            row = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            continue  # replaced or removed under us, or damaged: the writer repairs it
        if isinstance(row, dict) and row.get("run_id") == path.stem:
            rows.append(row)
    return rows


def _take_snapshot(root: Path, scenario: str | None, skip: frozenset[Path] = frozenset()
                   ) -> _Snapshot:
    data = root / "data"
    parts = [data / partition_name(scenario)] if scenario is not None else partitions(root)
    parts = [p for p in parts if p.is_dir()]
    # Order matters: loose runs and sidecars first, segments last. Compaction publishes a
    # segment before deleting what it holds, so anything listed early that has moved on is
    # found in a segment listed later.
    loose = {RUN_FOLDER.match(run.name).group(1): run  # type: ignore[union-attr]
             for part in parts for run in run_folders(part) if run not in skip}
    sidecar_rows = _sidecar_rows(root)
    segments = [segment for part in parts for folder in segment_folders(part)
                if folder not in skip and (segment := read_segment(folder)) is not None]
    owner = owners(segments)
    hidden = tuple((segment.folder, run_id) for segment in segments
                   for run_id in segment.run_ids if owner[run_id] != segment.folder)
    segment_rows = [{**row, "location": segment.folder.relative_to(root).as_posix()}
                    for segment in segments for row in segment.rows
                    if owner[row["run_id"]] == segment.folder]
    folders = [*(segment.folder for segment in segments),
               *(run for run_id, run in sorted(loose.items()) if run_id not in owner)]
    rows = [*segment_rows, *(row for row in sidecar_rows if row["run_id"] not in owner)]
    if scenario is not None:
        rows = [row for row in rows if row["scenario"] == scenario]
    runs_of = {segment.folder: tuple(segment.run_ids) for segment in segments}
    return _Snapshot(tuple(folders), tuple(rows), hidden, runs_of)


class _Damaged(Exception):
    """A query met a damaged file; it was set aside, ask again."""


def _identifier(name: str) -> str:
    return '"' + name.replace('"', '""') + '"'


class StoreReader:
    """Read-only queries over a store, safe while a coordinator is writing it.

    Never opens ``registry.duckdb``: it reads the Parquet files and registry sidecars through
    its own in-memory DuckDB connection, so it needs no lock, works on a read-only store, and
    any number may run at once. Runs whose files turn out damaged are left out of every
    answer and collected in :attr:`damaged`.
    """

    def __init__(self, root: Path | str = DEFAULT_ROOT) -> None:
        self.root = Path(root)
        if not (self.root / "data").is_dir():
            raise FileNotFoundError(f"no results store at {self.root}")
        self._con = duckdb.connect()
        self.damaged: set[str] = set()
        self._skip: set[Path] = set()  # data folders with a damaged shared file

    def __enter__(self) -> StoreReader:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def close(self) -> None:
        self._con.close()

    def _snapshot(self, scenario: str | None) -> _Snapshot:
        return _take_snapshot(self.root, scenario, frozenset(self._skip))

    def _retrying(self, query: Callable[[], T]) -> T:
        # A compaction may delete a file between our listing and our read; list again.
        for attempt in range(_READ_RETRIES):
            try:
                return query()
            except (FileNotFoundError, duckdb.IOException):
                if attempt == _READ_RETRIES - 1:
                    raise
        raise AssertionError("unreachable")

    def _set_aside(self, snapshot: _Snapshot, files: Sequence[str]) -> bool:
        """Leave out the folders of the files that cannot be read; True if any were."""
        bad = [Path(name) for name in files if Path(name).exists()
               and not files_readable([Path(name)])]
        for path in bad:
            folder = path.parent
            self._skip.add(folder)
            self.damaged.update(snapshot.runs_of.get(folder, ())
                                or (folder.name.removeprefix("run-"),))
        return bool(bad)

    def _query(self, snapshot: _Snapshot, table: Table, files: list[str], select: str,
               where: str = "TRUE", params: Mapping[str, Any] | None = None,
               tail: str = "") -> pd.DataFrame | None:
        if not files:
            return None
        hidden = snapshot.hidden_keys(table)
        source = "read_parquet($files, union_by_name = true" + (
            f", filename = '{_FILE}')" if hidden else ")")
        if hidden:  # a run in two segments: its rows in the one that does not own it
            where = f"({where}) AND NOT list_contains($hidden, {_FILE} || chr(0) || run_id)"
            params = {**(params or {}), "hidden": hidden}
            select = f"* EXCLUDE ({_FILE})" if select == "*" else select
        sql = f"SELECT {select} FROM {source} WHERE {where} {tail}"
        try:
            return self._con.cursor().execute(sql, {"files": files, **(params or {})}).df()
        except duckdb.Error:
            if self._set_aside(snapshot, files):
                raise _Damaged from None
            raise

    def _querying(self, ask: Callable[[], pd.DataFrame | None]) -> pd.DataFrame | None:
        # each damaged file found takes one more attempt, without it
        while True:
            try:
                return self._retrying(ask)
            except _Damaged:
                continue

    def runs(self, *, scenario: str | None = None, status: Status | None = None,
             batch: str | None = None, code_version: str | None = None) -> pd.DataFrame:
        """The registry: one row per run, filtered by whichever arguments are given."""
        rows = self._retrying(lambda: self._snapshot(scenario).rows)
        frame = pd.DataFrame(list(rows), columns=list(REGISTRY_COLUMNS))
        frame = frame.drop(columns="location")
        for name in TIME_COLUMNS:
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
        # each run's rows in the order the run produced them (a ledger's rows are unique by
        # week, payer, payee, item and scope), not in whatever order DuckDB's threads finish
        order = "ORDER BY run_id" + {"weekly": ", week, scope",
                                     "ledger": ", week, payer, payee, item, scope"}.get(table, "")

        def query() -> pd.DataFrame | None:
            snapshot = self._snapshot(scenario)
            return self._query(snapshot, table, snapshot.files(table, run_ids), select, where,
                               params, order)

        found = self._querying(query)
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

    def _stored_in(self, wanted: set[str], scenario: str | None = None
                   ) -> Iterator[tuple[str, Path]]:
        """(run id, data folder) of the wanted runs stored done and not found damaged."""
        for row in self._snapshot(scenario).rows:
            if row["run_id"] in wanted and row["status"] == "done" and row["location"] \
                    and row["run_id"] not in self.damaged:
                yield row["run_id"], self.root / row["location"]

    def summary_columns(self, run_ids: Sequence[str]) -> dict[str, list[str]]:
        """Each stored run's summary metrics, in the order the run recorded them.

        :meth:`summaries` gives every run read together the columns of all of them (a metric
        one run lacks is missing there); this says which are the run's own: a loose run's
        file has exactly its own, a segment's footer lists each of its runs' (a segment
        written before it did: the columns of all its runs). A run whose file cannot be read
        is missing from the answer and added to :attr:`damaged`.
        """
        wanted = set(run_ids)

        def read() -> dict[str, list[str]]:
            found: dict[str, list[str]] = {}
            by_folder: dict[Path, tuple[list[str], dict[str, list[str]]] | None] = {}
            for run_id, folder in self._stored_in(wanted):
                if folder not in by_folder:
                    try:
                        schema = pq.read_schema(folder / "summary.parquet")
                    except FileNotFoundError:
                        raise  # compacted away under us: list again
                    except (OSError, pa.ArrowException):
                        by_folder[folder] = None
                    else:
                        by_folder[folder] = (
                            own_metrics(schema.names),
                            segment_metrics(schema) or {})
                if by_folder[folder] is None:
                    self.damaged.add(run_id)
                    continue
                names, own = by_folder[folder]
                found[run_id] = own.get(run_id, names)
            return found

        return self._retrying(read)

    def details(self, run_ids: Sequence[str], *, scenario: str | None = None
                ) -> dict[str, dict[str, pd.DataFrame]]:
        """Each run's stored per-person tables by name (:data:`DETAIL_TABLES`).

        A run that is not stored, or whose per-person tables cannot be read (see
        :attr:`damaged`), is missing from the answer; a table a run was stored without is
        missing from its entry (runs stored before per-person tables were kept have an empty
        entry).
        """
        wanted = set(run_ids)

        def read_folder(folder: Path) -> dict[str, pd.DataFrame]:
            # one small file each: ParquetFile reads it in half the time read_table takes
            # (no dataset discovery), and threads only cost here
            tables = {path.name.removeprefix("detail-").removesuffix(".parquet"):
                      pq.ParquetFile(path).read(use_threads=False).to_pandas()
                      for path in sorted(folder.glob(detail_file("*")))}
            if not folder.is_dir():  # compacted away under us: list again
                raise FileNotFoundError(folder)
            return tables

        def read() -> dict[str, dict[str, pd.DataFrame]]:
            found: dict[str, dict[str, pd.DataFrame]] = {}
            for run_id, folder in self._stored_in(wanted, scenario):
                if folder.name.startswith("segment-"):
                    folder = folder / "details" / f"run-{run_id}"
                    if not folder.is_dir():  # stored without per-person tables
                        found[run_id] = {}
                        continue
                try:
                    found[run_id] = read_folder(folder)
                except (OSError, pa.ArrowException) as exc:
                    if isinstance(exc, FileNotFoundError) and not folder.is_dir():
                        raise
                    self.damaged.add(run_id)
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
            snapshot = self._snapshot(scenario)
            return self._query(snapshot, "weekly", snapshot.files("weekly"), select,
                               "scope = $scope", {"scope": scope},
                               "GROUP BY week ORDER BY week")

        found = self._querying(query)
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
