"""The region builder as a form: the figures ``pilotsim new-region`` takes, each with its
source (or left empty: a marked default from the calibrated baseline), checked on the server,
and the cited region file to download.

The file is the one ``pilotsim new-region`` writes for the same figures: both call
``simulation.params.new_region.build_region``; this module only reads the form's text into
figures. A refused figure is one line on the page and nothing is downloaded. The form's
numbers may be written as a Finnish planner writes them (``28 500``, ``0,286``).
"""

from __future__ import annotations

import math
import tempfile
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from dashboards import language
from dashboards.page_text import say
from simulation.i18n import N_
from simulation.params.loading import ScenarioError, load_scenario
from simulation.params.new_region import (
    FIGURES,
    Figure,
    FigureError,
    RegionBaseline,
    RegionFigures,
    build_region,
    slug,
)

MAX_CHARS = 2_000  # a figure or a source; a sector or municipality list stays far below
PAIRED = ("sector_shares", "municipalities")

# each figure as the form names it, and an example of what to write
FIELD_WORDS = {
    "job_seekers": (N_("Registered unemployed job seekers"), "28 500"),
    "long_term_share": (N_("Share of them unemployed 12 months or more"), "0,286"),
    "in_services": (N_("People in employment-promoting services"), "9 100"),
    "vacancies": (N_("Open vacancies"), "6 200"),
    "sector_shares": (N_("Sector mix (name=share; …)"),
                      "services=0,3; industry=0,2; construction=0,1; trade=0,15; "
                      "health_social=0,15; public=0,1"),
    "municipalities": (N_("Municipalities with shares or job seekers (name=number; …)"),
                       "Oulu=14 000; Muut kunnat=14 500"),
}


@dataclass(frozen=True)
class Built:
    file_name: str
    region: RegionBaseline


def _number(key: str, text: str) -> float:
    plain = text.replace("\u00a0", "").replace(" ", "").replace(",", ".")
    try:
        number = float(plain)
    except ValueError:
        raise FigureError(key, f"{text.strip()!r} is not a number") from None
    if not math.isfinite(number):
        raise FigureError(key, f"{text.strip()!r} is not a finite number")
    return number


def _whole_or_share(key: str, text: str) -> float | int:
    number = _number(key, text)
    # counts are whole numbers in the builder's checks; a share stays a float
    return int(number) if key != "long_term_share" and number.is_integer() else number


def _pairs(key: str, text: str) -> dict[str, float]:
    """``name=value`` pairs separated by ``;`` or lines (then ``0,3`` is a decimal comma), or
    by commas as on the command line (``services=0.3,industry=0.2``)."""
    separated = ";" in text or "\n" in text
    parts = text.replace("\n", ";").split(";") if separated else text.split(",")
    pairs: dict[str, float] = {}
    for part in filter(str.strip, parts):
        name, sep, value = part.partition("=")
        if not sep or not name.strip():
            raise FigureError(key, f"give name=value pairs, e.g. Oulu=0,49; Muut=0,51 "
                                   f"(got {part.strip()!r})")
        pairs[name.strip()] = _number(key, value)
    return pairs


def figures_from_form(name: Any, values: dict[str, Any], sources: dict[str, Any]
                      ) -> RegionFigures:
    """The form's text as figures; ``FigureError`` (one line) for text that is no figure."""
    if not isinstance(name, str) or len(name) > 80:
        raise FigureError("name", "the region's name: 1 to 80 printable characters")
    given: dict[str, Figure | None] = {}
    for key in FIGURES:
        value, source = values.get(key), sources.get(key)
        value = value if isinstance(value, str) else ""
        source = source if isinstance(source, str) else ""
        if len(value) > MAX_CHARS or len(source) > MAX_CHARS:
            raise FigureError(key, f"at most {MAX_CHARS:,} characters")
        if not value.strip():
            if source.strip():
                raise FigureError(key, "a source without its figure")
            given[key] = None
            continue
        number = _pairs(key, value) if key in PAIRED else _whole_or_share(key, value)
        given[key] = Figure(number, source.strip())
    return RegionFigures(name=name.strip(), **given)


def build(name: Any, values: dict[str, Any], sources: dict[str, Any]) -> Built:
    """The region file for the form's figures, as ``pilotsim new-region`` would write it
    (refused with ``FigureError`` when a figure cannot be used, or the file would not load)."""
    figures = figures_from_form(name, values, sources)
    region = build_region(figures, load_scenario("baseline"))
    with tempfile.TemporaryDirectory(prefix="pilotsim-region-") as folder:
        path = Path(folder) / "region.toml"
        path.write_text(region.text, encoding="utf-8")
        try:  # the same check as the command line's before it writes
            load_scenario(path)
        except (ScenarioError, ValueError) as error:
            raise FigureError("file", " ".join(str(error).split())[:300]) from None
    return Built(file_name=f"baseline_{slug(figures.name)}.toml", region=region)


# --- the page ---------------------------------------------------------------------------------

SMALL = {"fontSize": "11px", "color": "#5d6d7e", "lineHeight": "1.3"}
LABEL = {"fontWeight": "600", "fontSize": "13px", "display": "block", "marginTop": "8px"}
BOX = {"borderRadius": "6px", "padding": "8px 10px", "margin": "8px 0", "fontSize": "13px"}
ERROR = {**BOX, "background": "#fdecea", "border": "1px solid #e6a19a", "color": "#922b21"}
INFO = {**BOX, "background": "#eaf2f8", "border": "1px solid #a9cce3", "color": "#1b4f72"}
BUTTON = {"padding": "6px 10px", "marginTop": "10px", "border": "1px solid #aab7c4",
          "borderRadius": "5px", "background": "#f4f6f7", "cursor": "pointer",
          "fontSize": "13px"}


def _field(key: str) -> html.Div:
    label, example = FIELD_WORDS[key]
    return html.Div([
        html.Label(say(label), style=LABEL),
        dcc.Input(id=f"region-{key}", type="text", placeholder=example, debounce=False,
                  style={"width": "100%" if key in PAIRED else "160px"}),
        dcc.Input(id=f"region-source-{key}", type="text", debounce=False,
                  placeholder="TEM Työnvälitystilasto 12/2018 · assumption: …",
                  style={"width": "100%", "marginTop": "3px"}),
    ])


def panel() -> html.Div:
    return html.Div([
        html.H3(say(N_("A region from its published figures")), style={"marginTop": 0}),
        html.Div(say(N_("Enter the figures of the public employment-service statistics, each "
                        "with its source (or \"assumption: why\"). A figure left empty is a "
                        "marked default from the calibrated baseline; the behavioural rates are "
                        "kept from it as national averages. The file is the one pilotsim "
                        "new-region writes for the same figures.")), style=SMALL),
        html.Label(say(N_("Region")), style=LABEL),
        dcc.Input(id="region-name", type="text", placeholder="Pohjois-Pohjanmaa",
                  style={"width": "240px"}),
        *[_field(key) for key in FIGURES],
        html.Button(say(N_("Download the region file (TOML)")), id="region-download-button",
                    style=BUTTON),
        dcc.Download(id="region-download"),
        html.Div(id="region-message"),
    ], id="region-form", style={"maxWidth": "720px"})


def register(app: Dash) -> None:

    @app.callback(Output("region-download", "data"), Output("region-message", "children"),
                  Input("region-download-button", "n_clicks"), State("region-name", "value"),
                  *[State(f"region-{key}", "value") for key in FIGURES],
                  *[State(f"region-source-{key}", "value") for key in FIGURES],
                  State(language.LANG_KEY, "value"), prevent_initial_call=True)
    def download(_clicks: Any, name: Any, *state: Any) -> tuple[Any, Any]:
        *given, lang = state
        values = dict(zip(FIGURES, given[:len(FIGURES)], strict=True))
        sources = dict(zip(FIGURES, given[len(FIGURES):], strict=True))
        w = language.page_words(lang)
        try:
            built = build(name or "", values, sources)
        except FigureError as error:
            words = FIELD_WORDS.get(error.figure, (N_("Region"), ""))[0] \
                if error.figure != "file" else N_("Region file")
            # the figure in the page's language; the builder's reason as it writes it
            return no_update, html.Div(w.text(N_("Not built: {figure}: {reason}"),
                                              figure=w.gettext(words), reason=error.message),
                                       style=ERROR, id="region-error")
        said = w.text(N_("Built {name}: {defaults} figures left to the calibrated baseline, "
                         "{kept} rates kept from it as national averages."),
                      name=str(name).strip(), defaults=w.count(len(built.region.defaults)),
                      kept=w.count(len(built.region.kept)))
        return ({"content": built.region.text, "filename": built.file_name},
                html.Div(said, style=INFO, id="region-info"))
