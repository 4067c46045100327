"""Where a scenario file's keys sit in the schema, and a planner's wording of what is wrong
there: the helpers :mod:`simulation.params.loading` uses to turn a validation error into one
line ``FILE: FIELD: message``.
"""

from __future__ import annotations

import datetime
import difflib
import math
import re
from collections.abc import Callable, Iterable
from types import UnionType
from typing import Annotated, Any, Union, get_args, get_origin

from pydantic import BaseModel

from simulation.params.provenance import PROVENANCE_KEYS
from simulation.params.schema import SERVICE_NAMES, Scenario


def strip_annotation(annotation: Any) -> Any:
    """``X | None`` → ``X``; ``Annotated[X, ...]`` → ``X``."""
    while True:
        origin = get_origin(annotation)
        if origin is Annotated:
            annotation = get_args(annotation)[0]
        elif origin in (Union, UnionType):
            options = [a for a in get_args(annotation) if a is not type(None)]
            if len(options) != 1:
                return annotation
            annotation = options[0]
        else:
            return annotation


def is_model(annotation: Any) -> bool:
    return isinstance(annotation, type) and issubclass(annotation, BaseModel)


def schema_at(loc: tuple[Any, ...]) -> Any:
    """The annotation of the schema node at ``loc`` (a pydantic location), or None."""
    node: Any = Scenario
    for item in loc:
        node = strip_annotation(node)
        if is_model(node):
            field = node.model_fields.get(item) if isinstance(item, str) else None
            if field is None:
                return None
            node = field.annotation
        elif get_origin(node) is dict:
            node = get_args(node)[1]
        elif get_origin(node) is list:
            node = get_args(node)[0]
        else:
            return None
    return strip_annotation(node)


def header_field_names() -> tuple[str, ...]:
    """Scenario fields written in the ``[scenario]`` table (the rest are sections)."""
    return tuple(name for name, field in Scenario.model_fields.items()
                 if name != "provenance" and not is_model(strip_annotation(field.annotation))
                 and get_origin(strip_annotation(field.annotation)) is not dict)


def section_names() -> tuple[str, ...]:
    return tuple(name for name in Scenario.model_fields
                 if name not in header_field_names() and name != "provenance")


def is_internal(item: Any) -> bool:
    """Pydantic's own location steps (``function-after[...]``, ``[key]``, union tags)."""
    text = str(item)
    return text == "[key]" or text.startswith("function-") or "[" in text


def field_path(loc: tuple[Any, ...]) -> str:
    parts: list[str] = []
    for item in loc:
        if isinstance(item, int):
            if parts:
                parts[-1] = f"{parts[-1]}[{item}]"
            else:
                parts.append(f"[{item}]")
        elif not is_internal(item):
            parts.append(str(item))
    return ".".join(parts) or "scenario"


def suggest(word: str, choices: Iterable[str]) -> str:
    close = difflib.get_close_matches(word, list(choices), n=1, cutoff=0.6)
    return f" (did you mean {close[0]!r}?)" if close else ""


def number_text(value: float) -> str:
    if isinstance(value, int) and not isinstance(value, bool):
        return f"{value:,}"
    if isinstance(value, float) and value.is_integer() and abs(value) < 1e15:
        return f"{int(value):,}"
    return repr(value)


def shown(value: Any) -> str:
    """A short, one-line description of a value as the user wrote it."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return number_text(value)
    if isinstance(value, str):
        return f"text {value[:40] + '...' if len(value) > 40 else value!r}"
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, list):
        return "a list"
    if isinstance(value, datetime.date | datetime.time):
        return "a TOML date/time"
    return type(value).__name__


def unknown_key_message(loc: tuple[Any, ...]) -> str:
    """Name the unknown key and suggest the nearest allowed one."""
    model = schema_at(tuple(loc[:-1]))
    key = str(loc[-1])
    allowed = list(model.model_fields) if is_model(model) else []
    return f"unknown key {key!r}{suggest(key, allowed)}"


def literal_choices(expected: str) -> list[str]:
    return re.findall(r"'([^']*)'", expected)


# after a number given as text in a file (a value from the command line leaves it off)
QUOTE_HINT = " (write numbers without quotes, as { value = ..., source = \"...\" })"


def pydantic_message(error: dict[str, Any]) -> str:
    """A planner's one-line wording of one pydantic error."""
    kind, ctx, value = error["type"], error.get("ctx") or {}, error.get("input")
    loc = tuple(error["loc"])
    got = f", got {shown(value)}"
    if kind == "extra_forbidden":
        return unknown_key_message(loc)
    if kind == "literal_error":
        choices = literal_choices(str(ctx.get("expected", "")))
        what = "value"
        if loc and loc[-1] == "[key]":
            container = loc[-3] if len(loc) >= 3 else ""
            what = {"services": "service", "service_mix": "profile"}.get(container, "name")
        allowed = ", ".join(choices)
        if not isinstance(value, str):
            return f"must be one of {allowed}{got}"
        return f"unknown {what} {value!r}{suggest(value, choices)}; allowed: {allowed}"
    bounds = {"greater_than_equal": ("ge", "at least"), "greater_than": ("gt", "more than"),
              "less_than_equal": ("le", "at most"), "less_than": ("lt", "less than")}
    if kind in bounds:
        key, words = bounds[kind]
        return f"must be {words} {number_text(ctx[key])}{got}"
    if kind in ("float_type", "float_parsing", "int_type", "int_parsing", "int_from_float"):
        what = "a whole number" if kind.startswith("int") else "a number"
        return f"must be {what}{got}{QUOTE_HINT if isinstance(value, str) else ''}"
    if kind == "list_type":
        return f"must be a list [...]{got}"
    if kind in ("dict_type", "model_type", "model_attributes_type"):
        return f"must be a table{got}"
    if kind == "string_type":
        return f"must be text in quotes{got}"
    if kind == "bool_type":
        return f"must be true or false{got}"
    if kind == "missing":
        return "is required"
    return " ".join(str(error["msg"]).split())


_LEADING_PATH = re.compile(r"^([A-Za-z_]\w*(?:\.\w+)*)(:?)\s+(.*)$", re.DOTALL)
_UNKNOWN_SERVICE = re.compile(r"^unknown service '([^']*)'$")


def value_error(loc: tuple[Any, ...], message: str) -> tuple[tuple[Any, ...], str]:
    """Locate a model-level check's message at the field it names.

    Checks in ``simulation.params.schema`` start their message with the field they
    are about (``"age_shares must sum to 1 ..."``, ``"service_mix.young: unknown
    service 'x'"``); that name, if the model at ``loc`` has it, extends ``loc``.
    """
    match = _LEADING_PATH.match(message)
    if match is None:
        return loc, message
    path, colon, rest = match.groups()
    parts = tuple(path.split("."))
    model = schema_at(loc)
    if not is_model(model) or parts[0] not in model.model_fields:
        return loc, message
    loc = (*loc, *parts)
    if not colon:
        return loc, message
    unknown = _UNKNOWN_SERVICE.match(rest)
    if unknown:
        name = unknown.group(1)
        if name in SERVICE_NAMES:
            return (*loc, name), f"service {name!r} has no [services.{name}] section"
        return (*loc, name), f"unknown service {name!r}{suggest(name, SERVICE_NAMES)}"
    return loc, rest


def first_path(node: Any, hit: Callable[[Any], bool], path: str = "") -> str | None:
    """The path of the first node (depth first, in order) for which ``hit`` is true."""
    if hit(node):
        return path
    if isinstance(node, dict):
        children = ((f"{path}.{key}" if path else str(key), child) for key, child in node.items())
    elif isinstance(node, list):
        children = ((f"{path}[{i}]", child) for i, child in enumerate(node))
    else:
        return None
    for child_path, child in children:
        found = first_path(child, hit, child_path)
        if found is not None:
            return found
    return None


def non_finite(node: Any) -> str | None:
    """The path of the first NaN or infinite number in a plain tree."""
    return first_path(node, lambda n: isinstance(n, float) and not math.isfinite(n))


def value_without_value(node: Any) -> str | None:
    """The path of the first table that has a source or assumption but no ``value``."""
    return first_path(node, lambda n: isinstance(n, dict) and "value" not in n
                       and any(k in n for k in PROVENANCE_KEYS))
