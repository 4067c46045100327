"""The page's parts: styles, the build panel with its levers, the compare panel, the tab
bar and the page layout (``dashboards.app`` wires the callbacks to them)."""

from __future__ import annotations

import io
from importlib import resources
from typing import Any

import pandas as pd
from dash import dash_table, dcc, html

from dashboards import (
    contract_panel,
    design_panel,
    language,
    region_form,
    views,
)
from dashboards.glossary import glossary_section
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
    baseline_name,
    levers_for,
    library_scenario,
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
        # disabled until the page has taken its settings from the link (dashboards.app.sync):
        # a Run pressed before would run the defaults and leave the result out of date
        html.Button(say(N_("Run")), id="run", n_clicks=0, style=RUN_BUTTON, disabled=True),
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

