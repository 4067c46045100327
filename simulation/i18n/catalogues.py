"""The gettext catalogues: which languages there are and how one is loaded.

The ``.po`` files are the translators' source; the ``.mo`` files beside them are compiled
from them (``python tools/i18n.py compile``) and committed, so an install from a fresh clone
(``pip install -e .`` or a wheel) finds them as package data without a build step.
"""

from __future__ import annotations

import gettext
from functools import cache
from importlib import resources
from pathlib import Path

DOMAIN = "pilotsim"
LANGUAGES = ("en", "fi", "sv")
"""English is the language of the code (the message ids); Finnish and Swedish are translated."""


def N_(message: str) -> str:  # noqa: N802 - the gettext convention for "mark, translate later"
    """Mark a message for extraction where it is defined; it is translated where it is shown."""
    return message


def locale_dir() -> Path:
    return Path(str(resources.files("simulation.i18n"))) / "locales"


class UnknownLanguage(ValueError):
    """A language with no catalogue."""


@cache
def translations(lang: str) -> gettext.NullTranslations:
    """The catalogue of ``lang``; English (the message ids themselves) for ``en``."""
    if lang not in LANGUAGES:
        raise UnknownLanguage(f"no language {lang!r}: one of {', '.join(LANGUAGES)}")
    if lang == "en":
        return gettext.NullTranslations()
    # fallback=False: a missing compiled catalogue is a packaging bug, not English output
    return gettext.translation(DOMAIN, localedir=str(locale_dir()), languages=[lang])
