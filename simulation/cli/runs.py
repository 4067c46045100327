"""``pilotsim run`` and ``pilotsim compare``: replications, summaries and paired effects."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated

import typer
from rich import box
from rich.console import Console
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
    fmt,
    guarded,
    json_ready,
    language,
    out,
    refuse_shared_names,
)
from simulation.cli.posterior_effects import PosteriorFileOption, PosteriorOption
from simulation.experiments.outputs import check_output, write_output
from simulation.i18n import N_, Words


@guarded
def run(scenario: Annotated[str, typer.Argument(help="Library name or path of a scenario file")],
        replications: Annotated[int, typer.Option(min=1, max=10_000)] = 10,
        seed: Annotated[int, typer.Option(min=0)] = 20170801,
        weeks: Annotated[int | None, typer.Option(min=1, max=1040)] = None,
        workers: WorkersOption = None,
        as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout")] = False,
        store: StoreOption = DEFAULT_STORE, no_store: NoStoreOption = False,
        dask: DaskOption = None, dask_local: DaskLocalOption = None, lang: LangOption = "en",
        posterior: PosteriorOption = None, posterior_file: PosteriorFileOption = None,
        ) -> None:
    """Run replications of one scenario and summarise them with 95 % intervals.

    Runs already in the results store (same scenario content, seed, weeks and code) are read
    back instead of run again."""
    from simulation.engine.catalogue import in_group
    from simulation.experiments.runner import requests
    from simulation.experiments.statistics import summarise_replications
    from simulation.params.loading import load_scenario

    w = language(lang)
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
    table = Table(title=w.text(N_("{title} — {n} replications, {weeks} weeks, seed {seed}"),
                               title=resolved.title or resolved.name, n=str(replications),
                               weeks=str(batch[0].weeks), seed=str(seed)))
    table.add_column(w.gettext(N_("metric")))
    for column in (N_("mean"), N_("95 % interval")):
        table.add_column(w.gettext(column), justify="right")
    headline = in_group("headline")
    for name in (*headline, *(f"target_{n}" for n in headline)):
        m = metrics[name]
        table.add_row(_metric_name(name, w), _n(m["mean"], w),
                      f"{_n(m['ci95_low'], w)} … {_n(m['ci95_high'], w)}")
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
        detail: Annotated[bool, typer.Option(
            "--detail", help="Every comparison's full tables, not one summary table")] = False,
        store: StoreOption = DEFAULT_STORE, no_store: NoStoreOption = False,
        dask: DaskOption = None, dask_local: DaskLocalOption = None, lang: LangOption = "en",
        posterior: PosteriorOption = None, posterior_file: PosteriorFileOption = None,
        ) -> None:
    """Compare scenarios with a baseline using common random numbers (paired effects, 95 % CI).

    Every scenario and its baseline run with the same seeds; stored runs are read back. One
    comparison prints its headline sentence and full tables; several print one summary table
    (a row per scenario) unless --detail is given."""
    from simulation.experiments.compare import compare_runs, comparisons_frame, plan_comparisons
    from simulation.experiments.runner import requests
    from simulation.experiments.statistics import summarise_replications
    from simulation.params.loading import load_scenario

    w = language(lang)
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
    refuse_shared_names(loaded)
    # the baselines' own levels are printed only in the CSV and JSON outputs
    levels_shown = csv is not None or as_json
    to_run, pairs = plan_comparisons(groups, loaded, only_paired=not levels_shown)
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
                       for base in groups} if levels_shown else {}
    levels_by_pair = {}
    for base_key, name in pairs:
        comparison = compare_runs(to_run[base_key], loaded[name], by_key[name],
                                  by_key[base_key], seed)
        comparisons.append(comparison)
        levels_by_pair[comparison.scenario] = summarise_replications(
            [r.summary for r in by_key[base_key]])
    # each scenario runs its own weeks unless --weeks says otherwise (North Karelia: 156)
    weeks_of = {loaded[name].name: batches[name][0].weeks for _, name in pairs}
    if csv is not None:
        frame = comparisons_frame(comparisons, baseline_levels)
        write_output(csv, lambda temp: frame.to_csv(temp, index=False), force)
    if as_json:
        print(json.dumps(json_ready({
            "baselines": list(groups), "replications": replications, "seed": seed,
            "weeks": flat[0].weeks,
            "metrics": {b: levels for b, levels in baseline_levels.items()},
            "scenarios": {c.scenario: {"scenario": c.scenario, "baseline": c.baseline,
                                       "weeks": weeks_of[c.scenario],
                                       "baseline_metrics": levels_by_pair[c.scenario],
                                       "metrics": c.levels, "effects": c.effects,
                                       "reference": c.reference,
                                       "gross_net": c.gross_net, "reported": c.reported}
                          for c in comparisons}})))
        return
    if len(comparisons) > 1 and not detail:
        _print_summary(comparisons, replications, [weeks_of[c.scenario] for c in comparisons],
                       w)
    else:
        for c in comparisons:
            _print_headline(c, loaded, weeks_of[c.scenario], replications, w)
            _print_comparison(c, levels_by_pair[c.scenario], replications, w)
    if replications < 5:
        err.print(w.gettext(N_("warning: fewer than 5 replications; intervals are unreliable")),
                  markup=False)


# The summary's English column titles, short enough for one line per scenario in 140
# columns; the note under the table says what they count
SHORT = {"vs": "baseline", "in work at the end (target)": "in work",
         "activation (target), pp": "activation", "lasting placements (target)": "lasting",
         "public cost, net": "net cost", "municipalities": "municip.", "other funds": "other",
         "provider profit": "profit"}


def _print_summary(comparisons, replications: int, weeks: list[int], w: Words) -> None:
    """One row per scenario: the headline effects against its baseline, who pays, and
    provider profit (the full tables come with --detail). ``weeks``: each one's run."""
    from simulation.report.summary import summary_rows

    # baselines by their full names, as in the report: "pirkanmaa" alone is the pilot
    header, rows = summary_rows(comparisons, w, weeks)
    titles = [SHORT.get(column, column) if w.lang == "en" else column for column in header]
    if len(set(weeks)) == 1:
        title = w.text(N_("Effects against each scenario's baseline over {weeks} weeks ({n} "
                          "paired replications)"), weeks=str(weeks[0]), n=str(replications))
    else:
        title = w.text(N_("Effects against each scenario's baseline over its own run (the "
                          "weeks column; {n} paired replications)"), n=str(replications))
    print_summary(out, title, titles, rows)
    out.print(w.gettext(N_(
        "In the target group: people in work at the end, activation in percentage points, "
        "lasting placements (3 months). The region's net public cost over the run and who "
        "bears it (state, municipalities, other funds); providers' profit. '?': the 95 % "
        "interval includes zero. Headline sentences and every metric: --detail; the HTML "
        "report: pilotsim report.")), markup=False)


def print_summary(console: Console, title: str, titles: list[str], rows: list[list[str]]
                  ) -> None:
    """The summary on a terminal in tables that fit it; to a file or pipe in one table at
    its full width. Never cropped: rich would drop the columns that do not fit."""
    width = console.width if console.is_terminal else None
    for table in summary_tables(title, titles, rows, width, console):
        console.print(table, width=max(console.width, _natural_width(console, table)),
                      crop=False)


def summary_tables(title: str, titles: list[str], rows: list[list[str]],
                   width: int | None, console: Console = out, keys: int = 2) -> list[Table]:
    """The summary as one table, or, where it is wider than ``width`` (a terminal's), as
    several that each fit, every one with the first ``keys`` columns (scenario, baseline)
    and the next columns in order; no column is ever left out (``width`` None: one table
    however wide, as for a file)."""
    def table(columns: list[int], first: bool) -> Table:
        t = Table(title=title if first else None, title_justify="left", box=box.SIMPLE_HEAD,
                  pad_edge=False)
        for i in columns:
            t.add_column(titles[i], justify="left" if i < keys else "right", no_wrap=True,
                         min_width=max([len(row[i]) for row in rows] + [len(titles[i])]))
        for row in rows:
            t.add_row(*(row[i] for i in columns))
        return t

    key = list(range(keys))
    groups: list[list[int]] = [[]]
    for i in range(keys, len(titles)):
        trial = [*key, *groups[-1], i]
        if width is not None and groups[-1] \
                and _natural_width(console, table(trial, False)) > width:
            groups.append([])
        groups[-1].append(i)
    return [table([*key, *group], n == 0) for n, group in enumerate(groups)]


def _natural_width(console: Console, table: Table) -> int:
    """The width a table takes when nothing limits it."""
    from rich.measure import Measurement

    return Measurement.get(console, console.options.update(width=100_000), table).maximum


def _metric_name(name: str, w: Words) -> str:
    """English keeps the machine names (scripts read them); a translation shows the label."""
    from simulation.engine.catalogue import metric

    if w.lang == "en":
        return name
    label = w.gettext(metric(name.removeprefix("target_")).label)
    return w.text(N_("{metric} (target)"), metric=label) if name.startswith("target_") \
        else label


def _n(value: float | None, w: Words) -> str:
    """A table number: as before in English, in the language's own format otherwise."""
    if w.lang == "en" or value is None or value != value:
        return fmt(value)
    if abs(value) >= 1e6:
        return w.text(N_("{amount} M"), amount=w.number(value / 1e6, 1))
    return w.number(value, 3 if 0 < abs(value) < 1 else 0)


def _print_headline(comparison, loaded: dict, weeks: int, replications: int,
                    w: Words) -> None:
    """The plain-words headline under the table, in the language asked for."""
    from simulation.report.headline import Scale, headline

    scenario = next(s for s in loaded.values() if s.name == comparison.scenario)
    size = scenario.region.job_seekers
    out.print(headline(comparison, weeks, replications, Scale(size, size), w), soft_wrap=True)


def _print_comparison(comparison, baseline_levels: dict, replications: int,
                      w: Words | None = None) -> None:
    from simulation.engine.catalogue import in_group
    from simulation.experiments.compare import significant

    w = w or Words()
    table = Table(title=w.text(N_("{scenario} vs {baseline} ({n} paired replications)"),
                               scenario=comparison.scenario, baseline=comparison.baseline,
                               n=str(replications)))
    table.add_column(w.gettext(N_("metric")))
    for column in (N_("scope"), N_("baseline"), N_("scenario"), N_("effect"),
                   N_("95 % interval"), ""):
        table.add_column(w.gettext(column) if column else "", justify="right")
    for prefix, scope in (("target_", w.gettext(N_("target"))), ("", w.gettext(N_("region")))):
        for name in in_group("effects"):
            key = f"{prefix}{name}"
            effect = comparison.effects.get(key)
            if effect is None:
                continue
            base = baseline_levels.get(key, {}).get("mean", float("nan"))
            level = comparison.levels.get(key, {}).get("mean", float("nan"))
            table.add_row(_metric_name(name, w), scope, _n(base, w), _n(level, w),
                          _n(effect["mean"], w),
                          f"{_n(effect['ci95_low'], w)} … {_n(effect['ci95_high'], w)}",
                          "*" if significant(effect) else "")
    for name in in_group("growth"):
        effect = comparison.effects.get(name)
        if effect is not None:
            table.add_row(_metric_name(name, w), w.gettext(N_("region")),
                          _n(baseline_levels.get(name, {}).get("mean"), w),
                          _n(comparison.levels.get(name, {}).get("mean"), w),
                          _n(effect["mean"], w),
                          f"{_n(effect['ci95_low'], w)} … {_n(effect['ci95_high'], w)}",
                          "*" if significant(effect) else "")
    out.print(table)
    if comparison.reference:
        _print_reference(comparison)
    if comparison.reported:
        _print_reported(comparison)


def _print_reported(comparison) -> None:
    """What the programme reported over a period, beside the model's gross change, the
    baseline's trend over the same weeks and the net effect (gross − trend)."""
    table = Table(title=f"{comparison.scenario}: reported changes against gross, trend and net")
    for column in ("metric", "weeks", "reported", "gross", "reported trend", "trend", "net",
                   "95 % interval"):
        table.add_column(column, justify="left" if column == "metric" else "right")
    for name, row in comparison.reported.items():
        start, end = row["weeks"]
        weeks = f"{start}–{end}"
        if end > row.get("run_weeks", end):  # the model has no figure for it
            weeks += f" (the run ends at {row['run_weeks']})"
        table.add_row(f"{name} ({row['scope']})", weeks, fmt(row["reported"]),
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
