"""The durable results store: where every finished run lands and where readers find it.

``layout`` (the folders on disk, and why), ``identity`` (run ids), ``registry`` (a run's
registry row), ``files`` (writing a run's files atomically; the no-clobber table writer),
``writer`` (:class:`ResultsStore`, the one writer, with compaction and recovery) and
``reader`` (:class:`StoreReader`). The names below are re-exported for convenience.
"""

from __future__ import annotations

import importlib
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from simulation.experiments.store.files import write_table
    from simulation.experiments.store.identity import RunMeta, make_run_id, spawn_key_text
    from simulation.experiments.store.layout import (
        DEFAULT_ROOT,
        DETAIL_TABLES,
        KEY_COLUMNS,
        LEDGER_COLUMNS,
        TABLES,
        Table,
    )
    from simulation.experiments.store.reader import StoreReader
    from simulation.experiments.store.registry import REGISTRY_COLUMNS, Row, Status
    from simulation.experiments.store.writer import (
        COMPACT_EVERY,
        RecoveryReport,
        ResultConflictError,
        ResultsStore,
        StoreError,
    )

# Where each re-exported name lives: imported on first use, so that a module needing only the
# layout (the command line's --help, its options) does not import pandas, pyarrow and DuckDB.
_HOMES = {
    "write_table": "files", "RunMeta": "identity", "make_run_id": "identity",
    "spawn_key_text": "identity", "DEFAULT_ROOT": "layout", "DETAIL_TABLES": "layout",
    "KEY_COLUMNS": "layout", "LEDGER_COLUMNS": "layout", "TABLES": "layout", "Table": "layout",
    "StoreReader": "reader", "REGISTRY_COLUMNS": "registry", "Row": "registry",
    "Status": "registry", "COMPACT_EVERY": "writer", "RecoveryReport": "writer",
    "ResultConflictError": "writer", "ResultsStore": "writer", "StoreError": "writer",
}


def __getattr__(name: str) -> Any:
    if name not in _HOMES:
        raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
    return getattr(importlib.import_module(f"{__name__}.{_HOMES[name]}"), name)


__all__ = [
    "COMPACT_EVERY", "DEFAULT_ROOT", "DETAIL_TABLES", "KEY_COLUMNS", "LEDGER_COLUMNS",
    "REGISTRY_COLUMNS", "TABLES", "RecoveryReport", "ResultConflictError", "ResultsStore", "Row",
    "RunMeta", "Status", "StoreError", "StoreReader", "Table", "make_run_id", "spawn_key_text",
    "write_table",
]
