"""Service providers paid under contracts (see ``simulation.contracts``)."""

from __future__ import annotations

from typing import TYPE_CHECKING

if TYPE_CHECKING:
    from simulation.model import RegionalLabourMarket


def build_providers(model: RegionalLabourMarket):
    """The provider market of a scenario that procures services, else None."""
    if model.scenario.interventions.procurement is None:
        return None
    raise NotImplementedError("provider mechanics are not built yet")
