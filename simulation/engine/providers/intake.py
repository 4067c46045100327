"""How providers get their clients: referred by the office (with vouchers, by stars) or found
by marketing to the target group; with ``intake_selection`` a provider declines a client whose
expected fees do not cover the client's expected cost (creaming)."""

from __future__ import annotations

import math

import numpy as np

from simulation.engine.providers.codes import ACTIVE, DECLINED, NEVER
from simulation.engine.seekers import State
from simulation.params.contracts import ATTACHMENT


class Intake:
    """Part of ``ProviderMarket``: client intake. Uses the market's per-client arrays
    (``phase``, ``owner``, ``risk``, ``noise``, ``intake_week``, ``contacted``) and counters."""

    def _pool(self) -> np.ndarray:
        s = self.model.seekers
        n = s.n
        return (s.view("target") & (s.view("state") == State.UNEMPLOYED)
                & (self.phase[:n] == NEVER)).nonzero()[0]


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
        reachable = ((s.view("state") == State.UNEMPLOYED) & s.view("target")
                     & (self.phase[:n] == NEVER) & ~self.contacted[:n]).nonzero()[0]
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

