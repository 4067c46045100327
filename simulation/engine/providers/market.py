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
  when the client leaves) are recorded as ``settlement.OutcomeEvent`` rows in contract weeks.
  The fees are settled each week with the exact rules of ``settlement.settle`` (first event per
  client and kind, risk-class tiers, components ordered within a week, the budget cap cutting
  the payment that crosses it) and paid through the ledger from the buyer to payee
  ``providers``, item ``provider_fee:<component>``. The base-fee schedule and the steering
  bonus are taken from ``settlement.settle`` itself. The Keski-Suomi steering group is proxied
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
  ``settlement.settle`` applies them (``reconcile`` checks this).
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
``simulation.experiments.counterfactuals``. The market's parts live beside this module: ``intake``,
``effort``, ``firm_clients``, ``fees`` and ``summary``.
"""


from __future__ import annotations

import math
from collections.abc import Callable
from typing import TYPE_CHECKING

import numpy as np
import pandas as pd

from simulation.engine.growth.economy import RegionalEconomy
from simulation.engine.interface import Mechanism
from simulation.engine.providers.accounts import Accounts
from simulation.engine.providers.agent import Provider
from simulation.engine.providers.codes import (
    ACTIVE,
    DONE,
    MONITORED,
    N_FEATURES,
    PERSON_ARRAYS,
    SUSTAIN,
)
from simulation.engine.providers.effort import Effort
from simulation.engine.providers.fees import FeeBooks, FeeTable
from simulation.engine.providers.firm_clients import FirmClients
from simulation.engine.providers.intake import Intake
from simulation.engine.providers.summary import Summaries
from simulation.engine.seekers import NO_ONE, State, in_states, risk_classes
from simulation.params.contracts import FEEDBACK, OUTCOME_KINDS
from simulation.params.schema import SERVICE_NAMES

if TYPE_CHECKING:
    from simulation.engine.interface import Region
    from simulation.params.procurement import Procurement


class ProviderMarket(Intake, Effort, FirmClients, FeeBooks, Accounts, Summaries, Mechanism):
    """All providers of a scenario and their clients: works in the week's ``providers`` phase
    (intake, effort) and ``payments`` phase (outcomes, fees, profit, exit, entry)."""

    def __init__(self, region: Region, procurement: Procurement) -> None:
        self.model = model = region
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
        self.economy = region.mechanism(RegionalEconomy)
        self.firm_work = procurement.target_firms > 0 and self.economy is not None
        if self.firm_work:
            self.economy.accept_provider_guidance(procurement.firm_hire_multiplier)
        self.firm_owner = np.full(0, NO_ONE, dtype=np.int32)
        self.firm_start = np.full(0, NO_ONE, dtype=np.int32)
        self.firm_phase = np.zeros(0, dtype=np.int8)
        self.firm_has_hired = np.zeros(0, dtype=np.bool_)
        for _ in range(procurement.providers):
            self._add_provider(max(model.week + 1, procurement.start_week))

    def phases(self) -> dict[str, Callable[[], None]]:
        return {"providers": self._work, "payments": self._accounts,
                "clocks": self._profile}

    def _profile(self) -> None:
        """The office's profiling of everyone's risk of long-term unemployment at the week's
        end, which risk-tiered fees and intake read (only providers do, so only here, and
        only once next week's intake can read it: until then the column keeps its default,
        as in a run without providers)."""
        if self.model.week + 1 < self.p.start_week:
            return
        s = self.model.seekers
        s.risk_class[: s.n] = risk_classes(
            s.view("age"), s.view("education"), s.view("weeks_since_work"), s.view("benefit"))

    def _work(self) -> None:
        if self.running():
            self.step()  # intake and effort allocation

    def _accounts(self) -> None:
        if self.running():
            self.account()  # outcomes, fees through the ledger, profit, exit

    def first_hire(self, solo: int) -> None:
        self.firm_hired(solo)

    def tables(self) -> dict[str, pd.DataFrame]:
        return {"providers": self.weekly_frame(), "provider_clients": self.client_frame()}


    def running(self) -> bool:
        """Whether the contracts run this week (before and after, providers neither act nor
        book)."""
        week = self.model.week
        return week >= self.p.start_week and (not self.p.end_week or week <= self.p.end_week)


    def last_week(self) -> int:
        """The last week in which a fee can be earned."""
        return self.p.end_week or self.model.scenario.weeks


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


    def _record_outcomes(self) -> None:
        s, week, p = self.model.seekers, self.model.week, self.p
        n = s.n
        phase = self.phase[:n]
        active = (phase == ACTIVE).nonzero()[0]
        state = s.state[active]
        # regression statistics for the star ratings: one row per searching client-week
        searching = active[in_states(state, State.UNEMPLOYED, State.IN_SERVICE, State.EMPLOYED)
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
        monitored = (self.phase[:n] == MONITORED).nonzero()[0]
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
        active = (self.phase[:n] == ACTIVE).nonzero()[0]
        gone = in_states(s.state[active], State.STUDYING, State.OUT_OF_LABOUR_FORCE)
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


    def weekly_frame(self) -> pd.DataFrame:
        return pd.DataFrame(self.rows)


    def client_frame(self) -> pd.DataFrame:
        """One row per person ever taken on: who, when, what was paid for them."""
        s = self.model.seekers
        n = s.n
        index = (np.isin(self.phase[:n], (ACTIVE, MONITORED, DONE))).nonzero()[0]
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


def build_providers(region: Region) -> list[Mechanism]:
    """The provider market of a scenario that procures services, else none."""
    procurement = region.scenario.interventions.procurement
    return [] if procurement is None else [ProviderMarket(region, procurement)]
