"""What a workshop participant may change, within which bounds, and the runs that makes.

Everything the browser sends passes through here before anything reaches the runner: the
scenario is a library name (never a path), every lever is a whitelisted parameter path with a
number inside the schema's range (tightened for the workshop: population and replications are
capped), and the resolved scenario is validated by ``simulation.params.loading``. Any problem is a
``RequestError`` whose messages the page shows.

A request is small and flat so that it fits in a URL query string: the scenario, the shared
settings (population, weeks, target group, replications, seed, view scope) and the levers that
differ from the scenario's own values.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field
from decimal import ROUND_HALF_EVEN, Decimal
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

from pydantic import BaseModel

from simulation.experiments.compare import comparison_baseline
from simulation.params.contracts import OUTCOME_KINDS, load_contract
from simulation.params.loading import ScenarioError, library_names, load_scenario
from simulation.params.procurement import Procurement
from simulation.params.schema import (
    SERVICE_NAMES,
    Coaching,
    PublicOffice,
    Scenario,
    Service,
    ServiceFunding,
)

MAX_JOB_SEEKERS = 40_000
MIN_JOB_SEEKERS = 500
WORKSHOP_JOB_SEEKERS = 4_000
MIN_WEEKS, MAX_WEEKS = 8, 156
MAX_REPLICATIONS = 20
DEFAULT_REPLICATIONS = 5
RELIABLE_REPLICATIONS = 5
MAX_SEED = 2**32 - 1
DEFAULT_SEED = 2017
MAX_QUERY_CHARS = 4_000
MAX_QUERY_FIELDS = 200
SCOPES = ("target", "region")

# Target-group choices (applied to the scenario and its baseline alike, so that target-group
# metrics compare the same people). "scenario" keeps the scenario's own rule.
TARGET_GROUPS: dict[str, tuple[str, list[dict[str, Any]] | None]] = {
    "scenario": ("as in the scenario", None),
    "all": ("all registered job seekers", [{}]),
    "lms_basic": ("labour-market subsidy and basic allowance recipients",
                  [{"benefit_types": ["labour_market_subsidy", "basic_allowance"]}]),
    "over_6m": ("unemployed 6 months or more", [{"min_spell_weeks": 26}]),
    "long_term": ("unemployed 12 months or more", [{"min_spell_weeks": 52}]),
    "young": ("under 30", [{"max_age": 29}]),
}

CONTRACT_PREFIX = "contract."
FEE_SHARES = ("placement", "employed_3m", "employed_6m", "employed_12m")


class RequestError(ValueError):
    """A request the dashboard refuses; ``messages`` are shown on the page."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


@dataclass(frozen=True)
class Lever:
    """One number a participant may change, with what the page says about it."""

    path: str  # dotted parameter path, or contract.<name> for the fee mix
    label: str
    group: str
    unit: str
    minimum: float
    maximum: float
    integer: bool
    default: float
    source: str
    description: str = ""

    @property
    def step(self) -> float | str:
        return 1 if self.integer else "any"

    def parse(self, value: Any) -> float | int:
        """The value as a number inside the lever's bounds, or ``ValueError`` (a message)."""
        if value is None or value == "":
            raise ValueError(f"{self.label} needs a number between {_fmt(self.minimum)} and "
                             f"{_fmt(self.maximum)} {self.unit}".rstrip())
        number = _parse_number(value, self.label)
        if self.integer:
            if number != math.floor(number):
                raise ValueError(f"{self.label} must be a whole number (got {_shown(value)})")
            number = int(number)
        if not self.minimum <= number <= self.maximum:
            raise ValueError(f"{self.label} must be between {_fmt(self.minimum)} and "
                             f"{_fmt(self.maximum)} {self.unit} (got {_shown(value)})".rstrip())
        return number


@dataclass(frozen=True)
class WorkshopRequest:
    """A validated request: enough to rebuild the runs and the view."""

    scenario: str
    job_seekers: int = WORKSHOP_JOB_SEEKERS
    weeks: int = 74
    target: str = "scenario"
    replications: int = DEFAULT_REPLICATIONS
    seed: int = DEFAULT_SEED
    scope: str = "target"
    levers: dict[str, float] = field(default_factory=dict)  # only values that differ

    def query(self) -> str:
        """The URL query string (with leading ``?``) that restores this request."""
        items: list[tuple[str, Any]] = [
            ("scenario", self.scenario), ("job_seekers", self.job_seekers),
            ("weeks", self.weeks), ("target", self.target),
            ("replications", self.replications), ("seed", self.seed), ("scope", self.scope)]
        items += [(path, _fmt_plain(value)) for path, value in sorted(self.levers.items())]
        return "?" + urlencode(items)


def _parse_number(value: Any, label: str) -> float:
    if isinstance(value, bool) or value is None or value == "":
        raise ValueError(f"{label} needs a number")
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an integer of hundreds of digits: no lever goes that far
            raise ValueError(f"{label} is far out of range (got {_shown(value)})") from None
    elif isinstance(value, str) and len(value) <= 40:
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"{label} must be a number (got {_shown(value)})") from None
    else:
        raise ValueError(f"{label} must be a number (got {_shown(value)})")
    if not math.isfinite(number):
        raise ValueError(f"{label} must be a finite number (got {_shown(value)})")
    return number


def _shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def _fmt(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"


def _fmt_plain(value: float) -> str:
    return str(int(value)) if float(value).is_integer() else repr(float(value))


# --- levers of a scenario ---------------------------------------------------------------------

def _bounds(model: type[BaseModel], name: str) -> tuple[float, float, str, str]:
    info = model.model_fields[name]
    low, high = -math.inf, math.inf
    for item in info.metadata:
        low = getattr(item, "ge", None) if getattr(item, "ge", None) is not None else low
        low = getattr(item, "gt", None) if getattr(item, "gt", None) is not None else low
        high = getattr(item, "le", None) if getattr(item, "le", None) is not None else high
        high = getattr(item, "lt", None) if getattr(item, "lt", None) is not None else high
    unit = (info.json_schema_extra or {}).get("unit", "") if isinstance(
        info.json_schema_extra, dict) else ""
    return float(low), float(high), str(unit), info.description or ""


def _schema_lever(scenario: Scenario, model: type[BaseModel], path: str, label: str,
                  group: str, value: float, maximum: float | None = None) -> Lever:
    low, high, unit, description = _bounds(model, path.rsplit(".", 1)[1])
    if maximum is not None:
        high = min(high, maximum)
    return Lever(path=path, label=label, group=group, unit=unit, minimum=low, maximum=high,
                 integer=isinstance(value, int) and not isinstance(value, bool),
                 default=value, source=scenario.provenance.get(path, "default (schema)"),
                 description=description)


def _pretty(name: str) -> str:
    return name.replace("_", " ").capitalize()


@lru_cache(maxsize=64)
def library_scenario(name: str) -> Scenario:
    """A library scenario as shipped (cached: files do not change while the server runs)."""
    return load_scenario(name)


def scenario_names() -> list[str]:
    return library_names()


def levers_for(name: str) -> list[Lever]:
    """The levers of a library scenario, with its values as defaults and their sources."""
    return list(_levers_for(name))


@lru_cache(maxsize=64)
def _levers_for(name: str) -> tuple[Lever, ...]:
    scenario = library_scenario(name)
    out: list[Lever] = []
    coaching = scenario.interventions.coaching
    if coaching is not None:
        group = "Coaching of the target group"
        for key, label in (("caseload", "Caseload"),
                           ("meeting_interval_weeks", "Meeting interval"),
                           ("meeting_slots_per_week", "Meetings per coach-week")):
            out.append(_schema_lever(scenario, Coaching, f"interventions.coaching.{key}", label,
                                     group, getattr(coaching, key)))
    else:
        group = "Public employment office"
        for key, label in (("caseload", "Caseload"),
                           ("meeting_interval_weeks", "Meeting interval")):
            out.append(_schema_lever(scenario, PublicOffice, f"public_office.{key}", label,
                                     group, getattr(scenario.public_office, key)))
    funding = scenario.interventions.service_funding
    if funding is not None:
        out.append(_schema_lever(scenario, ServiceFunding,
                                 "interventions.service_funding.extra_places_share",
                                 "Extra places for the target group", "Services and capacities",
                                 funding.extra_places_share))
    for service in SERVICE_NAMES:
        if service in scenario.services:
            out.append(_schema_lever(scenario, Service, f"services.{service}.places_per_1000",
                                     _pretty(service), "Services and capacities",
                                     scenario.services[service].places_per_1000))
    procurement = scenario.interventions.procurement
    if procurement is not None:
        out.extend(_procurement_levers(scenario, procurement))
    return tuple(out)


def _procurement_levers(scenario: Scenario, procurement: Procurement) -> list[Lever]:
    group = "Procurement and providers"
    out = []
    for key, label in (("providers", "Providers"), ("staff_hours_per_week", "Staff hours"),
                       ("target_clients", "Target client volume"),
                       ("referrals_per_week", "Referrals per week")):
        out.append(_schema_lever(scenario, Procurement, f"interventions.procurement.{key}",
                                 label, group, getattr(procurement, key),
                                 maximum=procurement.max_providers if key == "providers"
                                 else None))
    contract = procurement.resolved_contract()
    blend, provenance = contract.blend, contract.provenance
    if blend is None:  # the fee-mix levers then start from the generic blend
        generic = load_contract("generic_outsourcing")
        blend, provenance = generic.blend, {}
        note = (f"generic blend; the scenario's own contract ({procurement.contract}) "
                "applies unless you change a fee lever")
    else:
        note = ""

    def source(key: str) -> str:
        return provenance.get(f"contract.blend.{key}", note or "contract file")

    group = "Contract fee mix"
    assert blend is not None
    shares = {kind: float(getattr(blend.result_shares, kind) or 0) for kind in FEE_SHARES}
    out.append(Lever(f"{CONTRACT_PREFIX}price_per_client_eur", "Price per client", group,
                     "€/client", 0.0, 20_000.0, False, float(blend.price_per_client_eur),
                     source("price_per_client_eur"),
                     "Blended price per client, split into the shares below"))
    out.append(Lever(f"{CONTRACT_PREFIX}base_share", "Base share", group, "share", 0.0, 1.0,
                     False, float(blend.base_share), source("base_share"),
                     "Paid on attachment, whatever the result"))
    for kind in FEE_SHARES:
        out.append(Lever(f"{CONTRACT_PREFIX}{kind}_share", f"Result share: {_pretty(kind)}",
                         group, "share", 0.0, 1.0, False, shares[kind],
                         source(f"result_shares.{kind}"),
                         "Share of the price paid on this outcome; the quality bonus gets "
                         "what is left"))
    for tier, label in (("medium", "Medium-risk fee multiplier"),
                        ("high", "High-risk fee multiplier")):
        out.append(Lever(f"{CONTRACT_PREFIX}{tier}_risk_multiplier", label, group, "×", 0.25,
                         4.0, False, 1.0, "flat fees in the contract (×1)",
                         "Risk tiers: result fees for medium/high risk clients as a multiple "
                         "of the low-risk fee"))
    return out


# --- from browser values to a request ----------------------------------------------------------

def _shared_int(raw: Any, label: str, low: int, high: int, unit: str = "") -> int:
    if raw is None or raw == "":
        raise ValueError(f"{label} needs a number between {low:,} and {high:,}"
                         f"{' ' + unit if unit else ''}")
    number = _parse_number(raw, label)
    if number != math.floor(number):
        raise ValueError(f"{label} must be a whole number (got {_shown(raw)})")
    if not low <= number <= high:
        raise ValueError(f"{label} must be between {low:,} and {high:,}{' ' + unit if unit else ''}"
                         f" (got {_shown(raw)})")
    return int(number)


def build_request(raw: dict[str, Any]) -> WorkshopRequest:
    """Validate untrusted values (from the page or a URL) into a request, or ``RequestError``.

    ``raw`` holds ``scenario``, ``job_seekers``, ``weeks``, ``target``, ``replications``,
    ``seed``, ``scope`` and lever values by path (unknown paths are refused).
    """
    errors: list[str] = []
    name = raw.get("scenario")
    if not isinstance(name, str) or name not in scenario_names():
        raise RequestError([f"unknown scenario {_shown(name)}: choose one from the library"])
    scenario = library_scenario(name)
    shared: dict[str, Any] = {}
    checks = (("job_seekers", "Job seekers", MIN_JOB_SEEKERS, MAX_JOB_SEEKERS, "persons"),
              ("weeks", "Weeks", MIN_WEEKS, MAX_WEEKS, "weeks"),
              ("replications", "Replications", 1, MAX_REPLICATIONS, ""),
              ("seed", "Seed", 0, MAX_SEED, ""))
    defaults = {"job_seekers": WORKSHOP_JOB_SEEKERS, "weeks": scenario.weeks,
                "replications": DEFAULT_REPLICATIONS, "seed": DEFAULT_SEED}
    for key, label, low, high, unit in checks:
        try:
            shared[key] = _shared_int(raw.get(key, defaults[key]), label, low, high, unit)
        except ValueError as error:
            errors.append(str(error))
    target = raw.get("target", "scenario")
    if target not in TARGET_GROUPS:
        errors.append(f"unknown target group {_shown(target)}")
    scope = raw.get("scope", "target")
    if scope not in SCOPES:
        errors.append(f"unknown view scope {_shown(scope)}")
    levers = {lever.path: lever for lever in levers_for(name)}
    reserved = {"scenario", "target", "scope", *defaults}
    values: dict[str, float] = {}
    for key, value in raw.items():
        if key in reserved:
            continue
        lever = levers.get(key)
        if lever is None:
            errors.append(f"{_shown(key)} is not a lever of scenario {name!r}")
            continue
        try:
            number = lever.parse(value)
        except ValueError as error:
            errors.append(str(error))
            continue
        if not math.isclose(number, lever.default, rel_tol=1e-12, abs_tol=1e-12):
            values[key] = number
    if errors:
        raise RequestError(errors)
    return WorkshopRequest(scenario=name, target=str(target), scope=str(scope), levers=values,
                           **shared)


def parse_query(search: str | None) -> WorkshopRequest | None:
    """A request from a URL query string; ``None`` for an empty one; else ``RequestError``."""
    if not search or search in ("?", ""):
        return None
    if len(search) > MAX_QUERY_CHARS:
        raise RequestError([f"the link is too long ({len(search):,} characters)"])
    fields = search.lstrip("?").count("&") + 1
    if fields > MAX_QUERY_FIELDS:  # parse_qsl would raise, and the page answer a 500
        raise RequestError([f"the link has too many settings ({fields:,}; at most "
                            f"{MAX_QUERY_FIELDS})"])
    pairs = parse_qsl(search.lstrip("?"), keep_blank_values=True,
                      max_num_fields=MAX_QUERY_FIELDS)
    raw: dict[str, Any] = {}
    for key, value in pairs:
        if key in raw:
            raise RequestError([f"{_shown(key)} is given twice in the link"])
        raw[key] = value
    if "scenario" not in raw:
        raise RequestError(["the link names no scenario"])
    return build_request(raw)


# --- from a request to scenarios ---------------------------------------------------------------

def _cents(value: float) -> float:
    return float(Decimal(str(value)).quantize(Decimal("0.01"), rounding=ROUND_HALF_EVEN))


def contract_table(fees: dict[str, float]) -> dict[str, Any]:
    """An inline contract from the fee-mix levers: base on attachment, result fees by risk
    tier, the quality bonus from what is left of the price."""
    price = fees["price_per_client_eur"]
    base = fees["base_share"]
    results = {kind: fees[f"{kind}_share"] for kind in FEE_SHARES}
    quality = 1.0 - base - sum(results.values())
    if quality < -1e-9:
        raise RequestError([f"contract fee mix: base share + result shares = "
                            f"{base + sum(results.values()):.3g}, more than 1"])
    tiers = (1.0, fees["medium_risk_multiplier"], fees["high_risk_multiplier"])
    table: dict[str, Any] = {"title": "Workshop fee mix", "pilot": "set in the dashboard",
                             "sources": ["dashboard participant"]}
    if price * base > 0:
        table["attachment_fee"] = _cents(price * base)
    outcome = {kind: [_cents(price * share * t) for t in tiers]
               for kind, share in results.items() if share > 0 and kind in OUTCOME_KINDS}
    if outcome:
        table["outcome_fees"] = outcome
    if price * quality > 0.005:
        table["quality_bonus"] = {"max_eur": _cents(price * quality), "rule": "proportional"}
    return table


def _set(tree: dict[str, Any], path: str, value: Any) -> None:
    node = tree
    *parents, last = path.split(".")
    for part in parents:
        node = node.setdefault(part, {})
    node[last] = value


def _shared_overrides(request: WorkshopRequest, scenario: Scenario) -> dict[str, Any]:
    out: dict[str, Any] = {"region": {"job_seekers": request.job_seekers},
                           "scenario": {"weeks": request.weeks}}
    description, rules = TARGET_GROUPS[request.target]
    if rules is None:  # the scenario's own rule, copied to its baseline
        out["target_group"] = scenario.target_group.model_dump(mode="json", exclude_none=True)
    else:
        out["target_group"] = {"description": description, "any_of": rules}
    return out


def scenario_overrides(request: WorkshopRequest) -> dict[str, Any]:
    """The nested overrides of the scenario (shared settings and levers)."""
    scenario = library_scenario(request.scenario)
    tree = _shared_overrides(request, scenario)
    fees = {path.removeprefix(CONTRACT_PREFIX): value for path, value in request.levers.items()
            if path.startswith(CONTRACT_PREFIX)}
    for path, value in request.levers.items():
        if not path.startswith(CONTRACT_PREFIX):
            _set(tree, path, value)
    if fees:
        defaults = {lever.path.removeprefix(CONTRACT_PREFIX): lever.default
                    for lever in levers_for(request.scenario)
                    if lever.path.startswith(CONTRACT_PREFIX)}
        _set(tree, "interventions.procurement.contract_table",
             contract_table({**defaults, **fees}))
    return tree


def baseline_name(scenario: Scenario) -> str:
    """What a scenario is compared with: its declared baseline; else, for a scenario with
    interventions, the scenario it extends; else the scenario itself as shipped."""
    if scenario.baseline:
        return scenario.baseline
    i = scenario.interventions
    has_intervention = any(x is not None for x in (i.coaching, i.procurement,
                                                   i.service_funding, i.service_mix))
    if (has_intervention or scenario.growth is not None) and scenario.extends:
        return scenario.extends
    return scenario.name


@dataclass(frozen=True)
class Resolved:
    scenario: Scenario
    baseline: Scenario


def _load(name: str, overrides: dict[str, Any], role: str) -> Scenario:
    try:
        return load_scenario(name, overrides=overrides)
    except ScenarioError as error:
        raise RequestError([f"{role} {name}: {error.field}: {error.message}"]) from None
    except (ValueError, TypeError) as error:
        raise RequestError([f"{role} {name}: {' '.join(str(error).split())[:300]}"]) from None


def resolve(request: WorkshopRequest) -> Resolved:
    """The validated scenario with the levers applied, and its baseline with the shared ones."""
    library = library_scenario(request.scenario)
    scenario = _load(request.scenario, scenario_overrides(request), "scenario")
    base_name = baseline_name(library)
    if base_name not in scenario_names():
        raise RequestError([f"scenario {request.scenario}: baseline {base_name!r} is not in "
                            "the library"])
    baseline = _load(base_name, _shared_overrides(request, library), "baseline")
    # paired exactly as `pilotsim compare` pairs them (same people, same firm side)
    return Resolved(scenario=scenario, baseline=comparison_baseline(baseline, scenario))
