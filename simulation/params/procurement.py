"""Procurement of services from private providers: the schema of a scenario's
``[interventions.procurement]`` section (contract, providers, client acquisition, market rules).

Kept apart from ``parameters`` so the provider mechanics can grow without touching the rest of
the schema. The mechanics themselves live in ``simulation.engine.providers``; the fee schedules in
``simulation.params.contracts`` and ``scenarios/contracts/``.
"""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, PrivateAttr, model_validator

from simulation.params.contracts import Contract, ContractError, contract_from_table, load_contract
from simulation.params.fields import PayerShares, Share
from simulation.params.fields import field as _field


class Procurement(BaseModel):
    """Providers paid under one contract schedule, and how they get their clients.

    Each provider holds its own copy of the contract (its own base fee, budget cap and
    contract weeks, counted from the week it starts).
    """
    model_config = ConfigDict(frozen=True, extra="forbid")
    # The contract as read when the scenario was validated. Runs use this copy (it travels to
    # the workers with the scenario) and the run identity hashes it, so a run is always made
    # with the contract its id names, even if the file changes while a batch runs.
    _contract: Contract | None = PrivateAttr(default=None)

    # -- the contract ------------------------------------------------------------------------
    contract: str = _field(
        "generic_outsourcing", "", "Shipped contract (scenarios/contracts/<name>.toml), or a "
        "contract file (a path ending in .toml, relative to the scenario file that names it); "
        "ignored when contract_table is given")
    contract_table: dict[str, Any] | None = _field(
        None, "", "An inline [contract] table (same keys as a contract file) instead of a "
        "shipped contract")
    buyer_shares: PayerShares = _field(
        [1.0, 0.0, 0.0], "share", "Who pays the providers' fees (state, municipality, other)")

    # -- providers ---------------------------------------------------------------------------
    providers: int = _field(2, "providers", "Providers under contract at the start",
                            ge=1, le=200)
    start_week: int = _field(
        1, "week", "Model week in which the providers' contracts start (their contract week 0); "
        "before it the office works alone", ge=1, le=1040)
    end_week: int = _field(
        0, "week", "Last model week of the contracts (0: to the end of the run); then the "
        "providers hand their clients back to the office and earn nothing more", ge=0, le=1040)
    max_providers: int = _field(30, "providers", "Most providers a dynamic purchasing system "
                                "admits", ge=1, le=500)
    staff_hours_per_week: float = _field(
        150.0, "hours/week", "Client-facing staff hours of one provider", ge=0.0, le=100_000.0)
    fixed_cost_per_week_eur: float = _field(
        6000.0, "€/week", "A provider's fixed cost (staff on payroll, premises)",
        ge=0.0, le=10_000_000.0)
    cost_per_client_week_eur: float = _field(
        15.0, "€/client-week", "Variable cost of keeping one client on the books",
        ge=0.0, le=10_000.0)
    cost_per_effort_hour_eur: float = _field(
        0.0, "€/hour", "Extra cost of an hour actually spent on a client (0 when staff time is "
        "in the fixed cost); an hour is only spent if it is expected to earn more",
        ge=0.0, le=10_000.0)

    # -- client acquisition -------------------------------------------------------------------
    target_clients: int = _field(1000, "clients", "Client volume the buyer aims at over the "
                                 "contract (all providers together)", ge=0, le=2_000_000)
    acquisition: Literal["referral", "marketing"] = _field(
        "referral", "", "referral: the public office, with register access, refers target-group "
        "clients; marketing: each provider finds clients itself")
    referrals_per_week: float = _field(
        40.0, "clients/week", "Target-group clients the office refers per week (referral mode), "
        "until the target volume is reached", ge=0.0, le=100_000.0)
    contacts_per_week: float = _field(
        60.0, "contacts/week", "Unemployed target-group members one provider contacts per "
        "week (marketing mode)",
        ge=0.0, le=100_000.0)
    cost_per_contact_eur: float = _field(
        20.0, "€/contact", "A provider's cost of one marketing contact", ge=0.0, le=10_000.0)
    contact_yield: Share = _field(
        0.15, "share", "Mean share of contacted people who enrol (marketing mode)")
    contact_yield_sd: float = _field(
        0.08, "share", "Week-to-week spread of the contact yield (Beta distribution)",
        ge=0.0, le=0.5)
    programme_weeks: int = _field(26, "weeks", "How long a client is served before returning "
                                  "to the public office if not placed", ge=1, le=520)
    office_meetings: Literal["continue", "replaced"] = _field(
        "continue", "", "continue: the public office keeps meeting provider clients on its "
        "usual interval (the provider's service comes on top); replaced: the provider is "
        "responsible for the client's guidance and plan, so the office neither meets nor "
        "refers a client while on a provider's books, and its coaches' time goes to others")
    intake_selection: bool = _field(
        False, "", "Providers may decline offered clients (creaming); they take a client when "
        "the fees they expect for that client, plus the base fee per contracted client, cover "
        "the client's cost")

    # -- firm clients (the contract's firm-side fees) -------------------------------------------
    target_firms: int = _field(
        0, "firms", "Firms the buyer aims at over the contract (all providers together). The "
        "firms are the region's solo entrepreneurs without a first hire ([growth] "
        "solo_entrepreneurs); a provider guides each towards its first recruitment and earns "
        "the contract's firm fees, firm outcomes and firm feedback. 0: no firm work",
        ge=0, le=1_000_000)
    firms_per_week: float = _field(
        1.0, "firms/week", "Firms one provider signs up per week (Poisson) while short of its "
        "share of target_firms", ge=0.0, le=10_000.0)
    firm_guidance_weeks: int = _field(13, "weeks", "How long a provider guides a firm",
                                      ge=1, le=520)
    firm_hire_multiplier: float = _field(
        2.0, "relative", "A guided firm's chance of deciding on its first hire, against no "
        "guidance", ge=0.0, le=50.0)
    cost_per_firm_eur: float = _field(
        500.0, "€/firm", "A provider's cost of guiding one firm (consultant time), booked when "
        "the firm signs up", ge=0.0, le=1_000_000.0)
    firm_top_rating: Share = _field(
        0.3, "probability", "Chance a guided firm that has not hired rates every benefit item "
        "at the top when its guidance ends (otherwise it scores satisfaction_base)")
    firm_top_rating_hired: Share = _field(
        0.7, "probability", "The same for a firm that made its first hire while guided")

    # -- market rules ---------------------------------------------------------------------------
    vouchers: bool = _field(False, "", "Referred clients choose their provider by star rating")
    voucher_rating_sensitivity: float = _field(
        0.8, "log-odds/star", "How strongly a voucher client prefers one more star",
        ge=0.0, le=10.0)
    dynamic_purchasing: bool = _field(
        False, "", "New providers join while incumbents' margins are positive")
    entry_margin: float = _field(
        0.05, "share of revenue", "Margin of incumbents (over the exit window) above which a "
        "new provider joins", ge=-1.0, le=1.0)
    entry_interval_weeks: int = _field(4, "weeks", "At most one entry per this many weeks",
                                       ge=1, le=520)
    start_up_weeks: int = _field(
        13, "weeks", "Start-up period in which a provider's losses do not yet count towards "
        "exit (it expects results to take time)", ge=0, le=520)
    exit_after_loss_weeks: int = _field(
        13, "weeks", "A provider leaves after this many consecutive weeks in which both its "
        "cumulative profit and its profit over the last this-many weeks are negative",
        ge=1, le=520)

    # -- quality, feedback, ratings ---------------------------------------------------------------
    feedback_response_rate: Share = _field(
        0.5, "share", "Clients who answer the feedback survey when they leave")
    satisfaction_base: Share = _field(
        0.55, "score fraction", "Feedback score of a client given no effort")
    satisfaction_gain: Share = _field(
        0.45, "score fraction", "Rise in the feedback score at the largest effort effect")
    feedback_noise_sd: float = _field(0.1, "score fraction", "Noise in a client's feedback "
                                      "score", ge=0.0, le=1.0)
    rating_interval_weeks: int = _field(13, "weeks", "Star ratings are recomputed this often",
                                        ge=1, le=520)
    rating_adjust_for_mix: bool = _field(
        True, "", "Star ratings compare placements with those expected for the provider's "
        "client mix (regression-adjusted, Australian practice) rather than raw rates")
    rating_feedback_weight: Share = _field(
        0.3, "share", "Weight of client feedback (against placements) in the star rating")

    # -- effort and what providers know ---------------------------------------------------------
    effort_effect_max: float = _field(
        0.6, "relative hazard", "Largest rise in job finding that a provider's effort can give "
        "(effect saturates with hours)", gt=0.0, le=10.0)
    hours_per_meeting: float = _field(
        1.0, "hours", "Length of a public-office periodic interview; with the office's meeting "
        "effect it anchors the effect of an effort hour", gt=0.0, le=24.0)
    professional_norm_eur: float = _field(
        0.5, "€ per unit effect", "Value a provider puts on serving any client regardless of "
        "fees (the contracted duty of service); spreads effort when fees do not reward it",
        ge=0.0, le=100_000.0)
    signal_noise_sd: float = _field(
        0.6, "log-sd", "Noise in a provider's estimate of a client's employability at intake",
        ge=0.0, le=5.0)
    learning_weeks: float = _field(
        8.0, "weeks", "Weeks of service after which the provider's estimation noise has halved "
        "in variance", gt=0.0, le=520.0)
    training_referrals: bool = _field(
        True, "", "Providers direct clients to labour-market training when the contract pays "
        "more for that than they expect from keeping them for a placement")

    @model_validator(mode="after")
    def _consistent(self) -> Procurement:
        if self.max_providers < self.providers:
            raise ValueError("max_providers must be at least providers")
        if self.end_week and self.end_week < self.start_week:
            raise ValueError(f"end_week ({self.end_week}) must not come before start_week "
                             f"({self.start_week})")
        try:
            self._contract = self._read_contract()
        except ContractError as error:
            raise ValueError(f"contract: {error}") from None
        return self

    def resolved_contract(self) -> Contract:
        """The fee schedule: the inline table if given, else the contract file or shipped
        contract, as read when the scenario was validated."""
        if self._contract is None:
            self._contract = self._read_contract()
        return self._contract

    def _read_contract(self) -> Contract:
        if self.contract_table is not None:
            return contract_from_table(self.contract_table,
                                       file="interventions.procurement.contract_table")
        return load_contract(self.contract)
