"""CLI command ``pilotsim dashboard``: serve the workshop web app (``dashboards.app``).

The import of ``dashboards`` happens inside the command, so the model never depends on it.
"""

from __future__ import annotations

import errno
import socket
from pathlib import Path
from typing import Annotated

import typer

from simulation.cli.common import UsageError, capped_workers, cores, err, guarded


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
    from simulation.experiments.store.opening import check_folder

    if not 1 <= port <= 65535:
        raise UsageError(f"--port must be between 1 and 65535, got {port}")
    if workers is not None and workers < 1:
        raise UsageError(f"--workers must be at least 1, got {workers}")
    count = capped_workers(workers) or cores()
    if not 1 <= max_queue <= 1000:
        raise UsageError(f"--max-queue must be between 1 and 1000, got {max_queue}")
    check_folder(Path(store))  # a folder that is not a store is refused before serving
    _check_port(host, port)
    if host not in ("127.0.0.1", "localhost", "::1"):
        err.print(f"warning: listening on {host}: anyone who can reach it can queue runs",
                  markup=False)
    from dashboards.app import serve

    err.print(f"pilotsim dashboard on http://{host}:{port}/ ({count} workers, store {store})")
    serve(host=host, port=port, workers=count, store=store, max_queue=max_queue)


def _check_port(host: str, port: int) -> None:
    """Refuse a port another server (a second dashboard, say) already listens on."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, UnicodeError) as exc:
        raise UsageError(f"--host {host}: not an address of this machine ({exc})") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UsageError(f"port {port} on {host} is in use (another dashboard?); "
                                 "pass --port N") from None
            raise UsageError(f"--host {host} --port {port}: cannot listen there "
                             f"({exc.strerror or exc})") from None
