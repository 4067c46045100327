"""The top of a result: one plain sentence and a few formatted cards.

The sentence is ``simulation.report.headline`` (the report and the terminal print the same
one). The dashboard runs a smaller model region than the real one for speed, so counts and
euros are scaled to the library scenario's real number of job seekers and both the sentence
and the cards say so; shares (percentage points) and euros per placement are not scaled.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass

import pandas as pd
from dash import html

from dashboards.glossary import help_text
from dashboards.levers import library_scenario
from dashboards.views import JobResults
from simulation.engine.results import RunResult
from simulation.experiments.compare import Comparison, paired_effects, significant
from simulation.experiments.statistics import summarise_replications
from simulation.i18n import N_
from simulation.report.headline import Scale, Words, headline

SMALL = {"fontSize": "11px", "color": "#5d6d7e", "lineHeight": "1.3"}
CARD = {"background": "white", "border": "1px solid #dde3ea", "borderRadius": "8px",
        "padding": "10px 12px", "marginRight": "8px", "marginBottom": "8px",
        "minWidth": "150px", "flex": "1 1 150px"}
PAYER_WORDS = (("cost_state_eur", N_("state")), ("cost_municipality_eur", N_("municipalities")),
               ("cost_other_eur", N_("other funds")))


def _run(summary: dict[str, float], replication: int) -> RunResult:
    # paired_effects reads the summaries alone; the frames stay empty
    empty = pd.DataFrame()
    return RunResult(scenario="", replication=replication, entropy=0, spawn_key=(replication,),
                     weekly=empty, ledger=empty, duration_exits=empty, summary=summary)


def comparison_of(results: JobResults, name: str | None = None) -> Comparison:
    """A finished job as the report's ``Comparison``: paired effects and scenario levels."""
    scenario = [_run(s, i) for i, s in enumerate(results.scenario)]
    baseline = [_run(s, i) for i, s in enumerate(results.baseline)]
    return Comparison(baseline=results.job.baseline.name,
                      scenario=name or results.job.scenario.name,
                      levels=summarise_replications(results.scenario),
                      effects=paired_effects(scenario, baseline, seed=0))


def scale_of(results: JobResults) -> Scale:
    """The model region against the library scenario's real one."""
    job = results.job
    real = library_scenario(job.scenario.name).region.job_seekers
    return Scale(modelled=job.scenario.region.job_seekers, real=real)


def sentence(results: JobResults, comparison: Comparison | None = None,
             w: Words | None = None) -> str:
    c = comparison or comparison_of(results)
    return headline(c, results.job.weeks, len(results.scenario), scale_of(results), w)


# --- cards ------------------------------------------------------------------------------------

@dataclass(frozen=True)
class Card:
    title: str
    value: str
    interval: str
    note: str
    help: str
    metric: str


def _signed(value: float, fmt) -> str:  # noqa: ANN001 - a Words method
    sign = "−" if value < 0 else ("+" if value > 0 else "±")
    return f"{sign}{fmt(value)}"


def _interval(stats: Mapping[str, float], fmt, w: Words,  # noqa: ANN001 - a Words method
              factor: float = 1.0) -> str:
    low, high = stats.get("ci95_low", math.nan), stats.get("ci95_high", math.nan)
    if math.isnan(low) or math.isnan(high):
        return w.gettext(N_("no interval (too few replications)"))
    return w.text(N_("95 %: {low} to {high}"), low=_signed(low * factor, fmt),
                  high=_signed(high * factor, fmt))


def _ok(stats: Mapping[str, float] | None) -> bool:
    return bool(stats) and not math.isnan(stats.get("mean", math.nan))


def cards(c: Comparison, weeks: int, scale: Scale, w: Words | None = None) -> list[Card]:
    """Headline effects formatted as a planner reads them: persons, percentage points, € over
    the period and per year, who pays, cost per net lasting placement or why there is none."""
    w = w or Words()
    f = scale.factor
    where = (w.gettext(N_("real region")) if scale.modelled == scale.real else
             w.text(N_("scaled to the real region (×{factor})"), factor=w.number(f, 1)))
    out: list[Card] = []
    work = c.effects.get("target_employed_end")
    if _ok(work):
        out.append(Card(w.gettext(N_("In work at the end (target group)")),
                        w.text(N_("{n} persons"), n=_signed(work["mean"] * f, w.count)),
                        _interval(work, w.count, w, f), where,
                        help_text("target_employed_end"), "target_employed_end"))
    act = c.effects.get("target_activation_rate_end")
    if _ok(act):
        out.append(Card(w.gettext(N_("Activation at the end (target group)")),
                        w.text(N_("{n} pp"), n=_signed(act["mean"], w.points)),
                        _interval(act, w.points, w),
                        w.gettext(N_("percentage points, not scaled")),
                        help_text("target_activation_rate_end"), "target_activation_rate_end"))
    lasting = c.effects.get("target_sustained_3m")
    if _ok(lasting):
        out.append(Card(w.gettext(N_("Placements lasting 3 months (target group)")),
                        w.text(N_("{n} persons"), n=_signed(lasting["mean"] * f, w.count)),
                        _interval(lasting, w.count, w, f), where,
                        help_text("target_sustained_3m"), "target_sustained_3m"))
    total = c.effects.get("cost_total_eur")
    if _ok(total):
        per_year = total["mean"] * f * 52 / weeks
        out.append(Card(w.text(N_("Public cost over {weeks} weeks (whole region)"),
                               weeks=str(weeks)),
                        _signed(total["mean"] * f, w.euros),
                        _interval(total, w.euros, w, f),
                        w.text(N_("{amount} a year · {where}"),
                               amount=_signed(per_year, w.euros), where=where),
                        help_text("cost_total_eur"), "cost_total_eur"))
        payers = [f"{w.gettext(name)} {_signed(c.effects[key]['mean'] * f, w.euros)}"
                  for key, name in PAYER_WORDS if _ok(c.effects.get(key))]
        out.append(Card(w.gettext(N_("Who pays (over the period)")), "\n".join(payers) or "–",
                        w.gettext(N_("negative: a saving or more tax")), where,
                        "The change in public cost by payer: the state, municipalities and "
                        "other funds (unemployment funds and other payers).", "cost_by_payer"))
    out.append(_per_placement(c, w))
    return out


def _per_placement(c: Comparison, w: Words) -> Card:
    per = c.effects.get("target_cost_per_net_lasting_placement_eur")
    lasting = c.effects.get("target_sustained_3m")
    title = w.gettext(N_("Cost per net lasting placement (target group)"))
    help_ = help_text("target_cost_per_net_lasting_placement_eur")
    key = "target_cost_per_net_lasting_placement_eur"
    if _ok(per) and _ok(lasting) and significant(dict(lasting)) and lasting["mean"] > 0:
        return Card(title, _signed(per["mean"], w.euros), _interval(per, w.euros, w),
                    w.gettext(N_("per extra placement lasting 3 months")), help_, key)
    if _ok(lasting) and significant(dict(lasting)) and lasting["mean"] < 0:
        reason = N_("none: fewer lasting placements than in the baseline")
    elif _ok(lasting):
        reason = N_("none: no clear extra lasting placements (interval spans zero)")
    else:
        reason = N_("none: lasting placements were not measured")
    return Card(title, w.gettext(N_("none")), w.gettext(reason),
                w.gettext(N_("a cost per placement needs a clear gain")), help_, key)


def cards_row(items: list[Card]) -> html.Div:
    """The cards as the page shows them, each with its metric's hover help."""
    return html.Div([html.Div([html.Div(card.title, style=SMALL),
                               html.Div(card.value, className="kpi-value",
                                        style={"fontSize": "19px" if "\n" not in card.value
                                               else "14px", "fontWeight": "700",
                                               "whiteSpace": "pre-line"}),
                               html.Div(card.interval, style=SMALL),
                               html.Div(card.note, style={**SMALL, "fontStyle": "italic"})],
                              title=card.help, className="kpi", style=CARD,
                              **{"data-metric": card.metric})
                     for card in items],
                    id="kpis", style={"display": "flex", "flexWrap": "wrap"})


def headline_block(results: JobResults, w: Words | None = None) -> list[html.Div]:
    """The sentence and the cards of one result."""
    w = w or Words()
    c = comparison_of(results)
    scale = scale_of(results)
    size = (w.text(N_("Numbers for the real region ({real} job seekers)"),
                   real=w.count(scale.real))
            if scale.modelled == scale.real else
            w.text(N_("The model ran {modelled} job seekers for speed; counts and euros above "
                      "are scaled ×{factor} to the real region's {real}. The table below is "
                      "at model size."), modelled=w.count(scale.modelled),
                   factor=w.number(scale.factor, 1), real=w.count(scale.real)))
    return [html.P(headline(c, results.job.weeks, len(results.scenario), scale, w),
                   id="headline", style={"fontSize": "15px", "lineHeight": "1.45",
                                         "margin": "6px 0 8px 0"}),
            cards_row(cards(c, results.job.weeks, scale, w)),
            html.Div(size, id="model-size", style=SMALL)]
