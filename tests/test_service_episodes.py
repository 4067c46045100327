"""Service episodes batched as they are (``engine/services.py``) run as one event each would.

The catalogue ends all episodes due at one time from one timeout and checks the cohorts that
ask for places in one pass as a run begins. The reference here is the plain form: each
episode checks its own cohort when given places and ends on a timeout of its own. Both must
leave every job seeker, the ledger, the weekly table and the order in which cohorts complete
the same, in scenarios whose waiting lists and completions are busy.
"""

from __future__ import annotations

from functools import partial

import numpy as np
import pytest
import simpy

import simulation.engine.model as model_module
from simulation.engine.model import RegionalLabourMarket
from simulation.engine.seekers import IN_SERVICE, SUBSIDISED, UNEMPLOYED, in_states
from simulation.engine.services import ServiceCatalogue
from simulation.params.loading import load_scenario


class EventEach(ServiceCatalogue):
    """The plain form: each episode checks its own cohort when given places, ends on its
    own timeout and hands places back through SimPy's own ``put``."""

    def _still_waiting(self, opened):
        return [None] * len(opened)

    def _placed(self, pool_id, episode, cohort, waiting, duration, check, _request):
        pool = self.pools[pool_id]
        if waiting:
            s = self.seekers
            still = (s.episode[cohort] == episode) & (s.state[cohort] == UNEMPLOYED)
            kept = int(np.count_nonzero(still))
            if kept < len(cohort):
                pool.places.put(len(cohort) - kept)
                if kept == 0:
                    return
                cohort = cohort[still]
            self._admit(cohort, pool_id)
        weeks = duration if duration is not None else pool.service.duration_weeks
        self.env.timeout(weeks).callbacks.append(partial(self._ended, pool, episode, cohort))

    def _ended(self, pool, episode, cohort, _timeout):
        s = self.seekers
        members = cohort[(s.episode[cohort] == episode)
                         & in_states(s.state[cohort], IN_SERVICE, SUBSIDISED)]
        if len(members):
            pool.places.put(len(members))
            self._completed_cohorts.append(members)
            self._completed_services.append(pool.service)


def _run(name: str, seed: int, reference: bool, monkeypatch: pytest.MonkeyPatch
         ) -> tuple[dict[str, np.ndarray], str, str, list[list[int]]]:
    completions: list[list[int]] = []
    with monkeypatch.context() as patch:
        if reference:
            patch.setattr(model_module, "ServiceCatalogue", EventEach)
        scenario = load_scenario(name, overrides={"region": {"job_seekers": 3000}})
        model = RegionalLabourMarket(scenario, rng=seed)
        on_complete = model.services.on_complete

        def record(cohorts, services):
            completions.append([int(person) for cohort in cohorts for person in cohort])
            on_complete(cohorts, services)

        model.services.on_complete = record
        model.run(60)
        s = model.seekers
        columns = {name: np.array(value[: s.n]) for name, value in vars(s).items()
                   if isinstance(value, np.ndarray) and value.ndim == 1 and len(value) >= s.n}
        out = (columns, model.ledger.to_frame().to_csv(), model.metrics.frame().to_csv(),
               completions)
        model.release()
    return out


@pytest.mark.parametrize("name", ["baseline", "pirkanmaa", "lapland"])
def test_batched_episodes_match_one_event_each(name: str,
                                               monkeypatch: pytest.MonkeyPatch) -> None:
    batched = _run(name, 5, reference=False, monkeypatch=monkeypatch)
    plain = _run(name, 5, reference=True, monkeypatch=monkeypatch)
    assert sum(len(week) for week in batched[3]) > 100  # completions were busy
    assert batched[3] == plain[3]
    assert batched[1] == plain[1] and batched[2] == plain[2]
    for column, values in batched[0].items():
        np.testing.assert_array_equal(values, plain[0][column], err_msg=column)


def test_the_reference_differs_when_ends_are_taken_out_of_order(
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The comparison can fail: ending each time's episodes in reverse order changes who
    completes when, so the same check catches an ordering mistake."""

    class Reversed(ServiceCatalogue):
        def _end_at(self, end: int, _timeout: simpy.Event) -> None:
            self._end(self._ending.pop(end)[::-1])

    batched = _run("pirkanmaa", 5, reference=False, monkeypatch=monkeypatch)
    monkeypatch.setattr(model_module, "ServiceCatalogue", Reversed)
    reversed_ = _run("pirkanmaa", 5, reference=False, monkeypatch=monkeypatch)
    assert batched[3] != reversed_[3]
