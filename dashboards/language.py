"""The page's language: a fi / sv / en picker kept in the link (``?lang=fi``).

The results (title, headline figures, effects table, figures, cost view) are written with
``page_words(lang)``, a :class:`simulation.i18n.Words` of that language: its catalogue's
messages, Babel's number formats (``1 234,5``) and the glossary's terms. With the environment
variable ``PILOTSIM_STRICT_WORDS=1`` (the browser tests) a message missing from the catalogue
fails the rendering instead of showing English, so an untranslated string cannot slip through.
"""

from __future__ import annotations

import os
from typing import Any
from urllib.parse import parse_qsl, urlencode

from dash import Dash, Input, Output, State, dcc, html, no_update

from simulation.i18n import LANGUAGES, Words, words

LANG_KEY = "lang"
STRICT_ENV = "PILOTSIM_STRICT_WORDS"
# each language by its own name, as a picker shows them
NAMES = {"fi": "suomi", "sv": "svenska", "en": "English"}


def known(lang: Any) -> str:
    return lang if isinstance(lang, str) and lang in LANGUAGES else "en"


def page_words(lang: Any) -> Words:
    """The ``Words`` the results are written with (strict under ``PILOTSIM_STRICT_WORDS=1``)."""
    return words(known(lang), strict=os.environ.get(STRICT_ENV) == "1")


def lang_of(search: str | None) -> str | None:
    """The language a link asks for, ``None`` when it names none."""
    for key, value in parse_qsl((search or "").lstrip("?"), keep_blank_values=True):
        if key == LANG_KEY:
            return known(value)
    return None


def with_lang(search: str | None, lang: str) -> str:
    """The link with its language set (English, the default, is left out)."""
    pairs = [(k, v) for k, v in parse_qsl((search or "").lstrip("?"), keep_blank_values=True)
             if k != LANG_KEY]
    if lang != "en":
        pairs.append((LANG_KEY, lang))
    # "?" rather than "": the app reloads the design from a link it did not write itself
    return "?" + urlencode(pairs)


def picker() -> html.Div:
    return html.Div(dcc.RadioItems(
        id=LANG_KEY, value="en", inline=True, inputStyle={"marginLeft": "10px"},
        options=[{"label": f" {NAMES[code]}", "value": code} for code in ("fi", "sv", "en")]),
        style={"float": "right", "fontSize": "13px", "paddingTop": "6px"})


def register(app: Dash) -> None:

    @app.callback(Output(LANG_KEY, "value"), Input("url", "search"), State(LANG_KEY, "value"))
    def from_link(search: str | None, current: str | None) -> Any:
        """A link that names a language sets the picker; one that names none leaves it."""
        asked = lang_of(search)
        return asked if asked is not None and asked != current else no_update

    @app.callback(Output("url", "search", allow_duplicate=True),
                  Output("own-query", "data", allow_duplicate=True),
                  Output("request-query", "data", allow_duplicate=True),
                  Input(LANG_KEY, "value"), State("url", "search"),
                  State("request-query", "data"), prevent_initial_call=True)
    def into_link(lang: Any, search: str | None, query: str | None) -> tuple[Any, ...]:
        """The picked language into the link, without reloading the design from it."""
        lang = known(lang)
        if (lang_of(search) or "en") == lang:
            return no_update, no_update, no_update
        updated = with_lang(search, lang)
        return updated, updated, with_lang(query, lang) if query else no_update
