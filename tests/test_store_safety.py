"""The store is safe to point anywhere and repairs itself without losing or doubling a run.

Each test is a case that failed before issue 17's hardening: a foreign folder emptied by the
start-up repair, a run counted twice after a repeated compaction, loose runs deleted beside an
unreadable segment, an unreadable segment that blocked every reader, a conflicting folder
silently adopted, an unreadable folder reported as a conflict, colliding quarantine names, a
damaged registry or read-only store reported as "in use".
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import textwrap
from pathlib import Path

import pytest
from test_store import REPO, run_meta, run_results, store_run

from simulation.experiments.store.reader import StoreReader
from simulation.experiments.store.writer import ResultsStore

WEEKS = 4


def tree(root: Path) -> dict[str, bytes | None]:
    """Every path under ``root`` with its content (None for folders)."""
    return {p.relative_to(root).as_posix(): None if p.is_dir() else p.read_bytes()
            for p in sorted(root.rglob("*"))}


def truncate(path: Path) -> None:
    data = path.read_bytes()
    path.write_bytes(data[:len(data) // 2])


def counts(root: Path) -> dict[str, int]:
    """How often each run appears in the registry, the summaries and the weekly rows."""
    with StoreReader(root) as reader:
        runs, summaries = reader.runs(), reader.summaries()
        weekly = reader.weekly()
    assert not getattr(reader, "damaged", None)
    out: dict[str, int] = {}
    for run_id in set(runs["run_id"]) | set(summaries["run_id"]):
        out[run_id] = int((runs["run_id"] == run_id).sum()) * 100 \
            + int((summaries["run_id"] == run_id).sum()) * 10 \
            + int((weekly["run_id"] == run_id).sum() // (2 * WEEKS))
    return out  # 111: once in each


# --- where a store may be made ----------------------------------------------------------------

FOREIGN = {
    "a note in tmp/ (the issue's case)": {"tmp/notes.txt": b"notes"},
    "a json file in registry/": {"registry/mine.json": b"{}"},
    "any file": {"notes.txt": b"mine"},
    "a data folder of someone else": {"data/table.csv": b"a,b\n"},
    "a DuckDB file and more": {"registry.duckdb": b"not ours", "plan.md": b"# plan"},
}


@pytest.mark.parametrize("files", FOREIGN.values(), ids=list(FOREIGN))
def test_a_folder_that_is_not_a_store_is_refused_and_left_as_it_was(tmp_path: Path,
                                                                    files: dict) -> None:
    root = tmp_path / "proj"
    for name, content in files.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    before = tree(root)
    with pytest.raises(RuntimeError, match="not a pilotsim results store"):  # NotAStoreError
        ResultsStore(root)
    assert tree(root) == before


@pytest.mark.parametrize("setup", ["missing", "empty", "calibration study only"])
def test_a_store_is_made_in_a_missing_or_empty_folder(tmp_path: Path, setup: str) -> None:
    root = tmp_path / "store"
    if setup != "missing":
        root.mkdir()
    if setup == "calibration study only":
        (root / "calibration").mkdir()
        (root / "calibration" / "study.sqlite3").write_bytes(b"study")
    with ResultsStore(root) as store:
        store_run(store, 1)
        store.recover()
    assert (root / "pilotsim-store.json").is_file()
    if setup == "calibration study only":
        assert (root / "calibration" / "study.sqlite3").read_bytes() == b"study"


def test_a_store_made_before_the_mark_existed_is_adopted(tmp_path: Path) -> None:
    with ResultsStore(tmp_path / "store") as store:
        run_id = store_run(store, 1)
    (tmp_path / "store" / "pilotsim-store.json").unlink()
    with ResultsStore(tmp_path / "store") as store:
        assert store.has(run_id)
    assert (tmp_path / "store" / "pilotsim-store.json").is_file()


def test_repair_touches_only_what_the_store_made(tmp_path: Path) -> None:
    root = tmp_path / "store"
    with ResultsStore(root, compact_every=2) as store:
        for rep in range(3):
            store_run(store, rep)
    foreign = {"tmp/notes.txt": b"1", "registry/mine.json": b"{}", "registry/.x.tmp": b"2",
               "data/readme.md": b"3", "data/scenario=baseline/run-notes/x.txt": b"4",
               "data/scenario=baseline/segment-mine.txt": b"5", "quarantine/keep": b"6"}
    for name, content in foreign.items():
        (root / name).parent.mkdir(parents=True, exist_ok=True)
        (root / name).write_bytes(content)
    with ResultsStore(root) as store:
        store.recover()
        store.recover()
    for name, content in foreign.items():
        assert (root / name).read_bytes() == content, name
    assert set(counts(root).values()) == {111}


# --- never count a run twice, never lose one -------------------------------------------------

def interrupted_compaction(root: Path, runs: int = 3) -> list[str]:
    """A compaction killed after publishing its segment, before the registry heard of it."""
    with ResultsStore(root, compact_every=None) as store:
        ids = [store_run(store, rep) for rep in range(runs)]
    backup = root.parent / "backup"
    shutil.copytree(root, backup)
    with ResultsStore(root, compact_every=None) as store:
        store.compact()
    for name in ("data/scenario=baseline", "registry"):
        shutil.copytree(backup / name, root / name, dirs_exist_ok=True)
    shutil.copy2(backup / "registry.duckdb", root / "registry.duckdb")
    shutil.rmtree(backup)
    return ids


def test_a_run_compacted_twice_after_a_crash_is_counted_once(tmp_path: Path) -> None:
    root = tmp_path / "store"
    ids = interrupted_compaction(root)
    with ResultsStore(root, compact_every=None) as store:  # restarted without recover()
        ids.append(store_run(store, 3))
        store.compact()
    assert counts(root) == dict.fromkeys(ids, 111)
    with ResultsStore(root) as store:
        store.recover()
        assert all(store.has(run_id) for run_id in ids)
        assert store.recover().clean
    assert counts(root) == dict.fromkeys(ids, 111)


def test_a_run_already_in_two_segments_is_read_once_and_repaired(tmp_path: Path) -> None:
    """A store left with a run in two segments (by a version before this rule)."""
    root = tmp_path / "store"
    with ResultsStore(root, compact_every=None) as store:
        ids = [store_run(store, rep) for rep in range(3)]
        [segment] = store.compact()
    twin = segment.with_name("segment-0000000000000000")
    shutil.copytree(segment, twin)
    assert counts(root) == dict.fromkeys(ids, 111)
    with ResultsStore(root) as store:
        report = store.recover()
        assert sorted(report.duplicates_removed) == sorted(ids)
        assert all(store.has(run_id) for run_id in ids)
    assert len(list(segment.parent.glob("segment-*"))) == 1
    assert counts(root) == dict.fromkeys(ids, 111)


def test_loose_runs_are_kept_when_their_segment_is_unreadable(tmp_path: Path) -> None:
    root = tmp_path / "store"
    ids = interrupted_compaction(root)
    [segment] = (root / "data" / "scenario=baseline").glob("segment-*")
    truncate(segment / "weekly.parquet")
    with ResultsStore(root) as store:
        report = store.recover()
        assert segment.name in " ".join(report.quarantined)
        assert all(store.has(run_id) for run_id in ids)
    assert counts(root) == dict.fromkeys(ids, 111)


def test_an_unreadable_segment_is_quarantined_and_never_blocks_a_reader(tmp_path: Path) -> None:
    root = tmp_path / "store"
    with ResultsStore(root, compact_every=None) as store:
        lost = [store_run(store, rep) for rep in range(3)]
        [segment] = store.compact()
        kept = store_run(store, 5)
    truncate(segment / "runs.parquet")
    assert counts(root) == {kept: 111}  # the reader answers with what it can read
    with ResultsStore(root) as store:
        report = store.recover()
        assert sorted(report.lost) == sorted(lost)
        assert not any(store.has(run_id) for run_id in lost) and store.has(kept)
        for rep in range(3):  # the lost runs can be stored again
            store_run(store, rep)
    assert counts(root) == dict.fromkeys([*lost, kept], 111)
    assert len(list((root / "quarantine").iterdir())) == 1


def test_a_segment_found_damaged_while_reading_is_set_aside_whole(tmp_path: Path) -> None:
    root = tmp_path / "store"
    with ResultsStore(root, compact_every=None) as store:
        ids = [store_run(store, rep) for rep in range(3)]
        [segment] = store.compact()
        truncate(segment / "weekly.parquet")  # after the writer's start-up repair
        with StoreReader(root) as reader:
            assert reader.weekly().empty and reader.damaged == set(ids)
        store.discard(ids[0])  # what a batch does with a run it cannot read back
        assert not any(store.has(run_id) for run_id in ids)
        for rep in range(3):  # all three can be stored again
            store_run(store, rep)
    assert counts(root) == dict.fromkeys(ids, 111)


def test_a_loose_folder_with_other_results_than_the_registry_is_not_adopted(
        tmp_path: Path) -> None:
    root, other = tmp_path / "store", tmp_path / "other"
    with ResultsStore(root) as store:
        run_id = store_run(store, 1)
    with ResultsStore(other) as store:  # the same run id, different results
        assert store.begin(run_meta(1)) == run_id
        store.write(run_id, *run_results(2))
        store.finish(run_id)
    folder = Path("data/scenario=baseline") / f"run-{run_id}"
    shutil.rmtree(root / folder)
    shutil.copytree(other / folder, root / folder)
    with ResultsStore(root) as store:
        report = store.recover()
        assert report.quarantined and report.lost == [run_id]
        assert not store.has(run_id)
    with StoreReader(root) as reader:
        assert reader.summaries().empty


def test_writing_over_an_unreadable_run_folder_sets_it_aside(tmp_path: Path) -> None:
    root = tmp_path / "store"
    with ResultsStore(root) as store:
        run_id = store.begin(run_meta(1))
        folder = store.write(run_id, *run_results(1))  # killed before finish()
    truncate(folder / "summary.parquet")
    with ResultsStore(root) as store:  # the next coordinator runs it again
        store.begin(run_meta(1))
        store.write(run_id, *run_results(1))  # before: "holds different results"
        store.finish(run_id)
        assert store.has(run_id)
    assert counts(root) == {run_id: 111}
    assert len(list((root / "quarantine").iterdir())) == 1


def test_quarantined_folders_never_collide(tmp_path: Path) -> None:
    """Two damaged folders of the same name, quarantined in the same second."""
    root = tmp_path / "store"
    with ResultsStore(root) as store:
        run_id = store_run(store, 1)
    folder = root / "data" / "scenario=baseline" / f"run-{run_id}"
    truncate(folder / "weekly.parquet")
    shutil.copytree(folder, root / "data" / "scenario=copy" / folder.name)
    with ResultsStore(root) as store:
        report = store.recover()  # before: the second move failed on the first's name
    assert len(report.quarantined) == 2
    assert len(list((root / "quarantine").iterdir())) == 2


# --- the registry and the store's state --------------------------------------------------------

def test_a_damaged_registry_is_rebuilt_from_the_runs(tmp_path: Path) -> None:
    root = tmp_path / "store"
    with ResultsStore(root, compact_every=2) as store:
        ids = [store_run(store, rep) for rep in range(3)]  # one segment, one loose run
    (root / "registry.duckdb").write_bytes(b"\0" * 4096)
    with ResultsStore(root) as store:
        report = store.recover()
        assert report.registry_rebuilt.startswith("quarantine/registry.duckdb-")
        assert "rebuilt" in report.notes()[0]
        assert all(store.has(run_id) for run_id in ids)
    assert counts(root) == dict.fromkeys(ids, 111)


HOLD = textwrap.dedent("""
    import sys, time
    from simulation.experiments.store.writer import ResultsStore
    store = ResultsStore(sys.argv[1])
    print("holding", flush=True)
    sys.stdin.read()
""")


def hold_store(root: Path) -> subprocess.Popen[str]:
    """Another process holding the store as its writer, until its stdin closes."""
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(root)], env=env, text=True,
                              stdin=subprocess.PIPE, stdout=subprocess.PIPE)
    assert holder.stdout is not None and holder.stdout.readline().strip() == "holding"
    return holder


def test_a_busy_store_is_reported_busy_with_the_holder(tmp_path: Path) -> None:
    root = tmp_path / "store"
    with ResultsStore(root) as store:
        store_run(store, 1)
    holder = hold_store(root)
    try:
        with pytest.raises(RuntimeError, match=f"in use by another pilotsim run \\(PID "
                                               f"{holder.pid}\\)"):  # StoreBusyError
            ResultsStore(root)
        assert counts(root) != {}  # readers are not blocked
    finally:
        holder.communicate("")


READ_ONLY = textwrap.dedent("""
    import sys
    from simulation.cli.main import main
    from simulation.experiments.store.reader import StoreReader
    from simulation.experiments.store.writer import ResultsStore
    root = sys.argv[1]
    with StoreReader(root) as reader:
        print("readers:", len(reader.runs()), flush=True)
    try:
        ResultsStore(root)
    except Exception as exc:
        print("writer:", type(exc).__name__, exc, flush=True)
    sys.argv = ["pilotsim", "sweep", "baseline", "--param", "public_office.caseload=60",
                "--replications", "1", "--store", root]
    main()
""")


def test_a_read_only_store_serves_readers_and_refuses_writers_with_the_reason(
        tmp_path: Path) -> None:
    root = tmp_path / "store"
    with ResultsStore(root) as store:
        store_run(store, 1)
    command = [sys.executable, "-c", READ_ONLY, str(root)]
    if os.geteuid() == 0:  # root writes anywhere: drop the capability that lets it
        if shutil.which("setpriv") is None:
            pytest.skip("running as root without setpriv")
        command = ["setpriv", "--bounding-set=-dac_override,-dac_read_search", *command]
    for path in [root, *root.rglob("*")]:
        path.chmod(path.stat().st_mode & ~0o222)
    try:
        done = subprocess.run(command, capture_output=True, text=True, timeout=120,
                              env={**os.environ, "PYTHONPATH": str(REPO)})
    finally:
        for path in [root, *root.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
    assert "readers: 1" in done.stdout
    assert "writer: StoreReadOnlyError" in done.stdout and "read-only" in done.stdout
    assert done.returncode == 2
    assert done.stderr.count("\n") == 1 and "read-only" in done.stderr, done.stderr
    assert "in use" not in done.stdout + done.stderr


def _parquet(path: Path) -> Path:
    import pyarrow as pa
    import pyarrow.parquet as pq

    pq.write_table(pa.table({"x": list(range(100))}), path)
    return path


def test_a_remembered_footer_check_never_hides_a_later_change(tmp_path: Path,
                                                               monkeypatch) -> None:
    import pyarrow.parquet as pq

    from simulation.experiments.store import layout

    reads = []
    read_metadata = pq.read_metadata
    monkeypatch.setattr(pq, "read_metadata", lambda p: reads.append(p) or read_metadata(p))
    monkeypatch.setattr(layout, "_SETTLED_NS", -1)  # remember every file at once
    path = _parquet(tmp_path / "a.parquet")
    assert layout.footer_readable(path) and layout.footer_readable(path)
    assert len(reads) == 1  # the second check is the file's stat
    truncate(path)
    assert not layout.footer_readable(path)
    replacement = _parquet(tmp_path / "b.parquet")
    os.replace(replacement, path)  # a new file in its place: read again
    assert layout.footer_readable(path) and len(reads) == 3


def test_a_file_changed_in_the_same_clock_tick_is_not_remembered(tmp_path: Path) -> None:
    from simulation.experiments.store import layout

    path = _parquet(tmp_path / "a.parquet")
    assert layout.footer_readable(path)
    path.write_bytes(b"\0" * path.stat().st_size)  # at once: its times may not have moved
    assert not layout.footer_readable(path)
