"""Priors as data: reading ``calibration/priors.toml`` into checked distributions.

Each ``[parameter.NAME]`` table gives the scenario path(s) a drawn number sets, how (a
:class:`~simulation.experiments.posterior.ParameterSpec` transform), a distribution with a
finite range, and where it comes from. :func:`read_priors` checks the file on its own;
:func:`check_priors` checks it against the scenarios (every path is a number or list of numbers
there, and both ends of the range give a valid scenario) and records, for fit-wide ``scale``
and ``tilt`` parameters, the fitted value they multiply. Every problem is one
``PriorsError``: ``FILE: parameter.NAME.FIELD: message``.
"""

from __future__ import annotations

import difflib
import math
import tomllib
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import numpy as np
from scipy import stats

from simulation.experiments.posterior import (
    ALL_SCENARIOS,
    TRANSFORMS,
    Draw,
    ParameterSpec,
    apply_draw,
    get_path,
)
from simulation.params.loading import ScenarioError, library_names, load_scenario

DISTRIBUTIONS = {"uniform": ("lower", "upper"), "normal": ("mean", "sd", "lower", "upper"),
                 "loguniform": ("lower", "upper")}
KEYS = ("path", "paths", "distribution", "lower", "upper", "mean", "sd", "transform",
        "scenarios", "group", "fit", "source", "assumption")


class PriorsError(ValueError):
    """A priors file that cannot be used, as one line ``FILE: FIELD: message``."""

    def __init__(self, file: str | Path, field: str, message: str) -> None:
        message = " ".join(str(message).split())
        super().__init__(f"{file}: {field}: {message}")
        self.file, self.field, self.message = str(file), field, message


@dataclass(frozen=True)
class Prior:
    """One parameter's prior: where it goes, its distribution on [lower, upper], its source."""
    spec: ParameterSpec
    distribution: str
    lower: float
    upper: float
    mean: float | None = None
    sd: float | None = None
    group: str = ""
    source: str = ""  # "source: ..." or "assumption: ..."
    fit: bool = True  # False: keeps its prior even where fit rows could inform it

    @property
    def name(self) -> str:
        return self.spec.name

    def frozen(self) -> Any:
        """The distribution as a frozen scipy distribution."""
        if self.distribution == "uniform":
            return stats.uniform(self.lower, self.upper - self.lower)
        if self.distribution == "loguniform":
            return stats.loguniform(self.lower, self.upper)
        assert self.mean is not None and self.sd is not None
        a, b = (self.lower - self.mean) / self.sd, (self.upper - self.mean) / self.sd
        return stats.truncnorm(a, b, loc=self.mean, scale=self.sd)

    def pyabc_rv(self) -> Any:
        """The same distribution as a pyabc random variable."""
        import pyabc

        if self.distribution == "uniform":
            return pyabc.RV("uniform", self.lower, self.upper - self.lower)
        if self.distribution == "loguniform":
            return pyabc.RV("loguniform", self.lower, self.upper)
        assert self.mean is not None and self.sd is not None
        a, b = (self.lower - self.mean) / self.sd, (self.upper - self.mean) / self.sd
        return pyabc.RV("truncnorm", a, b, loc=self.mean, scale=self.sd)

    def describe(self) -> str:
        """A short text: U(0.3, 1), N(0.31, 0.1) on [0, 0.8], logU(0.05, 5)."""
        if self.distribution == "uniform":
            return f"U({self.lower:g}, {self.upper:g})"
        if self.distribution == "loguniform":
            return f"logU({self.lower:g}, {self.upper:g})"
        return f"N({self.mean:g}, {self.sd:g}) on [{self.lower:g}, {self.upper:g}]"


# -- reading ------------------------------------------------------------------------------

def read_priors(path: str | Path) -> list[Prior]:
    """Read and check a priors file on its own (no scenarios are loaded)."""
    path = Path(path)
    if not path.exists() or path.is_dir():
        raise PriorsError(path, "file", "no such priors file")
    try:
        data = tomllib.loads(path.read_text(encoding="utf-8-sig"))
    except (tomllib.TOMLDecodeError, UnicodeDecodeError) as exc:
        raise PriorsError(path, "file", f"not valid TOML: {exc}") from None
    extra = sorted(set(data) - {"parameter"})
    if extra:
        raise PriorsError(path, extra[0], "unknown table; write [parameter.NAME] tables")
    tables = data.get("parameter")
    if not isinstance(tables, dict) or not tables:
        raise PriorsError(path, "parameter", "no [parameter.NAME] tables")
    priors, seen = [], {}
    for name, table in tables.items():
        prior = _parse(path, name, table)
        for p in prior.spec.paths:
            key = (p, prior.spec.transform, prior.spec.scenarios)
            if key in seen:
                raise PriorsError(path, f"parameter.{name}.path",
                                  f"{p!r} is already set by parameter.{seen[key]}")
            seen[key] = name
        priors.append(prior)
    return priors


def _parse(path: Path, name: str, table: Any) -> Prior:
    where = f"parameter.{name}"
    if not isinstance(table, dict):
        raise PriorsError(path, where, "must be a table")
    for key in table:
        if key not in KEYS:
            close = difflib.get_close_matches(key, KEYS, n=1, cutoff=0.6)
            hint = f" (did you mean {close[0]!r}?)" if close else ""
            raise PriorsError(path, f"{where}.{key}", f"unknown key{hint}")
    paths = _paths(path, where, table)
    distribution = table.get("distribution")
    if distribution not in DISTRIBUTIONS:
        raise PriorsError(path, f"{where}.distribution",
                          f"must be one of {', '.join(DISTRIBUTIONS)}, got {distribution!r}")
    numbers: dict[str, float] = {}
    for key in DISTRIBUTIONS[distribution]:
        value = table.get(key)
        if isinstance(value, bool) or not isinstance(value, int | float):
            raise PriorsError(path, f"{where}.{key}",
                              f"a {distribution} prior needs a number here, got {value!r}")
        if not math.isfinite(value):
            raise PriorsError(path, f"{where}.{key}", "must be finite")
        numbers[key] = float(value)
    lower, upper = numbers["lower"], numbers["upper"]
    if not lower < upper:
        raise PriorsError(path, f"{where}.upper", f"must be greater than lower ({lower:g})")
    if distribution == "loguniform" and lower <= 0:
        raise PriorsError(path, f"{where}.lower", "a loguniform prior needs lower > 0")
    if distribution == "normal":
        if numbers["sd"] <= 0:
            raise PriorsError(path, f"{where}.sd", "must be greater than 0")
        if not lower <= numbers["mean"] <= upper:
            raise PriorsError(path, f"{where}.mean", "must lie between lower and upper")
    transform = table.get("transform", "value")
    if transform not in TRANSFORMS:
        raise PriorsError(path, f"{where}.transform",
                          f"must be one of {', '.join(TRANSFORMS)}, got {transform!r}")
    scenarios = table.get("scenarios", [])
    if not isinstance(scenarios, list) or not all(isinstance(s, str) and s for s in scenarios):
        raise PriorsError(path, f"{where}.scenarios", "must be a list of scenario names")
    given = [k for k in ("source", "assumption") if k in table]
    if len(given) != 1 or not isinstance(table[given[0]], str) or not table[given[0]].strip():
        raise PriorsError(path, f"{where}.source",
                          "needs exactly one of source or assumption, as a non-empty text")
    group = table.get("group", "")
    if not isinstance(group, str):
        raise PriorsError(path, f"{where}.group", "must be text")
    fit = table.get("fit", True)
    if not isinstance(fit, bool):
        raise PriorsError(path, f"{where}.fit", f"must be true or false, got {fit!r}")
    spec = ParameterSpec(name, paths, transform, tuple(scenarios))
    return Prior(spec, distribution, lower, upper, numbers.get("mean"), numbers.get("sd"),
                 group, f"{given[0]}: {table[given[0]].strip()}", fit)


def _paths(path: Path, where: str, table: dict[str, Any]) -> tuple[str, ...]:
    if ("path" in table) == ("paths" in table):
        raise PriorsError(path, f"{where}.path", "give exactly one of path or paths")
    raw = [table["path"]] if "path" in table else table["paths"]
    if not isinstance(raw, list) or not raw or not all(
            isinstance(p, str) and p.strip() and " " not in p for p in raw):
        raise PriorsError(path, f"{where}.path", "must be a dotted path such as "
                          "\"flows.separation_per_week\" (paths: a list of them)")
    return tuple(raw)


# -- against the scenarios ----------------------------------------------------------------

def check_priors(priors: Sequence[Prior], file: str | Path, base_fit: dict[str, Any] | None = None
                 ) -> list[Prior]:
    """Check every prior against the scenarios it sets; fill the base of fit-wide scale/tilt.

    ``base_fit`` is the fit the draws go on top of (default: calibration/fitted.toml).
    """
    baseline = load_scenario("baseline", apply_fit=base_fit if base_fit is not None else True)
    plain = baseline.model_dump(mode="json")
    dumps: dict[str, dict[str, Any]] = {}
    checked = []
    for prior in priors:
        spec, where = prior.spec, f"parameter.{prior.name}"
        if spec.fit_wide:
            names = ["baseline"]
            base = tuple(_number_at(file, where, plain, p, spec.transform, "baseline")
                         for p in spec.paths)
            # the fitted value: what scale/tilt multiply, and whether a value is a whole number
            spec = replace(spec, base=base)
        else:
            names = _lever_scenarios(file, where, spec, dumps)
            for name in names:
                for p in spec.paths:
                    _number_at(file, where, dumps[name], p, spec.transform, name)
        prior = replace(prior, spec=spec)
        for x in (prior.lower, prior.upper):
            for name in names:
                draw = Draw(-1, {prior.name: x}, (spec,))
                try:
                    apply_draw(draw, name, base_fit=base_fit)
                except ScenarioError as exc:
                    raise PriorsError(file, where, f"at {x:g} scenario {name!r} is not valid: "
                                      f"{exc.field}: {exc.message}") from None
        checked.append(prior)
    return checked


def _lever_scenarios(file: str | Path, where: str, spec: ParameterSpec,
                     dumps: dict[str, dict[str, Any]]) -> list[str]:
    wanted = library_names() if ALL_SCENARIOS in spec.scenarios else list(spec.scenarios)
    names = []
    for name in wanted:
        if name not in dumps:
            try:
                dumps[name] = load_scenario(name).model_dump(mode="json")
            except ScenarioError as exc:
                raise PriorsError(file, f"{where}.scenarios",
                                  f"scenario {name!r} does not load ({exc})") from None
        if ALL_SCENARIOS not in spec.scenarios or all(
                get_path(dumps[name], p) is not None for p in spec.paths):
            names.append(name)
    if not names:
        raise PriorsError(file, f"{where}.scenarios", "no library scenario has "
                          + ", ".join(spec.paths))
    return names


def _number_at(file: str | Path, where: str, plain: dict[str, Any], dotted: str,
               transform: str, scenario: str) -> Any:
    value = get_path(plain, dotted)
    numeric = isinstance(value, int | float) and not isinstance(value, bool)
    numbers = isinstance(value, list) and value and all(
        isinstance(v, int | float) and not isinstance(v, bool) for v in value)
    if transform == "tilt" and not numbers:
        raise PriorsError(file, f"{where}.path", f"{dotted!r} is not a list of numbers in "
                          f"scenario {scenario!r} (tilt needs one)")
    if transform == "value" and not numeric:
        raise PriorsError(file, f"{where}.path",
                          f"{dotted!r} is not a number in scenario {scenario!r}")
    if transform == "scale" and not (numeric or numbers):
        raise PriorsError(file, f"{where}.path", f"{dotted!r} is not a number or list of "
                          f"numbers in scenario {scenario!r}")
    return value


# -- drawing --------------------------------------------------------------------------------

def sample_prior(priors: Iterable[Prior], n: int, rng: np.random.Generator
                 ) -> dict[str, np.ndarray]:
    """n independent draws of each prior (by inverse CDF of one uniform each, in order)."""
    out = {}
    for prior in priors:
        u = rng.uniform(size=n)
        out[prior.name] = np.asarray(prior.frozen().ppf(u), float)
    return out


def prior_table(priors: Sequence[Prior]) -> list[dict[str, str]]:
    """Rows for the priors table: name, paths, prior, applies to, source."""
    return [{"parameter": p.name, "group": p.group,
             "paths": ", ".join(p.spec.paths) + ("" if p.spec.transform == "value"
                                                 else f" ({p.spec.transform})"),
             "prior": p.describe(),
             "applies to": ", ".join(p.spec.scenarios) or "every scenario (fit)",
             "source": p.source} for p in priors]
