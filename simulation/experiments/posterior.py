"""Posterior draws of the uncertain parameters: what one parameter means in a scenario, the
posterior file (weighted draws), drawing K parameter sets from it and applying one to a
scenario.

A parameter (a :class:`ParameterSpec`) names one or more dotted scenario paths and how a drawn
number x becomes their value:

* ``value`` — the path's value is x (rounded if the field is a whole number);
* ``scale`` — the path's value times x (each entry of a list);
* ``tilt``  — a list's entry b times x ** ((b - c) / c), c the middle index: x > 1 lowers the
  first entries and raises the last ones, keeping the middle.

A parameter without ``scenarios`` applies to every scenario through the fit (as
``calibration/fitted.toml`` does: beneath each scenario's own overrides); one with
``scenarios`` is a lever of those scenarios only (``"*"``: every scenario that has the path).
A fit-wide parameter records the fitted value of each path when the posterior was made
(``base``): ``scale`` and ``tilt`` multiply it, and it says whether a value is a whole number,
so a draw means the same thing later.

The posterior file is Parquet: a ``weight`` column and one column per parameter, with the
parameter specs, the command, seed and diagnostics as JSON in the file's metadata. Its version
is a digest of the draws, weights and specs. This module is below ``calibration/`` (which
writes the file) so that ``run``, ``compare`` and ``report`` can read it.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

from simulation.params.loading import deep_merge, fitted_tree, load_scenario, wrap_overrides
from simulation.params.schema import Scenario

TRANSFORMS = ("value", "scale", "tilt")
META_KEY = b"pilotsim.posterior"
ALL_SCENARIOS = "*"
MAX_DRAWS = 1000


def default_path() -> Path:
    """The committed posterior: ``calibration/posterior.parquet`` (read as package data)."""
    # a data file beside fitted.toml, found as params/loading finds that one
    return Path(str(resources.files("calibration"))) / "posterior.parquet"


class PosteriorError(ValueError):
    """A posterior file or request that cannot be used: ``FILE: FIELD: message``, one line."""

    def __init__(self, file: str | Path, field: str, message: str) -> None:
        message = " ".join(str(message).split())
        super().__init__(f"{file}: {field}: {message}")
        self.file, self.field, self.message = str(file), field, message


@dataclass(frozen=True)
class ParameterSpec:
    """One uncertain parameter: where it goes and how a drawn number becomes values."""
    name: str
    paths: tuple[str, ...]
    transform: str = "value"
    scenarios: tuple[str, ...] = ()  # () = every scenario, through the fit
    base: tuple[Any, ...] = ()  # per path, a fit-wide parameter's fitted value (see above)

    @property
    def fit_wide(self) -> bool:
        return not self.scenarios

    def applies_to(self, scenario: Scenario, name: str | None = None) -> bool:
        """Whether this lever is set in a scenario (fit-wide parameters: always)."""
        if self.fit_wide:
            return True
        names = {scenario.name, *([name] if name else []), Path(str(name or "")).stem}
        return ALL_SCENARIOS in self.scenarios or bool(names & set(self.scenarios))

    def to_json(self) -> dict[str, Any]:
        return {"name": self.name, "paths": list(self.paths), "transform": self.transform,
                "scenarios": list(self.scenarios), "base": list(self.base)}

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> ParameterSpec:
        return cls(str(data["name"]), tuple(data["paths"]), str(data.get("transform", "value")),
                   tuple(data.get("scenarios", ())), tuple(data.get("base", ())))


def get_path(tree: Mapping[str, Any], dotted: str) -> Any:
    """The value at a dotted path of a plain tree, or None."""
    node: Any = tree
    for part in dotted.split("."):
        if not isinstance(node, Mapping) or part not in node:
            return None
        node = node[part]
    return node


def nested(values: Mapping[str, Any]) -> dict[str, Any]:
    """{"a.b": 1} -> {"a": {"b": 1}}."""
    out: dict[str, Any] = {}
    for dotted, value in values.items():
        node = out
        *head, last = dotted.split(".")
        for part in head:
            node = node.setdefault(part, {})
        node[last] = value
    return out


def transformed(transform: str, x: float, current: Any) -> Any:
    """The value a drawn number x gives a path whose value is ``current``."""
    if transform == "value":
        return int(round(x)) if isinstance(current, int) and not isinstance(current, bool) \
            else float(x)
    if transform == "scale":
        if isinstance(current, list | tuple):
            return [_like(v, v * x) for v in current]
        return _like(current, current * x)
    if transform == "tilt":
        middle = (len(current) - 1) / 2 or 1.0
        return [_like(v, v * x ** ((b - middle) / middle)) for b, v in enumerate(current)]
    raise ValueError(f"unknown transform {transform!r}")


def _like(current: Any, value: float) -> Any:
    # a whole-number field stays whole; floats keep 12 significant digits so that the same
    # draw always gives byte-identical scenario content (and content hash)
    if isinstance(current, int) and not isinstance(current, bool):
        return int(round(value))
    return float(f"{value:.12g}")


@dataclass(frozen=True)
class Draw:
    """One parameter set: the posterior row it came from and its values by parameter."""
    row: int
    values: Mapping[str, float]
    specs: tuple[ParameterSpec, ...]
    version: str = ""

    def tags(self) -> dict[str, Any]:
        """What a stored run records about the draw it ran under."""
        return {"posterior": self.version, "posterior_draw": self.row}

    def fit_values(self, baseline: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """Dotted path -> value of the fit-wide parameters (``baseline``: the resolved baseline's
        plain values, for scale/tilt parameters recorded without a base)."""
        out: dict[str, Any] = {}
        for spec in self.specs:
            if not spec.fit_wide or spec.name not in self.values:
                continue
            for i, path in enumerate(spec.paths):
                # several parameters may set one path (a profile's level and its tilt): each
                # transforms what the ones before it left
                current = out[path] if path in out else spec.base[i] if i < len(spec.base) \
                    else get_path(baseline or {}, path)
                out[path] = transformed(spec.transform, float(self.values[spec.name]), current)
        return out

    def fit_tree(self, base_fit: Mapping[str, Any] | None = None) -> dict[str, Any]:
        """The fit with this draw's fit-wide values on top (``base_fit``: fitted.toml's)."""
        fit = dict(fitted_tree() if base_fit is None else base_fit)
        note = f"posterior draw {self.row} ({self.version or 'unversioned'})"
        return deep_merge(fit, wrap_overrides(nested(self.fit_values()), note))

    def overrides(self, scenario: Scenario, name: str | None = None) -> dict[str, Any]:
        """Dotted path -> value of this draw's levers that the scenario has."""
        plain = scenario.model_dump(mode="json")
        out: dict[str, Any] = {}
        for spec in self.specs:
            if spec.fit_wide or spec.name not in self.values or not spec.applies_to(scenario,
                                                                                     name):
                continue
            for path in spec.paths:
                current = out[path] if path in out else get_path(plain, path)
                if isinstance(current, int | float | list) and not isinstance(current, bool):
                    out[path] = transformed(spec.transform, float(self.values[spec.name]),
                                            current)
        return out


def apply_draw(draw: Draw, name_or_path: str | Path, *, base_fit: Mapping[str, Any] | None = None,
               overrides: Mapping[str, Any] | None = None) -> Scenario:
    """A scenario loaded under one draw: fit-wide values through the fit, levers on top.

    ``overrides`` (a nested dict, e.g. a smaller population) is applied last.
    """
    tree = draw.fit_tree(base_fit)
    first = load_scenario(name_or_path, overrides=dict(overrides or {}), apply_fit=tree)
    levers = draw.overrides(first, str(name_or_path))
    if not levers:
        return first
    note = f"posterior draw {draw.row} ({draw.version or 'unversioned'})"
    merged = deep_merge(wrap_overrides(nested(levers), note),
                        wrap_overrides(dict(overrides or {})))
    # value tables pass through load_scenario's wrapping, so the draw's note is kept
    return load_scenario(name_or_path, overrides=merged, apply_fit=tree)


# -- the posterior file -------------------------------------------------------------------

@dataclass(frozen=True)
class Posterior:
    """Weighted draws of every uncertain parameter, with what produced them."""
    path: Path
    specs: tuple[ParameterSpec, ...]
    draws: pd.DataFrame  # one column per parameter, one row per particle
    weights: np.ndarray  # sum to 1
    meta: Mapping[str, Any] = field(default_factory=dict)

    @property
    def version(self) -> str:
        return version_of(self.draws, self.weights, self.specs)

    @property
    def names(self) -> list[str]:
        return [s.name for s in self.specs]

    @property
    def fitted(self) -> set[str]:
        """The parameters the fit informed (the others' columns are prior draws)."""
        return set(self.meta.get("fitted", self.names))

    def sample(self, k: int, seed: int) -> list[Draw]:
        """K parameter sets (seeded): the fitted parameters by systematic resampling of the
        weighted rows; the prior-only ones from rows drawn at random, independently, since
        their columns are independent prior draws (so they keep their whole prior however
        few rows the weights favour)."""
        if not 1 <= k <= MAX_DRAWS:
            raise PosteriorError(self.path, "--posterior", f"K must be 1–{MAX_DRAWS}, got {k}")
        rng = np.random.default_rng([seed, 0x9057])
        rows = systematic_resample(self.weights, k, rng)
        free = rng.integers(0, len(self.draws), size=k)
        fitted, version = self.fitted, self.version
        table = self.draws[self.names].to_numpy(float)
        return [Draw(int(r), {n: float(table[r if n in fitted else f, j])
                              for j, n in enumerate(self.names)}, self.specs, version)
                for r, f in zip(rows, free, strict=True)]


def systematic_resample(weights: np.ndarray, k: int, rng: np.random.Generator) -> np.ndarray:
    """Row indices drawn in proportion to the weights with one uniform (low variance)."""
    positions = (rng.uniform() + np.arange(k)) / k
    cumulative = np.cumsum(np.asarray(weights, float))
    cumulative[-1] = 1.0
    return np.searchsorted(cumulative, positions, side="right").clip(0, len(weights) - 1)


def version_of(draws: pd.DataFrame, weights: np.ndarray,
               specs: Sequence[ParameterSpec]) -> str:
    """A short digest of what a posterior says: its specs, draws and weights."""
    digest = hashlib.sha256(json.dumps([s.to_json() for s in specs], sort_keys=True).encode())
    digest.update(np.ascontiguousarray(draws[[s.name for s in specs]].to_numpy(float)).tobytes())
    digest.update(np.ascontiguousarray(np.asarray(weights, float)).tobytes())
    return "post-" + digest.hexdigest()[:12]


def write_posterior(path: Path, specs: Sequence[ParameterSpec], draws: pd.DataFrame,
                    weights: np.ndarray, meta: Mapping[str, Any]) -> str:
    """Write the posterior file atomically; returns its version."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    names = [s.name for s in specs]
    w = np.asarray(weights, float)
    w = w / w.sum()
    frame = draws[names].astype(float).reset_index(drop=True)
    version = version_of(frame, w, specs)
    table = pa.Table.from_pandas(frame.assign(weight=w), preserve_index=False)
    payload = {**meta, "version": version, "parameters": [s.to_json() for s in specs]}
    table = table.replace_schema_metadata({**(table.schema.metadata or {}),
                                           META_KEY: json.dumps(payload, default=str).encode()})
    path.parent.mkdir(parents=True, exist_ok=True)
    tmp = path.with_name(f".{path.name}.tmp")
    pq.write_table(table, tmp)
    tmp.replace(path)
    return version


def read_posterior(path: str | Path | None = None) -> Posterior:
    """Read a posterior file; every problem is one ``PosteriorError``."""
    import pyarrow.parquet as pq

    path = Path(path) if path is not None else default_path()
    if not path.exists():
        raise PosteriorError(path, "file", "no such posterior file (make one with "
                             "`pilotsim calibrate --method abc`)")
    try:
        table = pq.read_table(path)
    except Exception as exc:  # noqa: BLE001 - any unreadable file is the user's one line
        raise PosteriorError(path, "file", f"not a Parquet file ({type(exc).__name__})") from None
    raw = (table.schema.metadata or {}).get(META_KEY)
    if raw is None:
        raise PosteriorError(path, "metadata", "no pilotsim posterior metadata in this file")
    try:
        meta = json.loads(raw)
        specs = tuple(ParameterSpec.from_json(p) for p in meta["parameters"])
    except (ValueError, KeyError, TypeError) as exc:
        raise PosteriorError(path, "metadata", f"unreadable parameter list ({exc})") from None
    frame = table.to_pandas()
    for spec in specs:
        if spec.name not in frame.columns:
            raise PosteriorError(path, spec.name, "column missing")
        if spec.transform not in TRANSFORMS:
            raise PosteriorError(path, spec.name, f"unknown transform {spec.transform!r}")
    if "weight" not in frame.columns or frame.empty:
        raise PosteriorError(path, "weight", "column missing or no draws")
    weights = frame["weight"].to_numpy(float)
    values = frame[[s.name for s in specs]].to_numpy(float)
    if not (np.isfinite(weights).all() and (weights >= 0).all() and weights.sum() > 0
            and np.isfinite(values).all()):
        raise PosteriorError(path, "weight", "weights must be finite and ≥ 0 (not all 0), "
                             "draws finite")
    return Posterior(path, specs, frame.drop(columns="weight"), weights / weights.sum(), meta)


def check_fit_digest(posterior: Posterior) -> str | None:
    """A warning if the fit the posterior was made on is not the fit in place now."""
    made_on = posterior.meta.get("fitted_digest")
    if made_on and made_on != fitted_digest():
        return (f"{posterior.path}: the posterior was made on another calibration/fitted.toml "
                "(rerun `pilotsim calibrate --method abc`)")
    return None


def fitted_digest() -> str:
    """A digest of the fit in place (calibration/fitted.toml's values)."""
    text = json.dumps(fitted_tree(), sort_keys=True, default=str)
    return hashlib.sha256(text.encode()).hexdigest()[:12]
