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

``simulation.params.settlement.settle`` turns a contract and an outcome history (one row per
event) into payments.
"""

from __future__ import annotations

import difflib
import tomllib
from collections.abc import Iterable, Mapping
from decimal import Decimal, InvalidOperation
from importlib import resources
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

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
    """Load a shipped contract by name (``"koko_rekry"``) or any contract file by path.

    A path is read as given (a scenario file's contract path is made absolute, relative to
    the scenario file, when the scenario is loaded). Anything that keeps the file from being
    read is a ``ContractError`` naming it, never an ``OSError``.
    """
    if isinstance(name_or_path, Path) or is_contract_path(str(name_or_path)):
        path = Path(name_or_path)
        return _contract_from_text(_read_contract_file(path), file=str(path))
    name = str(name_or_path)
    resource = resources.files(CONTRACTS_PACKAGE).joinpath(f"{name}.toml")
    if not resource.is_file():
        names = contract_names()
        raise ContractError("contract", f"no shipped contract named {name!r}"
                            + _did_you_mean(name, names))
    return _contract_from_text(resource.read_text(encoding="utf-8"),
                               file=f"{CONTRACTS_PACKAGE}/{name}.toml")


def is_contract_path(value: str) -> bool:
    """A contract given as a file (``my_fees.toml``, ``fees/x.toml``), not a shipped name."""
    return value.endswith(".toml") or "/" in value or "\\" in value


MAX_CONTRACT_BYTES = 1_000_000


def _read_contract_file(path: Path) -> str:
    where = str(path)
    try:
        if path.is_dir():
            raise ContractError("contract", "is a folder, not a contract file", file=where)
        if not path.exists():
            raise ContractError("contract", "no such contract file", file=where)
        if path.stat().st_size > MAX_CONTRACT_BYTES:
            raise ContractError("contract", f"larger than {MAX_CONTRACT_BYTES:,} bytes",
                                file=where)
        raw = path.read_bytes()
    except OSError as exc:
        raise ContractError("contract", f"cannot be read: {exc.strerror or exc}",
                            file=where) from None
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        raise ContractError("contract", "not UTF-8 text; save the file as UTF-8",
                            file=where) from None


def _contract_from_text(text: str, *, file: str) -> Contract:
    try:
        document = tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        raise ContractError("contract", f"not valid TOML: {exc}", file=file) from None
    extra = sorted(set(document) - {"contract"})
    if "contract" not in document or extra:
        raise ContractError("contract", "a contract file holds exactly one [contract] table",
                            file=file)
    try:
        plain, provenance = unwrap(document["contract"], "contract")
    except ProvenanceError as error:
        raise ContractError(error.path, error.message, file=file) from None
    return contract_from_table(plain, file=file, provenance=provenance)
