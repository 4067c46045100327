"""Compacted segments and the checks every reader and the writer share.

A segment holds many runs (see ``layout.py``). Two rules keep every run counted once, even in
a store that a killed compaction left with a run in two segments:

- **one owner**: a run held by several segments belongs to the first of them in name order
  (:func:`owners`); readers hide its rows in the others, and repair removes them there;
- **unreadable is absent**: a segment whose ``runs.parquet`` cannot be read holds nothing for
  readers (its runs show up where else they are, or not at all) until repair quarantines it.
"""

from __future__ import annotations

import json
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

import pyarrow as pa
import pyarrow.parquet as pq

from simulation.experiments.store.layout import (
    KEY_COLUMNS,
    TABLES,
    detail_file,
    folder_readable,
    footer_readable,
)
from simulation.experiments.store.registry import METRICS_KEY

_READ_ERRORS = (OSError, pa.ArrowException)


@dataclass(frozen=True)
class Segment:
    """A segment folder and its registry rows (as stored: JSON-style values)."""

    folder: Path
    rows: tuple[dict, ...]

    @property
    def run_ids(self) -> list[str]:
        return [row["run_id"] for row in self.rows]

    def details(self, run_id: str) -> Path:
        return self.folder / "details" / f"run-{run_id}"


def own_metrics(columns: Sequence[str]) -> list[str]:
    """The metrics of a summary table's columns (without the run and scenario keys)."""
    return [name for name in columns if name not in KEY_COLUMNS]


def with_metrics(summary: pa.Table, metrics: Mapping[str, Sequence[str]]) -> pa.Table:
    """A segment's summary table carrying each run's own metrics in its footer."""
    return summary.replace_schema_metadata({METRICS_KEY: json.dumps(metrics).encode()})


def segment_metrics(schema: pa.Schema) -> dict[str, list[str]] | None:
    """Each run's own metrics from a segment's summary footer; None for a segment written
    before they were kept."""
    found = (schema.metadata or {}).get(METRICS_KEY)
    return None if found is None else json.loads(found)


def read_segment(folder: Path) -> Segment | None:
    """The segment's rows, or None when its ``runs.parquet`` cannot be read."""
    try:
        return Segment(folder, tuple(pq.read_table(folder / "runs.parquet").to_pylist()))
    except _READ_ERRORS:
        return None


def owners(segments: Sequence[Segment]) -> dict[str, Path]:
    """Run id -> the segment that holds it: the first, in name order, that lists it."""
    owner: dict[str, Path] = {}
    for segment in sorted(segments, key=lambda s: s.folder.name):
        for run_id in segment.run_ids:
            owner.setdefault(run_id, segment.folder)
    return owner


def files_readable(paths: Iterable[Path]) -> bool:
    """True when every Parquet file has a readable footer (what truncation breaks)."""
    return all(footer_readable(path) for path in paths)


def run_folder_intact(folder: Path) -> bool:
    """A loose run folder: its three tables and every per-person table are readable."""
    return folder_readable(folder, TABLES) and files_readable(folder.glob(detail_file("*")))


def segment_tables_intact(folder: Path) -> bool:
    """A segment's shared tables (the three tables and its registry rows) are readable."""
    return folder_readable(folder, (*TABLES, "runs"))


def damaged_details(segment: Segment) -> set[str]:
    """Runs of a segment whose per-person tables cannot be read."""
    return {run_id for run_id in segment.run_ids
            if not files_readable(segment.details(run_id).glob(detail_file("*")))}
