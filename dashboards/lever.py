"""One number a workshop participant may change: its bounds, unit and where its default
came from, and the parsing of untrusted input into it (shared by the scenario's levers in
``dashboards.levers`` and the contract's fee levers in ``dashboards.contract_levers``)."""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any


@dataclass(frozen=True)
class Lever:
    """One number a participant may change, with what the page says about it."""

    path: str  # dotted parameter path, or contract.<name> for the fee mix
    label: str
    group: str
    unit: str
    minimum: float
    maximum: float
    integer: bool
    default: float
    source: str
    description: str = ""

    @property
    def step(self) -> float | str:
        return 1 if self.integer else "any"

    def parse(self, value: Any) -> float | int:
        """The value as a number inside the lever's bounds, or ``ValueError`` (a message)."""
        if value is None or value == "":
            raise ValueError(f"{self.label} needs a number between {fmt_bound(self.minimum)} and "
                             f"{fmt_bound(self.maximum)} {self.unit}".rstrip())
        number = parse_number(value, self.label)
        if self.integer:
            if number != math.floor(number):
                raise ValueError(f"{self.label} must be a whole number (got {shown(value)})")
            number = int(number)
        if not self.minimum <= number <= self.maximum:
            raise ValueError(f"{self.label} must be between {fmt_bound(self.minimum)} and "
                             f"{fmt_bound(self.maximum)} {self.unit} (got {shown(value)})".rstrip())
        return number



def parse_number(value: Any, label: str) -> float:
    if isinstance(value, bool) or value is None or value == "":
        raise ValueError(f"{label} needs a number")
    if isinstance(value, int | float):
        try:
            number = float(value)
        except OverflowError:  # an integer of hundreds of digits: no lever goes that far
            raise ValueError(f"{label} is far out of range (got {shown(value)})") from None
    elif isinstance(value, str) and len(value) <= 40:
        try:
            number = float(value.strip())
        except ValueError:
            raise ValueError(f"{label} must be a number (got {shown(value)})") from None
    else:
        raise ValueError(f"{label} must be a number (got {shown(value)})")
    if not math.isfinite(number):
        raise ValueError(f"{label} must be a finite number (got {shown(value)})")
    return number


def shown(value: Any) -> str:
    text = repr(value) if isinstance(value, str) else str(value)
    return text if len(text) <= 40 else text[:37] + "..."


def fmt_bound(value: float) -> str:
    return f"{value:,.0f}" if float(value).is_integer() else f"{value:,g}"
