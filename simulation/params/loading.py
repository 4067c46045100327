"""Reading scenario files: TOML → validated, frozen ``Scenario``.

A scenario file may ``extends = "baseline"`` (a library name or a path relative
to the file) and override only what differs. Every number carries its source
(see ``simulation.params.provenance``). Anything wrong is reported as one
``ScenarioError(file, field, message)``, which the CLI prints as
``error: FILE: FIELD: message`` with exit status 2.
"""

from __future__ import annotations

import datetime
import hashlib
import json
import os
import pickle
import re
import tomllib
from collections.abc import Iterable
from functools import lru_cache
from importlib import resources
from pathlib import Path
from typing import Any

from pydantic import ValidationError

from simulation.params.contracts import is_contract_path
from simulation.params.provenance import PROVENANCE_KEYS, ProvenanceError, unwrap
from simulation.params.schema import Scenario
from simulation.params.wording import (
    field_path,
    header_field_names,
    is_model,
    non_finite,
    pydantic_message,
    schema_at,
    section_names,
    shown,
    suggest,
    value_error,
    value_without_value,
)

MAX_FILE_BYTES = 1_000_000
MAX_DEPTH = 12
MAX_EXTENDS_CHAIN = 10
MAX_NAME_CHARS = 100  # a scenario's name names its store partition and output files


class ScenarioError(ValueError):
    """A scenario that cannot be used, located by file and field."""

    def __init__(self, file: str, field: str, message: str) -> None:
        # always one line: the CLI prints ``error: FILE: FIELD: message``
        file, field = (re.sub(r"[\r\n\v\f\x85\u2028\u2029]+", " ", str(part))
                       for part in (file, field))
        message = " ".join(str(message).split())
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
    """Find a scenario by library name or path. A bare library name (``pirkanmaa``) is the
    library's scenario even where a file or folder of that name lies in the working folder;
    ``./pirkanmaa`` or ``pirkanmaa.toml`` is the path. Any other bare name is a file
    ``NAME.toml`` beside the file that names it (``relative_to``), or, on the command line,
    in the working folder."""
    candidate = Path(name_or_path)
    bare = candidate.suffix == "" and str(name_or_path) == candidate.name
    library_name = bare and _exists(library_dir() / f"{candidate.name}.toml")
    if candidate.suffix == ".toml" or (_exists(candidate) and not library_name):
        if not candidate.is_absolute() and relative_to is not None:
            beside = relative_to / candidate
            if beside.exists():
                return beside
        return candidate
    if relative_to is not None and _exists(relative_to / f"{name_or_path}.toml"):
        return relative_to / f"{name_or_path}.toml"
    if relative_to is None and bare and not library_name and _exists(Path(f"{candidate}.toml")):
        return Path(f"{candidate}.toml")
    return library_dir() / f"{name_or_path}.toml"


def _exists(path: Path) -> bool:
    """``Path.exists`` that answers False, not OSError, for a name too long or unusable."""
    try:
        return path.exists()
    except (OSError, ValueError):
        return False


def _depth(node: Any, level: int = 0) -> int:
    if isinstance(node, dict):
        return max((_depth(v, level + 1) for v in node.values()), default=level + 1)
    if isinstance(node, list):
        return max((_depth(v, level + 1) for v in node), default=level + 1)
    return level


def _sibling_names(folder: Path) -> list[str]:
    """Scenario names a user could have meant: the library and files beside ``folder``."""
    names = set(library_names())
    try:
        if folder.is_dir():
            names.update(p.stem for p in folder.glob("*.toml"))
    except OSError:
        pass
    return sorted(names)


def read_toml(path: Path) -> dict[str, Any]:
    """Read one TOML file, refusing what no scenario could be."""
    label = str(path) if len(str(path)) <= 200 else str(path)[:200] + "..."
    try:
        is_dir, exists = path.is_dir(), path.exists()
    except (OSError, ValueError) as exc:
        reason = getattr(exc, "strerror", None) or str(exc)
        raise ScenarioError(label, "file", f"cannot be used: {reason}") from None
    if is_dir:
        raise ScenarioError(label, "file", "is a folder, not a scenario file")
    if not exists:
        raise ScenarioError(label, "file", "no such scenario file or library scenario"
                            + suggest(path.stem, _sibling_names(path.parent)))
    try:
        size = path.stat().st_size
        if size > MAX_FILE_BYTES:
            raise ScenarioError(label, "file",
                                f"larger than {MAX_FILE_BYTES:,} bytes ({size:,} bytes)")
        raw = path.read_bytes()
    except OSError as exc:
        raise ScenarioError(label, "file", f"cannot be read: {exc.strerror or exc}") from None
    if len(raw) > MAX_FILE_BYTES:
        raise ScenarioError(label, "file", f"larger than {MAX_FILE_BYTES:,} bytes")
    if not raw.strip():
        raise ScenarioError(label, "file", "empty file")
    try:
        text = raw.decode("utf-8-sig")  # a byte-order mark (Windows Notepad) is harmless
    except UnicodeDecodeError as exc:
        line = raw[:exc.start].count(b"\n") + 1
        raise ScenarioError(label, "file", f"not UTF-8 text (byte 0x{raw[exc.start]:02x} on "
                                           f"line {line}); save the file as UTF-8") from None
    return pickle.loads(_parsed(text, label))  # a fresh copy: callers may change it


@lru_cache(maxsize=256)
def _parsed(text: str, label: str) -> bytes:
    """A file's parsed tables, pickled, by its text: a scenario library is read again and again
    (every comparison loads its baseline chain), and tomllib, pure Python, costs more than
    everything else in loading a scenario. Keyed by the text, so an edited file is read anew."""
    try:
        data = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ScenarioError(label, "file", f"not valid TOML: {exc}") from None
    except RecursionError:
        raise ScenarioError(label, "file", f"nested deeper than {MAX_DEPTH} levels") from None
    try:
        too_deep = _depth(data) > MAX_DEPTH
    except RecursionError:
        too_deep = True
    if too_deep:
        raise ScenarioError(label, "file", f"nested deeper than {MAX_DEPTH} levels")
    return pickle.dumps(data, protocol=pickle.HIGHEST_PROTOCOL)


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


def fitted_tree() -> dict[str, Any]:
    """The calibrated values (``calibration/fitted.toml``), or nothing before a fit."""
    path = Path(str(resources.files("calibration"))) / "fitted.toml"
    return read_toml(path) if path.exists() else {}


def _resolve_tree(path: Path, chain: tuple[Path, ...] = (),
                  apply_fit: bool | dict[str, Any] = True) -> dict[str, Any]:
    label = os.path.normpath(path)  # "cycle/../a.toml" → "a.toml"
    resolved = path.resolve()
    if resolved in chain:
        cycle = " -> ".join(p.stem for p in (*chain, resolved))
        raise ScenarioError(label, "scenario.extends", f"cyclic extends: {cycle}")
    if len(chain) >= MAX_EXTENDS_CHAIN:
        raise ScenarioError(label, "scenario.extends",
                            f"extends chain longer than {MAX_EXTENDS_CHAIN} files")
    data = read_toml(path)
    if not data:
        raise ScenarioError(label, "file", "empty file (only comments, no settings)")
    _anchor_contract(data, path)
    header = data.get("scenario", {})
    if not isinstance(header, dict):
        raise ScenarioError(label, "scenario", "must be a table: write [scenario] above "
                                               "name, title, extends, ...")
    if "extends" in data:
        raise ScenarioError(label, "extends", "belongs in the [scenario] table: write "
                                              "[scenario] above it")
    if header.get("apply_fit") is True and apply_fit is not False:
        # fitted values replace the file's own starting values, before any child overrides
        fit = apply_fit if isinstance(apply_fit, dict) else fitted_tree()
        data = deep_merge(data, fit)
    parent = header.get("extends")
    if parent is None:
        return data
    if not isinstance(parent, str) or not parent.strip():
        raise ScenarioError(label, "scenario.extends",
                            "must be the name of a scenario in quotes, "
                            f"e.g. extends = \"baseline\" (got {shown(parent)})")
    parent_path = locate(parent, relative_to=path.parent)
    if parent_path.is_dir() or not parent_path.exists():
        raise ScenarioError(label, "scenario.extends", f"no scenario named {parent!r}"
                            + suggest(Path(parent).stem, _sibling_names(path.parent)))
    if parent_path.resolve() in (*chain, resolved):
        cycle = " -> ".join(p.stem for p in (*chain, resolved, parent_path.resolve()))
        raise ScenarioError(label, "scenario.extends", f"cyclic extends: {cycle}")
    base = _resolve_tree(parent_path, (*chain, resolved), apply_fit)
    _check_own_region(label, data, base)
    base.get("scenario", {}).pop("extends", None)
    # A child never inherits its parent's identity, only its parameters.
    for key in ("name", "title", "description"):
        base.get("scenario", {}).pop(key, None)
    return deep_merge(base, data)


# What makes a region: a scenario for another region than the one it extends must give these
# itself (each with a source or an assumption), not inherit the other region's.
OWN_REGION_FIELDS = ("region.job_seekers", "region.firms", "region.sector_shares",
                     "population.spell_band_shares", "labour_market.vacancies_per_seeker")


def _check_own_region(label: str, own: dict[str, Any], base: dict[str, Any]) -> None:
    """A region baseline names its sources and gives its own region figures."""
    name = _plain(own.get("region", {}).get("name")) if isinstance(
        own.get("region"), dict) else None
    inherited = base.get("region", {}).get("name") if isinstance(base.get("region"), dict) \
        else None
    inherited = _plain(inherited)
    if name is None or name == inherited:
        return
    header = own.get("scenario", {})
    if not header.get("sources"):
        raise ScenarioError(label, "scenario.sources",
                            f"a scenario for its own region ({name!r}, not {inherited!r}) must "
                            "name its sources: sources = [\"...\"]")
    for dotted in OWN_REGION_FIELDS:
        node: Any = own
        for part in dotted.split("."):
            node = node.get(part) if isinstance(node, dict) else None
        if node is None:
            raise ScenarioError(label, dotted,
                                f"a scenario for its own region ({name!r}, not {inherited!r}) "
                                "must give its own value with a source or an assumption, not "
                                f"inherit {inherited!r}'s")


def _plain(value: Any) -> Any:
    return value.get("value") if isinstance(value, dict) else value


def _anchor_contract(data: dict[str, Any], path: Path) -> None:
    """A contract file named in a scenario file is found beside that file, wherever the
    command runs from (and an ``extends`` chain keeps each file's own anchor)."""
    section = data.get("interventions")
    procurement = section.get("procurement") if isinstance(section, dict) else None
    if not isinstance(procurement, dict):
        return
    node = procurement.get("contract")
    value = node.get("value") if isinstance(node, dict) else node
    if not isinstance(value, str) or not is_contract_path(value):
        return
    try:
        anchored = str(Path(os.path.normpath(path.parent.absolute() / value)))
    except (OSError, ValueError):
        return  # left as written: loading the contract reports it
    if isinstance(node, dict):
        procurement["contract"] = {**node, "value": anchored}
    else:
        procurement["contract"] = anchored


def _stated_units(node: Any, path: tuple[str, ...] = ()
                  ) -> Iterable[tuple[tuple[str, ...], Any]]:
    """(path, unit) of every value table that states a ``unit``."""
    if isinstance(node, dict):
        if "value" in node:
            if "unit" in node:
                yield path, node["unit"]
            return
        for key, child in node.items():
            yield from _stated_units(child, (*path, str(key)))


def _check_units(data: dict[str, Any], label: str) -> None:
    """A ``unit`` written beside a value must be the schema's unit for that field: values
    are always read in the schema's unit, so a different one would be silently wrong."""
    for path, stated in _stated_units(data):
        loc = path[1:] if path[:1] == ("scenario",) else path
        parent = schema_at(tuple(loc[:-1])) if loc else None
        info = parent.model_fields.get(loc[-1]) if is_model(parent) else None
        if info is None:
            continue  # an unknown key: validation names it
        extra = info.json_schema_extra if isinstance(info.json_schema_extra, dict) else {}
        unit = str(extra.get("unit", ""))
        field = ".".join(path)
        if not isinstance(stated, str):
            raise ScenarioError(label, field, f"unit must be text in quotes, got {shown(stated)}")
        if " ".join(stated.split()) != unit:
            expected = f"its unit is {unit!r}" if unit else "it has no unit"
            raise ScenarioError(label, field, f"unit {stated!r} is not this field's unit: "
                                f"{expected} (values are read in it); fix or remove unit")


def _check_layout(data: dict[str, Any], label: str) -> None:
    """Top level: ``[scenario]`` and the sections; ``[scenario]``: the header fields."""
    header_fields, sections = header_field_names(), section_names()
    for key in data:
        if key == "scenario" or key in sections:
            continue
        if key in header_fields:
            raise ScenarioError(label, key, "belongs in the [scenario] table: write "
                                            "[scenario] above it")
        raise ScenarioError(label, key, f"unknown section {key!r}"
                            + suggest(key, (*sections, "scenario")))
    for key in data.get("scenario", {}):
        if key not in header_fields:
            raise ScenarioError(label, f"scenario.{key}", f"unknown key {key!r}"
                                + suggest(key, header_fields))


def _flatten_header(data: dict[str, Any]) -> dict[str, Any]:
    """Move the ``[scenario]`` header fields to the top level of the model input."""
    header = dict(data.get("scenario", {}))
    body = {k: v for k, v in data.items() if k != "scenario"}
    clash = set(header) & set(body)
    if clash:
        raise ValueError(f"scenario.{sorted(clash)[0]} is also given as a section")
    return {**header, **body}


def scenario_from_tree(data: dict[str, Any], label: str, default_name: str) -> Scenario:
    """Validate a raw (provenance-wrapped) tree into a ``Scenario``.

    Every problem is one ``ScenarioError`` naming the dotted field as written in
    the file (``population.age_shares``, ``services.job_coaching.duration_weeks``,
    ``scenario.weeks``); types are strict, so ``"0.5"`` or ``true`` is no number.
    """
    try:
        return _validate_tree(data, label, default_name)
    except RecursionError:
        raise ScenarioError(label, "file", f"nested deeper than {MAX_DEPTH} levels") from None


def _validate_tree(data: dict[str, Any], label: str, default_name: str) -> Scenario:
    if not isinstance(data.get("scenario", {}), dict):
        raise ScenarioError(label, "scenario", "must be a table: write [scenario] above "
                                               "name, title, extends, ...")
    _check_layout(data, label)
    missing_value = value_without_value(data)
    if missing_value is not None:
        raise ScenarioError(label, missing_value, "has a source or assumption but no 'value': "
                                                  "write { value = ..., source = \"...\" }")
    _check_units(data, label)
    try:
        values, provenance = unwrap(data)
    except ProvenanceError as exc:
        message = exc.message
        extra = re.match(r"unexpected key '([^']*)' in value table", message)
        if extra:
            message += suggest(extra.group(1), ("value", *PROVENANCE_KEYS, "unit", "note"))
        raise ScenarioError(label, exc.path or "scenario", message) from None
    bad_number = non_finite(values)
    if bad_number is not None:
        raise ScenarioError(label, bad_number, "must be a finite number, not nan or inf")
    flat = _flatten_header(values)
    flat.setdefault("name", default_name)
    header_fields = header_field_names()
    provenance = {k.removeprefix("scenario."): v for k, v in provenance.items()}
    try:
        scenario = Scenario.model_validate({**flat, "provenance": provenance}, strict=True)
    except ValidationError as exc:
        error = exc.errors(include_url=False)[0]
        loc = tuple(error["loc"])
        if error["type"] == "value_error":
            cause = (error.get("ctx") or {}).get("error")
            text = str(cause) if cause is not None else str(error["msg"])
            loc, message = value_error(loc, " ".join(text.split()))
        else:
            message = pydantic_message(error)
        if loc and loc[0] in header_fields:
            loc = ("scenario", *loc)
        raise ScenarioError(label, field_path(loc), message) from None
    if len(scenario.name) > MAX_NAME_CHARS or not scenario.name.strip() \
            or not scenario.name.isprintable():
        raise ScenarioError(label, "scenario.name",
                            f"must be 1 to {MAX_NAME_CHARS} printable characters (it names "
                            f"files and folders), got {len(scenario.name)} characters")
    try:
        datetime.date.fromisoformat(scenario.start_date)
    except ValueError:
        raise ScenarioError(label, "scenario.start_date",
                            f"must be a date like \"2017-08-01\", got {scenario.start_date!r}"
                            ) from None
    return scenario


def load_scenario(name_or_path: str | Path, overrides: dict[str, Any] | None = None,
                  apply_fit: bool | dict[str, Any] = True) -> Scenario:
    """Load, resolve ``extends``, validate. ``overrides`` is a nested dict of plain values.

    ``apply_fit=False`` ignores ``calibration/fitted.toml`` (the calibration itself
    starts from the files' own values); a dict (a tree like fitted.toml's) is
    applied in its place, so a candidate fit sits beneath child scenarios' overrides.
    """
    path = locate(name_or_path)
    tree = _resolve_tree(path, apply_fit=apply_fit)
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
    """Hash of everything that changes results: the resolved parameters (calibrated values
    included) and the content of every file they name (a contract, by its fees, not by its
    name or path), but not names, texts or provenance."""
    payload = scenario.model_dump(mode="json",
                                  exclude={"name", "title", "description", "sources",
                                           "provenance", "extends"})
    procurement = scenario.interventions.procurement
    if procurement is not None and procurement.contract_table is None:
        contract = procurement.resolved_contract()
        payload["interventions"]["procurement"]["contract"] = contract.model_dump(
            mode="json", exclude={"file", "provenance"})
    text = json.dumps(payload, sort_keys=True, separators=(",", ":"))
    return hashlib.sha256(text.encode()).hexdigest()[:16]
