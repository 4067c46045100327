"""Writing files: a run's tables and their digest, atomic publication into the store, and the
no-clobber table writer behind exports.

Everything is written beside its destination (``tmp/`` or a temporary file) and renamed into
place, so a reader, or a crash, never meets half a file.
"""

from __future__ import annotations

import hashlib
import os
import shutil
import tempfile
from collections.abc import Mapping
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.parquet as pq

from simulation.experiments.outputs import write_output
from simulation.experiments.store.layout import (
    DETAIL_TABLES,
    KEY_COLUMNS,
    LEDGER_COLUMNS,
    STAGING_PREFIX,
    TABLES,
)


def _fsync(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


# --- a run's tables ---------------------------------------------------------------------------

def check_results(weekly: pd.DataFrame, ledger: pd.DataFrame) -> None:
    """Refuse a run whose weekly table or ledger lacks the columns readers rely on."""
    missing = {"week", "scope"} - set(weekly.columns)
    if missing:
        raise ValueError(f"weekly table lacks columns {sorted(missing)}")
    missing = set(LEDGER_COLUMNS) - set(ledger.columns)
    if missing:
        raise ValueError(f"ledger lacks columns {sorted(missing)}")


def run_tables(run_id: str, scenario: str, weekly: pd.DataFrame,
               summary: Mapping[str, float], ledger: pd.DataFrame) -> dict[str, pa.Table]:
    """The run's weekly, summary and ledger tables, each with run_id and scenario columns."""
    # one row of floats; each column an array as from_pandas makes it (NaN as null)
    summary_table = pa.Table.from_arrays(
        [pa.array(np.array([float(v)]), from_pandas=True) for v in summary.values()],
        names=[str(k) for k in summary])
    return {
        "weekly": _arrow_table(_from_pandas(weekly), run_id, scenario),
        "summary": _arrow_table(summary_table, run_id, scenario),
        "ledger": _arrow_table(_from_pandas(ledger), run_id, scenario),
    }


def _from_pandas(frame: pd.DataFrame) -> pa.Table:
    """``pa.Table.from_pandas(frame, preserve_index=False)`` without its pandas metadata:
    every column converted as from_pandas converts it, without the per-column bookkeeping
    that cost most of a run's store write."""
    names = [str(c) for c in frame.columns]
    if not names or len(set(names)) < len(names):  # from_pandas says what is wrong
        return pa.Table.from_pandas(frame, preserve_index=False).replace_schema_metadata(None)
    return pa.Table.from_arrays([pa.array(column, from_pandas=True)
                                 for _, column in frame.items()], names=names)


def _arrow_table(table: pa.Table, run_id: str, scenario: str) -> pa.Table:
    clash = set(KEY_COLUMNS) & set(table.column_names)
    if clash:
        raise ValueError(f"result tables must not carry their own {sorted(clash)} columns")
    rows = table.num_rows
    table = table.add_column(0, "scenario", pa.array([scenario] * rows, pa.string()))
    return table.add_column(0, "run_id", pa.array([run_id] * rows, pa.string()))


def detail_tables(details: Mapping[str, pd.DataFrame | None] | None) -> dict[str, pa.Table]:
    """The run's per-person tables by file stem (``detail-<name>``); ``None`` ones left out."""
    unknown = set(details or {}) - set(DETAIL_TABLES)
    if unknown:
        raise ValueError(f"unknown per-person tables {sorted(unknown)}")
    # pandas metadata kept: the tables come back with their dtypes. One thread: a pool
    # started for a table of a few thousand rows costs more than it saves
    return {f"detail-{name}": pa.Table.from_pandas(frame, preserve_index=False, nthreads=1)
            for name, frame in (details or {}).items() if frame is not None}


def content_hash(tables: Mapping[str, pa.Table]) -> str:
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


# --- publishing a data folder -----------------------------------------------------------------

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


def stage_and_publish(staging: Path, folder: Path, tables: Mapping[str, pa.Table], fsync: bool,
                      copies: Mapping[str, Path] | None = None) -> None:
    """Write a data folder under ``staging`` (the store's ``tmp/``) and rename it into place:
    readers see the whole folder or nothing."""
    staged = Path(tempfile.mkdtemp(dir=staging, prefix=STAGING_PREFIX)) / folder.name
    _write_folder(staged, tables, fsync, copies)
    folder.parent.mkdir(parents=True, exist_ok=True)
    os.replace(staged, folder)  # the moment the data appears to readers
    shutil.rmtree(staged.parent)
    if fsync:
        _fsync(folder.parent)


# --- exports ----------------------------------------------------------------------------------

def write_table(frame: pd.DataFrame, target: Path, fmt: str, overwrite: bool) -> None:
    """Write a table through a temporary file (see :mod:`simulation.experiments.outputs`):
    without ``overwrite`` never replace a file, not even one that appears while writing, and
    never replace anything but a regular file."""
    def write(temp: Path) -> None:
        if fmt == "csv":
            frame.to_csv(temp, index=False)
        else:
            frame.to_parquet(temp, index=False)

    write_output(target, write, overwrite)
