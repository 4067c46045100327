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
from simulation.params.fields import PAYERS
from simulation.report.sections import Section

PAYER_WORDS = {"state": ("the state", "pays", "saves"),
               "municipality": ("municipalities", "pay", "save"),
               "other": ("other funds (e.g. unemployment funds)", "pay", "save")}
FORMATS = {Kind.COUNT: "n", Kind.SHARE: "pp", Kind.POINTS: "pp", Kind.EUROS: "eur",
           Kind.WEEKS: "n1"}


def number_format(metric: Metric) -> str:
    """How the report writes a metric's values: ``pp``, ``eur``, ``n`` or ``n1``."""
    return FORMATS[metric.kind]


def is_nan(x: Any) -> bool:
    return x is None or (isinstance(x, float) and math.isnan(x))


def fmt_value(value: float, kind: str) -> str:
    if is_nan(value):
        return "–"
    if kind == "pp":
        return f"{100 * value:.1f} %"
    if kind == "eur":
        return fmt_eur(value)
    if kind == "n1":
        return f"{value:,.1f}"
    return f"{value:,.0f}"


def fmt_effect(value: float, kind: str) -> str:
    if is_nan(value):
        return "–"
    if kind == "pp":
        return f"{100 * value:+.1f} pp"
    if kind == "eur":
        return ("+" if value > 0 else "") + fmt_eur(value)
    if kind == "n1":
        return f"{value:+,.1f}"
    return f"{value:+,.0f}"


def fmt_eur(value: float) -> str:
    if is_nan(value):
        return "–"
    sign = "−" if value < 0 else ""
    v = abs(value)
    if v >= 1e6:
        return f"{sign}{v / 1e6:,.1f} M€"
    if v >= 1e4:
        return f"{sign}{v / 1e3:,.0f} k€"
    return f"{sign}{v:,.0f} €"


def interval(stats: Mapping[str, float], kind: str) -> str:
    low, high = stats.get("ci95_low", math.nan), stats.get("ci95_high", math.nan)
    if is_nan(low) or is_nan(high):
        return "–"
    if kind == "pp":
        return f"{100 * low:.1f} to {100 * high:.1f}"
    if kind == "eur":
        return f"{fmt_eur(low)} to {fmt_eur(high)}"
    return f"{low:,.0f} to {high:,.0f}" if kind == "n" else f"{low:,.1f} to {high:,.1f}"


def _sentence(stats: Mapping[str, float] | None, up: str, down: str, what: str, kind: str,
              levels: tuple[float, float] | None = None) -> str | None:
    """"raises X by 14 points (95 % CI 12 to 16)" or "no clear change in X"."""
    if not stats or is_nan(stats.get("mean")):
        return None
    mean = stats["mean"]
    if kind == "pp":
        size = f"{abs(100 * mean):.1f} percentage points"
    elif kind == "eur":
        size = fmt_eur(abs(mean))
    else:
        size = f"{abs(mean):,.0f}"
    span = f"95 % CI {interval(stats, kind)}"
    where = ""
    if levels and not any(is_nan(x) for x in levels):
        where = (f", from {100 * levels[0]:.1f} % to {100 * levels[1]:.1f} %" if kind == "pp"
                 else f", from {levels[0]:,.0f} to {levels[1]:,.0f}")
    if not significant(stats):
        return f"no clear change in {what} ({fmt_effect(mean, kind)}, {span})"
    return f"{up if mean > 0 else down} {what} by {size} ({span}){where}"


def summary_paragraphs(section: Section) -> list[str]:
    """The plain-words summary of one comparison."""
    e, lv, bl = section.comparison.effects, section.comparison.levels, section.baseline_levels
    sc = section.scenario
    who = sc.target_group.description
    weeks = section.scenario_runs[0].weekly["week"].max() if section.scenario_runs else sc.weeks

    def levels(key: str) -> tuple[float, float]:
        return bl.get(key, {}).get("mean", math.nan), lv.get(key, {}).get("mean", math.nan)

    out = [f"<b>{html.escape(sc.title or sc.name)}</b> compared with "
           f"<b>{html.escape(section.baseline.title or section.baseline.name)}</b> over "
           f"{weeks} weeks from {html.escape(sc.start_date)}, {len(section.scenario_runs)} "
           f"paired replications. The target group: {html.escape(who)} "
           f"(about {levels('target_job_seekers_end')[0]:,.0f} people at the end of the "
           f"baseline run)."]
    people = [s for s in (
        _sentence(e.get("target_activation_rate_end"), "raises", "lowers",
                  "the target group's activation rate at the end", "pp",
                  levels("target_activation_rate_end")),
        _sentence(e.get("target_sustained_3m"), "raises", "lowers",
                  "the target group's placements lasting at least 3 months", "n",
                  levels("target_sustained_3m")),
        _sentence(e.get("target_employed_share_end"), "raises", "lowers",
                  "the share of the initial target group employed at the end", "pp",
                  levels("target_employed_share_end")),
        _sentence(e.get("target_long_term_unemployed_end"), "raises", "lowers",
                  "the number of long-term unemployed in the target group at the end", "n",
                  levels("target_long_term_unemployed_end")),
    ) if s]
    clear = [s for s in people if not s.startswith("no clear change")]
    unclear = [s.removeprefix("no clear change in ") for s in people if s not in clear]
    if clear:
        out.append("The pilot " + "; ".join(clear) + ".")
    if unclear:
        out.append("There is no clear change in " + "; nor in ".join(unclear) + ".")
    outside = e.get("outside_placements")
    if outside is not None:
        text = _sentence(outside, "raises", "lowers",
                         "placements of job seekers outside the target group", "n")
        if text and not significant(outside):
            out.append(f"Outside the target group there is {text}.")
        elif text:
            out.append(f"Outside the target group, the pilot {text}"
                       + (" — people in the pilot partly take jobs others would have got "
                          "(displacement)." if outside["mean"] < 0 else "."))
    cost = e.get("cost_total_eur")
    if cost and not is_nan(cost["mean"]):
        parts = []
        for payer in PAYERS:
            stats = e.get(f"cost_{payer}_eur")
            if not stats or is_nan(stats["mean"]) or abs(stats["mean"]) < 1:
                continue
            subject, more, less = PAYER_WORDS[payer]
            mean = stats["mean"]
            parts.append((f"{subject} {more} {fmt_eur(mean)} more" if mean > 0
                          else f"{subject} {less} {fmt_eur(-mean)}")
                         + ("" if significant(stats) else " (not clearly different from zero)"))
        total = ("costs the public purse " + fmt_eur(cost["mean"]) + " more"
                 if cost["mean"] > 0 else "saves the public purse " + fmt_eur(-cost["mean"]))
        out.append(f"Over the run it {total} (95 % CI {interval(cost, 'eur')}), counting "
                   "benefits, services, subsidies, staff and taxes from work: "
                   + "; ".join(parts) + ".")
        per = e.get("target_cost_per_net_lasting_placement_eur")
        if per and not is_nan(per["mean"]):
            out.append(f"Each net extra lasting placement in the target group costs "
                       f"{fmt_eur(per['mean'])} (95 % CI {interval(per, 'eur')}).")
    if any(k.startswith("provider") for k in lv):
        revenue = lv.get("provider_revenue_eur", {}).get("mean", math.nan)
        profit = lv.get("provider_profit_eur", {}).get("mean", math.nan)
        if not is_nan(revenue):
            out.append(f"Providers earn {fmt_eur(revenue)} in fees"
                       + (f" and make {fmt_eur(profit)} in profit" if not is_nan(profit)
                          else "") + " (see Provider economics).")
    return out
