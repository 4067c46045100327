"""``pilotsim calibrate --method abc``: a posterior of the uncertain parameters (ABC-SMC) with
its report, instead of one best point. ``calibrate.py`` hands over to this module."""

from __future__ import annotations

import shlex
import sys
from pathlib import Path
from typing import Any

from rich.table import Table

from simulation.cli.common import UsageError, capped_workers, err, out


def calibrate_abc(*, rows: list[Any], priors: Path, population: int, generations: int,
                  max_simulations: int, min_epsilon: float | None, seeds: int, seed: int,
                  scale: float, workers: int | None, ppc_draws: int, report_scale: float,
                  out_dir: Path, abc_db: Path, check: bool, dask: str | None,
                  dask_local: int | None) -> None:
    """Check the priors, run (or resume) the ABC-SMC and its checks, write the posterior."""
    from calibration.abc import calibrate_abc as run
    from calibration.posterior_report import marginals, save
    from calibration.priors import PriorsError, check_priors, read_priors

    if dask and dask_local:
        raise UsageError("give either --dask SCHEDULER_ADDRESS or --dask-local N, not both")
    try:
        checked = check_priors(read_priors(priors), priors)
    except PriorsError as exc:
        raise UsageError(str(exc)) from None
    if check:
        out.print(f"ok: {len(rows)} targets ({sum(t.use == 'fit' for t in rows)} fit), "
                  f"{len(checked)} priors", markup=False)
        return
    settings = _settings(dask, dask_local, workers, population=population,
                         generations=generations, max_simulations=max_simulations,
                         min_epsilon=min_epsilon, seeds=seeds, seed=seed, scale=scale,
                         ppc_draws=ppc_draws, report_scale=report_scale)
    command = _command()
    try:
        outcome = run(rows, checked, settings, abc_db, _log)
    except ConnectionError as exc:
        raise UsageError(str(exc)) from None
    parquet, md, version = save(outcome, out_dir, command)
    _print(marginals(outcome), outcome)
    out.print(f"wrote {parquet} ({version})\nreport: {md}\nruntime "
              f"{sum(outcome.timings.values()) / 60:.1f} min; "
              f"{outcome.per_simulation:.2f} s per simulation", markup=False, highlight=False)


def _print(rows: list[dict[str, Any]], outcome: Any) -> None:
    g = outcome.smc.generations.iloc[-1]
    table = Table(title=f"posterior: {outcome.smc.stopped}; ε {g['epsilon']:.3g}, acceptance "
                        f"{g['acceptance']:.1%}, ESS {g['ess']:.0f}")
    for column in ("parameter", "prior", "posterior mean", "posterior 90 %", "shrinkage"):
        table.add_column(column, overflow="fold")
    for r in rows:
        if r["fitted"]:
            table.add_row(r["parameter"], r["prior"], f"{r['mean']:.4g}",
                          f"{r['low']:.4g} – {r['high']:.4g}", f"{r['shrinkage']:.2f}")
    out.print(table)


def calibrate_levers(*, rows: list[Any], priors: Path, population: int, generations: int,
                     max_simulations: int, min_epsilon: float | None, seeds: int, seed: int,
                     workers: int | None, ppc_draws: int, out_dir: Path, abc_db: Path,
                     check: bool, dask: str | None, dask_local: int | None,
                     pilots: list[str]) -> None:
    """The second stage: each pilot's levers fitted to its reported figures, the baseline
    drawn from ``out_dir``'s posterior; the posterior file and its report are updated."""
    from calibration.abc import settings_record
    from calibration.levers import (
        LeversError,
        fit_levers,
        markdown,
        pilot_stages,
        summary,
        with_levers,
        with_section,
    )
    from calibration.priors import PriorsError, check_priors, read_priors
    from simulation.experiments.posterior import PosteriorError, read_posterior, write_posterior

    if dask and dask_local:
        raise UsageError("give either --dask SCHEDULER_ADDRESS or --dask-local N, not both")
    path = out_dir / "posterior.parquet"
    try:
        checked = check_priors(read_priors(priors), priors)
        posterior = read_posterior(path)
        stages = pilot_stages(rows, checked, pilots)
    except (PriorsError, PosteriorError, LeversError) as exc:
        raise UsageError(str(exc)) from None
    if check:
        out.print("ok: " + "; ".join(f"{s.scenario}: {len(s.priors)} levers, {len(s.rows)} "
                                     "reported figures" for s in stages), markup=False)
        return
    settings = _settings(dask, dask_local, workers, population=population,
                         generations=generations, max_simulations=max_simulations,
                         min_epsilon=min_epsilon, seeds=seeds, seed=seed, scale=1.0,
                         ppc_draws=ppc_draws)
    command = _command()
    try:
        outcomes = fit_levers(rows, checked, posterior, settings, abc_db, pilots, _log)
    except (LeversError, ConnectionError) as exc:
        raise UsageError(str(exc)) from None
    earlier = {s["scenario"]: s for s in posterior.meta.get("levers", [])}
    earlier.update({o.stage.scenario: summary(o) for o in outcomes})
    stages_done = [earlier[k] for k in sorted(earlier)]
    meta = {k: v for k, v in posterior.meta.items() if k not in ("version", "parameters")}
    meta.update({"levers": stages_done, "levers_command": command,
                 "levers_settings": settings_record(settings)})
    version = write_posterior(path, posterior.specs, with_levers(posterior, outcomes, seed),
                              posterior.weights, meta)
    md = out_dir / "posterior.md"
    old = md.read_text(encoding="utf-8") if md.exists() else ""
    md.write_text(with_section(old, markdown(stages_done, command, version)),
                  encoding="utf-8")
    for o in outcomes:
        s = summary(o)
        last = s["generations"][-1]
        out.print(f"{s['scenario']}: {s['stopped']}; ε {last['epsilon']:.3g}, ESS "
                  f"{last['ess']:.0f}; " + ", ".join(
                      f"{m['parameter']} {m['mean']:.3g} ({m['low']:.3g}–{m['high']:.3g})"
                      for m in s["marginals"]), markup=False, highlight=False)
    out.print(f"wrote {path} ({version})\nreport: {md}", markup=False, highlight=False)


def _settings(dask: str | None, dask_local: int | None, workers: int | None,
              **fields: Any) -> Any:
    """Both stages' ABC settings: the engine from --workers, --dask or --dask-local."""
    from calibration.abc import AbcSettings

    return AbcSettings(**fields, workers=dask_local or capped_workers(workers), dask=dask,
                       use_dask=dask is not None or dask_local is not None)


def _log(message: str) -> None:
    err.print(message, markup=False, highlight=False)


def _command() -> str:
    """The command as typed, for the posterior's record."""
    return ("pilotsim calibrate " + " ".join(shlex.quote(a) for a in sys.argv[2:])).strip()
