"""The results store on disk: its folders and tables, and why it has this shape.

One coordinating process owns a :class:`~simulation.experiments.store.writer.ResultsStore`
(the only writer); any number of :class:`~simulation.experiments.store.reader.StoreReader`
objects, in any process, query while a sweep is writing.

On disk (``root`` defaults to ``./pilotsim-results``)::

    pilotsim-store.json                     the store's mark and format version (see opening.py)
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
    tmp/stage-*/                            staging; whatever is here after a crash is garbage
    quarantine/<name>-<time>-<random>/      damaged or conflicting folders found by repair, and
                                            a damaged registry; kept for inspection, never read

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

Scenario names are percent-encoded in partition names (a long one is shortened and suffixed
with a digest, so any name fits the file system's limit). Note that the run id does not include
the scenario name: two names for identical content share their runs.
"""

from __future__ import annotations

import hashlib
import os
import re
import secrets
import time
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Literal
from urllib.parse import quote

Table = Literal["weekly", "summary", "ledger"]

DEFAULT_ROOT = "pilotsim-results"
TABLES: tuple[Table, ...] = ("weekly", "summary", "ledger")
# Per-person and per-provider tables of a run (``RunResult`` fields), stored as they are.
DETAIL_TABLES = ("duration_exits", "cohort", "person_events", "providers", "provider_clients")
LEDGER_COLUMNS = ("week", "payer", "payee", "item", "scope", "amount_eur")
KEY_COLUMNS = ("run_id", "scenario")  # added to every stored table

MARKER = "pilotsim-store.json"
STAGING_PREFIX = "stage-"
# What the store itself creates at its top level; nothing else there is ever touched.
OWN_ENTRIES = frozenset({MARKER, "registry.duckdb", "registry.duckdb.wal", "data", "registry",
                         "tmp", "quarantine"})
# Names the store gives its folders and files: anything else under data/, registry/ or tmp/
# is not the store's, and recovery leaves it alone.
RUN_FOLDER = re.compile(r"^run-([0-9a-f]{16})$")
SEGMENT_FOLDER = re.compile(r"^segment-[0-9a-f]{16}$")
SIDECAR = re.compile(r"^([0-9a-f]{16})\.json$")
SIDECAR_TEMP = re.compile(r"^\.[0-9a-f]{16}\..+\.tmp$")
_PARTITION_BYTES = 120  # well below the usual 255-byte limit on one name


def partition_name(scenario: str) -> str:
    """The scenario's partition folder under ``data/``."""
    encoded = quote(scenario, safe="")
    if len(encoded) > _PARTITION_BYTES:  # shortened, kept distinct by a digest of the name
        digest = hashlib.sha256(scenario.encode()).hexdigest()[:16]
        cut = encoded[:_PARTITION_BYTES - 17]
        escape = cut.rfind("%", len(cut) - 2)  # do not split a %XX escape
        encoded = (cut[:escape] if escape >= 0 else cut) + "~" + digest
    return "scenario=" + encoded


def run_folders(partition: Path) -> list[Path]:
    """A partition's loose run folders, in name order (only names the store gives)."""
    return sorted(p for p in partition.glob("run-*") if RUN_FOLDER.match(p.name))


def segment_folders(partition: Path) -> list[Path]:
    """A partition's segments, in name order: for a run held by more than one segment (a
    compaction repeated after a crash), the first one holds it."""
    return sorted(p for p in partition.glob("segment-*") if SEGMENT_FOLDER.match(p.name))


def partitions(root: Path) -> list[Path]:
    return sorted(p for p in (root / "data").glob("scenario=*") if p.is_dir())


def quarantine(root: Path, path: Path) -> Path:
    """Move a damaged or conflicting file or folder aside, under a name no other can have."""
    folder = root / "quarantine"
    folder.mkdir(exist_ok=True)
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S.%f")
    while True:
        target = folder / f"{path.name}-{stamp}-{secrets.token_hex(4)}"
        if not os.path.lexists(target):
            break
    os.rename(path, target)
    return target


def is_segment(location: str | None) -> bool:
    """True when a data folder (relative to root) is a compacted segment."""
    return location is not None and Path(location).name.startswith("segment-")


def detail_file(name: str) -> str:
    """File name of a per-person table (``*`` gives the glob of them all)."""
    return f"detail-{name}.parquet"


def folder_readable(folder: Path, tables: Iterable[str]) -> bool:
    """True when every named table of a data folder has a readable Parquet footer."""
    return all(footer_readable(folder / f"{table}.parquet") for table in tables)


# Files whose footer this process has read, with the stat they had then. Writing a file
# (truncation included) changes its size or times, and a replaced file has a new inode, so an
# unchanged stat means an unchanged footer: opening a store, asking what it holds and reading
# it back each check every file, and a check is a stat instead of a footer read after the
# first. File times tick coarsely (a few ms), so only files last changed a while before the
# check are remembered: a write in the same tick as the one checked could keep its times
# (git's "racy clean" files).
_READ_FOOTERS: dict[Path, tuple[int, int, int, int]] = {}
_MAX_REMEMBERED = 200_000
_SETTLED_NS = 2_000_000_000


def footer_readable(path: Path) -> bool:
    """True when ``path`` is a Parquet file with a readable footer (what truncation breaks)."""
    # imported here: the layout's names are wanted where Arrow is not (the CLI's options)
    import pyarrow as pa
    import pyarrow.parquet as pq

    try:
        stat = path.stat()
        key = (stat.st_ino, stat.st_size, stat.st_mtime_ns, stat.st_ctime_ns)
        if _READ_FOOTERS.get(path) == key:
            return True
        pq.read_metadata(path)
    except (OSError, pa.ArrowException):
        _READ_FOOTERS.pop(path, None)
        return False
    if time.time_ns() - max(stat.st_mtime_ns, stat.st_ctime_ns) > _SETTLED_NS:
        if len(_READ_FOOTERS) >= _MAX_REMEMBERED:
            _READ_FOOTERS.clear()
        _READ_FOOTERS[path] = key
    return True
