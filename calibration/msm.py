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
"""

from __future__ import annotations

import csv
import hashlib
import json
import math
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import numpy as np

from calibration.moments import labore_rate, parse_metric, replication_values, simulated_value
from calibration.targets import Target, TargetsError
from simulation.engine.results import RunResult
from simulation.experiments.runner import execute, requests, run_many
from simulation.params.loading import (
    ScenarioError,
    deep_merge,
    fitted_tree,
    load_scenario,
    read_toml,
    wrap_overrides,
)
from simulation.params.provenance import unwrap
from simulation.params.schema import N_BANDS

HERE = Path(__file__).parent
PARAM_COLUMNS = ("parameter", "lower", "upper", "start", "role", "source")
FIXED_POINT_PATHS = ("labour_market.work_hazard_by_band", "public_office.referral_by_band",
                     "public_office.follow_on_referral", "flows.inflow_per_week")
PENALTY = 1e6  # distance of a candidate whose moments cannot be computed


@dataclass(frozen=True)
class FreeParameter:
    path: str
    lower: float
    upper: float
    start: float | None
    role: str
    source: str


@dataclass(frozen=True)
class Settings:
    budget: int = 30
    seeds: int = 3
    seed: int = 2015
    scale: float = 1 / 3
    workers: int | None = None
    fixed_point_iterations: int = 8
    polish_iterations: int = 3
    damping: float = 0.8
    report_seeds: int = 4
    report_scale: float = 1.0
    dask: str | None = None   # a Dask scheduler address; with use_dask and no address, a
    use_dask: bool = False    # LocalCluster of `workers` processes

    def describe(self) -> str:
        return (f"budget {self.budget}, seeds {self.seeds}, seed {self.seed}, "
                f"scale {self.scale:.4g}, fixed point {self.fixed_point_iterations}+"
                f"{self.polish_iterations} iterations, damping {self.damping}")


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


# -- parameter table ------------------------------------------------------------------

def read_params(path: str | Path) -> list[FreeParameter]:
    """Read ``params.csv``: parameter (dotted path), lower, upper, start, role, source."""
    path = Path(path)
    if not path.exists():
        raise TargetsError(path, None, "file", "no such file")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("parameter", "lower", "upper", "source")
                   if c not in (reader.fieldnames or [])]
        if missing:
            raise TargetsError(path, 1, missing[0], "missing column (required: parameter, "
                               "lower, upper, source; optional: start, role)")
        out, seen = [], {}
        for line, row in enumerate(reader, start=2):
            name = (row.get("parameter") or "").strip()
            if not name or name.startswith("#"):
                continue
            if name in seen:
                raise TargetsError(path, line, "parameter",
                                   f"duplicate parameter {name!r} (first on line {seen[name]})")
            seen[name] = line
            numbers = {}
            for column in ("lower", "upper", "start"):
                text = (row.get(column) or "").strip()
                if column == "start" and not text:
                    numbers[column] = None
                    continue
                try:
                    numbers[column] = float(text)
                except ValueError:
                    raise TargetsError(path, line, column, f"not a number: {text!r}") from None
            if not numbers["lower"] < numbers["upper"]:
                raise TargetsError(path, line, "upper", "must be greater than lower")
            start = numbers["start"]
            if start is not None and not numbers["lower"] <= start <= numbers["upper"]:
                raise TargetsError(path, line, "start", "must lie between lower and upper")
            role = (row.get("role") or "fit").strip() or "fit"
            if role not in ("fit", "sensitivity"):
                raise TargetsError(path, line, "role", f"must be fit or sensitivity, got {role!r}")
            if name in FIXED_POINT_PATHS:
                raise TargetsError(path, line, "parameter", f"{name} is set by the fixed-point "
                                   "stage; it cannot also be searched")
            out.append(FreeParameter(name, numbers["lower"], numbers["upper"], start, role,
                                     (row.get("source") or "").strip()))
    _check_paths(path, out)
    return out


def _check_paths(path: Path, params: list[FreeParameter]) -> None:
    """Every parameter must name a number in the baseline scenario."""
    dump = load_scenario("baseline", apply_fit=False).model_dump()
    for p in params:
        value = get_path(dump, p.path)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise TargetsError(path, None, "parameter",
                               f"{p.path!r} is not a number in the baseline scenario")


def get_path(tree: dict[str, Any], dotted: str) -> Any:
    node: Any = tree
    for part in dotted.split("."):
        if not isinstance(node, dict) or part not in node:
            return None
        node = node[part]
    return node


def nested(values: dict[str, Any]) -> dict[str, Any]:
    """{"a.b": 1} → {"a": {"b": 1}}."""
    out: dict[str, Any] = {}
    for dotted, value in values.items():
        node = out
        *head, last = dotted.split(".")
        for part in head:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def without(tree: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """A copy of a fitted tree without the given parameters (and empty tables)."""
    out: dict[str, Any] = json.loads(json.dumps(tree))
    for dotted in paths:
        *head, last = dotted.split(".")
        node = out
        for part in head:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node.pop(last, None)

    def prune(node: dict[str, Any]) -> dict[str, Any]:
        return {k: prune(v) if isinstance(v, dict) and "value" not in v else v
                for k, v in node.items()
                if not (isinstance(v, dict) and "value" not in v and not prune(v))}
    return prune(out)


# -- simulation -----------------------------------------------------------------------

class Simulator:
    """Runs scenarios with candidate parameter values applied as the fit."""

    def __init__(self, base_fit: dict[str, Any], settings: Settings) -> None:
        self.base_fit = base_fit
        self.settings = settings
        self.runs = 0

    def fit_tree(self, values: dict[str, Any], note: str = "calibration candidate"
                 ) -> dict[str, Any]:
        return deep_merge(self.base_fit, wrap_overrides(nested(values), note))

    def run(self, values: dict[str, Any], scenarios: list[str], scale: float,
            seeds: int) -> dict[str, list[RunResult]]:
        tree = self.fit_tree(values)
        batch = []
        for name in scenarios:
            scenario = load_scenario(name, apply_fit=tree)
            if scale != 1.0:
                size = max(200, round(scenario.region.job_seekers * scale))
                scenario = load_scenario(name, overrides={"region": {"job_seekers": size}},
                                         apply_fit=tree)
            batch.extend(requests(scenario, seeds, self.settings.seed))
        # no results store: stored runs come back without the Labore exit counts
        results = execute(batch, workers=self.settings.workers,
                          executor="dask" if self.settings.use_dask else None,
                          scheduler=self.settings.dask)
        self.runs += len(batch)
        grouped: dict[str, list[RunResult]] = {name: [] for name in scenarios}
        for name, result in zip((n for n in scenarios for _ in range(seeds)), results,
                                strict=True):
            grouped[name].append(result)
        return grouped


def moments(targets: list[Target], results: dict[str, list[RunResult]]) -> dict[str, float]:
    return {t.target_id: simulated_value(t.metric, t.scope, results[t.scenario])
            for t in targets if t.scenario in results}


def distance(targets: list[Target], simulated: dict[str, float]) -> float:
    """Weighted squared distance over the ``fit`` rows; ``validate`` rows never count."""
    total = 0.0
    for target in targets:
        if target.use != "fit":
            continue
        value = simulated.get(target.target_id, math.nan)
        if not math.isfinite(value):
            return PENALTY
        total += target.precision * (value - target.value) ** 2
    return total


# -- stage 1 and 3: the duration-profile fixed point -----------------------------------

@dataclass(frozen=True)
class FixedPointTargets:
    work: np.ndarray
    services: np.ndarray
    activation: Target | None
    trend: Target | None


def fixed_point_targets(targets: list[Target]) -> FixedPointTargets | None:
    """The baseline fit rows the fixed point aims at, or None if they are not all there."""
    rows = {(t.metric.name, t.metric.band): t for t in targets
            if t.scenario == "baseline" and t.use == "fit" and t.metric.kind == "labore"
            and t.scope == "region"}
    if not all(("work", b) in rows and ("services", b) in rows for b in range(N_BANDS)):
        return None
    by_text = {t.metric.text: t for t in targets if t.scenario == "baseline" and t.use == "fit"
               and t.scope == "region"}
    return FixedPointTargets(
        np.array([rows["work", b].value for b in range(N_BANDS)]),
        np.array([rows["services", b].value for b in range(N_BANDS)]),
        by_text.get("activation_rate_mean"), by_text.get("unemployed_end_ratio"))


def fixed_point_step(values: dict[str, Any], results: list[RunResult], aims: FixedPointTargets,
                     damping: float) -> tuple[dict[str, Any], str]:
    """One damped update of the profiles (calibration/duration_profile.py's rule)."""
    work = np.array([labore_rate(parse_metric(f"monthly_to_work[{b}]"), results)
                     for b in range(N_BANDS)])
    services = np.array([labore_rate(parse_metric(f"monthly_to_services[{b}]"), results)
                         for b in range(N_BANDS)])
    hazard = np.array(values["labour_market.work_hazard_by_band"])
    referral = np.array(values["public_office.referral_by_band"])
    follow_on = float(values["public_office.follow_on_referral"])
    inflow = float(values["flows.inflow_per_week"])
    # a band with no exits (tiny populations) keeps its value rather than exploding
    with np.errstate(divide="ignore", invalid="ignore"):
        work_ratio = np.where(work > 0, aims.work / work, 1.0)
        services_ratio = np.where(services > 0, aims.services / services, 1.0)
    hazard = np.clip(hazard * work_ratio ** damping, 1e-5, 1.0)
    referral = np.clip(referral * services_ratio ** damping, 1e-4, 1.0)
    note = (f"worst relative error to work {np.abs(work / aims.work - 1).max():.1%}, "
            f"to services {np.abs(services / aims.services - 1).max():.1%}")
    if aims.activation is not None:
        activation = simulated_value(aims.activation.metric, "region", results)
        odds = follow_on / (1 - follow_on) * (aims.activation.value / activation) ** 2
        follow_on = float(np.clip(odds / (1 + odds), 0.0, 0.95))
        note += f"; activation {activation:.3f}"
    if aims.trend is not None:
        trend = simulated_value(aims.trend.metric, "region", results)
        inflow = float(np.clip(inflow * (aims.trend.value / trend) ** 1.5, 1e-4, 0.5))
        note += f"; stock end/start {trend:.3f}"
    return {"labour_market.work_hazard_by_band": [_round(x) for x in hazard],
            "public_office.referral_by_band": [_round(x) for x in referral],
            "public_office.follow_on_referral": _round(follow_on),
            "flows.inflow_per_week": _round(inflow)}, note


def _round(x: float, digits: int = 4) -> float:
    """Round to significant digits (stable text in fitted.toml)."""
    return float(f"{float(x):.{digits}g}")


def fixed_point(sim: Simulator, values: dict[str, Any], aims: FixedPointTargets,
                iterations: int, log: Callable[[str], None]) -> dict[str, Any]:
    s = sim.settings
    current = dict(values)
    for iteration in range(iterations):
        results = sim.run(current, ["baseline"], s.scale, s.seeds)["baseline"]
        update, note = fixed_point_step(current, results, aims, s.damping)
        log(f"  fixed point {iteration + 1}/{iterations}: {note}")
        current.update(update)
    return current


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


def loadable(names: set[str]) -> dict[str, str | None]:
    """Scenario name → None if it loads, else the one-line reason it does not."""
    out: dict[str, str | None] = {}
    for name in sorted(names):
        try:
            load_scenario(name)
            out[name] = None
        except ScenarioError as exc:
            out[name] = f"scenario does not load ({exc})"
    return out


def probe_columns(name: str, fit_tree: dict[str, Any] | bool = True
                  ) -> tuple[set[str], set[str]]:
    """Summary keys and weekly columns a scenario produces (a tiny two-week run)."""
    scenario = load_scenario(name, overrides={"region": {"job_seekers": 200}},
                             apply_fit=fit_tree)
    result = run_many(requests(scenario, 1, 0, weeks=2), workers=1)[0]
    return set(result.summary), set(result.weekly.columns)


def runnable_fit_rows(targets: list[Target]) -> list[Target]:
    """The fit rows whose scenario loads and produces the metric (pending rows may not)."""
    from calibration.moments import is_produced

    names = {t.scenario for t in targets if t.use == "fit"}
    reasons = loadable(names)
    produced = {n: probe_columns(n) for n, r in reasons.items() if r is None}
    return [t for t in targets if t.use == "fit" and t.scenario in produced
            and is_produced(t.metric, t.scope, *produced[t.scenario])]


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
    values = {k: ([_round(x) for x in v] if isinstance(v, list) else _round(v))
              for k, v in values.items()}
    timings["stage 3 (polish)"] = time.perf_counter() - t0

    # full-size check and report rows
    t0 = time.perf_counter()
    log(f"check: all targets at scale {settings.report_scale:g} with {settings.report_seeds} "
        "seeds")
    rows = evaluate(targets, sim, values, settings)
    timings[f"check at scale {settings.report_scale:g}"] = time.perf_counter() - t0
    accepted, reason = _verdict(rows, aims is not None)
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
    accepted, reason = _verdict(rows, fixed_point_targets(targets) is not None)
    return Outcome(flat, fit, rows, [], accepted, reason, seconds, settings, "",
                   {f"check at scale {settings.report_scale:g}": seconds},
                   fitted_by="; ".join(how) or "nothing: no fitted.toml")


def _verdict(rows: list[dict[str, Any]], has_labore: bool) -> tuple[bool, str]:
    """A fit is accepted when the guarded Labore bands are within tolerance at full size."""
    guard = [r for r in rows if r["guard"]]
    misses = [r for r in guard if r["status"] != "within"]
    accepted = bool(guard) and not misses if has_labore else True
    reason = ("Labore bands within tolerance at full size" if accepted and has_labore
              else "no Labore bands in the fit" if accepted
              else "Labore bands missed at full size: " + ", ".join(r["target_id"] for r in misses))
    return accepted, reason


def evaluate(targets: list[Target], sim: Simulator, values: dict[str, Any],
             settings: Settings) -> list[dict[str, Any]]:
    """Every target against the simulated value at the reported scale."""
    names = {t.scenario for t in targets}
    reasons = loadable(names)
    tree = sim.fit_tree(values)
    produced: dict[str, tuple[set[str], set[str]]] = {}
    for name in sorted(n for n, r in reasons.items() if r is None):
        try:
            produced[name] = probe_columns(name, tree)
        except Exception as exc:  # noqa: BLE001 — a scenario still being written
            reasons[name] = f"scenario does not run ({type(exc).__name__}: {exc})"
    from calibration.moments import is_produced
    runnable = sorted({t.scenario for t in targets if reasons.get(t.scenario) is None
                       and is_produced(t.metric, t.scope, *produced[t.scenario])})
    results = sim.run(values, runnable, settings.report_scale, settings.report_seeds) \
        if runnable else {}
    rows = []
    for t in targets:
        row = {"target_id": t.target_id, "scenario": t.scenario, "metric": t.metric.text,
               "scope": t.scope, "target": t.value, "tolerance": t.tolerance,
               "low": t.interval[0], "high": t.interval[1], "unit": t.unit, "use": t.use,
               "source": t.source, "note": t.note, "weight": t.weight,
               "guard": t.use == "fit" and t.metric.kind == "labore" and t.metric.band is not None,
               "simulated": math.nan, "ci_low": math.nan, "ci_high": math.nan}
        if reasons.get(t.scenario):
            reason = reasons[t.scenario] or ""
            row.update(status="not yet simulated",
                       reason=f"no scenario named {t.scenario!r} yet"
                       if "no scenario named" in reason or "no such scenario" in reason
                       else reason)
        elif t.scenario not in results or not is_produced(t.metric, t.scope,
                                                          *produced[t.scenario]):
            row.update(status="not yet simulated",
                       reason=f"scenario {t.scenario!r} does not produce {t.metric.text!r} yet")
        else:
            value = simulated_value(t.metric, t.scope, results[t.scenario])
            reps = replication_values(t.metric, t.scope, results[t.scenario])
            from simulation.experiments.statistics import mean_ci
            ci = mean_ci(reps)
            row.update(simulated=value, ci_low=ci["ci95_low"], ci_high=ci["ci95_high"])
            if not math.isfinite(value):
                row.update(status="missed", reason="the model gives no value (division by 0)")
            elif abs(value - t.value) <= t.tolerance:
                row.update(status="within", reason="")
            else:
                side = "above" if value > t.value else "below"
                k = abs(value - t.value) / t.tolerance
                reason = f"{side} the target by {k:.1f} tolerances"
                if t.note:
                    reason += f"; {t.note}"
                row.update(status="missed", reason=reason)
        rows.append(row)
    return rows


# -- fitted.toml ------------------------------------------------------------------------

def fitted_document(base_fit: dict[str, Any], values: dict[str, Any],
                    params: list[FreeParameter], settings: Settings,
                    targets: list[Target]) -> dict[str, Any]:
    """The fitted tree: kept values plus the new ones, each with its source."""
    files = sorted({Path(t.file).name for t in targets if t.use == "fit"})
    how = f"fitted: pilotsim calibrate ({settings.describe()}) to {', '.join(files)}"
    sources = {p.path: p.source for p in params}
    new: dict[str, Any] = {}
    for path, value in values.items():
        if path in FIXED_POINT_PATHS:
            source = (f"{how}; damped fixed point (calibration/duration_profile.py method) to "
                      "Labore 2015 exit rates by spell band, activation 2018 and the stock "
                      "296k → 240k (DOMAIN.md §3)")
        else:
            source = (f"{how}; method of simulated moments, bounds: {sources.get(path, '')}")
        new[path] = {"value": value, "source": source}
    return deep_merge(base_fit, nested(new))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def toml_text(tree: dict[str, Any], header: str) -> str:
    """Write a fitted tree: tables of ``key = { value = ..., source = "..." }``."""
    lines = [header.rstrip(), ""]

    def walk(node: dict[str, Any], prefix: str) -> None:
        leaves = {k: v for k, v in node.items() if not (isinstance(v, dict) and "value" not in v)}
        if leaves:
            lines.append(f"[{prefix}]")
            for key, table in leaves.items():
                parts = ", ".join(f"{k} = {_toml_value(v)}" for k, v in table.items())
                lines.append(f"{key} = {{ {parts} }}")
            lines.append("")
        for key, child in node.items():
            if isinstance(child, dict) and "value" not in child:
                walk(child, f"{prefix}.{key}" if prefix else key)

    walk(tree, "")
    return "\n".join(lines).rstrip() + "\n"


FITTED_HEADER = ("# Written by `pilotsim calibrate` (calibration/msm.py); do not edit by hand.\n"
                 "# Scenarios with apply_fit = true read these values on top of their own.\n"
                 "# The fit report is calibration/report.md.")


def write_fitted(tree: dict[str, Any], path: Path) -> None:
    text = toml_text(tree, FITTED_HEADER)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    read_toml(tmp)  # never leave a file scenarios cannot read
    tmp.replace(path)
