"""A workshop design as a scenario file, and a scenario file back into the workshop.

``design_toml`` writes what the page would run (``dashboards.levers.resolve``) as a scenario
file that extends the library scenario the design started from and sets only what the
workshop changed: the region's size, the period, the target group, each lever and the edited
contract, every value an ``assumption`` carrying the workshop's note and date. Loading the file
gives the same resolved scenario (same content hash, so the same run ids) as the page ran, and
``pilotsim compare BASELINE FILE --seed S --replications R`` pairs it with its baseline exactly
as the page did.

``read_upload`` takes a file from the browser: bounded in size, parsed and checked before the
project's loader sees it (it may extend only a library scenario and name no file on the server),
loaded from a private temporary folder removed at once; anything wrong is one line.
"""

from __future__ import annotations

import base64
import binascii
import datetime
import json
import re
import tempfile
import tomllib
from pathlib import Path
from typing import Any

from dashboards.levers import (
    MAX_JOB_SEEKERS,
    MAX_WEEKS,
    MIN_JOB_SEEKERS,
    MIN_WEEKS,
    WorkshopRequest,
    baseline_name,
    library_scenario,
    scenario_names,
    scenario_overrides,
)
from simulation.experiments.compare import comparison_baseline
from simulation.params.contracts import is_contract_path
from simulation.params.loading import ScenarioError, load_scenario, wrap_overrides
from simulation.params.schema import Scenario

MAX_UPLOAD_BYTES = 100_000  # a scenario file is a few kB; the loader's own cap is 1 MB
MAX_NOTE_CHARS = 300
BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")


class UploadError(ValueError):
    """An uploaded file the workshop refuses; the message is one line for the page."""


# --- the design as a file ---------------------------------------------------------------------

def clean_note(note: Any) -> str:
    """The workshop's note as one printable line (it goes into the file's assumptions)."""
    line = " ".join(str(note or "").split())
    line = "".join(ch for ch in line if ch.isprintable())
    return line[:MAX_NOTE_CHARS]


def recorded_overrides(request: WorkshopRequest) -> dict[str, Any]:
    """What the design changes in its library scenario, as nested plain values.

    The page's own overrides (``scenario_overrides``), less what restates the library: the
    period when unchanged and the scenario's own target group (which the page copies to itself
    so that the baseline counts the same people; ``pilotsim compare`` pairs them the same way).
    The region's size is always kept: the workshop runs a smaller region for speed.
    """
    library = library_scenario(request.scenario)
    tree = scenario_overrides(request)
    if request.weeks == library.weeks:
        tree["scenario"].pop("weeks")
    if not tree["scenario"]:
        tree.pop("scenario")
    if request.target == "scenario":
        tree.pop("target_group")
    return tree


def _was(library: Scenario, path: tuple[str, ...]) -> Any:
    node: Any = library.model_dump(mode="json")
    for part in path:
        node = node.get(part) if isinstance(node, dict) else None
    return node


def _assumptions(tree: dict[str, Any], library: Scenario, stamp: str, note: str,
                 path: tuple[str, ...] = ()) -> dict[str, Any]:
    """Each value as a value table: the workshop's date, the library's value and the note."""
    out: dict[str, Any] = {}
    for key, value in tree.items():
        here = (*path, key)
        if "contract_table" in here or (isinstance(value, dict) and "any_of" in value):
            # a whole edited contract or target group: one note for all its numbers
            what = "contract" if "contract_table" in here else "target group"
            out[key] = wrap_overrides({key: value}, f"{stamp}: {what} set in the workshop"
                                      + (f"; {note}" if note else ""))[key]
        elif isinstance(value, dict):
            out[key] = _assumptions(value, library, stamp, note, here)
        else:
            field = here[1:] if here[0] == "scenario" else here
            before = _was(library, field)
            line = f"{stamp}: changed from {before}" if before is not None else stamp
            out[key] = {"value": value, "assumption": line + (f"; {note}" if note else "")}
    return out


def _string(line: str) -> str:
    # JSON's escapes (\", \\, \n, \uXXXX) are all valid in a TOML basic string
    return json.dumps(line, ensure_ascii=False)


def _key(key: str) -> str:
    return key if BARE_KEY.fullmatch(key) else _string(key)


def _inline(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        return _string(value)
    if isinstance(value, list | tuple):
        return "[" + ", ".join(_inline(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{_key(k)} = {_inline(v)}" for k, v in value.items()) + " }"
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def _tables(tree: dict[str, Any], path: tuple[str, ...]) -> list[str]:
    """``[path]`` with its values, then its sub-tables (a value table stays inline)."""
    leaves = {k: v for k, v in tree.items() if not (isinstance(v, dict) and "value" not in v)}
    lines = []
    if leaves or not tree:
        lines += ["", f"[{'.'.join(_key(p) for p in path)}]"]
        lines += [f"{_key(k)} = {_inline(v)}" for k, v in leaves.items()]
    for key, value in tree.items():
        if key not in leaves:
            lines += _tables(value, (*path, key))
    return lines


def file_name(request: WorkshopRequest, day: datetime.date) -> str:
    return f"{request.scenario}-workshop-{day.isoformat()}.toml"


def design_name(request: WorkshopRequest) -> str:
    return f"{request.scenario}_workshop"


def design_toml(request: WorkshopRequest, note: Any = "",
                day: datetime.date | None = None) -> str:
    """The scenario file of a design: extends its library scenario, sets what changed."""
    day = day or datetime.date.today()
    note = clean_note(note)
    library = library_scenario(request.scenario)
    stamp = f"workshop {day.isoformat()}"
    tree = _assumptions(recorded_overrides(request), library, stamp, note)
    header = {"extends": request.scenario, "name": design_name(request),
              "title": f"Workshop design: {library.title or request.scenario}",
              "description": note or f"Built in the pilotsim workshop on {day.isoformat()}.",
              **tree.pop("scenario", {})}
    base = baseline_name(library)
    lines = [
        f"# A design from the pilotsim workshop, {day.isoformat()}: {request.scenario} with "
        "the workshop's changes,",
        "# each marked as an assumption with the workshop's note. To check it and compare it",
        "# with its baseline exactly as the dashboard did (same seed and replications):",
        "#   pilotsim validate THIS_FILE",
        f"#   pilotsim compare {base} THIS_FILE --seed {request.seed} "
        f"--replications {request.replications}",
        "",
        "[scenario]",
        *(f"{_key(k)} = {_inline(v)}" for k, v in header.items()),
    ]
    for section, value in tree.items():
        lines += _tables(value, (section,))
    return "\n".join(lines) + "\n"


# --- a file from the browser ------------------------------------------------------------------

def _decoded(contents: Any) -> bytes:
    if not isinstance(contents, str) or "," not in contents:
        raise UploadError("the upload is not a file")
    encoded = contents.split(",", 1)[1]
    if len(encoded) > MAX_UPLOAD_BYTES * 4 // 3 + 8:  # refused before decoding
        raise UploadError(f"larger than {MAX_UPLOAD_BYTES:,} bytes: a scenario file is a "
                          "few kB")
    try:
        return base64.b64decode(encoded, validate=True)
    except (binascii.Error, ValueError):
        raise UploadError("the upload could not be read") from None


def _check_references(raw: bytes) -> None:
    """Only library scenarios and shipped contracts: a file from the browser names no file
    on the server (the loader would read it)."""
    try:
        data = tomllib.loads(raw.decode("utf-8-sig"))
    except (UnicodeDecodeError, tomllib.TOMLDecodeError):
        return  # the loader says what is wrong, with the line
    header = data.get("scenario") if isinstance(data.get("scenario"), dict) else {}
    parent = header.get("extends")
    if parent is not None and parent not in scenario_names():
        raise UploadError(f"scenario.extends: {str(parent)[:60]!r} is not a library scenario "
                          "(an uploaded file may extend only one of them)")
    section = data.get("interventions")
    procurement = section.get("procurement") if isinstance(section, dict) else None
    contract = procurement.get("contract") if isinstance(procurement, dict) else None
    contract = contract.get("value") if isinstance(contract, dict) else contract
    if isinstance(contract, str) and is_contract_path(contract):
        raise UploadError("interventions.procurement.contract: an uploaded file may name "
                          "a shipped contract or write its contract_table, not a file")


def _one_line(line: str, limit: int = 300) -> str:
    line = " ".join(str(line).split())
    return line if len(line) <= limit else line[:limit - 3] + "..."


def read_upload(contents: Any, filename: Any) -> Scenario:
    """The validated scenario of an uploaded file, or ``UploadError`` (one line)."""
    name = Path(str(filename or "upload.toml")).name[:80]
    raw = _decoded(contents)
    if len(raw) > MAX_UPLOAD_BYTES:
        raise UploadError(f"{name}: larger than {MAX_UPLOAD_BYTES:,} bytes")
    _check_references(raw)
    # a private folder: nothing else lies beside the file for `extends` to find
    with tempfile.TemporaryDirectory(prefix="pilotsim-upload-") as folder:
        path = Path(folder) / "upload.toml"
        path.write_bytes(raw)
        try:
            scenario = load_scenario(path)
        except ScenarioError as error:
            raise UploadError(_one_line(f"{name}: {error.field}: {error.message}")) from None
        except (ValueError, TypeError, OSError) as error:
            raise UploadError(_one_line(f"{name}: {error}")) from None
    if not MIN_JOB_SEEKERS <= scenario.region.job_seekers <= MAX_JOB_SEEKERS:
        raise UploadError(f"{name}: region.job_seekers: the workshop runs {MIN_JOB_SEEKERS:,}"
                          f"–{MAX_JOB_SEEKERS:,} job seekers (the file has "
                          f"{scenario.region.job_seekers:,}); use pilotsim compare for more")
    if not MIN_WEEKS <= scenario.weeks <= MAX_WEEKS:
        raise UploadError(f"{name}: scenario.weeks: the workshop runs {MIN_WEEKS}–{MAX_WEEKS} "
                          f"weeks (the file has {scenario.weeks})")
    return scenario


def upload_baseline(scenario: Scenario) -> Scenario:
    """The baseline an uploaded scenario is compared with, paired as ``pilotsim compare``
    pairs it: its declared baseline, else that of the library scenario it extends (as the
    page compares that scenario)."""
    base = scenario.baseline
    if base is None and scenario.extends in scenario_names():
        base = baseline_name(library_scenario(scenario.extends))
    if base is None or base not in scenario_names():
        raise UploadError(f"{scenario.name}: names no library baseline (write baseline = "
                          "\"...\" under [scenario])")
    try:
        return comparison_baseline(library_scenario(base), scenario)
    except ValueError as error:
        raise UploadError(_one_line(str(error))) from None
