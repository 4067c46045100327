"""The page's side of the fair queue: whose turn a click takes, and what a waiting page says.

A browser is a session: a random cookie set on its first request (nothing else is kept about
it). Jobs take turns by session (``dashboards.jobs``), so two tabs of one browser share a
turn and twenty browsers each get theirs. While a job waits the page shows how many turns
are ahead and the expected wait; while it runs, its progress; once its first replications
are done the page shows them as a first answer and replaces it with the full one.
"""

from __future__ import annotations

import re
import secrets
from typing import Any

from dash import Dash, html, no_update
from flask import Response, request

from dashboards.jobs import Job, JobQueue

COOKIE = "pilotsim_session"
_TOKEN = re.compile(r"[A-Za-z0-9_-]{8,64}")


def current_session() -> str:
    """The session of the request being served: its cookie, else its address (a client
    that keeps no cookies, such as a script, still gets one turn per address)."""
    token = request.cookies.get(COOKIE, "")
    if _TOKEN.fullmatch(token):
        return token
    return f"address:{request.remote_addr or 'unknown'}"


def register(app: Dash) -> None:
    """Give every browser a session cookie on its first request."""

    @app.server.after_request
    def _session_cookie(response: Response) -> Response:
        if not _TOKEN.fullmatch(request.cookies.get(COOKIE, "")):
            response.set_cookie(COOKIE, secrets.token_urlsafe(12), httponly=True,
                                samesite="Lax")
        return response


def seconds(value: float) -> str:
    """A wait as people say it: "about 40 s", "about 2 min"."""
    if value < 1:
        return "under a second"
    if value < 90:
        return f"about {max(5, round(value / 5) * 5):.0f} s"
    return f"about {value / 60:.0f} min"


def waiting_text(queue: JobQueue, job: Job) -> str:
    """Where a queued or running job stands, in one line."""
    wait = queue.wait(job)
    answer = queue.answer(job)
    if answer is not None and answer is not job:
        ahead = (f"{wait.position - 1} turn{'s' if wait.position != 2 else ''} of other "
                 "sessions first; " if wait.position > 1 else "")
        return (f"First answer from {answer.replications} of {job.replications} replications "
                f"shown; refining: {ahead}full answer in {seconds(wait.full_seconds)}.")
    if job.status == "queued" or wait.position:
        return (f"Waiting for your turn: position {wait.position} (sessions take turns); "
                f"first answer in {seconds(wait.first_seconds)}, full answer in "
                f"{seconds(wait.full_seconds)}.")
    return (f"Running; first answer in {seconds(wait.first_seconds)}, full answer in "
            f"{seconds(wait.full_seconds)}.")


def progress(queue: JobQueue, job: Job, shown: Any) -> tuple[Any, Any]:
    """What the progress line says for a job still queued or running, and the answer to
    show if a better one than ``shown`` (the job id on the page) is ready."""
    finished, total = job.progress
    text = html.Div(waiting_text(queue, job), id="queue-status")
    answer = queue.answer(job)
    better = answer.id if answer is not None and answer.id != shown else no_update
    if job.status == "queued":
        return text, better
    return html.Div([html.Progress(value=str(finished), max=str(total),
                                   style={"width": "100%"}),
                     html.Div(f"Running: {finished} of {total} runs done (scenario and "
                              "baseline)."), text]), better
