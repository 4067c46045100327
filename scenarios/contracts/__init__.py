"""Provider contracts (fee schedules) of the growth-company pilots, one TOML file each.

Shipped as package data; load them with ``simulation.contracts.load_contract(name)``.
"""
