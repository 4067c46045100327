"""Numbers in words: how the report formats values, effects and intervals, and the
plain-language summary of a comparison.

Formats: ``pp`` a share (its effects in percentage points), ``eur`` euros, ``n`` a whole
number, ``n1`` a number with one decimal; ``number_format`` gives a catalogue metric's.
"""

from __future__ import annotations

import html
import math
from collections.abc import Mapping
from typing import Any

from simulation.engine.catalogue import Kind, Metric
from simulation.experiments.compare import significant
from simulation.i18n import N_, Words
from simulation.params.fields import PAYERS
from simulation.report.sections import Section, run_weeks

FORMATS = {Kind.COUNT: "n", Kind.SHARE: "pp", Kind.POINTS: "pp", Kind.EUROS: "eur",
           Kind.WEEKS: "n1"}
ENGLISH = Words()


def number_format(metric: Metric) -> str:
    """How the report writes a metric's values: ``pp``, ``eur``, ``n`` or ``n1``."""
    return FORMATS[metric.kind]


def is_nan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


# The number formats take the page's ``Words`` (English unless given): see simulation.i18n.
def fmt_value(value: float, kind: str, w: Words = ENGLISH) -> str:
    return w.value(value, kind)


def fmt_effect(value: float, kind: str, w: Words = ENGLISH) -> str:
    return w.effect(value, kind)


def fmt_eur(value: float, w: Words = ENGLISH) -> str:
    return w.eur(value)


def interval(stats: Mapping[str, float], kind: str, w: Words = ENGLISH) -> str:
    return w.interval(stats, kind)


# One whole sentence per metric and direction (raises, lowers, no clear change), so a
# translation can put the metric's words in the case its verb needs.
PEOPLE_SENTENCES = {
    "target_activation_rate_end": (
        N_("The pilot raises the target group's activation rate at the end by {size} "
           "({span}){levels}."),
        N_("The pilot lowers the target group's activation rate at the end by {size} "
           "({span}){levels}."),
        N_("There is no clear change in the target group's activation rate at the end "
           "({effect}, {span}).")),
    "target_sustained_3m": (
        N_("The pilot raises the target group's placements lasting at least 3 months by {size} "
           "({span}){levels}."),
        N_("The pilot lowers the target group's placements lasting at least 3 months by {size} "
           "({span}){levels}."),
        N_("There is no clear change in the target group's placements lasting at least 3 "
           "months ({effect}, {span}).")),
    "target_employed_share_end": (
        N_("The pilot raises the share of the initial target group employed at the end by "
           "{size} ({span}){levels}."),
        N_("The pilot lowers the share of the initial target group employed at the end by "
           "{size} ({span}){levels}."),
        N_("There is no clear change in the share of the initial target group employed at the "
           "end ({effect}, {span}).")),
    "target_long_term_unemployed_end": (
        N_("The pilot raises the number of long-term unemployed in the target group at the end "
           "by {size} ({span}){levels}."),
        N_("The pilot lowers the number of long-term unemployed in the target group at the end "
           "by {size} ({span}){levels}."),
        N_("There is no clear change in the number of long-term unemployed in the target group "
           "at the end ({effect}, {span}).")),
    "outside_placements": (
        N_("Outside the target group, the pilot raises placements of job seekers outside the "
           "target group by {size} ({span})."),
        N_("Outside the target group, the pilot lowers placements of job seekers outside the "
           "target group by {size} ({span}) — people in the pilot partly take jobs others "
           "would have got (displacement)."),
        N_("Outside the target group there is no clear change in placements of job seekers "
           "outside the target group ({effect}, {span}).")),
}
PEOPLE_KINDS = {"target_activation_rate_end": "pp", "target_sustained_3m": "n",
                "target_employed_share_end": "pp", "target_long_term_unemployed_end": "n",
                "outside_placements": "n"}
# each payer's share of a change in cost: (pays more, saves)
PAYER_SENTENCES = {
    "state": (N_("the state pays {amount} more"), N_("the state saves {amount}")),
    "municipality": (N_("municipalities pay {amount} more"), N_("municipalities save {amount}")),
    "other": (N_("other funds (e.g. unemployment funds) pay {amount} more"),
              N_("other funds (e.g. unemployment funds) save {amount}")),
}


# fewer placements outside the target group while the target group gains none clearly:
# not displacement by the pilot's clients (both groups lose), so said without that reason
OUTSIDE_FALL = N_("Outside the target group, the pilot lowers placements of job seekers "
                  "outside the target group by {size} ({span}).")


def _sentence(key: str, stats: Mapping[str, float] | None, w: Words,
              levels: tuple[float, float] | None = None, down: str | None = None
              ) -> str | None:
    """"The pilot raises X by 14 points (95 % CI 12 to 16)" or "no clear change in X"
    (``down``: another sentence for a clear fall)."""
    if not stats or is_nan(stats.get("mean")):
        return None
    kind, (up, fall, unclear) = PEOPLE_KINDS[key], PEOPLE_SENTENCES[key]
    down = down or fall
    mean = stats["mean"]
    span = w.text(N_("95 % CI {interval}"), interval=w.interval(stats, kind))
    if not significant(stats):
        return w.text(unclear, effect=w.effect(mean, kind), span=span)
    size = (w.text(N_("{value} percentage points"), value=w.points(mean)) if kind == "pp"
            else w.count(mean))
    where = ""
    if levels and not any(is_nan(x) for x in levels):
        where = w.text(N_(", from {start} to {end}"),
                       start=w.value(levels[0], kind), end=w.value(levels[1], kind))
    return w.text(up if mean > 0 else down, size=size, span=span, levels=where)


def summary_paragraphs(section: Section, w: Words = ENGLISH) -> list[str]:
    """The plain-words summary of one comparison, in the language of ``w``."""
    e, lv, bl = section.comparison.effects, section.comparison.levels, section.baseline_levels
    sc = section.scenario
    weeks = run_weeks(section)

    def levels(key: str) -> tuple[float, float]:
        return bl.get(key, {}).get("mean", math.nan), lv.get(key, {}).get("mean", math.nan)

    out = [w.text(N_("{scenario} compared with {baseline} over {weeks} weeks from {start}, "
                     "{n} paired replications. The target group: {who} (about {size} people "
                     "at the end of the baseline run)."),
                  scenario=f"<b>{html.escape(sc.title or sc.name)}</b>",
                  baseline=f"<b>{html.escape(section.baseline.title or section.baseline.name)}"
                           "</b>",
                  weeks=str(weeks), start=html.escape(w.date(sc.start_date)),
                  n=str(len(section.scenario_runs)),
                  who=html.escape(sc.target_group.description),
                  size=w.value(levels("target_job_seekers_end")[0], "n"))]
    for key in ("target_activation_rate_end", "target_sustained_3m",
                "target_employed_share_end", "target_long_term_unemployed_end"):
        text = _sentence(key, e.get(key), w, levels(key))
        if text:
            out.append(text)
    gain = e.get("target_placements")
    displaced = bool(gain) and significant(gain) and gain["mean"] > 0
    outside = _sentence("outside_placements", e.get("outside_placements"), w,
                        down=None if displaced else OUTSIDE_FALL)
    # a region whose target group is everyone has nobody outside it to speak of
    everyone = all(not is_nan(a) and a == b for a, b in zip(
        levels("job_seekers_end"), levels("target_job_seekers_end"), strict=True))
    if outside and not everyone:
        out.append(outside)
    cost = e.get("cost_total_eur")
    if cost and not is_nan(cost["mean"]):
        parts = []
        for payer in PAYERS:
            stats = e.get(f"cost_{payer}_eur")
            if not stats or is_nan(stats["mean"]) or abs(stats["mean"]) < 1:
                continue
            more, less = PAYER_SENTENCES[payer]
            part = w.text(more if stats["mean"] > 0 else less, amount=w.euros(stats["mean"]))
            if not significant(stats):
                part = w.text(N_("{part} (not clearly different from zero)"), part=part)
            parts.append(part)
        template = (N_("Over the run it costs the public purse {amount} more (95 % CI "
                       "{interval}), counting benefits, services, subsidies, staff and taxes "
                       "from work: {payers}.") if cost["mean"] > 0 else
                    N_("Over the run it saves the public purse {amount} (95 % CI {interval}), "
                       "counting benefits, services, subsidies, staff and taxes from work: "
                       "{payers}."))
        out.append(w.text(template, amount=w.euros(cost["mean"]),
                          interval=w.interval(cost, "eur"), payers="; ".join(parts)))
        per = e.get("target_cost_per_net_lasting_placement_eur")
        if per and not is_nan(per["mean"]):
            out.append(w.text(N_("Each net extra lasting placement in the target group costs "
                                 "{amount} (95 % CI {interval})."),
                              amount=w.eur(per["mean"]), interval=w.interval(per, "eur")))
    if any(k.startswith("provider") for k in lv):
        revenue = lv.get("provider_revenue_eur", {}).get("mean", math.nan)
        profit = lv.get("provider_profit_eur", {}).get("mean", math.nan)
        if not is_nan(revenue) and not is_nan(profit):
            out.append(w.text(N_("Providers earn {revenue} in fees and make {profit} in profit "
                                 "(see Provider economics)."),
                              revenue=w.eur(revenue), profit=w.eur(profit)))
        elif not is_nan(revenue):
            out.append(w.text(N_("Providers earn {revenue} in fees (see Provider economics)."),
                              revenue=w.eur(revenue)))
    return out
