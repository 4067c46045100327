"""CLI commands on ensembles and the results store (runs, export, sweep)."""
