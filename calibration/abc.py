"""A posterior, not a point: ``pilotsim calibrate --method abc``.

Likelihood-free Bayesian calibration by ABC-SMC (pyABC, run by ``calibration/abc_smc.py``)
over the ``fit`` rows of the targets: a particle is accepted when

    sqrt( Σ_fit  weight / tolerance² · (simulated − target)² )  ≤  ε,

the square root of the simulated-moments distance. ε falls generation by generation (the median
of the last generation's distances) down to ``min_epsilon``, by default sqrt(Σ weights) / 2: a
run whose fit rows are, in the root-mean-square, within half their tolerances: each tolerance
(the half-width of the acceptable interval) is read as the 95 % range of the model's allowed
discrepancy, so that its standard deviation is half the tolerance. The posterior is the prior
restricted to the parameters whose runs meet the targets that closely. If the simulation
budget ends first, the posterior is the one at the last ε reached (the report says which).

Which parameters: every prior of ``priors.toml`` that can move a fit row (fit-wide ones, and a
pilot's levers once that pilot has fit rows). The others keep their prior: the posterior file
holds prior draws for them, marked as such. Every simulation goes through the project's runner
(``simulation.experiments.runner.execute``: local pool or Dask), particle i of generation t
seeded from (seed, t, i); the same command gives the same draws, and an interrupted run resumes
from its last finished generation (the pyABC history, ``--abc-db``).

Afterwards, posterior predictive checks: K draws run every fit and validate row at the report
scale, and the report counts how many draws land within each row's tolerance.
"""

from __future__ import annotations

import hashlib
import json
import math
import time
from collections.abc import Callable, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calibration.abc_smc import SmcResult, SmcSettings, run_smc
from calibration.evaluation import loadable, probe_columns, runnable_fit_rows
from calibration.moments import is_produced, simulated_value
from calibration.priors import Prior, sample_prior
from calibration.targets import Target
from simulation.experiments.posterior import Draw, Posterior, apply_draw
from simulation.experiments.runner import RunRequest, execute, requests
from simulation.params.loading import fitted_tree, load_scenario

PPC_STREAM = -7  # the posterior predictive checks' seeds, apart from every generation's


@dataclass(frozen=True)
class AbcSettings:
    population: int = 120
    generations: int = 10
    max_simulations: int = 1200
    min_epsilon: float | None = None  # None: sqrt(sum of the fit rows' weights) / 2
    min_acceptance: float = 0.02
    seeds: int = 1
    seed: int = 2015
    scale: float = 0.1
    workers: int | None = None
    dask: str | None = None
    use_dask: bool = False
    ppc_draws: int = 12
    report_scale: float = 1.0

    def describe(self) -> str:
        return (f"population {self.population}, at most {self.generations} generations and "
                f"{self.max_simulations} simulations, seed {self.seed}, {self.seeds} seed(s) "
                f"per particle, scale {self.scale:g}")

    def engine(self) -> dict[str, Any]:
        return {"workers": self.workers, "executor": "dask" if self.use_dask else None,
                "scheduler": self.dask}


@dataclass
class AbcOutcome:
    priors: list[Prior]
    fitted: list[str]  # names of the parameters the fit rows inform
    draws: pd.DataFrame  # every parameter (prior draws for the others)
    weights: np.ndarray
    smc: SmcResult
    ppc: list[dict[str, Any]]
    fit_rows: list[Target]
    settings: AbcSettings
    min_epsilon: float
    db: Path
    timings: dict[str, float] = field(default_factory=dict)
    per_simulation: float = math.nan  # wall seconds per simulation in the search


def entropy(seed: int, stream: int, index: int) -> int:
    """The seed entropy of simulation ``index`` of generation (or stream) ``stream``."""
    state = np.random.SeedSequence([seed, stream + 10, index]).generate_state(2, np.uint32)
    return int(state[0]) << 32 | int(state[1])


def scaled(name: str, scale: float) -> dict[str, Any]:
    """The override that runs a scenario at ``scale`` × its population (at least 200)."""
    if scale == 1.0:
        return {}
    size = load_scenario(name).region.job_seekers
    return {"region": {"job_seekers": max(200, round(size * scale))}}


def informs(prior: Prior, scenarios: Sequence[str]) -> bool:
    """Whether a prior is to be fitted: not marked ``fit = false`` and able to move a run of
    these scenarios."""
    if not prior.fit:
        return False
    if prior.spec.fit_wide:
        return True
    probe = Draw(-1, {prior.name: prior.lower}, (prior.spec,))
    return any(probe.overrides(load_scenario(name), name) for name in scenarios)


class Simulator:
    """Runs particles through the runner and returns their fit moments, in order."""

    def __init__(self, priors: Sequence[Prior], rows: Sequence[Target], settings: AbcSettings,
                 base_fit: dict[str, Any]) -> None:
        self.specs = tuple(p.spec for p in priors)
        self.rows = list(rows)
        self.settings = settings
        self.base_fit = base_fit
        self.scenarios = sorted({t.scenario for t in rows})
        self.sizes = {n: scaled(n, settings.scale) for n in self.scenarios}
        self.simulations = 0
        self.seconds = 0.0

    def __call__(self, t: int, first: int, thetas: list[dict[str, float]]
                 ) -> list[dict[str, float]]:
        began = time.perf_counter()
        batch: list[RunRequest] = []
        for j, theta in enumerate(thetas):
            draw = self.draw(t, first + j, theta)
            for name in self.scenarios:
                scenario = apply_draw(draw, name, base_fit=self.base_fit,
                                      overrides=self.sizes[name])
                batch += requests(scenario, self.settings.seeds,
                                  entropy(self.settings.seed, t, first + j))
        results = execute(batch, **self.settings.engine())
        out, per = [], len(self.scenarios) * self.settings.seeds
        for j in range(len(thetas)):
            chunk = results[j * per:(j + 1) * per]
            grouped = {name: chunk[k * self.settings.seeds:(k + 1) * self.settings.seeds]
                       for k, name in enumerate(self.scenarios)}
            out.append(self.moments(grouped))
        self.simulations += len(batch)
        self.seconds += time.perf_counter() - began
        return out

    def draw(self, t: int, index: int, theta: dict[str, float]) -> Draw:
        """The parameter set particle ``index`` of generation ``t`` runs under."""
        return Draw(-1, theta, self.specs)

    def moments(self, grouped: dict[str, list[Any]]) -> dict[str, float]:
        values = {}
        for target in self.rows:
            value = simulated_value(target.metric, target.scope, grouped[target.scenario])
            # a moment the run cannot give (no one at risk) is far from every target
            values[target.target_id] = value if math.isfinite(value) else \
                target.value + 1e3 * target.tolerance
        return values


def default_epsilon(rows: Sequence[Target]) -> float:
    """sqrt(Σ weights) / 2: each tolerance read as the 95 % half-width of the model's allowed
    discrepancy (sd = tolerance / 2), under which Σ weight · (error / sd)² is about Σ weights."""
    return math.sqrt(sum(t.weight for t in rows)) / 2


def run_key(rows: Sequence[Target], priors: Sequence[Prior], settings: AbcSettings,
            base_fit: dict[str, Any]) -> str:
    """What decides the draws (not the stopping rules, so a run can be extended)."""
    payload = json.dumps({
        "rows": [(t.target_id, t.scenario, t.metric.text, t.scope, t.value, t.tolerance,
                  t.weight) for t in rows],
        "priors": [(p.spec.to_json(), p.distribution, p.lower, p.upper, p.mean, p.sd)
                   for p in priors],
        "settings": [settings.population, settings.seed, settings.seeds, settings.scale,
                     settings.min_acceptance],
        "base_fit": base_fit}, sort_keys=True, default=str)
    return hashlib.sha256(payload.encode()).hexdigest()[:12]


def calibrate_abc(targets: list[Target], priors: list[Prior], settings: AbcSettings,
                  db_folder: Path, log: Callable[[str], None] = print,
                  base_fit: dict[str, Any] | None = None) -> AbcOutcome:
    """Run (or resume) the ABC-SMC and the predictive checks; write nothing but the history."""
    began = time.perf_counter()
    base_fit = fitted_tree() if base_fit is None else base_fit
    rows = runnable_fit_rows(targets)
    if not rows:
        raise ValueError("no fit rows that the scenarios can produce")
    scenarios = sorted({t.scenario for t in rows})
    active = [p for p in priors if informs(p, scenarios)]
    passive = [p for p in priors if p not in active]
    min_epsilon = settings.min_epsilon if settings.min_epsilon is not None else \
        default_epsilon(rows)
    db = db_folder / f"abc-{run_key(rows, active, settings, base_fit)}.sqlite3"
    log(f"ABC-SMC: {len(active)} parameters against {len(rows)} fit rows of "
        f"{', '.join(scenarios)}; {len(passive)} keep their prior; {settings.describe()}; "
        f"stops at epsilon {min_epsilon:.3g}")
    simulator = Simulator(active, rows, settings, base_fit)
    smc = run_smc(active, {t.target_id: t.value for t in rows},
                  {t.target_id: t.precision for t in rows}, _logged(simulator, log), db,
                  SmcSettings(settings.population, settings.generations,
                              settings.max_simulations, min_epsilon, settings.min_acceptance,
                              settings.seed, batch=2 * (settings.workers or 2)), log)
    search = time.perf_counter() - began
    draws = smc.draws.copy()
    rng = np.random.default_rng([settings.seed, 0xBA5E])
    for name, values in sample_prior(passive, len(draws), rng).items():
        draws[name] = values
    draws = draws[[p.name for p in priors]]
    t0 = time.perf_counter()
    ppc = predictive_checks(targets, priors, draws, smc.weights, [p.name for p in active],
                            settings, base_fit, log)
    per = simulator.seconds / simulator.simulations if simulator.simulations else math.nan
    return AbcOutcome(priors, [p.name for p in active], draws, smc.weights, smc, ppc, rows,
                      settings, min_epsilon, db,
                      {"ABC-SMC": search, "predictive checks": time.perf_counter() - t0}, per)


def _logged(simulator: Simulator, log: Callable[[str], None]) -> Callable:
    def simulate(t: int, first: int, thetas: list[dict[str, float]]) -> list[dict[str, float]]:
        stats = simulator(t, first, thetas)
        log(f"  generation {t}: {first + len(thetas)} simulations so far "
            f"({simulator.simulations} in all, {simulator.seconds / 60:.1f} min)")
        return stats
    return simulate


def predictive_checks(targets: list[Target], priors: Sequence[Prior], draws: pd.DataFrame,
                      weights: np.ndarray, fitted: Sequence[str], settings: AbcSettings,
                      base_fit: dict[str, Any], log: Callable[[str], None] = print
                      ) -> list[dict[str, Any]]:
    """Every fit and validate row under K posterior draws, one replication each."""
    k = settings.ppc_draws
    if k <= 0:
        return []
    # drawn as run/compare/report draw from the posterior file
    posterior = Posterior(Path("(in memory)"), tuple(p.spec for p in priors), draws,
                          weights / weights.sum(), {"fitted": list(fitted)})
    chosen = posterior.sample(k, settings.seed)
    reasons = loadable({t.scenario for t in targets})
    produced = {}
    for name in sorted(n for n, r in reasons.items() if r is None):
        try:
            produced[name] = probe_columns(name, base_fit)
        except Exception as exc:  # noqa: BLE001 - a scenario still being written
            reasons[name] = f"scenario does not run ({type(exc).__name__}: {exc})"
    runnable = sorted({t.scenario for t in targets if t.scenario in produced
                       and is_produced(t.metric, t.scope, *produced[t.scenario])})
    log(f"predictive checks: {k} posterior draws × {len(runnable)} scenarios at scale "
        f"{settings.report_scale:g}")
    batch = []
    for i, draw in enumerate(chosen):
        for name in runnable:
            scenario = apply_draw(draw, name, base_fit=base_fit,
                                  overrides=scaled(name, settings.report_scale))
            batch += requests(scenario, 1, entropy(settings.seed, PPC_STREAM, i))
    results = execute(batch, **settings.engine()) if batch else []
    by = {(i, name): results[i * len(runnable) + j]
          for i in range(k) for j, name in enumerate(runnable)}
    rows = []
    for t in targets:
        row = {"target_id": t.target_id, "scenario": t.scenario, "metric": t.metric.text,
               "scope": t.scope, "use": t.use, "target": t.value, "tolerance": t.tolerance,
               "unit": t.unit, "values": []}
        if t.scenario in runnable and is_produced(t.metric, t.scope, *produced[t.scenario]):
            row["values"] = [simulated_value(t.metric, t.scope, [by[i, t.scenario]])
                             for i in range(k)]
        rows.append(summarise_check(row))
    return rows


def summarise_check(row: dict[str, Any]) -> dict[str, Any]:
    """A row's predictive summary: median, 5–95 % range, draws within tolerance."""
    values = np.array([v for v in row["values"] if math.isfinite(v)], float)
    if len(values) == 0:
        return {**row, "status": "not yet simulated", "within": 0, "draws": 0,
                "median": math.nan, "low": math.nan, "high": math.nan}
    within = int(np.sum(np.abs(values - row["target"]) <= row["tolerance"]))
    low, median, high = np.quantile(values, [0.05, 0.5, 0.95])
    return {**row, "status": "checked", "within": within, "draws": len(values),
            "median": float(median), "low": float(low), "high": float(high)}


def settings_record(settings: AbcSettings) -> dict[str, Any]:
    return asdict(settings)
