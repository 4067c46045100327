"""How numbers, dates and sentences are written in one language.

:class:`Words` is English, exactly as the report and the headline have always written it;
:class:`TranslatedWords` looks every message up in the language's gettext catalogue and
formats numbers, euros and dates with Babel in that locale (Finnish: ``1 234,5 €``,
``4,4 milj. €``, ``1.8.2017``). Everything that writes text for a person takes a ``Words``,
so one object carries the language through a page.

Number kinds, as the report names them: ``pp`` a share (its effects in percentage points),
``eur`` euros, ``n`` a whole number, ``n1`` a number with one decimal.
"""

from __future__ import annotations

import datetime
import math
from collections.abc import Mapping
from typing import Any

from babel.dates import format_date
from babel.numbers import format_decimal

from simulation.i18n.catalogues import N_, translations
from simulation.i18n.glossary import term

MINUS = "−"  # U+2212: a real minus sign, as the English report has always written


def _shows_digits(text: str) -> bool:
    """Whether a formatted amount shows anything but zeros."""
    return any(ch in "123456789" for ch in text)


def _nan(value: Any) -> bool:
    return value is None or (isinstance(value, float) and math.isnan(value))


class Words:
    """English templates and number formats (the message ids are English)."""

    lang = "en"

    # --- messages ---------------------------------------------------------------------
    def gettext(self, message: str) -> str:
        return message

    def text(self, template: str, **fields: str) -> str:
        """A whole sentence from its template, translated, with its named fields filled in."""
        return self.gettext(template).format(**fields)

    def term(self, key: str, default: str | None = None) -> str:
        """A domain word from the glossary (a payer, a benefit, a service, a ledger item)."""
        return term(key, self.lang, default)

    # --- numbers ----------------------------------------------------------------------
    def number(self, value: float, digits: int = 0) -> str:
        """A plain number with thousands separators and ``digits`` decimals."""
        return f"{value:,.{digits}f}"

    def count(self, value: float) -> str:
        """The size of a count (no sign): ``1,234``."""
        return self.number(abs(value))

    def points(self, share: float) -> str:
        """The size of a share in percentage points (no sign): ``14.8``."""
        return self.number(abs(100 * share), 1)

    def euros(self, value: float) -> str:
        """The size of an amount of euros (no sign), compact: ``4.4 M€``, ``36 k€``, ``950 €``."""
        v = abs(value)
        if v >= 1e6:
            return self.text(N_("{amount} M€"), amount=self.number(v / 1e6, 1))
        if v >= 1e4:
            return self.text(N_("{amount} k€"), amount=self.number(v / 1e3))
        return self.text(N_("{amount} €"), amount=self.number(v))

    def eur(self, value: float) -> str:
        """Signed euros: ``−1.2 M€``; ``–`` for a missing value."""
        if _nan(value):
            return "–"
        amount = self.euros(value)
        # no sign on an amount that shows as zero (a float's noise of −0.000001 €: "0 €")
        return (MINUS if value < 0 and _shows_digits(amount) else "") + amount

    def percent(self, share: float, digits: int = 1) -> str:
        return self.text(N_("{value} %"), value=self.number(100 * share, digits))

    def value(self, value: float, kind: str) -> str:
        """A level: ``27.0 %``, ``1.2 M€``, ``1,234``, ``12.5``."""
        if _nan(value):
            return "–"
        if kind == "pp":
            return self.percent(value)
        if kind == "eur":
            return self.eur(value)
        return self.number(value, 1 if kind == "n1" else 0)

    def signed(self, value: float, digits: int = 0) -> str:
        """A number with its sign: ``+12``, ``-3.5`` (as the English report always wrote)."""
        return f"{value:+,.{digits}f}"

    def effect(self, value: float, kind: str) -> str:
        """A difference: ``+14.8 pp``, ``+1.2 M€``, ``−40``."""
        if _nan(value):
            return "–"
        if kind == "pp":
            return self.text(N_("{value} pp"), value=self.signed(100 * value, 1))
        if kind == "eur":
            amount = self.eur(value)
            return ("+" if value > 0 and _shows_digits(amount) else "") + amount
        return self.signed(value, 1 if kind == "n1" else 0)

    def interval(self, stats: Mapping[str, float], kind: str) -> str:
        """A 95 % interval: ``12.0 to 16.0``; ``–`` when it cannot be computed."""
        low, high = stats.get("ci95_low", math.nan), stats.get("ci95_high", math.nan)
        if _nan(low) or _nan(high):
            return "–"
        if kind == "pp":
            low_text, high_text = self.number(100 * low, 1), self.number(100 * high, 1)
        elif kind == "eur":
            low_text, high_text = self.eur(low), self.eur(high)
        else:
            digits = 0 if kind == "n" else 1
            low_text, high_text = self.number(low, digits), self.number(high, digits)
        return self.text(N_("{low} to {high}"), low=low_text, high=high_text)

    # --- dates ------------------------------------------------------------------------
    def date(self, iso: str | datetime.date) -> str:
        """A calendar date; English keeps the ISO form the scenario files use."""
        day = datetime.date.fromisoformat(iso) if isinstance(iso, str) else iso
        return day.isoformat()


class TranslatedWords(Words):
    """Another language: messages from its gettext catalogue, numbers and dates from Babel.

    With ``strict``, a message missing from the catalogue raises ``KeyError`` instead of
    showing English (the tests render whole pages this way)."""

    def __init__(self, lang: str, strict: bool = False) -> None:
        self.lang = lang
        self.strict = strict
        self._catalogue = translations(lang)

    def gettext(self, message: str) -> str:
        # membership, not "translated differently": "{amount} €" is rightly the same in fi
        # (GNUTranslations keeps its entries in ``_catalog``; gettext has no public lookup)
        if self.strict and message.strip() and message not in getattr(
                self._catalogue, "_catalog", {}):
            raise KeyError(f"no {self.lang} translation for {message!r}")
        return self._catalogue.gettext(message)

    def number(self, value: float, digits: int = 0) -> str:
        pattern = "#,##0" + ("." + "0" * digits if digits else "")
        # the sign is written by the callers (a real minus), Babel writes the size
        text = format_decimal(abs(value), format=pattern, locale=self.lang)
        return (MINUS if value < 0 and text.strip("0,. \u00a0") else "") + text

    def signed(self, value: float, digits: int = 0) -> str:
        text = self.number(abs(value), digits)
        if text.strip("0,. \u00a0") == "":
            return text  # nothing left after rounding: no sign
        return (MINUS if value < 0 else "+") + text

    def euros(self, value: float) -> str:
        # Finnish and Swedish write euros in full below a million (``36 000 €``), not k€;
        # cents are dropped, a tenth kept below 10,000 € where there is one (``1 234,5 €``)
        v = abs(value)
        if v >= 1e6:
            return self.text(N_("{amount} M€"), amount=self.number(v / 1e6, 1))
        digits = 1 if v < 1e4 and round(v, 1) != round(v) else 0
        return self.text(N_("{amount} €"), amount=self.number(v, digits))

    def date(self, iso: str | datetime.date) -> str:
        day = datetime.date.fromisoformat(iso) if isinstance(iso, str) else iso
        # Finnish: 1.8.2017; Swedish: 1.8.2017 too, as written in Finland (sv_FI)
        return format_date(day, format="d.M.yyyy", locale=self.lang)


def words(lang: str | None = None, strict: bool = False) -> Words:
    """The ``Words`` of a language code (``en``, ``fi``, ``sv``; ``None`` is English)."""
    if lang in (None, "en"):
        return Words()
    translations(lang)  # refuses an unknown language here, not at the first sentence
    return TranslatedWords(lang, strict)
