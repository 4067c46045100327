"""CLI commands on ensembles and the results store (runs, export, sweep), and the engine and
store options that ``run`` shares with them."""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path
from typing import Annotated

import typer
from rich.table import Table

from simulation.cli.common import (
    DEFAULT_STORE,
    DaskLocalOption,
    DaskOption,
    NoStoreOption,
    StoreOption,
    UsageError,
    WorkersOption,
    err,
    execute_from_cli,
    fmt,
    guarded,
    json_ready,
    note,
    out,
    plural,
    text,
)
from simulation.experiments.outputs import check_output
from simulation.experiments.store.layout import DETAIL_TABLES
from simulation.experiments.sweep import MAX_RUNS as SWEEP_MAX_RUNS

# --- sweep ------------------------------------------------------------------------------------

@guarded
def sweep(scenario: Annotated[str, typer.Argument(help="Library name or path of a scenario")],
          param: Annotated[list[str], typer.Option(
              "--param", metavar="NAME=VALUES",
              help="Dotted parameter path and its values (a,b,c) or range (low:high, lhs)")],
          design: Annotated[str, typer.Option(help="grid or lhs")] = "grid",
          samples: Annotated[int | None, typer.Option(min=1, max=100_000,
                                                      help="Points of an lhs design")] = None,
          replications: Annotated[int, typer.Option(min=1, max=10_000)] = 10,
          seed: Annotated[int, typer.Option(min=0)] = 20170801,
          weeks: Annotated[int | None, typer.Option(min=1, max=1040)] = None,
          store: StoreOption = DEFAULT_STORE, no_store: NoStoreOption = False,
          workers: WorkersOption = None, dask: DaskOption = None,
          dask_local: DaskLocalOption = None,
          as_json: Annotated[bool, typer.Option("--json", help="One JSON object on stdout")]
          = False,
          max_runs: Annotated[int, typer.Option(
              "--max-runs", min=1,
              help="Most runs (points × replications) the sweep may make")] = SWEEP_MAX_RUNS,
          ) -> None:
    """Run a scenario at many parameter values; running the same sweep again resumes it."""
    from simulation.engine.catalogue import in_group
    from simulation.experiments.runner import code_version, run_meta
    from simulation.experiments.statistics import mean_ci
    from simulation.experiments.sweep import Sweep, SweepError, parse_parameter

    if design not in ("grid", "lhs"):
        raise UsageError(f"--design is grid or lhs, not {design!r}")
    try:
        plan = Sweep(scenario, tuple(parse_parameter(p) for p in param), design,  # type: ignore[arg-type]
                     samples, replications, seed, weeks)
        sweep_id, points, batch = plan.build(max_runs)
    except SweepError as exc:
        raise UsageError(str(exc)) from None
    # a sweep exists to be stored: a busy or read-only store refuses it, with the reason
    results = execute_from_cli(batch, sweep_id, store, no_store, workers, dask, dask_local,
                               unstored_ok=False)
    shown = in_group("sweep")
    version = code_version()
    rows = []
    for k, point in enumerate(points):
        chunk = results[k * replications:(k + 1) * replications]
        rows.append({
            "tags": point,
            "run_ids": [run_meta(r, version).run_id
                        for r in batch[k * replications:(k + 1) * replications]],
            "metrics": {name: mean_ci(r.summary[name] for r in chunk)
                        for name in shown if name in chunk[0].summary},
        })
    if as_json:
        print(json.dumps(json_ready({
            "sweep": sweep_id, "scenario": batch[0].scenario.name, "design": design,
            "samples": samples, "replications": replications, "seed": seed,
            "weeks": batch[0].weeks, "code_version": version,
            "store": None if no_store else str(store), "points": rows})))
        return
    table = Table(title=f"{sweep_id}: {batch[0].scenario.name}, {len(points)} points × "
                        f"{replications} replications, {batch[0].weeks} weeks, seed {seed}")
    names = list(points[0])
    for name in (*names, *shown):
        table.add_column(name, justify="right", overflow="fold")
    for row in rows:
        table.add_row(*(str(row["tags"][n]) for n in names),
                      *(fmt(row["metrics"][m]["mean"]) if m in row["metrics"] else "–"
                        for m in shown))
    out.print(table)
    if not no_store:
        err.print(f"stored in {store} as batch {sweep_id}")


# --- runs and export --------------------------------------------------------------------------

def _reader(store: Path):  # noqa: ANN202 - StoreReader, imported lazily
    from simulation.experiments.store.reader import StoreReader

    try:
        return StoreReader(store)
    except FileNotFoundError:
        raise UsageError(f"{store}: no results store here (run something first, or pass "
                         "--store DIR)") from None
    except OSError as exc:
        raise UsageError(f"{str(store)[:200]}: cannot be read as a results store "
                         f"({exc.strerror or exc})") from None


def _select_runs(store: Path, scenario: str | None, status: str | None, batch: str | None,
                 code_version: str | None, run_ids: Sequence[str] | None,
                 tags: Sequence[str] | None):  # noqa: ANN202 - a DataFrame
    with _reader(store) as reader:
        frame = reader.runs(scenario=scenario, status=status,  # type: ignore[arg-type]
                            batch=batch, code_version=code_version)
    if run_ids:
        frame = frame[frame["run_id"].isin(run_ids)]
    for tag in tags or ():
        name, sep, wanted = tag.partition("=")
        if not sep:
            raise UsageError(f"--tag {tag!r}: write NAME=VALUE")
        frame = frame[frame["tags"].map(
            lambda text, n=name, w=wanted: str(json.loads(text).get(n)) == w)]
    return frame


ScenarioFilter = Annotated[str | None, typer.Option(help="Only runs of this scenario")]
BatchFilter = Annotated[str | None, typer.Option(help="Only runs of this batch or sweep id")]
CodeFilter = Annotated[str | None, typer.Option("--code-version",
                                                help="Only runs made by this code version")]
TagFilter = Annotated[list[str] | None, typer.Option(
    "--tag", metavar="NAME=VALUE", help="Only runs whose tag NAME has this value")]


@guarded
def runs(store: StoreOption = DEFAULT_STORE, scenario: ScenarioFilter = None,
         status: Annotated[str | None, typer.Option(help="running, done or failed")] = None,
         batch: BatchFilter = None, code_version: CodeFilter = None, tag: TagFilter = None,
         limit: Annotated[int | None, typer.Option(min=1, help="Only the last N")] = None,
         as_json: Annotated[bool, typer.Option("--json", help="JSON lines on stdout")] = False,
         ) -> None:
    """List the runs in the results store (never blocks or disturbs a running sweep)."""
    if status not in (None, "running", "done", "failed"):
        raise UsageError(f"--status is running, done or failed, not {status!r}")
    frame = _select_runs(store, scenario, status, batch, code_version, None, tag)
    if limit:
        frame = frame.sort_values("started_at").tail(limit)
    if as_json:
        for record in frame.to_dict(orient="records"):
            record["parameters"] = json.loads(record["parameters"])
            record["tags"] = json.loads(record["tags"])
            for name in ("started_at", "finished_at"):
                record[name] = None if record[name] is None or record[name] != record[name] \
                    else record[name].isoformat()
            print(json.dumps(json_ready(record), default=str))
        return
    table = Table(title=f"{plural(len(frame), 'run')} in {store}")
    for column in ("run_id", "scenario", "contents", "batch", "rep", "status", "started (UTC)",
                   "seconds", "tags"):
        table.add_column(column, overflow="fold")
    for row in frame.itertuples():
        seconds = (row.finished_at - row.started_at).total_seconds() \
            if row.finished_at == row.finished_at and row.finished_at is not None else None
        table.add_row(row.run_id, row.scenario, row.scenario_hash[:8], text(row.batch),
                      str(row.replication), row.status, f"{row.started_at:%Y-%m-%d %H:%M:%S}",
                      "" if seconds is None else f"{seconds:.1f}",
                      "" if row.tags == "{}" else text(row.tags))
    out.print(table)
    _note_mixed_contents(frame)


def _note_mixed_contents(frame) -> None:  # noqa: ANN001 - the registry's rows
    """A scenario name whose runs have different parameters (a baseline re-sized to each
    pilot's region, an edited file): say so, since their numbers do not belong together."""
    kinds = frame.groupby("scenario")["scenario_hash"].nunique()
    for name, count in kinds[kinds > 1].items():
        note(f"{name}: runs of {count} different parameter sets (the 'contents' column, "
             "scenario_hash in --table runs), e.g. a baseline re-sized to each pilot's "
             "region; their numbers do not belong together")


@guarded
def export(output: Annotated[Path, typer.Argument(help="File to write (.csv or .parquet)")],
           store: StoreOption = DEFAULT_STORE, scenario: ScenarioFilter = None,
           batch: BatchFilter = None, code_version: CodeFilter = None, tag: TagFilter = None,
           run_id: Annotated[list[str] | None, typer.Option(
               "--run-id", help="Only these runs (repeat the option)")] = None,
           table: Annotated[str, typer.Option(
               help="weekly, summary, ledger, runs (the registry rows), or a per-person "
                    "table: cohort, person_events, provider_clients, providers, "
                    "duration_exits")] = "weekly",
           file_format: Annotated[str | None, typer.Option(
               "--format", help="csv or parquet (default: from the file name)")] = None,
           force: Annotated[bool, typer.Option(help="Replace OUTPUT if it exists")] = False,
           ) -> None:
    """Write one table of the chosen done runs to a CSV or Parquet file."""
    from simulation.experiments.store.files import write_table

    check_output(output, force)  # first: a folder is refused as one, before its format
    fmt_name = file_format or ("parquet" if output.suffix.lower() in (".parquet", ".pq")
                               else "csv" if output.suffix.lower() == ".csv" else None)
    if fmt_name not in ("csv", "parquet"):
        raise UsageError(f"{output}: say --format csv or --format parquet")
    tables = ("weekly", "summary", "ledger", "runs", *DETAIL_TABLES)
    if table not in tables:
        raise UsageError(f"--table is one of {', '.join(tables)}, not {table!r}")
    chosen = _select_runs(store, scenario, "done", batch, code_version, run_id, tag)
    if chosen.empty:
        raise UsageError("no done runs match")
    damaged: set[str] = set()
    try:
        if table == "runs":
            write_table(chosen, output, fmt_name, force)
        else:
            with _reader(store) as reader:
                reader.export(list(chosen["run_id"]), output, table=table,
                              fmt=fmt_name, overwrite=force)  # type: ignore[arg-type]
                damaged = reader.damaged & set(chosen["run_id"])
    except FileExistsError:
        raise UsageError(f"{output}: exists; pass --force to overwrite") from None
    _note_mixed_contents(chosen)
    if damaged:
        note(f"{len(damaged)} run(s) left out: their stored files are damaged (the next run "
             "or sweep on this store sets them aside and runs them again)")
    err.print(f"wrote the {table} table of {plural(len(chosen) - len(damaged), 'run')} to "
              f"{output}")
