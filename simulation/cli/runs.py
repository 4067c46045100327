"""``pilotsim run`` and ``pilotsim compare``: replications, summaries and paired effects."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from simulation.cli import posterior_effects
from simulation.cli.common import (
    DEFAULT_STORE,
    DaskLocalOption,
    DaskOption,
    NoStoreOption,
    StoreOption,
    UsageError,
    WorkersOption,
    comparison_groups,
    err,
    execute_from_cli,
    fmt,
    guarded,
    json_ready,
    out,
)
from simulation.cli.posterior_effects import PosteriorFileOption, PosteriorOption
from simulation.engine.catalogue import in_group
from simulation.experiments.outputs import check_output, write_output
from simulation.params.loading import load_scenario


@guarded
def run(scenario: Annotated[str, typer.Argument(help="Library name or path of a scenario file")],
        replications: Annotated[int, typer.Option(min=1, max=10_000)] = 10,
        seed: Annotated[int, typer.Option(min=0)] = 20170801,
        weeks: Annotated[int | None, typer.Option(min=1, max=1040)] = None,
        workers: WorkersOption = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout")] = False,
        store: StoreOption = DEFAULT_STORE, no_store: NoStoreOption = False,
        dask: DaskOption = None, dask_local: DaskLocalOption = None,
        posterior: PosteriorOption = None, posterior_file: PosteriorFileOption = None,
        ) -> None:
    """Run replications of one scenario and summarise them with 95 % intervals.

    Runs already in the results store (same scenario content, seed, weeks and code) are read
    back instead of run again."""
    from simulation.experiments.runner import requests
    from simulation.experiments.statistics import summarise_replications

    if posterior is not None:
        posterior_effects.run(scenario, posterior, posterior_file, replications, seed, weeks,
                              store, no_store, workers, dask, dask_local, as_json)
        return
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
    headline = in_group("headline")
    for name in (*headline, *(f"target_{n}" for n in headline)):
        m = metrics[name]
        table.add_row(name, fmt(m["mean"]), f"{fmt(m['ci95_low'])} … {fmt(m['ci95_high'])}")
    out.print(table)


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
        posterior: PosteriorOption = None, posterior_file: PosteriorFileOption = None,
        ) -> None:
    """Compare scenarios with a baseline using common random numbers (paired effects, 95 % CI).

    Every scenario and its baseline run with the same seeds; stored runs are read back."""
    from simulation.experiments.compare import compare_runs, comparisons_frame, plan_comparisons
    from simulation.experiments.runner import requests
    from simulation.experiments.statistics import summarise_replications

    groups = comparison_groups(baseline, scenarios or [], every)
    if posterior is not None:
        if csv is not None:
            raise UsageError("--csv is not written with --posterior; use --json")
        posterior_effects.compare(groups, posterior, posterior_file, replications, seed, weeks,
                                  store, no_store, workers, dask, dask_local, as_json)
        return
    if csv is not None:
        check_output(csv, force)  # before any replication runs
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
        frame = comparisons_frame(comparisons, baseline_levels)
        write_output(csv, lambda temp: frame.to_csv(temp, index=False), force)
    if as_json:
        print(json.dumps(json_ready({
            "baselines": list(groups), "replications": replications, "seed": seed,
            "weeks": flat[0].weeks,
            "metrics": {b: levels for b, levels in baseline_levels.items()},
            "scenarios": {c.scenario: {"scenario": c.scenario, "baseline": c.baseline,
                                       "baseline_metrics": levels_by_pair[c.scenario],
                                       "metrics": c.levels, "effects": c.effects,
                                       "reference": c.reference,
                                       "gross_net": c.gross_net, "reported": c.reported}
                          for c in comparisons}})))
        return
    for c in comparisons:
        _print_comparison(c, levels_by_pair[c.scenario], replications)


def _print_comparison(comparison, baseline_levels: dict, replications: int) -> None:
    from simulation.experiments.compare import significant

    table = Table(title=f"{comparison.scenario} vs {comparison.baseline} "
                        f"({replications} paired replications)")
    table.add_column("metric")
    for column in ("scope", "baseline", "scenario", "effect", "95 % interval", ""):
        table.add_column(column, justify="right")
    for prefix, scope in (("target_", "target"), ("", "region")):
        for name in in_group("effects"):
            key = f"{prefix}{name}"
            effect = comparison.effects.get(key)
            if effect is None:
                continue
            base = baseline_levels.get(key, {}).get("mean", float("nan"))
            level = comparison.levels.get(key, {}).get("mean", float("nan"))
            table.add_row(name, scope, fmt(base), fmt(level), fmt(effect["mean"]),
                          f"{fmt(effect['ci95_low'])} … {fmt(effect['ci95_high'])}",
                          "*" if significant(effect) else "")
    for name in in_group("growth"):
        effect = comparison.effects.get(name)
        if effect is not None:
            table.add_row(name, "region", fmt(baseline_levels.get(name, {}).get("mean")),
                          fmt(comparison.levels.get(name, {}).get("mean")), fmt(effect["mean"]),
                          f"{fmt(effect['ci95_low'])} … {fmt(effect['ci95_high'])}",
                          "*" if significant(effect) else "")
    out.print(table)
    if comparison.reference:
        _print_reference(comparison)
    if comparison.reported:
        _print_reported(comparison)
    if replications < 5:
        err.print("warning: fewer than 5 replications; intervals are unreliable", markup=False)


def _print_reported(comparison) -> None:
    """What the programme reported over a period, beside the model's gross change, the
    baseline's trend over the same weeks and the net effect (gross − trend)."""
    table = Table(title=f"{comparison.scenario}: reported changes against gross, trend and net")
    for column in ("metric", "weeks", "reported", "gross", "reported trend", "trend", "net",
                   "95 % interval"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for name, row in comparison.reported.items():
        start, end = row["weeks"]
        table.add_row(f"{name} ({row['scope']})", f"{start}–{end}", fmt(row["reported"]),
                      fmt(row["gross"]["mean"]), fmt(row["reported_trend"]),
                      fmt(row["trend"]["mean"]), fmt(row["net"]["mean"]),
                      f"{fmt(row['net']['ci95_low'])} … {fmt(row['net']['ci95_high'])}")
    out.print(table)


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
