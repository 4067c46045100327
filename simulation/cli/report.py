"""CLI commands for planners: ``report`` (one HTML file) and ``power`` (evaluation design)."""

from __future__ import annotations

import json
import math
import shlex
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Annotated

import typer
from rich.table import Table

from simulation.cli import posterior_effects
from simulation.cli.common import (
    DEFAULT_STORE,
    DaskLocalOption,
    DaskOption,
    LangOption,
    NoStoreOption,
    StoreOption,
    UsageError,
    WorkersOption,
    comparison_groups,
    err,
    execute_from_cli,
    guarded,
    json_ready,
    language,
    out,
    plural,
    refuse_shared_names,
)
from simulation.cli.posterior_effects import PosteriorFileOption, PosteriorOption
from simulation.experiments.outputs import check_output

if TYPE_CHECKING:
    from simulation.experiments.power import PowerResult
    from simulation.experiments.runner import RunRequest, RunResult
    from simulation.params.schema import Scenario

DEFAULT_SIZES = "250,500,1000,2000,5000,10000,20000"
DEFAULT_OUTCOME, DEFAULT_RESAMPLES, DEFAULT_REGION_SD = "sustained_3m", 400, 0.0
SizesOption = Annotated[str, typer.Option(
    help="Pilot sizes (clients in the pilot), comma-separated")]
OutcomeOption = Annotated[str, typer.Option(
    help="Individual outcome: sustained_3m (lasting employment), sustained_6m, sustained_12m, "
         "employed_end, placed, served")]
ResamplesOption = Annotated[int, typer.Option(min=20, max=100_000,
                                              help="Simulated evaluations per size")]
RegionSdOption = Annotated[float, typer.Option(
    "--region-sd", min=0.0, max=0.5,
    help="Assumed extra spread (sd, as a share) of real regions' rates beyond the model's")]


def command_line() -> str:
    return "pilotsim " + " ".join(shlex.quote(a) for a in sys.argv[1:])


def _with_cohorts(batch: list[RunRequest], results: list[RunResult], workers: int | None,
                  dask: str | None, dask_local: int | None) -> list[RunResult]:
    """Runs stored before per-person tables were kept lack cohort outcomes: run those again."""
    missing = [i for i, r in enumerate(results) if r.cohort is None]
    if not missing:
        return results
    again = execute_from_cli([batch[i] for i in missing], "per-person outcomes", DEFAULT_STORE,
                             True, workers, dask, dask_local)
    results = list(results)
    for i, result in zip(missing, again, strict=True):
        results[i] = result
    return results


def _power_results(scenario_runs: list[RunResult], baseline_runs: list[RunResult],
                   designs: list[str], sizes: list[int], outcome: str, resamples: int,
                   alpha: float, seed: int, region_sd: float) -> list[PowerResult]:
    from simulation.experiments.power import PowerError, evaluate

    try:
        return [evaluate(scenario_runs, baseline_runs, design, sizes, outcome, resamples, alpha,
                         seed, extra_region_sd=region_sd) for design in designs]
    except PowerError as exc:
        raise UsageError(str(exc)) from None


@guarded
def report(
        baseline: Annotated[str | None, typer.Argument(help="Baseline scenario")] = None,
        scenarios: Annotated[list[str] | None, typer.Argument(help="Scenarios to compare")] = None,
        every: Annotated[bool, typer.Option(
            "--all", help="Every library scenario against its declared baseline")] = False,
        replications: Annotated[int, typer.Option(min=1, max=10_000)] = 10,
        seed: Annotated[int, typer.Option(min=0)] = 20170801,
        weeks: Annotated[int | None, typer.Option(min=1, max=1040)] = None,
        output: Annotated[Path, typer.Option("--out", help="HTML file to write")] = Path(
            "pilotsim-report.html"),
        force: Annotated[bool, typer.Option(help="Overwrite an existing --out file")] = False,
        power: Annotated[bool, typer.Option(
            "--power", help="Add the power and MDE of an RCT and a comparison-region design")]
        = False,
        sizes: SizesOption = DEFAULT_SIZES, outcome: OutcomeOption = DEFAULT_OUTCOME,
        resamples: ResamplesOption = DEFAULT_RESAMPLES,
        region_sd: RegionSdOption = DEFAULT_REGION_SD,
        store: StoreOption = DEFAULT_STORE, no_store: NoStoreOption = False,
        workers: WorkersOption = None, dask: DaskOption = None,
        dask_local: DaskLocalOption = None, lang: LangOption = "en",
        posterior: PosteriorOption = None, posterior_file: PosteriorFileOption = None,
        posterior_replications: Annotated[int, typer.Option(
            min=1, max=1000, help="With --posterior: paired replications per draw")] = 2,
        ) -> None:
    """Write the planner's report: effects, costs by payer, sources, calibration (one HTML file).
    """
    from simulation.experiments.compare import plan_comparisons
    from simulation.experiments.power import PowerError, check_work, parse_sizes
    from simulation.experiments.runner import code_version, requests, run_meta
    from simulation.params.loading import load_scenario
    from simulation.report.page import render, write_report
    from simulation.report.sections import Reproducibility, build_sections

    w = language(lang)
    if not power:
        given = [option for option, value, default in (
            ("--sizes", sizes, DEFAULT_SIZES), ("--outcome", outcome, DEFAULT_OUTCOME),
            ("--resamples", resamples, DEFAULT_RESAMPLES),
            ("--region-sd", region_sd, DEFAULT_REGION_SD))
            if value != default]
        if given:
            raise UsageError(f"{', '.join(given)}: only with --power (add it, or leave "
                             f"{'it' if len(given) == 1 else 'them'} out)")
    check_output(output, force)  # before any replication runs
    # the posterior is checked before anything runs
    chosen = posterior_effects.draws(posterior, posterior_file, seed) \
        if posterior is not None else None
    try:
        size_list = parse_sizes(sizes) if power else []
        check_work(size_list, resamples)
    except PowerError as exc:
        raise UsageError(str(exc)) from None
    groups = comparison_groups(baseline, scenarios or [], every)
    if not any(groups.values()):
        raise UsageError("nothing to compare: name a scenario other than the baseline")
    loaded: dict[str, Scenario] = {name: load_scenario(name) for base, names in groups.items()
                                   for name in (base, *names)}
    refuse_shared_names(loaded)
    to_run, pairs = plan_comparisons(groups, loaded, only_paired=True)
    batches = {name: requests(sc, replications, seed, weeks, batch="report")
               for name, sc in to_run.items()}
    flat = [r for batch in batches.values() for r in batch]
    results = execute_from_cli(flat, "report", store, no_store, workers, dask, dask_local)
    if power:
        results = _with_cohorts(flat, results, workers, dask, dask_local)
    runs: dict[str, list[RunResult]] = {}  # by the name or path given
    position = 0
    for name, batch in batches.items():
        runs[name] = results[position:position + len(batch)]
        position += len(batch)
    sections = build_sections(pairs, to_run, runs, seed)
    if chosen is not None:
        posterior_effects.attach(sections, groups, chosen, posterior_replications, seed, weeks,
                                 store, no_store, workers, dask, dask_local)
    if power:
        for section, (base, name) in zip(sections, pairs, strict=True):
            section.power = _power_results(runs[name], runs[base],
                                           ["rct", "comparison-region"], size_list, outcome,
                                           resamples, 0.05, seed, region_sd)
    version = code_version()
    repro = Reproducibility(
        command=command_line(), seed=seed, replications=replications,
        weeks=_weeks_text(sorted({request.weeks for request in flat})),
        store=None if no_store else str(store), code_version=version,
        # keyed by what was run: a baseline measured on a scenario's target group is
        # "baseline@scenario", apart from the baseline itself
        run_ids={} if no_store else {key: [run_meta(r, version).run_id for r in batch]
                                     for key, batch in batches.items()})
    try:
        write_report(render(sections, repro, w=w), output, force)
    except FileExistsError:
        raise UsageError(f"{output}: exists; pass --force to overwrite") from None
    err.print(f"wrote {output} ({plural(len(sections), 'comparison')})")


def _weeks_text(weeks: list[int]) -> int | str:
    """The run length, or the range of them where scenarios run their own (74–156)."""
    return weeks[0] if len(weeks) == 1 else f"{weeks[0]}–{weeks[-1]}"


@guarded
def power(
        scenario: Annotated[str, typer.Argument(help="The pilot scenario")],
        baseline: Annotated[str, typer.Option(help="Its baseline (doing nothing new)")],
        sizes: SizesOption = DEFAULT_SIZES,
        design: Annotated[str, typer.Option(help="rct or comparison-region")] = "rct",
        outcome: OutcomeOption = DEFAULT_OUTCOME,
        replications: Annotated[int, typer.Option(min=1, max=10_000)] = 10,
        alpha: Annotated[float, typer.Option(min=0.0001, max=0.5)] = 0.05,
        resamples: ResamplesOption = DEFAULT_RESAMPLES,
        region_sd: RegionSdOption = DEFAULT_REGION_SD,
        seed: Annotated[int, typer.Option(min=0)] = 20170801,
        weeks: Annotated[int | None, typer.Option(min=1, max=1040)] = None,
        workers: WorkersOption = None, dask: DaskOption = None,
        dask_local: DaskLocalOption = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout")]
        = False,
        html_out: Annotated[Path | None, typer.Option(
            "--html", help="Also write the table and figure to this HTML file")] = None,
        force: Annotated[bool, typer.Option(help="Overwrite an existing --html file")] = False,
        ) -> None:
    """Power and minimum detectable effect of evaluating a pilot, by pilot size.

    Runs the scenario and its baseline with the same seeds, afresh: this command neither
    reads nor writes the results store (``report --power`` does both)."""
    from simulation.experiments.power import (
        DESIGNS,
        OUTCOMES,
        PowerError,
        check_work,
        parse_sizes,
    )
    from simulation.experiments.runner import requests
    from simulation.params.loading import load_scenario

    if design not in DESIGNS:
        raise UsageError(f"--design is rct or comparison-region, not {design!r}")
    if outcome not in OUTCOMES:
        raise UsageError(f"--outcome: one of {', '.join(OUTCOMES)}, not {outcome!r}")
    if html_out is not None:
        check_output(html_out, force)
    try:
        size_list = parse_sizes(sizes)
        check_work(size_list, resamples)
    except PowerError as exc:
        raise UsageError(str(exc)) from None
    pilot, base = load_scenario(scenario), load_scenario(baseline)
    if design == "comparison-region" and replications < 2:
        raise UsageError("comparison-region needs --replications 2 or more")
    batch = requests(pilot, replications, seed, weeks) + requests(base, replications, seed, weeks)
    results = execute_from_cli(batch, "power", DEFAULT_STORE, True, workers, dask, dask_local)
    result = _power_results(results[:replications], results[replications:], [design],
                            size_list, outcome, resamples, alpha, seed, region_sd)[0]
    if html_out is not None:
        _write_power_html(result, pilot.name, base.name, html_out, force)
    if as_json:
        print(json.dumps(json_ready({"scenario": pilot.name, "baseline": base.name,
                                     "seed": seed, "weeks": batch[0].weeks,
                                     **result.to_dict()})))
        return
    _print_power(result, pilot.name, base.name)


def _print_power(result: PowerResult, scenario: str, baseline: str) -> None:
    from simulation.experiments.power import OUTCOMES

    eff = result.effect
    table = Table(title=f"{result.design}: {scenario} vs {baseline}, "
                        f"{OUTCOMES[result.outcome][0]} (α = {result.alpha})")
    for column in ("pilot size", "power", "MDE (80 % power)", "people drawn"):
        table.add_column(column, justify="right")
    for row in result.table.itertuples():
        table.add_row(f"{int(row.size):,}", f"{row.power:.2f}", f"{100 * row.mde:.2f} pp",
                      row.sampling)
    out.print(table)
    need = "never" if math.isinf(result.required_size) else f"{result.required_size:,.0f}"
    out.print(f"baseline rate {100 * result.baseline_rate:.2f} %, scenario "
              f"{100 * result.scenario_rate:.2f} %; predicted effect {100 * eff['mean']:+.2f} pp "
              f"(95 % CI {100 * eff['ci95_low']:.2f} to {100 * eff['ci95_high']:.2f}); "
              f"size for {100 * result.target_power:.0f} % power: {need}", markup=False,
              highlight=False)
    for note in result.notes:
        out.print(f"note: {note}", markup=False, highlight=False)


def _write_power_html(result: PowerResult, scenario: str, baseline: str, path: Path,
                      force: bool) -> None:
    from simulation.experiments.power import power_figure
    from simulation.report.page import write_report

    table = result.table.to_html(index=False, float_format=lambda x: f"{x:.4f}")
    text = ("<!DOCTYPE html>\n<html><head><meta charset=\"utf-8\"><title>power</title></head>"
            f"<body><h1>{result.design}: {scenario} vs {baseline}</h1>{table}"
            + power_figure([result]).to_html(full_html=False, include_plotlyjs=True)
            + "</body></html>\n")
    try:
        write_report(text, path, force)
    except FileExistsError:
        raise UsageError(f"{path}: exists; pass --force to overwrite") from None
