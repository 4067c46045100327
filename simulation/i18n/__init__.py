"""Languages: Finnish, Swedish and English for the CLI, the report and the dashboard.

Standard gettext catalogues (``locales/<lang>/LC_MESSAGES/pilotsim.po``, compiled to ``.mo``
and shipped as package data), Babel's number, currency and date formats, and one glossary of
domain terms (``glossary.toml``). The English text in the code is the message id; a sentence
is one whole template with named fields, so a translation may reorder it.

    w = words("fi")
    w.text(N_("{n} more people are in work"), n=w.count(120))   # "120 henkilöä enemmän ..."
    w.euros(1234.5)                                             # "1 234,5 €" (no-break space)
    w.date("2017-08-01")                                        # "1.8.2017"
    w.term("wage_subsidy")                                      # "palkkatuki"

Imports nothing else from ``simulation``: every layer may use it.
"""

from simulation.i18n.catalogues import LANGUAGES, N_, translations
from simulation.i18n.glossary import glossary, term
from simulation.i18n.words import TranslatedWords, Words, words

__all__ = ["LANGUAGES", "N_", "TranslatedWords", "Words", "glossary", "term", "translations",
           "words"]
