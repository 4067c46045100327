"""One lever as the build panel draws it, in the page's language: its label and unit, the
input, its range and default, and the source of the default.

A lever's label, group, unit and help are English in ``dashboards.levers`` (they are the
message ids; ``tools/i18n.py`` collects them from every library scenario); a service's label is
the glossary's term. The source is data and is shown as written.
"""

from __future__ import annotations

from typing import Any

from dash import dcc, html

from dashboards.lever import Lever
from simulation.i18n import N_, Words

SMALL = {"fontSize": "11px", "color": "#5d6d7e", "lineHeight": "1.3"}
LABEL = {"fontSize": "13px", "fontWeight": "600"}
SYMBOLS = {"", "€", "×", "%"}  # the same in every language: not messages


def label(lever: Lever, w: Words) -> str:
    if lever.path.startswith("services."):  # a service: the administration's own word
        term = w.term(lever.path.split(".")[1], lever.label)
        return term[:1].upper() + term[1:]
    return w.gettext(lever.label)


def unit(lever: Lever, w: Words) -> str:
    return lever.unit if lever.unit in SYMBOLS else w.gettext(lever.unit)


def bound(value: float, w: Words) -> str:
    return w.number(value) if float(value).is_integer() else w.number(value, 4).rstrip("0")


def lever_item(lever: Lever, value: Any, w: Words) -> html.Div:
    shown_unit = unit(lever, w)
    return html.Div([
        html.Label([label(lever, w), html.Span(f" [{shown_unit}]" if shown_unit else "",
                                               style={"color": "#5d6d7e"})],
                   style=LABEL, title=w.gettext(lever.description) if lever.description
                   else ""),
        dcc.Input(id={"type": "lever", "key": lever.path}, type="number", value=value,
                  step=lever.step, debounce=True, style={"width": "140px"}),
        html.Div(w.text(N_("range {low}–{high} · default {default}"),
                        low=bound(lever.minimum, w), high=bound(lever.maximum, w),
                        default=bound(lever.default, w)), style=SMALL),
        html.Div(w.text(N_("source: {source}"), source=lever.source),
                 style={**SMALL, "fontStyle": "italic"}, title=lever.source,
                 className="lever-source"),
    ], style={"marginBottom": "9px"}, className="lever")
