"""Pilot-evaluation design: the power of an evaluation and its minimum detectable effect.

An evaluator who runs a pilot of ``n`` clients estimates its effect on an individual outcome
(lasting employment by default) with one of two designs; this module simulates that
evaluation many times and counts how often it finds the effect:

- **rct** — individuals of the target group are randomised into pilot and control. The
  scenario and its baseline are run with the same seeds, so person *k* of the initial target
  group is the same person in both runs (common random numbers). Each resample assigns ``n``
  people to the pilot and ``n`` others to control; pilot members' outcomes come from the
  scenario run, controls' from the baseline run; a two-sample t-test of the difference in
  means decides.
- **comparison-region** — the pilot region is compared with a similar region. The two regions
  are independent replications (different seed children); each has ``n`` target-group
  members; the estimate is the difference of the two regional rates. The cohort starts with
  no one in lasting work, so this equals the difference-in-differences of the rate. The test
  uses the between-region variance estimated from the replications (plus an optional assumed
  extra spread of real regions that the model does not have).

Power is the share of resamples in which the test rejects "no effect" at level ``alpha``; the
minimum detectable effect (MDE) at 80 % power is (z₁₋α/₂ + z₀.₈) times the standard error of
the estimate across resamples. The size needed to detect the effect the model predicts
follows from the variance components.

The statistics work on plain outcome arrays, so they can be checked on synthetic data.

The work grows with the sizes times the resamples (people drawn per simulated evaluation),
so it is bounded before anything runs: each size at most :data:`MAX_SIZE`, at most
:data:`MAX_SIZES` sizes, and at most :data:`MAX_DRAWS` people drawn in all (about 20 s).
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import Literal

import numpy as np
import pandas as pd
from scipy import special  # not scipy.stats: importing it costs half a second

from simulation.engine.results import RunResult
from simulation.experiments.statistics import mean_ci

Design = Literal["rct", "comparison-region"]
DESIGNS: tuple[str, ...] = ("rct", "comparison-region")
MAX_SIZE = 1_000_000  # clients per arm; far beyond any regional pilot (10,000-20,000)
MAX_SIZES = 50
MAX_DRAWS = 500_000_000  # sum of sizes × resamples

# Individual outcomes of a member of the initial target group (RunResult.cohort columns).
OUTCOMES: dict[str, tuple[str, Callable[[pd.DataFrame], np.ndarray]]] = {
    "sustained_3m": ("lasting employment (one job lasting at least 3 months)",
                     lambda c: c["sustained"].to_numpy() >= 1),
    "sustained_6m": ("one job lasting at least 6 months", lambda c: c["sustained"].to_numpy() >= 2),
    "sustained_12m": ("one job lasting at least 12 months",
                      lambda c: c["sustained"].to_numpy() >= 3),
    "employed_end": ("employed at the end of the run", lambda c: c["employed_end"].to_numpy()),
    "placed": ("found a job during the run", lambda c: c["placed"].to_numpy()),
    "served": ("started a service during the run", lambda c: c["served"].to_numpy()),
}


class PowerError(ValueError):
    """A power analysis that cannot be done with the given runs or options."""


@dataclass
class PowerResult:
    design: str
    outcome: str
    alpha: float
    target_power: float
    resamples: int
    replications: int
    cohort_size: float
    baseline_rate: float
    scenario_rate: float
    effect: dict[str, float]  # predicted effect (scenario − baseline) with a 95 % interval
    table: pd.DataFrame  # size, power, se, mde, sampling
    required_size: float  # pilot size at which the predicted effect has target power
    notes: list[str] = field(default_factory=list)

    def to_dict(self) -> dict:
        return {"design": self.design, "outcome": self.outcome, "alpha": self.alpha,
                "target_power": self.target_power, "resamples": self.resamples,
                "replications": self.replications, "cohort_size": self.cohort_size,
                "baseline_rate": self.baseline_rate, "scenario_rate": self.scenario_rate,
                "effect": self.effect, "required_size": self.required_size,
                "notes": self.notes, "sizes": self.table.to_dict(orient="records")}


def parse_sizes(text: str) -> list[int]:
    """``"500,2000,20000"`` → sorted distinct sizes, each 2..:data:`MAX_SIZE`."""
    parts = [part.strip().replace("_", "") for part in text.split(",") if part.strip()]
    if len(parts) > MAX_SIZES:
        raise PowerError(f"--sizes: at most {MAX_SIZES} sizes, not {len(parts)}")
    if not all(part.lstrip("+-").isdigit() for part in parts):
        raise PowerError(f"--sizes: write whole numbers separated by commas, not {text[:80]!r}")
    # a size of more digits than any allowed one is too large: not worth converting
    sizes = sorted({MAX_SIZE + 1 if len(part.lstrip("+-0")) > 12 else int(part)
                    for part in parts})
    if sizes and sizes[-1] > MAX_SIZE:
        raise PowerError(f"--sizes: each pilot size is at most {MAX_SIZE:,}")
    if not sizes or sizes[0] < 2:
        raise PowerError("--sizes: give at least one pilot size of 2 or more")
    return sizes


def check_work(sizes: Sequence[int], resamples: int) -> None:
    """Refuse an evaluation that would draw more than :data:`MAX_DRAWS` people."""
    draws = sum(sizes) * resamples
    if draws > MAX_DRAWS:
        raise PowerError(f"--sizes × --resamples would draw {draws:,} people, more than "
                         f"{MAX_DRAWS:,}; use fewer or smaller sizes or fewer resamples")


def outcome_arrays(runs: Sequence[RunResult], outcome: str) -> list[np.ndarray]:
    """The outcome of each initial target-group member, one float array per replication."""
    if outcome not in OUTCOMES:
        raise PowerError(f"--outcome: one of {', '.join(OUTCOMES)}, not {outcome!r}")
    arrays = []
    for run in runs:
        if run.cohort is None:
            raise PowerError(f"{run.scenario} replication {run.replication}: no per-person "
                             "outcomes (runs read back from the store have none; run again)")
        arrays.append(OUTCOMES[outcome][1](run.cohort).astype(float))
    return arrays


def check_same_people(scenario_runs: Sequence[RunResult],
                      baseline_runs: Sequence[RunResult]) -> None:
    """An RCT pairs person k of both runs: the initial target groups must be the same people."""
    for s, b in zip(scenario_runs, baseline_runs, strict=True):
        if s.cohort is None or b.cohort is None:
            raise PowerError("per-person outcomes are missing; run again without the store")
        if not np.array_equal(s.cohort["person"].to_numpy(), b.cohort["person"].to_numpy()):
            raise PowerError(f"{s.scenario} and {b.scenario} start with different target "
                             "groups; an RCT within the target group needs the same people")


def _critical(alpha: float, df: np.ndarray | float | None = None) -> np.ndarray | float:
    if df is None:
        return float(special.ndtri(1 - alpha / 2))  # scipy.stats.norm.ppf, the same bits
    return special.stdtrit(df, 1 - alpha / 2)  # scipy.stats.t.ppf


def mde_factor(alpha: float, power: float) -> float:
    """(z₁₋α/₂ + z_power): the MDE in standard errors."""
    return float(special.ndtri(1 - alpha / 2) + special.ndtri(power))


# --- rct --------------------------------------------------------------------------------------

def rct_power(treated: Sequence[np.ndarray], control: Sequence[np.ndarray],
              sizes: Sequence[int], resamples: int, alpha: float,
              rng: np.random.Generator, target_power: float = 0.8) -> pd.DataFrame:
    """Power of an individually randomised pilot of each size (``n`` pilot, ``n`` control).

    ``treated[k]`` and ``control[k]`` are the outcomes of the same people (replication ``k``
    of the scenario and of the baseline with the same seed). Resamples cycle through the
    replications; people are drawn without replacement while ``2n`` fits the cohort, else
    with replacement (a larger region of people like these).
    """
    if len(treated) != len(control) or not treated:
        raise PowerError("need as many scenario as baseline replications, at least one")
    for y1, y0 in zip(treated, control, strict=True):
        if len(y1) != len(y0) or len(y1) < 4:
            raise PowerError("each replication needs the same people (at least 4) in both runs")
    factor = mde_factor(alpha, target_power)
    rows = []
    for n in sizes:
        estimates = np.empty(resamples)
        reject = np.empty(resamples, dtype=bool)
        replaced = False
        for b in range(resamples):
            k = b % len(treated)
            y1, y0 = treated[k], control[k]
            if 2 * n <= len(y1):
                pick = rng.choice(len(y1), size=2 * n, replace=False)
            else:
                pick = rng.integers(0, len(y1), size=2 * n)
                replaced = True
            a, c = y1[pick[:n]], y0[pick[n:]]
            diff = a.mean() - c.mean()
            se = math.sqrt(a.var(ddof=1) / n + c.var(ddof=1) / n)
            estimates[b] = diff
            reject[b] = abs(diff) > _critical(alpha, 2 * n - 2) * se if se > 0 else diff != 0
        se_emp = float(estimates.std(ddof=1))
        rows.append({"size": n, "power": float(reject.mean()), "se": se_emp,
                     "mde": factor * se_emp, "mean_estimate": float(estimates.mean()),
                     "sampling": "with replacement" if replaced else "without replacement"})
    return pd.DataFrame(rows)


def rct_required_size(treated: Sequence[np.ndarray], control: Sequence[np.ndarray],
                      effect: float, alpha: float, target_power: float = 0.8) -> float:
    """Pilot size (per arm) at which ``effect`` is detected with ``target_power``."""
    if effect == 0 or not math.isfinite(effect):
        return math.inf
    variance = float(np.mean([y.var(ddof=1) for y in treated])
                     + np.mean([y.var(ddof=1) for y in control]))
    return math.ceil(mde_factor(alpha, target_power) ** 2 * variance / effect ** 2)


# --- comparison region ------------------------------------------------------------------------

@dataclass
class RegionComponents:
    """Regional rates of the outcome and how much regions differ beyond sampling."""
    means: np.ndarray  # cohort rate per replication
    sizes: np.ndarray  # cohort size per replication
    individual_var: np.ndarray  # individual variance per replication
    between_var: float  # variance of a region's rate beyond individual sampling

    @classmethod
    def of(cls, arrays: Sequence[np.ndarray], pooled_with: Sequence[np.ndarray] = ()
           ) -> RegionComponents:
        means = np.array([y.mean() for y in arrays])
        sizes = np.array([len(y) for y in arrays], dtype=float)
        ivar = np.array([y.var(ddof=1) for y in arrays])
        return cls(means, sizes, ivar, between_variance([arrays, pooled_with]))


def between_variance(groups: Sequence[Sequence[np.ndarray]]) -> float:
    """Pooled variance of the cohort rate across replications, less its sampling part."""
    squares, df, sampling = 0.0, 0, []
    for arrays in groups:
        if len(arrays) < 2:
            continue
        means = np.array([y.mean() for y in arrays])
        squares += float(((means - means.mean()) ** 2).sum())
        df += len(arrays) - 1
        sampling += [y.var(ddof=1) / len(y) for y in arrays]
    if df == 0:
        return 0.0
    return max(0.0, squares / df - float(np.mean(sampling)))


def _regional_rates(arrays: Sequence[np.ndarray], parts: RegionComponents, picks: np.ndarray,
                    n: int, rng: np.random.Generator) -> tuple[np.ndarray, bool]:
    """The rate among ``n`` target-group members of the picked replications' regions."""
    rates = np.empty(len(picks))
    scaled = False
    centre = parts.means.mean()
    for r, k in enumerate(picks):
        y, size = arrays[k], int(parts.sizes[k])
        if n <= size:  # n people of this region: exact draw without replacement
            hits = int(y.sum())
            rates[r] = rng.hypergeometric(hits, size - hits, n) / n
        else:  # a bigger region: less sampling noise than the model's cohort has
            want = parts.between_var + parts.individual_var[k] / n
            have = parts.between_var + parts.individual_var[k] / size
            rates[r] = centre + (parts.means[k] - centre) * math.sqrt(want / have)
            scaled = True
    return rates, scaled


def comparison_region_power(pilot: Sequence[np.ndarray], comparison: Sequence[np.ndarray],
                            sizes: Sequence[int], resamples: int, alpha: float,
                            rng: np.random.Generator, target_power: float = 0.8,
                            extra_region_sd: float = 0.0) -> pd.DataFrame:
    """Power of comparing a pilot region with a similar region, by target-group size.

    ``pilot`` are the scenario's replications, ``comparison`` the baseline's; a resample
    pairs scenario replication ``i`` with baseline replication ``j ≠ i`` (independent seed
    children: different regions). ``extra_region_sd`` adds an assumed spread of real regions'
    rates that the model's replications do not have.
    """
    if len(pilot) < 2 or len(comparison) < 2:
        raise PowerError("comparison-region needs at least 2 replications of each scenario")
    p_parts = RegionComponents.of(pilot, comparison)
    c_parts = RegionComponents.of(comparison, pilot)
    between = p_parts.between_var  # pooled over both: what the evaluator assumes
    factor = mde_factor(alpha, target_power)
    z = _critical(alpha)
    rows = []
    for n in sizes:
        i = rng.integers(0, len(pilot), size=resamples)
        j = (i + rng.integers(1, len(comparison), size=resamples)) % len(comparison) \
            if len(pilot) == len(comparison) else rng.integers(0, len(comparison), resamples)
        a, scaled_a = _regional_rates(pilot, p_parts, i, n, rng)
        c, scaled_c = _regional_rates(comparison, c_parts, j, n, rng)
        if extra_region_sd > 0:
            a = a + rng.normal(0, extra_region_sd, resamples)
            c = c + rng.normal(0, extra_region_sd, resamples)
        diff = a - c
        se = np.sqrt(2 * (between + extra_region_sd ** 2)
                     + (np.clip(a, 0, 1) * (1 - np.clip(a, 0, 1))
                        + np.clip(c, 0, 1) * (1 - np.clip(c, 0, 1))) / n)
        reject = np.where(se > 0, np.abs(diff) > z * se, diff != 0)
        se_emp = float(diff.std(ddof=1))
        rows.append({"size": n, "power": float(reject.mean()), "se": se_emp,
                     "mde": factor * se_emp, "mean_estimate": float(diff.mean()),
                     "sampling": "rescaled beyond the model's cohort"
                     if scaled_a or scaled_c else "without replacement"})
    return pd.DataFrame(rows)


def comparison_required_size(pilot: Sequence[np.ndarray], comparison: Sequence[np.ndarray],
                             effect: float, alpha: float, target_power: float = 0.8,
                             extra_region_sd: float = 0.0) -> float:
    """Target-group size per region at which ``effect`` has ``target_power``; inf if never."""
    if effect == 0 or not math.isfinite(effect):
        return math.inf
    between = between_variance([pilot, comparison]) + extra_region_sd ** 2
    variance = float(np.mean([y.var(ddof=1) for y in pilot])
                     + np.mean([y.var(ddof=1) for y in comparison]))
    room = (effect / mde_factor(alpha, target_power)) ** 2 - 2 * between
    return math.ceil(variance / room) if room > 0 else math.inf


# --- from runs --------------------------------------------------------------------------------

def evaluate(scenario_runs: Sequence[RunResult], baseline_runs: Sequence[RunResult],
             design: str, sizes: Sequence[int], outcome: str = "sustained_3m",
             resamples: int = 400, alpha: float = 0.05, seed: int = 0,
             target_power: float = 0.8, extra_region_sd: float = 0.0) -> PowerResult:
    """Power and MDE by pilot size for paired runs of a scenario and its baseline."""
    if design not in DESIGNS:
        raise PowerError(f"--design is rct or comparison-region, not {design!r}")
    if not 0 < alpha < 0.5:
        raise PowerError("--alpha must be between 0 and 0.5")
    check_same_people(scenario_runs, baseline_runs)
    treated = outcome_arrays(scenario_runs, outcome)
    control = outcome_arrays(baseline_runs, outcome)
    effect = mean_ci(y1.mean() - y0.mean() for y1, y0 in zip(treated, control, strict=True))
    rng = np.random.default_rng(seed)
    notes = []
    if design == "rct":
        table = rct_power(treated, control, sizes, resamples, alpha, rng, target_power)
        required = rct_required_size(treated, control, effect["mean"], alpha, target_power)
        if (table["sampling"] == "with replacement").any():
            notes.append("sizes where pilot and control together exceed the model's target "
                         "group draw people with replacement (a larger region of people like "
                         "these)")
        notes.append("the model gives each person's outcome with everybody in the pilot; "
                      "randomising only some may change effects through the labour market "
                      "(displacement), which this design does not see")
    else:
        table = comparison_region_power(treated, control, sizes, resamples, alpha, rng,
                                        target_power, extra_region_sd)
        required = comparison_required_size(treated, control, effect["mean"], alpha,
                                            target_power, extra_region_sd)
        between = between_variance([treated, control])
        notes.append(f"between-region standard deviation of the rate beyond sampling, from "
                     f"the replications: {100 * math.sqrt(between):.2f} points"
                     + (f", plus an assumed {100 * extra_region_sd:.2f} points for real "
                        f"regions" if extra_region_sd else
                        "; real regions differ more than replications of one model region, "
                        "so this is a lower bound (see --region-sd)"))
    return PowerResult(
        design=design, outcome=outcome, alpha=alpha, target_power=target_power,
        resamples=resamples, replications=len(treated),
        cohort_size=float(np.mean([len(y) for y in treated])),
        baseline_rate=float(np.mean([y.mean() for y in control])),
        scenario_rate=float(np.mean([y.mean() for y in treated])),
        effect=effect, table=table, required_size=float(required), notes=notes)


def power_figure(results: Sequence[PowerResult], title: str = ""):  # noqa: ANN201 - go.Figure
    """Power and MDE against pilot size, one line per design."""
    import plotly.graph_objects as go
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=1, cols=2, subplot_titles=(
        "Power to detect the predicted effect", "Minimum detectable effect (80 % power)"))
    colours = {"rct": "#1f77b4", "comparison-region": "#d62728"}
    for r in results:
        colour = colours.get(r.design, "#444")
        fig.add_trace(go.Scatter(x=r.table["size"], y=r.table["power"], mode="lines+markers",
                                 name=f"{r.design}: power", line={"color": colour}),
                      row=1, col=1)
        fig.add_trace(go.Scatter(x=r.table["size"], y=100 * r.table["mde"],
                                 mode="lines+markers", name=f"{r.design}: MDE",
                                 line={"color": colour, "dash": "dot"}), row=1, col=2)
    fig.add_hline(y=0.8, line={"dash": "dash", "color": "grey"}, row=1, col=1)
    if results:
        effect = 100 * abs(results[0].effect["mean"])
        fig.add_hline(y=effect, line={"dash": "dash", "color": "green"}, row=1, col=2,
                      annotation_text=f"predicted |effect| {effect:.2f} pp")
    fig.update_xaxes(type="log", title_text="pilot size (clients)")
    fig.update_yaxes(title_text="power", range=[0, 1.02], row=1, col=1)
    fig.update_yaxes(title_text="percentage points", type="log", row=1, col=2)
    fig.update_layout(title=title, height=420, margin={"t": 70})
    return fig
