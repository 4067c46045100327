"""The ``pilotsim`` command line (``simulation.cli.main`` registers the commands)."""
