"""CLI command ``pilotsim dashboard``: serve the workshop web app (``dashboards.app``).

The import of ``dashboards`` happens inside the command, so the model never depends on it.
"""

from __future__ import annotations

from typing import Annotated

import typer

from simulation.cli.common import UsageError, err, guarded
from simulation.experiments.runner import default_workers


@guarded
def dashboard(
        host: Annotated[str, typer.Option(help="Address to listen on; keep 127.0.0.1 unless "
                                               "others must reach it")] = "127.0.0.1",
        port: Annotated[int, typer.Option(help="TCP port")] = 8050,
        workers: Annotated[int | None, typer.Option(
            help="Worker processes for runs (default: every core)")] = None,
        store: Annotated[str, typer.Option(help="Results store folder")] = "pilotsim-results",
        max_queue: Annotated[int, typer.Option(
            help="Most jobs waiting to run; more are refused with a message")] = 32,
) -> None:
    """Serve the workshop dashboard: build, run, compare and share scenarios in a browser."""
    if not 1 <= port <= 65535:
        raise UsageError(f"--port must be between 1 and 65535, got {port}")
    count = workers or default_workers()
    if not 1 <= count <= 64:
        raise UsageError(f"--workers must be between 1 and 64, got {count}")
    if not 1 <= max_queue <= 1000:
        raise UsageError(f"--max-queue must be between 1 and 1000, got {max_queue}")
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(f"warning: listening on {host}: anyone who can reach it can queue runs",
                  markup=False)
    from dashboards.app import serve

    err.print(f"pilotsim dashboard on http://{host}:{port}/ ({count} workers, store {store})",
              markup=False)
    serve(host=host, port=port, workers=count, store=store, max_queue=max_queue)
