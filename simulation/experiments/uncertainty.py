"""Effects with parameter uncertainty: K posterior draws × R paired replications.

Each draw k is one parameter set from the posterior (``experiments/posterior.py``); under it
the scenario and its baseline run R replications with the same seeds (paired, as in
``compare``), and draw k's seeds differ from draw j's, so the simulation noise of different
draws is independent. For a metric, Δ_kr is replication r's paired difference under draw k
(a level, for ``run``). With m_k the mean over draw k's replications and m̄ their mean:

* **interval with parameter uncertainty**: m̄ ± t(K−1) · sd(m_k) · sqrt(1 + 1/K), the 95 %
  range of the effect for a parameter set drawn from the posterior, including the Monte Carlo
  error of R replications per draw;
* **variance split** of the draw means (one-way random effects):
  Var(m_k) = σ²_parameters + σ²_noise / R, with σ²_noise the within-draw variance of Δ_kr;
  σ²_parameters = max(0, Var(m_k) − σ²_noise / R). More replications shrink the noise share,
  more draws only estimate the parameter share better;
* **simulation noise only**: the interval the same K·R runs would give if the parameters were
  known (m̄ ± t · σ_noise / sqrt(K·R)), what ``compare`` prints without ``--posterior``;
* **P(effect > 0)**: the share of draws whose mean effect is positive (ties count half);
* **p_parameters**: the F-test of "the draws differ only by simulation noise"
  (R·Var(m_k) / σ²_noise against F(K−1, K(R−1))). With few draws and replications the split is
  itself uncertain; above 0.05 the parameters' share is not told apart from none.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd
from scipy import special  # not scipy.stats: importing it costs half a second

from simulation.engine.results import RunResult
from simulation.experiments.compare import plan_comparisons
from simulation.experiments.drivers import rank_drivers
from simulation.experiments.posterior import Draw, apply_draw
from simulation.experiments.runner import RunRequest, requests
from simulation.experiments.statistics import metric_value
from simulation.i18n.catalogues import N_
from simulation.i18n.words import Words
from simulation.params.schema import Scenario


def draw_entropy(seed: int, k: int) -> int:
    """The seed of the k-th draw's replications (independent of every other draw's)."""
    state = np.random.SeedSequence([seed, 0x1AB, k]).generate_state(2, np.uint32)
    return int(state[0]) << 32 | int(state[1])


def uncertainty(values: np.ndarray) -> dict[str, float]:
    """The statistics above for a K × R array of paired differences (or levels)."""
    x = np.asarray(values, float)
    k, r = x.shape
    means = x.mean(axis=1)
    grand = float(means.mean())
    nan = math.nan
    between = float(means.var(ddof=1)) if k > 1 else nan
    within = float(((x - means[:, None]) ** 2).sum() / (k * (r - 1))) if r > 1 else nan
    noise = within / r if r > 1 else nan
    parameters = max(0.0, between - noise) if r > 1 else nan
    spread = math.sqrt(between) if k > 1 else nan
    half = float(special.stdtrit(k - 1, 0.975)) * spread * math.sqrt(1 + 1 / k) if k > 1 else nan
    noise_half = float(special.stdtrit(k * (r - 1), 0.975) * math.sqrt(within / (k * r))) \
        if r > 1 else nan
    total = parameters + noise if r > 1 else nan
    share = (parameters / total if total > 0 else nan) if r > 1 else nan
    positive = float(np.mean(np.where(means > 0, 1.0, np.where(means == 0, 0.5, 0.0))))
    if r > 1 and k > 1 and within > 0:
        # scipy.stats.f.sf, the same bits
        test = float(special.fdtrc(k - 1, k * (r - 1), r * between / within))
    else:  # no noise at all: any spread between draws is the parameters'
        test = 0.0 if r > 1 and k > 1 and between > 0 else nan
    return {"mean": grand, "low": grand - half, "high": grand + half,
            "noise_low": grand - noise_half, "noise_high": grand + noise_half,
            "var_parameters": parameters, "var_noise": noise, "share_parameters": share,
            "p_positive": positive, "p_parameters": test, "draws": float(k),
            "replications": float(r),
            "draw_low": float(np.quantile(means, 0.025)),
            "draw_high": float(np.quantile(means, 0.975))}


def sentence(label: str, s: Mapping[str, float], w: Words | None = None) -> str:
    """Which dominates, in plain words; and whether the model is sure of the direction.
    Whole clauses from templates, so each language can word them (``w``: English)."""
    w = w or Words()
    k, positive = int(s["draws"]), round(s["p_positive"] * s["draws"])
    fields = {"label": label, "k": str(k), "positive": str(positive),
              "negative": str(k - positive), "p": f"{s['p_positive']:.2f}"}
    if s["mean"] == 0 and s["low"] == 0 and s["high"] == 0:
        return w.text(N_("{label}: no effect under any of the {k} parameter draws."), **fields)
    if s["low"] > 0 or s["high"] < 0:
        unsure_size = abs(s["high"] - s["low"]) > abs(s["mean"])
        if s["low"] > 0:
            head = w.text(N_("{label}: the model is sure of the direction (positive under "
                             "{positive} of {k} parameter draws) but not of the size")
                          if unsure_size else
                          N_("{label}: the model is sure of the direction (positive under "
                             "{positive} of {k} parameter draws)"), **fields)
        else:
            head = w.text(N_("{label}: the model is sure of the direction (negative under "
                             "{negative} of {k} parameter draws) but not of the size")
                          if unsure_size else
                          N_("{label}: the model is sure of the direction (negative under "
                             "{negative} of {k} parameter draws)"), **fields)
    elif s["p_positive"] >= 0.9:
        # the draws agree on a sign but the interval for a new draw (t · sd · sqrt(1 + 1/K))
        # still reaches zero: saying "not sure" next to "0 of 20" read as a contradiction
        head = w.text(N_("{label}: most likely positive (positive under {positive} of {k} "
                         "parameter draws, P(effect > 0) = {p}), but its 95 % interval reaches "
                         "zero"), **fields)
    elif s["p_positive"] <= 0.1:
        head = w.text(N_("{label}: most likely negative (negative under {negative} of {k} "
                         "parameter draws, P(effect > 0) = {p}), but its 95 % interval reaches "
                         "zero"), **fields)
    else:
        head = w.text(N_("{label}: the model is not sure of the direction (positive under "
                         "{positive} of {k} parameter draws, P(effect > 0) = {p})"), **fields)
    share = s["share_parameters"]
    if not math.isfinite(share):
        tail = w.gettext(N_("; one replication per draw cannot tell parameters from noise."))
    elif not s["p_parameters"] <= 0.05:
        tail = w.text(N_("; its spread across parameter draws is within what simulation noise "
                         "alone gives (F-test p = {p}): more replications per draw would tell "
                         "how much the parameters matter."), p=f"{s['p_parameters']:.2f}")
    elif share >= 0.5:
        tail = w.text(N_("; {share} of its uncertainty comes from the parameters, so more "
                         "replications would not narrow it."), share=f"{share:.0%}")
    else:
        tail = w.text(N_("; {share} of its uncertainty is simulation noise: more replications "
                         "would narrow it."), share=f"{1 - share:.0%}")
    return head + tail


@dataclass
class PosteriorPlan:
    """What to run under each of K draws: scenario keys, (baseline, scenario) pairs and the
    requests, draw-major (draw k, then each key's R replications)."""
    draws: list[Draw]
    replications: int
    keys: list[str]
    pairs: list[tuple[str, str]]
    scenarios: list[dict[str, Scenario]] = field(default_factory=list)  # per draw, by key
    batch: list[RunRequest] = field(default_factory=list)

    def runs(self, results: Sequence[RunResult], k: int, key: str) -> list[RunResult]:
        """Draw k's replications of one key, from ``results`` in the order of ``batch``."""
        start = (k * len(self.keys) + self.keys.index(key)) * self.replications
        return list(results[start:start + self.replications])


def plan(draws: Sequence[Draw], groups: Mapping[str, Sequence[str]], replications: int,
         seed: int, weeks: int | None = None, batch: str | None = None,
         single: str | None = None,
         overrides: Mapping[str, Mapping[str, object]] | None = None) -> PosteriorPlan:
    """Requests for comparisons (``groups``: baseline -> scenarios) or, with ``single``, for
    one scenario's own levels, under every draw; scenario and baseline share each draw's
    parameters and seeds. ``overrides`` (by scenario name, nested) are applied on top of each
    draw, as ``apply_draw`` applies them (the dashboard's population, weeks and levers)."""
    out = PosteriorPlan(list(draws), replications, [], [])
    extra = overrides or {}
    for k, draw in enumerate(draws):
        if single is not None:
            to_run, pairs = {single: apply_draw(draw, single, overrides=extra.get(single))}, []
        else:
            loaded = {arg: apply_draw(draw, arg, overrides=extra.get(arg))
                      for base, names in groups.items() for arg in (base, *names)}
            to_run, pairs = plan_comparisons(groups, loaded)
        if k == 0:
            out.keys, out.pairs = list(to_run), pairs
        out.scenarios.append(to_run)
        tags = {**draw.tags(), "posterior_k": k}
        for key in out.keys:
            out.batch += requests(to_run[key], replications, draw_entropy(seed, k), weeks,
                                  batch=batch, tags=tags)
    return out


def differences(p: PosteriorPlan, results: Sequence[RunResult], base: str, name: str,
                metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """Metric -> K × R paired differences (scenario − baseline) for one pair of keys."""
    out: dict[str, np.ndarray] = {}
    for metric in metrics:
        rows = []
        for k in range(len(p.draws)):
            s, b = p.runs(results, k, name), p.runs(results, k, base)
            rows.append([metric_value(x.summary, metric) - metric_value(y.summary, metric)
                         for x, y in zip(s, b, strict=True)])
        values = np.array(rows, float)
        if np.isfinite(values).all():
            out[metric] = values
    return out


def levels(p: PosteriorPlan, results: Sequence[RunResult], key: str,
           metrics: Sequence[str]) -> dict[str, np.ndarray]:
    """Metric -> K × R levels of one key's runs."""
    out = {}
    for metric in metrics:
        values = np.array([[metric_value(x.summary, metric) for x in p.runs(results, k, key)]
                           for k in range(len(p.draws))], float)
        if np.isfinite(values).all():
            out[metric] = values
    return out


# provider incentives under a contract: levels of the scenario's runs (the baseline has no
# providers) and the deadweight share of paid outcomes against the same-seed baseline run
PROVIDER_LEVELS = ("provider_profit_eur", "provider_exits", "provider_creaming_gap",
                   "provider_parked_share")


def provider_levels(p: PosteriorPlan, results: Sequence[RunResult], base: str, name: str
                    ) -> dict[str, np.ndarray]:
    """Metric -> K × R values of the provider incentives of a scenario with a procurement
    (nothing for one without, or where a value is missing)."""
    if p.scenarios[0][name].interventions.procurement is None:
        return {}
    from simulation.experiments.counterfactuals import deadweight

    out = levels(p, results, name, PROVIDER_LEVELS)
    shares = []
    for k in range(len(p.draws)):
        row = []
        for run, baseline in zip(p.runs(results, k, name), p.runs(results, k, base),
                                 strict=True):
            if run.provider_clients is None or baseline.person_events is None:
                return out
            row.append(deadweight(run.provider_clients, baseline.person_events)
                       ["deadweight_share"])
        shares.append(row)
    values = np.array(shares, float)
    if values.size and np.isfinite(values).all():
        out["provider_deadweight_share"] = values
    return out


@dataclass
class PosteriorEffects:
    """One scenario against its baseline (or, without a baseline, its own levels) under K
    posterior draws: each metric's statistics and, for the headline ones, their drivers."""
    scenario: str
    baseline: str | None
    version: str
    draws: int
    replications: int
    effects: dict[str, dict[str, float]]
    drivers: dict[str, pd.DataFrame] = field(default_factory=dict)
    providers: dict[str, dict[str, float]] = field(default_factory=dict)  # levels, see above


def draw_values(p: PosteriorPlan) -> pd.DataFrame:
    """The K drawn parameter sets, one row per draw."""
    return pd.DataFrame([dict(d.values) for d in p.draws])


def posterior_effects(p: PosteriorPlan, results: Sequence[RunResult], base: str | None,
                      name: str, metrics: Sequence[str], explained: Sequence[str]
                      ) -> PosteriorEffects:
    """Statistics of every metric (paired differences against ``base``, or levels without
    one) and the drivers of the ``explained`` ones."""
    values = differences(p, results, base, name, metrics) if base is not None else \
        levels(p, results, name, metrics)
    # only parameters that act on these runs: another pilot's levers cannot drive this answer
    acting = [spec.name for spec in p.draws[0].specs
              if spec.fit_wide or any(spec.applies_to(p.scenarios[0][key], key)
                                      for key in (name, base) if key is not None)]
    parameters = draw_values(p)[acting]
    drivers = {m: rank_drivers(parameters, values[m].mean(axis=1)) for m in explained
               if m in values}
    scenario = p.scenarios[0][name].name
    baseline = p.scenarios[0][base].name if base is not None else None
    providers = provider_levels(p, results, base, name) if base is not None else {}
    return PosteriorEffects(scenario, baseline, p.draws[0].version, len(p.draws),
                            p.replications, {m: uncertainty(v) for m, v in values.items()},
                            drivers, {m: uncertainty(v) for m, v in providers.items()})
