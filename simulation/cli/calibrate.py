"""CLI commands for calibration and sensitivity (``calibrate``, ``sensitivity``).

The command layer is the one place where ``simulation`` reaches ``calibration``;
the model itself never imports it, and the imports happen inside the commands.
"""

from __future__ import annotations

import shlex
import sys
from importlib import resources
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from simulation.cli.common import UsageError, capped_workers, err, guarded, out, progress_bar
from simulation.cli.paths import input_file, output_folder
from simulation.experiments.outputs import check_output

CALIBRATION = Path(str(resources.files("calibration")))


def _load_targets(targets: Path, observed: Path | None, observed_scenario: str) -> list[Any]:
    """Targets file plus observed series, checked against what the scenarios produce."""
    from calibration.evaluation import loadable, probe_columns
    from calibration.targets import TargetsError, check_produced, read_observed, read_targets
    from simulation.params.loading import load_scenario

    try:
        rows = read_targets(targets)
        if observed is not None:
            reason = loadable({observed_scenario})[observed_scenario]
            if reason:
                raise UsageError(f"--observed-scenario: {reason}")
            scenario = load_scenario(observed_scenario)
            rows += read_observed(observed, observed_scenario, scenario.start_date,
                                  scenario.weeks)
        reasons = loadable({t.scenario for t in rows})
        produced: dict[str, Any] = {n: None for n, r in reasons.items() if r}
        for name in (n for n, r in reasons.items() if r is None):
            produced[name] = probe_columns(name)
        return check_produced(rows, produced)
    except TargetsError as exc:
        raise UsageError(str(exc)) from None


@guarded
def calibrate(
        targets: Annotated[Path, typer.Option(help="Targets table (CSV)")] =
        CALIBRATION / "targets.csv",
        params: Annotated[Path, typer.Option(help="Free parameters and bounds (CSV)")] =
        CALIBRATION / "params.csv",
        observed: Annotated[Path | None, typer.Option(
            help="Observed time series of a region (CSV: date, metric, value, ...)")] = None,
        observed_scenario: Annotated[str, typer.Option(
            help="Scenario the observed series is compared with")] = "baseline",
        budget: Annotated[int, typer.Option(min=0, max=10_000,
                                            help="Candidates in the search")] = 30,
        seeds: Annotated[int | None, typer.Option(
            min=1, max=100, help="Common seeds per candidate (default 3; abc: seeds per "
            "particle, default 1)")] = None,
        seed: Annotated[int, typer.Option(min=0)] = 2015,
        workers: Annotated[int | None, typer.Option(
            min=1, help="Local worker processes (default and most: every core)")] = None,
        scale: Annotated[float | None, typer.Option(
            min=0.001, max=1.0, help="Population scale while fitting (default 1/3; abc: 0.1)")]
        = None,
        fixed_point_iterations: Annotated[int, typer.Option(min=0, max=100)] = 8,
        polish_iterations: Annotated[int, typer.Option(min=0, max=100)] = 3,
        report_seeds: Annotated[int, typer.Option(min=1, max=100)] = 4,
        report_scale: Annotated[float, typer.Option(min=0.001, max=1.0)] = 1.0,
        out_dir: Annotated[Path, typer.Option("--out", help="Folder for fitted.toml, the "
                                              "report and the study")] = CALIBRATION,
        study: Annotated[Path, typer.Option(help="Optuna study (SQLite); rerunning resumes it")]
        = Path("pilotsim-results") / "calibration" / "study.sqlite3",
        check: Annotated[bool, typer.Option("--check", help="Only check the input files")]
        = False,
        recheck: Annotated[bool, typer.Option(
            "--recheck", help="No search: check every target against fitted.toml as it stands "
            "and rewrite the report (not fitted.toml)")] = False,
        dask: Annotated[str | None, typer.Option(
            "--dask", metavar="SCHEDULER_ADDRESS", help="Run candidates on this Dask scheduler")]
        = None,
        dask_local: Annotated[int | None, typer.Option(
            "--dask-local", metavar="N", min=1, max=256,
            help="Run candidates on a Dask LocalCluster of N worker processes")] = None,
        method: Annotated[str, typer.Option(
            help="msm: simulated moments (Optuna), one best point → fitted.toml; abc: a "
                 "posterior (ABC-SMC, pyABC) → posterior.parquet")] = "msm",
        priors: Annotated[Path, typer.Option(help="abc: priors of the uncertain parameters")]
        = CALIBRATION / "priors.toml",
        population: Annotated[int, typer.Option(min=10, max=100_000,
                                                help="abc: particles per generation")] = 120,
        generations: Annotated[int, typer.Option(min=1, max=100,
                                                 help="abc: most generations")] = 10,
        max_simulations: Annotated[int, typer.Option(
            min=10, max=10_000_000, help="abc: stop after a generation that brings the "
            "simulations to this many")] = 1200,
        min_epsilon: Annotated[float | None, typer.Option(
            min=0.0, help="abc: stop at this ε (default: half the square root of the fit rows' "
            "summed weights)")] = None,
        ppc_draws: Annotated[int, typer.Option(
            min=0, max=1000, help="abc: posterior draws in the predictive checks")] = 12,
        abc_db: Annotated[Path, typer.Option(
            help="abc: folder of the pyABC histories; rerunning the command resumes its run")]
        = Path("pilotsim-results") / "calibration",
        stage: Annotated[str, typer.Option(
            help="abc: baseline (first stage: the fit rows → posterior.parquet) or levers "
                 "(second stage: each pilot's levers fitted to its reported figures, the "
                 "baseline drawn from --out's posterior.parquet, which it updates)")]
        = "baseline",
        pilot: Annotated[list[str] | None, typer.Option(
            help="abc --stage levers: only this pilot (repeatable; default: every pilot "
                 "with rows of use 'pilot')")] = None,
        ) -> None:
    """Fit parameters to target moments (simulated moments, Optuna) and write a fit report;
    with --method abc, a posterior of the uncertain parameters (ABC-SMC) and its report."""
    if method not in ("msm", "abc"):
        raise UsageError(f"--method: must be msm or abc, got {method!r}")
    if stage not in ("baseline", "levers"):
        raise UsageError(f"--stage: must be baseline or levers, got {stage!r}")
    if (stage != "baseline" or pilot) and method != "abc":
        raise UsageError("--stage and --pilot go with --method abc")
    if method == "abc":
        from simulation.cli.calibrate_abc import calibrate_abc

        input_file(targets, "--targets")
        input_file(priors, "--priors")
        if observed is not None:
            input_file(observed, "--observed")
        if not check:
            output_folder(out_dir, "--out")
            output_folder(abc_db, "--abc-db")
        if stage == "levers":
            from simulation.cli.calibrate_abc import calibrate_levers

            calibrate_levers(rows=_load_targets(targets, observed, observed_scenario),
                             priors=priors, population=population, generations=generations,
                             max_simulations=max_simulations, min_epsilon=min_epsilon,
                             seeds=seeds or 1, seed=seed, workers=workers, ppc_draws=ppc_draws,
                             out_dir=out_dir, abc_db=abc_db, check=check, dask=dask,
                             dask_local=dask_local, pilots=pilot or [])
            return
        calibrate_abc(rows=_load_targets(targets, observed, observed_scenario), priors=priors,
                      population=population, generations=generations,
                      max_simulations=max_simulations, min_epsilon=min_epsilon,
                      seeds=seeds or 1, seed=seed,
                      scale=scale if scale is not None else 0.1, workers=workers,
                      ppc_draws=ppc_draws, report_scale=report_scale, out_dir=out_dir,
                      abc_db=abc_db, check=check, dask=dask, dask_local=dask_local)
        return
    from calibration.fitted_file import write_fitted
    from calibration.inputs import Settings, read_params
    from calibration.msm import calibrate as run_calibration
    from calibration.msm import recheck as run_recheck
    from calibration.report import write_reports
    from calibration.targets import TargetsError

    input_file(targets, "--targets")
    input_file(params, "--params")
    if observed is not None:
        input_file(observed, "--observed")
    if not check:
        output_folder(out_dir, "--out")
        output_folder(study.parent, "--study")
    rows = _load_targets(targets, observed, observed_scenario)
    try:
        free = read_params(params)
    except TargetsError as exc:
        raise UsageError(str(exc)) from None
    if check:
        out.print(f"ok: {len(rows)} targets ({sum(t.use == 'fit' for t in rows)} fit), "
                  f"{sum(p.role == 'fit' for p in free)} free parameters", markup=False)
        return
    settings = Settings(budget=budget, seeds=seeds or 3, seed=seed,
                        scale=scale if scale is not None else 1 / 3,
                        workers=dask_local or capped_workers(workers),
                        fixed_point_iterations=fixed_point_iterations,
                        polish_iterations=polish_iterations, report_seeds=report_seeds,
                        report_scale=report_scale, dask=dask,
                        use_dask=dask is not None or dask_local is not None)
    fitted_path = out_dir / "fitted.toml"
    existing = None
    if fitted_path.exists():
        from simulation.params.loading import read_toml
        existing = read_toml(fitted_path)
    out_dir.mkdir(parents=True, exist_ok=True)

    def log(message: str) -> None:
        err.print(message, markup=False, highlight=False)

    command = "pilotsim calibrate " + " ".join(shlex.quote(a) for a in sys.argv[2:])
    if recheck:
        outcome = run_recheck(rows, settings, log, existing if existing is not None else {})
        target = None
    else:
        outcome = run_calibration(rows, free, settings, study, log=log,
                                  existing_fit=existing if existing is not None else {})
        target = fitted_path if outcome.accepted else out_dir / "fitted.rejected.toml"
        write_fitted(outcome.fitted, target)
    md, html = write_reports(outcome, out_dir, command.strip())
    table = Table(title=f"calibration: {outcome.reason}")
    for column in ("target", "use", "target ± tol", "simulated", "result"):
        table.add_column(column, overflow="fold")
    for r in outcome.rows:
        if r["status"] == "not yet simulated":
            continue
        table.add_row(r["target_id"], r["use"], f"{r['target']:.4g} ± {r['tolerance']:.3g}",
                      f"{r['simulated']:.4g}", r["status"])
    out.print(table)
    wrote = f"wrote {target}\n" if target else ""
    out.print(f"{wrote}report: {md}\nreport: {html}\n"
              f"runtime {outcome.seconds / 60:.1f} min", markup=False, highlight=False)
    if not outcome.accepted and not recheck:
        err.print(f"error: fit not accepted ({outcome.reason}); {fitted_path} left unchanged",
                  markup=False)
        raise typer.Exit(1)


@guarded
def sensitivity(
        scenario: Annotated[str, typer.Argument(help="Library name or path of a scenario")],
        method: Annotated[str, typer.Option(help="morris or sobol")] = "morris",
        outputs: Annotated[list[str] | None, typer.Option(
            "--outputs", help="Metrics to analyse (repeat or comma-separate)")] = None,
        samples: Annotated[int, typer.Option(min=2, max=100_000,
                                             help="Morris trajectories or Sobol base N")] = 6,
        params: Annotated[Path, typer.Option(help="Parameters and bounds (CSV)")] =
        CALIBRATION / "params.csv",
        seeds: Annotated[int, typer.Option(min=1, max=100)] = 1,
        seed: Annotated[int, typer.Option(min=0)] = 2015,
        scale: Annotated[float, typer.Option(min=0.001, max=1.0)] = 1 / 6,
        workers: Annotated[int | None, typer.Option(
            min=1, help="Local worker processes (default and most: every core)")] = None,
        html: Annotated[Path | None, typer.Option(help="Where to write the HTML figure")] = None,
        ) -> None:
    """Which parameters move which outputs: Morris or Sobol (SALib), ranked table + figure."""
    from calibration.inputs import read_params
    from calibration.moments import MetricError, parse_metric
    from calibration.sensitivity import (
        DEFAULT_OUTPUTS,
        analyse,
        model_evaluator,
        sample,
        write_html,
    )
    from calibration.targets import TargetsError
    from simulation.params.loading import load_scenario

    if method not in ("morris", "sobol"):
        raise UsageError(f"--method: must be morris or sobol, got {method!r}")
    input_file(params, "--params")
    names = [o.strip() for item in (outputs or DEFAULT_OUTPUTS) for o in item.split(",")
             if o.strip()]
    for name in names:
        try:
            parse_metric(name)
        except MetricError as exc:
            raise UsageError(f"--outputs: {exc}") from None
    try:
        free = read_params(params)
    except TargetsError as exc:
        raise UsageError(str(exc)) from None
    resolved = load_scenario(scenario)
    path = html or Path("results") / "sensitivity" / f"{resolved.name}_{method}.html"
    output_folder(path.parent, "--html")
    for target in (path, path.with_suffix(".csv")):  # both are replaced, as before
        if target.parent.exists():
            check_output(target, overwrite=True)
    X = sample(free, method, samples, seed)
    with progress_bar(len(X) * seeds, f"{method} on {resolved.name}") as advance:
        evaluate = model_evaluator(scenario, free, names, seeds, seed, scale,
                                   capped_workers(workers), advance)
        table = analyse(free, X, evaluate(X), names, method, seed)
    write_html(table, f"{method} sensitivity of {resolved.name} ({len(X)} points × {seeds} "
                      f"seeds, scale {scale:.3g})", path)
    table.to_csv(path.with_suffix(".csv"), index=False)
    for output in names:
        rows = table[table["output"] == output]
        t = Table(title=f"{output} — {rows['measure'].iloc[0]}")
        for column in ("rank", "parameter", "index", "± conf"):
            t.add_column(column)
        for _, r in rows.iterrows():
            t.add_row(str(r["rank"]), r["parameter"], f"{r['index']:.4g}",
                      f"{r['confidence']:.3g}")
        out.print(t)
    out.print(f"figure: {path}\ntable: {path.with_suffix('.csv')}", markup=False,
              highlight=False)
