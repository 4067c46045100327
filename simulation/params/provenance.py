"""Values that carry where they came from.

Scenario, contract and target files write every number as an inline table,
``{ value = 107, source = "SAK 2017 (DOMAIN.md §3)" }`` or
``{ value = 0.3, assumption = "why this value" }``. This module separates such a
tree into plain values (what the model reads) and a flat provenance map
(``"public_office.caseload" -> "source: SAK 2017 ..."``) that reports and
``pilotsim show`` print beside each value.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

PROVENANCE_KEYS = ("source", "assumption")


class ProvenanceError(ValueError):
    """A number without a source or assumption, or a malformed value table."""

    def __init__(self, path: str, message: str) -> None:
        super().__init__(f"{path}: {message}")
        self.path = path
        self.message = message


def is_value_table(node: Any) -> bool:
    """True for ``{value = ..., source|assumption = ...}`` tables."""
    return isinstance(node, Mapping) and "value" in node


def _is_number(node: Any) -> bool:
    return isinstance(node, int | float) and not isinstance(node, bool)


def unwrap(node: Any, path: str = "", provenance: dict[str, str] | None = None,
           require: bool = True) -> tuple[Any, dict[str, str]]:
    """Split ``node`` into plain values and a ``path -> provenance`` map.

    With ``require``, a bare number (or list of numbers) is an error: every
    number must say where it came from.
    """
    provenance = {} if provenance is None else provenance
    if is_value_table(node):
        extra = set(node) - {"value", *PROVENANCE_KEYS, "unit", "note"}
        if extra:
            raise ProvenanceError(path, f"unexpected key {sorted(extra)[0]!r} in value table")
        given = [k for k in PROVENANCE_KEYS if k in node]
        if len(given) != 1:
            raise ProvenanceError(path, "a value needs exactly one of 'source' or 'assumption'")
        text = node[given[0]]
        if not isinstance(text, str) or not text.strip():
            raise ProvenanceError(path, f"'{given[0]}' must be a non-empty text")
        provenance[path] = f"{given[0]}: {text.strip()}"
        return node["value"], provenance
    if isinstance(node, Mapping):
        out = {}
        for key, child in node.items():
            child_path = f"{path}.{key}" if path else str(key)
            out[key], _ = unwrap(child, child_path, provenance, require)
        return out, provenance
    if isinstance(node, list):
        if node and all(isinstance(item, Mapping) and not is_value_table(item) for item in node):
            return [unwrap(item, f"{path}[{i}]", provenance, require)[0]
                    for i, item in enumerate(node)], provenance
        if require and any(_is_number(item) for item in node):
            raise ProvenanceError(
                path, "numbers need a source: write { value = [...], source = \"...\" }")
        return node, provenance
    if require and _is_number(node):
        raise ProvenanceError(
            path, "number without a source: write { value = ..., source = \"...\" } "
                  "or { value = ..., assumption = \"...\" }")
    return node, provenance


def flatten(node: Any, prefix: str = "") -> list[tuple[str, Any]]:
    """A nested dict as ``(dotted.path, value)`` rows, in order."""
    if isinstance(node, dict):
        rows = []
        for key, value in node.items():
            rows.extend(flatten(value, f"{prefix}.{key}" if prefix else str(key)))
        return rows
    return [(prefix, node)]
