"""The building blocks every section of the schema shares: a documented field, shares, payer
shares and frozen models. One definition each, so a rule (a unit, a range, who pays) reads the
same in every section."""

from __future__ import annotations

from typing import Annotated, Any

from pydantic import AfterValidator, BaseModel, ConfigDict, Field

PAYERS = ("state", "municipality", "other")
"""Who bears a cost, in the order of every ``payer_shares`` list."""


def field(default: Any, unit: str, description: str, **bounds: Any) -> Any:
    """A schema field with a unit and a description (``pilotsim show`` and the dashboard
    print both) and optional bounds (``ge``, ``le``, ...)."""
    return Field(default, description=description, json_schema_extra={"unit": unit}, **bounds)


def check_sums_to_one(name: str, shares: list[float]) -> None:
    if shares and abs(sum(shares) - 1.0) > 1e-6:
        raise ValueError(f"{name} must sum to 1 (they sum to {sum(shares):.4f})")


def _payer_shares(shares: list[float]) -> list[float]:
    if len(shares) != len(PAYERS):
        raise ValueError("needs 3 shares (state, municipality, other)")
    if abs(sum(shares) - 1.0) > 1e-6:
        raise ValueError(f"must sum to 1 (they sum to {sum(shares):.4f})")
    return shares


Share = Annotated[float, Field(ge=0.0, le=1.0)]
Shares = list[Share]
PayerShares = Annotated[list[Share], AfterValidator(_payer_shares)]
"""Shares of a cost borne by the state, the municipalities and other funds; they sum to 1."""


class Frozen(BaseModel):
    """A section of the schema: immutable, and unknown keys are errors."""
    model_config = ConfigDict(frozen=True, extra="forbid")
