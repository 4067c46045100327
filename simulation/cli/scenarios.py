"""``pilotsim list``, ``validate`` and ``show``: the scenario library and its files."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from simulation.cli.common import err, guarded, out


@guarded
def list_scenarios() -> None:
    """The scenario library: name, title and sources."""
    from simulation.params.loading import library_dir, library_names, load_scenario

    table = Table(title=f"Scenarios in {library_dir()}")
    for column in ("name", "extends", "title", "sources"):
        table.add_column(column, overflow="fold")
    for name in library_names():
        scenario = load_scenario(name)
        table.add_row(name, scenario.extends or "", scenario.title, "; ".join(scenario.sources))
    out.print(table)


@guarded
def validate(files: Annotated[list[Path], typer.Argument(help="Scenario files to check")]
             ) -> None:
    """Check scenario files (and that the baseline each names exists); every bad one is
    reported, and then the exit status is 2."""
    from simulation.params.loading import ScenarioError, load_scenario

    bad = 0
    for path in files:
        try:
            scenario = load_scenario(path)
            if scenario.baseline:
                _check_baseline(path, scenario.baseline)
        except ScenarioError as exc:
            err.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
            bad += 1
            continue
        out.print(f"ok: {path}: {scenario.name}", markup=False, highlight=False)
    if bad:
        raise typer.Exit(2)


def _check_baseline(path: Path, named: str) -> None:
    """The baseline a file names must load, found as its ``extends`` would be."""
    from simulation.params.loading import ScenarioError, load_scenario, locate

    try:
        load_scenario(locate(named, relative_to=Path(path).parent))
    except ScenarioError as inner:
        raise ScenarioError(str(path), "scenario.baseline",
                            f"{named!r}: {inner.message}") from None


@guarded
def show(scenario: Annotated[str, typer.Argument(help="Library name or path")],
         as_json: Annotated[bool, typer.Option("--json")] = False) -> None:
    """Print the fully resolved parameters of a scenario, each with its source."""
    from simulation.params.loading import load_scenario
    from simulation.params.provenance import flatten

    resolved = load_scenario(scenario)
    values = resolved.model_dump(mode="json", exclude={"provenance"})
    if as_json:
        print(json.dumps({"parameters": values, "provenance": resolved.provenance}, indent=2))
        return
    table = Table(title=f"{resolved.name}: {resolved.title}")
    for column in ("parameter", "value", "source"):
        table.add_column(column, overflow="fold")
    for path, value in flatten(values):
        table.add_row(path, json.dumps(value, ensure_ascii=False),
                      resolved.provenance.get(path, "default (schema)"))
    out.print(table)
