"""The typed, frozen parameters of a scenario.

Every field has a unit, an allowed range and a description, so that ``pilotsim
show`` and the dashboard can explain each lever. Values come from scenario
files (see ``simulation.params.loading``); each value's source travels beside it in
``Scenario.provenance``.
"""

from __future__ import annotations

import datetime
from typing import Annotated, Literal

from pydantic import Field, model_validator

from simulation.params.fields import (
    Frozen,
    PayerShares,
    Share,
    Shares,
    check_sums_to_one,
)
from simulation.params.fields import field as _field
from simulation.params.growth import Growth, Reference
from simulation.params.policy import NationalPolicy
from simulation.params.procurement import Procurement

DURATION_BANDS_MONTHS = (0, 1, 3, 6, 12, 18, 24)
"""Lower edges (months) of the Labore spell bands: <1, 1–3, 3–6, 6–12, 12–18, 18–24, >24."""
N_BANDS = len(DURATION_BANDS_MONTHS)
WEEKS_PER_MONTH = 52 / 12

SERVICE_NAMES = (
    "needs_assessment",
    "job_search_training",
    "job_coaching",
    "labour_market_training",
    "work_trial",
    "work_life_trial",
    "wage_subsidy",
    "rehabilitative_work",
    "start_up_grant",
    "self_motivated_study",
)
BENEFIT_TYPES = ("earnings_related", "basic_allowance", "labour_market_subsidy", "none")
EDUCATION_LEVELS = ("basic", "vocational", "higher")
PROFILES = ("young", "long_term", "other")


class Region(Frozen):
    name: str = _field("region", "", "Name of the region")
    job_seekers: int = _field(
        36_000, "persons", "Registered job seekers at the start (unemployed + in services)",
        ge=100, le=2_000_000)
    municipalities: list[str] = _field(["region"], "", "Municipalities of the area")
    municipality_shares: Shares = _field([1.0], "share", "Job seekers by municipality")
    sectors: list[str] = _field(
        ["services", "industry", "construction", "trade", "health_social", "public"], "",
        "Sectors of experience and of vacancies")
    sector_shares: Shares = _field(
        [0.3, 0.2, 0.1, 0.15, 0.15, 0.1], "share", "Job seekers and vacancies by sector")
    firms: int = _field(600, "firms", "Hiring firms modelled as agents", ge=1, le=100_000)

    @model_validator(mode="after")
    def _consistent(self) -> Region:
        if len(self.municipalities) != len(self.municipality_shares):
            raise ValueError("municipality_shares must have one share per municipality")
        if len(self.sectors) != len(self.sector_shares):
            raise ValueError("sector_shares must have one share per sector")
        check_sums_to_one("municipality_shares", self.municipality_shares)
        check_sums_to_one("sector_shares", self.sector_shares)
        return self


class Population(Frozen):
    age_shares: Shares = _field(
        [0.15, 0.6, 0.25], "share", "Job seekers aged under 25, 25–54, 55+")
    education_shares: Shares = _field(
        [0.3, 0.45, 0.25], "share", "Basic, vocational, higher education")
    benefit_shares: Shares = _field(
        [0.35, 0.05, 0.5, 0.1], "share",
        "Earnings-related, basic allowance, labour-market subsidy, no benefit")
    spell_band_shares: Shares = _field(
        [0.09, 0.15, 0.15, 0.3, 0.12, 0.07, 0.12], "share",
        "Initial unemployed by spell band (<1, 1–3, 3–6, 6–12, 12–18, 18–24, >24 months)")
    employability_sigma: float = _field(
        0.6, "log-sd", "Spread of latent employability (lognormal, mean 1)", ge=0.0, le=3.0)
    initial_activation: Share = _field(
        0.27, "share", "Share of job seekers in services at the start")

    @model_validator(mode="after")
    def _consistent(self) -> Population:
        for name in ("age_shares", "education_shares", "benefit_shares", "spell_band_shares"):
            expected = {"age_shares": 3, "education_shares": 3, "benefit_shares": 4,
                        "spell_band_shares": N_BANDS}[name]
            shares = getattr(self, name)
            if len(shares) != expected:
                raise ValueError(f"{name} needs {expected} shares, got {len(shares)}")
            check_sums_to_one(name, shares)
        return self


class Flows(Frozen):
    inflow_per_week: float = _field(
        0.016, "share of initial job seekers", "New registrations per week", ge=0.0, le=0.5)
    inflow_benefit_shares: Shares = _field(
        [0.55, 0.1, 0.25, 0.1], "share", "Benefit of new registrants (as benefit_shares)")
    separation_per_week: float = _field(
        0.008, "1/week", "Job loss hazard of former job seekers in work", ge=0.0, le=1.0)
    prior_job_losses_per_week: float = _field(
        0.0, "share of initial job seekers", "Job losses in the first week among former job "
        "seekers who found work before the run; they register again and fall off at "
        "separation_per_week as that pool empties, while the run's own re-employed take their "
        "place (0: nobody found work before the run)", ge=0.0, le=0.5)
    exit_out_of_labour_force_per_week: float = _field(
        0.002, "1/week", "Unemployed leaving the labour force", ge=0.0, le=1.0)
    long_term_exit_per_week: float = _field(
        0.0, "1/week", "Extra exit out of the labour force for open spells of 12 months or "
        "more (pensions, disability, leaving the register): exits the Labore rates to work and "
        "to services do not count", ge=0.0, le=1.0)
    exit_to_study_per_week: float = _field(
        0.002, "1/week", "Unemployed starting studies (under-25s: three times this)",
        ge=0.0, le=1.0)
    return_from_study_per_week: float = _field(
        0.01, "1/week", "Students returning to job search", ge=0.0, le=1.0)


class LabourMarket(Frozen):
    matching_efficiency: float = _field(
        1.0, "relative", "Matching efficiency relative to the 2017 baseline", gt=0.0, le=10.0)
    matching_elasticity: float = _field(
        0.5, "", "Elasticity of hires to effective searchers (α in M = A S^α V^(1-α))",
        gt=0.0, le=1.0)
    vacancies_per_seeker: float = _field(
        0.25, "vacancies/seeker", "Open vacancies per registered job seeker at the start",
        gt=0.0, le=10.0)
    vacancy_duration_weeks: float = _field(
        6.0, "weeks", "Mean time before an unfilled vacancy is withdrawn", gt=0.0, le=104.0)
    hidden_vacancy_share: Share = _field(
        0.0, "share", "Share of new vacancies never advertised (filled through networks)")
    hidden_network_efficiency: Share = _field(
        0.3, "relative", "How well registered job seekers reach a hidden vacancy")
    demand_growth_per_year: float = _field(
        0.0, "1/year", "Growth of firms' vacancy posting (business cycle)", ge=-0.5, le=1.0)
    work_hazard_by_band: list[Annotated[float, Field(ge=0.0, le=1.0)]] = _field(
        [0.05, 0.024, 0.016, 0.009, 0.004, 0.003, 0.0008], "1/week",
        "Weekly job-finding hazard at average employability by weeks since last job "
        "(Labore bands); the duration dependence")
    education_employability: list[Annotated[float, Field(gt=0.0, le=10.0)]] = _field(
        [0.8, 1.0, 1.25], "relative", "Employability by education (basic, vocational, higher)")
    age_employability: list[Annotated[float, Field(gt=0.0, le=10.0)]] = _field(
        [1.1, 1.0, 0.6], "relative", "Employability by age group (<25, 25–54, 55+)")

    @model_validator(mode="after")
    def _consistent(self) -> LabourMarket:
        if len(self.work_hazard_by_band) != N_BANDS:
            raise ValueError(f"work_hazard_by_band needs {N_BANDS} values")
        for name in ("education_employability", "age_employability"):
            if len(getattr(self, name)) != 3:
                raise ValueError(f"{name} needs 3 values")
        return self


class Benefits(Frozen):
    basic_daily_eur: float = _field(32.40, "€/day", "Basic allowance / LMS full rate",
                                    ge=0.0, le=500.0)
    earnings_related_daily_eur: float = _field(
        63.77, "€/day", "Average earnings-related allowance", ge=0.0, le=500.0)
    service_increase_daily_eur: float = _field(
        4.74, "€/day", "Increase while in an employment-promoting service", ge=0.0, le=100.0)
    days_per_week: int = _field(5, "days", "Paid days per week", ge=1, le=7)
    earnings_related_max_days: int = _field(
        400, "days", "Maximum paid days of earnings-related allowance", ge=0, le=2000)
    municipal_share_thresholds: list[int] = _field(
        [300, 1000], "paid days", "LMS days after which the municipality pays a share")
    municipal_shares: Shares = _field(
        [0.5, 0.7], "share", "Municipal share of passive LMS days beyond each threshold")

    @model_validator(mode="after")
    def _consistent(self) -> Benefits:
        if len(self.municipal_share_thresholds) != len(self.municipal_shares):
            raise ValueError("municipal_shares needs one share per threshold")
        if list(self.municipal_share_thresholds) != sorted(self.municipal_share_thresholds):
            raise ValueError("municipal_share_thresholds must increase")
        return self


class Taxes(Frozen):
    monthly_wage_eur: float = _field(
        2400.0, "€/month", "Gross pay of a re-employed job seeker", ge=0.0, le=50_000.0)
    state_tax_rate: Share = _field(0.03, "share", "State income tax, effective")
    municipal_tax_rate: Share = _field(0.15, "share", "Municipal income tax, effective")
    contributions_rate: Share = _field(
        0.30, "share", "Social insurance contributions (employer + employee), to other funds")


class PublicOffice(Frozen):
    caseload: float = _field(107.0, "seekers/expert", "Job seekers per TE expert",
                             ge=1.0, le=1000.0)
    meeting_slots_per_week: float = _field(
        10.0, "meetings/week", "Meetings an expert holds per week", ge=0.0, le=100.0)
    meeting_interval_weeks: int = _field(
        13, "weeks", "Periodic interview interval", ge=1, le=104)
    meeting_effect: float = _field(
        0.31, "relative hazard per unit monthly meeting probability",
        "Rise in job finding per unit of monthly interview probability", ge=0.0, le=10.0)
    meeting_effect_weeks: int = _field(
        4, "weeks", "How long a meeting raises search effort", ge=1, le=52)
    referral_by_band: list[Annotated[float, Field(ge=0.0, le=1.0)]] = _field(
        [0.5, 0.3, 0.25, 0.25, 0.3, 0.35, 0.3], "probability",
        "Chance a meeting ends in a service referral, by spell band")
    follow_on_referral: Share = _field(
        0.0, "probability", "Chance that a client completing a service is referred straight "
        "to the next one (service chains)")
    max_queue_share: float = _field(
        0.1, "share of places", "Longest waiting list, as a share of a service's places, "
        "that offices still refer to (they refer within budget)", ge=0.0, le=10.0)
    expert_cost_per_year_eur: float = _field(
        60_000.0, "€/year", "Employer cost of one expert", ge=0.0, le=1_000_000.0)

    @model_validator(mode="after")
    def _consistent(self) -> PublicOffice:
        if len(self.referral_by_band) != N_BANDS:
            raise ValueError(f"referral_by_band needs {N_BANDS} values")
        return self


class Service(Frozen):
    kind: Literal["service", "subsidised_job", "enterprise"] = _field(
        "service", "", "A service keeps benefits; a subsidised job pays a wage; enterprise "
        "pays a start-up grant")
    places_per_1000: float = _field(
        10.0, "places per 1,000 job seekers", "Capacity of the service", ge=0.0, le=1000.0)
    duration_weeks: int = _field(8, "weeks", "Planned duration", ge=1, le=104)
    cost_per_week_eur: float = _field(0.0, "€/week", "Purchase cost per participant-week",
                                      ge=0.0, le=10_000.0)
    payer_shares: PayerShares = _field([1.0, 0.0, 0.0], "share",
                                  "Who pays the purchase (state, municipality, other)")
    dropout_per_week: Share = _field(0.01, "1/week", "Drop-out hazard while in the service")
    lock_in: Share = _field(0.5, "relative", "Search effort while in the service")
    post_effect: float = _field(1.1, "relative", "Job-finding multiplier after completing",
                                ge=0.0, le=10.0)
    post_effect_weeks: int = _field(13, "weeks", "How long the post-service effect lasts",
                                    ge=0, le=260)
    retention: Share = _field(0.0, "share", "Completers kept on by the employer")



class WageSubsidy(Frozen):
    rates: Shares = _field([0.3, 0.4, 0.5], "share of pay",
                           "Wage subsidy by prior unemployment (<12, 12–24, ≥24 months)")
    municipal_top_up: Share = _field(0.0, "share of pay",
                                     "Municipal top-up to the state rate, for the target group")
    top_up_cap: Share = _field(0.5, "share of pay", "Combined subsidy cap with the top-up")


class TargetRule(Frozen):
    """One conjunction of conditions; a seeker matches if every given condition holds."""
    benefit_types: list[Literal[BENEFIT_TYPES]] | None = None  # type: ignore[valid-type]
    min_age: float | None = Field(None, ge=15, le=70)
    max_age: float | None = Field(None, ge=15, le=70)
    min_spell_weeks: int | None = Field(None, ge=0, le=2000)
    min_labour_market_subsidy_days: int | None = Field(None, ge=0, le=10_000)
    education_levels: list[Literal[EDUCATION_LEVELS]] | None = None  # type: ignore[valid-type]
    municipalities: list[str] | None = None


class TargetGroup(Frozen):
    description: str = "all registered job seekers"
    any_of: list[TargetRule] = Field(default_factory=lambda: [TargetRule()])


class Coaching(Frozen):
    """Personal coaches for the target group (an intervention)."""
    caseload: float = _field(107.0, "clients/coach", "Clients per coach", ge=1.0, le=1000.0)
    meeting_slots_per_week: float = _field(10.0, "meetings/week", "Meetings per coach-week",
                                           ge=0.0, le=100.0)
    meeting_interval_weeks: int = _field(4, "weeks", "Target interval between meetings",
                                         ge=1, le=104)
    first_assessment: bool = Field(
        False, description="New clients get an assessment meeting as soon as a coach is free")
    time_freed_share: float = _field(0.0, "share", "Extra meeting time freed (digital "
                                     "assistant, walk-in desk)", ge=0.0, le=1.0)
    staff_delivery_share: Share = _field(1.0, "share", "Person-years actually delivered")
    meeting_effect_multiplier: float = _field(
        1.0, "relative", "Quality of a meeting against a TE interview", ge=0.0, le=5.0)
    referral_multiplier: float = _field(
        1.0, "relative", "Referral chance per meeting against the TE office", ge=0.0, le=10.0)
    cost_per_coach_year_eur: float = _field(60_000.0, "€/year", "Employer cost of a coach",
                                            ge=0.0, le=1_000_000.0)
    payer_shares: PayerShares = _field([0.0, 1.0, 0.0], "share", "Who pays coaches")



class ServiceFunding(Frozen):
    """Extra service places for the target group and who pays for them."""
    extra_places_share: float = _field(0.0, "share of baseline places",
                                       "Extra places reserved for the target group",
                                       ge=0.0, le=10.0)
    payer_shares: PayerShares = _field([0.0, 1.0, 0.0], "share", "Who pays the extra places")
    services: list[Literal[SERVICE_NAMES]] | None = None  # type: ignore[valid-type]



class Interventions(Frozen):
    coaching: Coaching | None = None
    procurement: Procurement | None = None
    service_funding: ServiceFunding | None = None
    service_mix: dict[str, dict[str, float]] | None = None


class ReportedChange(Frozen):
    """A change a programme reported over a period (a gross, before/after figure), to hold
    beside the model's gross change, the baseline's trend and the net effect."""
    change: float = Field(description="The reported change (a share's change as a fraction)")
    trend: float | None = Field(None, description="The change reported outside the programme "
                                "over the same period, if any")
    scope: Literal["target", "region"] = "target"
    start_date: str = Field(description="First day of the period")
    end_date: str = Field(description="Last day of the period")

    @model_validator(mode="after")
    def _dates(self) -> ReportedChange:
        start = datetime.date.fromisoformat(self.start_date)
        if datetime.date.fromisoformat(self.end_date) < start:
            raise ValueError("end_date must not come before start_date")
        return self


class Scenario(Frozen):
    """A resolved scenario: everything a replication needs, with provenance."""
    name: str
    title: str = ""
    description: str = ""
    extends: str | None = None
    baseline: str | None = Field(None, description="The scenario this one is compared with")
    apply_fit: bool = Field(False, description="Read calibration/fitted.toml on top of this file")
    start_date: str = "2017-08-01"
    weeks: int = Field(74, ge=1, le=1040)
    sources: list[str] = Field(default_factory=list)
    region: Region = Field(default_factory=Region)
    population: Population = Field(default_factory=Population)
    flows: Flows = Field(default_factory=Flows)
    labour_market: LabourMarket = Field(default_factory=LabourMarket)
    benefits: Benefits = Field(default_factory=Benefits)
    taxes: Taxes = Field(default_factory=Taxes)
    public_office: PublicOffice = Field(default_factory=PublicOffice)
    services: dict[Literal[SERVICE_NAMES], Service] = Field(  # type: ignore[valid-type]
        default_factory=dict)
    service_mix: dict[Literal[PROFILES], dict[str, float]] = Field(  # type: ignore[valid-type]
        default_factory=dict)
    wage_subsidy: WageSubsidy = Field(default_factory=WageSubsidy)
    target_group: TargetGroup = Field(default_factory=TargetGroup)
    interventions: Interventions = Field(default_factory=Interventions)
    national_policy: NationalPolicy = Field(default_factory=NationalPolicy)
    growth: Growth | None = None  # the firm side and growth programmes (simulation.engine.growth)
    reference: Reference = Field(default_factory=dict, description="Goals to report beside "
                                 "the results, by summary metric")
    reported_changes: dict[str, ReportedChange] = Field(
        default_factory=dict, description="Changes the programme reported, by weekly column")
    provenance: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _consistent(self) -> Scenario:
        # messages start with the field's dotted path, which simulation.params.loading reports
        mixes = {f"service_mix.{k}": v for k, v in self.service_mix.items()}
        if self.interventions.service_mix:
            mixes.update({f"interventions.service_mix.{k}": v
                          for k, v in self.interventions.service_mix.items()})
        for profile, mix in mixes.items():
            for service, weight in mix.items():
                if service not in self.services:
                    raise ValueError(f"{profile}: unknown service {service!r}")
                if weight < 0:
                    raise ValueError(f"{profile}.{service}: weight must be ≥ 0")
        for i, rule in enumerate(self.target_group.any_of):
            unknown = sorted(set(rule.municipalities or ()) - set(self.region.municipalities))
            if unknown:  # a name that matches nobody would silently empty the target group
                raise ValueError(f"target_group.any_of.{i}.municipalities: {unknown[0]!r} is "
                                 "not one of region.municipalities "
                                 f"({', '.join(self.region.municipalities)})")
        procurement = self.interventions.procurement
        if procurement is not None and procurement.target_firms > 0 \
                and (self.growth is None or self.growth.solo_entrepreneurs == 0):
            raise ValueError("interventions.procurement.target_firms: providers guide solo "
                             "entrepreneurs, so [growth] needs solo_entrepreneurs > 0")
        return self
