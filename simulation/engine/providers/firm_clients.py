"""Firm clients: providers guide the region's solo entrepreneurs towards a first hire and earn
the contract's firm fees, firm outcomes and firm feedback (``simulation.engine.growth``)."""

from __future__ import annotations

import math

import numpy as np

from simulation.engine.providers.agent import Provider
from simulation.engine.providers.codes import ACTIVE, DONE, NEVER
from simulation.engine.seekers import NO_ONE
from simulation.params.contracts import FEEDBACK, FIRM_OUTCOME_KINDS


class FirmClients:
    """Part of ``ProviderMarket``: firm sign-up, guidance, first hires and firm feedback.
    Uses the market's per-firm arrays (``firm_owner``, ``firm_start``, ``firm_phase``,
    ``firm_has_hired``) and the economy's solo entrepreneurs."""

    def _fit_firms(self) -> None:
        """Grow the per-firm arrays with the economy's solo entrepreneurs (new firms join)."""
        grow = len(self.economy.solo_sector) - len(self.firm_owner)
        if grow <= 0:
            return
        self.firm_owner = np.concatenate([self.firm_owner, np.full(grow, NO_ONE, np.int32)])
        self.firm_start = np.concatenate([self.firm_start, np.full(grow, NO_ONE, np.int32)])
        self.firm_phase = np.concatenate([self.firm_phase, np.zeros(grow, np.int8)])
        self.firm_has_hired = np.concatenate([self.firm_has_hired, np.zeros(grow, np.bool_)])


    def _sign_up_firms(self) -> None:
        """Providers find firms among solo entrepreneurs yet to hire; guidance starts at once."""
        economy, rng, week = self.economy, self.model.rng, self.model.week
        self._fit_firms()
        self.firm_signups_week[:] = 0
        pool = ((self.firm_phase == NEVER) & ~economy.solo_hired).nonzero()[0]
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
        ending = ((self.firm_phase == ACTIVE)
                  & (self.firm_start + p.firm_guidance_weeks - 1 <= week)).nonzero()[0]
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
        mine = ((self.firm_owner == provider.number) & (self.firm_phase == ACTIVE)).nonzero()[0]
        self.firm_phase[mine] = DONE
        self.economy.solo_provider_until[mine] = -1

