"""What every ``pilotsim`` command shares: the app, consoles, options, one-line errors, the
engine and store options, and running a batch with them.

Bad input never produces a traceback: a scenario that cannot be used is reported as one line
``error: FILE: FIELD: message`` on stderr, exit status 2; so is every other refusal (a path,
a range, a busy or foreign store). Messages are printed as plain text: a ``[`` or ``:x:`` in
a path is printed as it is, never read as markup or an emoji.
"""

from __future__ import annotations

import math
import os
from collections.abc import Callable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from simulation.experiments.outputs import OutputError
from simulation.experiments.store.layout import DEFAULT_ROOT
from simulation.i18n import Words, words
from simulation.i18n.catalogues import UnknownLanguage

# The scenario schema (pydantic), the store (Arrow, DuckDB) and the model are imported by the
# commands that use them, not here: --help and the light commands start in a fraction of the
# time.
if TYPE_CHECKING:
    from simulation.engine.results import RunResult
    from simulation.experiments.runner import RunRequest
    from simulation.experiments.store.writer import ResultsStore

_PLAIN = {"markup": False, "emoji": False, "highlight": False}
out = Console(width=None if Console().is_terminal else 140, **_PLAIN)  # type: ignore[arg-type]
err = Console(stderr=True, **_PLAIN)  # type: ignore[arg-type]

# Options shared by every command that runs replications.
StoreOption = Annotated[Path, typer.Option("--store", help="Results store folder",
                                           show_default=True)]
NoStoreOption = Annotated[bool, typer.Option("--no-store",
                                             help="Keep no results: run everything again")]
WorkersOption = Annotated[int | None, typer.Option(
    min=1, help="Local worker processes (default and most: every core)")]
DaskOption = Annotated[str | None, typer.Option(
    "--dask", metavar="SCHEDULER_ADDRESS",
    help="Run on the Dask scheduler at this address, e.g. tcp://127.0.0.1:8786")]
DaskLocalOption = Annotated[int | None, typer.Option(
    "--dask-local", metavar="N", min=1,
    help="Run on a Dask LocalCluster of N worker processes (at most every core)")]
DEFAULT_STORE = Path(DEFAULT_ROOT)
LangOption = Annotated[str, typer.Option(
    "--lang", help="Language of the tables, sentences and report: en, fi (suomi) or sv (svenska)")]


class UsageError(Exception):
    """Bad command-line input that is not a scenario file problem."""


def language(lang: str) -> Words:
    """The ``Words`` of ``--lang``; an unknown language is a usage error."""
    try:
        return words(lang)
    except UnknownLanguage as exc:
        raise UsageError(f"--lang: {exc}") from None


def one_line(text: str) -> str:
    """A message as one line: whitespace runs (newlines included) become one space."""
    return " ".join(str(text).split())


def plural(n: int, noun: str) -> str:
    """``1 run``, ``2 runs`` (English nouns that take an s)."""
    return f"{n:,} {noun}" if n == 1 else f"{n:,} {noun}s"


def fail(message: str) -> None:
    err.print(f"error: {one_line(message)}", soft_wrap=True)
    raise typer.Exit(2)


def note(message: str) -> None:
    err.print(f"note: {one_line(message)}", soft_wrap=True)


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the errors users can cause into one line and exit status 2."""
    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        from simulation.experiments.store.opening import StoreRefusal
        from simulation.params.loading import ScenarioError

        try:
            return command(*args, **kwargs)
        except (ScenarioError, UsageError, OutputError, StoreRefusal) as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            err.print("interrupted")
            raise typer.Exit(130) from None
    return wrapper


@contextmanager
def progress_bar(total: int, label: str):
    """A progress bar with ETA on stderr; yields a callback to advance it."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True,
                  disable=not err.is_terminal) as progress:
        task = progress.add_task(label, total=total)
        yield lambda *_: progress.advance(task)


def fmt(value: float | None) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.1f} M"
    if abs(value) < 1 and value != 0:
        return f"{value:.3f}"
    return f"{value:,.0f}"


def text(value: Any) -> str:
    """A table cell: missing values (None, NaN) are empty."""
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return ""
    return str(value)


def json_ready(value: Any) -> Any:
    """NaN and infinities are not JSON: write them as null."""
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, dict):
        return {k: json_ready(v) for k, v in value.items()}
    if isinstance(value, list):
        return [json_ready(v) for v in value]
    return value


def comparison_groups(baseline: str | None, scenarios: list[str],
                      every: bool) -> dict[str, list[str]]:
    """Which scenarios to compare with which baseline."""
    from simulation.params.loading import library_names, load_scenario

    if every:
        if baseline or scenarios:
            raise UsageError("--all takes no scenario names")
        groups: dict[str, list[str]] = {}
        for name in library_names():
            declared = load_scenario(name).baseline
            if declared:
                groups.setdefault(declared, []).append(name)
        return groups
    if not baseline or not scenarios:
        raise UsageError("name a baseline and at least one scenario, or pass --all")
    others = list(dict.fromkeys(s for s in scenarios if s != baseline))  # each once
    if not others:
        raise UsageError(f"nothing to compare: {baseline} is the baseline; name another "
                         "scenario")
    return {baseline: others}


def refuse_shared_names(loaded: Mapping[str, Any]) -> None:
    """Results are told apart by scenario name (the store, the summary, --json, --csv): two
    files of one name would be mixed up, or one of them lost. ``loaded``: what the user
    named (a library name or a path) -> its scenario."""
    first: dict[str, str] = {}
    for given, scenario in loaded.items():
        other = first.setdefault(scenario.name, given)
        if other != given:
            raise UsageError(f"{given}: name: {scenario.name!r} is also the name of {other}; "
                             "give each scenario its own name")


def cores() -> int:
    """The cores this process may use."""
    try:
        return len(os.sched_getaffinity(0))
    except (AttributeError, OSError):
        return max(1, os.cpu_count() or 1)


def capped_workers(workers: int | None, option: str = "--workers") -> int | None:
    """Local processes above the cores run no faster and cost memory each: use the cores."""
    if workers is not None and workers > cores():
        note(f"{option} {workers} is more than the {cores()} cores here; using {cores()}")
        return cores()
    return workers


def engine_options(workers: int | None, dask: str | None, dask_local: int | None
                   ) -> dict[str, Any]:
    """The execute() keywords for the command-line engine options."""
    if dask and dask_local:
        raise UsageError("give either --dask SCHEDULER_ADDRESS or --dask-local N, not both")
    if dask:
        if workers:
            raise UsageError("--workers is for local runs; a Dask cluster has its own workers")
        return {"executor": "dask", "scheduler": dask}
    if dask_local:
        if workers:
            raise UsageError("--dask-local N already says how many workers")
        return {"executor": "dask", "workers": dask_local}
    return {"executor": "local", "workers": workers}


@contextmanager
def coordinator_store(root: Path, no_store: bool, unstored_ok: bool = True
                      ) -> Iterator[tuple[ResultsStore | None, Path | None]]:
    """Open the store as its one writer, settling whatever a killed run left behind.

    Yields ``(writer, read_from)``. When another run holds the store or it is read-only,
    a command that only needs results (``unstored_ok``) reads what is stored and runs the
    rest without storing it (``(None, root)``, with a note); other commands are refused with
    the reason. A folder that is not a store is always refused.
    """
    if no_store:
        yield None, None
        return
    from simulation.experiments.store.opening import NotAStoreError, StoreRefusal, is_store
    from simulation.experiments.store.writer import ResultsStore

    try:
        store = ResultsStore(root)
    except StoreRefusal as exc:
        if not unstored_ok or isinstance(exc, NotAStoreError):
            raise
        refusal: StoreRefusal | None = exc
    else:
        refusal = None
    if refusal is not None:
        note(f"{refusal}; stored runs are read from it, new runs are not stored")
        yield None, (root if is_store(root) else None)
        return
    with store:
        for line in store.recover().notes():
            note(f"{root}: {line}")
        yield store, None


@contextmanager
def run_progress(total: int, label: str) -> Iterator[Callable[[RunRequest, bool], None]]:
    """A progress bar with ETA on stderr; runs found in the store leave the total."""
    columns = (TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
               TimeRemainingColumn())
    with Progress(*columns, console=err, transient=True,
                  disable=not err.is_terminal) as progress:
        task = progress.add_task(label, total=total)
        remaining = [total]

        def done(_request: RunRequest, cached: bool) -> None:
            if cached:  # not work done now: keep it out of the speed and the ETA
                remaining[0] -= 1
                progress.update(task, total=remaining[0])
            else:
                progress.advance(task)
        yield done


def execute_from_cli(batch: Sequence[RunRequest], label: str, store: Path, no_store: bool,
                     workers: int | None, dask: str | None, dask_local: int | None, *,
                     unstored_ok: bool = True) -> list[RunResult]:
    """Run a batch with the command line's engine and store options."""
    from simulation.experiments.runner import execute

    engine = engine_options(workers, dask, dask_local)
    with coordinator_store(store, no_store, unstored_ok) as (writer, read_from), \
            run_progress(len(batch), label) as advance:
        # capped (with a note) only once nothing can refuse the run any more; a local Dask
        # cluster, like the local pool, gains nothing from more processes than cores
        if engine["executor"] == "local" or engine.get("workers"):
            engine["workers"] = capped_workers(
                engine["workers"], "--workers" if engine["executor"] == "local"
                else "--dask-local")
        try:
            return execute(batch, store=writer, read_from=read_from, on_done=advance, **engine)
        except ConnectionError as exc:
            raise UsageError(str(exc)) from None
