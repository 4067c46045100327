"""The contract part of the lever panel: what the pilot's contract pays, in words, the choice
of contract template, and the chosen template's fee levers (``dashboards.contract_levers``).

Choosing another template redraws the fee levers with that template's fees; the pilot's own
contract stays the default, so nothing changes the contract unless a participant asks.
"""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from dashboards import language
from dashboards.contract_levers import OWN, TEMPLATE, in_words, template_source
from dashboards.lever_view import lever_item
from dashboards.levers import contract_templates, levers_for, library_scenario, scenario_names
from simulation.i18n import N_, Words, words

ENGLISH = words("en")

SMALL = {"fontSize": "11px", "color": "#5d6d7e", "lineHeight": "1.3"}
LABEL = {"fontSize": "13px", "fontWeight": "600"}


def _summary(name: str, template: str) -> list[Any]:
    procurement = library_scenario(name).interventions.procurement
    contract = template_source(procurement, template).contract
    return [html.Div(contract.title, style={"fontWeight": "600", "fontSize": "13px"}),
            html.Div("; ".join(in_words(contract)), className="contract-in-words",
                     style={"fontSize": "13px"})]


def _fees(name: str, template: str, values: dict[str, Any], w: Words) -> list[Any]:
    return [lever_item(lever, values.get(lever.path, lever.default), w)
            for lever in levers_for(name, template) if lever.group == "Contract"]


def contract_panel(name: str, values: dict[str, Any] | None = None, w: Words = ENGLISH
                   ) -> list[Any]:
    """The contract section of a procurement scenario's levers (empty for other scenarios)."""
    choices = contract_templates(name)
    if not choices:
        return []
    values = values or {}
    template = values.get(TEMPLATE, OWN)
    template = template if template in dict(choices) else OWN
    return [html.Details([
        html.Summary(w.gettext(N_("Contract")), style={"fontWeight": "700", "cursor": "pointer"}),
        html.Div([
            html.Div(_summary(name, template), id="contract-summary",
                     style={"marginBottom": "8px"}),
            html.Label(w.gettext(N_("Contract template")), style=LABEL),
            dcc.Dropdown(id={"type": "lever", "key": TEMPLATE}, clearable=False,
                         value=template, options=[{"label": label, "value": value}
                                                  for value, label in choices]),
            html.Div(w.gettext(N_("The pilot's own contract unless you pick another; changing "
                                  "a fee edits the chosen contract, its other terms stay.")),
                     style={**SMALL, "marginBottom": "6px"}),
            html.Div(_fees(name, template, values, w), id="contract-fees"),
        ], style={"paddingTop": "6px"}),
    ], open=True, style={"marginBottom": "8px"}, id="contract-levers")]


def register(app: Dash) -> None:
    """Redraw the fee levers when a participant picks another template."""

    @app.callback(Output("contract-fees", "children"), Output("contract-summary", "children"),
                  Input({"type": "lever", "key": TEMPLATE}, "value"),
                  State("scenario", "value"), State(language.LANG_KEY, "value"),
                  prevent_initial_call=True)
    def pick_template(template: Any, name: Any, lang: Any = "en") -> tuple[Any, Any]:
        if name not in scenario_names() or template not in dict(contract_templates(name)):
            return no_update, no_update
        return _fees(name, template, {}, language.page_words(lang)), _summary(name, template)
