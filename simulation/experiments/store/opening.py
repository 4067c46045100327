"""Opening a store: which folders may become one, and why opening the registry failed.

A store is marked by a small version file (:data:`~.layout.MARKER`). pilotsim makes a new
store only in a missing or empty folder (a ``calibration/`` folder, where ``pilotsim
calibrate`` keeps its study by default, may already be there), adopts a store made before
the mark existed (``registry.duckdb`` and ``data/`` and nothing foreign), and refuses any
other folder: the store's repair deletes its own leftovers, so it must never run in a folder
that holds someone else's files.

Opening the registry can fail for three different reasons, each told as it is: another
coordinator holds it (:class:`StoreBusyError`), the store cannot be written
(:class:`StoreReadOnlyError`), or the file is damaged (then the writer moves it to
``quarantine/`` and rebuilds the registry from the stored runs).
"""

from __future__ import annotations

import errno
import json
import os
import re
import tempfile
from contextlib import suppress
from pathlib import Path
from typing import TYPE_CHECKING

from simulation.experiments.store.layout import MARKER, OWN_ENTRIES, quarantine
from simulation.experiments.store.registry import REGISTRY_COLUMNS, REGISTRY_DDL, Row

if TYPE_CHECKING:
    import duckdb

STORE_FORMAT = 1
_MARK = {"pilotsim": "results store", "format": STORE_FORMAT}
# Entries a folder may already hold when it becomes a store (calibrate's default study).
_WELCOME = frozenset({"calibration"})
_LOCK = re.compile(r"Could not set lock|Conflicting lock")
_PID = re.compile(r"\(PID (\d+)\)")


class StoreRefusal(RuntimeError):
    """The store cannot be opened as asked; the message is one line that names the folder."""


class NotAStoreError(StoreRefusal):
    """The folder holds other things and is not a pilotsim results store."""


class StoreBusyError(StoreRefusal):
    """Another process is writing the store (DuckDB's lock on the registry)."""


class StoreReadOnlyError(StoreRefusal):
    """The store, or the folder it would be made in, cannot be written."""


def _why(exc: OSError) -> str:
    return exc.strerror or str(exc)


def _read_mark(root: Path) -> None:
    try:
        mark = json.loads((root / MARKER).read_text(encoding="utf-8"))
        version = int(mark["format"])
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise NotAStoreError(f"{root}: its store mark {MARKER} is unreadable ({exc}); "
                             "it is left as it is") from None
    if version > STORE_FORMAT:
        raise NotAStoreError(f"{root}: a results store of format {version}, newer than this "
                             f"pilotsim reads ({STORE_FORMAT}); update pilotsim")


def is_store(root: Path) -> bool:
    """True when ``root`` is a marked store, or an unmarked one from before the mark."""
    try:
        return (root / MARKER).is_file() or _legacy(root)
    except OSError:
        return False


def _entries(root: Path) -> set[str]:
    # a marker being written when a process was killed is ours, not a foreign file
    return {entry.name for entry in root.iterdir() if not entry.name.startswith(f".{MARKER}.")}


def _legacy(root: Path) -> bool:
    entries = _entries(root)
    return {"registry.duckdb", "data"} <= entries and entries <= OWN_ENTRIES | _WELCOME


def _write_mark(root: Path) -> None:
    fd, temp = tempfile.mkstemp(dir=root, prefix=f".{MARKER}.", suffix=".tmp")
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(_MARK, handle)
    os.replace(temp, root / MARKER)


def check_folder(root: Path) -> bool:
    """Refuse a folder that is not, and may not become, a store; True when it is one."""
    try:
        if not root.exists():
            return False
        if not root.is_dir():
            raise NotAStoreError(f"{root}: is a file, not a results store folder")
        if (root / MARKER).exists():
            _read_mark(root)
            return True
        entries = _entries(root)
    except OSError as exc:
        if exc.errno == errno.ENAMETOOLONG:
            raise NotAStoreError(f"{str(root)[:60]}...: path too long") from None
        raise StoreReadOnlyError(f"{root}: the results store cannot be read "
                                 f"({_why(exc)})") from None
    if _legacy(root):
        return True
    foreign = sorted(entries - _WELCOME)
    if foreign:
        raise NotAStoreError(
            f"{root}: not a pilotsim results store and not empty (it holds {foreign[0]!r}"
            f"{' and more' if len(foreign) > 1 else ''}); pass --store with a new or empty "
            "folder")
    return False


def claim(root: Path) -> None:
    """Make ``root`` a store (mark it, create its folders) or check that it is one."""
    known = check_folder(root)
    try:
        if not known:
            root.mkdir(parents=True, exist_ok=True)
        if not (root / MARKER).exists():
            _write_mark(root)  # a new store, or one made before the mark existed
        for sub in ("data", "registry", "tmp"):
            (root / sub).mkdir(exist_ok=True)
    except OSError as exc:
        if exc.errno in (errno.EACCES, errno.EPERM, errno.EROFS):
            raise StoreReadOnlyError(f"{root}: the results store cannot be written here "
                                     f"({_why(exc)}); pass --store DIR or --no-store") from None
        raise StoreReadOnlyError(f"{root}: the results store cannot be made here "
                                 f"({_why(exc)})") from None
    writable = [root, root / "data", root / "registry", root / "tmp"]
    registry = root / "registry.duckdb"
    if registry.exists():
        writable.append(registry)
    for path in writable:
        if not os.access(path, os.W_OK):
            raise StoreReadOnlyError(f"{root}: the results store is read-only ({path.name} is "
                                     "not writable); readers can use it, runs cannot be stored")


def busy_or_broken(root: Path, exc: Exception) -> StoreRefusal | None:
    """What an error opening ``registry.duckdb`` means: busy, read-only, or (None) damaged."""
    text = str(exc)
    if _LOCK.search(text):
        pid = _PID.search(text)
        by = f" (PID {pid.group(1)})" if pid else ""
        return StoreBusyError(f"{root}: the results store is in use by another pilotsim "
                              f"run{by}")
    if re.search(r"Permission denied|Read-only file system", text):
        return StoreReadOnlyError(f"{root}: the results store is read-only "
                                  f"({text.splitlines()[0]})")
    return None


class _RegistryShapeError(Exception):
    """registry.duckdb holds a runs table this code does not know."""


def _select_all(con: duckdb.DuckDBPyConnection) -> list[Row]:
    cursor = con.execute("SELECT * FROM runs ORDER BY run_id")
    names = [d[0] for d in cursor.description]
    if tuple(names) != REGISTRY_COLUMNS:
        raise _RegistryShapeError(f"registry columns {names}")
    return [dict(zip(names, values, strict=True)) for values in cursor.fetchall()]


def open_registry(root: Path) -> tuple[duckdb.DuckDBPyConnection, list[Row], str]:
    """Connect to ``registry.duckdb`` as the one writer and read its rows.

    Returns the connection, the rows, and where a damaged registry was moved (``""`` when
    it was fine): a damaged one goes to quarantine/ and an empty one takes its place, which
    ``recover()`` refills from the stored runs. Busy and read-only are refusals.
    """
    import duckdb  # here: a run without a store, and its refusals, need no DuckDB

    path = root / "registry.duckdb"
    con = None
    try:
        con = duckdb.connect(str(path))
        con.execute(REGISTRY_DDL)
        return con, _select_all(con), ""
    except (duckdb.Error, _RegistryShapeError) as exc:
        refusal = busy_or_broken(root, exc)
        if refusal is not None:
            raise refusal from None
    if con is not None:
        with suppress(Exception):
            con.close()
    moved = ""
    for name in ("registry.duckdb", "registry.duckdb.wal"):
        if (root / name).exists():
            target = quarantine(root, root / name).relative_to(root).as_posix()
            moved = moved or target
    con = duckdb.connect(str(path))
    con.execute(REGISTRY_DDL)
    return con, [], moved
