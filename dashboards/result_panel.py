"""One result on the page: its title, headline, effects table, figures and the provider and
firm sections, read back from the store (``render_results``), and the rows a download holds."""

from __future__ import annotations

from typing import Any
from urllib.parse import parse_qsl, urlencode

import pandas as pd
from dash import dash_table, dcc, html

from dashboards import (
    language,
    result_sections,
    views,
)
from dashboards.glossary import help_text, plain_item_labels, why_box
from dashboards.headline_card import comparison_of, headline_block, scale_of
from dashboards.jobs import JobQueue
from dashboards.layout import (
    FONT,
    SMALL,
    WARN,
    _box,
    lever_panel,
    scenario_info,
)
from dashboards.levers import (
    WorkshopRequest,
)
from simulation.i18n import N_, Words


def _table(id_: str, rows: list[dict[str, str]], columns: list[tuple[str, str]]
           ) -> dash_table.DataTable:
    return dash_table.DataTable(
        id=id_, data=rows, columns=[{"name": name, "id": key} for key, name in columns],
        # hover help: each metric's catalogue description on its label
        tooltip_data=[{"label": {"value": help_text(r.get("metric", "")), "type": "text"}}
                      for r in rows],
        tooltip_delay=300, tooltip_duration=None, style_table={"overflowX": "auto"},
        style_cell={"fontSize": "12px", "fontFamily": FONT, "padding": "4px 8px",
                    "textAlign": "right"},
        style_cell_conditional=[{"if": {"column_id": c}, "textAlign": "left"}
                                for c in ("label", "unit", "reliability")],
        style_data_conditional=[{"if": {"filter_query": '{reliability} contains "⚠"'},
                                 "backgroundColor": "#fef9e7"}],
        style_header={"fontWeight": "700", "backgroundColor": "#eef2f5"})


def _title(job: Any, scope: str, w: Words = views.ENGLISH) -> str:
    who = w.gettext(N_("target group") if scope == "target" else N_("whole region"))
    return w.text(N_("{scenario} vs {baseline} — {who}, {n} job seekers, {weeks} weeks from "
                     "{start}, {replications} replications, seed {seed}"),
                  scenario=job.scenario.name, baseline=job.baseline.name, who=who,
                  n=w.count(job.scenario.region.job_seekers), weeks=str(job.weeks),
                  start=w.date(job.scenario.start_date), replications=str(job.replications),
                  seed=str(job.seed))


def render_results(queue: JobQueue, job_id: str, scope: str, w: Words = views.ENGLISH
                   ) -> list[Any]:
    job = queue.get(job_id)
    if job is None or job.status != "done":
        return [_box("These results are no longer in memory: press Run (stored runs are read "
                     "back at once).", WARN)]
    results = views.load_results(queue.store_root, job)
    rows = views.effects_rows(results, scope, w)
    notes = [_box(n, WARN, "reliability-warning") for n in views.warnings(results, rows, w)]
    title = _title(job, scope, w)
    scale = scale_of(results)
    size = (w.text(N_("At model size: {n} job seekers."), n=w.count(scale.modelled))
            if scale.modelled == scale.real else
            w.text(N_("At model size: {n} job seekers (the real region has {real}; the "
                      "headline above is scaled)."), n=w.count(scale.modelled),
                   real=w.count(scale.real)))
    out: list[Any] = [
        html.Div(title, id="results-title", style={"fontWeight": "600", "margin": "6px 0"}),
        *headline_block(results, w), why_box(comparison_of(results).effects, w), *notes,
        dcc.Graph(id="series-graph", figure=views.series_figure(results, scope, title, w),
                  config={"displaylogo": False}),
        html.H4(w.gettext(N_("Effects (scenario − baseline, paired by seed; 95 % intervals)"))),
        html.Div(size + " " + w.gettext(N_(
            "Hover a metric for its meaning; the Glossary tab lists them all.")), style=SMALL),
        _table("effects-table", rows, [(key, w.gettext(name)) for key, name in (
            ("label", N_("metric")), ("unit", N_("unit")), ("baseline", N_("baseline")),
            ("scenario", N_("scenario")), ("effect", N_("effect")), ("ci95_low", N_("95 % low")),
            ("ci95_high", N_("95 % high")), ("reliability", N_("reliability")))]),
        dcc.Graph(id="cost-graph", figure=plain_item_labels(views.cost_figure(
            results, scope, w.gettext(N_("Public cost (model size)")), w), w),
            config={"displaylogo": False}),
    ]
    out += result_sections.sections(queue.store_root, results, w)  # providers, firms
    return [part for part in out if part is not None]


def effects_csv(queue: JobQueue, job_id: str, scope: str) -> str:
    job = queue.get(job_id)
    results = views.load_results(queue.store_root, job)
    rows = [{"table": "effects", **r} for r in views.effects_rows(results, scope)]
    rows += [{"table": "providers", **r} for r in views.provider_rows(results)]
    rows += [{"table": "costs", "metric": f"{r['payer']}:{r['item']}", "label": r["item"],
              "unit": "€", "baseline": views.fmt(r.get("baseline", 0.0)),
              "scenario": views.fmt(r.get("scenario", 0.0))}
             for r in views.cost_rows(results, scope)]
    frame = pd.DataFrame(rows)
    frame.insert(1, "scenario_name", job.scenario.name)
    frame.insert(2, "baseline_name", job.baseline.name)
    frame.insert(3, "scope", scope)
    return frame.to_csv(index=False)


# --- the app ---------------------------------------------------------------------------------

def _with_scope(query: str, scope: str) -> str:
    pairs = dict(parse_qsl(query.lstrip("?"), keep_blank_values=True))
    pairs["scope"] = scope
    return "?" + urlencode(list(pairs.items()))


def _controls(request: WorkshopRequest) -> tuple[Any, ...]:
    w = language.page_words(request.lang)
    return (request.scenario, request.job_seekers, request.weeks, request.target,
            request.replications, request.seed, request.scope,
            lever_panel(request.scenario, request.levers, w), scenario_info(request.scenario, w))


