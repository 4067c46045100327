"""The report's plotly figures: weekly paths with bands across replications, and the change
in cost by payer; ``Figures`` embeds them in the page with plotly.js inline once."""

from __future__ import annotations

import base64
from collections.abc import Sequence
from datetime import date, timedelta
from functools import cache
from typing import Any

import numpy as np
import pandas as pd

from simulation.engine.catalogue import Kind, in_group, metric
from simulation.engine.results import RunResult
from simulation.experiments.statistics import weekly_bands
from simulation.i18n import N_, Words
from simulation.params.fields import PAYERS
from simulation.report.sections import Section

COLOURS = {"baseline": "#7f7f7f", "scenario": "#1f77b4"}


def series_figure(section: Section, w: Words | None = None) -> dict[str, Any]:
    """The weekly paths of the report's series, by scope: a plotly figure as a plain dict.

    A report draws this figure once per comparison with 2 × series × 4 traces each; built
    as graph objects, plotly validated and deep-copied every trace (≈ 2 s for the main
    job's 18 comparisons). The subplot layout is plotly's own, made once per language.
    """
    w = w or Words()
    series = [metric(name) for name in in_group("report_series")]
    start = date.fromisoformat(section.scenario.start_date)
    roles = (("baseline", section.baseline_runs, section.baseline.name),
             ("scenario", section.scenario_runs, section.scenario.name))
    data = []
    for row, scope in enumerate(("target", "region")):
        paths = {role: weekly_bands(_weekly(runs, scope), [m.name for m in series])
                 for role, runs, _ in roles}
        for col, m in enumerate(series):
            scale = 100.0 if m.kind is Kind.SHARE else 1.0  # shares in %
            number = row * len(series) + col + 1  # the subplot's axes, as make_subplots names
            axes = {"xaxis": "x" if number == 1 else f"x{number}",
                    "yaxis": "y" if number == 1 else f"y{number}"}
            for role, _runs, name in roles:
                bands = paths[role][paths[role]["series"] == m.name]
                x = [(start + timedelta(weeks=int(w))).isoformat() for w in bands["week"]]
                colour = COLOURS[role]
                first = row == 0 and col == 0
                data.append({
                    "type": "scatter", "x": x + x[::-1],
                    "y": list(scale * bands["p90"]) + list(scale * bands["p10"])[::-1],
                    "fill": "toself", "fillcolor": _rgba(colour, 0.2), "line": {"width": 0},
                    "hoverinfo": "skip", "showlegend": first, "legendgroup": role,
                    "name": w.text(N_("{name}: 10–90 % of replications"), name=name), **axes})
                data.append({
                    "type": "scatter", "x": x, "y": _typed(scale * bands["mean"].to_numpy()),
                    "mode": "lines", "line": {"color": colour}, "legendgroup": role,
                    "showlegend": first, "name": w.text(N_("{name}: mean"), name=name),
                    **axes})
    titles = tuple(w.text(N_("{metric} — {scope}"), metric=w.gettext(m.label),
                          scope=w.gettext(scope))
                   for scope in (N_("target group"), N_("whole region")) for m in series)
    return {"data": data, "layout": _series_layout(titles)}


@cache
def _series_layout(titles: tuple[str, ...]) -> dict[str, Any]:
    """The series figure's layout (2 rows of subplots, their titles, the legend) as plotly
    makes it; read only."""
    from plotly.subplots import make_subplots

    fig = make_subplots(rows=2, cols=len(titles) // 2, subplot_titles=titles,
                        vertical_spacing=0.14)
    fig.update_layout(height=620, margin={"t": 60, "b": 40},
                      legend={"orientation": "h", "y": -0.08})
    return fig.to_plotly_json()["layout"]


def _typed(values: np.ndarray) -> dict[str, str]:
    """Float values as plotly.js's typed-array spec (what plotly writes for numpy arrays)."""
    return {"dtype": "f8",
            "bdata": base64.b64encode(np.ascontiguousarray(values, "<f8").tobytes()).decode()}


def _weekly(runs: Sequence[RunResult], scope: str) -> pd.DataFrame:
    """One scope's weekly rows of every run, with its replication."""
    return pd.concat([r.weekly[r.weekly["scope"] == scope].assign(replication=r.replication)
                      for r in runs], ignore_index=True)


def cost_figure(frame: pd.DataFrame, title: str, w: Words | None = None):  # noqa: ANN201
    import plotly.graph_objects as go

    w = w or Words()
    fig = go.Figure()
    shown = frame[(frame["mean"].abs() >= 1)]
    for item, group in shown.groupby("item", sort=True):
        fig.add_trace(go.Bar(x=[w.term(str(p)) for p in group["payer"]],
                             y=group["mean"] / 1e6, name=w.term(str(item)),
                             error_y={"type": "data", "symmetric": False,
                                      "array": (group["ci95_high"] - group["mean"]) / 1e6,
                                      "arrayminus": (group["mean"] - group["ci95_low"]) / 1e6}))
    fig.update_layout(barmode="relative", title=title, height=420,
                      yaxis_title=w.gettext(N_("change in cost, M€ (negative = saving)")),
                      separators=w.number(1234.5, 1)[-2] + w.number(1234.5, 1)[1],
                      xaxis={"categoryorder": "array",
                             "categoryarray": [w.term(p) for p in PAYERS]})
    return fig


def _rgba(hex_colour: str, alpha: float) -> str:
    r, g, b = (int(hex_colour[i:i + 2], 16) for i in (1, 3, 5))
    return f"rgba({r},{g},{b},{alpha})"


class Figures:
    """Plotly figures as HTML; the first carries plotly.js inline, the rest reuse it."""

    def __init__(self) -> None:
        self.count = 0

    def html(self, fig: Any) -> str:
        """``fig``: a plotly figure, or one as a dict (written as it is, not validated)."""
        import plotly.io as pio

        self.count += 1
        return pio.to_html(fig, validate=False, full_html=False,
                           include_plotlyjs=self.count == 1, div_id=f"figure-{self.count}",
                           config={"displaylogo": False, "responsive": True})
