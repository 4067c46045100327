"""A provider's books and its place in the market: weekly profit, exit after sustained losses
or when its work is done, entry in a dynamic purchasing system, and star ratings from
placements adjusted for client mix and from client feedback."""

from __future__ import annotations

import numpy as np

from simulation.engine.providers.agent import Provider
from simulation.engine.providers.codes import ACTIVE, MONITORED, N_FEATURES


class Accounts:
    """Part of ``ProviderMarket``: profit and loss, exits, entries and star ratings."""

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
        mine = ((self.owner[:n] == provider.number)
                & np.isin(self.phase[:n], (ACTIVE, MONITORED))).nonzero()[0]
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


    def _end_contracts(self) -> None:
        """The contracts end: every provider still working completes."""
        for provider in self.active_providers():
            self._leave(provider, completed=True)

