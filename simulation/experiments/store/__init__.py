"""The durable results store: where every finished run lands and where readers find it.

``layout`` (the folders on disk, and why), ``identity`` (run ids), ``registry`` (a run's
registry row), ``files`` (writing a run's files atomically; the no-clobber table writer),
``writer`` (:class:`ResultsStore`, the one writer, with compaction and recovery) and
``reader`` (:class:`StoreReader`). The names below are re-exported for convenience.
"""

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

__all__ = [
    "COMPACT_EVERY", "DEFAULT_ROOT", "DETAIL_TABLES", "KEY_COLUMNS", "LEDGER_COLUMNS",
    "REGISTRY_COLUMNS", "TABLES", "RecoveryReport", "ResultConflictError", "ResultsStore", "Row",
    "RunMeta", "Status", "StoreError", "StoreReader", "Table", "make_run_id", "spawn_key_text",
    "write_table",
]
