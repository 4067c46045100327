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
from functools import lru_cache
from typing import Any
from urllib.parse import parse_qsl, urlencode

from pydantic import BaseModel

from dashboards import contract_levers
from dashboards.contract_levers import OWN, TEMPLATE
from dashboards.lever import Lever
from dashboards.lever import parse_number as _parse_number
from dashboards.lever import shown as _shown
from simulation.experiments.compare import comparison_baseline
from simulation.i18n import LANGUAGES, N_
from simulation.params.growth import (
    Coordinators,
    FirstHireSupport,
    GrowthProgramme,
    MassRecruitment,
    StartUpSupport,
)
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
# parameter uncertainty: K posterior draws (0 = off), each run with the replications
MIN_DRAWS, MAX_DRAWS = 5, 20
MAX_QUERY_CHARS = 4_000
MAX_QUERY_FIELDS = 200
SCOPES = ("target", "region")

# Target-group choices (applied to the scenario and its baseline alike, so that target-group
# metrics compare the same people). "scenario" keeps the scenario's own rule.
TARGET_GROUPS: dict[str, tuple[str, list[dict[str, Any]] | None]] = {
    "scenario": (N_("as in the scenario"), None),
    "all": (N_("all registered job seekers"), [{}]),
    "lms_basic": (N_("labour-market subsidy and basic allowance recipients"),
                  [{"benefit_types": ["labour_market_subsidy", "basic_allowance"]}]),
    "over_6m": (N_("unemployed 6 months or more"), [{"min_spell_weeks": 26}]),
    "long_term": (N_("unemployed 12 months or more"), [{"min_spell_weeks": 52}]),
    "young": (N_("under 30"), [{"max_age": 29}]),
}

CONTRACT_PREFIX = contract_levers.PREFIX


class RequestError(ValueError):
    """A request the dashboard refuses; ``messages`` are shown on the page."""

    def __init__(self, messages: list[str]) -> None:
        super().__init__("; ".join(messages))
        self.messages = messages


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
    # only values that differ; ``contract.template`` (a name) when another template is chosen
    levers: dict[str, Any] = field(default_factory=dict)
    lang: str = "en"  # the page's language, kept in the link (``dashboards.language``)
    draws: int = 0  # parameter uncertainty: K posterior draws, 0 = off (``posterior_view``)

    def query(self) -> str:
        """The URL query string (with leading ``?``) that restores this request."""
        items: list[tuple[str, Any]] = [
            ("scenario", self.scenario), ("job_seekers", self.job_seekers),
            ("weeks", self.weeks), ("target", self.target),
            ("replications", self.replications), ("seed", self.seed), ("scope", self.scope)]
        if self.draws:  # only when on: links made before the setting stay as they were
            items.append(("draws", self.draws))
        items += [(path, _fmt_plain(value)) for path, value in sorted(self.levers.items())]
        if self.lang != "en":
            items.append(("lang", self.lang))
        return "?" + urlencode(items)


def _fmt_plain(value: float | str) -> str:
    if isinstance(value, str):  # the contract template's name
        return value
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


def levers_for(name: str, template: str = OWN) -> list[Lever]:
    """The levers of a library scenario, with its values as defaults and their sources; the
    contract's fee levers are those of ``template`` (the scenario's own contract unless a
    participant picks another, see ``dashboards.contract_levers``)."""
    return list(_levers_for(name, template))


def contract_templates(name: str) -> list[tuple[str, str]]:
    """(value, label) of the contract templates of a procurement scenario, else none."""
    procurement = library_scenario(name).interventions.procurement
    return [] if procurement is None else contract_levers.templates(procurement)


@lru_cache(maxsize=256)
def _levers_for(name: str, template: str) -> tuple[Lever, ...]:
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
        out.extend(contract_levers.fee_levers(procurement, template))
    if scenario.growth is not None and scenario.growth.programme is not None:
        out.extend(_growth_levers(scenario, scenario.growth.programme))
    return tuple(out)


# The growth programme's levers a workshop varies: (section, model, key, label) for each part
# the scenario has (a part it lacks is not offered: switching one on needs its other values).
GROWTH_LEVERS = (
    ("coordinators", Coordinators, "count", "Coordinators"),
    ("coordinators", Coordinators, "visits_per_week", "Firm visits per coordinator-week"),
    ("coordinators", Coordinators, "capability_gain", "Recruitment capability gained per visit"),
    ("coordinators", Coordinators, "referral_hire_probability",
     "Hire chance of a referred candidate"),
    ("first_hire_support", FirstHireSupport, "hazard_multiplier", "First-hire support effect"),
    ("first_hire_support", FirstHireSupport, "subsidy_per_first_hire_eur",
     "Subsidy per first hire"),
    ("start_up", StartUpSupport, "advised_per_week", "Start-up advice clients per week"),
    ("mass_recruitment", MassRecruitment, "screened_per_week", "Screened per week"),
)


def _growth_levers(scenario: Scenario, programme: GrowthProgramme) -> list[Lever]:
    out = []
    for section, model, key, label in GROWTH_LEVERS:
        part = getattr(programme, section)
        if part is not None:
            out.append(_schema_lever(scenario, model, f"growth.programme.{section}.{key}", label,
                                     "Growth programme (firm side)", getattr(part, key)))
    return out


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


def check_draws(raw: Any) -> int:
    """K posterior draws from the page or a link: 0 (off) or MIN_DRAWS–MAX_DRAWS, else a
    one-line ``ValueError``."""
    if raw is None or raw == "":
        return 0
    message = N_("Parameter uncertainty: draws must be 0 (off) or {low}–{high} (got {got})")
    try:
        number = _parse_number(raw, "Parameter uncertainty")
    except ValueError:
        number = math.nan
    if number == 0:
        return 0
    if not math.isfinite(number) or number != math.floor(number) \
            or not MIN_DRAWS <= number <= MAX_DRAWS:
        raise ValueError(message.format(low=MIN_DRAWS, high=MAX_DRAWS, got=_shown(raw)))
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
    try:
        shared["draws"] = check_draws(raw.get("draws"))
    except ValueError as error:
        errors.append(str(error))
    target = raw.get("target", "scenario")
    if target not in TARGET_GROUPS:
        errors.append(f"unknown target group {_shown(target)}")
    scope = raw.get("scope", "target")
    if scope not in SCOPES:
        errors.append(f"unknown view scope {_shown(scope)}")
    lang = raw.get("lang") or "en"
    if lang not in LANGUAGES:
        errors.append(f"unknown language {_shown(lang)}: one of {', '.join(LANGUAGES)}")
    template = raw.get(TEMPLATE, OWN)
    choices = dict(contract_templates(name))
    if template not in choices and template != OWN:
        errors.append(f"unknown contract template {_shown(template)} for scenario {name!r}")
        template = OWN
    levers = {lever.path: lever for lever in levers_for(name, str(template))}
    reserved = {"scenario", "target", "scope", "lang", "draws", TEMPLATE, *defaults}
    values: dict[str, Any] = {} if template == OWN else {TEMPLATE: str(template)}
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
                           lang=str(lang), **shared)


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
    template = request.levers.get(TEMPLATE, OWN)
    fees = {path.removeprefix(CONTRACT_PREFIX): value for path, value in request.levers.items()
            if path.startswith(CONTRACT_PREFIX) and path != TEMPLATE}
    for path, value in request.levers.items():
        if not path.startswith(CONTRACT_PREFIX):
            _set(tree, path, value)
    procurement = scenario.interventions.procurement
    if procurement is not None:
        try:  # the chosen contract with the changed fees written in; None: as shipped
            table = contract_levers.edited_table(procurement, template, fees)
        except ValueError as error:
            raise RequestError([str(error)]) from None
        if table is not None:
            _set(tree, "interventions.procurement.contract_table", table)
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
