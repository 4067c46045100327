"""The workshop dashboard: build a scenario, run it against its baseline, compare, share.

``create_app(queue)`` returns a Dash app whose callbacks only validate requests
(``dashboards.levers``), submit runs to the bounded queue (``dashboards.jobs``) and read
results back from the store (``dashboards.views``). The state of the view lives in the URL
query string, so a link reproduces it. Nothing from the browser is a path or code.
"""

from __future__ import annotations

import io
import time
from importlib import resources
from typing import Any
from urllib.parse import parse_qsl, urlencode

import flask
import pandas as pd
from dash import ALL, Dash, Input, Output, State, ctx, dash_table, dcc, html, no_update

from dashboards import (
    contract_panel,
    design_panel,
    downloads,
    language,
    options,
    page_text,
    posterior_view,
    queue_view,
    region_form,
    result_sections,
    views,
)
from dashboards.glossary import glossary_section, help_text, plain_item_labels, why_box
from dashboards.headline_card import comparison_of, headline_block, scale_of
from dashboards.jobs import JobQueue, QueueFull
from dashboards.lever_view import lever_item
from dashboards.levers import (
    MAX_DRAWS,
    MAX_JOB_SEEKERS,
    MAX_REPLICATIONS,
    MAX_SEED,
    MAX_WEEKS,
    MIN_DRAWS,
    MIN_JOB_SEEKERS,
    MIN_WEEKS,
    TARGET_GROUPS,
    WORKSHOP_JOB_SEEKERS,
    Lever,
    RequestError,
    WorkshopRequest,
    baseline_name,
    build_request,
    check_draws,
    levers_for,
    library_scenario,
    parse_query,
    resolve,
    scenario_names,
)
from dashboards.page_text import say
from dashboards.picker import grouped_options
from simulation.i18n import N_, Words

DEFAULT_SCENARIO = "pirkanmaa"
POLL_MS = 700

FONT = "system-ui, -apple-system, 'Segoe UI', Roboto, sans-serif"
CARD = {"background": "white", "border": "1px solid #dde3ea", "borderRadius": "8px",
        "padding": "12px 14px", "marginBottom": "12px"}
SMALL = {"fontSize": "11px", "color": "#5d6d7e", "lineHeight": "1.3"}
ERROR = {"background": "#fdecea", "border": "1px solid #e6a19a", "color": "#922b21",
         "borderRadius": "6px", "padding": "8px 10px", "margin": "8px 0"}
WARN = {"background": "#fef5e7", "border": "1px solid #f0c27b", "color": "#7e5109",
        "borderRadius": "6px", "padding": "8px 10px", "margin": "8px 0"}
INFO = {"background": "#eaf2f8", "border": "1px solid #a9cce3", "color": "#1b4f72",
        "borderRadius": "6px", "padding": "8px 10px", "margin": "8px 0"}
BUTTON = {"padding": "6px 10px", "marginRight": "6px", "marginBottom": "6px",
          "border": "1px solid #aab7c4", "borderRadius": "5px", "background": "#f4f6f7",
          "cursor": "pointer", "fontSize": "13px"}
RUN_BUTTON = {**BUTTON, "background": "#c0392b", "color": "white", "border": "none",
              "fontSize": "15px", "padding": "8px 22px", "fontWeight": "600"}


def _box(messages: list[str] | str, style: dict[str, str], box_id: str | None = None
         ) -> html.Div:
    items = [messages] if isinstance(messages, str) else messages
    return html.Div([html.Div(m) for m in items], style=style, className="message",
                    **({"id": box_id} if box_id else {}))


def _number_input(id_: str, value: int, low: int, high: int) -> dcc.Input:
    # no min/max in the browser: out-of-range values reach the server, which says why
    return dcc.Input(id=id_, type="number", value=value, step=1, debounce=True,
                     style={"width": "140px"})


def _row(label: Any, control: Any, note: Any = "") -> html.Div:
    return html.Div([html.Label(label, style={"fontWeight": "600", "fontSize": "13px"}),
                     html.Div(control), html.Div(note, style=SMALL)],
                    style={"marginBottom": "8px"})


def _num(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"


def lever_panel(name: str, values: dict[str, float] | None = None, w: Words = views.ENGLISH
                ) -> list[Any]:
    """The levers of a scenario, grouped, each with unit, range and the source of its default,
    in the language of ``w`` (redrawn with the same values when the language changes)."""
    values = values or {}
    groups: dict[str, list[Lever]] = {}
    for lever in levers_for(name):
        if lever.group != "Contract":  # drawn by contract_panel, with its template choice
            groups.setdefault(lever.group, []).append(lever)
    out: list[Any] = []
    for group, levers in groups.items():
        items = [lever_item(lever, values.get(lever.path, lever.default), w)
                 for lever in levers]
        out.append(html.Details([html.Summary(w.gettext(group),
                                              style={"fontWeight": "700", "cursor": "pointer"}),
                                 html.Div(items, style={"paddingTop": "6px"})],
                                open=group != "Services and capacities",
                                style={"marginBottom": "8px"}))
    return out + contract_panel.contract_panel(name, values, w)


def lever_values(values: list[Any], ids: list[Any]) -> dict[str, Any]:
    """The levers on the page by path, as the browser holds them (the contract template too)."""
    out: dict[str, Any] = {}
    for id_, value in zip(ids or [], values or [], strict=False):
        key = id_.get("key") if isinstance(id_, dict) else None
        if isinstance(key, str):
            out[key] = value
    return out


def scenario_info(name: str, w: Words = views.ENGLISH) -> list[Any]:
    scenario = library_scenario(name)
    base = baseline_name(scenario)
    compared = (w.gettext(N_("Compared with: itself as shipped (your lever changes against the "
                             "library values) — same seeds, population, weeks and target "
                             "group.")) if base == name else
                w.text(N_("Compared with: {baseline} — same seeds, population, weeks and "
                          "target group."), baseline=base))
    # the title is data (the scenario file's own words)
    return [html.Div(scenario.title, style={"fontWeight": "600"}),
            html.Div(compared, style=SMALL)]


def _literal_brackets(markdown: str) -> str:
    """Intervals such as ``[0.13, 0.22]`` are text, not links (code spans stay as written)."""
    parts = markdown.split("`")
    return "`".join(part.replace("[", "\\[") if i % 2 == 0 else part
                    for i, part in enumerate(parts))


def calibration_view() -> list[Any]:
    """The fit report if one has been written, else the targets and their sources."""
    folder = resources.files("calibration")
    report = folder / "report.md"
    if report.is_file():
        return [dcc.Markdown(_literal_brackets(report.read_text(encoding="utf-8")),
                             id="calibration-report")]
    targets = pd.read_csv(io.StringIO((folder / "targets.csv").read_text(encoding="utf-8")))
    columns = [c for c in ("target_id", "scenario", "metric", "scope", "value", "unit",
                           "tolerance", "use", "source") if c in targets]
    return [
        _box("No fit report yet (calibration/report.md): run `pilotsim calibrate` to write "
             "it. Below: the calibration targets and their sources.", INFO),
        dash_table.DataTable(id="calibration-targets",
                             data=targets[columns].fillna("").to_dict("records"),
                             columns=[{"name": c, "id": c} for c in columns],
                             style_cell={"fontSize": "12px", "textAlign": "left",
                                         "whiteSpace": "normal", "height": "auto",
                                         "fontFamily": FONT},
                             style_header={"fontWeight": "700"}, page_size=40)]


def build_panel() -> html.Div:
    names = scenario_names()
    # the Run button and the one status line sit in a bar at the top of the build column
    # (sticky): on a laptop screen they stay in view beside the results however long the
    # lever list is; on a narrow screen the bar is fixed to the bottom of the window
    run_bar = html.Div([
        html.Button(say(N_("Run")), id="run", n_clicks=0, style=RUN_BUTTON),
        html.Div(id="run-message"),
        html.Div(id="progress", style={"marginTop": "4px", "fontSize": "13px"}),
    ], className="run-bar")
    return html.Div([
        run_bar,
        html.H3(say(N_("Build")), style={"marginTop": "4px"}),
        _row(say(N_("Scenario")), dcc.Dropdown(
            id="scenario", options=grouped_options(),
            value=DEFAULT_SCENARIO if DEFAULT_SCENARIO in names else names[0],
            clearable=False, optionHeight=44, maxHeight=420)),
        html.Div(id="scenario-info", style={"marginBottom": "10px"}),
        _row(say(N_("Job seekers [persons]")), _number_input(
            "job_seekers", WORKSHOP_JOB_SEEKERS, MIN_JOB_SEEKERS, MAX_JOB_SEEKERS),
            say(N_("{low}–{high}; workshop default {default} for speed (results are scaled to "
                   "the real region and say so)"), low=MIN_JOB_SEEKERS, high=MAX_JOB_SEEKERS,
                default=WORKSHOP_JOB_SEEKERS)),
        _row(say(N_("Weeks")), _number_input("weeks", 74, MIN_WEEKS, MAX_WEEKS),
             say(N_("{low}–{high}; default: the scenario's period"), low=MIN_WEEKS,
                 high=MAX_WEEKS)),
        _row(say(N_("Target group")), dcc.Dropdown(
            id="target", options=target_options(views.ENGLISH), value="scenario",
            clearable=False), say(N_("applies to the scenario and its baseline"))),
        html.Div(id="levers"),
        html.H3(say(N_("Run settings"))),
        _row(say(N_("Replications")), _number_input("replications", 5, 1, MAX_REPLICATIONS),
             say(N_("1–{high}; at least 5 for reliable intervals"), high=MAX_REPLICATIONS)),
        _row(say(N_("Seed")), _number_input("seed", 2017, 0, MAX_SEED),
             say(N_("replication i of scenario and baseline share seed child i"))),
        _row(say(N_("Parameter uncertainty [posterior draws]")),
             _number_input("draws", 0, 0, MAX_DRAWS),
             say(N_("0 = off, or {low}–{high}: the replications are also run under that many "
                    "parameter sets drawn from the calibration posterior, and the effects get "
                    "intervals that include parameter uncertainty (draws × replications more "
                    "runs)"), low=MIN_DRAWS, high=MAX_DRAWS)),
        design_panel.panel(),
    ], style=CARD, className="build-panel")


def target_options(w: Words) -> list[dict[str, str]]:
    # the label only is translated: the English description is what a run records
    return [{"label": w.gettext(label), "value": key}
            for key, (label, _) in TARGET_GROUPS.items()]


def scope_options(w: Words) -> list[dict[str, str]]:
    return [{"label": " " + w.gettext(N_("target group")), "value": "target"},
            {"label": " " + w.gettext(N_("whole region")), "value": "region"}]


def compare_panel() -> html.Div:
    return html.Div([
        html.Div([
            html.H3(say(N_("Compare")), style={"margin": "0 16px 0 0"}),
            dcc.RadioItems(id="scope", options=scope_options(views.ENGLISH), value="target",
                           inline=True, inputStyle={"marginLeft": "10px"}),
            html.Button(say(N_("Pin as option")), id="pin", n_clicks=0,
                        title="Keep this result as a named option to compare side by side",
                        style={**BUTTON, "marginLeft": "auto", "background": "#eaf2f8"}),
        ], style={"display": "flex", "alignItems": "center", "marginBottom": "8px",
                  "flexWrap": "wrap", "gap": "6px"}),
        html.Div(id="pin-message", style=SMALL),
        html.Div(id="stale"),
        html.Div([
            html.Button(say(N_("Data (CSV)")), id="download-csv-button", style=BUTTON),
            html.Button(say(N_("Weekly series (CSV)")), id="download-weekly-button",
                        style=BUTTON),
            html.Button(say(N_("Time-series figure (PNG)")), id="download-series-button",
                        style=BUTTON),
            html.Button(say(N_("Cost figure (PNG)")), id="download-cost-button", style=BUTTON),
            html.Span(say(N_("Share: copy the address bar — the link restores this view.")),
                      style=SMALL),
        ]),
        dcc.Loading(html.Div(id="results", children=_placeholder()), type="circle",
                    delay_show=400),
        html.Div(id="posterior-view"),  # effects with parameter uncertainty (posterior_view)
    ], style=CARD, className="compare-panel")


def _placeholder(w: Words = views.ENGLISH) -> html.Div:
    return _box(w.gettext(N_("Choose a scenario, change its levers and press Run. Results of "
                             "runs already in the results store appear at once.")), INFO)


TABS = (("workshop", N_("Build, run and compare")), ("options", N_("Options side by side")),
        ("calibration", N_("Calibration")), ("glossary", N_("Glossary")),
        ("region", N_("New region")))


def tab_bar() -> html.Div:
    """Tabs as buttons (focusable, Enter and Space work) with the ARIA tab roles."""
    # the options tab's label is written by ``show_tab`` (it counts the pinned options)
    return html.Div([html.Button(label if value == "options" else say(label),
                                 id=f"tab-{value}", n_clicks=0, role="tab",
                                 className="tab", **{"aria-controls": f"panel-{value}"})
                     for value, label in TABS], id="tabs", role="tablist",
                    **{"aria-label": "Views"})


def layout() -> html.Div:
    return html.Div([
        dcc.Location(id="url", refresh=False),
        dcc.Store(id="job"), dcc.Store(id="ready"), dcc.Store(id="request-query"),
        dcc.Store(id="own-query"),
        dcc.Interval(id="poll", interval=POLL_MS, disabled=True),
        dcc.Interval(id="options-poll", interval=2 * POLL_MS, disabled=True),
        dcc.Interval(id="posterior-poll", interval=2 * POLL_MS, disabled=True),
        dcc.Download(id="download"),
        html.Div([
            language.picker(),
            html.Span("pilotsim", style={"fontWeight": "800", "fontSize": "22px"}),
            html.Span([" ", say(N_("workshop — try a labour-market intervention before the "
                                   "pilot"))], style={"fontSize": "15px", "color": "#5d6d7e"}),
        ], style={"padding": "8px 16px 4px 16px"}),
        html.Div(id="link-message", style={"padding": "0 16px"}),
        tab_bar(),
        html.Div(html.Div([build_panel(), compare_panel()], className="workspace"),
                 id="panel-workshop", role="tabpanel", className="panel"),
        html.Div(html.Div([
            html.H3(say(N_("Options side by side"), at="heading"), style={"marginTop": 0}),
            html.Div(id="options-view")], style=CARD),
            id="panel-options", role="tabpanel", className="panel",
            style={"display": "none", "padding": "12px"}),
        html.Div(html.Div(calibration_view(), style=CARD), id="panel-calibration",
                 role="tabpanel", className="panel", style={"display": "none",
                                                             "padding": "12px"}),
        html.Div(html.Div(glossary_section(), style=CARD), id="panel-glossary",
                 role="tabpanel", className="panel", style={"display": "none",
                                                             "padding": "12px"}),
        html.Div(html.Div(region_form.panel(), style=CARD), id="panel-region",
                 role="tabpanel", className="panel", style={"display": "none",
                                                            "padding": "12px"}),
    ], style={"fontFamily": FONT, "background": "#f4f6f8", "minHeight": "100vh"})


# The page's few layout rules that inline styles cannot say (sticky columns, the narrow
# screen); inline styles would win over a media query, so the panels' sizes live only here.
PAGE_CSS = """
.workspace { display: flex; gap: 14px; padding: 12px; align-items: flex-start; }
.build-panel { width: 340px; flex: 0 0 340px; box-sizing: border-box; position: sticky;
  top: 0; max-height: 100vh; overflow-y: auto; padding-top: 0 !important; }
.compare-panel { flex: 1 1 auto; min-width: 0; }
.run-bar { position: sticky; top: 0; z-index: 5; background: white; padding: 10px 0 6px 0;
  border-bottom: 1px solid #eef2f5; }
#tabs { display: flex; flex-wrap: wrap; gap: 4px; padding: 0 12px;
  border-bottom: 1px solid #d6dbdf; }
.tab { border: 1px solid #d6dbdf; border-bottom: none; border-radius: 6px 6px 0 0;
  background: #eef2f5; padding: 7px 14px; font-size: 14px; cursor: pointer; }
.tab[aria-selected="true"] { background: white; font-weight: 700; }
.tab:focus-visible { outline: 3px solid #2e86c1; outline-offset: 1px; }
#results.stale, .stale #results { opacity: 0.5; }
.dash-dropdown-value-item, .dash-dropdown-value-item span { white-space: normal; }
.dash-dropdown { max-width: 100%; }
@media (max-width: 760px) {
  .workspace { flex-direction: column; align-items: stretch; padding: 6px; gap: 8px; }
  .build-panel { width: auto; flex: none; position: static; max-height: none;
    padding-bottom: 90px !important; }
  .compare-panel { order: -1; width: auto; }
  .run-bar { position: fixed; top: auto; bottom: 0; left: 0; right: 0; padding: 8px 12px;
    border-top: 1px solid #d6dbdf; box-shadow: 0 -2px 6px rgba(0,0,0,0.08); }
  .run-bar .message { margin: 4px 0; }
}
"""
INDEX = """<!DOCTYPE html>
<html lang="en"><head>{%metas%}<title>{%title%}</title>{%favicon%}{%css%}
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>""" + PAGE_CSS + """</style></head>
<body style="margin:0">{%app_entry%}<footer>{%config%}{%scripts%}{%renderer%}</footer></body>
</html>"""


# --- rendering results ---------------------------------------------------------------------

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


def create_app(queue: JobQueue) -> Dash:
    app = Dash(__name__, title="pilotsim workshop", update_title=None,
               assets_folder="assets-not-used", suppress_callback_exceptions=True)
    app.server.config["MAX_CONTENT_LENGTH"] = 1_000_000  # no large posts from the browser
    app.index_string = INDEX
    app.layout = layout
    contract_panel.register(app)
    queue_view.register(app)
    downloads.register(app)
    design_panel.register(app, queue)
    language.register(app)
    page_text.register(app)
    region_form.register(app)

    @app.callback(
        Output("scenario", "value"), Output("job_seekers", "value"), Output("weeks", "value"),
        Output("target", "value"), Output("replications", "value"), Output("seed", "value"),
        Output("scope", "value"), Output("levers", "children"),
        Output("scenario-info", "children"), Output("link-message", "children"),
        Output("ready", "data"), Output("request-query", "data"),
        Input("url", "search"), Input("scenario", "value"), State("own-query", "data"),
        State(language.LANG_KEY, "value"))
    def sync(search: str | None, scenario: str | None, own: str | None, lang: Any = "en"
             ) -> tuple[Any, ...]:
        """Controls from the link on load; the levers of a newly chosen scenario."""
        # the link's language first: on load the picker may not have taken it yet
        w = language.page_words(language.lang_of(search) or lang)
        keep = (no_update,) * 7
        if ctx.triggered_id == "scenario":
            if scenario not in scenario_names():
                return (*keep, [], [], _box("Unknown scenario", ERROR), no_update, no_update)
            weeks = library_scenario(scenario).weeks
            return (no_update, no_update, weeks, no_update, no_update, no_update, no_update,
                    lever_panel(scenario, None, w), scenario_info(scenario, w), None, no_update,
                    no_update)
        if search and own and search == own:
            return (*keep, no_update, no_update, no_update, no_update, no_update)
        try:
            request = parse_query(search)
        except RequestError as error:
            name = DEFAULT_SCENARIO
            return (name, WORKSHOP_JOB_SEEKERS, library_scenario(name).weeks, "scenario", 5,
                    2017, "target", lever_panel(name, None, w), scenario_info(name, w),
                    _box(["This link cannot be used:", *error.messages,
                          "Showing the default scenario instead."], ERROR, "link-error"),
                    None, None)
        if request is None:
            name = scenario if scenario in scenario_names() else DEFAULT_SCENARIO
            return (name, no_update, library_scenario(name).weeks, no_update, no_update,
                    no_update, no_update, lever_panel(name, None, w), scenario_info(name, w),
                    None, None, None)
        message: Any = None
        ready: Any = None
        try:
            resolved = resolve(request)
            job = queue.lookup(resolved.scenario, resolved.baseline, seed=request.seed,
                               replications=request.replications, weeks=request.weeks)
        except RequestError as error:
            return (*_controls(request), _box(["This link cannot be used:", *error.messages],
                                              ERROR, "link-error"), None, None)
        if job is not None and job.status == "done":
            ready = job.id
        else:
            message = _box("The results for this link are not in the results store yet: "
                           "press Run to compute them.", INFO, "link-info")
        return (*_controls(request), message, ready, request.query())

    @app.callback(
        Output("levers", "children", allow_duplicate=True),
        Output("scenario-info", "children", allow_duplicate=True),
        Output("target", "options"), Output("scope", "options"),
        Output("design-note", "placeholder"),
        Input(language.LANG_KEY, "value"), State("scenario", "value"),
        State({"type": "lever", "key": ALL}, "value"),
        State({"type": "lever", "key": ALL}, "id"), prevent_initial_call=True)
    def relabel(lang: Any, scenario: Any, values: list[Any], ids: list[Any]
                ) -> tuple[Any, ...]:
        """The levers and choices in another language, with the values the page holds."""
        w = language.page_words(lang)
        options_ = (target_options(w), scope_options(w),
                    w.gettext(design_panel.NOTE_PLACEHOLDER))
        if not ids or scenario not in scenario_names():  # nothing drawn yet: sync draws it
            return (no_update, no_update, *options_)
        return (lever_panel(scenario, lever_values(values, ids), w), scenario_info(scenario, w),
                *options_)

    @app.callback(
        Output("job", "data"), Output("poll", "disabled", allow_duplicate=True),
        Output("url", "search", allow_duplicate=True),
        Output("own-query", "data", allow_duplicate=True),
        Output("request-query", "data", allow_duplicate=True),
        Output("run-message", "children"), Output("ready", "data", allow_duplicate=True),
        Output("progress", "children", allow_duplicate=True),
        Input("run", "n_clicks"),
        State("scenario", "value"), State("job_seekers", "value"), State("weeks", "value"),
        State("target", "value"), State("replications", "value"), State("seed", "value"),
        State("scope", "value"), State({"type": "lever", "key": ALL}, "value"),
        State({"type": "lever", "key": ALL}, "id"), State("lang", "value"),
        State("draws", "value"), prevent_initial_call=True)
    def run(_clicks: int, scenario: Any, job_seekers: Any, weeks: Any, target: Any,
            replications: Any, seed: Any, scope: Any, values: list[Any], ids: list[Any],
            lang: Any = "en", draws: Any = 0) -> tuple[Any, ...]:
        """Validate, then queue the scenario and its baseline (or serve them from the store)."""
        nothing = (no_update,) * 5
        raw: dict[str, Any] = {"scenario": scenario, "job_seekers": job_seekers,
                               "weeks": weeks, "target": target,
                               "replications": replications, "seed": seed, "scope": scope,
                               "lang": language.known(lang), "draws": draws}
        for id_, value in zip(ids or [], values or [], strict=False):
            key = id_.get("key") if isinstance(id_, dict) else None
            if isinstance(key, str) and key not in raw:
                raw[key] = value
        try:
            request = build_request(raw)
            resolved = resolve(request)
            uncertain = (posterior_view.runs_for_query(request.query()) if request.draws
                         else None)
            job = queue.submit(resolved.scenario, resolved.baseline, seed=request.seed,
                               replications=request.replications, weeks=request.weeks,
                               session=queue_view.current_session())
            if uncertain is not None:  # after the job itself: its first answer comes first
                posterior_view.submit(queue, uncertain, queue_view.current_session())
        except RequestError as error:
            return (*nothing, _box(["Not run:", *error.messages], ERROR, "run-error"),
                    no_update, "")
        except QueueFull as error:
            return (*nothing, _box(f"Not run: {error}", ERROR, "queue-full"), no_update, "")
        query = request.query()
        if job.status == "done":
            return (job.id, True, query, query, query,
                    _box("Served from the results store (identical runs were stored).",
                         INFO, "run-info"), job.id, "")
        text = queue_view.waiting_text(queue, job)
        return (job.id, False, query, query, query, _box(text, INFO, "run-info"), no_update,
                "")

    @app.callback(
        Output("progress", "children"), Output("ready", "data", allow_duplicate=True),
        Output("poll", "disabled", allow_duplicate=True),
        Output("run-message", "children", allow_duplicate=True),
        Input("poll", "n_intervals"), State("job", "data"), State("ready", "data"),
        prevent_initial_call=True)
    def poll(_n: int, job_id: str | None, shown: Any = None) -> tuple[Any, ...]:
        job = queue.get(job_id) if isinstance(job_id, str) else None
        if job is None:
            return "", no_update, True, no_update
        finished, total = job.progress
        if job.status == "failed":
            return "", no_update, True, _box(f"The run failed: {job.error}", ERROR, "run-error")
        if job.status == "done":
            seconds = (job.finished or time.monotonic()) - job.submitted
            text = f"Done: {total} replications in {seconds:.1f} s."
            return text, job.id, True, None
        # queued or running: position, expected wait, and the first answer once it is
        # ready; the run message goes (one status at a time)
        text, answer = queue_view.progress(queue, job, shown)
        return text, answer, False, None

    @app.callback(Output("results", "children"),
                  Output("link-message", "children", allow_duplicate=True),
                  Input("ready", "data"), Input("scope", "value"), Input("lang", "value"),
                  prevent_initial_call=True)
    def show(job_id: str | None, scope: str | None, lang: Any = "en") -> tuple[Any, Any]:
        if not isinstance(job_id, str):
            return [_placeholder(language.page_words(lang))], no_update
        scope = scope if scope in ("target", "region") else "target"
        try:
            return render_results(queue, job_id, scope, language.page_words(lang)), None
        except Exception as error:  # a store problem must not break the page
            return [_box(f"Results cannot be shown: {' '.join(str(error).split())[:300]}",
                         ERROR, "results-error")], no_update

    @app.callback(Output("posterior-view", "children"), Output("posterior-poll", "disabled"),
                  Input("ready", "data"), Input("posterior-poll", "n_intervals"),
                  Input("lang", "value"), State("request-query", "data"))
    def show_posterior(ready: Any, _n: Any, lang: Any, query: str | None) -> tuple[Any, bool]:
        """Effects with parameter uncertainty under the results, polled while runs go on."""
        if not isinstance(ready, str) or not query:
            return [], True
        try:
            children, running = posterior_view.section(queue, query,
                                                       language.page_words(lang))
        except Exception as error:  # a store problem must not break the page
            return [_box(f"Parameter uncertainty cannot be shown: "
                         f"{' '.join(str(error).split())[:300]}", ERROR, "posterior-error")
                    ], True
        return children, not running

    @app.callback(Output("draws", "value"), Input("url", "search"))
    def draws_from_link(search: str | None) -> Any:
        """The parameter-uncertainty setting from a link (sync sets the other controls)."""
        if not search:
            return no_update
        pairs = dict(parse_qsl(search.lstrip("?"), keep_blank_values=True))
        if "scenario" not in pairs:
            return no_update
        try:
            return check_draws(pairs.get("draws"))
        except ValueError:
            return no_update

    @app.callback(Output("url", "search", allow_duplicate=True),
                  Output("own-query", "data", allow_duplicate=True),
                  Output("request-query", "data", allow_duplicate=True),
                  Input("scope", "value"), State("request-query", "data"),
                  prevent_initial_call=True)
    def scope_in_link(scope: str, query: str | None) -> tuple[Any, ...]:
        if not query or scope not in ("target", "region"):
            return no_update, no_update, no_update
        updated = _with_scope(query, scope)
        return updated, updated, updated

    @app.callback(Output("download", "data"),
                  Input("download-csv-button", "n_clicks"),
                  Input("download-weekly-button", "n_clicks"),
                  Input("download-series-button", "n_clicks"),
                  Input("download-cost-button", "n_clicks"),
                  State("ready", "data"), State("scope", "value"),
                  State("request-query", "data"), prevent_initial_call=True)
    def download(_a: Any, _b: Any, _c: Any, _d: Any, job_id: str | None, scope: str | None,
                 query: str | None = None) -> Any:
        job = queue.get(job_id) if isinstance(job_id, str) else None
        if job is None or job.status != "done":
            return no_update
        scope = scope if scope in ("target", "region") else "target"
        results = views.load_results(queue.store_root, job)
        stem, base = downloads.file_stem(job, query, scope), flask.request.host_url
        trigger = ctx.triggered_id
        if trigger == "download-csv-button":
            return {"content": downloads.csv_text(queue.store_root, job, scope, query, base),
                    "filename": f"{stem}.csv"}
        if trigger == "download-weekly-button":
            return {"content": downloads.weekly_csv(queue.store_root, job, scope, query, base),
                    "filename": f"{stem}-weekly.csv"}
        if trigger == "download-series-button":
            fig = views.series_figure(results, scope, _title(job, scope))
        else:
            fig = views.cost_figure(results, scope, f"Public cost — {_title(job, scope)}")
        kind = "series" if trigger == "download-series-button" else "cost"
        return downloads.figure_file(fig, f"{stem}-{kind}", base)

    # --- out of date, tabs, pinned options -------------------------------------------------

    @app.callback(
        Output("stale", "children"), Output("results", "className"),
        Input("scenario", "value"), Input("job_seekers", "value"), Input("weeks", "value"),
        Input("target", "value"), Input("replications", "value"), Input("seed", "value"),
        Input({"type": "lever", "key": ALL}, "value"), Input("ready", "data"),
        Input("job", "data"), Input("draws", "value"),
        State({"type": "lever", "key": ALL}, "id"), State("request-query", "data"))
    def out_of_date(scenario: Any, job_seekers: Any, weeks: Any, target: Any,
                    replications: Any, seed: Any, values: list[Any], ready: Any, job: Any,
                    draws: Any, ids: list[Any], shown: str | None) -> tuple[Any, str]:
        """Mark the result when the controls no longer say what it was computed from."""
        if not isinstance(ready, str):
            return None, ""
        if isinstance(job, str) and job != ready:
            return _box("Out of date: these are the previous settings' results; the new run "
                        "is under way.", WARN, "stale-marker"), "stale"
        raw = {"scenario": scenario, "job_seekers": job_seekers, "weeks": weeks,
               "target": target, "replications": replications, "seed": seed, "draws": draws}
        for id_, value in zip(ids or [], values or [], strict=False):
            key = id_.get("key") if isinstance(id_, dict) else None
            if isinstance(key, str) and key not in raw:
                raw[key] = value
        try:
            now = options.strip_scope(build_request(raw).query())
        except RequestError:
            now = None
        if shown and now == options.strip_scope(shown):
            return None, ""
        return _box("Out of date: a lever or setting changed since this result was computed. "
                    "Press Run to update it (or pin it first to keep it).", WARN,
                    "stale-marker"), "stale"

    tab_inputs = [Input(f"tab-{value}", "n_clicks") for value, _ in TABS]

    @app.callback(Output("url", "hash", allow_duplicate=True), *tab_inputs,
                  State("url", "hash"), prevent_initial_call=True)
    def choose_tab(*args: Any) -> str:
        trigger = ctx.triggered_id
        if not isinstance(trigger, str) or not trigger.startswith("tab-"):
            return no_update
        return options.with_view(args[-1], trigger.removeprefix("tab-"))

    @app.callback([Output(f"panel-{value}", "style") for value, _ in TABS]
                  + [Output(f"tab-{value}", "aria-selected") for value, _ in TABS]
                  + [Output("tab-options", "children")],
                  Input("url", "hash"), Input(language.LANG_KEY, "value"))
    def show_tab(fragment: str | None, lang: Any = "en") -> list[Any]:
        pinned = options.read_fragment(fragment)
        styles = [{"display": "block" if pinned.view == value else "none",
                   **({} if value == "workshop" else {"padding": "12px"})}
                  for value, _ in TABS]
        selected = ["true" if pinned.view == value else "false" for value, _ in TABS]
        count = len(pinned.options)
        w = language.page_words(lang)
        label = (w.text(N_("Options side by side ({count})"), count=w.count(count)) if count
                 else w.gettext(N_("Options side by side")))
        return [*styles, *selected, label]

    @app.callback(Output("url", "hash", allow_duplicate=True),
                  Output("pin-message", "children"),
                  Input("pin", "n_clicks"), State("url", "hash"),
                  State("request-query", "data"), State("ready", "data"),
                  State("job", "data"), prevent_initial_call=True)
    def pin(_clicks: int, fragment: str | None, query: str | None, ready: Any, job: Any
            ) -> tuple[Any, Any]:
        if not isinstance(ready, str):
            return no_update, "Run something first, then pin its result."
        if isinstance(job, str) and job != ready:
            return no_update, "Wait for the run under way, then pin it."
        updated, message = options.pin(fragment, query)
        return updated, html.Span(message, id="pin-info")

    @app.callback(Output("url", "hash", allow_duplicate=True),
                  Input({"type": "unpin", "index": ALL}, "n_clicks"), State("url", "hash"),
                  prevent_initial_call=True)
    def unpin(clicks: list[Any], fragment: str | None) -> Any:
        trigger = ctx.triggered_id
        if not isinstance(trigger, dict) or not any(clicks or []):
            return no_update
        return options.unpin(fragment, int(trigger.get("index", -1)))

    @app.callback(Output("options-view", "children"), Output("options-poll", "disabled"),
                  Input("url", "hash"), Input("options-poll", "n_intervals"))
    def options_view(fragment: str | None, _n: Any) -> tuple[Any, bool]:
        """Every pinned option from the store (or its place in the queue) side by side."""
        pinned = options.read_fragment(fragment)
        loaded = [options.load_option(queue, request,
                                      options.option_name(request, pinned.options))
                  for request in pinned.options]
        waiting = any(o.status in ("queued", "running") for o in loaded)
        try:
            view = options.options_view(loaded, fragment or "", pinned.problems)
        except Exception as error:  # a store problem must not break the page
            view = [_box(f"Options cannot be shown: {' '.join(str(error).split())[:300]}",
                         ERROR, "options-error")]
        return view, not waiting

    return app


def serve(*, host: str = "127.0.0.1", port: int = 8050, workers: int = 2,
          store: str = "pilotsim-results", max_queue: int = 32) -> None:
    """Start the run queue and serve the app until interrupted."""
    queue = JobQueue(store, workers=workers, max_queue=max_queue).start()
    try:
        create_app(queue).run(host=host, port=port, debug=False)
    finally:
        queue.stop()
