"""The page's fixed words (headings, field names, notes, buttons) in the page's language.

A fixed text is written as ``say(N_("Run"))``: a span that shows the English message at first
and whose id carries the message and its numbers, so one callback rewrites every such span when
the language changes. Only text changes: the inputs around it (the design) are never redrawn,
so switching the language keeps every value a participant has typed.
"""

from __future__ import annotations

import json
from typing import Any

from dash import ALL, Dash, Input, Output, State, html

from dashboards import language
from simulation.i18n import Words, words

SAY = "say"


def text(w: Words, message: str, numbers: dict[str, float]) -> str:
    """The message in ``w``'s language with its numbers written as the language writes them."""
    return w.text(message, **{name: w.number(value) for name, value in numbers.items()})


def say(message: str, at: str = "", **numbers: float) -> html.Span:
    """A fixed text of the page (a whole-sentence template; its fields are whole numbers).
    ``at`` tells apart two places that say the same (a page's ids must be unique)."""
    return html.Span(text(words("en"), message, numbers),
                     id={"type": SAY, "message": message, "numbers": json.dumps(numbers),
                         "at": at})


def register(app: Dash) -> None:

    every = {"type": SAY, "message": ALL, "numbers": ALL, "at": ALL}

    @app.callback(Output(every, "children"), Input(language.LANG_KEY, "value"),
                  State(every, "id"))
    def translate(lang: Any, ids: list[dict[str, str]]) -> list[str]:
        w = language.page_words(lang)
        return [text(w, i["message"], json.loads(i["numbers"])) for i in ids]
