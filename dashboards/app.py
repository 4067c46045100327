"""The workshop dashboard: build a scenario, run it against its baseline, compare, share.

``create_app(queue)`` returns a Dash app whose callbacks only validate requests
(``dashboards.levers``), submit runs to the bounded queue (``dashboards.jobs``) and read
results back from the store (``dashboards.views``). The state of the view lives in the URL
query string, so a link reproduces it. Nothing from the browser is a path or code.
"""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl

import flask
from dash import ALL, Dash, Input, Output, State, ctx, html, no_update

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
    views,
)
from dashboards.jobs import JobQueue, QueueFull
from dashboards.layout import (
    DEFAULT_SCENARIO,
    ERROR,
    INDEX,
    INFO,
    TABS,
    WARN,
    _box,
    _placeholder,
    layout,
    lever_panel,
    lever_values,
    scenario_info,
    scope_options,
    target_options,
)
from dashboards.levers import (
    WORKSHOP_JOB_SEEKERS,
    RequestError,
    build_request,
    check_draws,
    library_scenario,
    parse_query,
    resolve,
    scenario_names,
)
from dashboards.result_panel import (
    _controls,
    _title,
    _with_scope,
    render_results,
)
from simulation.i18n import N_


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
        Output("ready", "data"), Output("request-query", "data"), Output("run", "disabled"),
        Input("url", "search"), Input("scenario", "value"), State("own-query", "data"),
        State(language.LANG_KEY, "value"))
    def sync(search: str | None, scenario: str | None, own: str | None, lang: Any = "en"
             ) -> tuple[Any, ...]:
        """Controls from the link on load; the levers of a newly chosen scenario. Run is
        enabled only once the controls say what the link says."""
        return (*_sync(search, scenario, own, lang), False)

    def _sync(search: str | None, scenario: str | None, own: str | None, lang: Any
              ) -> tuple[Any, ...]:
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
            if uncertain is not None:  # all of it or none: not the run without its draws
                posterior_view.check_room(queue, uncertain, queue_view.current_session(),
                                          extra=1)
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

