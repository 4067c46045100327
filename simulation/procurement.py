"""Procurement of services from private providers: the schema of a scenario's
``[interventions.procurement]`` section (providers, contracts, client acquisition).

Kept apart from ``parameters`` so the provider mechanics can grow without
touching the rest of the schema.
"""

from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class Procurement(BaseModel):
    """Placeholder until the provider mechanics land."""
    model_config = ConfigDict(frozen=True, extra="forbid")
    contract: str = "generic_outsourcing"
