"""Where a provider's staff hours go: each client's expected fee value times the provider's
estimate of the client's job chance decides the marginal gain of an hour, and hours are poured
where the gain is highest until the staff hours are used (water-filling); clients given almost
nothing are parked. Training referrals where the contract pays more for them."""

from __future__ import annotations

import math

import numpy as np

from simulation.engine.providers.codes import (
    ACTIVE,
    PARKED_SHARE_OF_EVEN,
    TRAINING_KINDS,
    TRAINING_SERVICE,
)
from simulation.engine.seekers import NO_ONE, State, in_states
from simulation.params.contracts import OUTCOME_KINDS


class Effort:
    """Part of ``ProviderMarket``: estimates, values and the allocation of staff hours."""

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
        return np.minimum(1.0, estimate * self.hazard[band] * lock)


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


    def _active_clients(self) -> tuple[np.ndarray, np.ndarray]:
        s = self.model.seekers
        n = s.n
        clients = (self.phase[:n] == ACTIVE).nonzero()[0]
        searching = in_states(s.state[clients], State.UNEMPLOYED, State.IN_SERVICE)
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
            pick = (unearned & (gain > 0)).nonzero()[0]
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

