"""Running and scoring candidates: the simulator that applies candidate values as the fit,
the simulated moments and their distance to the targets, and the check of every target that
the fit report shows.
"""

from __future__ import annotations

import math
from typing import Any

from calibration.inputs import Settings, nested
from calibration.moments import replication_values, simulated_value
from calibration.targets import Target
from simulation.engine.results import RunResult
from simulation.experiments.runner import execute, requests, run_many
from simulation.params.loading import ScenarioError, deep_merge, load_scenario, wrap_overrides

PENALTY = 1e6  # distance of a candidate whose moments cannot be computed


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


# -- scenarios that can run -----------------------------------------------------------

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


# -- the check of every target ---------------------------------------------------------

def verdict(rows: list[dict[str, Any]], has_labore: bool) -> tuple[bool, str]:
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
