"""Comparing scenarios with their baseline under common random numbers.

Replication *i* of every scenario and of its baseline uses the same seed, so
the difference of each metric within a replication is an estimate of the
scenario's effect with much of the noise cancelled. Effects are the mean of
those paired differences with a t-based 95 % interval; ratios (cost per net
placement) get a seeded bootstrap interval over replications.
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import numpy as np
import pandas as pd

from simulation.engine.catalogue import Aggregation, where
from simulation.engine.clock import week_of
from simulation.engine.results import RunResult
from simulation.experiments.gross_net import (
    changes,
    displacement,
    gross_and_net,
    outside_effects,
)
from simulation.experiments.statistics import (
    mean_ci,
    metric_names,
    metric_value,
    summarise_replications,
)
from simulation.params.loading import content_hash
from simulation.params.schema import Interventions, Scenario

BOOTSTRAP_DRAWS = 2000


@dataclass
class Comparison:
    baseline: str
    scenario: str
    levels: dict[str, dict[str, float]]
    effects: dict[str, dict[str, float]]
    reference: dict[str, float] = field(default_factory=dict)  # the scenario's own goals
    # scope -> weekly column -> gross (the scenario's own change), trend (the baseline's)
    # and net, over the run; and the programme's reported changes beside the same three
    gross_net: dict[str, dict[str, dict]] = field(default_factory=dict)
    reported: dict[str, dict] = field(default_factory=dict)


def paired_effects(scenario_runs: Sequence[RunResult], baseline_runs: Sequence[RunResult],
                   seed: int = 0) -> dict[str, dict[str, float]]:
    """Mean paired difference (scenario − baseline) of every summary metric."""
    if [r.replication for r in scenario_runs] != [r.replication for r in baseline_runs]:
        raise ValueError("scenario and baseline runs must pair replication by replication")
    names = metric_names([r.summary for r in scenario_runs], [r.summary for r in baseline_runs])
    effects = {name: mean_ci(metric_value(s.summary, name) - metric_value(b.summary, name)
                             for s, b in zip(scenario_runs, baseline_runs, strict=True))
               for name in names}
    effects.update(outside_effects(scenario_runs, baseline_runs))
    rng = np.random.default_rng(seed)
    effects.update(displacement(scenario_runs, baseline_runs, np.random.default_rng(seed + 1)))
    pairs = list(zip(scenario_runs, baseline_runs, strict=True))
    for prefix in ("", "target_"):
        cost = [s.summary[f"{prefix}cost_total_eur"] - b.summary[f"{prefix}cost_total_eur"]
                for s, b in pairs]
        for ratio in where(aggregation=Aggregation.PAIRED_RATIO):  # cost per net outcome
            net = [s.summary[f"{prefix}{ratio.basis}"] - b.summary[f"{prefix}{ratio.basis}"]
                   for s, b in pairs]
            effects[f"{prefix}{ratio.name}"] = ratio_ci(cost, net, rng)
    return effects


def ratio_ci(numerator: Sequence[float], denominator: Sequence[float],
             rng: np.random.Generator) -> dict[str, float]:
    """Ratio of means with a percentile bootstrap interval over replications.

    Undefined (NaN) when the denominator's mean is not above zero, e.g. a scenario with no
    net lasting placements has no cost per net placement. No interval where the
    denominator's own 95 % interval (the one shown for it) includes zero: the ratio's would
    then run to infinity, which a bootstrap over a few replications does not show.
    """
    num, den = np.asarray(numerator, float), np.asarray(denominator, float)
    nan = {"mean": float("nan"), "ci95_low": float("nan"), "ci95_high": float("nan")}
    if len(den) == 0 or den.mean() <= 0:
        return nan
    point = float(num.mean() / den.mean())
    if len(den) < 2:  # one replication: no interval
        return {"mean": point, "ci95_low": float("nan"), "ci95_high": float("nan")}
    # drawn whatever follows, so that the other ratios' draws stay as they were
    picks = rng.integers(0, len(den), size=(BOOTSTRAP_DRAWS, len(den)))
    den_means = den[picks].mean(axis=1)
    ok = den_means > 0
    ratios = num[picks].mean(axis=1)[ok] / den_means[ok]
    if ok.mean() < 0.975 or not significant(mean_ci(den)):  # "no net placements" is possible
        return {"mean": point, "ci95_low": float("nan"), "ci95_high": float("nan")}
    low, high = np.quantile(ratios, [0.025, 0.975])
    return {"mean": point, "ci95_low": float(low), "ci95_high": float(high)}


def comparison_baseline(baseline: Scenario, scenario: Scenario) -> Scenario:
    """The baseline as a scenario is paired with it: only the intervention differs.

    - A baseline without interventions is measured on the scenario's own target group: there
      the target group only decides who is counted, so target-group effects compare the same
      people (a Koko-rekry baseline counts the highly educated, not the whole register).
    - A baseline without a firm side gets the scenario's firm side without its programme
      (``[growth]`` minus ``[growth.programme]``): the growth firms, hidden vacancies and solo
      entrepreneurs are the region, not the intervention, so a growth pilot's effects are its
      programme's, not the hiring those firms would do anyway.
    - A scenario that sets its own region (most often a smaller one, for a quick try) is
      paired with its baseline on that region: the same people, not a region of another size.
    - A scenario that sets its own period (a workshop design run for fewer weeks) is paired
      with its baseline over that period: the period sets the expected inflow and when the
      providers' contracts end, so a baseline of another length is another region's year.
    """
    update: dict[str, object] = {}
    if scenario.region != baseline.region:
        update["region"] = scenario.region
    if scenario.weeks != baseline.weeks:
        update["weeks"] = scenario.weeks
    plain = (baseline.interventions == Interventions()
             and baseline.wage_subsidy.municipal_top_up == 0)
    if plain and scenario.target_group != baseline.target_group:
        named = {m for rule in scenario.target_group.any_of for m in rule.municipalities or ()}
        region = update.get("region", baseline.region)
        missing = sorted(named - set(region.municipalities))  # type: ignore[attr-defined]
        if missing:
            raise ValueError(f"{scenario.name}: its target group names municipality "
                             f"{missing[0]!r}, which its baseline {baseline.name!r} does not "
                             "have: the baseline could not count the same people")
        update["target_group"] = scenario.target_group
    if baseline.growth is None and scenario.growth is not None:
        update["growth"] = scenario.growth.model_copy(update={"programme": None})
    return baseline.model_copy(update=update) if update else baseline


def plan_comparisons(groups: Mapping[str, Sequence[str]], loaded: Mapping[str, Scenario],
                     only_paired: bool = False
                     ) -> tuple[dict[str, Scenario], list[tuple[str, str]]]:
    """What to run for a set of comparisons, and the (baseline key, scenario key) pairs.

    Each scenario is paired with :func:`comparison_baseline` of its baseline; where that
    differs from the baseline as loaded it is run under the key ``"{baseline}@{scenario}"``.
    Paired baselines with the same content (several pilots with the same target group or the
    same firm side) are run once, under the first such key. With ``only_paired`` a baseline
    as loaded is left out when every scenario is paired with a variant of it: its own levels
    are then needed by no comparison (under ``compare --all`` that is half the runs of most
    region baselines, Uusimaa's 107,000 job seekers among them).
    """
    to_run = dict(loaded)
    pairs = []
    by_content: dict[str, str] = {}
    for base, names in groups.items():
        for name in names:
            key = base
            paired = comparison_baseline(loaded[base], loaded[name])
            if paired is not loaded[base]:
                key = by_content.setdefault(content_hash(paired), f"{base}@{name}")
                to_run[key] = paired
            pairs.append((key, name))
    if only_paired:
        used = {key for pair in pairs for key in pair}
        to_run = {key: scenario for key, scenario in to_run.items() if key in used}
    return to_run, pairs


def compare_runs(baseline: Scenario, scenario: Scenario, scenario_runs: Sequence[RunResult],
                 baseline_runs: Sequence[RunResult], seed: int = 0) -> Comparison:
    levels = summarise_replications([r.summary for r in scenario_runs])
    levels.update(provider_counterfactuals(scenario, scenario_runs, baseline_runs))
    return Comparison(baseline=baseline.name, scenario=scenario.name, levels=levels,
                      effects=paired_effects(scenario_runs, baseline_runs, seed),
                      reference=dict(scenario.reference),
                      gross_net=gross_and_net(scenario_runs, baseline_runs),
                      reported=reported_changes(scenario, scenario_runs, baseline_runs))


def reported_changes(scenario: Scenario, scenario_runs: Sequence[RunResult],
                     baseline_runs: Sequence[RunResult]) -> dict[str, dict]:
    """The programme's reported changes beside the model's gross, trend and net over the
    same calendar period. A period that ends after the run has none of the three (missing,
    not the change up to the run's end); ``run_weeks`` says where the run ends."""
    out = {}
    last = int(scenario_runs[0].weekly["week"].max()) if scenario_runs else 0
    for column, reported in scenario.reported_changes.items():
        if column not in scenario_runs[0].weekly.columns:
            raise ValueError(f"{scenario.name}: reported_changes.{column}: not a weekly column")
        start = week_of(scenario.start_date, reported.start_date)
        end = week_of(scenario.start_date, reported.end_date)
        if end <= last:
            model = changes(scenario_runs, baseline_runs, column, reported.scope, start, end)
        else:
            model = dict.fromkeys(("gross", "trend", "net"), mean_ci([]))
        out[column] = {"scope": reported.scope, "weeks": [start, end], "run_weeks": last,
                       "reported": reported.change, "reported_trend": reported.trend,
                       **model}
    return out



def provider_counterfactuals(scenario: Scenario, scenario_runs: Sequence[RunResult],
                             baseline_runs: Sequence[RunResult]) -> dict[str, dict[str, float]]:
    """Deadweight and the baseline creaming gap of provider clients, from same-seed pairs.

    Needs each run's per-person tables; runs stored before those were kept lack them, and
    then nothing is returned (rerun with ``--no-store`` to get them).
    """
    from simulation.experiments.counterfactuals import baseline_creaming_gap, deadweight

    procurement = scenario.interventions.procurement
    pairs = [(s, b) for s, b in zip(scenario_runs, baseline_runs, strict=True)
             if s.provider_clients is not None and b.person_events is not None]
    if procurement is None or not pairs or len(pairs) < len(scenario_runs):
        return {}
    shares, eur, gaps, added = [], [], [], []
    for run, base in pairs:
        dead = deadweight(run.provider_clients, base.person_events)
        shares.append(dead["deadweight_share"])
        eur.append(dead["deadweight_eur"])
        gap = baseline_creaming_gap(run.provider_clients, base.person_events,
                                    procurement.programme_weeks)
        gaps.append(gap)
        added.append(run.summary.get("provider_creaming_gap", math.nan) - gap)
    return {"provider_deadweight_share": mean_ci(shares),
            "provider_deadweight_eur": mean_ci(eur),
            "provider_baseline_creaming_gap": mean_ci(gaps),
            "provider_creaming_gap_added": mean_ci(added)}


def comparisons_frame(comparisons: Sequence[Comparison],
                      baseline_levels: dict[str, dict[str, dict[str, float]]]) -> pd.DataFrame:
    """Tidy rows: baseline, scenario, metric, kind (level | effect), mean and interval."""
    rows = []
    for name, levels in baseline_levels.items():
        for metric, stats in levels.items():
            rows.append({"baseline": name, "scenario": name, "metric": metric,
                         "kind": "level", **stats})
    for c in comparisons:
        for kind, table in (("level", c.levels), ("effect", c.effects)):
            for metric, stats in table.items():
                rows.append({"baseline": c.baseline, "scenario": c.scenario, "metric": metric,
                             "kind": kind, **stats})
        for metric, goal in c.reference.items():
            rows.append({"baseline": c.baseline, "scenario": c.scenario, "metric": metric,
                         "kind": "reference", "mean": goal})
    return pd.DataFrame(rows)


def significant(stats: dict[str, float]) -> bool:
    """The 95 % interval excludes zero."""
    low, high = stats["ci95_low"], stats["ci95_high"]
    return not (math.isnan(low) or math.isnan(high)) and (low > 0 or high < 0)
