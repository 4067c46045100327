"""What the report shows about one comparison, and the numbers computed for it.

A ``Section`` is one scenario against its baseline: the paired comparison, the baseline's
levels and both sets of runs. The functions here compute what the tables and sentences need
beyond the comparison itself: cost by payer and item.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field

import pandas as pd

from simulation.engine.results import RunResult
from simulation.experiments.compare import Comparison, compare_runs
from simulation.experiments.power import PowerResult
from simulation.experiments.statistics import mean_ci, summarise_replications
from simulation.experiments.uncertainty import PosteriorEffects
from simulation.params.schema import Scenario


@dataclass
class Section:
    """One scenario compared with its baseline, with everything the report shows about it."""
    baseline: Scenario
    scenario: Scenario
    comparison: Comparison
    baseline_levels: dict[str, dict[str, float]]
    scenario_runs: list[RunResult]
    baseline_runs: list[RunResult]
    power: list[PowerResult] = field(default_factory=list)
    uncertainty: PosteriorEffects | None = None  # report --posterior K


@dataclass
class Reproducibility:
    command: str
    seed: int
    replications: int
    weeks: int | str  # a range (74–156) where the scenarios run their own lengths
    store: str | None = None
    run_ids: dict[str, list[str]] = field(default_factory=dict)
    code_version: str = ""


def run_weeks(section: Section) -> int:
    """How many weeks a section's scenario ran."""
    runs = section.scenario_runs
    return int(runs[0].weekly["week"].max()) if runs else section.scenario.weeks


def build_sections(pairs: Sequence[tuple[str, str]], loaded: Mapping[str, Scenario],
                   runs: Mapping[str, list[RunResult]], seed: int) -> list[Section]:
    """One section per (baseline key, scenario key) pair of ``compare.plan_comparisons``."""
    sections = []
    for base, name in pairs:
        levels = summarise_replications([r.summary for r in runs[base]])
        comparison = compare_runs(loaded[base], loaded[name], runs[name], runs[base], seed)
        sections.append(Section(loaded[base], loaded[name], comparison, levels,
                                runs[name], runs[base]))
    return sections


def ledger_totals(runs: Sequence[RunResult]) -> pd.DataFrame:
    """Euros by payer and item, one column per replication."""
    frames = []
    for r in runs:
        totals = r.ledger.groupby(["payer", "item"], observed=True)["amount_eur"].sum()
        frames.append(totals.rename(r.replication))
    return pd.concat(frames, axis=1).fillna(0.0)


def cost_frame(section: Section) -> pd.DataFrame:
    """Paired cost differences by payer and item: baseline, scenario, effect and 95 % CI."""
    base = ledger_totals(section.baseline_runs)
    scen = ledger_totals(section.scenario_runs)
    index = base.index.union(scen.index)
    base, scen = base.reindex(index, fill_value=0.0), scen.reindex(index, fill_value=0.0)
    rows = []
    for payer, item in index:
        diff = scen.loc[(payer, item)].to_numpy() - base.loc[(payer, item)].to_numpy()
        stats = mean_ci(diff)
        rows.append({"payer": payer, "item": item, "baseline": base.loc[(payer, item)].mean(),
                     "scenario": scen.loc[(payer, item)].mean(), **stats})
    return pd.DataFrame(rows)
