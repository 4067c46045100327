"""Words that explain the numbers: hover help and a glossary from the metric catalogue, plain
names for ledger items, and short "why" notes where a known mechanism of the model explains a
sign a planner would not expect.

Every metric's words come from ``simulation.engine.catalogue`` (one definition for the CLI, the
report and the page); nothing here keeps its own list of metrics.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

from dash import html

from dashboards.page_text import say
from simulation.engine.catalogue import CATALOGUE, Metric, Scope, is_family, metric
from simulation.experiments.compare import significant
from simulation.i18n import N_, Words

Stats = Mapping[str, float]
SMALL = {"fontSize": "12px", "color": "#5d6d7e", "lineHeight": "1.35"}

# Ledger items by their code names (the ledger's ``item`` column) in a planner's words.
ITEM_WORDS = {
    "earnings_related_allowance": "Earnings-related unemployment allowance",
    "basic_allowance": "Basic unemployment allowance",
    "labour_market_subsidy": "Labour-market subsidy",
    "service_increase": "Benefit increase during services",
    "activation_model_cut": "Activation-model benefit cuts",
    "service_purchases": "Purchased services (training, trials, rehabilitation)",
    "wage_subsidy": "Wage subsidy",
    "start_up_grant": "Start-up grant",
    "coach_staff": "Coaches' pay",
    "tax_revenue": "Tax revenue (negative: money coming back)",
    "growth_coordinators": "Growth coordinators' pay",
    "start_up_advice": "Start-up advice",
    "screening": "Screening of job seekers for firms",
    "first_hire_subsidy": "First-hire subsidy",
}
FEE_WORDS = {
    "attachment_fee": "attachment fee (on taking a client)",
    "quality_bonus": "quality bonus",
    "steering_bonus": "steering-group bonus",
    "outcome_fee": "outcome fee",
}
OUTCOME_WORDS = {
    "placement": "placement", "employed_3m": "in work 3 months",
    "employed_6m": "in work 6 months", "employed_12m": "in work 12 months",
}


def item_label(item: str) -> str:
    """A ledger item in plain words: ``provider_fee:outcome_fee.placement`` is
    "Provider fee: outcome fee — placement"; unknown codes are de-underscored, never hidden."""
    if item in ITEM_WORDS:
        return ITEM_WORDS[item]
    if item.startswith("provider_fee:"):
        component = item.removeprefix("provider_fee:")
        head, _, outcome = component.replace(":", ".").partition(".")
        words = FEE_WORDS.get(head, head.replace("_", " "))
        if outcome:
            words += " — " + OUTCOME_WORDS.get(outcome, outcome.replace("_", " "))
        return f"Provider fee: {words}"
    return item.replace("_", " ").replace(":", ": ").capitalize()


def help_text(name: str) -> str:
    """The hover help of a metric (a summary name, ``target_`` twins included): its
    description, unit and whom it counts; empty for a name outside the catalogue."""
    try:
        m = metric(name)
    except KeyError:
        return ""
    whom = "the target group" if name.startswith("target_") else "the whole region"
    if m.scope is Scope.REGION:
        whom = "the whole region"
    unit = f" Unit: {m.unit}." if m.unit else ""
    return f"{m.description}{unit} Counted for {whom}."


def _entry(m: Metric) -> list[html.Dt | html.Dd]:
    name = m.name.replace("{", "‹").replace("}", "›")
    scope = ("region and target group" if m.scope is Scope.BOTH else "region")
    anchor = {} if is_family(m) else {"id": f"glossary-{m.name}"}  # a link can point here
    return [html.Dt([m.label, html.Span(f" [{m.unit}]" if m.unit else "",
                                        style={"color": "#5d6d7e", "fontWeight": "400"})],
                    style={"fontWeight": "600", "marginTop": "6px"}, **anchor),
            html.Dd([m.description, html.Div(f"{name} · {scope} · {m.aggregation.value}",
                                             style=SMALL)],
                    style={"margin": "0 0 4px 14px"})]


def glossary_section() -> html.Div:
    """Every metric of the catalogue, in catalogue order, and the words behind the notes."""
    entries: list[html.Dt | html.Dd] = []
    for m in CATALOGUE.values():
        entries += _entry(m)
    mechanisms: list[html.Dt | html.Dd] = []
    for title, text in MECHANISMS.items():
        mechanisms += [html.Dt(say(MECHANISM_NAMES[title]),
                               style={"fontWeight": "600", "marginTop": "6px"}),
                       html.Dd(say(text), style={"margin": "0 0 4px 14px"})]
    return html.Div([
        html.H3(say(N_("Glossary"), at="heading"), style={"marginTop": 0}),
        html.P(say(N_("Every number the model reports, as the metric catalogue defines it (the "
                      "same words as the command line and the report). Hover over a label on "
                      "the results page for the same help. Effects are scenario minus "
                      "baseline, paired by seed; a share's effect is in percentage points "
                      "(pp).")), style=SMALL),
        html.H4(say(N_("Why a sign can surprise"))),
        html.Dl(mechanisms),
        # the metrics' own entries stay English for now: the catalogue's descriptions
        html.H4(say(N_("Metrics ({count})"), count=len(CATALOGUE))),
        html.Dl(entries, id="glossary-metrics"),
    ], id="glossary")


# --- why notes ------------------------------------------------------------------------------

MECHANISMS = {
    "Lock-in": N_(
        "While people are in a service (training, a work trial, rehabilitation) they look for "
        "work less, so more services can mean fewer placements during the run even when "
        "activation rises; the gain, if any, comes after the service."),
    "Activation without jobs": N_(
        "Activation counts people in services or subsidised jobs. Moving people into services "
        "lowers open unemployment and raises activation without anyone finding open-market "
        "work."),
    "Displacement": N_(
        "Jobs are limited: when the target group is placed faster, some of those vacancies "
        "would have gone to other job seekers. The region's gain is then smaller than the "
        "target group's, or even negative."),
    "Shifted resources": N_(
        "Coaches and service places given to the target group are taken from others; the "
        "target group's extra cost can then exceed the region's, because the rest of the "
        "region costs less."),
    "Negative costs": N_(
        "A negative cost is a saving or money coming back: fewer benefit days paid, benefit "
        "cuts, or more tax from people in work."),
}


def _mean(effects: Mapping[str, Stats], key: str) -> float:
    stats = effects.get(key)
    return stats.get("mean", math.nan) if stats else math.nan


def _clear(effects: Mapping[str, Stats], key: str, sign: int) -> bool:
    """The effect's 95 % interval excludes zero on the side of ``sign``."""
    stats = effects.get(key)
    return bool(stats) and significant(dict(stats)) and math.copysign(1, stats["mean"]) == sign


def why_notes(effects: Mapping[str, Stats], w: Words | None = None) -> list[tuple[str, str]]:
    """(mechanism, note) for each counter-intuitive sign in a comparison's effects; the
    mechanism is its English name (``MECHANISMS``' key), the note in ``w``'s language."""
    w = w or Words()
    notes: list[tuple[str, str]] = []
    activation_up = _clear(effects, "target_activation_rate_end", +1)
    work_not_up = not _clear(effects, "target_employed_end", +1)
    placements_down = _clear(effects, "target_placements", -1)
    if activation_up and placements_down:
        notes.append(("Lock-in", w.gettext(N_(
            "Activation rises but placements fall: people in services look for work less "
            "while they are in them, and activation counts people in services, not in "
            "jobs."))))
    elif activation_up and work_not_up:
        notes.append(("Activation without jobs", w.gettext(N_(
            "Activation rises but no more people are in work: people in services look for "
            "work less while they are in them, and activation counts people in services, "
            "not in jobs."))))
    if _clear(effects, "unemployed_end", -1) and work_not_up and not activation_up:
        notes.append(("Activation without jobs", w.gettext(N_(
            "Unemployment falls without more people in work: people moved into services or "
            "subsidised jobs, which are not counted as unemployed."))))
    target_gain = _mean(effects, "target_placements")
    if (_clear(effects, "target_placements", +1)
            and _mean(effects, "placements") < 0.8 * target_gain):
        notes.append(("Displacement", w.gettext(N_(
            "The region gains fewer placements than the target group: some of the target "
            "group's jobs would have gone to other job seekers."))))
    if (_clear(effects, "target_cost_total_eur", +1)
            and _mean(effects, "cost_total_eur") < _mean(effects, "target_cost_total_eur")):
        notes.append(("Shifted resources", w.gettext(N_(
            "The target group's extra cost exceeds the region's: coaches and places went to "
            "the target group, so the rest of the region cost less."))))
    negative = [w.gettext(name) for key, name in (("cost_state_eur", N_("the state")),
                                                  ("cost_municipality_eur", N_("municipalities")),
                                                  ("cost_other_eur", N_("other funds")))
                if _clear(effects, key, -1)]
    if negative:
        notes.append(("Negative costs", w.text(N_(
            "A negative cost for {payers} is a saving: fewer benefit days paid or more tax "
            "from people in work."), payers=", ".join(negative))))
    return notes


# the mechanisms' names as the page shows them (MECHANISMS keeps the English ones as keys)
MECHANISM_NAMES = {"Lock-in": N_("Lock-in"),
                   "Activation without jobs": N_("Activation without jobs"),
                   "Displacement": N_("Displacement"),
                   "Shifted resources": N_("Shifted resources"),
                   "Negative costs": N_("Negative costs")}


def why_box(effects: Mapping[str, Stats], w: Words | None = None) -> html.Div | None:
    """The notes as a small box under the headline, or nothing when no sign surprises."""
    w = w or Words()
    notes = why_notes(effects, w)
    if not notes:
        return None
    return html.Div([html.Div(w.gettext(N_("Why these signs?")), style={"fontWeight": "600"}),
                     html.Ul([html.Li([html.B(w.gettext(MECHANISM_NAMES[title]) + ": "), text],
                                      title=MECHANISMS[title])
                              for title, text in notes], style={"margin": "4px 0 0 0",
                                                                "paddingLeft": "18px"})],
                    id="why-notes", style={"background": "#f4f6f7", "borderRadius": "6px",
                                           "padding": "8px 10px", "margin": "8px 0",
                                           "fontSize": "13px"})


def plain_item_labels(figure: Any, w: Words | None = None) -> Any:
    """A cost figure with its ledger items in plain words (the horizontal bars' labels); in
    another language the figure already names them by the glossary's terms."""
    if w is not None and w.lang != "en":
        return figure
    for trace in figure.data:
        if getattr(trace, "orientation", None) == "h" and trace.y is not None:
            trace.y = [item_label(str(y)) for y in trace.y]
    return figure
