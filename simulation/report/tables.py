"""The report's HTML tables: effects with intervals, cost by payer and item, providers."""

from __future__ import annotations

import html
import math
from collections.abc import Mapping, Sequence

import pandas as pd

from simulation.engine.catalogue import Kind, in_group, metric
from simulation.experiments.compare import significant
from simulation.report.sections import Section
from simulation.report.wording import fmt_effect, fmt_eur, fmt_value, interval, number_format


def html_table(header: Sequence[str], rows: Sequence[Sequence[str]], cls: str = "") -> str:
    head = "".join(f"<th>{html.escape(h)}</th>" for h in header)
    body = "".join("<tr>" + "".join(f"<td>{c}</td>" for c in row) + "</tr>" for row in rows)
    return f'<table class="{cls}"><thead><tr>{head}</tr></thead><tbody>{body}</tbody></table>'


def gross_net_table(section: Section) -> str:
    """What the programme would report (its own change over the run), the trend the baseline
    shows over the same weeks, and the net effect (gross − trend), for each scope; then the
    changes the programme itself reported, beside the same three over their period."""
    c = section.comparison
    rows = []
    for scope, label in (("target", "target group"), ("region", "whole region")):
        for column, row in c.gross_net.get(scope, {}).items():
            kind = number_format(metric(column))
            rows.append([html.escape(metric(column).wording), label, "–",
                         fmt_effect(row["gross"]["mean"], kind),
                         fmt_effect(row["trend"]["mean"], kind),
                         f"<b>{fmt_effect(row['net']['mean'], kind)}</b>",
                         interval(row["net"], kind)])
    for column, row in c.reported.items():
        kind = number_format(metric(column))
        start, end = row["weeks"]
        label = "target group" if row["scope"] == "target" else "whole region"
        reported = fmt_effect(row["reported"], kind)
        if row["reported_trend"] is not None:
            reported += f" (elsewhere {fmt_effect(row['reported_trend'], kind)})"
        rows.append([f"{html.escape(metric(column).wording)}, weeks {start}–{end}", label,
                     reported, fmt_effect(row["gross"]["mean"], kind),
                     fmt_effect(row["trend"]["mean"], kind),
                     f"<b>{fmt_effect(row['net']['mean'], kind)}</b>",
                     interval(row["net"], kind)])
    return html_table(["change", "scope", "reported", "gross (scenario)", "trend (baseline)",
                       "net effect", "95 % CI of net"], rows, "num")


def effects_table(section: Section) -> str:
    e, lv, bl = section.comparison.effects, section.comparison.levels, section.baseline_levels
    rows = []
    for prefix, scope in (("target_", "target group"), ("", "whole region")):
        for key in in_group("report_effects"):
            name = f"{prefix}{key}"
            if name not in e:
                continue
            stats, shown = e[name], metric(key)
            kind = number_format(shown)
            mark = "✔" if significant(stats) else ""
            rows.append([html.escape(shown.wording), scope,
                         fmt_value(bl.get(name, {}).get("mean", math.nan), kind),
                         fmt_value(lv.get(name, {}).get("mean", math.nan), kind),
                         f"<b>{fmt_effect(stats['mean'], kind)}</b>",
                         interval(stats, kind), mark])
    return html_table(["metric", "scope", "baseline", "scenario", "effect", "95 % CI",
                       "CI excludes 0"], rows, "num")


def cost_table(frame: pd.DataFrame) -> str:
    rows = []
    for payer, group in frame.groupby("payer", sort=False):
        for row in group.itertuples():
            if abs(row.baseline) < 0.5 and abs(row.scenario) < 0.5:
                continue
            stats = {"mean": row.mean, "ci95_low": row.ci95_low, "ci95_high": row.ci95_high}
            rows.append([html.escape(str(payer)), html.escape(str(row.item).replace("_", " ")),
                         fmt_eur(row.baseline), fmt_eur(row.scenario),
                         f"<b>{fmt_effect(row.mean, 'eur')}</b>", interval(stats, "eur"),
                         _who(row.mean, stats)])
        total = group[["baseline", "scenario", "mean"]].sum()
        rows.append([f"<b>{html.escape(str(payer))}, total</b>", "",
                     f"<b>{fmt_eur(total['baseline'])}</b>", f"<b>{fmt_eur(total['scenario'])}</b>",
                     f"<b>{fmt_effect(total['mean'], 'eur')}</b>", "", _who(total["mean"], None)])
    return html_table(["payer", "item", "baseline", "scenario", "change", "95 % CI", ""], rows,
                      "num")


def _who(mean: float, stats: Mapping[str, float] | None) -> str:
    if abs(mean) < 1:
        return ""
    word = "pays more" if mean > 0 else "saves"
    if stats is not None and not significant(stats):
        word += " (unclear)"
    return word


def provider_table(section: Section) -> str | None:
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
                     fmt_value(stats["mean"], kind), interval(stats, kind),
                     fmt_effect(effect["mean"], kind) if effect else "–"])
    return html_table(["provider metric", "scenario (mean)", "95 % CI", "effect vs baseline"],
                      rows, "num")
