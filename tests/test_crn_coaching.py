"""A coaching pilot that meets nobody changes nobody's path: its coaches draw their weekly
meeting slots from a stream of their own, not from the one everyone else's draws come from."""

from __future__ import annotations

from simulation.experiments.compare import comparison_baseline
from simulation.experiments.runner import RunRequest, run_replication
from simulation.params.loading import load_scenario


def test_personal_coaches_for_an_empty_target_group_leave_every_path_as_in_the_baseline():
    nobody = {"region": {"job_seekers": 1500},
              "target_group": {"any_of": [{"min_age": 69.5, "max_age": 69.6}]}}
    pilot = load_scenario("pirkanmaa", overrides=nobody)
    baseline = comparison_baseline(load_scenario("baseline", overrides=nobody), pilot)
    runs = [run_replication(RunRequest(s, entropy=5, replication=0, weeks=30))
            for s in (pilot, baseline)]
    assert runs[0].summary["target_job_seekers_end"] == 0
    assert runs[0].person_events.equals(runs[1].person_events)
    assert runs[0].cohort.equals(runs[1].cohort)
    for column in ("unemployed", "employed", "in_service", "placements", "meetings"):
        assert runs[0].weekly[column].equals(runs[1].weekly[column]), column
