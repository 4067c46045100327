"""Many comparisons at a glance: one row per scenario with its headline effects and who pays,
and a forest plot of the headline effects across scenarios (the report's executive summary
and ``pilotsim compare``'s compact table)."""

from __future__ import annotations

import math
from collections.abc import Sequence

import plotly.graph_objects as go
from plotly.subplots import make_subplots

from simulation.engine.catalogue import metric
from simulation.experiments.compare import Comparison, significant
from simulation.i18n import N_, Words

# (effect key, column title, how to write it)
COLUMNS = (
    ("target_employed_end", N_("in work at the end (target)"), "count"),
    ("target_activation_rate_end", N_("activation (target), pp"), "points"),
    ("target_sustained_3m", N_("lasting placements (target)"), "count"),
    ("cost_total_eur", N_("public cost, net"), "euros"),
    ("cost_state_eur", N_("state"), "euros"),
    ("cost_municipality_eur", N_("municipalities"), "euros"),
    ("cost_other_eur", N_("other funds"), "euros"),
)
FOREST = ("target_employed_end", "target_activation_rate_end", "target_sustained_3m",
          "cost_total_eur")


def _cell(stats: dict[str, float] | None, how: str, w: Words) -> str:
    if not stats or math.isnan(stats.get("mean", math.nan)):
        return "–"
    fmt = getattr(w, how)
    mean = stats["mean"]
    sign = "−" if mean < 0 else "+"
    text = f"{sign}{fmt(mean)}"
    return text + ("" if significant(stats) else " ?")


def summary_rows(comparisons: Sequence[Comparison], w: Words | None = None,
                 weeks: Sequence[int] | None = None) -> tuple[list[str], list[list[str]]]:
    """Header and one row per comparison; a cell ends in ``?`` where the 95 % interval
    includes zero; provider profit where the scenario has providers. ``weeks``: each
    comparison's run length; where they differ, a column says which (euros are over the
    run, so they add up over different spans)."""
    w = w or Words()
    mixed = weeks is not None and len(set(weeks)) > 1
    header = [w.gettext(N_("scenario")), w.gettext(N_("vs")),
              *([w.gettext(N_("weeks"))] if mixed else []),
              *(w.gettext(title) for _, title, _ in COLUMNS), w.gettext(N_("provider profit"))]
    rows = []
    for i, c in enumerate(comparisons):
        profit = c.levels.get("provider_profit_eur")
        rows.append([c.scenario, c.baseline, *([str(weeks[i])] if mixed else []),
                     *(_cell(c.effects.get(key), how, w) for key, _, how in COLUMNS),
                     _cell(profit, "euros", w) if profit else "–"])
    return header, rows


def forest_figure(comparisons: Sequence[Comparison], w: Words | None = None) -> go.Figure:
    """The headline effects of every scenario with their 95 % intervals, one panel each."""
    w = w or Words()
    titles = [w.text(N_("{metric} (target)"), metric=w.gettext(metric(k.removeprefix(
        "target_")).label)) if k.startswith("target_") else w.gettext(metric(k).label)
        for k in FOREST]
    figure = make_subplots(rows=1, cols=len(FOREST), shared_yaxes=True,
                           subplot_titles=titles,
                           horizontal_spacing=0.03)
    names = [c.scenario for c in comparisons]
    for col, key in enumerate(FOREST, start=1):
        scale = 100.0 if metric(key.removeprefix("target_")).kind.value == "share" else 1.0
        means, lows, highs = [], [], []
        for c in comparisons:
            stats = c.effects.get(key, {})
            means.append(stats.get("mean", math.nan) * scale)
            lows.append(stats.get("ci95_low", math.nan) * scale)
            highs.append(stats.get("ci95_high", math.nan) * scale)
        figure.add_trace(go.Scatter(
            x=means, y=names, mode="markers", showlegend=False, marker={"size": 8},
            error_x={"type": "data", "symmetric": False,
                     "array": [h - m for h, m in zip(highs, means, strict=True)],
                     "arrayminus": [m - lo for m, lo in zip(means, lows, strict=True)]}),
            row=1, col=col)
        figure.add_vline(x=0, line_dash="dot", line_color="#888", row=1, col=col)
    figure.update_layout(height=120 + 28 * len(comparisons), margin={"l": 10, "r": 10, "t": 40},
                         template="plotly_white")
    return figure
