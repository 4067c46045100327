"""The dashboard's server side without a browser: request validation, the bounded run queue,
serving identical requests from the store, and the views built from stored runs."""

from __future__ import annotations

import math
import threading
import time

import pytest

pytest.importorskip("dash")

from dashboards import views  # noqa: E402
from dashboards.jobs import JobQueue, QueueFull  # noqa: E402
from dashboards.levers import (  # noqa: E402
    MAX_JOB_SEEKERS,
    RequestError,
    build_request,
    levers_for,
    parse_query,
    resolve,
)

SMALL = {"job_seekers": 600, "weeks": 8, "replications": 2, "seed": 3}


def test_levers_carry_unit_range_and_source() -> None:
    levers = {lever.path: lever for lever in levers_for("pirkanmaa")}
    caseload = levers["interventions.coaching.caseload"]
    assert caseload.unit == "clients/coach"
    assert (caseload.minimum, caseload.maximum, caseload.default) == (1.0, 1000.0, 100.0)
    assert caseload.source.startswith("assumption:")
    assert "services.wage_subsidy.places_per_1000" in levers


def test_procurement_scenarios_get_contract_levers() -> None:
    paths = {lever.path for lever in levers_for("outsourcing_generic")}
    assert {"interventions.procurement.providers", "contract.base_share",
            "contract.high_risk_multiplier"} <= paths


def test_fee_mix_becomes_a_risk_tiered_contract() -> None:
    request = build_request({"scenario": "outsourcing_generic", **SMALL,
                             "contract.base_share": 0.2, "contract.high_risk_multiplier": 2})
    fees = resolve(request).scenario.interventions.procurement.resolved_contract()
    low, medium, high = fees.outcome_fees.placement
    assert high == 2 * low and medium == low


def test_only_changed_levers_travel_and_the_link_round_trips() -> None:
    request = build_request({"scenario": "pirkanmaa", **SMALL,
                             "interventions.coaching.caseload": 100.0,
                             "interventions.coaching.meeting_interval_weeks": 6})
    assert request.levers == {"interventions.coaching.meeting_interval_weeks": 6}
    assert parse_query(request.query()) == request


@pytest.mark.parametrize("query, fragment", [
    ("?scenario=../../etc/passwd", "unknown scenario"),
    ("?scenario=nowhere", "unknown scenario"),
    (f"?scenario=pirkanmaa&job_seekers={MAX_JOB_SEEKERS + 1}", "Job seekers must be between"),
    ("?scenario=pirkanmaa&replications=500", "Replications must be between"),
    ("?scenario=pirkanmaa&interventions.coaching.caseload=nan", "finite"),
    ("?scenario=pirkanmaa&interventions.coaching.caseload=-4", "Caseload must be between"),
    ("?scenario=pirkanmaa&region.job_seekers=9", "is not a lever"),
    ("?scenario=pirkanmaa&__import__=os", "is not a lever"),
    ("?scenario=pirkanmaa&weeks=3.5", "whole number"),
    ("?scenario=pirkanmaa&seed=1&seed=2", "given twice"),
    ("?scenario=pirkanmaa&target=everyone", "unknown target group"),
    ("?scenario=pirkanmaa&x=" + "9" * 5000, "too long"),
])
def test_bad_links_are_refused_with_a_message(query: str, fragment: str) -> None:
    with pytest.raises(RequestError) as caught:
        parse_query(query)
    assert any(fragment in message for message in caught.value.messages)


def test_inconsistent_levers_are_reported_by_scenario_validation() -> None:
    request = build_request({"scenario": "outsourcing_generic", **SMALL,
                             "contract.base_share": 0.9, "contract.placement_share": 0.5})
    with pytest.raises(RequestError, match="more than 1"):
        resolve(request)


def _fake_runner(delay: float, calls: list[int], release: threading.Event | None = None):
    def run(batch, *, workers, store, on_done):
        calls.append(len(batch))
        if release is not None:
            release.wait(10)
        time.sleep(delay)
        for request in batch:
            on_done(request, False)
        return []
    return run


def test_queue_is_bounded_and_refuses_with_a_message(tmp_path) -> None:
    release = threading.Event()
    calls: list[int] = []
    # one session may fill this queue: the bound on the whole queue is what is tested here
    queue = JobQueue(tmp_path, workers=1, max_queue=2, max_per_session=2,
                     run=_fake_runner(0.0, calls, release)).start()
    try:
        jobs = []
        for seed in range(3):  # one running (held), two waiting
            resolved = resolve(build_request({"scenario": "pirkanmaa", **SMALL, "seed": seed}))
            jobs.append(queue.submit(resolved.scenario, resolved.baseline, seed=seed,
                                     replications=2, weeks=8))
            time.sleep(0.2)
        resolved = resolve(build_request({"scenario": "pirkanmaa", **SMALL, "seed": 99}))
        with pytest.raises(QueueFull, match="full"):
            queue.submit(resolved.scenario, resolved.baseline, seed=99, replications=2,
                         weeks=8)
        same = resolve(build_request({"scenario": "pirkanmaa", **SMALL, "seed": 2}))
        assert queue.submit(same.scenario, same.baseline, seed=2, replications=2,
                            weeks=8) is jobs[2]  # identical request: the same job
        release.set()
        deadline = time.monotonic() + 10
        while any(job.status != "done" for job in jobs) and time.monotonic() < deadline:
            time.sleep(0.05)
        assert [job.status for job in jobs] == ["done"] * 3
        assert calls == [4, 8]  # the two waiting jobs ran as one batch
    finally:
        queue.stop()


@pytest.fixture(scope="module")
def finished(tmp_path_factory):
    """One real small job, run through the project's runner into a store."""
    root = tmp_path_factory.mktemp("store")
    queue = JobQueue(root, workers=1).start()
    request = build_request({"scenario": "outsourcing_generic", **SMALL})
    resolved = resolve(request)
    job = queue.submit(resolved.scenario, resolved.baseline, seed=request.seed,
                       replications=request.replications, weeks=request.weeks)
    deadline = time.monotonic() + 120
    while job.status not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
    yield queue, job, resolved, request
    queue.stop()


def test_a_job_runs_and_identical_requests_come_from_the_store(finished) -> None:
    queue, job, resolved, request = finished
    assert job.status == "done", job.error
    queue._jobs.clear()  # as after a restart: only the store remembers
    again = queue.submit(resolved.scenario, resolved.baseline, seed=request.seed,
                         replications=request.replications, weeks=request.weeks)
    assert again.status == "done" and again.from_store
    assert queue.queued() == 0


def test_views_show_effects_costs_providers_and_warnings(finished) -> None:
    queue, job, _, _ = finished
    results = views.load_results(queue.store_root, job)
    rows = views.effects_rows(results, "target")
    assert rows[0]["metric"] == "target_placements"
    assert {r["metric"] for r in views.provider_rows(results)} >= {
        "provider_profit_eur", "provider_exits", "provider_creaming_gap",
        "provider_parked_share"}
    assert any("Only 2 replications" in w for w in views.warnings(results, rows))
    bands = views.weekly_bands(results, "region")
    assert set(bands["series"]) == {"employed", "activation_rate", "unemployed",
                                    "long_term_unemployed"}
    assert (bands["p10"] <= bands["p90"] + 1e-9).all()
    assert views.cost_figure(results, "region", "t").data
    assert "<html" in views.series_figure(results, "target", "t").to_html(
        include_plotlyjs=True)


def test_a_jobs_stored_runs_keep_their_own_metrics(finished) -> None:
    # read back together, the baseline's runs used to get the provider runs' fee columns as
    # missing values (a fee never paid counts as 0 €): the fees' effects came out missing
    queue, job, _, _ = finished
    results = views.load_results(queue.store_root, job)
    fees = [k for k in results.scenario[0] if k.startswith("provider_fee_")]
    assert fees and not any(k in run for run in results.baseline for k in fees)
    effects = views.paired_effects([views._run(s, i) for i, s in enumerate(results.scenario)],
                                   [views._run(b, i) for i, b in enumerate(results.baseline)])
    assert all(math.isfinite(effects[k]["mean"]) for k in fees)
