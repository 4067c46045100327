"""The provider and firm-side sections under a result (``dashboards.provider_view`` and
``dashboards.firm_view`` give the numbers; this module lays them out)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from dash import dash_table, dcc, html

from dashboards import firm_view, provider_view
from dashboards.views import ENGLISH, JobResults
from simulation.i18n import N_, Words

SMALL = {"fontSize": "12px", "color": "#5d6d7e", "lineHeight": "1.35"}
SENTENCE = {"fontSize": "14px", "margin": "4px 0 8px", "fontWeight": "600"}


def _table(table_id: str, rows: list[dict[str, str]], columns: list[tuple[str, str]], w: Words
           ) -> dash_table.DataTable:
    return dash_table.DataTable(
        id=table_id, data=rows,
        columns=[{"name": w.gettext(name) if name else "", "id": key} for key, name in columns],
        style_cell={"fontSize": "12px", "textAlign": "right", "padding": "3px 6px",
                    "fontFamily": "system-ui, sans-serif"},
        style_cell_conditional=[{"if": {"column_id": c}, "textAlign": "left"}
                                for c in ("section", "label", "unit")],
        style_header={"fontWeight": "700", "backgroundColor": "#eef2f5"})


def provider_section(store_root: Path | str, results: JobResults, w: Words = ENGLISH
                     ) -> list[Any]:
    view = provider_view.provider_view(store_root, results)
    if view is None:
        return []
    return [html.Div([
        html.H4(w.gettext(N_("Providers"))),
        html.Div(provider_view.headline(view, w), id="provider-headline", style=SENTENCE),
        html.Div(w.gettext(N_(
            "Mean and 95 % interval over replications. Deadweight: paid placements of "
            "people who were in work anyway in the baseline run with the same seed; "
            "creaming gap: how much more often the most employable third of clients was "
            "placed than the least employable third, beside the same people's gap in the "
            "baseline; parked: client-weeks with almost no staff time.")), style=SMALL),
        _table("provider-table", provider_view.display_rows(view, w), [
            ("section", ""), ("label", N_("metric")), ("unit", N_("unit")), ("mean", N_("mean")),
            ("ci95_low", N_("95 % low")), ("ci95_high", N_("95 % high"))], w),
        dcc.Graph(id="provider-profit-graph", figure=provider_view.profit_figure(view, w=w),
                  config={"displaylogo": False}),
    ], id="provider-view")]


def firm_section(results: JobResults, w: Words = ENGLISH) -> list[Any]:
    rows = firm_view.firm_rows(results)
    if not rows:
        return []
    return [html.Div([
        html.H4(w.gettext(N_("Firm side (whole region)"))),
        html.Div(firm_view.headline(rows, w), id="firm-headline", style=SENTENCE),
        _table("firm-table", firm_view.display_rows(rows, w), [
            ("label", N_("metric")), ("unit", N_("unit")), ("baseline", N_("baseline")),
            ("scenario", N_("scenario")), ("effect", N_("effect")), ("ci95_low", N_("95 % low")),
            ("ci95_high", N_("95 % high"))], w),
        dcc.Graph(id="firm-graph", figure=firm_view.effects_figure(rows, w=w),
                  config={"displaylogo": False}),
    ], id="firm-view")]


def sections(store_root: Path | str, results: JobResults, w: Words = ENGLISH) -> list[Any]:
    """Everything under the effects that only some scenarios have, in the page's language."""
    return [*provider_section(store_root, results, w), *firm_section(results, w)]
