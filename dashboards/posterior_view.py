"""Effects with parameter uncertainty on the dashboard: the run setting "draws" (K) runs the
request's replications under each of K parameter sets drawn from the posterior, as
``pilotsim compare --posterior K`` does, and shows under the effects the headline effects with
both intervals, the variance split, P(effect > 0), the plain sentence and the drivers.

Nothing is re-derived here: the draws are ``Posterior.sample(K, seed)`` (what the CLI draws),
the runs are ``simulation.experiments.uncertainty.plan`` 's (same scenarios, seeds and
posterior tags; each draw's scenario and paired baseline is one job on the ordinary run queue,
so sessions still take turns), and the numbers are ``posterior_effects`` on the stored runs.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from dash import dash_table, html

from dashboards.jobs import Job, JobQueue, QueueFull
from dashboards.levers import (
    RequestError,
    WorkshopRequest,
    _shared_overrides,
    baseline_name,
    library_scenario,
    parse_query,
    scenario_overrides,
)
from simulation.engine.catalogue import in_group, metric
from simulation.experiments.drivers import chance_level, top
from simulation.experiments.posterior import Draw, PosteriorError, read_posterior
from simulation.experiments.store.reader import StoreReader
from simulation.experiments.stored import stored_summary
from simulation.experiments.uncertainty import (
    PosteriorEffects,
    PosteriorPlan,
    draw_entropy,
    plan,
    posterior_effects,
    sentence,
)
from simulation.i18n import N_, Words
from simulation.params.loading import ScenarioError
from simulation.report.wording import fmt_effect, number_format


def headline(prefix: str = "target_") -> list[str]:
    """The headline metrics with a scope prefix (as ``pilotsim compare --posterior`` shows)."""
    return [f"{prefix}{n}" for n in in_group("headline")]

SMALL = {"fontSize": "12px", "color": "#5d6d7e", "lineHeight": "1.35"}
POSTERIOR_FILE: Path | None = None  # None: calibration/posterior.parquet (tests set another)


@dataclass(frozen=True)
class PosteriorRuns:
    """The CLI's plan for a request, and the keys of its one pair in it."""

    plan: PosteriorPlan
    base: str  # the paired baseline's key
    name: str  # the scenario's key
    seed: int
    weeks: int

    def job_arguments(self) -> list[dict[str, Any]]:
        """One queue job per draw: that draw's scenario and paired baseline, its seeds and
        its posterior tags (``JobQueue.submit`` / ``lookup`` keywords)."""
        p = self.plan
        return [{"scenario": p.scenarios[k][self.name], "baseline": p.scenarios[k][self.base],
                 "seed": draw_entropy(self.seed, k), "replications": p.replications,
                 "weeks": self.weeks, "tags": {**draw.tags(), "posterior_k": k}}
                for k, draw in enumerate(p.draws)]


def chosen_draws(k: int, seed: int, path: Path | None = None) -> list[Draw]:
    """The K draws ``--posterior K`` takes with this seed."""
    try:
        return read_posterior(path).sample(k, seed)
    except PosteriorError as error:
        raise RequestError([str(error)]) from None


def posterior_runs(request: WorkshopRequest, path: Path | None = None) -> PosteriorRuns:
    """The runs of a request's parameter uncertainty (``RequestError`` if it cannot have it)."""
    library = library_scenario(request.scenario)
    base = baseline_name(library)
    if base == request.scenario:
        raise RequestError([N_("Parameter uncertainty needs a scenario with a baseline of its "
                               "own; this one is compared with itself as shipped.")])
    overrides = {request.scenario: scenario_overrides(request),
                 base: _shared_overrides(request, library)}
    try:
        p = plan(chosen_draws(request.draws, request.seed, path or POSTERIOR_FILE),
                 {base: [request.scenario]}, request.replications, request.seed, request.weeks,
                 overrides=overrides)
    except ScenarioError as error:
        raise RequestError([f"{error.field}: {error.message}"]) from None
    ((base_key, name),) = p.pairs
    return PosteriorRuns(p, base_key, name, request.seed, request.weeks)


@lru_cache(maxsize=16)
def _runs_for(query: str, path: Path | None) -> PosteriorRuns:
    request = parse_query(query)
    assert request is not None
    return posterior_runs(request, path)


def runs_for_query(query: str) -> PosteriorRuns:
    """Cached by the link (loading K × 2 scenarios is not free; a link's runs never change)."""
    return _runs_for(query, POSTERIOR_FILE)


def check_room(queue: JobQueue, runs: PosteriorRuns, session: str = "", extra: int = 0
               ) -> None:
    """``QueueFull`` unless the queue (and this browser's share of it) has room for every draw
    not already known or stored, and ``extra`` more jobs (the run that asked for them)."""
    new = sum(queue.lookup(**args) is None for args in runs.job_arguments()) + extra
    room = queue.room(session)
    if new > room:
        raise QueueFull(f"parameter uncertainty needs {new} runs in the queue and {room} "
                        "places are free for this browser now: choose fewer draws or try "
                        "again when the queue is shorter")


def submit(queue: JobQueue, runs: PosteriorRuns, session: str = "") -> list[Job]:
    """Queue every draw's job, or none (``check_room``)."""
    check_room(queue, runs, session)
    return [queue.submit(**args, session=session) for args in runs.job_arguments()]


def known_jobs(queue: JobQueue, runs: PosteriorRuns) -> list[Job | None]:
    """Each draw's job if it is queued, running, done or stored; never queues."""
    return [queue.lookup(**args) for args in runs.job_arguments()]


class _Stored:
    """A stored run's summary where ``uncertainty`` reads a run result's."""

    def __init__(self, summary: dict[str, float]) -> None:
        self.summary = summary


def effects(store_root: Path | str, runs: PosteriorRuns, jobs: list[Job]) -> PosteriorEffects:
    """``posterior_effects`` of the pair from the jobs' stored runs (all done)."""
    p = runs.plan
    ids = sorted({run for job in jobs for run in job.run_ids})
    with StoreReader(store_root) as reader:
        summaries = reader.summaries(ids)
        metrics = reader.summary_columns(ids)
    # each run's own metrics, as in a run result (stored_results and the job views alike)
    by_id = {row["run_id"]: stored_summary(row, metrics[row["run_id"]])
             for row in summaries.to_dict("records") if row["run_id"] in metrics}
    results: list[Any] = [None] * len(p.batch)
    for k, job in enumerate(jobs):
        for key, run_ids in ((runs.name, job.scenario_runs), (runs.base, job.baseline_runs)):
            start = (k * len(p.keys) + p.keys.index(key)) * p.replications
            for i, run in enumerate(run_ids):
                results[start + i] = _Stored(by_id[run])
    return posterior_effects(p, results, runs.base, runs.name, shown_metrics(),
                             shown_metrics())


def shown_metrics() -> list[str]:
    """The headline effects, target group then whole region."""
    return headline("target_") + headline("")


def _interval(low: float, high: float, kind: str) -> str:
    if not (math.isfinite(low) and math.isfinite(high)):
        return "–"
    return f"{fmt_effect(low, kind)} … {fmt_effect(high, kind)}"


def rows(u: PosteriorEffects, w: Words) -> list[dict[str, str]]:
    """One row per headline effect with the numbers of ``uncertainty`` and the drivers."""
    out = []
    for name in shown_metrics():
        s = u.effects.get(name)
        if s is None:
            continue
        kind = number_format(metric(name))
        share = s["share_parameters"]
        english = "target group" if name.startswith("target_") else "whole region"
        scope = w.gettext(N_("target group") if english == "target group"
                          else N_("whole region"))
        label = w.gettext(metric(name).label)
        frame = u.drivers.get(name)
        if frame is None:
            named = "–"
        else:
            named = "; ".join(f"{p} {index:.2f} ({'+' if rho >= 0 else '−'})"
                              for p, index, rho in top(frame, u.draws)) or w.text(
                N_("none above the chance level {level}"),
                level=f"{chance_level(u.draws, len(frame)):.2f}")
        out.append({"metric": name, "label": label, "scope": scope,
                    "effect": fmt_effect(s["mean"], kind),
                    "noise": _interval(s["noise_low"], s["noise_high"], kind),
                    "with_parameters": _interval(s["low"], s["high"], kind),
                    "share": "–" if not math.isfinite(share) else f"{share:.0%}",
                    "p_positive": f"{s['p_positive']:.2f}",
                    "sentence": sentence(f"{label} ({scope})", s, w),
                    "drivers": named})
    return out


COLUMNS = (("label", N_("metric")), ("scope", N_("scope")), ("effect", N_("effect")),
           ("noise", N_("95 % simulation noise only")),
           ("with_parameters", N_("95 % with parameter uncertainty")),
           ("share", N_("share from parameters")), ("p_positive", N_("P(effect > 0)")),
           ("sentence", N_("in plain words")), ("drivers", N_("drivers above chance")))


def table(u: PosteriorEffects, w: Words) -> list[Any]:
    body = rows(u, w)
    intro = w.text(N_(
        "{draws} parameter sets drawn from the posterior ({version}), {replications} paired "
        "replications under each: scenario and baseline share each draw's parameters and "
        "seeds. The noise-only interval is what these runs would give if the parameters were "
        "known; the interval with parameter uncertainty is the 95 % range of the effect over "
        "the posterior. Share from parameters: the parameters' part of the variance of a "
        "draw's mean effect (the rest is simulation noise; it needs 2 or more replications). "
        "Drivers: parameters whose squared rank correlation with the effect is above the "
        "chance level, strongest first (+ raises it, − lowers it)."),
        draws=str(u.draws), version=u.version, replications=str(u.replications))
    return [html.H4(w.gettext(N_("Effects with parameter uncertainty"))),
            html.Div(intro, style=SMALL),
            dash_table.DataTable(
                id="posterior-table", data=body,
                columns=[{"name": w.gettext(title), "id": key} for key, title in COLUMNS],
                style_table={"overflowX": "auto"},
                style_cell={"fontSize": "12px", "padding": "4px 8px", "textAlign": "right",
                            "whiteSpace": "normal", "height": "auto",
                            "fontFamily": "system-ui, sans-serif"},
                style_cell_conditional=[
                    {"if": {"column_id": c}, "textAlign": "left"}
                    for c in ("label", "scope", "sentence", "drivers")]
                + [{"if": {"column_id": "sentence"}, "minWidth": "260px"}],
                style_header={"fontWeight": "700", "backgroundColor": "#eef2f5",
                              "whiteSpace": "normal", "height": "auto"})]


def section(queue: JobQueue, query: str | None, w: Words) -> tuple[list[Any], bool]:
    """What the page shows under the effects for a link, and whether runs are still under
    way (the page polls while they are)."""
    request = parse_query(query) if query else None
    if request is None or not request.draws:
        return [], False
    try:
        runs = runs_for_query(query or "")
    except RequestError as error:
        return [html.Div(error.messages, style=SMALL, id="posterior-error")], False
    jobs = known_jobs(queue, runs)
    total = len(jobs)
    failed = [job for job in jobs if job is not None and job.status == "failed"]
    if failed:
        return [html.Div(w.text(N_("Parameter uncertainty: a run failed: {error}"),
                                error=failed[0].error), id="posterior-error", style=SMALL)], False
    if any(job is None for job in jobs):
        return [html.Div(w.gettext(N_(
            "Parameter uncertainty: the runs under the posterior draws are not in the results "
            "store yet: press Run to compute them.")), id="posterior-progress", style=SMALL)
            ], False
    done = [job for job in jobs if job is not None and job.status == "done"]
    if len(done) < total:
        finished = sum(job.progress[0] for job in jobs if job is not None)
        runs_total = sum(job.progress[1] for job in jobs if job is not None)
        return [html.Div(w.text(N_(
            "Parameter uncertainty: {finished} of {total} runs done ({draws} posterior "
            "draws); the table appears when all are in."), finished=str(finished),
            total=str(runs_total), draws=str(total)), id="posterior-progress", style=SMALL)
            ], True
    return table(effects(queue.store_root, runs, done), w), False
