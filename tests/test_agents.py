"""Job seekers are Mesa agents: ``model.agents`` tells the truth however they were registered.

``seekers.enrol`` registers new job seekers in bulk on Mesa 3.3 and one by one through Mesa's
public path otherwise; both must leave the model with the same agents, ids and order.
"""

from __future__ import annotations

import pytest

from simulation.engine import seekers as seekers_module
from simulation.engine.model import RegionalLabourMarket
from simulation.engine.seekers import JobSeeker
from simulation.params.loading import load_scenario


def _agents(bulk: bool, monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    monkeypatch.setattr(seekers_module, "_bulk_registration", lambda model: bulk)
    scenario = load_scenario("pirkanmaa", overrides={"region": {"job_seekers": 600}})
    model = RegionalLabourMarket(scenario, rng=5)
    try:
        model.run(12)  # new job seekers register every week
        listed = [(type(a).__name__, a.unique_id, getattr(a, "index", None))
                  for a in model.agents]
        seekers = list(model.agents_by_type[JobSeeker])
        assert len(seekers) == model.seekers.n
        assert sorted(a.index for a in seekers) == list(range(model.seekers.n))
        assert len({a.unique_id for a in model.agents}) == len(model.agents)
        someone = seekers[-1]  # an agent registered during the run reads its own row
        assert someone.state == model.seekers.state[someone.index]
        assert someone.registered_week == model.seekers.registered_week[someone.index]
        # Mesa's own removal works on bulk-registered agents
        gone = someone.unique_id
        someone.remove()
        assert len(model.agents_by_type[JobSeeker]) == model.seekers.n - 1
        assert gone not in {a.unique_id for a in model.agents}
        return listed
    finally:
        model.release()


def test_bulk_registration_gives_the_same_agents_as_mesas_own_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    bulk = _agents(True, monkeypatch)
    public = _agents(False, monkeypatch)
    assert bulk == public
    assert sum(kind == "JobSeeker" for kind, _, _ in bulk) > 600  # registrations in the run


def test_bulk_registration_is_used_only_on_the_mesa_it_copies() -> None:
    import mesa

    model = mesa.Model(rng=1)
    try:
        expected = mesa.__version__.split(".")[:2] == ["3", "3"]
        assert seekers_module._bulk_registration(model) is expected

        class Watching(mesa.Model):  # a model that overrides registration is never bypassed
            def register_agent(self, agent):
                super().register_agent(agent)

        assert seekers_module._bulk_registration(Watching(rng=1)) is False
    finally:
        getattr(mesa.Agent, "_ids", {}).pop(model, None)


def test_a_released_model_lets_go_of_its_agents_at_once() -> None:
    import gc
    import weakref

    scenario = load_scenario("baseline", overrides={"region": {"job_seekers": 500}})
    model = RegionalLabourMarket(scenario, rng=2)
    model.run(3)
    someone = weakref.ref(next(iter(model.agents_by_type[JobSeeker])))
    was_enabled = gc.isenabled()
    gc.disable()  # freed by reference counting, not by the collector
    try:
        model.release()
        assert someone() is None or not seekers_module._bulk_registration(model)
    finally:
        if was_enabled:
            gc.enable()


def test_weak_agent_sets_filled_in_bulk_forget_an_agent_when_it_goes() -> None:
    import gc
    import weakref

    class Thing:
        pass

    things = [Thing() for _ in range(5)]
    plain, bulk = weakref.WeakKeyDictionary(), weakref.WeakKeyDictionary()
    plain.update(dict.fromkeys(things))
    seekers_module._add_weakly(bulk, things)
    assert list(bulk) == list(plain) == things
    del things[2]
    gc.collect()
    assert list(bulk) == list(plain) and len(bulk) == 4  # the dictionary's own callback ran
