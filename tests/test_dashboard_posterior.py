"""The dashboard's parameter-uncertainty setting (issue 16): the runs it queues are those of
``compare --posterior K``, K is bounded, and the section's numbers are ``uncertainty.py``'s."""

from __future__ import annotations

import math
import time

import numpy as np
import pytest

from dashboards import posterior_view
from dashboards.jobs import JobQueue
from dashboards.levers import RequestError, build_request, parse_query
from simulation.cli.posterior_effects import draws as cli_draws
from simulation.experiments.runner import code_version, execute, requests, run_meta
from simulation.experiments.uncertainty import plan, posterior_effects
from simulation.i18n import words

TINY = {"scenario": "pirkanmaa", "job_seekers": 600, "weeks": 8, "replications": 2,
        "seed": 5, "draws": 5}


@pytest.mark.parametrize("bad", [1, 4, 21, -5, 5.5, "many", "1e9"])
def test_draws_outside_0_and_5_to_20_are_refused_with_one_line(bad) -> None:
    with pytest.raises(RequestError) as refused:
        build_request({**TINY, "draws": bad})
    assert len(refused.value.messages) == 1
    message = refused.value.messages[0]
    assert "\n" not in message
    assert message.startswith("Parameter uncertainty: draws must be 0 (off) or 5–20")


def test_draws_are_in_the_link_only_when_on() -> None:
    off = build_request({**TINY, "draws": 0})
    assert off.draws == 0 and "draws" not in off.query()
    on = build_request(TINY)
    assert "draws=5" in on.query() and parse_query(on.query()) == on
    assert build_request({k: v for k, v in TINY.items() if k != "draws"}).draws == 0


def _ids(batch):
    version = code_version()
    return [(run_meta(r, version).run_id, r.entropy, r.replication,
             {k: r.tags[k] for k in ("posterior", "posterior_draw", "posterior_k")})
            for r in batch]


def test_the_dashboard_queues_the_runs_the_cli_plans() -> None:
    # at the library's own population and period the CLI's plan needs no overrides
    request = build_request({"scenario": "pirkanmaa", "job_seekers": 36_000, "weeks": 74,
                             "replications": 2, "seed": 11, "draws": 5})
    runs = posterior_view.posterior_runs(request)
    chosen = cli_draws(5, None, 11)
    assert [d.row for d in runs.plan.draws] == [d.row for d in chosen]
    cli = plan(chosen, {"baseline": ["pirkanmaa"]}, 2, 11, 74)
    ((base, name),) = cli.pairs
    assert (runs.base, runs.name) == (base, name)
    expected, queued = [], []
    for k, args in enumerate(runs.job_arguments()):
        expected += _ids([*cli.batch[(k * len(cli.keys) + cli.keys.index(name)) * 2:][:2],
                          *cli.batch[(k * len(cli.keys) + cli.keys.index(base)) * 2:][:2]])
        tags = args["tags"]
        queued += _ids([*requests(args["scenario"], 2, args["seed"], 74, tags=tags),
                        *requests(args["baseline"], 2, args["seed"], 74, tags=tags)])
    assert queued == expected
    assert len(queued) == 5 * 2 * 2


def test_without_a_baseline_of_its_own_parameter_uncertainty_is_refused() -> None:
    with pytest.raises(RequestError, match="baseline of its own"):
        posterior_view.posterior_runs(build_request({**TINY, "scenario": "baseline"}))


def test_the_section_shows_uncertainty_py_numbers_for_the_same_runs(tmp_path) -> None:
    request = build_request(TINY)
    runs = posterior_view.posterior_runs(request)
    queue = JobQueue(tmp_path, workers=1).start()
    try:
        jobs = posterior_view.submit(queue, runs)
        assert {job.tags["posterior_k"] for job in jobs} == set(range(5))
        deadline = time.monotonic() + 300
        while any(j.status not in ("done", "failed") for j in jobs) \
                and time.monotonic() < deadline:
            time.sleep(0.1)
        assert [j.status for j in jobs] == ["done"] * 5
        shown = posterior_view.effects(tmp_path, runs, jobs)
        children, running = posterior_view.section(queue, request.query(), words("fi"))
        assert not running
    finally:
        queue.stop()
    # the CLI's way: the plan's own batch, run in memory
    p = runs.plan
    results = execute(p.batch, workers=1)
    metrics = posterior_view.shown_metrics()
    direct = posterior_effects(p, results, runs.base, runs.name, metrics, metrics)
    assert set(shown.effects) == set(direct.effects) and shown.effects
    for name, stats in direct.effects.items():
        for key, value in stats.items():
            assert (math.isnan(value) and math.isnan(shown.effects[name][key])) \
                or shown.effects[name][key] == pytest.approx(value, rel=1e-12, abs=1e-12), \
                (name, key)
    for name, frame in direct.drivers.items():
        assert np.allclose(frame["index"], shown.drivers[name]["index"])
        assert list(frame["parameter"]) == list(shown.drivers[name]["parameter"])
    table = next(c for c in children if getattr(c, "id", None) == "posterior-table")
    rows = posterior_view.rows(direct, words("fi"))
    assert table.data == rows and len(rows) >= 1
    assert {"noise", "with_parameters", "share", "p_positive", "sentence", "drivers"} \
        <= set(rows[0])


def test_draws_that_do_not_fit_the_browsers_share_are_refused_whole(tmp_path) -> None:
    from dashboards.jobs import QueueFull

    runs = posterior_view.posterior_runs(build_request(TINY))  # 5 draws
    queue = JobQueue(tmp_path, workers=1, max_queue=6)  # not started: nothing is taken
    assert queue.max_per_session == 4
    with pytest.raises(QueueFull, match="needs 5 runs in the queue and 4 places"):
        posterior_view.submit(queue, runs, "room")
    assert queue.queued() == 0  # none of the draws was queued
    with pytest.raises(QueueFull, match="needs 6 runs"):  # the run that asked, too
        posterior_view.check_room(JobQueue(tmp_path, workers=1, max_queue=8), runs, "room",
                                  extra=1)
    posterior_view.check_room(JobQueue(tmp_path, workers=1, max_queue=8), runs, "room")
