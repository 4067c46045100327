"""The ``pilotsim`` command line.

Bad input never produces a traceback: a scenario that cannot be used is
reported as one line ``error: FILE: FIELD: message`` on stderr, exit status 2.
"""

from __future__ import annotations

import json
import math
import sys
from collections.abc import Callable
from contextlib import contextmanager
from functools import wraps
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.console import Console
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeRemainingColumn
from rich.table import Table

from simulation.scenario import ScenarioError, library_dir, library_names, load_scenario

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="pilotsim: try regional labour-market interventions before a pilot.")
out = Console()
err = Console(stderr=True)

HEADLINE = ("placements", "sustained_3m", "activation_rate_end", "unemployed_end",
            "long_term_unemployed_end", "cost_total_eur", "cost_state_eur",
            "cost_municipality_eur", "cost_other_eur")


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


@app.command()
@guarded
def run(scenario: Annotated[str, typer.Argument(help="Library name or path of a scenario file")],
        replications: Annotated[int, typer.Option(min=1, max=10_000)] = 10,
        seed: Annotated[int, typer.Option(min=0)] = 20170801,
        weeks: Annotated[int | None, typer.Option(min=1, max=1040)] = None,
        workers: Annotated[int | None, typer.Option(min=1, max=256)] = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout")] = False,
        ) -> None:
    """Run replications of one scenario and summarise them with 95 % intervals."""
    from simulation.runner import requests, run_many
    from simulation.statistics import summarise_replications

    resolved = load_scenario(scenario)
    batch = requests(resolved, replications, seed, weeks)
    with progress_bar(len(batch), f"{resolved.name}") as advance:
        results = run_many(batch, workers, on_done=advance)
    metrics = summarise_replications([r.summary for r in results])
    if as_json:
        print(json.dumps(json_ready({
            "scenario": resolved.name, "replications": replications, "seed": seed,
            "weeks": batch[0].weeks, "metrics": metrics}), indent=None))
        return
    table = Table(title=f"{resolved.title or resolved.name} — {replications} replications, "
                        f"{batch[0].weeks} weeks, seed {seed}")
    table.add_column("metric")
    for column in ("mean", "95 % interval"):
        table.add_column(column, justify="right")
    for name in (*HEADLINE, *(f"target_{n}" for n in HEADLINE)):
        m = metrics[name]
        table.add_row(name, fmt(m["mean"]), f"{fmt(m['ci95_low'])} … {fmt(m['ci95_high'])}")
    out.print(table)


@app.command("list")
@guarded
def list_scenarios() -> None:
    """The scenario library: name, title and sources."""
    table = Table(title=f"Scenarios in {library_dir()}")
    for column in ("name", "extends", "title", "sources"):
        table.add_column(column, overflow="fold")
    for name in library_names():
        scenario = load_scenario(name)
        table.add_row(name, scenario.extends or "", scenario.title, "; ".join(scenario.sources))
    out.print(table)


@app.command()
@guarded
def validate(files: Annotated[list[Path], typer.Argument(help="Scenario files to check")]
             ) -> None:
    """Check scenario files; the first bad one is reported and the exit status is 2."""
    bad = 0
    for path in files:
        try:
            scenario = load_scenario(path)
        except ScenarioError as exc:
            err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            bad += 1
            continue
        out.print(f"ok: {path}: {scenario.name}", markup=False, highlight=False)
    if bad:
        raise typer.Exit(2)


@app.command()
@guarded
def show(scenario: Annotated[str, typer.Argument(help="Library name or path")],
         as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Print the fully resolved parameters of a scenario, each with its source."""
    resolved = load_scenario(scenario)
    values = resolved.model_dump(mode="json", exclude={"provenance"})
    if as_json:
        print(json.dumps({"parameters": values, "provenance": resolved.provenance}, indent=2))
        return
    table = Table(title=f"{resolved.name}: {resolved.title}")
    for column in ("parameter", "value", "source"):
        table.add_column(column, overflow="fold")
    for path, value in _flatten(values):
        table.add_row(path, json.dumps(value, ensure_ascii=False),
                      resolved.provenance.get(path, "default (schema)"))
    out.print(table)


def _flatten(node: Any, prefix: str = "") -> list[tuple[str, Any]]:
    if isinstance(node, dict):
        rows = []
        for key, value in node.items():
            rows.extend(_flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    return [(prefix, node)]


from simulation import cli_ensemble  # noqa: E402,F401  (registers runs, export, sweep)


def main() -> None:
    app(prog_name="pilotsim")


if __name__ == "__main__":
    sys.exit(main())
