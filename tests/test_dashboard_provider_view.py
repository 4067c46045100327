"""The provider and firm-side views (issue 18, item 5) show what the store holds: each number
is checked against the stored summaries and per-person tables read back another way."""

from __future__ import annotations

import time

import numpy as np
import pytest

pytest.importorskip("dash")

from dashboards import firm_view, provider_view, views  # noqa: E402
from dashboards.jobs import JobQueue  # noqa: E402
from dashboards.levers import build_request, resolve  # noqa: E402
from simulation.experiments.compare import provider_counterfactuals  # noqa: E402
from simulation.experiments.runner import execute  # noqa: E402
from simulation.experiments.store.reader import StoreReader  # noqa: E402


@pytest.fixture(scope="module")
def koko(tmp_path_factory):
    """koko_rekry (providers and a firm side), small, run through the dashboard's queue."""
    root = tmp_path_factory.mktemp("store")
    queue = JobQueue(root, workers=1).start()
    request = build_request({"scenario": "koko_rekry", "job_seekers": 1500, "weeks": 40,
                             "replications": 2, "seed": 11})
    resolved = resolve(request)
    job = queue.submit(resolved.scenario, resolved.baseline, seed=11, replications=2,
                       weeks=40)
    deadline = time.monotonic() + 180
    while job.status not in ("done", "failed") and time.monotonic() < deadline:
        time.sleep(0.1)
    queue.stop()
    assert job.status == "done", job.error
    results = views.load_results(root, job)
    return root, job, results, provider_view.provider_view(root, results)


def test_provider_numbers_are_the_stored_summaries(koko) -> None:
    root, job, _, view = koko
    with StoreReader(root) as reader:
        stored = reader.summaries(job.scenario_runs)
    shown = {r["metric"]: r for r in view.rows}
    checked = [name for name in shown if name in stored.columns]
    assert {"provider_clients", "provider_target_clients", "provider_exits",
            "provider_profit_eur"} <= set(checked)
    for name in checked:
        assert shown[name]["mean"] == pytest.approx(stored[name].mean(), nan_ok=True), name
    # target against actual: the contract's volume is the scenario's parameter
    assert view.value("provider_target_clients") == \
        job.scenario.interventions.procurement.target_clients


def test_deadweight_and_baseline_creaming_come_from_same_seed_pairs(koko) -> None:
    root, job, _, view = koko
    batch = job.batch()
    runs = execute(batch, read_from=root)  # read back by the runner, not by the view
    n = job.replications
    expected = provider_counterfactuals(job.scenario, runs[:n], runs[n:])
    assert expected, "the stored runs carry their per-person tables"
    for name, stats in expected.items():
        assert view.value(name) == pytest.approx(stats["mean"], nan_ok=True), name


def test_profit_over_time_adds_up_to_each_replications_profit(koko) -> None:
    root, job, results, view = koko
    last = view.books.sort_values("week").groupby("replication").last()
    profits = [s["provider_profit_eur"] for s in results.scenario]
    assert list(last.index) == list(range(len(profits)))
    assert np.allclose(last["cumulative_profit_eur"], profits)
    assert provider_view.profit_figure(view).data
    assert f"{view.value('provider_target_clients'):,.0f} clients" in \
        provider_view.headline(view)


def test_firm_side_effects_are_paired_differences_of_the_stored_summaries(koko) -> None:
    root, job, results, _ = koko
    rows = {r["metric"]: r for r in firm_view.firm_rows(results)}
    assert {"jobs_created", "growth_firm_hires", "regional_value_added_eur_per_year"} <= \
        set(rows)
    with StoreReader(root) as reader:
        scenario = reader.summaries(job.scenario_runs).set_index("run_id") \
            .loc[job.scenario_runs]
        baseline = reader.summaries(job.baseline_runs).set_index("run_id") \
            .loc[job.baseline_runs]
    for name, row in rows.items():
        differences = scenario[name].to_numpy() - baseline[name].to_numpy()
        if np.isfinite(differences).all():
            assert row["effect"] == pytest.approx(differences.mean()), name
            assert row["scenario"] == pytest.approx(scenario[name].mean()), name
    assert "jobs created" in firm_view.headline(list(rows.values()))


def test_a_scenario_without_a_firm_side_gets_no_firm_view() -> None:
    results = views.JobResults(job=None, weekly=None, scenario=[{"placements": 1.0}],
                               baseline=[{"placements": 0.0}], costs=None)
    assert firm_view.firm_rows(results) == []
