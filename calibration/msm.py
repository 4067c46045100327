"""Calibration by the method of simulated moments (``pilotsim calibrate``).

The distance between simulated moments m(θ) and targets t is

    D(θ) = Σ_fit  w_i / tol_i² · (m_i(θ) − t_i)²

over the targets marked ``use = fit`` that the model can produce; ``validate``
rows never enter it. Every candidate runs the same K seeds (common random
numbers), so differences between candidates are not seed noise.

Three stages, all deterministic for a given seed:

1. **Fixed point** (the method of ``calibration/duration_profile.py``): the
   fourteen band profiles (job-finding hazard and referral chance by spell band),
   the follow-on referral and the inflow are set by a damped fixed-point
   iteration against the Labore exit rates, the activation level and the stock
   trend. It starts from the scenario files' own values, not from the previous
   fit, so a rerun reproduces its result exactly.
2. **Search** (Optuna TPE, seeded): the structural parameters of
   ``calibration/params.csv`` (role ``fit``) that no fixed point controls. Each
   candidate is run, its profiles corrected by one fixed-point step, and run
   again; the distance of the corrected run is the candidate's score (the
   profiles are "concentrated out"). The first candidate is the starting point,
   so the search never ends worse than it started. The study is stored in SQLite
   and resumed if the same command is run again.
3. **Polish**: a few fixed-point iterations at the best candidate.

Rates and shares are scale-free, so stages 1–3 run at a reduced population
(``scale``); the report re-runs the result at full size with more seeds, and
``fitted.toml`` is only overwritten if the Labore bands are within tolerance
there.

This module runs the stages; ``inputs.py`` reads the free parameters and holds the
settings, ``evaluation.py`` runs and scores candidates and checks every target,
``fixed_point.py`` is stages 1 and 3, and ``fitted_file.py`` writes ``fitted.toml``.
"""

from __future__ import annotations

import hashlib
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from calibration.evaluation import (
    Simulator,
    distance,
    evaluate,
    moments,
    runnable_fit_rows,
    verdict,
)
from calibration.fitted_file import fitted_document, significant
from calibration.fixed_point import fixed_point, fixed_point_step, fixed_point_targets
from calibration.inputs import FIXED_POINT_PATHS, FreeParameter, Settings, get_path, without
from calibration.targets import Target
from simulation.params.loading import fitted_tree, load_scenario
from simulation.params.provenance import unwrap


@dataclass
class Outcome:
    """What a calibration produced."""
    values: dict[str, Any]
    fitted: dict[str, Any]
    rows: list[dict[str, Any]]
    trials: list[dict[str, Any]]
    accepted: bool
    reason: str
    seconds: float
    settings: Settings
    study_name: str
    timings: dict[str, float] = field(default_factory=dict)
    resumed: str = ""  # what came from an earlier run of the same study
    fitted_by: str = ""  # a re-check: how the values it checks were fitted (no search ran)


# -- the whole calibration ---------------------------------------------------------------

def start_values(params: list[FreeParameter], sim: Simulator, with_fixed_point: bool
                 ) -> dict[str, Any]:
    """Starting point: params.csv ``start`` or the scenario files' own values."""
    dump = load_scenario("baseline", apply_fit=sim.base_fit).model_dump()
    values: dict[str, Any] = {}
    if with_fixed_point:
        for path in FIXED_POINT_PATHS:
            value = get_path(dump, path)
            values[path] = list(value) if isinstance(value, list | tuple) else value
    for p in params:
        values[p.path] = p.start if p.start is not None else float(get_path(dump, p.path))
    return values


def study_name(targets: list[Target], params: list[FreeParameter], settings: Settings,
               base_fit: dict[str, Any]) -> str:
    payload = json.dumps({
        # validate rows never change the fit, so editing them keeps the study
        "targets": [(t.target_id, t.scenario, t.metric.text, t.scope, t.value, t.tolerance,
                     t.weight) for t in targets if t.use == "fit"],
        "params": [(p.path, p.lower, p.upper, p.start) for p in params],
        "settings": [settings.seeds, settings.seed, settings.scale,
                     settings.fixed_point_iterations, settings.damping],
        "base_fit": base_fit}, sort_keys=True, default=str)
    return "msm-" + hashlib.sha256(payload.encode()).hexdigest()[:12]


def calibrate(targets: list[Target], params: list[FreeParameter], settings: Settings,
              study_path: Path, log: Callable[[str], None] = print,
              existing_fit: dict[str, Any] | None = None) -> Outcome:
    """Run the three stages and the full-size check; write nothing but the study."""
    import optuna

    began = time.perf_counter()
    timings: dict[str, float] = {}
    free = [p for p in params if p.role == "fit"]
    aims = fixed_point_targets(targets)
    fixed = list(FIXED_POINT_PATHS) if aims is not None else []
    existing = fitted_tree() if existing_fit is None else existing_fit
    base_fit = without(existing, fixed + [p.path for p in free])
    sim = Simulator(base_fit, settings)
    fit_rows = runnable_fit_rows(targets)
    fit_scenarios = sorted({t.scenario for t in fit_rows})
    if aims is not None and "baseline" not in fit_scenarios:
        fit_scenarios.insert(0, "baseline")

    study_path.parent.mkdir(parents=True, exist_ok=True)
    storage = f"sqlite:///{study_path.resolve()}"
    name = study_name(targets, params, settings, base_fit)
    optuna.logging.set_verbosity(optuna.logging.WARNING)

    def sampler(trial_number: int) -> optuna.samplers.BaseSampler:
        # reseeded for every candidate, so that a resumed study draws exactly what an
        # uninterrupted one would have drawn: candidate k depends on (seed, k, history)
        return optuna.samplers.TPESampler(
            seed=settings.seed * 100_003 + trial_number,
            n_startup_trials=max(1, min(10, settings.budget // 3)))

    study = optuna.create_study(study_name=name, storage=storage, sampler=sampler(0),
                                direction="minimize", load_if_exists=True)

    # stage 1
    t0 = time.perf_counter()
    stage1_reused = "start" in study.user_attrs
    if stage1_reused:
        start = study.user_attrs["start"]
        log("stage 1: fixed point reused from the stored study")
    else:
        start = start_values(free, sim, aims is not None)
        if aims is not None:
            log(f"stage 1: fixed point, {settings.fixed_point_iterations} iterations")
            start = fixed_point(sim, start, aims, settings.fixed_point_iterations, log)
        study.set_user_attr("start", start)
    timings["stage 1 (fixed point)"] = time.perf_counter() - t0

    # stage 2
    t0 = time.perf_counter()

    def objective(trial: optuna.Trial) -> float:
        values = dict(start)
        for p in free:
            values[p.path] = trial.suggest_float(p.path, p.lower, p.upper)
        results = sim.run(values, fit_scenarios, settings.scale, settings.seeds)
        if aims is not None:
            update, _ = fixed_point_step(values, results["baseline"], aims, settings.damping)
            values.update(update)
            results = sim.run(values, fit_scenarios, settings.scale, settings.seeds)
        score = distance(fit_rows, moments(fit_rows, results))
        trial.set_user_attr("values", {k: values[k] for k in fixed})
        log(f"  candidate {len(complete()) + 1}/{settings.budget}: distance {score:.2f}  "
            + ", ".join(f"{p.path.split('.')[-1]}={values[p.path]:.4g}" for p in free))
        return score

    def complete() -> list[optuna.trial.FrozenTrial]:
        return [t for t in study.trials if t.state == optuna.trial.TrialState.COMPLETE]

    resumed = len(complete())

    if free and not complete():
        # the starting point is the first candidate, so the search never ends worse
        stale = [t for t in study.trials if t.state != optuna.trial.TrialState.COMPLETE]
        if not any(t.state == optuna.trial.TrialState.WAITING for t in stale):
            study.enqueue_trial({p.path: start[p.path] for p in free})
    if free and len(complete()) < settings.budget:
        log(f"stage 2: {settings.budget - len(complete())} candidates × {settings.seeds} "
            f"seeds ({len(complete())} already in the study)")
    while free and len(complete()) < settings.budget:
        study.sampler = sampler(len(complete()))
        study.optimize(objective, n_trials=1)
    timings["stage 2 (search)"] = time.perf_counter() - t0
    completed = sorted(complete(), key=lambda t: t.number)[:settings.budget]
    values = dict(start)
    if completed:
        rank, best = min(enumerate(completed, start=1), key=lambda c: (c[1].value, c[0]))
        values.update({p.path: best.params[p.path] for p in free})
        values.update(best.user_attrs.get("values", {}))
        log(f"best candidate: {rank} (distance {best.value:.2f})")

    # stage 3
    t0 = time.perf_counter()
    if aims is not None and settings.polish_iterations:
        log(f"stage 3: polish, {settings.polish_iterations} fixed-point iterations")
        values = fixed_point(sim, values, aims, settings.polish_iterations, log)
    values = {k: ([significant(x) for x in v] if isinstance(v, list) else significant(v))
              for k, v in values.items()}
    timings["stage 3 (polish)"] = time.perf_counter() - t0

    # full-size check and report rows
    t0 = time.perf_counter()
    log(f"check: all targets at scale {settings.report_scale:g} with {settings.report_seeds} "
        "seeds")
    rows = evaluate(targets, sim, values, settings)
    timings[f"check at scale {settings.report_scale:g}"] = time.perf_counter() - t0
    accepted, reason = verdict(rows, aims is not None)
    trials = [{"number": i, "distance": t.value,
               **{p.path: t.params.get(p.path) for p in free}}
              for i, t in enumerate(completed, start=1)]
    fitted = fitted_document(base_fit, values, params, settings, targets)
    earlier = [what for what, done in (("stage 1", stage1_reused),
                                       (f"{min(resumed, settings.budget)} candidates",
                                        resumed > 0)) if done]
    return Outcome(values, fitted, rows, trials, accepted, reason,
                   time.perf_counter() - began, settings, name, timings,
                   " and ".join(earlier))


def recheck(targets: list[Target], settings: Settings, log: Callable[[str], None] = print,
            fit: dict[str, Any] | None = None) -> Outcome:
    """Check every target against the fitted values as they stand (no search, no new fit).

    For a targets table that gained rows or a model that gained metrics since the fit:
    the report is rewritten, ``fitted.toml`` is not.
    """
    began = time.perf_counter()
    fit = fitted_tree() if fit is None else fit
    values, provenance = unwrap(fit, require=False)
    flat = {path: get_path(values, path) for path in sorted(provenance)}
    how = sorted({text.split(";")[0].removeprefix("source: ") for text in provenance.values()})
    log(f"re-check: all targets at scale {settings.report_scale:g} with {settings.report_seeds} "
        "seeds, fitted values as they stand")
    rows = evaluate(targets, Simulator(fit, settings), {}, settings)
    seconds = time.perf_counter() - began
    accepted, reason = verdict(rows, fixed_point_targets(targets) is not None)
    return Outcome(flat, fit, rows, [], accepted, reason, seconds, settings, "",
                   {f"check at scale {settings.report_scale:g}": seconds},
                   fitted_by="; ".join(how) or "nothing: no fitted.toml")
