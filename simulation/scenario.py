"""Reading scenario files: TOML → validated, frozen ``Scenario``.

A scenario file may ``extends = "baseline"`` (a library name or a path relative
to the file) and override only what differs. Every number carries its source
(see ``simulation.provenance``). Anything wrong is reported as one
``ScenarioError(file, field, message)``, which the CLI prints as
``error: FILE: FIELD: message`` with exit status 2.
"""

from __future__ import annotations

import difflib
import hashlib
import json
import tomllib
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import BaseModel, ValidationError

from simulation.parameters import Scenario
from simulation.provenance import ProvenanceError, unwrap

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 12
MAX_EXTENDS_CHAIN = 10


class ScenarioError(ValueError):
    """A scenario that cannot be used, located by file and field."""

    def __init__(self, file: str, field: str, message: str) -> None:
        super().__init__(f"{file}: {field}: {message}")
        self.file = file
        self.field = field
        self.message = message


def library_dir() -> Path:
    """The folder of shipped scenario files (works from a checkout and when installed)."""
    return Path(str(resources.files("scenarios")))


def library_names() -> list[str]:
    return sorted(p.stem for p in library_dir().glob("*.toml"))


def locate(name_or_path: str | Path, relative_to: Path | None = None) -> Path:
    """Find a scenario by library name or path."""
    candidate = Path(name_or_path)
    if candidate.suffix == ".toml" or candidate.exists():
        if not candidate.is_absolute() and relative_to is not None:
            beside = relative_to / candidate
            if beside.exists():
                return beside
        return candidate
    if relative_to is not None and (relative_to / f"{name_or_path}.toml").exists():
        return relative_to / f"{name_or_path}.toml"
    return library_dir() / f"{name_or_path}.toml"


def _depth(node: Any, level: int = 0) -> int:
    if isinstance(node, dict):
        return max((_depth(v, level + 1) for v in node.values()), default=level + 1)
    if isinstance(node, list):
        return max((_depth(v, level + 1) for v in node), default=level + 1)
    return level


def read_toml(path: Path) -> dict[str, Any]:
    """Read one TOML file, refusing what no scenario could be."""
    label = str(path)
    if not path.exists():
        raise ScenarioError(label, "file", "no such scenario file or library scenario")
    if path.is_dir():
        raise ScenarioError(label, "file", "is a folder, not a scenario file")
    raw = path.read_bytes()
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(label, "file", f"larger than {MAX_FILE_BYTES:,} bytes")
    if not raw.strip():
        raise ScenarioError(label, "file", "empty file")
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise ScenarioError(label, "file", f"not UTF-8 text (byte {exc.start})") from None
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(label, "file", f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(label, "file", "nested too deeply") from None
    if _depth(data) > MAX_DEPTH:
        raise ScenarioError(label, "file", f"nested deeper than {MAX_DEPTH} levels")
    return data


def deep_merge(base: dict[str, Any], override: dict[str, Any]) -> dict[str, Any]:
    """Override ``base`` with ``override``; tables merge, value tables and lists replace."""
    merged = dict(base)
    for key, value in override.items():
        old = merged.get(key)
        if (isinstance(old, dict) and isinstance(value, dict)
                and "value" not in value and "value" not in old):
            merged[key] = deep_merge(old, value)
        else:
            merged[key] = value
    return merged


def _resolve_tree(path: Path, chain: tuple[Path, ...] = ()) -> dict[str, Any]:
    label = str(path)
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(p.stem for p in (*chain, resolved))
        raise ScenarioError(label, "scenario.extends", f"cyclic extends: {cycle}")
    if len(chain) >= MAX_EXTENDS_CHAIN:
        raise ScenarioError(label, "scenario.extends", "extends chain too long")
    data = read_toml(path)
    header = data.get("scenario", {})
    if not isinstance(header, dict):
        raise ScenarioError(label, "scenario", "must be a table")
    parent = header.get("extends")
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(label, "scenario.extends", "must name a scenario")
    parent_path = locate(parent, relative_to=path.parent)
    if not parent_path.exists():
        raise ScenarioError(label, "scenario.extends", f"no scenario named {parent!r}")
    base = _resolve_tree(parent_path, (*chain, resolved))
    base.get("scenario", {}).pop("extends", None)
    # A child never inherits its parent's identity, only its parameters.
    for key in ("name", "title", "description"):
        base.get("scenario", {}).pop(key, None)
    return deep_merge(base, data)


def _field_path(loc: tuple[Any, ...]) -> str:
    parts = []
    for item in loc:
        if isinstance(item, int):
            parts[-1] = f"{parts[-1]}[{item}]" if parts else f"[{item}]"
        elif item in ("function-after", "literal_error") or str(item).startswith("function-"):
            continue
        else:
            parts.append(str(item))
    return ".".join(parts) or "scenario"


def _allowed_keys(model: type[BaseModel]) -> list[str]:
    return list(model.model_fields)


def _suggest(word: str, choices: list[str]) -> str:
    close = difflib.get_close_matches(word, choices, n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def _unknown_key_message(loc: tuple[Any, ...]) -> str:
    """Name the unknown key and suggest the nearest allowed one."""
    model: Any = Scenario
    for item in loc[:-1]:
        field = model.model_fields.get(item) if isinstance(item, str) else None
        if field is None:
            break
        annotation = field.annotation
        inner = getattr(annotation, "__args__", (annotation,))
        candidates = [a for a in inner if isinstance(a, type) and issubclass(a, BaseModel)]
        if not candidates:
            break
        model = candidates[0]
    key = str(loc[-1])
    return f"unknown key {key!r}{_suggest(key, _allowed_keys(model))}"


def _flatten_header(data: dict[str, Any]) -> dict[str, Any]:
    """Move the ``[scenario]`` header fields to the top level of the model input."""
    header = dict(data.get("scenario", {}))
    body = {k: v for k, v in data.items() if k != "scenario"}
    clash = set(header) & set(body)
    if clash:
        raise ValueError(f"scenario.{sorted(clash)[0]} is also given as a section")
    return {**header, **body}


def scenario_from_tree(data: dict[str, Any], label: str, default_name: str) -> Scenario:
    """Validate a raw (provenance-wrapped) tree into a ``Scenario``."""
    try:
        values, provenance = unwrap(data)
    except ProvenanceError as exc:
        raise ScenarioError(label, exc.path, exc.message) from None
    try:
        flat = _flatten_header(values)
    except ValueError as exc:
        raise ScenarioError(label, "scenario", str(exc)) from None
    flat.setdefault("name", default_name)
    header_fields = ("name", "title", "description", "extends", "start_date", "weeks", "sources")
    provenance = {k.removeprefix("scenario."): v for k, v in provenance.items()}
    try:
        return Scenario.model_validate({**flat, "provenance": provenance})
    except ValidationError as exc:
        error = exc.errors()[0]
        loc = tuple(error["loc"])
        if loc and loc[0] in header_fields:
            loc = ("scenario", *loc)
        field = _field_path(loc)
        if error["type"] == "extra_forbidden":
            message = _unknown_key_message(tuple(error["loc"]))
        else:
            message = error["msg"].removeprefix("Value error, ")
        raise ScenarioError(label, field, message) from None
    except RecursionError:
        raise ScenarioError(label, "file", "nested too deeply") from None


def load_scenario(name_or_path: str | Path, overrides: dict[str, Any] | None = None) -> Scenario:
    """Load, resolve ``extends``, validate. ``overrides`` is a nested dict of plain values."""
    path = locate(name_or_path)
    tree = _resolve_tree(path)
    if overrides:
        tree = deep_merge(tree, wrap_overrides(overrides))
    return scenario_from_tree(tree, str(path), path.stem)


def wrap_overrides(overrides: dict[str, Any], note: str = "set by the user") -> dict[str, Any]:
    """Turn plain override values into value tables marked as the user's assumption."""
    out: dict[str, Any] = {}
    for key, value in overrides.items():
        if isinstance(value, dict) and "value" not in value:
            out[key] = wrap_overrides(value, note)
        elif isinstance(value, int | float | list) and not isinstance(value, bool):
            out[key] = {"value": value, "assumption": note}
        else:
            out[key] = value
    return out


def content_hash(scenario: Scenario) -> str:
    """Hash of the parameters that change results (not names, texts or provenance)."""
    payload = scenario.model_dump(mode="json",
                                  exclude={"name", "title", "description", "sources",
                                           "provenance", "extends"})
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
