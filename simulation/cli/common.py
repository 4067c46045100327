"""What every ``pilotsim`` command shares: the app, consoles, options, one-line errors, the
engine and store options, and running a batch with them.

Bad input never produces a traceback: a scenario that cannot be used is
reported as one line ``error: FILE: FIELD: message`` on stderr, exit status 2.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import TYPE_CHECKING, Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn

from simulation.experiments.store.layout import DEFAULT_ROOT

if TYPE_CHECKING:
    from simulation.engine.results import RunResult
    from simulation.experiments.runner import RunRequest
    from simulation.experiments.store.writer import ResultsStore
from simulation.params.loading import ScenarioError, library_names, load_scenario

out = Console(width=None if Console().is_terminal else 140)
err = Console(stderr=True)

# Options shared by every command that runs replications.
StoreOption = Annotated[Path, typer.Option("--store", help="Results store folder",
                                           show_default=True)]
NoStoreOption = Annotated[bool, typer.Option("--no-store",
                                             help="Keep no results: run everything again")]
WorkersOption = Annotated[int | None, typer.Option(
    min=1, max=256, help="Local worker processes (default: every core)")]
DaskOption = Annotated[str | None, typer.Option(
    "--dask", metavar="SCHEDULER_ADDRESS",
    help="Run on the Dask scheduler at this address, e.g. tcp://127.0.0.1:8786")]
DaskLocalOption = Annotated[int | None, typer.Option(
    "--dask-local", metavar="N", min=1, max=256,
    help="Run on a Dask LocalCluster of N worker processes")]
DEFAULT_STORE = Path(DEFAULT_ROOT)


class UsageError(Exception):
    """Bad command-line input that is not a scenario file problem."""


def fail(message: str) -> None:
    err.print(f"error: {message}", markup=False, highlight=False, soft_wrap=True)
    raise typer.Exit(2)


def guarded(command: Callable[..., Any]) -> Callable[..., Any]:
    """Turn the errors users can cause into one line and exit status 2."""
    @wraps(command)
    def wrapper(*args: Any, **kwargs: Any) -> Any:
        try:
            return command(*args, **kwargs)
        except (ScenarioError, UsageError) as exc:
            fail(str(exc))
        except KeyboardInterrupt:
            err.print("interrupted", markup=False)
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


def fmt(value: float) -> str:
    if value is None or (isinstance(value, float) and math.isnan(value)):
        return "–"
    if abs(value) >= 1e6:
        return f"{value / 1e6:,.1f} M"
    if abs(value) < 1 and value != 0:
        return f"{value:.3f}"
    return f"{value:,.0f}"


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
    return {baseline: [s for s in scenarios if s != baseline]}


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
def coordinator_store(root: Path, no_store: bool) -> Iterator[ResultsStore | None]:
    """Open the store as its one writer, settling whatever a killed run left behind."""
    if no_store:
        yield None
        return
    import duckdb

    from simulation.experiments.store.writer import ResultsStore

    try:
        store = ResultsStore(root)
    except duckdb.IOException as exc:
        raise UsageError(f"{root}: the results store is in use by another pilotsim run "
                         f"({str(exc).splitlines()[0]})") from None
    with store:
        store.recover()
        yield store


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
                     workers: int | None, dask: str | None, dask_local: int | None
                     ) -> list[RunResult]:
    """Run a batch with the command line's engine and store options."""
    from simulation.experiments.runner import execute

    engine = engine_options(workers, dask, dask_local)
    with coordinator_store(store, no_store) as results_store, \
            run_progress(len(batch), label) as advance:
        try:
            return execute(batch, store=results_store, on_done=advance, **engine)
        except ConnectionError as exc:
            raise UsageError(str(exc)) from None
