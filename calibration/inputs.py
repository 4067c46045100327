"""What a calibration is given: the free parameters of ``params.csv``, the run's settings,
and the dotted parameter paths (``"flows.inflow_per_week"``) that both are written in.
"""

from __future__ import annotations

import csv
import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from calibration.targets import TargetsError

# the scenario-tree helpers are the posterior's (one copy); msm, evaluation and fitted_file use
# them through this module
from simulation.experiments.posterior import get_path, nested  # noqa: F401
from simulation.params.loading import load_scenario

PARAM_COLUMNS = ("parameter", "lower", "upper", "start", "role", "source")
FIXED_POINT_PATHS = ("labour_market.work_hazard_by_band", "public_office.referral_by_band",
                     "public_office.follow_on_referral", "flows.inflow_per_week")


@dataclass(frozen=True)
class FreeParameter:
    path: str
    lower: float
    upper: float
    start: float | None
    role: str
    source: str


@dataclass(frozen=True)
class Settings:
    budget: int = 30
    seeds: int = 3
    seed: int = 2015
    scale: float = 1 / 3
    workers: int | None = None
    fixed_point_iterations: int = 8
    polish_iterations: int = 3
    damping: float = 0.8
    report_seeds: int = 4
    report_scale: float = 1.0
    dask: str | None = None   # a Dask scheduler address; with use_dask and no address, a
    use_dask: bool = False    # LocalCluster of `workers` processes

    def describe(self) -> str:
        return (f"budget {self.budget}, seeds {self.seeds}, seed {self.seed}, "
                f"scale {self.scale:.4g}, fixed point {self.fixed_point_iterations}+"
                f"{self.polish_iterations} iterations, damping {self.damping}")


# -- parameter table ------------------------------------------------------------------

def read_params(path: str | Path) -> list[FreeParameter]:
    """Read ``params.csv``: parameter (dotted path), lower, upper, start, role, source."""
    path = Path(path)
    if not path.exists():
        raise TargetsError(path, None, "file", "no such file")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        missing = [c for c in ("parameter", "lower", "upper", "source")
                   if c not in (reader.fieldnames or [])]
        if missing:
            raise TargetsError(path, 1, missing[0], "missing column (required: parameter, "
                               "lower, upper, source; optional: start, role)")
        out, seen = [], {}
        for line, row in enumerate(reader, start=2):
            name = (row.get("parameter") or "").strip()
            if not name or name.startswith("#"):
                continue
            if name in seen:
                raise TargetsError(path, line, "parameter",
                                   f"duplicate parameter {name!r} (first on line {seen[name]})")
            seen[name] = line
            numbers = {}
            for column in ("lower", "upper", "start"):
                text = (row.get(column) or "").strip()
                if column == "start" and not text:
                    numbers[column] = None
                    continue
                try:
                    numbers[column] = float(text)
                except ValueError:
                    raise TargetsError(path, line, column, f"not a number: {text!r}") from None
            if not numbers["lower"] < numbers["upper"]:
                raise TargetsError(path, line, "upper", "must be greater than lower")
            start = numbers["start"]
            if start is not None and not numbers["lower"] <= start <= numbers["upper"]:
                raise TargetsError(path, line, "start", "must lie between lower and upper")
            role = (row.get("role") or "fit").strip() or "fit"
            if role not in ("fit", "sensitivity"):
                raise TargetsError(path, line, "role", f"must be fit or sensitivity, got {role!r}")
            if name in FIXED_POINT_PATHS:
                raise TargetsError(path, line, "parameter", f"{name} is set by the fixed-point "
                                   "stage; it cannot also be searched")
            out.append(FreeParameter(name, numbers["lower"], numbers["upper"], start, role,
                                     (row.get("source") or "").strip()))
    _check_paths(path, out)
    return out


def _check_paths(path: Path, params: list[FreeParameter]) -> None:
    """Every parameter must name a number in the baseline scenario."""
    dump = load_scenario("baseline", apply_fit=False).model_dump()
    for p in params:
        value = get_path(dump, p.path)
        if not isinstance(value, int | float) or isinstance(value, bool):
            raise TargetsError(path, None, "parameter",
                               f"{p.path!r} is not a number in the baseline scenario")


def without(tree: dict[str, Any], paths: list[str]) -> dict[str, Any]:
    """A copy of a fitted tree without the given parameters (and empty tables)."""
    out: dict[str, Any] = json.loads(json.dumps(tree))
    for dotted in paths:
        *head, last = dotted.split(".")
        node = out
        for part in head:
            node = node.get(part, {}) if isinstance(node, dict) else {}
        if isinstance(node, dict):
            node.pop(last, None)

    def prune(node: dict[str, Any]) -> dict[str, Any]:
        return {k: prune(v) if isinstance(v, dict) and "value" not in v else v
                for k, v in node.items()
                if not (isinstance(v, dict) and "value" not in v and not prune(v))}
    return prune(out)
