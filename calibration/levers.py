"""The pilots' levers fitted to each pilot's reported figures: the posterior's second stage,
``pilotsim calibrate --method abc --stage levers``.

The first stage (``calibration/abc.py``) fits the baseline's parameters to the register's
figures. Here each pilot with rows of use ``pilot`` in the targets (Tampere's activation in
November 2018, Pori's coachings and workshops, …) has its own levers — the priors whose
``scenarios`` name that pilot alone — fitted to those rows by ABC-SMC, one pilot at a time.
The baseline is not refitted: every simulation runs under a draw of the first-stage posterior
(one of a seeded pool, picked by the particle's seed), so the levers' posterior carries the
baseline's uncertainty but the pilots' few figures do not move the baseline ("cut" two-stage
inference, as in Plummer 2015, *Statistics and Computing* 25: a pilot's reported activation
must not re-estimate the whole region's job-finding rates). Levers shared by every scenario
(``"*"``, the providers' effort response) keep their prior: one pilot's figure cannot speak
for all of them.

The reported figures are the real pilot's, so the pilot runs at its real size (``scale`` 1).
The result replaces the levers' columns of the posterior file by equally weighted draws of
their second-stage posterior (systematic resampling, then shuffled): like the prior-only
columns they are drawn independently of the baseline's row, and the file's version changes,
so runs stored under the first-stage levers are not reused. Diagnostics per pilot (ε,
acceptance, ESS, marginals against the prior, the predictive check of its rows before and
after) go into the file's metadata (``levers``) and a section of ``posterior.md``.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from calibration.abc import (
    AbcSettings,
    Simulator,
    _logged,
    default_epsilon,
    entropy,
    run_key,
    summarise_check,
)
from calibration.abc_smc import SmcResult, SmcSettings, run_smc
from calibration.evaluation import loadable, probe_columns
from calibration.moments import is_produced, simulated_value
from calibration.posterior_report import marginal
from calibration.priors import Prior, sample_prior
from calibration.targets import Target
from simulation.experiments.posterior import (
    ALL_SCENARIOS,
    Draw,
    Posterior,
    apply_draw,
    systematic_resample,
)
from simulation.experiments.runner import execute, requests
from simulation.params.loading import fitted_tree

LEVER_STREAM = 1000  # the second stage's seeds, apart from the first stage's generations
CHECK_STREAM = -8  # its predictive checks' seeds
POOL = 200  # first-stage draws the particles choose among
SECTION = "## Pilot levers fitted to the pilots' reported figures (second stage)"


class LeversError(ValueError):
    """Why the second stage cannot run, as one line."""


@dataclass(frozen=True)
class PilotStage:
    """One pilot: its own levers and the reported figures they are fitted to."""
    scenario: str
    priors: tuple[Prior, ...]
    rows: tuple[Target, ...]


@dataclass
class PilotOutcome:
    stage: PilotStage
    smc: SmcResult
    min_epsilon: float
    simulations: int
    seconds: float
    before: list[dict[str, Any]]  # predictive check of its rows with the levers' prior
    after: list[dict[str, Any]]  # … and with their second-stage posterior


def own_levers(priors: Sequence[Prior], scenario: str) -> tuple[Prior, ...]:
    """The fitted priors that are this pilot's levers alone."""
    return tuple(p for p in priors if p.fit and not p.spec.fit_wide
                 and ALL_SCENARIOS not in p.spec.scenarios and scenario in p.spec.scenarios)


def pilot_stages(targets: Sequence[Target], priors: Sequence[Prior],
                 only: Sequence[str] = ()) -> list[PilotStage]:
    """Every pilot with ``pilot`` rows it can produce and levers of its own (``only``: these)."""
    wanted = [t for t in targets if t.use == "pilot" and (not only or t.scenario in only)]
    names = sorted({t.scenario for t in wanted})
    unknown = sorted(set(only) - set(names))
    if unknown:
        raise LeversError(f"--pilot: no rows of use 'pilot' for {', '.join(unknown)} in the "
                          "targets")
    reasons = loadable(set(names))
    stages = []
    for name in names:
        if reasons[name] is not None:
            raise LeversError(f"{name}: {reasons[name]}")
        produced = probe_columns(name)
        rows = tuple(t for t in wanted if t.scenario == name
                     and is_produced(t.metric, t.scope, *produced))
        levers = own_levers(priors, name)
        if rows and levers:
            stages.append(PilotStage(name, levers, rows))
    if not stages:
        raise LeversError("no pilot has both rows of use 'pilot' and levers of its own in the "
                          "priors")
    return stages


class LeverSimulator(Simulator):
    """A pilot's particles: its levers on top of a first-stage draw chosen by the seed."""

    def __init__(self, stage: PilotStage, pool: Sequence[Draw], settings: AbcSettings,
                 base_fit: dict[str, Any]) -> None:
        super().__init__(stage.priors, stage.rows, settings, base_fit)
        self.pool = list(pool)

    def draw(self, t: int, index: int, theta: dict[str, float]) -> Draw:
        base = self.pool[entropy(self.settings.seed, LEVER_STREAM + t, index) % len(self.pool)]
        return Draw(base.row, {**base.values, **theta}, base.specs)


def fit_levers(targets: Sequence[Target], priors: Sequence[Prior], posterior: Posterior,
               settings: AbcSettings, db_folder: Path, only: Sequence[str] = (),
               log: Callable[[str], None] = print, base_fit: dict[str, Any] | None = None
               ) -> list[PilotOutcome]:
    """Run (or resume) each pilot's ABC-SMC and its predictive checks; write nothing but the
    histories."""
    base_fit = fitted_tree() if base_fit is None else base_fit
    settings = replace(settings, scale=1.0)  # the reported figures are the real pilot's
    stages = pilot_stages(targets, priors, only)
    missing = sorted({p.name for s in stages for p in s.priors} - set(posterior.names))
    if missing:
        raise LeversError(f"{posterior.path}: parameters: {', '.join(missing)} not in the "
                          "posterior (made with other priors; rerun the first stage)")
    pool = posterior.sample(POOL, settings.seed)
    outcomes = []
    for stage in stages:
        rows = list(stage.rows)
        min_epsilon = settings.min_epsilon if settings.min_epsilon is not None else \
            default_epsilon(rows)
        key = run_key(rows, stage.priors, settings, base_fit)
        db = db_folder / f"levers-{stage.scenario}-{key}-{posterior.version}.sqlite3"
        log(f"{stage.scenario}: {len(stage.priors)} levers against {len(rows)} reported "
            f"figures; {settings.describe()}; stops at epsilon {min_epsilon:.3g}")
        simulator = LeverSimulator(stage, pool, settings, base_fit)
        smc = run_smc(stage.priors, {t.target_id: t.value for t in rows},
                      {t.target_id: t.precision for t in rows}, _logged(simulator, log), db,
                      SmcSettings(settings.population, settings.generations,
                                  settings.max_simulations, min_epsilon,
                                  settings.min_acceptance, settings.seed,
                                  batch=2 * (settings.workers or 2)), log)
        before = [summarise_check(r) for r in _checks(stage, pool, None, settings, base_fit)]
        after = [summarise_check(r) for r in _checks(stage, pool, smc, settings, base_fit)]
        outcomes.append(PilotOutcome(stage, smc, min_epsilon, simulator.simulations,
                                     simulator.seconds, before, after))
    return outcomes


def _checks(stage: PilotStage, pool: Sequence[Draw], smc: SmcResult | None,
            settings: AbcSettings, base_fit: dict[str, Any]) -> list[dict[str, Any]]:
    """The pilot's rows under K draws: first-stage draws with the levers' prior values as
    drawn there (``smc`` None) or with levers resampled from the second stage."""
    k = settings.ppc_draws
    if k <= 0:
        return []
    rng = np.random.default_rng([settings.seed, 0x1E7E5])
    bases = [pool[i] for i in rng.integers(0, len(pool), size=k)]
    names = [p.name for p in stage.priors]
    if smc is None:
        levers = pd.DataFrame(sample_prior(stage.priors, k, rng))
    else:
        picked = systematic_resample(smc.weights / smc.weights.sum(), k, rng)
        levers = smc.draws.iloc[picked].reset_index(drop=True)
    bases = [Draw(b.row, {**b.values, **{n: float(levers[n].iloc[i]) for n in names}},
                  b.specs) for i, b in enumerate(bases)]
    batch = []
    for i, draw in enumerate(bases):
        batch += requests(apply_draw(draw, stage.scenario, base_fit=base_fit), 1,
                          entropy(settings.seed, CHECK_STREAM, i))
    results = execute(batch, **settings.engine())
    return [{"target_id": t.target_id, "scenario": t.scenario, "metric": t.metric.text,
             "scope": t.scope, "use": t.use, "target": t.value, "tolerance": t.tolerance,
             "unit": t.unit, "values": [simulated_value(t.metric, t.scope, [r])
                                        for r in results]}
            for t in stage.rows]


def with_levers(posterior: Posterior, outcomes: Sequence[PilotOutcome], seed: int
                ) -> pd.DataFrame:
    """The posterior's draws with each fitted pilot's lever columns replaced by equally
    weighted draws of its second stage (one particle per row, so a pilot's levers stay
    together)."""
    draws = posterior.draws.copy()
    n = len(draws)
    rng = np.random.default_rng([seed, 0x1E7E6])
    for o in outcomes:
        picked = rng.permutation(systematic_resample(o.smc.weights / o.smc.weights.sum(), n,
                                                     rng))
        for prior in o.stage.priors:
            draws[prior.name] = o.smc.draws[prior.name].to_numpy(float)[picked]
    return draws


def summary(o: PilotOutcome) -> dict[str, Any]:
    """What the posterior file records of one pilot's second stage."""
    g = o.smc.generations
    w = o.smc.weights / o.smc.weights.sum()
    marginals = [marginal(prior, o.smc.draws[prior.name].to_numpy(float), w)
                 for prior in o.stage.priors]
    strip = [{k: v for k, v in r.items() if k != "values"} for r in o.before]
    after = [{k: v for k, v in r.items() if k != "values"} for r in o.after]
    return {"scenario": o.stage.scenario, "rows": [t.target_id for t in o.stage.rows],
            "levers": [p.name for p in o.stage.priors], "min_epsilon": o.min_epsilon,
            "stopped": o.smc.stopped, "resumed_from": o.smc.resumed_from,
            "generations": g.to_dict(orient="records"), "simulations": o.simulations,
            "minutes": o.seconds / 60, "marginals": marginals, "check_before": strip,
            "check_after": after}


def _num(x: float | None) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    return f"{x:,.0f}" if abs(x) >= 1000 else f"{x:.4g}"


def markdown(stages: Sequence[dict[str, Any]], command: str, version: str) -> str:
    """The second stage's section of posterior.md."""
    lines = [SECTION, "",
             f"Command: `{command}` (posterior version `{version}`).", "",
             "Each pilot's own levers fitted by ABC-SMC to its reported figures (targets of use "
             "`pilot`), the baseline's parameters drawn from the first stage and not refitted "
             "(a cut two-stage posterior); at the pilot's real size. The levers' columns of "
             "the posterior file are equally weighted draws of this stage; the other pilots' "
             "levers keep their prior.", ""]
    for s in stages:
        last = s["generations"][-1]
        lines += [f"### {s['scenario']}", "",
                  f"- Stopped: {s['stopped']}; final ε {_num(last['epsilon'])} (target "
                  f"{_num(s['min_epsilon'])}), acceptance {last['acceptance']:.1%}, ESS "
                  f"{last['ess']:.0f} of {last['accepted']}; {s['simulations']} simulations, "
                  f"{s['minutes']:.1f} min.", "",
                  "| lever | prior | prior 90 % | posterior mean | posterior 90 % | shrinkage |",
                  "|---|---|---|---|---|---|"]
        for m in s["marginals"]:
            lines.append(f"| `{m['parameter']}` | {m['prior']} | {_num(m['prior_low'])} – "
                         f"{_num(m['prior_high'])} | {_num(m['mean'])} | {_num(m['low'])} – "
                         f"{_num(m['high'])} | {_num(m['shrinkage'])} |")
        lines += ["", "| reported figure | target ± tolerance | levers' prior: median [5 %, "
                  "95 %], within | fitted levers: median [5 %, 95 %], within |",
                  "|---|---|---|---|"]
        for b, a in zip(s["check_before"], s["check_after"], strict=True):
            lines.append(f"| {b['target_id']} (`{b['metric']}`) | {_num(b['target'])} ± "
                         f"{_num(b['tolerance'])} {b['unit']} | {_check(b)} | {_check(a)} |")
        lines.append("")
    return "\n".join(lines)


def _check(r: dict[str, Any]) -> str:
    if r.get("status") != "checked":
        return "not simulated"
    return (f"{_num(r['median'])} [{_num(r['low'])}, {_num(r['high'])}], {r['within']} of "
            f"{r['draws']}")


def with_section(text: str, section: str) -> str:
    """posterior.md with the second stage's section in place of any earlier one."""
    head = text.split(SECTION)[0].rstrip("\n")
    return head + "\n\n" + section.rstrip("\n") + "\n"
