"""What providers earn: the contract's fee schedule on arrays, the log of outcome events in
contract weeks, and the week's settlement of fees through the ledger.

Fees follow the exact rules of ``settlement.settle`` (first event per client and kind, risk-class
tiers, components ordered within a week, a budget cap cutting the payment that crosses it);
``ProviderMarket.reconcile`` checks this against ``settle`` itself.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from decimal import Decimal

import numpy as np
import pandas as pd

from simulation.engine.providers.agent import Provider
from simulation.engine.providers.codes import COMPONENT_KIND, EVENT_KINDS, KIND_CODE
from simulation.engine.seekers import NO_ONE
from simulation.params.contracts import (
    ATTACHMENT,
    STEERING_REVIEW,
    Contract,
)
from simulation.params.settlement import OutcomeEvent, settle


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
        """Quality bonus for feedback scores (NaN: no response), as ``settlement.settle``."""
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


class FeeBooks:
    """Part of ``ProviderMarket``: the event log and fee payments. Uses the market's
    ``events``, ``payments``, ``fee_cents``, ``fees``, ``contract``, ``providers`` and the
    per-client ``risk``, ``client_paid_cents`` and per-firm ``firm_start`` arrays."""

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
                rows = (kind == KIND_CODE[target]).nonzero()[0]
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
        """This week's firm fees and firm outcome fees, by ``settlement.settle``'s rules; the
        market logs each firm's services and outcomes once, so every event is a first."""
        name = component.split(".", 1)[1]
        rows = (kind == KIND_CODE[name]).nonzero()[0]
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

