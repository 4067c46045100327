"""Service providers paid under outcome-priced contracts: the market (``market``) and its
parts (``intake``, ``effort``, ``firm_clients``, ``fees``, ``accounts``, ``summary``)."""

from simulation.engine.providers.agent import Provider
from simulation.engine.providers.market import ProviderMarket, build_providers
from simulation.engine.providers.summary import creaming_gap

__all__ = ["Provider", "ProviderMarket", "build_providers", "creaming_gap"]
