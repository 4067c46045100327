"""Crash recovery and repair: what a coordinator does to the store before it writes.

:func:`recover` settles whatever a killed process or a damaged disk left, in an order chosen
so that no step can lose a run or count one twice:

1. **staging**: remove the store's own leftovers in ``tmp/`` and ``registry/`` (only names the
   store gives; anything else there is not the store's and is left alone);
2. **segments**: a segment whose registry rows or shared tables cannot be read is moved to
   ``quarantine/``; one with damaged per-person tables is published again without the damaged
   runs, and the old folder quarantined; a run held by two segments (a compaction repeated
   after a crash) is removed from all but its owner (:func:`~.segments.owners`); only then
   are the segment's rows settled in the registry and the loose copies of its runs deleted;
3. **loose runs**: a folder with any unreadable table, or whose results differ from what the
   registry recorded for that run, is quarantined; one with data but no 'done' row is
   registered or completed;
4. **rows**: a 'running' run without data becomes 'failed', a 'done' run whose data is gone
   becomes 'failed' too (reported as lost): a rerun redoes exactly those;
5. **mirror**: the readers' sidecars are rebuilt from the registry.

Nothing is deleted that the store can still need: damaged data goes to ``quarantine/``; only
staging leftovers, loose copies of runs a readable segment holds, segment copies of runs
another segment owns, and stale sidecars are removed.
"""

from __future__ import annotations

import re
import shutil
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

from simulation.experiments.store.layout import (
    MARKER,
    RUN_FOLDER,
    SIDECAR,
    SIDECAR_TEMP,
    STAGING_PREFIX,
    partitions,
    quarantine,
    run_folders,
    segment_folders,
)
from simulation.experiments.store.registry import db_row, now, stored_row
from simulation.experiments.store.segments import (
    Segment,
    damaged_details,
    owners,
    read_segment,
    run_folder_intact,
    segment_tables_intact,
)

if TYPE_CHECKING:
    from simulation.experiments.store.writer import ResultsStore

# Staging folders of earlier versions (tempfile.mkdtemp's default names).
_OLD_STAGING = re.compile(r"^tmp[a-z0-9_]{8}$")


@dataclass
class RecoveryReport:
    """What :func:`recover` found and did, by run id (folder names for ``quarantined``)."""

    temp_removed: list[str] = field(default_factory=list)
    segments_settled: list[str] = field(default_factory=list)  # compaction finished after a crash
    completed: list[str] = field(default_factory=list)  # data was stored; row marked done
    registered: list[str] = field(default_factory=list)  # data without a registry row
    failed: list[str] = field(default_factory=list)  # 'running' without data
    lost: list[str] = field(default_factory=list)  # 'done' but its data is gone: run again
    quarantined: list[str] = field(default_factory=list)  # damaged or conflicting, moved aside
    duplicates_removed: list[str] = field(default_factory=list)  # a run's second segment copy
    registry_rebuilt: str = ""  # the damaged registry's place in quarantine/, if any

    @property
    def clean(self) -> bool:
        return not any(vars(self).values())

    def notes(self) -> list[str]:
        """What a user should hear about (one line each); routine settling is not news."""
        notes = []
        if self.registry_rebuilt:
            notes.append(f"the run registry was damaged: moved to {self.registry_rebuilt} and "
                         "rebuilt from the stored runs")
        if self.quarantined:
            shown = ", ".join(self.quarantined[:3]) + (", ..." if len(self.quarantined) > 3
                                                      else "")
            notes.append(f"{len(self.quarantined)} damaged or conflicting store folder(s) "
                         f"moved to quarantine/ ({shown}); their runs are run again when "
                         "asked for")
        if self.lost:
            notes.append(f"{len(self.lost)} stored run(s) had lost their data; they are run "
                         "again when asked for")
        return notes


def recover(store: ResultsStore) -> RecoveryReport:
    """Settle the store after a crash (see the module docstring for what and in what order)."""
    report = RecoveryReport(registry_rebuilt=store.registry_rebuilt)
    store.registry_rebuilt = ""
    _clear_staging(store, report)
    held = _settle_segments(store, report)
    _settle_loose_runs(store, set(held), report)
    _settle_rows(store, report)
    _rebuild_mirror(store, set(held))
    return report


def _clear_staging(store: ResultsStore, report: RecoveryReport) -> None:
    root = store.root
    for leftover in sorted((root / "tmp").iterdir()):
        if leftover.name.startswith(STAGING_PREFIX) or (
                leftover.is_dir() and _OLD_STAGING.match(leftover.name)):
            if leftover.is_dir() and not leftover.is_symlink():
                shutil.rmtree(leftover)
            else:
                leftover.unlink()
            report.temp_removed.append(leftover.name)
    temps = [*(p for p in (root / "registry").iterdir() if SIDECAR_TEMP.match(p.name)),
             *root.glob(f".{MARKER}.*.tmp")]
    for temp in sorted(temps):
        temp.unlink()
        report.temp_removed.append(temp.name)


def _all_segments(store: ResultsStore) -> list[Segment]:
    return [segment for partition in partitions(store.root)
            for folder in segment_folders(partition)
            if (segment := read_segment(folder)) is not None]


def _settle_segments(store: ResultsStore, report: RecoveryReport) -> dict[str, str]:
    """Repair segments, then settle their runs; returns run id -> segment location."""
    root = store.root
    for partition in partitions(root):
        for folder in segment_folders(partition):
            segment = read_segment(folder)
            if segment is None or not segment_tables_intact(folder):
                report.quarantined.append(quarantine(root, folder).name)
                continue
            damaged = damaged_details(segment)
            if damaged:  # keep the readable runs, in a new segment
                report.quarantined.append(store.split_segment(segment, damaged).name)
    # A run in two segments stays only in its owner; the other copy is rewritten away.
    held = owners(_all_segments(store))
    for segment in _all_segments(store):
        copies = {run_id for run_id in segment.run_ids if held[run_id] != segment.folder}
        if copies:
            store.rewrite_segment(segment, copies)
            shutil.rmtree(segment.folder)
            report.duplicates_removed.extend(sorted(copies))
    located: dict[str, str] = {}
    for segment in _all_segments(store):
        location = segment.folder.relative_to(root).as_posix()
        unsettled = []
        for stored in segment.rows:
            row = {**db_row(stored), "status": "done", "location": location}
            located[row["run_id"]] = location
            current = store._get(row["run_id"])
            if current is None or current["location"] != location \
                    or current["status"] != "done":
                unsettled.append(row)
            loose = segment.folder.parent / f"run-{row['run_id']}"
            if loose.is_dir():  # the segment is readable (checked above): the copy is spare
                shutil.rmtree(loose)
        if unsettled:
            store._put_many(unsettled)
            report.segments_settled.extend(row["run_id"] for row in unsettled)
    return located


def _settle_loose_runs(store: ResultsStore, in_segments: set[str],
                       report: RecoveryReport) -> None:
    root = store.root
    for partition in partitions(root):
        for folder in run_folders(partition):
            run_id = RUN_FOLDER.match(folder.name).group(1)  # type: ignore[union-attr]
            if run_id in in_segments:
                continue
            stored = stored_row(folder) if run_folder_intact(folder) else None
            current = store._get(run_id)
            conflict = stored is not None and current is not None \
                and current["status"] == "done" and current["content_hash"] is not None \
                and current["content_hash"] != stored["content_hash"]
            if stored is None or conflict:  # damaged, or not the results the registry knows
                report.quarantined.append(quarantine(root, folder).name)
                continue
            location = folder.relative_to(root).as_posix()
            if current is None:
                store._put({**stored, "status": "done", "location": location,
                            "finished_at": stored["finished_at"] or now()})
                report.registered.append(run_id)
            elif current["status"] != "done" or current["location"] != location \
                    or current["content_hash"] != stored["content_hash"]:
                store._put({**current, "status": "done", "location": location,
                            "content_hash": stored["content_hash"],
                            "finished_at": current["finished_at"] or now()})
                report.completed.append(run_id)


def _settle_rows(store: ResultsStore, report: RecoveryReport) -> None:
    intact: dict[str | None, bool] = {}  # a segment's many rows share one check
    for row in store._rows(lambda r: r["status"] != "failed"):
        if row["location"] not in intact:
            intact[row["location"]] = store._data_intact(row["location"])
        if intact[row["location"]]:
            continue
        store._put({**row, "status": "failed", "finished_at": now(),
                    "content_hash": None, "location": None})
        (report.lost if row["status"] == "done" else report.failed).append(row["run_id"])


def _rebuild_mirror(store: ResultsStore, in_segments: set[str]) -> None:
    keep = set()
    for row in store._rows():
        if row["run_id"] not in in_segments:
            store._mirror(row)
            keep.add(row["run_id"])
    for sidecar in (store.root / "registry").iterdir():
        match = SIDECAR.match(sidecar.name)
        if match and match.group(1) not in keep:
            sidecar.unlink()
