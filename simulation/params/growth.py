"""The firm side of a region and the growth programmes that work on it: the schema of a
scenario's ``[growth]`` section (and of ``[reference]``, the goals a scenario records).

``[growth]`` describes the firms a growth-company pilot works with (growth firms, their
recruitment needs and capability, hidden vacancies, solo entrepreneurs), how vacancies'
requirements meet job seekers' skills, and how jobs turn into regional value added.
``[growth.programme]`` holds the levers: coordinators or growth agents who visit firms,
targeted training and work placements, first-hire support, start-up support, mass
recruitment and a cross-border vacancy pool. Without ``[growth]`` none of it exists and the
model runs exactly as before. The mechanics live in ``simulation.engine.growth``.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from simulation.params.fields import Frozen as _Frozen
from simulation.params.fields import PayerShares, Share
from simulation.params.fields import field as _field

PAYER_SHARES = "Who pays (state, municipality, other)"


class Coordinators(_Frozen):
    """Coordinators or growth agents (Mesa agents) with a limited number of firm visits."""
    count: int = _field(2, "persons", "Coordinators / growth agents", ge=0, le=1000)
    visits_per_week: float = _field(4.0, "visits/week", "Firm visits one coordinator makes "
                                    "per week", ge=0.0, le=100.0)
    revisit_weeks: int = _field(13, "weeks", "A firm is visited at most once in this many "
                                "weeks", ge=1, le=260)
    priority_sectors: list[str] = _field([], "", "Sectors whose firms are visited first "
                                         "(empty: all sectors alike)")
    surfacing_share: Share = _field(0.8, "share", "Share of a visited firm's hidden vacancies "
                                    "the coordinator surfaces (advertises, passes to the office)")
    contact_weeks: int = _field(13, "weeks", "After a visit, the firm tells the coordinator of "
                                "new needs: its new vacancies are surfaced at once", ge=0, le=260)
    capability_gain: Share = _field(0.3, "share of the gap", "A visit moves the firm's "
                                    "recruitment capability this share of the way to 1")
    first_hire_multiplier: float = _field(2.0, "relative", "Solo entrepreneur's first-hire "
                                          "hazard during contact, against no guidance",
                                          ge=0.0, le=50.0)
    candidates_per_vacancy: float = _field(
        2.0, "candidates", "Candidates the coordinator refers from the register per open "
        "vacancy of a visited firm", ge=0.0, le=50.0)
    max_candidates_per_visit: int = _field(
        10, "candidates", "Most candidates referred on one visit", ge=0, le=1000)
    referral_hire_probability: Share = _field(
        0.15, "probability", "Chance a referred candidate of full skill match is hired")
    cost_per_coordinator_year_eur: float = _field(70_000.0, "€/year", "Employer cost of one "
                                                  "coordinator", ge=0.0, le=1_000_000.0)
    payer_shares: PayerShares = _field([1.0, 0.0, 0.0], "share", PAYER_SHARES)



class Training(_Frozen):
    """Targeted training (or a work placement) that raises the match for one sector."""
    kind: Literal["training", "work_placement"] = _field(
        "training", "", "training: a labour-market training course; work_placement: a "
        "placement in a growth firm of the sector that may convert to a job")
    sector: str = _field("industry", "", "The sector whose vacancies it prepares for")
    places: int = _field(18, "places", "Participants per intake", ge=0, le=100_000)
    intakes: int = _field(1, "intakes", "Number of intakes", ge=0, le=1000)
    first_intake_week: int = _field(4, "week", "Week of the first intake", ge=1, le=1040)
    intake_interval_weeks: int = _field(26, "weeks", "Weeks between intakes", ge=1, le=1040)
    duration_weeks: int = _field(27, "weeks", "Duration (186 days ≈ 27 weeks)", ge=1, le=156)
    completion_rate: Share = _field(0.61, "share", "Share of starters who complete (the rest "
                                    "drop out or leave for work)")
    match_gain: float = _field(0.5, "relative", "Rise in a completer's matching with the "
                               "sector's vacancies", ge=0.0, le=10.0)
    conversion_rate: Share = _field(0.0, "share", "Completers hired by the firm of the "
                                    "placement (work placements)")
    recruit_other_sectors: bool = Field(
        True, description="Participants may come from other sectors and are re-skilled into "
        "this one (else only people with experience in the sector)")
    min_education: int = _field(1, "level", "Least education of a participant (0 basic, "
                                "1 vocational, 2 higher)", ge=0, le=2)
    cost_per_week_eur: float = _field(300.0, "€/participant-week", "Purchase cost",
                                      ge=0.0, le=10_000.0)
    payer_shares: PayerShares = _field([1.0, 0.0, 0.0], "share", PAYER_SHARES)



class FirstHireSupport(_Frozen):
    """A subsidy or guidance that makes solo entrepreneurs' first hire more likely."""
    hazard_multiplier: float = _field(1.5, "relative", "First-hire hazard of every solo "
                                      "entrepreneur while the support runs", ge=0.0, le=50.0)
    subsidy_per_first_hire_eur: float = _field(
        0.0, "€", "Paid to the firm for each first hire", ge=0.0, le=1_000_000.0)
    payer_shares: PayerShares = _field([1.0, 0.0, 0.0], "share", PAYER_SHARES)



class StartUpSupport(_Frozen):
    """Advice for would-be entrepreneurs through a voucher, a start-up grant, survival."""
    advised_per_week: float = _field(3.0, "persons/week", "Would-be entrepreneurs advised "
                                     "per week (from the unemployed)", ge=0.0, le=10_000.0)
    provider_start_shares: list[Share] = _field(
        [0.25, 0.35], "share", "Per provider: share of its advised clients who start a firm; "
        "clients choose a provider with a voucher")
    voucher_choice: float = _field(1.0, "1/star", "How strongly voucher holders follow star "
                                   "ratings (probability ∝ exp(β × stars))", ge=0.0, le=20.0)
    grant_weeks: int = _field(26, "weeks", "Start-up grant period", ge=1, le=104)
    survival_share: Share = _field(0.75, "share", "New firms still running when the grant ends")
    advice_cost_eur: float = _field(500.0, "€/client", "Voucher value per advised client",
                                    ge=0.0, le=100_000.0)
    payer_shares: PayerShares = _field([1.0, 0.0, 0.0], "share", PAYER_SHARES)

    @model_validator(mode="after")
    def _consistent(self) -> StartUpSupport:
        if not self.provider_start_shares:
            raise ValueError("provider_start_shares needs at least one provider")
        return self


class MassRecruitment(_Frozen):
    """One large employer recruiting in a target sector; job seekers screened for suitability."""
    sector: str = _field("industry", "", "The recruiting sector")
    hires_wanted: int = _field(1000, "hires", "Hires the employer needs", ge=0, le=1_000_000)
    start_week: int = _field(4, "week", "First week of recruitment", ge=1, le=1040)
    weeks: int = _field(52, "weeks", "Recruitment period", ge=1, le=1040)
    screened_per_week: float = _field(100.0, "persons/week", "Job seekers screened per week",
                                      ge=0.0, le=100_000.0)
    suitability: Share = _field(0.2, "probability", "Chance a screened job seeker with "
                                "experience in the sector and enough education is suitable")
    other_sector_suitability: Share = _field(0.3, "relative", "Suitability of someone without "
                                             "experience in the sector, against one with it")
    min_education: int = _field(1, "level", "Least education (0 basic, 1 vocational, "
                                "2 higher)", ge=0, le=2)
    screening_cost_eur: float = _field(50.0, "€/person", "Cost of screening one job seeker",
                                       ge=0.0, le=100_000.0)
    payer_shares: PayerShares = _field([1.0, 0.0, 0.0], "share", PAYER_SHARES)



class CrossBorder(_Frozen):
    """A second vacancy pool across the border (e.g. Bothnian Arc: Finland–Sweden)."""
    vacancies_per_seeker: float = _field(0.05, "vacancies/seeker", "Open cross-border "
                                         "vacancies per registered job seeker", ge=0.0, le=10.0)
    mobile_share: Share = _field(0.1, "share", "Job seekers who would take a job across the "
                                 "border")
    sectors: list[str] = _field([], "", "Sectors of the cross-border vacancies (empty: all)")
    efficiency: float = _field(0.5, "relative", "Matching efficiency across the border "
                               "against the home market (language, commuting)", ge=0.0, le=10.0)


class GrowthProgramme(_Frozen):
    """The levers of a growth-company pilot; each part is optional."""
    coordinators: Coordinators | None = None
    training: list[Training] = Field(default_factory=list)
    first_hire_support: FirstHireSupport | None = None
    start_up: StartUpSupport | None = None
    mass_recruitment: MassRecruitment | None = None
    cross_border: CrossBorder | None = None
    start_week: int = _field(1, "week", "First week of the programme", ge=1, le=1040)


class Growth(_Frozen):
    """The firm side of the region: growth firms, solo entrepreneurs, skills, value added."""
    growth_firm_share: Share = _field(0.1, "share", "Share of hiring firms with growth "
                                      "potential")
    growth_sectors: list[str] = _field([], "", "Sectors where growth firms concentrate "
                                       "(empty: all sectors alike)")
    growth_sector_weight: float = _field(3.0, "relative", "How much more likely a firm in a "
                                         "growth sector is a growth firm", ge=1.0, le=100.0)
    growth_rate_per_year: float = _field(
        0.15, "1/year", "A growth firm's recruitment need per year as a share of its size, at "
        "today's demand", ge=0.0, le=5.0)
    growth_rate_sigma: float = _field(0.5, "log-sd", "Spread of growth potential across "
                                      "growth firms (lognormal, mean as above)", ge=0.0, le=3.0)
    demand_elasticity: float = _field(
        1.5, "", "Recruitment need ∝ demand^ε, demand from labour_market.demand_growth_per_year",
        ge=0.0, le=10.0)
    recruitment_capability: Share = _field(
        0.6, "share", "Mean share of a growth firm's recruitment needs it turns into vacancies "
        "(the rest is growth forgone)")
    growth_hidden_share: Share = _field(
        0.5, "share", "Share of growth firms' and solo entrepreneurs' vacancies never "
        "advertised (filled only through networks unless surfaced)")
    solo_entrepreneurs: int = _field(0, "firms", "Solo entrepreneurs without employees",
                                     ge=0, le=1_000_000)
    first_hire_hazard_per_year: Share = _field(
        0.03, "1/year", "A solo entrepreneur's chance per year of deciding to make a first hire")
    required_education: list[Annotated[int, Field(ge=0, le=2)]] | None = _field(
        None, "level", "Least education the vacancies of each sector ask for (0 basic, "
        "1 vocational, 2 higher); one per sector; empty: no requirement")
    under_qualified_match: Share = _field(
        0.6, "relative", "Matching of a job seeker below the sector's requirement")
    value_added_per_job_year_eur: float = _field(
        70_000.0, "€/job-year", "Regional value added of one job held for a year",
        ge=0.0, le=10_000_000.0)
    indirect_multiplier: float = _field(
        1.4, "", "Total (direct + indirect) regional value added per euro of direct",
        ge=1.0, le=10.0)
    programme: GrowthProgramme | None = None


Reference = dict[str, float]
"""Goals a scenario records beside its results, keyed by summary metric: ``[reference]``
``jobs_created = { value = 1000, source = "..." }``; reports print them side by side."""
