"""Every refusal is one plain line ``error: ...``, exit status 2, before any work, with nothing
written; the small things around it (issue 17, items 2, 4, 6, 8 and 9) each have a case.

The command runs in this process through the console script's entry point (``main``), so a
case costs milliseconds; a case that runs replications uses a tiny scenario on one worker.
"""

from __future__ import annotations

import contextlib
import io
import json
import os
import socket
import stat
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import pytest
from test_store import REPO, run_meta, run_results, store_run

from simulation.experiments.store.writer import ResultsStore

TINY = """
[scenario]
extends = "baseline"
name = "{name}"
weeks = {{ value = 3, assumption = "tiny test run" }}
[region]
job_seekers = {{ value = 500, assumption = "tiny test region" }}
firms = {{ value = 20, assumption = "tiny test region" }}
{extra}
"""


@dataclass
class Done:
    code: int | str
    out: str
    err: str

    @property
    def lines(self) -> list[str]:
        return self.err.splitlines()


def pilotsim(*args: str, cwd: Path | None = None) -> Done:
    """``pilotsim ARGS`` in this process; an exception escaping it counts as a traceback."""
    from simulation.cli.main import main

    argv, here = sys.argv, os.getcwd()
    out, err = io.StringIO(), io.StringIO()
    code: int | str = 0
    sys.argv = ["pilotsim", *args]
    try:
        if cwd is not None:
            os.chdir(cwd)
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                main()
            except SystemExit as exit_:
                code = exit_.code if isinstance(exit_.code, int) else int(exit_.code is not None)
            except Exception as exc:  # noqa: BLE001 - what a user would see as a traceback
                code = "traceback"
                err.write(f"Traceback: {type(exc).__name__}: {exc}\n")
    finally:
        sys.argv = argv
        os.chdir(here)
    return Done(code, out.getvalue(), err.getvalue())


def tiny(folder: Path, name: str = "tiny", extra: str = "", stem: str | None = None) -> Path:
    path = folder / f"{stem or name}.toml"
    path.write_text(TINY.format(name=name, extra=extra), encoding="utf-8")
    return path


def fifo(path: Path) -> Path:
    os.mkfifo(path)
    return path


def stored(path: Path) -> Path:
    with ResultsStore(path) as store:
        store_run(store, 1)
        run_id = store.begin(run_meta(2))
        store.write(run_id, *run_results(2))
        store.finish(run_id)
    return path


def still_fifo(path: Path) -> bool:
    return stat.S_ISFIFO(os.lstat(path).st_mode)


@dataclass
class Case:
    """Arguments (built in a fresh folder), the reason the line must name, a check after."""

    args: Callable[[Path], list[str]]
    reason: str
    after: Callable[[Path], bool] = lambda folder: True


def _foreign_store(d: Path) -> list[str]:
    (d / "proj" / "tmp").mkdir(parents=True)
    (d / "proj" / "tmp" / "notes.txt").write_text("notes")
    return ["run", str(tiny(d)), "--store", str(d / "proj"), "--replications", "1"]


def _contract(d: Path, contract: str) -> list[str]:
    extra = f'[interventions.procurement]\ncontract = "{contract}"\n'
    path = tiny(d, "with_contract", extra)
    path.write_text(path.read_text().replace('extends = "baseline"',
                                             'extends = "outsourcing_generic"'))
    return ["run", str(path), "--replications", "1", "--store", str(d / "store")]


def _compare(d: Path, *extra: str) -> list[str]:
    return ["compare", str(tiny(d)), str(tiny(d, "other")), "--replications", "1",
            "--store", str(d / "store"), *extra]


def _report(d: Path, *extra: str) -> list[str]:
    return ["report", str(tiny(d)), str(tiny(d, "other")), "--replications", "1",
            "--store", str(d / "store"), *extra]


def _listening(d: Path) -> list[str]:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    _OPEN.append(listener)
    return ["dashboard", "--port", str(listener.getsockname()[1]), "--store", str(d / "store")]


_OPEN: list[socket.socket] = []

CASES = {
    # 1. data loss
    "store on a folder pilotsim did not make": Case(
        _foreign_store, "not a pilotsim results store",
        lambda d: (d / "proj" / "tmp" / "notes.txt").read_text() == "notes"),
    "store on a file": Case(
        lambda d: ["run", "baseline", "--store", str(Path(d / "f").touch() or d / "f")],
        "is a file"),
    # 2. writing over things that are not files
    "export --force onto a named pipe": Case(
        lambda d: ["export", str(fifo(d / "out.csv")), "--store", str(stored(d / "s")),
                   "--force"], "never replaced", lambda d: still_fifo(d / "out.csv")),
    "compare --csv --force onto a named pipe": Case(
        lambda d: _compare(d, "--csv", str(fifo(d / "e.csv")), "--force"), "never replaced",
        lambda d: still_fifo(d / "e.csv")),
    "compare --csv onto a folder": Case(
        lambda d: _compare(d, "--csv", str(d)), "is a folder"),
    "export onto a folder, no format given": Case(
        lambda d: ["export", str(d), "--store", str(stored(d / "s"))], "is a folder"),
    "export onto a folder": Case(
        lambda d: ["export", str(d / "x" / ".."), "--store", str(stored(d / "s")),
                   "--format", "csv"], "names a folder"),
    # 8. tracebacks instead of one line
    "scenario name longer than a file name": Case(
        lambda d: ["run", str(tiny(d, "n" * 300, stem="long")), "--replications", "1", "--store",
                   str(d / "store")], "scenario.name"),
    "scenario path too long": Case(
        lambda d: ["run", str(d / ("p" * 300)), "--store", str(d / "store")], "file"),
    "contract path missing": Case(lambda d: _contract(d, "missing.toml"),
                                  "no such contract file"),
    "contract path is a folder": Case(
        lambda d: _contract(d, str(Path(d / "fees_dir.toml").mkdir() or "fees_dir.toml")),
        "is a folder"),
    "report --out onto a folder": Case(lambda d: _report(d, "--out", str(d)), "folder"),
    "report --sizes without --power": Case(lambda d: _report(d, "--sizes", "1000,2000"),
                                           "--sizes: only with --power"),
    "report --out in a missing folder": Case(
        lambda d: _report(d, "--out", str(d / "missing" / "r.html")), "no such folder"),
    "compare --csv in a missing folder": Case(
        lambda d: _compare(d, "--csv", str(d / "missing" / "e.csv")), "no such folder"),
    "calibrate --observed a folder": Case(
        lambda d: ["calibrate", "--observed", str(d), "--check"], "--observed"),
    "a second dashboard on the same port": Case(_listening, "in use"),
    "a dashboard on a folder that is not a store": Case(
        lambda d: ["dashboard", "--port", "1", "--store", str(Path(d / "f").touch() or d)],
        "not a pilotsim results store"),
    # 9. misleading or inconsistent
    "--replications 0": Case(lambda d: ["run", "baseline", "--replications", "0"],
                             "--replications"),
    "--weeks 2000": Case(lambda d: ["run", "baseline", "--weeks", "2000"], "--weeks"),
    "--workers 0": Case(lambda d: ["run", "baseline", "--workers", "0"], "--workers"),
    "--replications abc": Case(lambda d: ["compare", "a", "b", "--replications", "abc"],
                               "--replications"),
    "an unknown option": Case(lambda d: ["run", "baseline", "--replicatoins", "2"],
                              "--replicatoins"),
    "compare X X": Case(lambda d: ["compare", "baseline", "baseline"], "nothing to compare"),
    # two files of one name: their results would be mixed up, or one lost (--json)
    "compare two files of one name": Case(
        lambda d: ["compare", str(tiny(d)), str(tiny(d, "pilot")),
                   str(tiny(d, "pilot", stem="pilot_b")), "--store", str(d / "store")],
        "'pilot' is also the name of"),
    "report on a baseline of its scenario's name": Case(
        lambda d: ["report", str(tiny(d, "pilot", stem="base")), str(tiny(d, "pilot")),
                   "--store", str(d / "store"), "--out", str(d / "r.html")],
        "give each scenario its own name", lambda d: not (d / "r.html").exists()),
    "a unit that is not the field's": Case(
        lambda d: ["validate", str(tiny(d, extra="[public_office]\ncaseload = { value = 60.0, "
                                                 "assumption = \"t\", unit = \"weeks\" }"))],
        "unit"),
    "markup in a path is printed as it is": Case(
        lambda d: ["run", str(d / ":x: [bold]nope.toml")], ":x: [bold]nope.toml"),
    # 6. unbounded work
    "power --sizes 1e12 (as digits)": Case(
        lambda d: ["power", "pirkanmaa", "--baseline", "baseline", "--sizes",
                   "1000000000000"], "at most"),
    "power sizes × resamples": Case(
        lambda d: ["power", "pirkanmaa", "--baseline", "baseline", "--sizes",
                   "1000000,999999", "--resamples", "100000"], "--resamples"),
    "a sweep value the schema refuses names --param, not the file": Case(
        lambda d: ["sweep", str(tiny(d)), "--store", str(d / "store"),
                   "--param", "public_office.caseload=60,abc"],
        "--param public_office.caseload=abc: must be a number"),
    "a 1000 × 1000 sweep grid": Case(
        lambda d: ["sweep", "baseline", "--store", str(d / "store"),
                   "--param", "public_office.caseload=" + ",".join(map(str, range(1, 1001))),
                   "--param", "flows.inflow_per_week=" + ",".join(map(str, range(1, 1001)))],
        "--max-runs"),
}


@pytest.mark.parametrize("case", CASES.values(), ids=list(CASES))
def test_refused_with_one_plain_line_before_any_work(tmp_path: Path, case: Case) -> None:
    try:
        done = pilotsim(*case.args(tmp_path), cwd=tmp_path)
    finally:
        while _OPEN:
            _OPEN.pop().close()
    assert done.code == 2, done
    assert len(done.lines) == 1 and done.lines[0].startswith("error: "), done.err
    assert case.reason in done.lines[0], done.err
    assert "Traceback" not in done.err and done.out == ""
    assert not (tmp_path / "store").exists(), "a run was made before the refusal"
    assert not (tmp_path / "pilotsim-results").exists()
    assert case.after(tmp_path)


def test_runs_lists_a_store_of_sweep_and_plain_runs(tmp_path: Path) -> None:
    """Item 4: the missing batch of a plain run is NaN beside sweep runs."""
    with ResultsStore(tmp_path / "s") as store:
        store_run(store, 1)  # batch "sweep-1"
        meta = run_meta(2)
        run_id = store.begin(type(meta)(**{**vars(meta), "batch": None}))
        store.write(run_id, *run_results(2))
        store.finish(run_id)
    done = pilotsim("runs", "--store", str(tmp_path / "s"))
    assert done.code == 0, done.err
    assert "2 runs" in done.out


def test_exports_get_normal_permissions(tmp_path: Path) -> None:
    old = os.umask(0o022)
    try:
        done = pilotsim("export", str(tmp_path / "w.csv"), "--store", str(stored(tmp_path / "s")))
    finally:
        os.umask(old)
    assert done.code == 0, done.err
    assert stat.S_IMODE(os.stat(tmp_path / "w.csv").st_mode) == 0o644


def test_one_replication_has_no_interval_and_nothing_significant(tmp_path: Path) -> None:
    done = pilotsim("run", str(tiny(tmp_path)), "--replications", "1", "--json",
                    "--workers", "256", "--no-store")
    assert done.code == 0, done.err
    assert "--workers 256 is more than the" in done.err  # capped at the cores, with a note
    metrics = json.loads(done.out)["metrics"]
    assert metrics["placements"]["ci95_low"] is None
    assert metrics["placements"]["ci95_high"] is None


def test_contract_paths_resolve_from_the_scenario_file(tmp_path: Path) -> None:
    folder = tmp_path / "pilot"
    folder.mkdir()
    shipped = REPO / "scenarios" / "contracts" / "generic_outsourcing.toml"
    (folder / "fees.toml").write_text(shipped.read_text(encoding="utf-8"), encoding="utf-8")
    args = _contract(folder, "fees.toml")
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    done = pilotsim("validate", args[1], cwd=elsewhere)
    assert done.code == 0, done.err


def test_a_damaged_registry_is_rebuilt_and_said_so(tmp_path: Path) -> None:
    root = stored(tmp_path / "s")
    (root / "registry.duckdb").write_bytes(b"\0" * 4096)
    done = pilotsim("run", str(tiny(tmp_path)), "--replications", "1", "--workers", "1",
                    "--store", str(root), "--json")
    assert done.code == 0, done.err
    assert "in use" not in done.err
    assert "registry was damaged" in done.err and "rebuilt" in done.err


def test_a_read_only_working_folder_is_one_line_or_a_note(tmp_path: Path) -> None:
    """Item 8: running from a read-only folder: the report's default output is refused up
    front; a run goes ahead without a store, and says so."""
    scenario = tiny(tmp_path)
    work = tmp_path / "ro"
    work.mkdir()
    work.chmod(0o555)
    prefix = []
    if os.geteuid() == 0:  # root writes anywhere: drop the capability that lets it
        prefix = ["setpriv", "--bounding-set=-dac_override,-dac_read_search"]
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    try:
        report = subprocess.run(
            [*prefix, sys.executable, "-m", "simulation.cli", "report", str(scenario),
             str(tiny(tmp_path, "other")), "--replications", "1"],
            cwd=work, env=env, capture_output=True, text=True, timeout=300)
        run = subprocess.run(
            [*prefix, sys.executable, "-m", "simulation.cli", "run", str(scenario),
             "--replications", "1", "--workers", "1", "--json"],
            cwd=work, env=env, capture_output=True, text=True, timeout=300)
    finally:
        work.chmod(0o755)
    assert report.returncode == 2 and report.stderr.count("\n") == 1, report.stderr
    assert "not writable" in report.stderr
    assert run.returncode == 0, run.stderr
    assert "cannot be written here" in run.stderr and "Traceback" not in run.stderr
    assert json.loads(run.stdout)["replications"] == 1
    assert list(work.iterdir()) == []


def test_a_scenario_named_twice_is_compared_once() -> None:
    from simulation.cli.common import comparison_groups

    groups = comparison_groups("baseline", ["pirkanmaa", "pori", "pirkanmaa", "baseline"], False)
    assert groups == {"baseline": ["pirkanmaa", "pori"]}


def test_a_library_name_is_the_library_scenario_whatever_lies_in_the_working_folder(
        tmp_path: Path) -> None:
    (tmp_path / "pirkanmaa").mkdir()
    (tmp_path / "baseline").touch()
    for name in ("pirkanmaa", "baseline"):
        done = pilotsim("show", name, cwd=tmp_path)
        assert done.code == 0, done.err
        assert name in done.out
    # a path says it is one: ./baseline is the empty file, refused
    done = pilotsim("show", "./baseline", cwd=tmp_path)
    assert done.code == 2 and "empty" in done.err, done
    # a file that is not a library name is still found by its own name
    tiny(tmp_path, "mine", stem="mine").rename(tmp_path / "mine")
    done = pilotsim("show", "mine", cwd=tmp_path)
    assert done.code == 0, done.err
    # and any other bare name is NAME.toml in the working folder, as extends finds it beside
    # the file that names it
    tiny(tmp_path, "own_pilot")
    done = pilotsim("show", "own_pilot", cwd=tmp_path)
    assert done.code == 0 and "own_pilot" in done.out, done.err


def test_runs_of_one_name_with_different_parameters_are_told_apart(tmp_path: Path) -> None:
    """A baseline re-sized to each pilot's region is stored under the baseline's name: runs
    and export say that its runs hold different parameter sets, and runs shows which."""
    from dataclasses import replace

    with ResultsStore(tmp_path / "s") as store:
        store_run(store, 1)
        run_id = store.begin(replace(run_meta(2), scenario_hash="hash-resized"))
        store.write(run_id, *run_results(2))
        store.finish(run_id)
    listed = pilotsim("runs", "--store", str(tmp_path / "s"))
    assert listed.code == 0, listed.err
    assert "hash-bas" in listed.out and "hash-res" in listed.out
    assert "baseline: runs of 2 different parameter sets" in " ".join(listed.err.split())
    exported = pilotsim("export", str(tmp_path / "w.csv"), "--store", str(tmp_path / "s"),
                        "--scenario", "baseline")
    assert exported.code == 0, exported.err
    assert "2 different parameter sets" in " ".join(exported.err.split())
    single = pilotsim("runs", "--store", str(stored(tmp_path / "one")))
    assert "different parameter sets" not in single.err


def test_validate_checks_the_baseline_a_file_names(tmp_path: Path) -> None:
    bad = tiny(tmp_path, "bad", extra="").read_text().replace(
        'name = "bad"', 'name = "bad"\nbaseline = "nosuch"')
    (tmp_path / "bad.toml").write_text(bad)
    good = tiny(tmp_path, "good").read_text().replace(
        'name = "good"', 'name = "good"\nbaseline = "baseline"')
    (tmp_path / "good.toml").write_text(good)
    done = pilotsim("validate", str(tmp_path / "bad.toml"), str(tmp_path / "good.toml"))
    assert done.code == 2
    assert len(done.lines) == 1 and "bad.toml: scenario.baseline: 'nosuch'" in done.err, done
    assert "ok: " in done.out and "good.toml" in done.out


def test_scenarios_of_different_lengths_each_say_their_own_weeks(tmp_path: Path) -> None:
    """A summary over runs of different lengths says which ran how long (euros are over the
    run), and each scenario's JSON entry carries its own weeks."""
    from simulation.report.summary import summary_rows

    base = tiny(tmp_path, "base")
    short = tiny(tmp_path, "short_pilot", "[public_office]\ncaseload = { value = 40.0, "
                 "assumption = \"t\" }")
    long = tiny(tmp_path, "long_pilot", "[public_office]\ncaseload = { value = 40.0, "
                "assumption = \"t\" }")
    long.write_text(long.read_text().replace("weeks = { value = 3,", "weeks = { value = 5,"))
    args = ("compare", str(base), str(short), str(long), "--replications", "2", "--workers",
            "1", "--no-store")
    done = pilotsim(*args)
    assert done.code == 0, done.err
    assert "over its own run" in done.out and "over 3 weeks" not in done.out, done.out
    header = next(line for line in done.out.splitlines() if line.split()[:2] == ["scenario",
                                                                                 "baseline"])
    assert "weeks" in header.split(), done.out
    rows = {line.split()[0]: line.split() for line in done.out.splitlines()
            if line.split()[:1] in (["short_pilot"], ["long_pilot"])}
    assert rows["short_pilot"][2] == "3" and rows["long_pilot"][2] == "5", done.out
    detail = pilotsim(*args, "--detail").out  # each headline over its own run
    assert "over the 3 weeks" in detail and "over the 5 weeks" in detail, detail
    scenarios = json.loads(pilotsim(*args, "--json").out)["scenarios"]
    assert scenarios["short_pilot"]["weeks"] == 3 and scenarios["long_pilot"]["weeks"] == 5
    same = pilotsim("compare", str(base), str(short), str(tiny(tmp_path, "other_pilot")),
                    "--replications", "2", "--workers", "1", "--no-store")
    assert "over 3 weeks" in same.out and "weeks" not in summary_rows([], None, [3, 3])[0]
