"""Simulation-based calibration of the ABC posterior on constructed cases.

Draw true parameters θ* from the prior, simulate "observed" moments from them, run the same
ABC-SMC as ``pilotsim calibrate --method abc`` (``calibration/abc_smc.py``: the batch sampler,
the tolerance-weighted distance, the stopping rules) and ask whether the posterior's central
50 % and 90 % intervals contain θ*. Over many datasets they should, about 50 % and 90 % of the
time; markedly less means the posterior is too narrow (overconfident), markedly more that it
is too wide. The rank check of Talts et al. (2018) looks at the whole posterior, not two
intervals: the posterior's CDF at θ* (its weighted rank) is uniform on 0–1 when the posterior is
calibrated; a χ² test over ten bins gives the p-value of "uniform" (a U-shape: too narrow, a
hump: too wide, a slope: biased).

ABC's posterior given "distance ≤ ε" is the exact posterior of a model whose observations carry
an extra uniform error of radius ε; for data without that error it is wider than the exact
posterior (conservative: it covers more often than nominal). With ``noisy`` the observed
moments get that error (noisy ABC, Wilkinson 2013) and the generations follow a fixed ε
schedule, so the check is exact: a sampler that weights particles correctly covers at the
nominal rate, and any other rate is a fault of the machinery.

Two cases: ``toy`` (a tiny job-finding model: weekly exits to work and to services of a small
cohort, binomial noise; seconds per dataset) and ``small-region`` (pilotsim itself at 300 job
seekers and 26 weeks, two parameters against five moments; about a minute per dataset on one
core). ``python -m calibration.sbc --case toy --datasets 100 --noisy`` prints the coverage.
"""

from __future__ import annotations

import argparse
import math
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from scipy import stats

from calibration.abc_smc import SmcSettings, run_smc
from calibration.posterior_report import weighted_quantiles
from calibration.priors import Prior, sample_prior
from simulation.experiments.posterior import ParameterSpec

LEVELS = (0.5, 0.9)
# ε per generation for noisy ABC, in units of sqrt(number of moments) tolerances
SCHEDULE = (math.inf, 4.0, 2.0, 1.4, 1.0)


@dataclass(frozen=True)
class Case:
    """A constructed calibration problem: priors, moments' tolerances and a simulator."""
    name: str
    priors: tuple[Prior, ...]
    tolerances: dict[str, float]
    # simulate(parameter sets, seeds) -> moments of each
    simulate: Callable[[list[dict[str, float]], list[int]], list[dict[str, float]]]


def toy_case(people: int = 400, weeks: int = 26) -> Case:
    """Weekly exit to work (hazard h) and to services (r) of a cohort; moments are the two
    pooled weekly rates, tolerances their binomial standard deviation at the prior's middle."""
    priors = (Prior(ParameterSpec("h", ("toy.h",)), "uniform", 0.01, 0.06),
              Prior(ParameterSpec("r", ("toy.r",)), "uniform", 0.005, 0.04))

    def simulate(thetas: list[dict[str, float]], seeds: list[int]) -> list[dict[str, float]]:
        out = []
        for theta, seed in zip(thetas, seeds, strict=True):
            rng = np.random.default_rng(seed)
            at_risk, to_work, to_services = people, 0, 0
            exposure = 0
            for _ in range(weeks):
                exposure += at_risk
                w = rng.binomial(at_risk, theta["h"])
                s = rng.binomial(at_risk - w, theta["r"])
                to_work, to_services, at_risk = to_work + w, to_services + s, at_risk - w - s
            out.append({"work": to_work / exposure, "services": to_services / exposure})
        return out

    exposure = people * weeks * 0.6  # roughly, at the prior's middle
    return Case("toy", priors, {"work": math.sqrt(0.035 * 0.965 / exposure),
                                "services": math.sqrt(0.02 * 0.98 / exposure)}, simulate)


def small_region_case(job_seekers: int = 300, weeks: int = 26, workers: int = 1) -> Case:
    """pilotsim's baseline at a small size: the weekly inflow and the follow-on referral
    against activation, the stock's trend and the all-spells exit rates."""
    from calibration.moments import parse_metric, simulated_value
    from simulation.experiments.posterior import Draw, apply_draw
    from simulation.experiments.runner import execute, requests

    priors = (Prior(ParameterSpec("inflow", ("flows.inflow_per_week",)), "uniform",
                    0.006, 0.014),
              Prior(ParameterSpec("follow_on", ("public_office.follow_on_referral",)),
                    "uniform", 0.5, 0.95))
    metrics = {"activation": "activation_rate_mean", "trend": "unemployed_end_ratio",
               "work": "monthly_to_work[all]", "services": "monthly_to_services[all]",
               "ltu": "long_term_unemployed/unemployed@end"}
    parsed = {k: parse_metric(v) for k, v in metrics.items()}

    def simulate(thetas: list[dict[str, float]], seeds: list[int]) -> list[dict[str, float]]:
        batch = []
        for theta, seed in zip(thetas, seeds, strict=True):
            scenario = apply_draw(Draw(-1, theta, tuple(p.spec for p in priors)), "baseline",
                                  overrides={"region": {"job_seekers": job_seekers}})
            batch += requests(scenario, 1, seed, weeks=weeks)
        results = execute(batch, workers=workers)
        return [{k: simulated_value(m, "region", [r]) for k, m in parsed.items()}
                for r in results]

    # the moments' simulation noise at this size: standard deviations over 20 seeds at
    # inflow 0.01 and follow-on 0.725 (the priors' middle)
    tolerances = {"activation": 0.017, "trend": 0.064, "work": 0.0076, "services": 0.0064,
                  "ltu": 0.033}
    return Case("small-region", priors, tolerances, simulate)


def coverage(case: Case, datasets: int, settings: SmcSettings, folder: Path,
             noisy: bool = False, log: Callable[[str], None] = print) -> dict[str, float]:
    """Share of datasets whose central 50 % / 90 % posterior intervals contain θ*.

    ``noisy`` needs ``settings.schedule`` (its last ε is the observations' error radius).
    """
    rng = np.random.default_rng([settings.seed, 0x5BC])
    truths = sample_prior(case.priors, datasets, rng)
    weights = {k: 1 / t ** 2 for k, t in case.tolerances.items()}
    hits: dict[float, list[bool]] = {level: [] for level in LEVELS}
    ranks: list[float] = []
    began = time.perf_counter()
    for i in range(datasets):
        truth = {name: float(values[i]) for name, values in truths.items()}
        observed = case.simulate([truth], [seed_of(settings.seed, -1, i)])[0]
        if noisy:
            observed = with_error(observed, weights, settings.schedule[-1], rng)

        def simulate(t: int, first: int, thetas: list[dict[str, float]], i: int = i
                     ) -> list[dict[str, float]]:
            return case.simulate(thetas, [seed_of(settings.seed + i, t, first + j)
                                          for j in range(len(thetas))])

        result = run_smc(case.priors, observed, weights, simulate, folder / f"sbc-{i}.db",
                         SmcSettings(**{**settings.__dict__, "seed": settings.seed + i}),
                         log=lambda _: None)
        w = result.weights / result.weights.sum()
        for prior in case.priors:
            x = result.draws[prior.name].to_numpy(float)
            ranks.append(float(w[x < truth[prior.name]].sum()))
            for level in LEVELS:
                low, high = weighted_quantiles(x, w, [(1 - level) / 2, (1 + level) / 2])
                hits[level].append(bool(low <= truth[prior.name] <= high))
        # the running counts, so that a long check stopped early still says something
        covered = ", ".join(f"{int(level * 100)} %: {sum(v)}/{len(v)}" for level, v in hits.items())
        log(f"  dataset {i + 1}/{datasets}: {time.perf_counter() - began:.0f} s; covered "
            f"{covered}")
    out = {f"coverage_{int(level * 100)}": float(np.mean(v)) for level, v in hits.items()}
    out["intervals"] = float(len(hits[LEVELS[0]]))
    out["rank_p"] = rank_uniformity(np.asarray(ranks))
    return out


def rank_uniformity(ranks: np.ndarray, bins: int = 10) -> float:
    """p-value of the χ² test that the weighted ranks (posterior CDFs at θ*) are uniform;
    fewer bins when there are few ranks, so that each bin expects at least five."""
    bins = max(2, min(bins, len(ranks) // 5))
    counts, _ = np.histogram(np.clip(ranks, 0.0, 1.0), bins=bins, range=(0.0, 1.0))
    return float(stats.chisquare(counts).pvalue)


def seed_of(seed: int, stream: int, index: int) -> int:
    return int(np.random.SeedSequence([seed, stream + 10, index]).generate_state(1)[0])


def with_error(observed: dict[str, float], weights: dict[str, float], radius: float,
               rng: np.random.Generator) -> dict[str, float]:
    """Observed moments plus an error uniform in {u : sqrt(Σ w u²) ≤ radius}."""
    keys = sorted(observed)
    direction = rng.normal(size=len(keys))
    direction /= np.linalg.norm(direction)
    z = direction * radius * rng.uniform() ** (1 / len(keys))
    return {k: observed[k] + z[j] / math.sqrt(weights[k]) for j, k in enumerate(keys)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--case", choices=("toy", "small-region"), default="toy")
    parser.add_argument("--datasets", type=int, default=100)
    parser.add_argument("--population", type=int, default=100)
    parser.add_argument("--generations", type=int, default=5)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--workers", type=int, default=1)
    parser.add_argument("--noisy", action="store_true",
                        help="noisy ABC with a fixed ε schedule (an exact check)")
    args = parser.parse_args()
    case = toy_case() if args.case == "toy" else small_region_case(workers=args.workers)
    dims = len(case.tolerances)
    schedule = SCHEDULE if args.noisy else ()
    settings = SmcSettings(population=args.population, generations=args.generations,
                           max_simulations=10 ** 9, min_epsilon=math.sqrt(dims),
                           min_acceptance=0.0, seed=args.seed, batch=2 * args.workers,
                           schedule=tuple(e * math.sqrt(dims) for e in schedule))
    began = time.perf_counter()
    with tempfile.TemporaryDirectory() as folder:
        result = coverage(case, args.datasets, settings, Path(folder), noisy=args.noisy)
    n = result["intervals"]
    for level in LEVELS:
        rate = result[f"coverage_{int(level * 100)}"]
        se = math.sqrt(level * (1 - level) / n)
        print(f"{args.case}{' (noisy ABC)' if args.noisy else ''}: {int(level * 100)} % "
              f"intervals cover the truth in {rate:.1%} of {int(n)} (nominal {level:.0%} "
              f"± {1.96 * se:.1%} by chance alone)")
    print(f"{args.case}: ranks of the truth uniform? χ² p = {result['rank_p']:.2f} "
          f"({int(n)} ranks; below 0.05 the posterior is miscalibrated)")
    print(f"{time.perf_counter() - began:.0f} s")


if __name__ == "__main__":
    main()
