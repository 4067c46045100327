"""``python -m simulation.cli``: the same as the ``pilotsim`` command."""

from simulation.cli.main import main

main()
