"""Settling a provider contract: an outcome history (one row per event) in, payments out.

Money is held in integer cents, so sums are exact; the only rounding is of bonuses scaled by a
fraction, half to even, to the cent. Weeks are contract weeks: the contract starts at week 0.
Nothing in this module is random. The contract schema is ``simulation.params.contracts``.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal
from typing import Any

import numpy as np
import pandas as pd

from simulation.params.contracts import (
    ATTACHMENT,
    CENT,
    FEEDBACK,
    FIRM_SERVICE_KINDS,
    NO_ID,
    RISK_CLASSES,
    STEERING_REVIEW,
    BaseFee,
    BlackBoxMetric,
    Contract,
    ExtensionOption,
    FirmOutcome,
    QualityBonus,
    SteeringBonus,
)

# --- outcome history ----------------------------------------------------------------------

@dataclass(frozen=True, slots=True)
class OutcomeEvent:
    """One recorded event. ``value`` carries a score fraction (feedback, steering review), a
    firm outcome (person-years, recruitments) or a metric observation; NaN means no value
    (for feedback: non-response). Ids and risk class are -1 where they do not apply."""

    week: int
    kind: str
    client_id: int = NO_ID
    firm_id: int = NO_ID
    risk_class: int = NO_ID
    value: float = math.nan


EVENT_COLUMNS = tuple(f.name for f in dataclasses.fields(OutcomeEvent))
_EVENT_DEFAULTS = {"client_id": NO_ID, "firm_id": NO_ID, "risk_class": NO_ID, "value": math.nan}


def events_frame(events: pd.DataFrame | Iterable[OutcomeEvent]) -> pd.DataFrame:
    """The outcome history as a DataFrame with the columns of ``OutcomeEvent``.

    A DataFrame needs ``week`` and ``kind``; other columns take their defaults.
    """
    if isinstance(events, pd.DataFrame):
        frame = events.copy()
    else:
        frame = pd.DataFrame.from_records([dataclasses.astuple(e) for e in events],
                                          columns=list(EVENT_COLUMNS))
    missing = [c for c in ("week", "kind") if c not in frame]
    if missing:
        raise ValueError(f"outcome history lacks column(s) {missing}")
    for column, default in _EVENT_DEFAULTS.items():
        if column not in frame:
            frame[column] = default
    frame = frame[list(EVENT_COLUMNS)].reset_index(drop=True)
    frame = frame.astype({"week": "int64", "client_id": "int64", "firm_id": "int64",
                          "risk_class": "int64", "value": "float64"})
    frame["kind"] = frame["kind"].astype(str)
    if (frame["week"] < 0).any():
        raise ValueError("outcome history has events before week 0")
    if not frame["risk_class"].between(NO_ID, RISK_CLASSES - 1).all():
        raise ValueError(f"risk_class must be 0..{RISK_CLASSES - 1} (or -1 where not applicable)")
    fractions = frame.loc[frame["kind"].isin([FEEDBACK, STEERING_REVIEW]), "value"].dropna()
    if not fractions.between(0, 1).all():
        raise ValueError("feedback and steering_review values are fractions in [0, 1]")
    return frame


# --- settlement -------------------------------------------------------------------------

PAYMENT_COLUMNS = ("week", "component", "client_id", "firm_id", "amount_cents", "cut_cents",
                   "amount_eur")


@dataclass(frozen=True, eq=False)
class Settlement:
    """What a contract pays for an outcome history.

    ``payments`` has one row per payment due, in settlement order, with columns
    ``week, component, client_id, firm_id, amount_cents, cut_cents, amount_eur``:
    ``amount_cents`` is what is paid, ``cut_cents`` what the budget cap cut from it.
    """

    payments: pd.DataFrame
    totals_eur: Mapping[str, Decimal]
    total_eur: Decimal
    capped_eur: Decimal
    extension_exercised: bool
    extension_measure: float | None


def settle(contract: Contract, events: pd.DataFrame | Iterable[OutcomeEvent], *,
           weeks: int) -> Settlement:
    """Settle ``contract`` over contract weeks ``0 .. weeks-1``.

    Events in later weeks have not happened yet and payments due later are not made. Each
    client (firm) earns each fee kind at most once, on its first qualifying event. Payments are
    settled by week, then component (``Contract.component_order``), then client id, then firm
    id; under a budget cap the payment that crosses the cap is cut to what remains and later
    ones to nothing.
    """
    if weeks < 0:
        raise ValueError(f"weeks must not be negative, got {weeks}")
    history = events_frame(events)
    history = history[history["week"] < weeks].sort_values("week", kind="stable")
    # An ordered categorical: sorting by component sorts by Contract.component_order.
    components = pd.CategoricalDtype(contract.component_order(), ordered=True)
    due = pd.concat([_frame_of(rows, components)
                     for rows in _due_payments(contract, history, weeks)], ignore_index=True)
    due = due[(due["week"] < weeks) & (due["amount_cents"] > 0)]
    due = due.sort_values(["week", "component", "client_id", "firm_id"],
                          kind="stable").reset_index(drop=True)
    owed = due["amount_cents"].to_numpy(dtype=np.int64)
    paid = _apply_cap(owed, contract.budget_cap_eur)
    payments = due.assign(amount_cents=paid, cut_cents=owed - paid, amount_eur=paid / 100)
    totals = payments.groupby("component", observed=True)["amount_cents"].sum()
    measure = _extension_measure(contract.extension, history, weeks)
    return Settlement(
        payments=payments[list(PAYMENT_COLUMNS)],
        totals_eur={name: _euros(int(totals[name])) for name in contract.component_order()
                    if name in totals},
        total_eur=_euros(int(paid.sum())),
        capped_eur=_euros(int((owed - paid).sum())),
        extension_exercised=(measure is not None and contract.extension is not None
                             and measure >= contract.extension.threshold),
        extension_measure=measure,
    )


def _apply_cap(owed: np.ndarray, cap_eur: Decimal | None) -> np.ndarray:
    if cap_eur is None:
        return owed
    paid_before = np.cumsum(owed) - owed
    return np.clip(_cents(cap_eur) - paid_before, 0, owed)


Rows = dict[str, Any]


def _due_payments(contract: Contract, history: pd.DataFrame, weeks: int) -> Iterator[Rows]:
    if contract.base_fee:
        yield _base_fee(contract.base_fee)
    if contract.steering_bonus and contract.base_fee:
        yield _steering_bonus(contract.steering_bonus, contract.base_fee, history, weeks)
    if contract.attachment_fee:
        yield _client_fee("attachment_fee", ATTACHMENT, contract.attachment_fee, history)
    for kind, fee in contract.outcome_fees.priced():
        yield _client_fee(f"outcome_fee.{kind}", kind, fee, history)
    if contract.quality_bonus:
        yield _quality_bonus(contract.quality_bonus, history)
    for kind, fee in contract.firm_fees.priced():
        firms = _first_per(history[history["kind"] == kind], "firm_id", kind)
        yield _rows(firms["week"], f"firm_fee.{kind}", _cents(fee), firm_id=firms["firm_id"])
    for kind, rule in contract.firm_outcomes.priced():
        yield _firm_outcome(kind, rule, history)
    for metric in contract.black_box:
        yield _black_box(metric, history, weeks)


def _rows(week: Any, component: str, amount_cents: Any, *, client_id: Any = NO_ID,
          firm_id: Any = NO_ID) -> Rows:
    return {"week": week, "component": component, "client_id": client_id, "firm_id": firm_id,
            "amount_cents": amount_cents}


def _frame_of(rows: Rows, components: pd.CategoricalDtype) -> pd.DataFrame:
    week = np.asarray(rows["week"], dtype=np.int64).reshape(-1)
    frame = pd.DataFrame({"week": week})
    frame["component"] = pd.Categorical.from_codes(
        np.full(len(week), components.categories.get_loc(rows["component"])), dtype=components)
    for column in ("client_id", "firm_id", "amount_cents"):
        frame[column] = np.broadcast_to(np.asarray(rows[column], dtype=np.int64), len(week))
    return frame


def _base_fee(fee: BaseFee) -> Rows:
    total = _cents(fee.total_eur)
    upfront = _round_cents(fee.total_eur * fee.upfront_share)
    rest = total - upfront
    if rest == 0 or fee.remainder_week is None:
        return _rows([0], "base_fee", [upfront])
    if not fee.spread_remainder:
        return _rows([0, fee.remainder_week], "base_fee", [upfront, rest])
    # Equal weekly instalments over weeks 1..remainder_week; the first weeks carry the odd cents.
    count = fee.remainder_week
    each, odd = divmod(rest, count)
    instalments = [each + (1 if i < odd else 0) for i in range(count)]
    return _rows([0, *range(1, count + 1)], "base_fee", [upfront, *instalments])


def _steering_bonus(bonus: SteeringBonus, base: BaseFee, history: pd.DataFrame,
                    weeks: int) -> Rows:
    reviews = history[(history["kind"] == STEERING_REVIEW)
                      & (history["week"] <= bonus.review_week)]["value"].dropna()
    if bonus.review_week >= weeks or reviews.empty:
        return _rows([], "steering_bonus", [])
    judged = Decimal(repr(float(reviews.iloc[-1])))
    amount = _round_cents(base.total_eur * bonus.max_share * judged)
    return _rows([bonus.review_week], "steering_bonus", [amount])


def _client_fee(component: str, kind: str, fee: tuple[Decimal, Decimal, Decimal],
                history: pd.DataFrame) -> Rows:
    clients = _first_per(history[history["kind"] == kind], "client_id", kind)
    amounts = _fee_by_risk(fee, clients["risk_class"].to_numpy(), kind)
    return _rows(clients["week"], component, amounts, client_id=clients["client_id"])


def _fee_by_risk(fee: tuple[Decimal, Decimal, Decimal], risk_class: np.ndarray,
                 kind: str) -> np.ndarray:
    by_class = np.array([_cents(f) for f in fee], dtype=np.int64)
    if (by_class == by_class[0]).all():
        return np.full(len(risk_class), by_class[0], dtype=np.int64)
    if (risk_class < 0).any():
        raise ValueError(f"{kind} events need a risk_class (0, 1 or 2): the fee depends on it")
    return by_class[risk_class]


def _quality_bonus(bonus: QualityBonus, history: pd.DataFrame) -> Rows:
    id_column = f"{bonus.per}_id"
    # Feedback without this side's id is the other side's (firm vs client) feedback.
    feedback = history[(history["kind"] == FEEDBACK) & (history[id_column] >= 0)]
    # A party's first response counts; a non-response only if it never responded.
    feedback = feedback.assign(no_response=feedback["value"].isna()).sort_values(
        ["no_response", "week"], kind="stable")
    parties = _first_per(feedback, id_column, FEEDBACK).sort_values("week", kind="stable")
    score = parties["value"]
    if bonus.non_response_fraction is None:
        score = score.dropna()
    else:
        score = score.fillna(float(bonus.non_response_fraction))
    parties = parties.loc[score.index]
    max_cents = _cents(bonus.max_eur)
    if bonus.rule == "all_top":
        amounts = np.where(score.to_numpy() >= 1, max_cents, 0)
    else:
        amounts = np.rint(max_cents * score.to_numpy())  # half to even
    return {**_rows(parties["week"], "quality_bonus", amounts.astype(np.int64)),
            id_column: parties[id_column]}


def _firm_outcome(kind: str, rule: FirmOutcome, history: pd.DataFrame) -> Rows:
    outcomes = history[(history["kind"] == kind) & (history["value"] >= rule.threshold)]
    if rule.within_weeks is not None:
        served = history[history["kind"].isin(FIRM_SERVICE_KINDS)]
        first_served = served.groupby("firm_id")["week"].min()
        since = outcomes["week"] - outcomes["firm_id"].map(first_served)
        outcomes = outcomes[since.between(0, rule.within_weeks)]
    firms = _first_per(outcomes, "firm_id", kind)
    return _rows(firms["week"], f"firm_outcome.{kind}", _cents(rule.fee_eur),
                 firm_id=firms["firm_id"])


def _black_box(metric: BlackBoxMetric, history: pd.DataFrame, weeks: int) -> Rows:
    component = f"black_box.{metric.metric}"
    observed = _latest(history, metric.metric, metric.checkpoint_week)
    if metric.checkpoint_week >= weeks or observed is None or observed < metric.target:
        return _rows([], component, [])
    return _rows([metric.checkpoint_week], component, [_cents(metric.fee_eur)])


def _extension_measure(option: ExtensionOption | None, history: pd.DataFrame,
                       weeks: int) -> float | None:
    """The option's performance measure at its review, or None before the review."""
    if option is None or option.review_week >= weeks:
        return None
    if option.statistic == "latest":
        return _latest(history, option.measure, option.review_week)
    events = history[(history["kind"] == option.measure)
                     & (history["week"] <= option.review_week)]
    if option.statistic == "count":
        return float(len(events))
    return float(events["value"].sum())


def _latest(history: pd.DataFrame, kind: str, by_week: int) -> float | None:
    values = history[(history["kind"] == kind) & (history["week"] <= by_week)]["value"].dropna()
    return None if values.empty else float(values.iloc[-1])


def _first_per(events: pd.DataFrame, id_column: str, kind: str) -> pd.DataFrame:
    if (events[id_column] < 0).any():
        raise ValueError(f"{kind} events need a {id_column}")
    return events.drop_duplicates(id_column, keep="first")


# --- money ------------------------------------------------------------------------------

def _cents(amount: Decimal) -> int:
    return int(amount.scaleb(2).to_integral_exact())


def _round_cents(amount: Decimal) -> int:
    return int(amount.scaleb(2).quantize(Decimal(1), rounding=ROUND_HALF_EVEN))


def _euros(cents: int) -> Decimal:
    return Decimal(cents).scaleb(-2).quantize(CENT)
