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

from simulation.provenance import flatten
from simulation.scenario import ScenarioError, library_dir, library_names, load_scenario
from simulation.store import DEFAULT_ROOT

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="pilotsim: try regional labour-market interventions before a pilot.")
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


@app.command()
@guarded
def run(scenario: Annotated[str, typer.Argument(help="Library name or path of a scenario file")],
        replications: Annotated[int, typer.Option(min=1, max=10_000)] = 10,
        seed: Annotated[int, typer.Option(min=0)] = 20170801,
        weeks: Annotated[int | None, typer.Option(min=1, max=1040)] = None,
        workers: WorkersOption = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout")] = False,
        store: StoreOption = DEFAULT_STORE, no_store: NoStoreOption = False,
        dask: DaskOption = None, dask_local: DaskLocalOption = None,
        ) -> None:
    """Run replications of one scenario and summarise them with 95 % intervals.

    Runs already in the results store (same scenario content, seed, weeks and code) are read
    back instead of run again."""
    from simulation.cli_ensemble import execute_from_cli
    from simulation.runner import requests
    from simulation.statistics import summarise_replications

    resolved = load_scenario(scenario)
    batch = requests(resolved, replications, seed, weeks)
    results = execute_from_cli(batch, resolved.name, store, no_store, workers, dask, dask_local)
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


@app.command()
@guarded
def compare(
        baseline: Annotated[str | None, typer.Argument(help="Baseline scenario")] = None,
        scenarios: Annotated[list[str] | None, typer.Argument(help="Scenarios to compare")] = None,
        every: Annotated[bool, typer.Option(
            "--all", help="Compare every library scenario with its declared baseline")] = False,
        replications: Annotated[int, typer.Option(min=1, max=10_000)] = 10,
        seed: Annotated[int, typer.Option(min=0)] = 20170801,
        weeks: Annotated[int | None, typer.Option(min=1, max=1040)] = None,
        workers: WorkersOption = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout")] = False,
        csv: Annotated[Path | None, typer.Option(help="Also write tidy rows to this CSV")] = None,
        force: Annotated[bool, typer.Option(help="Overwrite an existing --csv file")] = False,
        store: StoreOption = DEFAULT_STORE, no_store: NoStoreOption = False,
        dask: DaskOption = None, dask_local: DaskLocalOption = None,
        ) -> None:
    """Compare scenarios with a baseline using common random numbers (paired effects, 95 % CI).

    Every scenario and its baseline run with the same seeds; stored runs are read back."""
    from simulation.cli_ensemble import execute_from_cli
    from simulation.compare import compare_runs, comparisons_frame, plan_comparisons
    from simulation.runner import requests
    from simulation.statistics import summarise_replications

    groups = _comparison_groups(baseline, scenarios or [], every)
    if csv is not None and csv.exists() and not force:
        raise UsageError(f"{csv}: exists; pass --force to overwrite")
    # keyed by the name or path the user gave, so files outside the library work too
    loaded = {arg: load_scenario(arg) for base, names in groups.items()
              for arg in (base, *names)}
    to_run, pairs = plan_comparisons(groups, loaded)
    batches = {key: requests(sc, replications, seed, weeks) for key, sc in to_run.items()}
    flat = [r for batch in batches.values() for r in batch]
    results = execute_from_cli(flat, "comparing", store, no_store, workers, dask, dask_local)
    by_key: dict[str, list] = {}
    position = 0
    for key, batch in batches.items():
        by_key[key] = results[position:position + len(batch)]
        position += len(batch)
    comparisons = []
    baseline_levels = {loaded[base].name: summarise_replications([r.summary for r in by_key[base]])
                       for base in groups}
    levels_by_pair = {}
    for base_key, name in pairs:
        comparison = compare_runs(to_run[base_key], loaded[name], by_key[name],
                                  by_key[base_key], seed)
        comparisons.append(comparison)
        levels_by_pair[comparison.scenario] = summarise_replications(
            [r.summary for r in by_key[base_key]])
    if csv is not None:
        _write_csv_atomically(comparisons_frame(comparisons, baseline_levels), csv)
    if as_json:
        print(json.dumps(json_ready({
            "baselines": list(groups), "replications": replications, "seed": seed,
            "weeks": flat[0].weeks,
            "metrics": {b: levels for b, levels in baseline_levels.items()},
            "scenarios": {c.scenario: {"scenario": c.scenario, "baseline": c.baseline,
                                       "baseline_metrics": levels_by_pair[c.scenario],
                                       "metrics": c.levels, "effects": c.effects,
                                       "reference": c.reference}
                          for c in comparisons}})))
        return
    for c in comparisons:
        _print_comparison(c, levels_by_pair[c.scenario], replications)


def _comparison_groups(baseline: str | None, scenarios: list[str],
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


def _write_csv_atomically(frame, path: Path) -> None:
    tmp = path.with_name(f".{path.name}.tmp")
    frame.to_csv(tmp, index=False)
    tmp.replace(path)


def _print_comparison(comparison, baseline_levels: dict, replications: int) -> None:
    from simulation.compare import GROWTH_EFFECTS, HEADLINE_EFFECTS, significant

    table = Table(title=f"{comparison.scenario} vs {comparison.baseline} "
                        f"({replications} paired replications)")
    table.add_column("metric")
    for column in ("scope", "baseline", "scenario", "effect", "95 % interval", ""):
        table.add_column(column, justify="right")
    for prefix, scope in (("target_", "target"), ("", "region")):
        for name in HEADLINE_EFFECTS:
            key = f"{prefix}{name}"
            effect = comparison.effects.get(key)
            if effect is None:
                continue
            base = baseline_levels.get(key, {}).get("mean", float("nan"))
            level = comparison.levels.get(key, {}).get("mean", float("nan"))
            table.add_row(name, scope, fmt(base), fmt(level), fmt(effect["mean"]),
                          f"{fmt(effect['ci95_low'])} … {fmt(effect['ci95_high'])}",
                          "*" if significant(effect) else "")
    for name in GROWTH_EFFECTS:
        effect = comparison.effects.get(name)
        if effect is not None:
            table.add_row(name, "region", fmt(baseline_levels.get(name, {}).get("mean")),
                          fmt(comparison.levels.get(name, {}).get("mean")), fmt(effect["mean"]),
                          f"{fmt(effect['ci95_low'])} … {fmt(effect['ci95_high'])}",
                          "*" if significant(effect) else "")
    out.print(table)
    if comparison.reference:
        _print_reference(comparison)
    if replications < 5:
        err.print("warning: fewer than 5 replications; intervals are unreliable", markup=False)


def _print_reference(comparison) -> None:
    """The scenario's recorded goals beside the simulated effects."""
    table = Table(title=f"{comparison.scenario}: effects against the scenario's reference goals")
    for column, justify in (("metric", "left"), ("goal", "right"), ("simulated effect", "right"),
                            ("95 % interval", "right"), ("share of goal", "right")):
        table.add_column(column, justify=justify)
    for name, goal in comparison.reference.items():
        effect = comparison.effects.get(name)
        if effect is None:
            table.add_row(name, fmt(goal), "not simulated", "", "")
            continue
        share = effect["mean"] / goal if goal else float("nan")
        table.add_row(name, fmt(goal), fmt(effect["mean"]),
                      f"{fmt(effect['ci95_low'])} … {fmt(effect['ci95_high'])}",
                      "–" if math.isnan(share) else f"{share:.0%}")
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
    for path, value in flatten(values):
        table.add_row(path, json.dumps(value, ensure_ascii=False),
                      resolved.provenance.get(path, "default (schema)"))
    out.print(table)




# Commands defined in their own modules register themselves on import.
from simulation import (  # noqa: E402
    cli_calibrate,  # noqa: F401  (calibrate, sensitivity)
    cli_dashboard,  # noqa: F401  (dashboard)
    cli_ensemble,  # noqa: F401  (runs, export, sweep)
    cli_report,  # noqa: F401  (report, power)
)


def main() -> None:
    app(prog_name="pilotsim")


if __name__ == "__main__":
    sys.exit(main())
