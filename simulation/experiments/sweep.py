"""Parameter sweeps: which scenario variants to run, as a grid or a Latin hypercube.

A sweep varies dotted parameter paths of one scenario (``public_office.caseload``), each
given as values (``60,80,107``) or, for a Latin hypercube, a range (``0.3:0.7``; write
``40:120`` without decimal points for a whole-number parameter). Every point is loaded as the
scenario with those overrides, so the scenario file's validation applies to it, and runs
``replications`` replications seeded from ``seed`` (the same children at every point: common
random numbers, so differences between points are not seed noise).

A sweep is counted before it is expanded: more than :data:`MAX_RUNS` runs (points ×
replications) is refused up front unless the caller raises the limit (``--max-runs``), so a
mistyped grid never fills memory point by point before anything is said.

The sweep's id is derived from everything that defines it, so running the same sweep again
yields the same requests, and :func:`simulation.runner.execute` skips those already stored:
a sweep is resumable by simply running it again.
"""

from __future__ import annotations

import hashlib
import itertools
import json
import math
from collections.abc import Sequence
from dataclasses import dataclass
from typing import TYPE_CHECKING, Any, Literal

if TYPE_CHECKING:
    from simulation.experiments.runner import RunRequest
    from simulation.params.schema import Scenario

# the model (runner), the scenario schema and numpy are imported where a sweep is built:
# the command line reads MAX_RUNS for its options without them
Design = Literal["grid", "lhs"]
Value = int | float | bool | str

# Most runs a sweep makes unless asked for more: at about a second a full-size replication
# per core, 20,000 runs is a night's work on a workstation (see the README).
MAX_RUNS = 20_000


class SweepError(ValueError):
    """A sweep that cannot be built as asked."""


@dataclass(frozen=True)
class ParameterSpec:
    """One varied parameter: a list of values, or a range [low, high) for a Latin hypercube."""
    path: str
    values: tuple[Value, ...] = ()
    low: float | None = None
    high: float | None = None
    integer: bool = False

    @property
    def is_range(self) -> bool:
        return self.low is not None

    def text(self) -> str:
        if self.is_range:
            return f"{self.path}={self.low}:{self.high}" + (" (whole numbers)" if self.integer
                                                            else "")
        return f"{self.path}={','.join(map(str, self.values))}"


def _value(text: str) -> Value:
    text = text.strip()
    for parse in (int, float):
        try:
            value = parse(text)
        except ValueError:
            continue
        if isinstance(value, float) and not math.isfinite(value):
            raise SweepError(f"{text!r} is not a finite number")
        return value
    if text.lower() in ("true", "false"):
        return text.lower() == "true"
    if not text:
        raise SweepError("empty value")
    return text


def parse_parameter(text: str) -> ParameterSpec:
    """``NAME=V1,V2,...`` or ``NAME=LOW:HIGH`` -> a :class:`ParameterSpec`."""
    name, sep, spec = text.partition("=")
    name = name.strip()
    if not sep or not name or not spec.strip():
        raise SweepError(f"--param {text!r}: write NAME=V1,V2,... or NAME=LOW:HIGH")
    parts = name.split(".")
    if any(not part.strip() for part in parts):
        raise SweepError(f"--param {text!r}: {name!r} is not a dotted parameter path")
    try:
        if ":" in spec:
            low_text, _, high_text = spec.partition(":")
            low, high = _value(low_text), _value(high_text)
            if not all(isinstance(v, int | float) and not isinstance(v, bool)
                       for v in (low, high)):
                raise SweepError("a range needs two numbers, LOW:HIGH")
            if not low < high:
                raise SweepError(f"a range needs LOW < HIGH, got {low}:{high}")
            integer = isinstance(low, int) and isinstance(high, int)
            return ParameterSpec(name, low=float(low), high=float(high), integer=integer)
        values = tuple(_value(v) for v in spec.split(","))
    except SweepError as exc:
        raise SweepError(f"--param {text!r}: {exc}") from None
    if len(set(map(repr, values))) != len(values):
        raise SweepError(f"--param {text!r}: a value is repeated")
    return ParameterSpec(name, values=values)


def _significant(value: float, digits: int = 6) -> float:
    """Round a sampled value so that tags read well and the same sweep gives the same text."""
    return float(f"{value:.{digits}g}")


def design_points(specs: Sequence[ParameterSpec], design: Design = "grid",
                  samples: int | None = None, seed: int = 0) -> list[dict[str, Value]]:
    """The sweep's points, each ``{path: value}``, in a fixed order.

    ``grid``: every combination of the listed values (the first parameter varies slowest).
    ``lhs``: ``samples`` points of a Latin hypercube seeded with ``seed``; a range is sampled
    uniformly in [low, high) (rounded to whole numbers for an integer range, else to 6
    significant digits), a list of values is one stratified categorical choice.
    """
    paths = [spec.path for spec in specs]
    if len(set(paths)) != len(paths):
        raise SweepError("a parameter is given twice")
    if design == "grid":
        ranged = [spec.path for spec in specs if spec.is_range]
        if ranged:
            raise SweepError(f"{ranged[0]}: a grid needs values (V1,V2,...); "
                             "ranges are for --design lhs")
        if samples is not None:
            raise SweepError("--samples is for --design lhs; a grid runs every combination")
        return [dict(zip(paths, combo, strict=True))
                for combo in itertools.product(*(spec.values for spec in specs))]
    if design != "lhs":
        raise SweepError(f"design is 'grid' or 'lhs', not {design!r}")
    if not samples or samples < 1:
        raise SweepError("--design lhs needs --samples N")
    import numpy as np
    from scipy.stats import qmc  # only here: importing scipy.stats costs half a second

    unit = qmc.LatinHypercube(len(specs), rng=np.random.default_rng(seed)).random(samples)
    points = []
    for row in unit:
        point: dict[str, Value] = {}
        for spec, u in zip(specs, row, strict=True):
            if spec.is_range:
                assert spec.low is not None and spec.high is not None
                if spec.integer:
                    # whole numbers low..high-1, each with equal probability
                    point[spec.path] = int(spec.low + math.floor(u * (spec.high - spec.low)))
                else:
                    point[spec.path] = _significant(spec.low + u * (spec.high - spec.low))
            else:
                point[spec.path] = spec.values[min(int(u * len(spec.values)),
                                                   len(spec.values) - 1)]
        points.append(point)
    return points


def overrides_for(point: dict[str, Value]) -> dict[str, Any]:
    """``{"a.b": 1}`` -> ``{"a": {"b": 1}}``, the shape :func:`load_scenario` takes."""
    tree: dict[str, Any] = {}
    for path, value in point.items():
        *parents, leaf = path.split(".")
        node = tree
        for part in parents:
            node = node.setdefault(part, {})
            if not isinstance(node, dict):
                raise SweepError(f"{path}: {part} is set as a value and as a section")
        node[leaf] = value
    return tree


@dataclass(frozen=True)
class Sweep:
    """A sweep over one scenario; :meth:`build` turns it into run requests."""
    scenario: str
    parameters: tuple[ParameterSpec, ...]
    design: Design = "grid"
    samples: int | None = None
    replications: int = 10
    seed: int = 20170801
    weeks: int | None = None

    def points(self) -> list[dict[str, Value]]:
        return design_points(self.parameters, self.design, self.samples, self.seed)

    def count(self) -> int:
        """Runs the sweep makes (points × replications), counted without building them."""
        if self.design == "lhs":
            points = self.samples or 0
        else:
            points = math.prod(len(spec.values) or 1 for spec in self.parameters)
        return points * self.replications

    def check_size(self, max_runs: int = MAX_RUNS) -> None:
        """Refuse a sweep larger than ``max_runs`` before anything is expanded or loaded."""
        runs = self.count()
        if runs > max_runs:
            raise SweepError(f"the sweep would make {runs:,} runs (points × replications), "
                             f"more than the limit of {max_runs:,}; make the grid smaller, or "
                             "pass --max-runs N to allow more")

    def sweep_id(self, base: Scenario) -> str:
        """Stable id: the same sweep of the same scenario content gets the same id."""
        from simulation.params.loading import content_hash

        identity = {
            "scenario": base.name, "content": content_hash(base),
            "parameters": [spec.text() for spec in self.parameters], "design": self.design,
            "samples": self.samples, "replications": self.replications, "seed": self.seed,
            "weeks": self.weeks,
        }
        digest = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
        return f"sweep-{digest[:12]}"

    def build(self, max_runs: int = MAX_RUNS) -> tuple[str, list[dict[str, Value]],
                                                        list[RunRequest]]:
        """The sweep id, its points, and the requests (point by point, replication by
        replication). Its size is checked first (:meth:`check_size`), and every point's
        scenario is validated before anything runs."""
        from simulation.experiments.runner import requests
        from simulation.params.loading import ScenarioError, load_scenario
        from simulation.params.wording import QUOTE_HINT

        self.check_size(max_runs)
        base = load_scenario(self.scenario)
        sweep_id = self.sweep_id(base)
        points = self.points()
        batch: list[RunRequest] = []
        for point in points:
            try:
                scenario = load_scenario(self.scenario, overrides=overrides_for(point))
            except ScenarioError as exc:
                if exc.field not in point:
                    raise
                # the value came from the command line, not the file: say so
                message = exc.message.removesuffix(QUOTE_HINT)
                raise SweepError(f"--param {exc.field}={point[exc.field]}: {message}") from None
            batch.extend(requests(scenario, self.replications, self.seed, self.weeks,
                                  batch=sweep_id, tags=point))
        return sweep_id, points, batch
