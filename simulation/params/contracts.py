"""Provider contracts: fee schedules as data, settled with exact arithmetic.

A contract is one ``[contract]`` table of a TOML file in ``scenarios/contracts/``. It is built
from optional components (TOML keys in brackets):

- a base fee [``base_fee``]: a share paid at week 0, the rest at a stated week or spread evenly
  over weeks 1..that week;
- a steering-group bonus [``steering_bonus``]: up to a share of the base fee, paid at a review;
- an attachment fee per client taken on [``attachment_fee``];
- outcome fees per client event kind [``outcome_fees.<kind>``];
- a quality bonus from client or firm feedback [``quality_bonus``];
- firm-side fees per firm served [``firm_fees.<service>``] and per firm outcome
  [``firm_outcomes.<kind>``];
- provider-proposed "black box" metrics paid at a checkpoint [``black_box``];
- an option to extend the contract into a second phase [``extension``];
- a cap on cumulative payments [``budget_cap_eur``];
- ``blend``: a price per client split into base, result and quality shares, which expands into
  the attachment fee, outcome fees and quality bonus.

A fee written as one amount is flat; written as three amounts it is paid by the client's
long-term-unemployment risk class, ``[class 0 (low), class 1 (medium), class 2 (high)]``.

``settle`` turns a contract and an outcome history (one row per event) into payments. Money is
held in integer cents, so sums are exact; the only rounding is of bonuses scaled by a fraction,
half to even, to the cent. Weeks are contract weeks: the contract starts at week 0. Nothing in
this module is random.
"""

from __future__ import annotations

import dataclasses
import difflib
import math
import tomllib
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from decimal import ROUND_HALF_EVEN, Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import numpy as np
import pandas as pd
from pydantic import BaseModel, BeforeValidator, Field, ValidationError, model_validator

from simulation.params.fields import Frozen as _Frozen
from simulation.params.provenance import ProvenanceError, unwrap

CONTRACTS_PACKAGE = "scenarios.contracts"

# Event kinds. Client outcomes are paid per client, firm services and outcomes per firm.
ATTACHMENT = "attachment"
FEEDBACK = "feedback"
STEERING_REVIEW = "steering_review"
OUTCOME_KINDS = (
    "placement", "employed_3m", "employed_6m", "employed_12m",
    "training_referral", "recruitment_training",
)
FIRM_SERVICE_KINDS = ("personal_guidance", "recruitment_plan", "group_event")
FIRM_OUTCOME_KINDS = ("firm_growth", "firm_recruitment")
RESERVED_KINDS = frozenset(
    {ATTACHMENT, FEEDBACK, STEERING_REVIEW, *OUTCOME_KINDS, *FIRM_SERVICE_KINDS,
     *FIRM_OUTCOME_KINDS})
RISK_CLASSES = 3
NO_ID = -1

CENT = Decimal("0.01")


class ContractError(ValueError):
    """A contract table that cannot be a valid fee schedule; names the offending field."""

    def __init__(self, field_path: str, message: str, *, file: str = "") -> None:
        where = f"{file}: " if file else ""
        super().__init__(f"{where}{field_path}: {message}")
        self.field_path = field_path
        self.message = message
        self.file = file


# --- value parsing -------------------------------------------------------------------------

def _to_decimal(value: Any, what: str) -> Decimal:
    if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
        raise ValueError(f"{what} must be a number, got {value!r}")
    try:
        # str() of a float is its shortest repr, so 0.1 becomes Decimal("0.1"), not 0.1000...055
        number = Decimal(str(value)) if isinstance(value, float) else Decimal(value)
    except InvalidOperation:
        raise ValueError(f"{what} must be a number, got {value!r}") from None
    if not number.is_finite():
        raise ValueError(f"{what} must be finite, got {value!r}")
    return number


def _parse_money(value: Any) -> Decimal:
    amount = _to_decimal(value, "an amount in euros")
    if amount < 0:
        raise ValueError(f"an amount in euros must not be negative, got {value}")
    if amount != amount.quantize(CENT):
        raise ValueError(f"{value} € has fractions of a cent")
    return amount


def _parse_share(value: Any) -> Decimal:
    share = _to_decimal(value, "a share")
    if not 0 <= share <= 1:
        raise ValueError(f"a share must lie between 0 and 1, got {value}")
    return share


def _parse_risk_fee(value: Any) -> Any:
    if isinstance(value, list | tuple):
        if len(value) != RISK_CLASSES:
            raise ValueError("a fee by risk class needs three amounts: "
                             "[class 0 (low), class 1 (medium), class 2 (high risk)]")
        return tuple(_parse_money(item) for item in value)
    fee = _parse_money(value)
    return (fee, fee, fee)


Money = Annotated[Decimal, BeforeValidator(_parse_money)]
Share = Annotated[Decimal, BeforeValidator(_parse_share)]
# Always three amounts, one per risk class; a flat fee has three equal amounts.
RiskFee = Annotated[tuple[Decimal, Decimal, Decimal], BeforeValidator(_parse_risk_fee)]
Week = Annotated[int, Field(ge=0)]
QualityRule = Literal["proportional", "all_top"]


# --- the contract schema -------------------------------------------------------------------



class BaseFee(_Frozen):
    """A fixed fee: ``upfront_share`` at week 0, the rest at (or spread up to) a week."""

    total_eur: Money
    upfront_share: Share = Decimal(1)
    remainder_week: Week | None = None
    spread_remainder: bool = False

    @model_validator(mode="after")
    def _remainder_has_a_week(self) -> BaseFee:
        if self.upfront_share < 1 and self.remainder_week is None:
            raise ValueError("remainder_week is needed when upfront_share is below 1")
        if self.spread_remainder and not self.remainder_week:
            raise ValueError("spread_remainder needs remainder_week of at least 1")
        return self


class SteeringBonus(_Frozen):
    """Up to ``max_share`` of the base fee, as judged by a steering group at ``review_week``.

    The judgement is the latest ``steering_review`` event's value, a fraction in [0, 1].
    """

    max_share: Share
    review_week: Week


class OutcomeFees(_Frozen):
    """Fees per client outcome event kind, flat or by risk class."""

    placement: RiskFee | None = None
    employed_3m: RiskFee | None = None
    employed_6m: RiskFee | None = None
    employed_12m: RiskFee | None = None
    training_referral: RiskFee | None = None
    recruitment_training: RiskFee | None = None

    def priced(self) -> list[tuple[str, tuple[Decimal, Decimal, Decimal]]]:
        return [(kind, fee) for kind in OUTCOME_KINDS if (fee := getattr(self, kind)) is not None]


class QualityBonus(_Frozen):
    """``max_eur`` × the feedback score fraction, per client or per firm.

    ``all_top`` pays the full bonus only for a perfect score (every item at the top of the
    scale) and nothing otherwise. Non-response earns nothing unless ``non_response_fraction``
    says what score it counts as.
    """

    max_eur: Money
    rule: QualityRule = "proportional"
    per: Literal["client", "firm"] = "client"
    non_response_fraction: Share | None = None


class FirmFees(_Frozen):
    """Fees per firm served, paid once per firm for each service."""

    personal_guidance: Money | None = None
    recruitment_plan: Money | None = None
    group_event: Money | None = None

    def priced(self) -> list[tuple[str, Decimal]]:
        return [(kind, fee) for kind in FIRM_SERVICE_KINDS
                if (fee := getattr(self, kind)) is not None]


class FirmOutcome(_Frozen):
    """A fee when a firm's outcome value reaches ``threshold``.

    With ``within_weeks`` the outcome counts only within that many weeks of the firm's first
    service (a firm never served earns nothing).
    """

    fee_eur: Money
    threshold: float = Field(ge=0)
    within_weeks: Week | None = None


class FirmOutcomes(_Frozen):
    """``firm_growth``: person-years added; ``firm_recruitment``: (probable) recruitments."""

    firm_growth: FirmOutcome | None = None
    firm_recruitment: FirmOutcome | None = None

    def priced(self) -> list[tuple[str, FirmOutcome]]:
        return [(kind, rule) for kind in FIRM_OUTCOME_KINDS
                if (rule := getattr(self, kind)) is not None]


class BlackBoxMetric(_Frozen):
    """A provider-proposed metric: ``fee_eur`` at ``checkpoint_week`` if observed ≥ target.

    The observation is the latest event of kind ``metric`` up to the checkpoint.
    """

    metric: str = Field(min_length=1)
    target: float
    fee_eur: Money
    checkpoint_week: Week


class ExtensionOption(_Frozen):
    """The contract is extended if ``measure`` at ``review_week`` reaches ``threshold``.

    ``count`` counts events of kind ``measure`` up to the review, ``sum`` adds their values,
    ``latest`` takes the latest value.
    """

    measure: str = Field(min_length=1)
    statistic: Literal["count", "sum", "latest"] = "count"
    review_week: Week
    threshold: float


class ResultShares(_Frozen):
    """Shares of a blended price paid on each client outcome kind."""

    placement: Share | None = None
    employed_3m: Share | None = None
    employed_6m: Share | None = None
    employed_12m: Share | None = None
    training_referral: Share | None = None
    recruitment_training: Share | None = None

    def shared(self) -> list[tuple[str, Decimal]]:
        return [(kind, s) for kind in OUTCOME_KINDS if (s := getattr(self, kind)) is not None]


class Blend(_Frozen):
    """A price per client split as base (on attachment), result and quality shares."""

    price_per_client_eur: Money
    base_share: Share
    result_shares: ResultShares
    quality_share: Share
    quality_rule: QualityRule = "proportional"
    non_response_fraction: Share | None = None

    @model_validator(mode="after")
    def _shares_sum_to_one(self) -> Blend:
        results = sum((s for _, s in self.result_shares.shared()), Decimal(0))
        total = self.base_share + results + self.quality_share
        if total != 1:
            raise ValueError(
                f"shares must sum to 1: base_share {self.base_share} + result_shares {results} "
                f"+ quality_share {self.quality_share} = {total}")
        return self

    def part_eur(self, share: Decimal, name: str) -> Decimal:
        part = self.price_per_client_eur * share
        if part != part.quantize(CENT):
            raise ValueError(f"price_per_client_eur × {name} = {part} € has fractions of a cent")
        return part


class Contract(_Frozen):
    """A provider's fee schedule. Build it with ``contract_from_table`` or ``load_contract``."""

    title: str = Field(min_length=1)
    pilot: str = Field(min_length=1)
    sources: tuple[str, ...] = Field(min_length=1)
    base_fee: BaseFee | None = None
    steering_bonus: SteeringBonus | None = None
    attachment_fee: RiskFee | None = None
    outcome_fees: OutcomeFees = OutcomeFees()
    quality_bonus: QualityBonus | None = None
    firm_fees: FirmFees = FirmFees()
    firm_outcomes: FirmOutcomes = FirmOutcomes()
    black_box: tuple[BlackBoxMetric, ...] = ()
    extension: ExtensionOption | None = None
    budget_cap_eur: Money | None = None
    blend: Blend | None = None
    # Where the contract came from: the file, and "contract.<path>" -> source or assumption.
    file: str = ""
    provenance: dict[str, str] = Field(default_factory=dict)

    @model_validator(mode="after")
    def _components_fit_together(self) -> Contract:
        if self.steering_bonus is not None and self.base_fee is None:
            raise ValueError("steering_bonus is a share of the base fee, but there is no base_fee")
        metrics = [m.metric for m in self.black_box]
        for metric in metrics:
            if metric in RESERVED_KINDS:
                raise ValueError(f"black_box metric {metric!r} is an event kind with its own fee")
            if metrics.count(metric) > 1:
                raise ValueError(f"black_box metric {metric!r} appears twice")
        if not self.component_order():
            raise ValueError("the contract pays nothing: give at least one fee component")
        return self

    def component_order(self) -> list[str]:
        """Payment component names, in the order that breaks ties within a week."""
        names = ["base_fee"] if self.base_fee else []
        names += ["steering_bonus"] if self.steering_bonus else []
        names += ["attachment_fee"] if self.attachment_fee else []
        names += [f"outcome_fee.{kind}" for kind, _ in self.outcome_fees.priced()]
        names += ["quality_bonus"] if self.quality_bonus else []
        names += [f"firm_fee.{kind}" for kind, _ in self.firm_fees.priced()]
        names += [f"firm_outcome.{kind}" for kind, _ in self.firm_outcomes.priced()]
        names += [f"black_box.{m.metric}" for m in self.black_box]
        return names


# --- building contracts from tables and files ----------------------------------------------

def contract_from_table(table: Mapping[str, Any], *, file: str,
                        provenance: Mapping[str, str] | None = None) -> Contract:
    """Validate an unwrapped ``[contract]`` table (plain values) into a ``Contract``.

    Raises ``ContractError`` naming the first offending field as ``contract.<dotted.path>``.
    """
    if not isinstance(table, Mapping):
        raise ContractError("contract", "must be a table", file=file)
    data = dict(table)
    if "blend" in data:
        try:
            blend = Blend.model_validate(data["blend"])
        except ValidationError as error:
            raise _contract_error(error, file, prefix=("blend",)) from None
        data = _expand_blend(blend, data, file)
    data.update(file=file, provenance=dict(provenance or {}))
    try:
        return Contract.model_validate(data)
    except ValidationError as error:
        raise _contract_error(error, file) from None


def _expand_blend(blend: Blend, data: dict[str, Any], file: str) -> dict[str, Any]:
    """Write a blend out as attachment fee, outcome fees and quality bonus."""
    def conflict(key: str) -> ContractError:
        return ContractError(f"contract.{key}", "is set by contract.blend; give one or the other",
                             file=file)

    try:
        base = blend.part_eur(blend.base_share, "base_share")
        results = {kind: blend.part_eur(s, f"result_shares.{kind}")
                   for kind, s in blend.result_shares.shared()}
        quality = blend.part_eur(blend.quality_share, "quality_share")
    except ValueError as error:
        raise ContractError("contract.blend", str(error), file=file) from None
    out = dict(data)
    if base:
        if "attachment_fee" in out:
            raise conflict("attachment_fee")
        out["attachment_fee"] = base
    outcome_fees = dict(out.get("outcome_fees") or {})
    for kind, fee in results.items():
        if kind in outcome_fees:
            raise conflict(f"outcome_fees.{kind}")
        outcome_fees[kind] = fee
    out["outcome_fees"] = outcome_fees
    if quality:
        if "quality_bonus" in out:
            raise conflict("quality_bonus")
        out["quality_bonus"] = {"max_eur": quality, "rule": blend.quality_rule,
                                "non_response_fraction": blend.non_response_fraction}
    return out


def _contract_error(error: ValidationError, file: str, prefix: tuple[Any, ...] = ()
                    ) -> ContractError:
    # A misspelt key also leaves its field missing; the unknown key is the better report.
    problems = sorted(error.errors(), key=lambda p: p["type"] != "extra_forbidden")
    first = problems[0]
    loc = (*prefix, *first["loc"])
    message = first["msg"].removeprefix("Value error, ")
    if first["type"] == "extra_forbidden":
        key = str(loc[-1])
        message = f"unknown key {key!r}" + _did_you_mean(key, _known_keys(loc[:-1]))
    if len(problems) > 1:
        message += f" (and {len(problems) - 1} more problem(s))"
    return ContractError(_dotted(("contract", *loc)), message, file=file)


def _dotted(loc: Iterable[Any]) -> str:
    path = ""
    for part in loc:
        path += f"[{part}]" if isinstance(part, int) else (f".{part}" if path else str(part))
    return path


def _known_keys(loc: Iterable[Any]) -> list[str]:
    """The keys allowed in the table at ``loc`` (a pydantic error location)."""
    model: Any = Contract
    for part in loc:
        if isinstance(part, int):
            continue
        if model is None or part not in model.model_fields:
            return []
        model = _model_inside(model.model_fields[part].annotation)
    hidden = {"file", "provenance"}
    return [] if model is None else [key for key in model.model_fields if key not in hidden]


def _model_inside(annotation: Any) -> type[BaseModel] | None:
    """The model in ``Model``, ``Model | None`` or ``tuple[Model, ...]``, else None."""
    for candidate in (annotation, *get_args(annotation)):
        if isinstance(candidate, type) and issubclass(candidate, BaseModel):
            return candidate
    return None


def _did_you_mean(key: str, known: list[str]) -> str:
    close = difflib.get_close_matches(key, known, n=1)
    if close:
        return f"; did you mean {close[0]!r}?"
    return f"; known keys: {', '.join(known)}" if known else ""


def contract_names() -> list[str]:
    """Names of the contracts shipped in ``scenarios/contracts``."""
    folder = resources.files(CONTRACTS_PACKAGE)
    return sorted(item.name.removesuffix(".toml") for item in folder.iterdir()
                  if item.name.endswith(".toml"))


def load_contract(name_or_path: str | Path) -> Contract:
    """Load a shipped contract by name (``"koko_rekry"``) or any contract file by path."""
    if isinstance(name_or_path, Path) or str(name_or_path).endswith(".toml"):
        path = Path(name_or_path)
        return _contract_from_text(path.read_text(encoding="utf-8"), file=str(path))
    name = str(name_or_path)
    resource = resources.files(CONTRACTS_PACKAGE).joinpath(f"{name}.toml")
    if not resource.is_file():
        names = contract_names()
        raise ContractError("contract", f"no shipped contract named {name!r}"
                            + _did_you_mean(name, names))
    return _contract_from_text(resource.read_text(encoding="utf-8"),
                               file=f"{CONTRACTS_PACKAGE}/{name}.toml")


def _contract_from_text(text: str, *, file: str) -> Contract:
    document = tomllib.loads(text)
    extra = sorted(set(document) - {"contract"})
    if "contract" not in document or extra:
        raise ContractError("contract", "a contract file holds exactly one [contract] table",
                            file=file)
    try:
        plain, provenance = unwrap(document["contract"], "contract")
    except ProvenanceError as error:
        raise ContractError(error.path, error.message, file=file) from None
    return contract_from_table(plain, file=file, provenance=provenance)


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
