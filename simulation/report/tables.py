"""The report's HTML tables: effects with intervals, cost by payer and item, providers."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import pandas as pd

from simulation.engine.catalogue import Kind, in_group, metric
from simulation.experiments.compare import significant
from simulation.i18n import N_, Words
from simulation.report.sections import Section
from simulation.report.wording import ENGLISH, number_format


def html_table(header: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "",
               w: Words = ENGLISH) -> str:
    """A table; the header's words are translated in the language of ``w``."""
    head = "".join(f"<th>{html.escape(w.gettext(h) if h else h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def gross_net_table(section: Section, w: Words = ENGLISH) -> str:
    """What the programme would report (its own change over the run), the trend the baseline
    shows over the same weeks, and the net effect (gross − trend), for each scope; then the
    changes the programme itself reported, beside the same three over their period."""
    c = section.comparison
    rows = []
    for scope, label in (("target", w.gettext(N_("target group"))),
                         ("region", w.gettext(N_("whole region")))):
        for column, row in c.gross_net.get(scope, {}).items():
            kind = number_format(metric(column))
            rows.append([html.escape(w.gettext(metric(column).wording)), label, "–",
                         w.effect(row["gross"]["mean"], kind),
                         w.effect(row["trend"]["mean"], kind),
                         f"<b>{w.effect(row['net']['mean'], kind)}</b>",
                         w.interval(row["net"], kind)])
    for column, row in c.reported.items():
        kind = number_format(metric(column))
        start, end = row["weeks"]
        label = w.gettext(N_("target group") if row["scope"] == "target"
                          else N_("whole region"))
        reported = w.effect(row["reported"], kind)
        if row["reported_trend"] is not None:
            reported = w.text(N_("{reported} (elsewhere {trend})"), reported=reported,
                              trend=w.effect(row["reported_trend"], kind))
        what = w.text(N_("{metric}, weeks {start}–{end}"),
                      metric=w.gettext(metric(column).wording), start=str(start), end=str(end))
        rows.append([html.escape(what), label,
                     reported, w.effect(row["gross"]["mean"], kind),
                     w.effect(row["trend"]["mean"], kind),
                     f"<b>{w.effect(row['net']['mean'], kind)}</b>",
                     w.interval(row["net"], kind)])
    return html_table([N_("change"), N_("scope"), N_("reported"), N_("gross (scenario)"),
                       N_("trend (baseline)"), N_("net effect"), N_("95 % CI of net")], rows,
                      "num", w)


def effects_table(section: Section, w: Words = ENGLISH) -> str:
    e, lv, bl = section.comparison.effects, section.comparison.levels, section.baseline_levels
    rows = []
    for prefix, scope in (("target_", w.gettext(N_("target group"))),
                          ("", w.gettext(N_("whole region")))):
        for key in in_group("report_effects"):
            name = f"{prefix}{key}"
            if name not in e:
                continue
            stats, shown = e[name], metric(key)
            kind = number_format(shown)
            mark = "✔" if significant(stats) else ""
            rows.append([html.escape(w.gettext(shown.wording)), scope,
                         w.value(bl.get(name, {}).get("mean", math.nan), kind),
                         w.value(lv.get(name, {}).get("mean", math.nan), kind),
                         f"<b>{w.effect(stats['mean'], kind)}</b>",
                         w.interval(stats, kind), mark])
    return html_table([N_("metric"), N_("scope"), N_("baseline"), N_("scenario"), N_("effect"),
                       N_("95 % CI"), N_("CI excludes 0")], rows, "num", w)


def cost_table(frame: pd.DataFrame, w: Words = ENGLISH) -> str:
    """Cost by payer and item; payers and items in the glossary's words."""
    rows = []
    for payer, group in frame.groupby("payer", sort=False):
        for row in group.itertuples():
            if abs(row.baseline) < 0.5 and abs(row.scenario) < 0.5:
                continue
            stats = {"mean": row.mean, "ci95_low": row.ci95_low, "ci95_high": row.ci95_high}
            rows.append([html.escape(w.term(str(payer))), html.escape(w.term(str(row.item))),
                         w.eur(row.baseline), w.eur(row.scenario),
                         f"<b>{w.effect(row.mean, 'eur')}</b>", w.interval(stats, "eur"),
                         _who(row.mean, stats, w)])
        total = group[["baseline", "scenario", "mean"]].sum()
        total_label = w.text(N_("{payer}, total"), payer=w.term(str(payer)))
        rows.append([f"<b>{html.escape(total_label)}</b>", "",
                     f"<b>{w.eur(total['baseline'])}</b>", f"<b>{w.eur(total['scenario'])}</b>",
                     f"<b>{w.effect(total['mean'], 'eur')}</b>", "",
                     _who(total["mean"], None, w)])
    return html_table([N_("payer"), N_("item"), N_("baseline"), N_("scenario"), N_("change"),
                       N_("95 % CI"), ""], rows, "num", w)


def _who(mean: float, stats: Mapping[str, float] | None, w: Words = ENGLISH) -> str:
    if abs(mean) < 1:
        return ""
    unclear = stats is not None and not significant(stats)
    if mean > 0:
        return w.gettext(N_("pays more (unclear)") if unclear else N_("pays more"))
    return w.gettext(N_("saves (unclear)") if unclear else N_("saves"))


def provider_table(section: Section, w: Words = ENGLISH) -> str | None:
    lv, e = section.comparison.levels, section.comparison.effects
    keys = [k for k in lv if k.startswith("provider")]
    if not keys:
        return None
    rows = []
    for key in keys:
        stats, effect = lv[key], e.get(key)
        # one decimal for the rest: counts (often a few providers) and, as before, the
        # creaming gaps, though they are differences of shares
        kind = {Kind.SHARE: "pp", Kind.EUROS: "eur"}.get(metric(key).kind, "n1")
        rows.append([html.escape(key.removeprefix("provider_").replace("_", " ")),
                     w.value(stats["mean"], kind), w.interval(stats, kind),
                     w.effect(effect["mean"], kind) if effect else "–"])
    return html_table([N_("provider metric"), N_("scenario (mean)"), N_("95 % CI"),
                       N_("effect vs baseline")], rows, "num", w)
