"""The public-finance ledger: every euro that moves, with payer, payee and item.

Totals are always derived from the ledger, never kept in parallel. Rows are
aggregated per week, payer, payee, item and scope (``target`` for money spent
on or raised from target-group members, ``other`` for the rest of the region),
so the ledger stays small while still splitting cost by who bears it.
Tax revenue is recorded as a negative amount for the public body that receives
it, so a payer's net cost is simply the sum of its rows.
"""

from __future__ import annotations

from collections import defaultdict

import numpy as np
import pandas as pd

from simulation.params.fields import PAYERS


def municipal_passive_days(lms_days_before: np.ndarray, days: int,
                           thresholds: list[int], shares: list[float]) -> np.ndarray:
    """Municipal-share-weighted count of ``days`` passive labour-market-subsidy days.

    A day is the municipality's to share from once ``threshold`` days have already
    been paid: with 299 days paid the next day is the 300th and the state's alone;
    with 300 paid the next is shared 50/50; from 1,000 paid, 70 % municipal.
    Days straddling a threshold in one week are split day by day.
    """
    before = np.asarray(lms_days_before, dtype=np.int64)
    # thresholds already passed, and whether one lies inside this week's days (few
    # thresholds: a comparison per threshold costs less than two binary searches)
    band = np.zeros(before.shape, dtype=np.intp)
    crosses = np.zeros(before.shape, dtype=np.bool_)
    for threshold in thresholds:
        passed = before >= threshold
        band += passed
        crosses |= ~passed & (before > threshold - days)
    # Nearly everyone's week lies within one band: days × that band's share is exactly what
    # the band-by-band sum gives (the other bands add 0.0). Only weeks that cross a threshold
    # are split band by band.
    weighted = days * np.array([0.0, *shares])[band]
    crossing = crosses.nonzero()[0]
    if len(crossing):
        weighted[crossing] = days_by_band(before[crossing], days, thresholds, shares)
    return weighted


def days_by_band(before: np.ndarray, days: int, thresholds: list[int],
                 shares: list[float]) -> np.ndarray:
    """:func:`municipal_passive_days` band by band, for any week."""
    after = before + days
    bounds = [*thresholds, np.iinfo(np.int64).max]
    weighted = np.zeros(before.shape, dtype=np.float64)
    for (low, high), share in zip(zip(bounds[:-1], bounds[1:], strict=True), shares,
                                  strict=True):
        # (minimum of maximum: np.clip's Python wrapper costs more than the work here)
        in_band = (np.minimum(np.maximum(after, low), high)
                   - np.minimum(np.maximum(before, low), high))
        weighted += in_band * share
    return weighted


class Ledger:
    """Weekly payments aggregated by (week, payer, payee, item, scope)."""

    def __init__(self) -> None:
        self._rows: dict[tuple[int, str, str, str, str], float] = defaultdict(float)

    def pay(self, week: int, payer: str, payee: str, item: str, amount: float,
            scope: str = "other") -> None:
        if payer not in PAYERS:
            raise ValueError(f"unknown payer {payer!r}")
        if amount:
            self._rows[(week, payer, payee, item, scope)] += float(amount)

    def pay_split(self, week: int, payer_shares: list[float] | tuple[float, ...],
                  payee: str, item: str, amount: float, scope: str = "other") -> None:
        """Split one amount between state, municipality and other by shares."""
        rows = self._rows
        for payer, share in zip(PAYERS, payer_shares, strict=True):
            # ``pay`` for each payer, inline: a week makes a hundred of these
            if share and (part := amount * share):
                rows[(week, payer, payee, item, scope)] += float(part)

    def pay_split_rows(self, week: int, payer_shares: np.ndarray, payee: str, item: str,
                       amounts: np.ndarray, scope: str = "other") -> None:
        """:meth:`pay_split` of each of ``amounts`` by its row of ``payer_shares`` (rows ×
        payers), at once: each payer's parts are summed in row order from the first, as
        one ``pay_split`` a row would add them up (parts of 0 add nothing either way)."""
        totals = np.cumsum(amounts[:, None] * payer_shares, axis=0)[-1].tolist()
        rows = self._rows
        for payer, total in zip(PAYERS, totals, strict=True):
            if total:
                rows[(week, payer, payee, item, scope)] += total

    def pay_by_scope(self, week: int, payer: str, payee: str, item: str,
                     amounts: np.ndarray, in_target: np.ndarray) -> None:
        """Record per-person amounts, summed separately for target and other."""
        amounts = np.asarray(amounts, dtype=np.float64)
        target_sum = float(amounts[in_target].sum())
        self.pay(week, payer, payee, item, target_sum, "target")
        self.pay(week, payer, payee, item, float(amounts.sum()) - target_sum, "other")

    def pay_by_scope_totals(self, week: int, payer: str, payee: str, item: str,
                            target_eur: float, other_eur: float) -> None:
        """Record one week's amounts already summed for the target group and the rest."""
        if payer not in PAYERS:
            raise ValueError(f"unknown payer {payer!r}")
        # ``pay`` twice, inline: a week makes dozens of these
        if target_eur:
            self._rows[(week, payer, payee, item, "target")] += float(target_eur)
        if other_eur:
            self._rows[(week, payer, payee, item, "other")] += float(other_eur)

    def pay_counts(self, week: int, payer: str, payee: str, item: str, amount_each: float,
                   count_target: int, count_other: int) -> None:
        """Record ``amount_each`` paid for each of so many people, by scope."""
        self.pay_by_scope_totals(week, payer, payee, item, count_target * amount_each,
                                 count_other * amount_each)

    def total(self, payer: str | None = None) -> float:
        return sum(v for k, v in self._rows.items() if payer is None or k[1] == payer)

    def to_frame(self) -> pd.DataFrame:
        if not self._rows:
            return pd.DataFrame({c: pd.Series(dtype=t) for c, t in (
                ("week", "int64"), ("payer", "object"), ("payee", "object"),
                ("item", "object"), ("scope", "object"), ("amount_eur", "float64"))})
        # the keys are unique, so Python's tuple order is the sort on all five columns
        keys, amounts = zip(*sorted(self._rows.items()), strict=True)
        week, payer, payee, item, scope = zip(*keys, strict=True)
        return pd.DataFrame({"week": np.array(week, dtype=np.int64), "payer": list(payer),
                             "payee": list(payee), "item": list(item), "scope": list(scope),
                             "amount_eur": np.array(amounts, dtype=np.float64)})
