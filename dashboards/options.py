"""Options side by side: results pinned as named options, compared with their baselines.

A pinned option is a whole workshop request (scenario, settings, changed levers). The pinned
set lives in the URL's fragment (``#view=options&option=<query>&option=<query>``), beside the
query string that holds the controls, so a link or a reload restores both; each option's query
goes through ``dashboards.levers.parse_query`` like any link, so nothing in the fragment is
trusted. An option's results are read back by submitting its request to the run queue, which
serves identical requests from the results store at once.

An option is named by what differs from its baseline: the levers changed from the library
scenario ("caseload 60"), or the pilot itself when nothing was changed.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from urllib.parse import parse_qsl, urlencode

import plotly.graph_objects as go
from dash import dcc, html

from dashboards import views
from dashboards.glossary import help_text
from dashboards.headline_card import comparison_of, scale_of
from dashboards.jobs import JobQueue, QueueFull
from dashboards.levers import (
    CONTRACT_PREFIX,
    TARGET_GROUPS,
    RequestError,
    WorkshopRequest,
    levers_for,
    parse_query,
    resolve,
)
from simulation.engine.catalogue import Aggregation, Kind, metric
from simulation.experiments.compare import Comparison, significant
from simulation.experiments.statistics import summarise_replications
from simulation.report.headline import Scale, Words
from simulation.report.summary import forest_figure

MAX_OPTIONS = 6
VIEWS = ("workshop", "options", "calibration", "glossary", "region")
SMALL = {"fontSize": "12px", "color": "#5d6d7e", "lineHeight": "1.35"}
OPTION_STYLE = {"padding": "5px 8px", "borderBottom": "1px solid #e5e8eb",
                "textAlign": "right", "fontSize": "13px", "whiteSpace": "nowrap",
                "verticalAlign": "top"}
HEAD_STYLE = {**OPTION_STYLE, "background": "#eef2f5", "fontWeight": "700",
              "whiteSpace": "normal", "verticalAlign": "bottom"}

# (effect key, column title, how Words writes it)
COLUMNS = (
    ("target_employed_end", "In work at the end (target), persons", "count"),
    ("target_activation_rate_end", "Activation at the end (target), pp", "points"),
    ("target_sustained_3m", "Placements lasting 3 months (target), persons", "count"),
    ("cost_total_eur", "Public cost, whole period", "euros"),
    ("cost_state_eur", "State", "euros"),
    ("cost_municipality_eur", "Municipalities", "euros"),
    ("cost_other_eur", "Other funds", "euros"),
    ("target_cost_per_net_lasting_placement_eur", "Cost per net lasting placement",
     "euros"),
)


# --- the pinned set in the URL fragment --------------------------------------------------------

@dataclass(frozen=True)
class Pinned:
    """The view the fragment asks for, the pinned requests, and what could not be read."""

    view: str = "workshop"
    options: tuple[WorkshopRequest, ...] = ()
    problems: tuple[str, ...] = ()


def _plain(request: WorkshopRequest) -> WorkshopRequest:
    # the view scope is not part of an option: two pins differing only in it are one option
    return replace(request, scope="target")


def read_fragment(fragment: str | None) -> Pinned:
    """The fragment's view and options; unusable options are dropped with a message."""
    text = (fragment or "").lstrip("#")
    if len(text) > 6 * 4_000:
        return Pinned(problems=("the link's option list is too long",))
    try:
        pairs = parse_qsl(text, keep_blank_values=True, max_num_fields=2 * MAX_OPTIONS + 4)
    except ValueError:
        return Pinned(problems=("the link pins too many options",))
    view, options, problems = "workshop", [], []
    for key, value in pairs:
        if key == "view" and value in VIEWS:
            view = value
        elif key == "option":
            try:
                request = parse_query("?" + value)
            except RequestError as error:
                problems.append("a pinned option cannot be used: " + "; ".join(error.messages))
                continue
            if request is not None and _plain(request) not in options:
                options.append(_plain(request))
    if len(options) > MAX_OPTIONS:
        problems.append(f"only the first {MAX_OPTIONS} pinned options are kept")
    return Pinned(view=view, options=tuple(options[:MAX_OPTIONS]), problems=tuple(problems))


def write_fragment(view: str, options: Sequence[WorkshopRequest]) -> str:
    """The fragment (with ``#``) for a view and a list of options."""
    items = [("view", view if view in VIEWS else "workshop")]
    items += [("option", _plain(o).query().lstrip("?")) for o in options]
    return "#" + urlencode(items)


def pin(fragment: str | None, query: str | None) -> tuple[str, str]:
    """The fragment with the request of ``query`` added, and a message for the page."""
    pinned = read_fragment(fragment)
    try:
        request = parse_query(query)
    except RequestError as error:
        return write_fragment(pinned.view, pinned.options), "Not pinned: " + "; ".join(
            error.messages)
    if request is None:
        return write_fragment(pinned.view, pinned.options), "Run something first, then pin it."
    request = _plain(request)
    if request in pinned.options:
        return (write_fragment(pinned.view, pinned.options),
                f"Already pinned as “{option_name(request, pinned.options)}”.")
    if len(pinned.options) >= MAX_OPTIONS:
        return (write_fragment(pinned.view, pinned.options),
                f"At most {MAX_OPTIONS} options: remove one first.")
    options = (*pinned.options, request)
    return (write_fragment(pinned.view, options),
            f"Pinned as “{option_name(request, options)}” ({len(options)} pinned).")


def unpin(fragment: str | None, index: int) -> str:
    """The fragment without option ``index``, showing the options (where one removes it; the
    table may have been drawn from a fragment of a moment earlier, before the tab was chosen)."""
    kept = [o for i, o in enumerate(read_fragment(fragment).options) if i != index]
    return write_fragment("options", kept)


def with_view(fragment: str | None, view: str) -> str:
    return write_fragment(view, read_fragment(fragment).options)


# --- names ------------------------------------------------------------------------------------

def _value(value: float, unit: str) -> str:
    number = f"{value:,.0f}" if float(value).is_integer() else f"{value:,.4g}"
    return f"{number} €" if unit.startswith("€") else number


def lever_changes(request: WorkshopRequest) -> list[str]:
    """The changed levers in words, in the scenario's lever order ("caseload 60")."""
    levers = {lever.path: lever for lever in levers_for(request.scenario)}
    out = []
    for path, lever in levers.items():
        if path in request.levers:
            label = lever.label[:1].lower() + lever.label[1:]
            if path.startswith(CONTRACT_PREFIX):
                label = "fee: " + label
            out.append(f"{label} {_value(request.levers[path], lever.unit)}")
    return out


def option_name(request: WorkshopRequest, others: Sequence[WorkshopRequest] = ()) -> str:
    """What differs from the baseline: the changed levers, else the pilot as shipped; the
    scenario is named too when the options span several, and settings that differ among
    options (population, weeks, target group, replications, seed) are added."""
    changes = lever_changes(request)
    name = ", ".join(changes) if changes else f"{request.scenario} as in the library"
    group = [*others] if request in others else [*others, request]
    if changes and len({o.scenario for o in group}) > 1:
        name = f"{request.scenario}: {name}"
    settings = []
    for field, words in (("job_seekers", "{:,} job seekers"), ("weeks", "{} weeks"),
                         ("replications", "{} replications"), ("seed", "seed {}")):
        if len({getattr(o, field) for o in group}) > 1:
            settings.append(words.format(getattr(request, field)))
    if len({o.target for o in group}) > 1:
        settings.append("target: " + TARGET_GROUPS[request.target][0])
    return name + (f" ({', '.join(settings)})" if settings else "")


# --- the comparison -----------------------------------------------------------------------------

def _scaled(stats: dict[str, float], factor: float) -> dict[str, float]:
    return {k: v * factor if k in ("mean", "ci95_low", "ci95_high") else v
            for k, v in stats.items()}


def _scales(key: str) -> bool:
    """Counts and euros grow with the region; shares and euros per placement do not."""
    try:
        m = metric(key)
    except KeyError:
        return False
    return m.kind in (Kind.COUNT, Kind.EUROS) and m.aggregation is not Aggregation.PAIRED_RATIO


def to_real_region(c: Comparison, scale: Scale) -> Comparison:
    """The comparison with counts and euros scaled from the model region to the real one."""
    f = scale.factor
    effects = {k: _scaled(v, f) if _scales(k) else v for k, v in c.effects.items()}
    levels = {k: _scaled(v, f) if _scales(k) else v for k, v in c.levels.items()}
    return replace(c, effects=effects, levels=levels)


@dataclass(frozen=True)
class Option:
    """A pinned option as the comparison shows it: its name, request and state; its
    comparison (real-region scale) and baseline levels once its runs are in the store."""

    name: str
    request: WorkshopRequest
    status: str  # done | queued | running | failed | refused
    message: str = ""
    comparison: Comparison | None = None
    baseline_levels: dict[str, dict[str, float]] | None = None
    scale: Scale | None = None


def _cell(stats: dict[str, float] | None, how: str, w: Words) -> list[object] | str:
    """The effect, and under it its 95 % interval (a "?" where the interval includes zero)."""
    if not stats or math.isnan(stats.get("mean", math.nan)):
        return "–"
    fmt = getattr(w, how)
    sign = lambda x: "−" if x < 0 else ("+" if x > 0 else "±")  # noqa: E731
    text = sign(stats["mean"]) + fmt(stats["mean"])
    low, high = stats.get("ci95_low", math.nan), stats.get("ci95_high", math.nan)
    if math.isnan(low) or math.isnan(high):
        return [html.Div(text), html.Div("no interval", style=SMALL)]
    mark = "" if significant(stats) else " ?"
    return [html.Div(text + mark, style={"fontWeight": "600"}),
            html.Div(f"{sign(low)}{fmt(low)} to {sign(high)}{fmt(high)}", style=SMALL)]


def _level(stats: dict[str, float] | None, how: str, w: Words) -> str:
    if not stats or math.isnan(stats.get("mean", math.nan)):
        return "–"
    if how == "points":
        return f"{100 * stats['mean']:.1f} %"
    return ("−" if stats["mean"] < 0 else "") + getattr(w, how)(stats["mean"])


def _td(text: object, left: bool = False) -> html.Td:
    wrap = {"textAlign": "left", "whiteSpace": "normal", "minWidth": "170px"} if left else {}
    return html.Td(text, style={**OPTION_STYLE, **wrap})


def comparison_table(options: Sequence[Option], fragment: str) -> html.Table:
    """One row per distinct baseline (its levels) and one per option (its effects with 95 %
    intervals); an option's name links back to its controls and results."""
    w = Words()
    head = html.Tr([html.Th("Option", style={**HEAD_STYLE, "textAlign": "left"}),
                    *(html.Th(title, style=HEAD_STYLE, title=help_text(key))
                      for key, title, _ in COLUMNS),
                    html.Th("", style=HEAD_STYLE)])
    rows: list[html.Tr] = []
    baselines_shown: set[str] = set()
    for index, option in enumerate(options):
        c = option.comparison
        if c is not None and option.baseline_levels is not None:
            key = f"{c.baseline}|{option.request.job_seekers}|{option.request.weeks}|" \
                  f"{option.request.target}|{option.request.seed}"
            if key not in baselines_shown:
                baselines_shown.add(key)
                rows.append(html.Tr([
                    _td([html.Div(f"Baseline: {c.baseline}"),
                         html.Div("levels, not changes", style=SMALL)], left=True),
                    *(_td(_level(option.baseline_levels.get(k), how, w)
                          if not k.endswith("per_net_lasting_placement_eur") else "")
                      for k, _, how in COLUMNS), _td("")],
                    className="baseline-row", style={"background": "#f8f9f9"}))
        link = dcc.Link(option.name, href=option.request.query() + with_view(fragment,
                                                                            "workshop"),
                        title="Open this option's levers and results (read from the store)")
        # a link to the fragment without this option, not a button with a callback: a click
        # that lands while the table is drawn again (the queue's poll) is not lost
        remove = dcc.Link("remove", href=unpin(fragment, index), className="unpin",
                          title=f"Remove “{option.name}” from the options",
                          style={"fontSize": "11px", "padding": "1px 6px",
                                 "border": "1px solid #999", "borderRadius": "3px",
                                 "textDecoration": "none", "color": "inherit"})
        if c is None:
            cells = [html.Td(option.message or option.status, colSpan=len(COLUMNS),
                             style={**OPTION_STYLE, "textAlign": "left"})]
        else:
            cells = [_td(_cell(c.effects.get(k), how, w)) for k, _, how in COLUMNS]
        rows.append(html.Tr([html.Td(link, style={**OPTION_STYLE, "textAlign": "left",
                                                  "whiteSpace": "normal", "minWidth": "170px"}),
                             *cells,
                             html.Td(remove, style=OPTION_STYLE)],
                            className="option-row", **{"data-status": option.status}))
    return html.Table([html.Thead(head), html.Tbody(rows)], id="options-table",
                      style={"borderCollapse": "collapse", "width": "100%"})


def comparison_figure(options: Sequence[Option]) -> go.Figure:
    """The headline effects of every finished option with 95 % intervals; the dotted line
    at zero is the baseline."""
    done = [replace(o.comparison, scenario=_short(o.name))
            for o in options if o.comparison is not None]
    figure = forest_figure(done)
    figure.update_layout(height=160 + 34 * len(done),
                         margin={"l": 10, "r": 10, "t": 60, "b": 30},
                         title={"text": "Change from the baseline (dotted line), 95 % "
                                        "intervals; counts and € at real-region size",
                                "font": {"size": 13}})
    figure.update_yaxes(autorange="reversed")
    return figure


def _short(name: str, width: int = 34) -> str:
    return name if len(name) <= width else name[:width - 1] + "…"


def options_view(options: Sequence[Option], fragment: str, problems: Sequence[str] = ()
                 ) -> list[object]:
    """The comparison view: the table, the chart and what could not be shown."""
    notes: list[object] = [html.Div(p, className="message", style={**SMALL, "color": "#922b21"})
                           for p in problems]
    if not options:
        return [*notes, html.Div(
            "No options pinned yet. Run a setting and press “Pin as option”; pin two or more "
            "to see them side by side here. The pinned set is in the link.",
            id="options-empty", style={"padding": "8px 0"})]
    scales = {o.scale.factor for o in options if o.scale is not None}
    words = ("Counts and euros are scaled from the model region to the real region's size "
             "(shares and € per placement are not). " if any(f != 1.0 for f in scales) else "")
    out = [*notes,
           html.P(words + "Baseline rows are levels; option rows are changes from their "
                  "baseline with 95 % intervals; “?” marks an interval that includes zero.",
                  style=SMALL),
           html.Div(comparison_table(options, fragment), style={"overflowX": "auto"})]
    if any(o.comparison is not None for o in options):
        out.append(dcc.Graph(id="options-graph", figure=comparison_figure(options),
                             config={"displaylogo": False}))
    return out


def load_option(queue: JobQueue, request: WorkshopRequest, name: str) -> Option:
    """An option's state: its results from the store if they are there (an identical
    request is served from the store at once), else its place in the run queue."""
    try:
        resolved = resolve(request)
        job = queue.submit(resolved.scenario, resolved.baseline, seed=request.seed,
                           replications=request.replications, weeks=request.weeks)
    except RequestError as error:
        return Option(name, request, "refused", "cannot run: " + "; ".join(error.messages))
    except QueueFull as error:
        return Option(name, request, "queued", f"waiting: {error}")
    if job.status == "failed":
        return Option(name, request, "failed", f"the run failed: {job.error}")
    if job.status != "done":
        finished, total = job.progress
        return Option(name, request, job.status,
                      f"{job.status}: {finished} of {total} runs done…")
    results = views.load_results(queue.store_root, job)
    scale = scale_of(results)
    c = to_real_region(comparison_of(results, name), scale)
    baseline = to_real_region(replace(c, levels=summarise_replications(results.baseline),
                                      effects={}), scale).levels
    return Option(name, request, "done", comparison=c, baseline_levels=baseline, scale=scale)


def strip_scope(query: str) -> str:
    """A request's query without the view scope and the language (which change the view, not
    the runs: a result shown in Finnish is not out of date against the same design)."""
    return urlencode([(k, v) for k, v in parse_qsl(query.lstrip("?"), keep_blank_values=True)
                      if k not in ("scope", "lang")])
