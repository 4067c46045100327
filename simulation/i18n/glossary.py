"""The domain glossary (``glossary.toml``): each term in Finnish, Swedish and English."""

from __future__ import annotations

import tomllib
from functools import cache
from importlib import resources
from typing import Any


@cache
def glossary() -> dict[str, dict[str, Any]]:
    """Every term by key: ``{"wage_subsidy": {"en": ..., "fi": ..., "sv": ...}, ...}``."""
    path = resources.files("simulation.i18n") / "glossary.toml"
    return tomllib.loads(path.read_text(encoding="utf-8"))


def term(key: str, lang: str, default: str | None = None) -> str:
    """The term for ``key`` in ``lang``; ``default`` (or the key in words) when there is none."""
    entry = glossary().get(key)
    if entry is None and ":" in key and default is None:
        # a ledger item and its part, e.g. a contract's fee (provider_fee:outcome_fee.placement),
        # written as the dashboard writes it
        head, _, part = key.partition(":")
        return f"{term(head, lang)}: {part.replace('_', ' ').replace('.', ' — ')}"
    if entry is None or lang not in entry:
        return default if default is not None else key.replace("_", " ")
    return str(entry[lang])
