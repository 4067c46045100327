"""The composition root of the ``pilotsim`` command: the one place that gathers the commands
(in the order ``pilotsim --help`` lists them) and registers them on the app. Command modules
only define functions; none of them imports this module."""

from __future__ import annotations

import sys

import typer

from simulation.cli import calibrate, dashboard, ensemble, report, runs, scenarios

COMMANDS = (
    ("run", runs.run),
    ("compare", runs.compare),
    ("report", report.report),
    ("list", scenarios.list_scenarios),
    ("show", scenarios.show),
    ("validate", scenarios.validate),
    ("sweep", ensemble.sweep),
    ("runs", ensemble.runs),
    ("export", ensemble.export),
    ("power", report.power),
    ("calibrate", calibrate.calibrate),
    ("sensitivity", calibrate.sensitivity),
    ("dashboard", dashboard.dashboard),
)

app = typer.Typer(add_completion=False, no_args_is_help=True,
                  help="pilotsim: try regional labour-market interventions before a pilot.")
for name, command in COMMANDS:
    app.command(name)(command)


def main() -> None:
    app(prog_name="pilotsim")


if __name__ == "__main__":
    sys.exit(main())
