"""The firm side of a region and the growth-company programmes that work on it.

``economy`` holds growth firms, hidden vacancies, solo entrepreneurs, the regional economy and
the run's firm-side metrics; ``programme`` the levers of ``[growth.programme]``.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from simulation.engine.growth.economy import RegionalEconomy
from simulation.engine.growth.programme import GrowthProgramme

if TYPE_CHECKING:
    from simulation.engine.interface import Mechanism, Region


def build_growth(region: Region) -> list[Mechanism]:
    """The firm side of a scenario with ``[growth]`` (and its programme, if any), else none."""
    if region.scenario.growth is None:
        return []
    economy = RegionalEconomy(region)
    if economy.programme is None:
        return [economy]
    return [economy, GrowthProgramme(region, economy)]
