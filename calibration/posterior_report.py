"""Writing an ABC posterior: the weighted draws with their metadata (``posterior.parquet``)
and a report (``posterior.md``): runtime, generations (ε, simulations, acceptance, ESS), each
parameter's marginal against its prior, and the posterior predictive check of every fit and
validate row."""

from __future__ import annotations

import math
from collections.abc import Sequence
from pathlib import Path
from typing import Any

import numpy as np

from calibration.abc import AbcOutcome, settings_record
from calibration.priors import Prior
from simulation.experiments.posterior import fitted_digest, write_posterior
from simulation.experiments.runner import code_version


def weighted_quantiles(x: np.ndarray, w: np.ndarray, q: Sequence[float]) -> np.ndarray:
    """Quantiles of a weighted sample (inverse of the weighted empirical CDF, midpoints)."""
    order = np.argsort(x)
    x, w = np.asarray(x, float)[order], np.asarray(w, float)[order]
    cdf = (np.cumsum(w) - 0.5 * w) / w.sum()
    return np.interp(q, cdf, x)


def marginal(prior: Prior, x: np.ndarray, w: np.ndarray) -> dict[str, Any]:
    """One parameter's prior and posterior mean, sd and 90 % interval (``x`` its draws, ``w``
    their weights, summing to 1), and the shrinkage 1 − var(posterior)/var(prior) (0: the data
    said nothing; 1: pinned down)."""
    dist = prior.frozen()
    mean = float(np.sum(w * x))
    sd = float(math.sqrt(max(np.sum(w * (x - mean) ** 2), 0.0)))
    low, high = weighted_quantiles(x, w, [0.05, 0.95])
    prior_sd = float(dist.std())
    return {"parameter": prior.name, "group": prior.group, "prior": prior.describe(),
            "prior_mean": float(dist.mean()), "prior_sd": prior_sd,
            "prior_low": float(dist.ppf(0.05)), "prior_high": float(dist.ppf(0.95)),
            "mean": mean, "sd": sd, "low": float(low), "high": float(high),
            "shrinkage": 1 - (sd / prior_sd) ** 2 if prior_sd > 0 else math.nan}


def marginals(outcome: AbcOutcome) -> list[dict[str, Any]]:
    """Per parameter, its ``marginal`` and whether the fit informed it."""
    weighted = outcome.weights / outcome.weights.sum()
    equal = np.full(len(weighted), 1 / len(weighted))
    rows = []
    for prior in outcome.priors:
        # a prior-only column is independent prior draws: its marginal is unweighted
        fitted = prior.name in outcome.fitted
        rows.append({**marginal(prior, outcome.draws[prior.name].to_numpy(float),
                                weighted if fitted else equal), "fitted": fitted})
    return rows


def save(outcome: AbcOutcome, folder: Path, command: str) -> tuple[Path, Path, str]:
    """Write posterior.parquet and posterior.md into ``folder``; returns both and the version."""
    generations = outcome.smc.generations
    meta = {
        "command": command, "seed": outcome.settings.seed,
        "settings": settings_record(outcome.settings), "method": "ABC-SMC (pyABC)",
        "fitted": outcome.fitted, "min_epsilon": outcome.min_epsilon,
        "stopped": outcome.smc.stopped, "resumed_from": outcome.smc.resumed_from,
        "generations": generations.to_dict(orient="records"),
        "marginals": marginals(outcome),
        "ppc": [{k: v for k, v in r.items() if k != "values"} for r in outcome.ppc],
        "fit_rows": [t.target_id for t in outcome.fit_rows],
        "timings": outcome.timings, "seconds_per_simulation": outcome.per_simulation,
        "code_version": code_version(), "fitted_digest": fitted_digest(),
        "priors": {p.name: {"prior": p.describe(), "group": p.group, "source": p.source}
                   for p in outcome.priors},
    }
    folder.mkdir(parents=True, exist_ok=True)
    parquet = folder / "posterior.parquet"
    version = write_posterior(parquet, [p.spec for p in outcome.priors], outcome.draws,
                              outcome.weights, meta)
    md = folder / "posterior.md"
    md.write_text(markdown(outcome, command, version), encoding="utf-8")
    return parquet, md, version


def _num(x: float) -> str:
    if x is None or not math.isfinite(x):
        return "–"
    if x == 0:
        return "0"
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:.4g}"


def markdown(outcome: AbcOutcome, command: str, version: str) -> str:
    s, g = outcome.settings, outcome.smc.generations
    last = g.iloc[-1]
    checked = [r for r in outcome.ppc if r["status"] == "checked"]
    fit = [r for r in checked if r["use"] == "fit"]
    val = [r for r in checked if r["use"] == "validate"]
    pilot = [r for r in checked if r["use"] == "pilot"]

    def coverage(rows: list[dict[str, Any]]) -> str:
        if not rows:
            return "none"
        inside = sum(r["low"] <= r["target"] <= r["high"] for r in rows)
        share = sum(r["within"] for r in rows) / sum(r["draws"] for r in rows)
        return (f"{inside} of {len(rows)} targets inside the 90 % predictive range; "
                f"{share:.0%} of draw × row runs within tolerance")

    lines = [
        "# Posterior of the uncertain parameters (ABC-SMC)", "",
        f"Command: `{command}`", "",
        f"- Version `{version}`; code {code_version()}; {s.describe()}.",
        f"- Method: ABC-SMC (pyABC) over {len(outcome.fit_rows)} fit rows; a particle is "
        "accepted when sqrt(Σ weight/tolerance² · (simulated − target)²) ≤ ε; ε is the median "
        f"of the previous generation's distances, down to {outcome.min_epsilon:.3g} "
        "(by default half the square root of the summed weights: the fit rows within half "
        "their tolerances in the root-mean-square, each tolerance read as the 95 % range of "
        "the model's allowed discrepancy). Simulations through the project's runner, each "
        "seeded from "
        f"(seed {s.seed}, generation, particle); the history `{outcome.db.name}` resumes an "
        "interrupted run.",
        f"- Stopped: {outcome.smc.stopped}. Final ε {_num(float(last['epsilon']))}, "
        f"acceptance {float(last['acceptance']):.1%}, ESS {float(last['ess']):.0f} of "
        f"{int(last['accepted'])}; {int(g['simulations'].sum())} simulations"
        + (f" ({outcome.smc.resumed_from} generations from an earlier run)."
           if outcome.smc.resumed_from else "."),
        "- Runtime: " + ", ".join(f"{k} {v / 60:.1f} min" for k, v in outcome.timings.items())
        + f"; {outcome.per_simulation:.2f} s of wall time per simulation in the search.",
        f"- Parameters fitted: {len(outcome.fitted)}; kept at their prior (no fit row "
        f"informs them): {len(outcome.priors) - len(outcome.fitted)}.",
        f"- Posterior predictive checks ({s.ppc_draws} draws, scale {s.report_scale:g}): fit "
        f"rows: {coverage(fit)}; validate rows: {coverage(val)}; pilots' reported figures "
        f"(with their levers' prior; the second stage below fits them): {coverage(pilot)}.", "",
        "## Generations", "",
        "| generation | ε | simulations | acceptance | ESS |", "|---|---|---|---|---|"]
    for _, r in g.iterrows():
        lines.append(f"| {int(r['generation'])} | {_num(float(r['epsilon']))} | "
                     f"{int(r['simulations'])} | {float(r['acceptance']):.1%} | "
                     f"{float(r['ess']):.0f} |")
    lines += ["", "## Marginals against the priors", "",
              "Shrinkage is 1 − posterior variance / prior variance: 0 when the fit rows say "
              "nothing about a parameter, near 1 when they pin it down.", "",
              "| parameter | prior | prior 90 % | posterior mean | posterior 90 % | shrinkage "
              "| |", "|---|---|---|---|---|---|---|"]
    for m in marginals(outcome):
        lines.append(f"| `{m['parameter']}` | {m['prior']} | {_num(m['prior_low'])} – "
                     f"{_num(m['prior_high'])} | {_num(m['mean'])} | {_num(m['low'])} – "
                     f"{_num(m['high'])} | {_num(m['shrinkage'])} | "
                     f"{'fitted' if m['fitted'] else 'prior only'} |")
    lines += ["", "## Posterior predictive checks", "",
              "| target | use | scenario | metric (scope) | target ± tolerance | median "
              "[5 %, 95 %] | draws within tolerance |", "|---|---|---|---|---|---|---|"]
    for r in outcome.ppc:
        sim = (f"{_num(r['median'])} [{_num(r['low'])}, {_num(r['high'])}]"
               if r["status"] == "checked" else "not yet simulated")
        within = f"{r['within']} of {r['draws']}" if r["status"] == "checked" else "–"
        lines.append(f"| {r['target_id']} | {r['use']} | {r['scenario']} | `{r['metric']}` "
                     f"({r['scope']}) | {_num(r['target'])} ± {_num(r['tolerance'])} "
                     f"{r['unit']} | {sim} | {within} |")
    lines += ["", "## Priors", "", "| parameter | paths | prior | applies to | source |",
              "|---|---|---|---|---|"]
    lines += [prior_line(p) for p in outcome.priors]
    return "\n".join(lines) + "\n"


def prior_line(p: Prior) -> str:
    how = "" if p.spec.transform == "value" else f" ({p.spec.transform})"
    return (f"| `{p.name}` | {', '.join(f'`{x}`' for x in p.spec.paths)}{how} | "
            f"{p.describe()} | {', '.join(p.spec.scenarios) or 'every scenario (fit)'} | "
            f"{p.source.replace('|', '/')} |")
