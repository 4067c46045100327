"""``--posterior K`` for ``run``, ``compare`` and ``report``: K parameter sets drawn from the
posterior, paired replications under each, and effects whose intervals include parameter
uncertainty (``simulation/experiments/uncertainty.py``), with what drives them."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Annotated, Any

import typer
from rich.table import Table

from simulation.cli.common import (
    UsageError,
    err,
    execute_from_cli,
    fmt,
    json_ready,
    out,
)

PosteriorOption = Annotated[int | None, typer.Option(
    "--posterior", metavar="K", help="Draw K parameter sets from the posterior and run the "
    "replications under each: intervals include parameter uncertainty (2–1000)")]
PosteriorFileOption = Annotated[Path | None, typer.Option(
    "--posterior-file", help="Posterior draws (default: calibration/posterior.parquet)")]


def draws(k: int, path: Path | None, seed: int) -> list[Any]:
    """K draws from the posterior file, seeded; bad K or file: one line, exit 2."""
    from simulation.experiments.posterior import (
        MAX_DRAWS,
        PosteriorError,
        check_fit_digest,
        read_posterior,
    )

    if not 2 <= k <= MAX_DRAWS:
        raise UsageError(f"--posterior: K must be 2–{MAX_DRAWS}, got {k}")
    try:
        posterior = read_posterior(path)
        chosen = posterior.sample(k, seed)
    except PosteriorError as exc:
        raise UsageError(str(exc)) from None
    warning = check_fit_digest(posterior)
    if warning:
        err.print(f"warning: {warning}", markup=False, highlight=False)
    return chosen


def headline(prefix: str = "target_") -> list[str]:
    from simulation.engine.catalogue import in_group

    return [f"{prefix}{n}" for n in in_group("headline")]


def effect_metrics() -> list[str]:
    """The effects compare shows; ratios of mean differences (cost per net placement) are not
    a replication's quantity, so they have no draw-by-draw statistics."""
    from simulation.engine.catalogue import Aggregation, in_group, where

    ratios = {m.name for m in where(aggregation=Aggregation.PAIRED_RATIO)}
    return [f"{p}{n}" for p in ("target_", "") for n in in_group("effects") if n not in ratios] \
        + list(in_group("growth"))


def compare(groups: dict[str, list[str]], k: int, path: Path | None, replications: int,
            seed: int, weeks: int | None, store: Path, no_store: bool, workers: int | None,
            dask: str | None, dask_local: int | None, as_json: bool) -> None:
    """``compare --posterior K``: the uncertainty table, the sentences and the drivers."""
    from simulation.experiments.uncertainty import plan, posterior_effects

    p = plan(draws(k, path, seed), groups, replications, seed, weeks)
    results = execute_from_cli(p.batch, f"{k} posterior draws", store, no_store, workers,
                               dask, dask_local)
    found = [posterior_effects(p, results, base, name, effect_metrics(), headline())
             for base, name in p.pairs]
    if as_json:
        print(json.dumps(json_ready(_json(found, p, seed))))
        return
    for effects in found:
        _print(effects)


def run(scenario: str, k: int, path: Path | None, replications: int, seed: int,
        weeks: int | None, store: Path, no_store: bool, workers: int | None, dask: str | None,
        dask_local: int | None, as_json: bool) -> None:
    """``run --posterior K``: the headline levels with parameter uncertainty."""
    from simulation.experiments.uncertainty import plan, posterior_effects

    p = plan(draws(k, path, seed), {}, replications, seed, weeks, single=scenario)
    results = execute_from_cli(p.batch, f"{k} posterior draws", store, no_store, workers,
                               dask, dask_local)
    names = headline("") + headline()
    effects = posterior_effects(p, results, None, scenario, names, [])
    if as_json:
        print(json.dumps(json_ready(_json([effects], p, seed))))
        return
    _print(effects)


def _json(found: list[Any], p: Any, seed: int) -> dict[str, Any]:
    return {"posterior": {"version": p.draws[0].version, "draws": len(p.draws),
                          "rows": [d.row for d in p.draws]},
            "replications": p.replications, "seed": seed,
            "scenarios": {e.scenario: {
                "baseline": e.baseline,
                "effects": {m: {**s, "sentence": _sentence(m, s)} for m, s in e.effects.items()},
                "drivers": {m: frame.to_dict(orient="records")
                            for m, frame in e.drivers.items()},
                "providers": e.providers} for e in found}}


def _label(name: str) -> tuple[str, str]:
    from simulation.engine.catalogue import metric

    scope = "target" if name.startswith("target_") else "region"
    try:
        return metric(name).label, scope
    except KeyError:
        return name, scope


def _sentence(name: str, stats: dict[str, float]) -> str:
    from simulation.experiments.uncertainty import sentence

    label, scope = _label(name)
    return sentence(f"{label} ({'target group' if scope == 'target' else 'region'})", stats)


def _print(e: Any) -> None:
    from simulation.experiments.drivers import chance_level, top

    what = f"{e.scenario} vs {e.baseline}" if e.baseline else e.scenario
    table = Table(title=f"{what}: {e.draws} posterior draws × {e.replications} "
                        f"{'paired ' if e.baseline else ''}replications ({e.version})")
    table.add_column("metric")
    for column in ("scope", "effect" if e.baseline else "mean", "95 % with parameters",
                   "simulation noise only", "from parameters", "P(> 0)"):
        table.add_column(column, justify="right")
    for name, s in e.effects.items():
        if name not in effect_metrics() and name not in headline("") + headline():
            continue
        label, scope = _label(name)
        share = s["share_parameters"]
        table.add_row(label, scope, fmt(s["mean"]), f"{fmt(s['low'])} … {fmt(s['high'])}",
                      f"{fmt(s['noise_low'])} … {fmt(s['noise_high'])}",
                      "–" if not math.isfinite(share) else f"{share:.0%}",
                      f"{s['p_positive']:.2f}" if e.baseline else "")
    out.print(table)
    if e.providers:
        _print_providers(e)
    if e.baseline:
        for name in headline():
            if name in e.effects:
                out.print(_sentence(name, e.effects[name]), markup=False, highlight=False)
    for name, frame in e.drivers.items():
        floor = chance_level(e.draws, len(frame))
        text = ", ".join(f"{p} {index:.2f} ({'+' if rho >= 0 else '−'})"
                         for p, index, rho in top(frame, e.draws)) or "none"
        out.print(f"drivers of {_label(name)[0]} (target group), rank correlation² above the "
                  f"chance level {floor:.2f}: {text}", markup=False, highlight=False)
    if e.replications < 2:
        err.print("warning: one replication per draw: the split into parameters and noise "
                  "needs --replications 2 or more", markup=False)


def _print_providers(e: Any) -> None:
    table = Table(title=f"{e.scenario}: provider incentives (levels of the scenario's runs; "
                        "deadweight against the same-seed baseline run)")
    table.add_column("metric")
    for column in ("mean", "95 % with parameters", "simulation noise only",
                   "from parameters"):
        table.add_column(column, justify="right")
    for name, s in e.providers.items():
        share = s["share_parameters"]
        label = "deadweight share of paid outcomes" if name == "provider_deadweight_share" \
            else _label(name)[0]
        table.add_row(label, fmt(s["mean"]), f"{fmt(s['low'])} … {fmt(s['high'])}",
                      f"{fmt(s['noise_low'])} … {fmt(s['noise_high'])}",
                      "–" if not math.isfinite(share) else f"{share:.0%}")
    out.print(table)


def attach(sections: list[Any], groups: dict[str, list[str]], chosen: list[Any],
           replications: int, seed: int, weeks: int | None, store: Path, no_store: bool,
           workers: int | None, dask: str | None, dask_local: int | None) -> None:
    """``report --posterior K``: each section gets its effects under the K ``draws``."""
    from simulation.engine.catalogue import in_group
    from simulation.experiments.uncertainty import plan, posterior_effects

    p = plan(chosen, groups, replications, seed, weeks, batch="report-posterior")
    results = execute_from_cli(p.batch, f"report: {len(chosen)} posterior draws", store,
                               no_store, workers, dask, dask_local)
    shown = [f"{prefix}{n}" for prefix in ("target_", "") for n in in_group("report_effects")]
    for section, (base, name) in zip(sections, p.pairs, strict=True):
        section.uncertainty = posterior_effects(p, results, base, name, shown, headline())
