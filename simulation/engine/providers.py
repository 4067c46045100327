"""Service providers paid under outcome-priced contracts (see ``simulation.params.contracts``).

A provider is a Mesa agent with staff hours, costs, a copy of the scenario's contract and a
star rating. Creaming, parking, losses, exits and entries are not inputs: they follow from each
provider maximising what its contract pays, week by week.

The mechanism in words (all per week; per-client work runs on arrays, loops go over providers):

- **Effect of effort.** ``h`` hours a week on a client multiply the client's job-finding
  intensity by ``1 + effect(h)``, ``effect(h) = m (1 - exp(-h / k))``, through the seekers'
  ``provider_effort`` column (the same channel as a coach meeting). ``m`` is
  ``effort_effect_max`` (assumption); ``k`` is anchored to the public office: one monthly
  interview of ``hours_per_meeting`` hours (``hours_per_meeting × 12/52`` hours a week) gives
  the office's meeting effect (Huuskonen 2023: a monthly interview raises the monthly hazard by
  31 %, DOMAIN §3), so ``k = h0 / -ln(1 - e0/m)``. The anchor is an assumption: a provider's
  hour is taken to be as effective as an hour of TE interview.
- **What the provider knows.** It sees observables (risk class, spell, service status) and a
  noisy signal of latent employability: ``ê = e · exp(σ_t z - σ_t²/2)``, one standard normal
  ``z`` per client drawn at intake, ``σ_t = σ0 / sqrt(1 + t / learning_weeks)`` after ``t``
  weeks of service (it learns). Its estimate of a client's weekly job-finding chance is
  ``p̂ = ê × hazard(weeks since work) × search effort × lock-in``.
- **What a placement is worth.** ``V = Σ fee_kind[risk class] × P(kind | placement)`` over the
  contract's placement, 3-, 6- and 12-month fees not yet earned and still inside the contract,
  with the known job-loss hazard giving ``P(employed_Xm | placed) = (1 - separation)^weeks``.
  Client feedback (a score rising with the effect received) is worth ``Q`` per unit of effect
  where the contract pays a per-client quality bonus; ``ν`` (``professional_norm_eur``) is the
  value the provider puts on serving anyone at all.
- **Allocation.** The expected gain of the ``h``-th hour on client ``i`` is
  ``a_i exp(-h/k)`` with ``a_i = (V_i p̂_i + Q + ν) m / k``. Hours go where this is highest until
  the staff hours are used (or the gain falls below ``cost_per_effort_hour_eur``): the
  water-filling solution ``h_i = k max(0, ln(a_i / λ))``, with one ``λ`` per provider found by
  bisection. Under a flat placement fee ``a_i`` is proportional to ``p̂_i``: the most employable
  get the hours and the hardest get almost none (**parking**: a client is counted parked in a
  week when given under a tenth of the provider's even share of hours). Under a fixed fee only
  ``ν`` remains and hours are spread evenly.
- **Intake.** Clients come from the scenario's target group: referred by the public office
  (``referral``) or contacted by the provider (``marketing``: every contact costs, only
  target-group members are eligible and a week's yield is uncertain, Beta-distributed). With
  ``intake_selection`` a provider declines a client whose expected fees (attachment fee +
  ``V`` × chance of placement within the programme + quality bonus + the base fee per
  contracted client) do not cover the client's cost (**creaming**). With ``vouchers`` a referred
  client chooses among providers with probability ``∝ exp(β × stars)``.
- **Training referrals.** Where the contract pays for directing a client to training, the
  provider refers the client to labour-market training if that fee is larger than the expected
  value of keeping the client for a placement.
- **Outcomes and fees.** Placement (a job started while a client), employment lasting 13, 26
  and 52 weeks, training referrals, attachment and client feedback (one answer or non-response
  when the client leaves) are recorded as ``contracts.OutcomeEvent`` rows in contract weeks.
  The fees are settled each week with the exact rules of ``contracts.settle`` (first event per
  client and kind, risk-class tiers, components ordered within a week, the budget cap cutting
  the payment that crosses it) and paid through the ledger from the buyer to payee
  ``providers``, item ``provider_fee:<component>``. The base-fee schedule and the steering
  bonus are taken from ``contracts.settle`` itself. The Keski-Suomi steering group is proxied
  by the provider's mean client feedback score at the review week. Black-box metrics (measures
  a provider proposes, such as firms' sales growth) are not modelled and earn nothing.
- **Firm clients.** With ``target_firms`` a provider also guides firms: the region's solo
  entrepreneurs yet to make a first hire (``simulation.engine.growth``), signed up at
  ``firms_per_week`` each (Poisson) until its share of the target is reached. Sign-up records
  the contract's per-firm services (personal guidance, a recruitment plan) and costs
  ``cost_per_firm_eur``; for ``firm_guidance_weeks`` the firm's chance of deciding on a first
  hire is multiplied by ``firm_hire_multiplier``; a first hire while guided is a firm outcome
  (``firm_growth``: one person-year a year added; ``firm_recruitment``: one recruitment); when
  guidance ends the firm rates it (top with ``firm_top_rating``, or ``firm_top_rating_hired``
  if it hired) or does not answer. Fees follow the contract's firm rules exactly as
  ``contracts.settle`` applies them (``reconcile`` checks this).
- **Profit, exit, entry.** Costs are the fixed cost, a cost per active client-week, per effort
  hour and per marketing contact (the provider's own money: not in the public ledger). A provider
  exits when, for ``exit_after_loss_weeks`` weeks running, both its cumulative profit and its
  profit over the last ``exit_after_loss_weeks`` weeks are negative; its clients return to the
  public office and no further fees are due. In a dynamic purchasing system a new provider joins
  (at most one per ``entry_interval_weeks``) while the incumbents' margin exceeds
  ``entry_margin``.
- **Star ratings** every ``rating_interval_weeks``: performance is the provider's placements
  per client-week divided by those expected for its client mix from a linear-probability
  regression on observables over all providers' client-weeks (Australian practice), or by the
  overall rate when ``rating_adjust_for_mix`` is false; blended with client feedback; stars
  from the distance to the average (≥ +40 % five, ≥ +20 % four, within ±20 % three, ≥ −50 %
  two, else one; thresholds in the spirit of the Australian ratings, an assumption).

Deadweight and the baseline creaming gap need the baseline run with the same seed: see
``simulation.experiments.counterfactuals``.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal
from typing import TYPE_CHECKING

import mesa
import numpy as np
import pandas as pd

from simulation.engine.seekers import NO_ONE, State
from simulation.params.contracts import (
    ATTACHMENT,
    FEEDBACK,
    FIRM_OUTCOME_KINDS,
    FIRM_SERVICE_KINDS,
    OUTCOME_KINDS,
    STEERING_REVIEW,
    Contract,
    OutcomeEvent,
    settle,
)
from simulation.params.schema import SERVICE_NAMES

if TYPE_CHECKING:
    from simulation.engine.model import RegionalLabourMarket
    from simulation.params.procurement import Procurement

# Event kinds in the order the log codes them.
EVENT_KINDS = (ATTACHMENT, *OUTCOME_KINDS, FEEDBACK, STEERING_REVIEW, *FIRM_SERVICE_KINDS,
               *FIRM_OUTCOME_KINDS)
KIND_CODE = {kind: code for code, kind in enumerate(EVENT_KINDS)}
SUSTAIN = (("employed_3m", 13), ("employed_6m", 26), ("employed_12m", 52))
TRAINING_KINDS = ("training_referral", "recruitment_training")
TRAINING_SERVICE = SERVICE_NAMES.index("labour_market_training")
COMPONENT_KIND = {"attachment_fee": ATTACHMENT, "quality_bonus": FEEDBACK,
                  "steering_bonus": STEERING_REVIEW,
                  **{f"outcome_fee.{kind}": kind for kind in OUTCOME_KINDS}}
PARKED_SHARE_OF_EVEN = 0.1  # under a tenth of an even share of hours counts as parked

# client phases
NEVER, ACTIVE, MONITORED, DONE, DECLINED = 0, 1, 2, 3, 4
N_FEATURES = 8
PERSON_ARRAYS = ("owner", "phase", "intake_week", "risk", "noise", "weeks_served", "effect_sum",
                 "hours_sum", "parked_weeks", "earned", "placed_week", "client_paid_cents",
                 "contacted", "hours")


# --- the fee schedule on arrays ----------------------------------------------------------

@dataclass(frozen=True)
class FeeTable:
    """A contract's per-client fees in cents, by risk class, plus its scheduled payments."""
    contract: Contract
    order: tuple[str, ...]
    client_fees: dict[str, np.ndarray]       # kind -> cents by risk class (attachment, outcomes)
    quality_cents: int
    quality_rule: str
    quality_per_client: bool
    non_response_fraction: float | None
    base_schedule: dict[int, int]            # contract week -> cents
    base_total_eur: float
    cap_cents: int | None
    firm_fee_cents: dict[str, int]           # firm service kind -> cents per firm
    firm_outcomes: dict[str, tuple[int, float, int | None]]  # kind -> cents, threshold, within

    @classmethod
    def of(cls, contract: Contract, horizon: int) -> FeeTable:
        fees: dict[str, np.ndarray] = {}
        if contract.attachment_fee:
            fees[ATTACHMENT] = _cents3(contract.attachment_fee)
        for kind, fee in contract.outcome_fees.priced():
            fees[kind] = _cents3(fee)
        quality = contract.quality_bonus
        scheduled = settle(contract, [], weeks=horizon).payments
        base = scheduled[scheduled["component"] == "base_fee"]
        return cls(
            contract=contract, order=tuple(contract.component_order()), client_fees=fees,
            quality_cents=int(quality.max_eur * 100) if quality else 0,
            quality_rule=quality.rule if quality else "proportional",
            quality_per_client=bool(quality and quality.per == "client"),
            non_response_fraction=(float(quality.non_response_fraction)
                                   if quality and quality.non_response_fraction is not None
                                   else None),
            base_schedule={int(w): int(c) for w, c in zip(base["week"], base["amount_cents"],
                                                            strict=True)},
            base_total_eur=float(contract.base_fee.total_eur) if contract.base_fee else 0.0,
            cap_cents=int(contract.budget_cap_eur * 100) if contract.budget_cap_eur else None,
            firm_fee_cents={kind: int(fee.scaleb(2).to_integral_exact())
                            for kind, fee in contract.firm_fees.priced()},
            firm_outcomes={kind: (int(rule.fee_eur.scaleb(2).to_integral_exact()),
                                  float(rule.threshold), rule.within_weeks)
                           for kind, rule in contract.firm_outcomes.priced()})

    @property
    def prices_firms(self) -> bool:
        return bool(self.firm_fee_cents or self.firm_outcomes
                    or (self.quality_cents and not self.quality_per_client))

    def fee_eur(self, kind: str) -> np.ndarray:
        return self.client_fees.get(kind, np.zeros(3, dtype=np.int64)) / 100.0

    def quality_cents_of(self, score: np.ndarray) -> np.ndarray:
        """Quality bonus for feedback scores (NaN: no response), as ``contracts.settle``."""
        if self.non_response_fraction is not None:
            score = np.where(np.isnan(score), self.non_response_fraction, score)
        answered = ~np.isnan(score)
        if self.quality_rule == "all_top":
            amounts = np.where(score >= 1, self.quality_cents, 0)
        else:
            amounts = np.rint(self.quality_cents * np.where(answered, score, 0.0))
        return np.where(answered, amounts, 0).astype(np.int64)


def _cents3(fee: tuple[Decimal, Decimal, Decimal]) -> np.ndarray:
    return np.array([int(f.scaleb(2).to_integral_exact()) for f in fee], dtype=np.int64)


# --- agents -----------------------------------------------------------------------------

class Provider(mesa.Agent):
    """One service provider: staff hours, costs, its contract copy, its books and rating."""

    def __init__(self, model: RegionalLabourMarket, number: int, start_week: int,
                 staff_hours: float) -> None:
        super().__init__(model)
        self.number = number
        self.start_week = start_week         # model week of contract week 0
        self.staff_hours = staff_hours
        self.active = True
        self.exit_week: int | None = None   # left (losses) or wound down (work completed)
        self.completed = False
        self.stars = 3.0
        self.paid_cents = 0                  # under the budget cap
        self.cumulative_profit = 0.0
        self.profits: list[float] = []
        self.loss_weeks = 0
        self.intake = 0
        self.firm_intake = 0
        self.steering_done = False

    def contract_week(self, week: int) -> int:
        return week - self.start_week


# --- the market -------------------------------------------------------------------------

class ProviderMarket:
    """All providers of a scenario and their clients; called by the model twice a week."""

    def __init__(self, model: RegionalLabourMarket, procurement: Procurement) -> None:
        self.model = model
        self.p = procurement
        self.contract = procurement.resolved_contract()
        self.fees = FeeTable.of(self.contract, model.scenario.weeks + 2)
        scenario = model.scenario
        office = scenario.public_office
        m = procurement.effort_effect_max
        anchor_effect = min(office.meeting_effect, 0.95 * m)
        anchor_hours = procurement.hours_per_meeting * 12 / 52
        self.effect_max = m
        self.hours_scale = anchor_hours / -math.log(1 - anchor_effect / m)
        self.hazard = np.asarray(scenario.labour_market.work_hazard_by_band)
        self.lock_in = np.array([scenario.services[n].lock_in if n in scenario.services else 1.0
                                 for n in SERVICE_NAMES] + [1.0])
        sep = scenario.flows.separation_per_week
        self.survive = {kind: (1 - sep) ** weeks for kind, weeks in SUSTAIN}
        self.survive["placement"] = 1.0
        self.horizon_weeks = dict(SUSTAIN)
        self.horizon_weeks["placement"] = 0
        self.providers: list[Provider] = []
        self.initial_count = procurement.providers
        self.per_provider_target = procurement.target_clients / procurement.providers
        self.base_per_client = (self.fees.base_total_eur / self.per_provider_target
                                if self.per_provider_target > 0 else 0.0)
        self._arrays(model.seekers.capacity)
        self.events: list[tuple[np.ndarray, ...]] = []   # provider, week, kind, client, risk, value
        self._paid_upto = 0
        self.payments: list[tuple[np.ndarray, ...]] = []  # week, provider, component, client, cents
        self.fee_cents = np.zeros((0, len(self.fees.order)), dtype=np.int64)
        self.rows: list[dict[str, float]] = []
        self.xtx = np.zeros((N_FEATURES, N_FEATURES))
        self.xty = np.zeros(N_FEATURES)
        self.sum_x = np.zeros((0, N_FEATURES))
        self.placed_weeks = np.zeros(0)
        self.client_weeks = np.zeros(0)
        self.feedback_sum = np.zeros(0)
        self.feedback_n = np.zeros(0)
        self.entries = 0
        self.last_entry = -10**9
        self.referred_total = 0
        self.contacts_total = 0
        self.hours_week = np.zeros(0)
        self.contacts_week = np.zeros(0)
        self.firm_signups_week = np.zeros(0)
        # firm clients: the economy's solo entrepreneurs, by index
        self.firm_work = procurement.target_firms > 0 and model.economy is not None
        self.firm_owner = np.full(0, NO_ONE, dtype=np.int32)
        self.firm_start = np.full(0, NO_ONE, dtype=np.int32)
        self.firm_phase = np.zeros(0, dtype=np.int8)
        self.firm_has_hired = np.zeros(0, dtype=np.bool_)
        for _ in range(procurement.providers):
            self._add_provider(max(model.week + 1, procurement.start_week))

    def running(self) -> bool:
        """Whether the contracts run this week (before and after, providers neither act nor
        book)."""
        week = self.model.week
        return week >= self.p.start_week and (not self.p.end_week or week <= self.p.end_week)

    def last_week(self) -> int:
        """The last week in which a fee can be earned."""
        return self.p.end_week or self.model.scenario.weeks

    # -- bookkeeping arrays ----------------------------------------------------------------

    def _arrays(self, size: int) -> None:
        self.owner = np.full(size, NO_ONE, dtype=np.int32)
        self.phase = np.zeros(size, dtype=np.int8)
        self.intake_week = np.full(size, NO_ONE, dtype=np.int32)
        self.risk = np.zeros(size, dtype=np.int8)
        self.noise = np.zeros(size, dtype=np.float32)
        self.weeks_served = np.zeros(size, dtype=np.int32)
        self.effect_sum = np.zeros(size, dtype=np.float32)
        self.hours_sum = np.zeros(size, dtype=np.float32)
        self.parked_weeks = np.zeros(size, dtype=np.int32)
        self.earned = np.zeros((size, len(OUTCOME_KINDS)), dtype=np.bool_)
        self.placed_week = np.full(size, NO_ONE, dtype=np.int32)
        self.client_paid_cents = np.zeros(size, dtype=np.int64)
        self.contacted = np.zeros(size, dtype=np.bool_)
        self.hours = np.zeros(size, dtype=np.float32)

    def _fit(self) -> None:
        """Grow the per-person arrays with the job-seeker table."""
        size = self.model.seekers.capacity
        if size <= len(self.owner):
            return
        for name in PERSON_ARRAYS:
            value = getattr(self, name)
            grown = np.zeros((size, *value.shape[1:]), dtype=value.dtype)
            if name in ("owner", "intake_week", "placed_week"):
                grown[:] = NO_ONE
            grown[: len(value)] = value
            setattr(self, name, grown)

    def _add_provider(self, start_week: int) -> Provider:
        provider = Provider(self.model, len(self.providers), start_week,
                            self.p.staff_hours_per_week)
        self.providers.append(provider)
        self.sum_x = np.vstack([self.sum_x, np.zeros(N_FEATURES)])
        self.fee_cents = np.vstack([self.fee_cents, np.zeros(len(self.fees.order), np.int64)])
        for name in ("placed_weeks", "client_weeks", "feedback_sum", "feedback_n",
                     "hours_week", "contacts_week", "firm_signups_week"):
            setattr(self, name, np.append(getattr(self, name), 0.0))
        return provider

    def active_providers(self) -> list[Provider]:
        return [p for p in self.providers if p.active]

    def _log(self, provider: np.ndarray | int, week: int, kind: str, clients: np.ndarray,
             value: np.ndarray | float = math.nan) -> None:
        clients = np.asarray(clients, dtype=np.int64)
        if len(clients) == 0:
            return
        owner = np.broadcast_to(np.asarray(provider, dtype=np.int64), clients.shape).copy()
        starts = np.array([p.start_week for p in self.providers])[owner]
        self.events.append((owner, week - starts, np.full(len(clients), KIND_CODE[kind]),
                            clients, self.risk[clients].astype(np.int64),
                            np.broadcast_to(np.asarray(value, dtype=np.float64),
                                            clients.shape).copy(),
                            np.full(len(clients), NO_ONE, dtype=np.int64)))

    def _log_firms(self, provider: np.ndarray | int, week: int, kind: str, firms: np.ndarray,
                   value: np.ndarray | float = math.nan) -> None:
        firms = np.asarray(firms, dtype=np.int64)
        if len(firms) == 0:
            return
        owner = np.broadcast_to(np.asarray(provider, dtype=np.int64), firms.shape).copy()
        starts = np.array([p.start_week for p in self.providers])[owner]
        nobody = np.full(len(firms), NO_ONE, dtype=np.int64)
        self.events.append((owner, week - starts, np.full(len(firms), KIND_CODE[kind]),
                            nobody, nobody.copy(),
                            np.broadcast_to(np.asarray(value, dtype=np.float64),
                                            firms.shape).copy(), firms))

    # -- estimates -------------------------------------------------------------------------

    def effect(self, hours: np.ndarray) -> np.ndarray:
        return self.effect_max * (1 - np.exp(-hours / self.hours_scale))

    def _chance(self, index: np.ndarray, weeks_served: np.ndarray) -> np.ndarray:
        """The provider's estimate of a client's weekly job-finding chance without effort."""
        s = self.model.seekers
        sigma = self.p.signal_noise_sd / np.sqrt(1 + weeks_served / self.p.learning_weeks)
        estimate = s.employability[index] * np.exp(sigma * self.noise[index] - sigma**2 / 2)
        lock = np.where(s.state[index] == State.IN_SERVICE,
                        self.lock_in[s.service[index]], 1.0)
        band = s.band(s.weeks_since_work[index])
        return np.minimum(1.0, estimate * self.hazard[band] * s.search_effort[index] * lock)

    def _placement_value(self, index: np.ndarray, owner: np.ndarray) -> np.ndarray:
        """Expected fees (€) that a placement this week would earn, by client."""
        remaining = self.last_week() - self.model.week
        risk = self.risk[index]
        value = np.zeros(len(index))
        for kind in ("placement", "employed_3m", "employed_6m", "employed_12m"):
            if kind not in self.fees.client_fees:
                continue
            unearned = ~self.earned[index, OUTCOME_KINDS.index(kind)]
            in_time = self.horizon_weeks[kind] <= remaining
            value += self.fees.fee_eur(kind)[risk] * self.survive[kind] * unearned * in_time
        return value

    def _quality_value(self) -> float:
        """Expected quality fee (€) per unit of effect received in one week."""
        if not self.fees.quality_per_client:
            return 0.0
        return (self.p.feedback_response_rate * self.fees.quality_cents / 100
                * self.p.satisfaction_gain / (self.effect_max * self.p.programme_weeks))

    # -- the week: intake and effort -------------------------------------------------------

    def step(self) -> None:
        self._fit()
        if self.model.week % self.p.rating_interval_weeks == 0:
            self._rate()
        if self.p.acquisition == "referral":
            self._referrals()
        else:
            self._marketing()
        if self.firm_work:
            self._sign_up_firms()
        self._allocate_effort()
        if self.p.training_referrals:
            self._training_referrals()

    def _pool(self) -> np.ndarray:
        s = self.model.seekers
        n = s.n
        return np.flatnonzero(s.view("target") & (s.view("state") == State.UNEMPLOYED)
                              & (self.phase[:n] == NEVER))

    def _referrals(self) -> None:
        rng, active = self.model.rng, self.active_providers()
        wanted = self.p.target_clients - self.referred_total
        if wanted <= 0 or not active:
            return
        count = min(int(rng.poisson(self.p.referrals_per_week)), wanted)
        pool = self._pool()
        if count == 0 or len(pool) == 0:
            return
        offered = rng.choice(pool, size=min(count, len(pool)), replace=False)
        numbers = np.array([p.number for p in active])
        if self.p.vouchers:
            stars = np.array([p.stars for p in active])
            weight = np.exp(self.p.voucher_rating_sensitivity * (stars - stars.max()))
            chosen = rng.choice(numbers, size=len(offered), p=weight / weight.sum())
        else:
            chosen = rng.choice(numbers, size=len(offered))
        accepted = self._take(offered, chosen)
        self.referred_total += int(accepted.sum())

    def _marketing(self) -> None:
        rng, s = self.model.rng, self.model.seekers
        n = s.n
        # providers market to the pilot's target group (e.g. unemployed experts): contacts
        # outside it could not enrol and would only dilute the yield
        reachable = np.flatnonzero((s.view("state") == State.UNEMPLOYED) & s.view("target")
                                   & (self.phase[:n] == NEVER) & ~self.contacted[:n])
        reachable = rng.permutation(reachable)
        taken = 0
        self.contacts_week[:] = 0
        for provider in self.active_providers():
            room = int(math.ceil(self.per_provider_target - provider.intake))
            if room <= 0:
                continue
            contacts = reachable[taken:taken + int(rng.poisson(self.p.contacts_per_week))]
            taken += len(contacts)
            if len(contacts) == 0:
                continue
            self.contacted[contacts] = True
            self.contacts_week[provider.number] = len(contacts)
            self.contacts_total += len(contacts)
            willing = contacts[rng.random(len(contacts)) < self._week_yield()]
            self._take(willing[:room], np.full(len(willing[:room]), provider.number))

    def _week_yield(self) -> float:
        mean, sd = self.p.contact_yield, self.p.contact_yield_sd
        if sd <= 0 or mean <= 0 or mean >= 1:
            return mean
        spread = mean * (1 - mean) / sd**2 - 1
        if spread <= 0:
            return mean
        return float(self.model.rng.beta(mean * spread, (1 - mean) * spread))

    def _take(self, offered: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """Offer clients to providers; return which were taken on."""
        s, week = self.model.seekers, self.model.week
        if len(offered) == 0:
            return np.zeros(0, dtype=bool)
        self.risk[offered] = s.risk_class[offered]
        self.noise[offered] = self.model.rng.standard_normal(len(offered))
        accept = np.ones(len(offered), dtype=bool)
        if self.p.intake_selection:
            accept = self._worth_taking(offered, chosen)
        self.phase[offered[~accept]] = DECLINED
        taken, owner = offered[accept], chosen[accept]
        self.phase[taken] = ACTIVE
        self.owner[taken] = owner
        s.provider[taken] = owner
        self.intake_week[taken] = week
        for number, count in zip(*np.unique(owner, return_counts=True), strict=True):
            self.providers[int(number)].intake += int(count)
        self._log(owner, week, ATTACHMENT, taken)
        return accept

    def _worth_taking(self, offered: np.ndarray, chosen: np.ndarray) -> np.ndarray:
        """Expected fees for a client cover the client's expected cost (creaming rule)."""
        p = self.p
        caseload = np.bincount(self.owner[self.phase == ACTIVE], minlength=len(self.providers))
        even_hours = p.staff_hours_per_week / (caseload[chosen] + 1.0)
        chance = self._chance(offered, np.zeros(len(offered))) * (1 + self.effect(even_hours))
        placed = 1 - (1 - chance) ** p.programme_weeks
        value = self._placement_value(offered, chosen)
        expected = (self.fees.fee_eur(ATTACHMENT)[self.risk[offered]] + value * placed
                    + self.base_per_client)
        if self.fees.quality_per_client:
            score = p.satisfaction_base + p.satisfaction_gain * self.effect(even_hours) \
                / self.effect_max
            expected += p.feedback_response_rate * self.fees.quality_cents / 100 * score
        weeks_kept = p.programme_weeks * (1 - placed / 2)
        return expected >= p.cost_per_client_week_eur * weeks_kept

    def _active_clients(self) -> tuple[np.ndarray, np.ndarray]:
        s = self.model.seekers
        n = s.n
        clients = np.flatnonzero(self.phase[:n] == ACTIVE)
        searching = np.isin(s.state[clients], (State.UNEMPLOYED, State.IN_SERVICE))
        return clients[searching], self.owner[clients[searching]]

    def _allocate_effort(self) -> None:
        s = self.model.seekers
        s.view("provider_effort")[:] = 1.0
        self.hours[:] = 0.0
        self.hours_week[:] = 0.0
        clients, owner = self._active_clients()
        if len(clients) == 0:
            return
        k = self.hours_scale
        chance = self._chance(clients, self.weeks_served[clients])
        value = self._placement_value(clients, owner) * chance + self._quality_value() \
            + self.p.professional_norm_eur
        gain = value * self.effect_max / k                     # € per hour at zero hours
        log_gain = np.log(np.maximum(gain, 1e-12))
        n_prov = len(self.providers)
        capacity = np.array([p.staff_hours if p.active else 0.0 for p in self.providers])
        floor = math.log(max(self.p.cost_per_effort_hour_eur, 1e-9))
        low = np.full(n_prov, floor)
        high = np.full(n_prov, floor)
        np.maximum.at(high, owner, log_gain)

        def hours_at(log_lambda: np.ndarray) -> np.ndarray:
            return k * np.maximum(0.0, log_gain - log_lambda[owner])

        # if even the floor price leaves hours unused, the floor binds
        use = np.bincount(owner, weights=hours_at(low), minlength=n_prov)
        binds = use > capacity
        for _ in range(30):
            mid = (low + high) / 2
            use = np.bincount(owner, weights=hours_at(mid), minlength=n_prov)
            over = use > capacity
            low = np.where(binds & over, mid, low)
            high = np.where(binds & ~over, mid, high)
        log_lambda = np.where(binds, high, floor)
        hours = hours_at(log_lambda)
        effect = self.effect(hours)
        s.provider_effort[clients] = (1.0 + effect).astype(np.float32)
        self.hours[clients] = hours
        self.hours_sum[clients] += hours
        self.effect_sum[clients] += effect
        used = np.bincount(owner, weights=hours, minlength=n_prov)
        count = np.bincount(owner, minlength=n_prov)
        even = np.where(count > 0, used / np.maximum(count, 1), 0.0)
        self.parked_weeks[clients] += hours < PARKED_SHARE_OF_EVEN * np.maximum(
            even[owner], 1e-9)
        self.hours_week[:] = used

    def _training_referrals(self) -> None:
        """Direct a client to training when the contract pays more for that than keeping them."""
        priced = [(kind, self.fees.fee_eur(kind)) for kind in TRAINING_KINDS
                  if kind in self.fees.client_fees]
        if not priced:
            return
        model, s = self.model, self.model.seekers
        clients, owner = self._active_clients()
        free = ((s.state[clients] == State.UNEMPLOYED) & (s.waiting_service[clients] == NO_ONE))
        clients, owner = clients[free], owner[free]
        if len(clients) == 0:
            return
        room = int(model.services.room(True)[TRAINING_SERVICE])
        if room <= 0:
            return
        chance = self._chance(clients, self.weeks_served[clients]) \
            * (1 + self.effect(self.hours[clients]))
        left = np.maximum(1, self.p.programme_weeks - self.weeks_served[clients])
        keep = self._placement_value(clients, owner) * (1 - (1 - chance) ** left)
        for kind, fee in priced:
            unearned = ~self.earned[clients, OUTCOME_KINDS.index(kind)]
            gain = fee[self.risk[clients]] - keep
            pick = np.flatnonzero(unearned & (gain > 0))
            pick = pick[np.argsort(-gain[pick], kind="stable")][:room]
            if len(pick) == 0:
                continue
            chosen = clients[pick]
            model.services.refer(chosen, np.full(len(chosen), TRAINING_SERVICE))
            model.metrics.count_flow("referrals", chosen)
            self.earned[chosen, OUTCOME_KINDS.index(kind)] = True
            self._log(owner[pick], model.week, kind, chosen)
            room -= len(chosen)
            if room <= 0:
                break

    # -- firm clients ------------------------------------------------------------------------

    def _fit_firms(self) -> None:
        """Grow the per-firm arrays with the economy's solo entrepreneurs (new firms join)."""
        grow = len(self.model.economy.solo_sector) - len(self.firm_owner)
        if grow <= 0:
            return
        self.firm_owner = np.concatenate([self.firm_owner, np.full(grow, NO_ONE, np.int32)])
        self.firm_start = np.concatenate([self.firm_start, np.full(grow, NO_ONE, np.int32)])
        self.firm_phase = np.concatenate([self.firm_phase, np.zeros(grow, np.int8)])
        self.firm_has_hired = np.concatenate([self.firm_has_hired, np.zeros(grow, np.bool_)])

    def _sign_up_firms(self) -> None:
        """Providers find firms among solo entrepreneurs yet to hire; guidance starts at once."""
        economy, rng, week = self.model.economy, self.model.rng, self.model.week
        self._fit_firms()
        self.firm_signups_week[:] = 0
        pool = np.flatnonzero((self.firm_phase == NEVER) & ~economy.solo_hired)
        if len(pool) == 0:
            return
        pool = rng.permutation(pool)
        share = self.p.target_firms / self.initial_count
        taken = 0
        for provider in self.active_providers():
            room = int(math.ceil(share - provider.firm_intake))
            if room <= 0:
                continue
            firms = pool[taken:taken + min(room, int(rng.poisson(self.p.firms_per_week)))]
            taken += len(firms)
            if len(firms) == 0:
                continue
            self.firm_owner[firms] = provider.number
            self.firm_start[firms] = week
            self.firm_phase[firms] = ACTIVE
            provider.firm_intake += len(firms)
            self.firm_signups_week[provider.number] += len(firms)
            economy.solo_provider_until[firms] = week + self.p.firm_guidance_weeks - 1
            for kind in ("personal_guidance", "recruitment_plan"):
                self._log_firms(provider.number, week, kind, firms)

    def firm_hired(self, firm: int) -> None:
        """A solo entrepreneur made its first hire: an outcome for a provider guiding it."""
        if not self.firm_work or firm >= len(self.firm_phase) or self.firm_phase[firm] != ACTIVE:
            return
        self.firm_has_hired[firm] = True
        for kind in FIRM_OUTCOME_KINDS:  # one person-year a year added; one recruitment
            self._log_firms(int(self.firm_owner[firm]), self.model.week, kind,
                            np.array([firm]), 1.0)

    def _end_firm_guidance(self) -> None:
        """Guidance over: the firm rates it (top, or satisfaction_base) or does not answer."""
        p, rng, week = self.p, self.model.rng, self.model.week
        ending = np.flatnonzero((self.firm_phase == ACTIVE)
                                & (self.firm_start + p.firm_guidance_weeks - 1 <= week))
        if len(ending) == 0:
            return
        top = rng.random(len(ending)) < np.where(self.firm_has_hired[ending],
                                                 p.firm_top_rating_hired, p.firm_top_rating)
        answered = rng.random(len(ending)) < p.feedback_response_rate
        score = np.where(answered, np.where(top, 1.0, p.satisfaction_base), np.nan)
        self.firm_phase[ending] = DONE
        self._log_firms(self.firm_owner[ending], week, FEEDBACK, ending, score)

    def _drop_firms(self, provider: Provider) -> None:
        """An exiting provider's firms lose their guidance."""
        mine = np.flatnonzero((self.firm_owner == provider.number) & (self.firm_phase == ACTIVE))
        self.firm_phase[mine] = DONE
        self.model.economy.solo_provider_until[mine] = -1

    # -- the week: outcomes, fees, profit, exit, entry ---------------------------------------

    def account(self) -> None:
        self._record_outcomes()
        if self.firm_work:
            self._end_firm_guidance()
        self._steering_reviews()
        revenue = self._pay_fees()
        self._book(revenue)
        self._exits()
        self._entry()
        if self.model.week == self.p.end_week:
            self._end_contracts()

    def _end_contracts(self) -> None:
        """The contracts end: every provider still working completes."""
        for provider in self.active_providers():
            self._leave(provider, completed=True)

    def _record_outcomes(self) -> None:
        s, week, p = self.model.seekers, self.model.week, self.p
        n = s.n
        phase = self.phase[:n]
        active = np.flatnonzero(phase == ACTIVE)
        state = s.state[active]
        # regression statistics for the star ratings: one row per searching client-week
        searching = active[np.isin(state, (State.UNEMPLOYED, State.IN_SERVICE, State.EMPLOYED))
                           & ((state != State.EMPLOYED) | (s.placement_week[active] == week))]
        placed_now = (s.state[searching] == State.EMPLOYED).astype(float)
        x = self._features(searching)
        self.xtx += x.T @ x
        self.xty += x.T @ placed_now
        owner = self.owner[searching]
        for j in range(N_FEATURES):
            self.sum_x[:, j] += np.bincount(owner, weights=x[:, j], minlength=len(self.providers))
        self.placed_weeks += np.bincount(owner, weights=placed_now, minlength=len(self.providers))
        self.client_weeks += np.bincount(owner, minlength=len(self.providers))
        self.weeks_served[active] += 1

        placed = active[(state == State.EMPLOYED) & (s.placement_week[active] >= 0)
                        & (s.placement_week[active] >= self.intake_week[active])]
        code = OUTCOME_KINDS.index("placement")
        new = placed[~self.earned[placed, code]]
        self.earned[new, code] = True
        self.placed_week[placed] = s.placement_week[placed]
        self._log(self.owner[new], week, "placement", new)
        self.phase[placed] = MONITORED
        # sustained employment of placed clients
        monitored = np.flatnonzero(self.phase[:n] == MONITORED)
        still = (s.state[monitored] == State.EMPLOYED) & (
            s.placement_week[monitored] == self.placed_week[monitored])
        tenure = week - self.placed_week[monitored]
        for kind, weeks in SUSTAIN:
            code = OUTCOME_KINDS.index(kind)
            reached = monitored[still & (tenure >= weeks) & ~self.earned[monitored, code]]
            self.earned[reached, code] = True
            self._log(self.owner[reached], week, kind, reached)
        finished = monitored[~still | (tenure >= SUSTAIN[-1][1])]
        # clients leaving the programme unplaced (time up, studies, out of the labour force)
        active = np.flatnonzero(self.phase[:n] == ACTIVE)
        gone = np.isin(s.state[active], (State.STUDYING, State.OUT_OF_LABOUR_FORCE))
        ended = active[gone | (self.weeks_served[active] >= p.programme_weeks)]
        leaving = np.concatenate([placed, ended])
        self._feedback(leaving)
        self._release(np.concatenate([finished, ended]))

    def _features(self, index: np.ndarray) -> np.ndarray:
        s = self.model.seekers
        risk, age, edu = self.risk[index], s.age[index], s.education[index]
        return np.column_stack([
            np.ones(len(index)), risk == 1, risk == 2, age < 25, age >= 55, edu == 0, edu == 2,
            np.minimum(s.weeks_since_work[index] / 52.0, 4.0)]).astype(float)

    def _feedback(self, leaving: np.ndarray) -> None:
        if len(leaving) == 0:
            return
        p, rng = self.p, self.model.rng
        mean_effect = self.effect_sum[leaving] / np.maximum(1, self.weeks_served[leaving])
        score = (p.satisfaction_base + p.satisfaction_gain * mean_effect / self.effect_max
                 + p.feedback_noise_sd * rng.standard_normal(len(leaving)))
        score = np.clip(score, 0.0, 1.0)
        answered = rng.random(len(leaving)) < p.feedback_response_rate
        score = np.where(answered, score, np.nan)
        owner = self.owner[leaving]
        self._log(owner, self.model.week, FEEDBACK, leaving, score)
        self.feedback_sum += np.bincount(owner[answered], weights=score[answered],
                                         minlength=len(self.providers))
        self.feedback_n += np.bincount(owner[answered], minlength=len(self.providers))

    def _release(self, index: np.ndarray) -> None:
        """Clients go back to the public office."""
        self.phase[index] = DONE
        self.model.seekers.provider[index] = NO_ONE
        self.model.seekers.provider_effort[index] = 1.0

    def _steering_reviews(self) -> None:
        bonus = self.contract.steering_bonus
        if bonus is None:
            return
        for provider in self.active_providers():
            if provider.steering_done or provider.contract_week(self.model.week) \
                    != bonus.review_week:
                continue
            provider.steering_done = True
            n = self.feedback_n[provider.number]
            if n > 0:
                judged = float(self.feedback_sum[provider.number] / n)
                self.events.append(tuple(np.array([x]) for x in (
                    provider.number, bonus.review_week, KIND_CODE[STEERING_REVIEW], -1, -1,
                    judged, -1)))

    def _week_events(self) -> tuple[np.ndarray, ...] | None:
        """Events logged since the last payment: provider, week, kind, client, risk, value,
        firm."""
        fresh = self.events[self._paid_upto:]
        self._paid_upto = len(self.events)
        if not fresh:
            return None
        return tuple(np.concatenate([e[i] for e in fresh]) for i in range(7))

    def _pay_fees(self) -> np.ndarray:
        """Settle this week's fees of every active provider and pay them through the ledger.

        Vectorised over providers: the week's due payments are ordered as ``settle`` orders
        them (provider, component, client), and a budget cap cuts each provider's payments
        in that order.
        """
        week, fees = self.model.week, self.fees
        order = {name: i for i, name in enumerate(fees.order)}
        providers, components, clients, firms, owed = [], [], [], [], []

        def add(provider, component, client, cents, firm=NO_ONE) -> None:
            providers.append(np.broadcast_to(np.asarray(provider, dtype=np.int64), cents.shape))
            components.append(np.full(len(cents), order[component], dtype=np.int64))
            clients.append(np.broadcast_to(np.asarray(client, dtype=np.int64), cents.shape))
            firms.append(np.broadcast_to(np.asarray(firm, dtype=np.int64), cents.shape))
            owed.append(cents.astype(np.int64))

        active = np.array([p.active for p in self.providers])
        for provider in self.active_providers():
            cents = fees.base_schedule.get(provider.contract_week(week), 0)
            if cents:
                add(provider.number, "base_fee", NO_ONE, np.array([cents]))
        events = self._week_events()
        if events is not None:
            live = active[events[0]]
            owner, cw, kind, client, risk, value, firm = (column[live] for column in events)
            for component in fees.order:
                if component.startswith(("firm_fee.", "firm_outcome.")):
                    self._firm_payments(component, owner, cw, kind, value, firm, add)
                    continue
                target = COMPONENT_KIND.get(component)
                if target is None:
                    continue
                rows = np.flatnonzero(kind == KIND_CODE[target])
                if len(rows) == 0:
                    continue
                if component == "steering_bonus":
                    for row in rows:
                        judged = [OutcomeEvent(int(cw[row]), STEERING_REVIEW,
                                               value=float(value[row]))]
                        amount = settle(self.contract, judged,
                                        weeks=int(cw[row]) + 1).totals_eur.get("steering_bonus")
                        if amount:
                            add(owner[row], component, NO_ONE, np.array([int(amount * 100)]))
                    continue
                if component == "quality_bonus":  # one side's feedback: clients' or firms'
                    rows = rows[(client[rows] if fees.quality_per_client else firm[rows]) >= 0]
                    cents = fees.quality_cents_of(value[rows])
                    add(owner[rows], component, client[rows], cents, firm[rows])
                elif target in fees.client_fees:
                    add(owner[rows], component, client[rows], fees.client_fees[target][risk[rows]])
        revenue = np.zeros(len(self.providers))
        if not owed:
            return revenue
        provider, component, client, firm, due = (np.concatenate(parts) for parts in
                                                  (providers, components, clients, firms, owed))
        keep = due > 0
        sort = np.lexsort((firm[keep], client[keep], component[keep], provider[keep]))
        provider, component, client, due = (column[keep][sort] for column in
                                            (provider, component, client, due))
        paid = due
        already = np.array([p.paid_cents for p in self.providers], dtype=np.int64)
        if fees.cap_cents is not None and len(due):
            total = np.cumsum(due)
            first = np.r_[True, provider[1:] != provider[:-1]]
            group_start = np.maximum.accumulate(np.where(first, np.arange(len(due)), 0))
            before_in_group = total - due - (total[group_start] - due[group_start])
            paid = np.clip(fees.cap_cents - already[provider] - before_in_group, 0, due)
        by_provider = np.bincount(provider, weights=paid, minlength=len(self.providers))
        for p in self.providers:
            p.paid_cents += int(round(by_provider[p.number]))
        by_component = np.zeros((len(self.providers), len(fees.order)), dtype=np.int64)
        np.add.at(by_component, (provider, component), paid)
        self.fee_cents += by_component
        for c, name in enumerate(fees.order):
            cents = int(by_component[:, c].sum())
            if cents:
                self.model.ledger.pay_split(week, self.p.buyer_shares, "providers",
                                            f"provider_fee:{name}", cents / 100, "target")
        self.payments.append((np.full(len(paid), week), provider, component, client, paid))
        named = client >= 0
        np.add.at(self.client_paid_cents, client[named], paid[named])
        return by_provider / 100

    def _firm_payments(self, component: str, owner: np.ndarray, cw: np.ndarray,
                       kind: np.ndarray, value: np.ndarray, firm: np.ndarray, add) -> None:
        """This week's firm fees and firm outcome fees, by ``contracts.settle``'s rules; the
        market logs each firm's services and outcomes once, so every event is a first."""
        name = component.split(".", 1)[1]
        rows = np.flatnonzero(kind == KIND_CODE[name])
        if component.startswith("firm_fee."):
            cents = np.full(len(rows), self.fees.firm_fee_cents[name], dtype=np.int64)
        else:
            fee, threshold, within = self.fees.firm_outcomes[name]
            rows = rows[value[rows] >= threshold]
            if within is not None:
                starts = np.array([p.start_week for p in self.providers])
                first = self.firm_start[firm[rows]] - starts[owner[rows]]
                since = cw[rows] - first
                rows = rows[(since >= 0) & (since <= within)]
            cents = np.full(len(rows), fee, dtype=np.int64)
        if len(rows):
            add(owner[rows], component, NO_ONE, cents, firm[rows])

    def _book(self, revenue: np.ndarray) -> None:
        p, week, n = self.p, self.model.week, self.model.seekers.n
        active_clients = np.bincount(self.owner[:n][self.phase[:n] == ACTIVE],
                                     minlength=len(self.providers))
        for provider in self.active_providers():
            i = provider.number
            cost = (p.fixed_cost_per_week_eur + p.cost_per_client_week_eur * active_clients[i]
                    + p.cost_per_effort_hour_eur * self.hours_week[i]
                    + p.cost_per_contact_eur * self.contacts_week[i]
                    + p.cost_per_firm_eur * self.firm_signups_week[i])
            profit = float(revenue[i] - cost)
            provider.cumulative_profit += profit
            provider.profits.append(profit)
            window = provider.profits[-p.exit_after_loss_weeks:]
            losing = (provider.cumulative_profit < 0 and sum(window) < 0
                      and provider.contract_week(week) >= p.start_up_weeks)
            provider.loss_weeks = provider.loss_weeks + 1 if losing else 0
            self.rows.append({
                "week": week, "provider": i, "contract_week": provider.contract_week(week),
                "clients": int(active_clients[i]), "intake": provider.intake,
                "firms": int(((self.firm_owner == i) & (self.firm_phase == ACTIVE)).sum()),
                "firm_intake": provider.firm_intake,
                "hours": float(self.hours_week[i]), "contacts": float(self.contacts_week[i]),
                "revenue_eur": float(revenue[i]), "cost_eur": float(cost), "profit_eur": profit,
                "cumulative_profit_eur": provider.cumulative_profit, "stars": provider.stars,
            })

    def _intake_over(self, provider: Provider) -> bool:
        if self.firm_work and provider.firm_intake < self.p.target_firms / self.initial_count:
            return False
        if self.p.acquisition == "referral":
            return self.referred_total >= self.p.target_clients
        return provider.intake >= self.per_provider_target

    def _exits(self) -> None:
        """Loss-making providers leave; those whose contracted work is done wind down."""
        n = self.model.seekers.n
        holding = np.bincount(self.owner[:n][np.isin(self.phase[:n], (ACTIVE, MONITORED))],
                              minlength=len(self.providers))
        holding += np.bincount(self.firm_owner[self.firm_phase == ACTIVE],
                               minlength=len(self.providers))
        for provider in self.active_providers():
            if holding[provider.number] == 0 and self._intake_over(provider):
                self._leave(provider, completed=True)  # nothing left to hand back
            elif provider.loss_weeks >= self.p.exit_after_loss_weeks:
                self._leave(provider, completed=False)

    def _leave(self, provider: Provider, completed: bool) -> None:
        """A provider stops this week (its work done, or in losses) and hands any clients and
        firms it still holds back to the office."""
        n = self.model.seekers.n
        provider.active = False
        provider.completed = completed
        provider.exit_week = self.model.week
        mine = np.flatnonzero((self.owner[:n] == provider.number)
                              & np.isin(self.phase[:n], (ACTIVE, MONITORED)))
        self._release(mine)
        if self.firm_work:
            self._drop_firms(provider)

    def _entry(self) -> None:
        p, week = self.p, self.model.week
        active = self.active_providers()
        if (not p.dynamic_purchasing or len(active) >= p.max_providers
                or week - self.last_entry < p.entry_interval_weeks or not active):
            return
        window = p.exit_after_loss_weeks
        rows = [r for r in self.rows[-window * len(self.providers):]
                if r["week"] > week - window and self.providers[r["provider"]].active]
        revenue = sum(r["revenue_eur"] for r in rows)
        profit = sum(r["profit_eur"] for r in rows)
        if revenue > 0 and profit / revenue > p.entry_margin:
            entrant = self._add_provider(week + 1)
            entrant.stars = 3.0
            self.entries += 1
            self.last_entry = week

    def _rate(self) -> None:
        """Star ratings from placements (raw or adjusted for client mix) and feedback."""
        p = self.p
        weeks = self.client_weeks
        if weeks.sum() <= 0:
            return
        overall = self.placed_weeks.sum() / weeks.sum()
        if p.rating_adjust_for_mix:
            beta = np.linalg.solve(self.xtx + 1e-6 * np.eye(N_FEATURES), self.xty)
            expected = np.maximum(self.sum_x @ beta, 1e-9)
            performance = np.where(weeks > 0, self.placed_weeks / expected, 1.0)
        else:
            performance = np.where(weeks > 0, self.placed_weeks / np.maximum(weeks, 1)
                                   / max(overall, 1e-12), 1.0)
        answered = self.feedback_n > 0
        mean_feedback = self.feedback_sum.sum() / max(1.0, self.feedback_n.sum())
        feedback = np.where(answered, self.feedback_sum / np.maximum(self.feedback_n, 1)
                            / max(mean_feedback, 1e-9), 1.0)
        w = p.rating_feedback_weight
        score = (1 - w) * performance + w * feedback - 1.0
        stars = np.select([score >= 0.4, score >= 0.2, score >= -0.2, score >= -0.5],
                          [5.0, 4.0, 3.0, 2.0], 1.0)
        for provider in self.providers:
            if weeks[provider.number] > 0:
                provider.stars = float(stars[provider.number])

    # -- results ---------------------------------------------------------------------------

    def events_frame(self, provider: int | None = None) -> pd.DataFrame:
        """The outcome history in contract weeks, with the columns of ``OutcomeEvent``."""
        if not self.events:
            frame = pd.DataFrame(columns=["provider", "week", "kind", "client_id", "firm_id",
                                          "risk_class", "value"])
        else:
            cols = [np.concatenate([e[i] for e in self.events]) for i in range(7)]
            frame = pd.DataFrame({"provider": cols[0], "week": cols[1],
                                  "kind": np.asarray(EVENT_KINDS)[cols[2]],
                                  "client_id": cols[3], "firm_id": cols[6],
                                  "risk_class": cols[4], "value": cols[5]})
        if provider is not None:
            frame = frame[frame["provider"] == provider]
        return frame.reset_index(drop=True)

    def contract_weeks(self, provider: Provider) -> int:
        """Contract weeks the provider's contract ran (settle's ``weeks``)."""
        last = provider.exit_week if provider.exit_week is not None else self.model.week
        return max(0, last - provider.start_week + 1)  # 0 while the contract has not started

    def weekly_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)

    def client_frame(self) -> pd.DataFrame:
        """One row per person ever taken on: who, when, what was paid for them."""
        s = self.model.seekers
        n = s.n
        index = np.flatnonzero(np.isin(self.phase[:n], (ACTIVE, MONITORED, DONE)))
        frame = pd.DataFrame({
            "person": index, "provider": self.owner[index],
            "intake_week": self.intake_week[index], "risk_class": self.risk[index],
            "employability": s.employability[index],
            "initial": s.registered_week[index] == 0,
            "weeks_served": self.weeks_served[index],
            "mean_hours": self.hours_sum[index] / np.maximum(1, self.weeks_served[index]),
            "parked_weeks": self.parked_weeks[index],
            "placement_week": np.where(self.earned[index, 0], self.placed_week[index], NO_ONE),
            "paid_eur": self.client_paid_cents[index] / 100,
        })
        for code, kind in enumerate(OUTCOME_KINDS):
            frame[f"earned_{kind}"] = self.earned[index, code]
        return frame


def build_providers(model: RegionalLabourMarket) -> ProviderMarket | None:
    """The provider market of a scenario that procures services, else None."""
    procurement = model.scenario.interventions.procurement
    if procurement is None:
        return None
    return ProviderMarket(model, procurement)


# --- summaries -----------------------------------------------------------------------------

def creaming_gap(employability: np.ndarray, placed: np.ndarray) -> float:
    """Placement rate of the most employable third minus that of the least employable third."""
    employability = np.asarray(employability, dtype=float)
    placed = np.asarray(placed, dtype=bool)
    if len(employability) < 3:
        return math.nan
    low, high = np.quantile(employability, [1 / 3, 2 / 3])
    top, bottom = placed[employability >= high], placed[employability <= low]
    if len(top) == 0 or len(bottom) == 0:
        return math.nan
    return float(top.mean() - bottom.mean())


def provider_summary(model: RegionalLabourMarket) -> dict[str, float]:
    """End-of-run provider metrics (empty when the scenario procures nothing)."""
    market = getattr(model, "providers", None)
    if market is None:
        return {}
    clients = market.client_frame()
    weekly = market.weekly_frame()
    out: dict[str, float] = {}
    for name in ("revenue_eur", "cost_eur", "profit_eur"):
        out[f"provider_{name}"] = float(weekly[name].sum()) if len(weekly) else 0.0
    initial = market.providers[:market.initial_count]
    out["provider_exits"] = float(sum(not p.active and not p.completed
                                      for p in market.providers))
    out["provider_completed"] = float(sum(p.completed for p in market.providers))
    out["provider_entries"] = float(market.entries)
    out["providers_end"] = float(len(market.active_providers()))
    out["provider_survival"] = float(np.mean([p.active or p.completed for p in initial]))
    for c, name in enumerate(market.fees.order):
        out[f"provider_fee_{name}_eur"] = float(market.fee_cents[:, c].sum()) / 100
    out["provider_clients"] = float(len(clients))
    out["provider_target_clients"] = float(market.p.target_clients)
    out["provider_acquisition_shortfall"] = float(max(0, market.p.target_clients - len(clients)))
    out["provider_acquisition_shortfall_share"] = (
        out["provider_acquisition_shortfall"] / market.p.target_clients
        if market.p.target_clients else 0.0)
    out["provider_contacts"] = float(market.contacts_total)
    # clients over everyone who belonged to the target group at some point of the run
    in_target = int(model.seekers.view("target").sum())
    out["provider_enrolment_share"] = len(clients) / in_target if in_target else math.nan
    if market.firm_work:
        out["provider_firms"] = float((market.firm_phase != NEVER).sum())
        out["provider_target_firms"] = float(market.p.target_firms)
        out["provider_firm_shortfall_share"] = max(
            0.0, 1 - out["provider_firms"] / market.p.target_firms)
        out["provider_firm_first_hires"] = float(market.firm_has_hired.sum())
    placed = clients["placement_week"].to_numpy() >= 0
    out["provider_placements"] = float(placed.sum())
    out["provider_placement_rate"] = float(placed.mean()) if len(clients) else math.nan
    out["provider_creaming_gap"] = creaming_gap(clients["employability"], placed)
    served = clients["weeks_served"].to_numpy()
    out["provider_parked_share"] = (float(clients["parked_weeks"].sum() / served.sum())
                                    if served.sum() else math.nan)
    outcome_components = [c for c, name in enumerate(market.fees.order)
                          if name.startswith("outcome_fee.")]
    out["provider_paid_outcomes"] = float(sum(
        int(((part > 0) & np.isin(component, outcome_components)).sum())
        for _, _, component, _, part in market.payments))
    out["provider_declined"] = float((market.phase[:model.seekers.n] == DECLINED).sum())
    return out


def reconcile(market: ProviderMarket) -> pd.DataFrame:
    """Per provider: fees paid through the ledger against ``contracts.settle`` on its events."""
    rows = []
    events = market.events_frame()
    for provider in market.providers:
        mine = events[events["provider"] == provider.number].drop(columns="provider")
        settled = settle(market.contract, mine, weeks=market.contract_weeks(provider))
        rows.append({"provider": provider.number,
                     "paid_eur": provider.paid_cents / 100,
                     "settled_eur": float(settled.total_eur)})
    frame = pd.DataFrame(rows)
    frame["gap_eur"] = frame["paid_eur"] - frame["settled_eur"]
    return frame


__all__ = ["Provider", "ProviderMarket", "build_providers", "provider_summary", "creaming_gap",
           "reconcile"]
