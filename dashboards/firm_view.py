"""The firm side of a run with a ``[growth]`` section: jobs created, growth-firm hires, value
added and the programme's own counts, scenario against baseline with the paired effect.

The metrics are the catalogue's ``growth`` group (the same rows ``pilotsim compare`` prints
for the firm side), read from the stored summaries; nothing is computed here that the runs do
not already report.
"""

from __future__ import annotations

import math
from typing import Any

import pandas as pd
import plotly.graph_objects as go

from dashboards.views import ENGLISH, SCENARIO_COLOUR, JobResults, fmt, unit_word
from simulation.engine.catalogue import in_group, metric
from simulation.engine.results import RunResult
from simulation.experiments.compare import paired_effects
from simulation.experiments.statistics import mean_ci
from simulation.i18n import N_, Words

# counts of people and firms, shown as a chart of effects (the euro rows stay in the table)
CHARTED = ("jobs_created", "growth_firm_hires", "first_hires", "new_firms", "referral_hires",
           "training_completions", "hidden_surfaced")


def _run(summary: dict[str, float], replication: int) -> RunResult:
    empty = pd.DataFrame()
    return RunResult(scenario="", replication=replication, entropy=0, spawn_key=(replication,),
                     weekly=empty, ledger=empty, duration_exits=empty, summary=summary)


def firm_rows(results: JobResults) -> list[dict[str, Any]]:
    """Baseline and scenario means and the paired effect of each firm-side metric (numbers);
    empty for a scenario without a firm side."""
    if not results.scenario or "jobs_created" not in results.scenario[0]:
        return []
    effects = paired_effects([_run(s, i) for i, s in enumerate(results.scenario)],
                             [_run(b, i) for i, b in enumerate(results.baseline)], seed=0)
    rows = []
    for name in in_group("growth"):
        if name not in effects or name not in results.scenario[0]:
            continue
        shown = metric(name)
        rows.append({
            "metric": name, "label": shown.label, "unit": shown.unit,
            "baseline": mean_ci(b.get(name, math.nan) for b in results.baseline)["mean"],
            "scenario": mean_ci(s.get(name, math.nan) for s in results.scenario)["mean"],
            "effect": effects[name]["mean"], "ci95_low": effects[name]["ci95_low"],
            "ci95_high": effects[name]["ci95_high"]})
    return rows


# each effect as a whole phrase (the unit's word goes where the language puts it)
HEADLINE_PARTS = (
    ("jobs_created", N_("{effect} jobs created [{low}, {high}]")),
    ("growth_firm_hires", N_("{effect} hires by growth firms [{low}, {high}]")),
    ("regional_value_added_eur_per_year", N_("{effect} € a year of value added [{low}, {high}]")),
)


def headline(rows: list[dict[str, Any]], w: Words = ENGLISH) -> str:
    """One sentence on jobs, growth-firm hires and value added (effects with intervals)."""
    found = {r["metric"]: r for r in rows}
    parts = [w.text(template, effect=fmt(found[name]["effect"], "", w),
                    low=fmt(found[name]["ci95_low"], "", w),
                    high=fmt(found[name]["ci95_high"], "", w))
             for name, template in HEADLINE_PARTS if name in found]
    if not parts:
        return ""
    # a list of phrases, not a sentence built from fragments: "; " separates them in fi and sv
    return w.text(N_("Against the baseline: {effects}."), effects="; ".join(parts))


def display_rows(rows: list[dict[str, Any]], w: Words = ENGLISH) -> list[dict[str, str]]:
    keys = ("baseline", "scenario", "effect", "ci95_low", "ci95_high")
    return [{"metric": r["metric"], "label": w.gettext(r["label"]),
             "unit": unit_word(r["unit"], w),
             **{k: fmt(r[k], r["unit"], w) for k in keys}} for r in rows]


def effects_figure(rows: list[dict[str, Any]], title: str | None = None, w: Words = ENGLISH
                   ) -> go.Figure:
    """The firm-side counts' effects with their 95 % intervals."""
    title = title if title is not None else w.gettext(N_("Firm side: effects"))
    shown = [r for r in rows if r["metric"] in CHARTED]
    fig = go.Figure(go.Bar(
        y=[w.gettext(r["label"]) for r in shown], x=[r["effect"] for r in shown], orientation="h",
        marker_color=SCENARIO_COLOUR,
        error_x={"type": "data", "symmetric": False,
                 "array": [r["ci95_high"] - r["effect"] for r in shown],
                 "arrayminus": [r["effect"] - r["ci95_low"] for r in shown]}))
    fig.update_layout(title=title, height=120 + 32 * len(shown), template="plotly_white",
                      margin={"l": 230, "r": 20, "t": 50, "b": 40},
                      xaxis_title=w.gettext(N_("scenario − baseline (persons, firms, jobs)")))
    return fig
