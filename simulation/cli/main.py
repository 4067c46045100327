"""The composition root of the ``pilotsim`` command: the one place that gathers the commands
(in the order ``pilotsim --help`` lists them) and registers them on the app. Command modules
only define functions; none of them imports this module.

:func:`main` also owns how the command ends: every refusal, including the command-line
library's own (a value out of range, an unknown option), is one plain line ``error: ...`` on
stderr with exit status 2, never a boxed usage message or a traceback.
"""

from __future__ import annotations

import gc
import os
import sys
from collections.abc import Sequence
from typing import NoReturn

import typer

from simulation.cli import calibrate, dashboard, ensemble, regions, report, runs, scenarios
from simulation.cli.common import err, one_line, out

COMMANDS = (
    ("run", runs.run),
    ("compare", runs.compare),
    ("report", report.report),
    ("list", scenarios.list_scenarios),
    ("show", scenarios.show),
    ("validate", scenarios.validate),
    ("new-region", regions.new_region),
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


def main(argv: Sequence[str] | None = None) -> NoReturn:
    """The ``pilotsim`` command: run it with ``argv`` (default: the process's arguments) and
    exit with its status."""
    status = invoke(argv)
    # Done: the exit frees what the command made anyway. Frozen, those objects are not walked
    # by the interpreter's last collections (0.3 s after 10 replications); atexit handlers
    # and output flushing run as ever.
    gc.freeze()
    sys.exit(status)


def invoke(argv: Sequence[str] | None = None) -> int:
    """Run ``pilotsim`` with ``argv`` (default: the process's arguments); the exit status."""
    command = typer.main.get_command(app)
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        status = command.main(args=args, prog_name="pilotsim", standalone_mode=False)
    except typer.TyperException as exc:  # the command-line library's usage errors
        context = getattr(exc, "ctx", None)
        if type(exc).__name__ == "NoArgsIsHelpError" and context is not None:
            out.print(context.get_help(), soft_wrap=True)
            return 0
        err.print(f"error: {one_line(exc.format_message())}", soft_wrap=True)
        return int(getattr(exc, "exit_code", 2) or 2)
    except (typer.Abort, KeyboardInterrupt):
        err.print("interrupted")
        return 130
    except Exception as exc:  # a bug: still one line, unless asked for the traceback
        if os.environ.get("PILOTSIM_DEBUG"):
            raise
        err.print(f"error: unexpected {type(exc).__name__}: {one_line(str(exc))} "
                  "(set PILOTSIM_DEBUG=1 to see where)", soft_wrap=True)
        return 1
    return status if isinstance(status, int) else 0


if __name__ == "__main__":
    main()
