"""Writing ``calibration/fitted.toml``: the fitted tree with each value's source, as TOML
that the scenario loader reads back.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from calibration.inputs import FIXED_POINT_PATHS, FreeParameter, Settings, nested
from calibration.targets import Target
from simulation.params.loading import deep_merge, read_toml


def significant(x: float, digits: int = 4) -> float:
    """Round to significant digits (stable text in fitted.toml)."""
    return float(f"{float(x):.{digits}g}")


def fitted_document(base_fit: dict[str, Any], values: dict[str, Any],
                    params: list[FreeParameter], settings: Settings,
                    targets: list[Target]) -> dict[str, Any]:
    """The fitted tree: kept values plus the new ones, each with its source."""
    files = sorted({Path(t.file).name for t in targets if t.use == "fit"})
    how = f"fitted: pilotsim calibrate ({settings.describe()}) to {', '.join(files)}"
    sources = {p.path: p.source for p in params}
    new: dict[str, Any] = {}
    for path, value in values.items():
        if path in FIXED_POINT_PATHS:
            source = (f"{how}; damped fixed point (calibration/duration_profile.py method) to "
                      "Labore 2015 exit rates by spell band, activation 2018 and the stock "
                      "296k → 240k (DOMAIN.md §3)")
        else:
            source = (f"{how}; method of simulated moments, bounds: {sources.get(path, '')}")
        new[path] = {"value": value, "source": source}
    return deep_merge(base_fit, nested(new))


def _toml_value(value: Any) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(float(value)) if isinstance(value, float) else str(value)
    if isinstance(value, list):
        return "[" + ", ".join(_toml_value(v) for v in value) + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    raise TypeError(f"cannot write {type(value).__name__} to TOML")


def toml_text(tree: dict[str, Any], header: str) -> str:
    """Write a fitted tree: tables of ``key = { value = ..., source = "..." }``."""
    lines = [header.rstrip(), ""]

    def walk(node: dict[str, Any], prefix: str) -> None:
        leaves = {k: v for k, v in node.items() if not (isinstance(v, dict) and "value" not in v)}
        if leaves:
            lines.append(f"[{prefix}]")
            for key, table in leaves.items():
                parts = ", ".join(f"{k} = {_toml_value(v)}" for k, v in table.items())
                lines.append(f"{key} = {{ {parts} }}")
            lines.append("")
        for key, child in node.items():
            if isinstance(child, dict) and "value" not in child:
                walk(child, f"{prefix}.{key}" if prefix else key)

    walk(tree, "")
    return "\n".join(lines).rstrip() + "\n"


FITTED_HEADER = ("# Written by `pilotsim calibrate` (calibration/msm.py); do not edit by hand.\n"
                 "# Scenarios with apply_fit = true read these values on top of their own.\n"
                 "# The fit report is calibration/report.md.")


def write_fitted(tree: dict[str, Any], path: Path) -> None:
    text = toml_text(tree, FITTED_HEADER)
    tmp = path.with_suffix(".tmp")
    tmp.write_text(text, encoding="utf-8")
    read_toml(tmp)  # never leave a file scenarios cannot read
    tmp.replace(path)
