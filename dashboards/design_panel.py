"""The page's part of saving and opening designs: a note, "Download design (TOML)", and an
upload of a scenario file that runs against its baseline like any design
(``dashboards.design_file`` writes and reads the files)."""

from __future__ import annotations

import datetime
from typing import Any

from dash import ALL, Dash, Input, Output, State, dcc, html, no_update

from dashboards import design_file, queue_view
from dashboards.jobs import JobQueue, QueueFull
from dashboards.lever import parse_number
from dashboards.levers import MAX_REPLICATIONS, MAX_SEED, RequestError, build_request
from dashboards.page_text import say
from simulation.i18n import N_

# an attribute, not text: ``app.relabel`` writes it in the page's language
NOTE_PLACEHOLDER = N_("Workshop note (written beside every change)")

SMALL = {"fontSize": "11px", "color": "#5d6d7e", "lineHeight": "1.3"}
BOX = {"borderRadius": "6px", "padding": "8px 10px", "margin": "8px 0", "fontSize": "13px"}
ERROR = {**BOX, "background": "#fdecea", "border": "1px solid #e6a19a", "color": "#922b21"}
INFO = {**BOX, "background": "#eaf2f8", "border": "1px solid #a9cce3", "color": "#1b4f72"}
BUTTON = {"padding": "6px 10px", "marginRight": "6px", "marginBottom": "6px",
          "border": "1px solid #aab7c4", "borderRadius": "5px", "background": "#f4f6f7",
          "cursor": "pointer", "fontSize": "13px"}


def panel() -> html.Div:
    """Note, download and upload, under the Run button."""
    return html.Div([
        html.H3(say(N_("Save or open a design"))),
        dcc.Input(id="design-note", type="text", maxLength=design_file.MAX_NOTE_CHARS,
                  placeholder=NOTE_PLACEHOLDER,
                  style={"width": "100%", "marginBottom": "6px"}),
        html.Button(say(N_("Download design (TOML)")), id="design-download-button",
                    style=BUTTON),
        dcc.Download(id="design-download"),
        dcc.Upload(id="design-upload", max_size=design_file.MAX_UPLOAD_BYTES, multiple=False,
                   children=html.Div(html.A(say(N_("Open a scenario file: drop it here or "
                                                   "choose one")),
                                            style={"cursor": "pointer"})),
                   style={"border": "1px dashed #aab7c4", "borderRadius": "5px",
                          "padding": "8px", "textAlign": "center", "fontSize": "13px"}),
        html.Div(say(N_("The file runs against its baseline with the seed and replications "
                        "above; pilotsim validate and pilotsim compare take a downloaded design "
                        "as it is.")), style=SMALL),
        html.Div(id="design-message"),
    ], id="design-panel", style={"marginTop": "10px"})


def _raw(settings: list[Any], values: list[Any], ids: list[Any]) -> dict[str, Any]:
    """The page's controls as the run button reads them (``app.run``)."""
    keys = ("scenario", "job_seekers", "weeks", "target", "replications", "seed", "scope")
    raw = dict(zip(keys, settings, strict=True))
    for id_, value in zip(ids or [], values or [], strict=False):
        key = id_.get("key") if isinstance(id_, dict) else None
        if isinstance(key, str) and key not in raw:
            raw[key] = value
    return raw


def _whole(value: Any, label: str, high: int, low: int = 0) -> int:
    number = parse_number(value, label)
    if number != int(number) or not low <= number <= high:
        raise ValueError(f"{label} must be a whole number from {low} to {high:,}")
    return int(number)


def register(app: Dash, queue: JobQueue) -> None:
    settings = [State(key, "value") for key in ("scenario", "job_seekers", "weeks", "target",
                                                 "replications", "seed", "scope")]

    @app.callback(Output("design-download", "data"),
                  Output("design-message", "children", allow_duplicate=True),
                  Input("design-download-button", "n_clicks"), *settings,
                  State({"type": "lever", "key": ALL}, "value"),
                  State({"type": "lever", "key": ALL}, "id"), State("design-note", "value"),
                  prevent_initial_call=True)
    def download(_clicks: Any, *state: Any) -> tuple[Any, Any]:
        *controls, values, ids, note = state
        try:
            request = build_request(_raw(controls, values, ids))
        except RequestError as error:
            return no_update, html.Div(["Not saved: ", *error.messages], style=ERROR,
                                       id="design-error")
        day = datetime.date.today()
        return ({"content": design_file.design_toml(request, note, day),
                 "filename": design_file.file_name(request, day)},
                html.Div("Saved: every changed value is in the file with your note and "
                         "today's date.", style=INFO, id="design-info"))

    @app.callback(Output("job", "data", allow_duplicate=True),
                  Output("poll", "disabled", allow_duplicate=True),
                  Output("ready", "data", allow_duplicate=True),
                  Output("design-message", "children", allow_duplicate=True),
                  Input("design-upload", "contents"), State("design-upload", "filename"),
                  State("replications", "value"), State("seed", "value"),
                  prevent_initial_call=True)
    def upload(contents: Any, filename: Any, replications: Any, seed: Any) -> tuple[Any, ...]:
        """Validate the file on the server and queue it with its baseline."""
        if contents is None:
            return no_update, no_update, no_update, no_update
        try:
            scenario = design_file.read_upload(contents, filename)
            baseline = design_file.upload_baseline(scenario)
            job = queue.submit(scenario, baseline,
                               seed=_whole(seed, "Seed", MAX_SEED),
                               replications=_whole(replications, "Replications",
                                                   MAX_REPLICATIONS, 1),
                               weeks=scenario.weeks, session=queue_view.current_session())
        except (design_file.UploadError, ValueError, QueueFull) as error:
            return (no_update, no_update, no_update,
                    html.Div(f"Not opened: {error}", style=ERROR, id="design-error"))
        said = (f"Opened {scenario.name}: compared with {baseline.name}, "
                f"{scenario.region.job_seekers:,} job seekers, {scenario.weeks} weeks.")
        if job.status == "done":
            return (job.id, True, job.id,
                    html.Div(said + " Served from the results store (identical runs were "
                             "stored).", style=INFO, id="design-info"))
        return job.id, False, no_update, html.Div(said, style=INFO, id="design-info")
