"""The contract part of the lever panel: what the pilot's contract pays, in words, the choice
of contract template, and the chosen template's fee levers (``dashboards.contract_levers``).

Choosing another template redraws the fee levers with that template's fees; the pilot's own
contract stays the default, so nothing changes the contract unless a participant asks.
"""

from __future__ import annotations

from typing import Any

from dash import Dash, Input, Output, State, dcc, html, no_update

from dashboards.contract_levers import OWN, TEMPLATE, in_words, template_source
from dashboards.lever import Lever, fmt_bound
from dashboards.levers import contract_templates, levers_for, library_scenario, scenario_names

SMALL = {"fontSize": "11px", "color": "#5d6d7e", "lineHeight": "1.3"}
LABEL = {"fontSize": "13px", "fontWeight": "600"}


def _lever_input(lever: Lever, value: Any) -> html.Div:
    return html.Div([
        html.Label([lever.label, html.Span(f" [{lever.unit}]" if lever.unit else "",
                                           style={"color": "#5d6d7e"})],
                   style=LABEL, title=lever.description),
        dcc.Input(id={"type": "lever", "key": lever.path}, type="number", value=value,
                  step=lever.step, debounce=True, style={"width": "140px"}),
        html.Div(f"range {fmt_bound(lever.minimum)}–{fmt_bound(lever.maximum)} · default "
                 f"{fmt_bound(lever.default)}", style=SMALL),
        html.Div(f"source: {lever.source}", style={**SMALL, "fontStyle": "italic"},
                 title=lever.source, className="lever-source"),
    ], style={"marginBottom": "9px"}, className="lever")


def _summary(name: str, template: str) -> list[Any]:
    procurement = library_scenario(name).interventions.procurement
    contract = template_source(procurement, template).contract
    return [html.Div(contract.title, style={"fontWeight": "600", "fontSize": "13px"}),
            html.Div("; ".join(in_words(contract)), className="contract-in-words",
                     style={"fontSize": "13px"})]


def _fees(name: str, template: str, values: dict[str, Any]) -> list[Any]:
    return [_lever_input(lever, values.get(lever.path, lever.default))
            for lever in levers_for(name, template) if lever.group == "Contract"]


def contract_panel(name: str, values: dict[str, Any] | None = None) -> list[Any]:
    """The contract section of a procurement scenario's levers (empty for other scenarios)."""
    choices = contract_templates(name)
    if not choices:
        return []
    values = values or {}
    template = values.get(TEMPLATE, OWN)
    template = template if template in dict(choices) else OWN
    return [html.Details([
        html.Summary("Contract", style={"fontWeight": "700", "cursor": "pointer"}),
        html.Div([
            html.Div(_summary(name, template), id="contract-summary",
                     style={"marginBottom": "8px"}),
            html.Label("Contract template", style=LABEL),
            dcc.Dropdown(id={"type": "lever", "key": TEMPLATE}, clearable=False,
                         value=template, options=[{"label": label, "value": value}
                                                  for value, label in choices]),
            html.Div("The pilot's own contract unless you pick another; changing a fee "
                     "edits the chosen contract, its other terms stay.",
                     style={**SMALL, "marginBottom": "6px"}),
            html.Div(_fees(name, template, values), id="contract-fees"),
        ], style={"paddingTop": "6px"}),
    ], open=True, style={"marginBottom": "8px"}, id="contract-levers")]


def register(app: Dash) -> None:
    """Redraw the fee levers when a participant picks another template."""

    @app.callback(Output("contract-fees", "children"), Output("contract-summary", "children"),
                  Input({"type": "lever", "key": TEMPLATE}, "value"),
                  State("scenario", "value"), prevent_initial_call=True)
    def pick_template(template: Any, name: Any) -> tuple[Any, Any]:
        if name not in scenario_names() or template not in dict(contract_templates(name)):
            return no_update, no_update
        return _fees(name, template, {}), _summary(name, template)
