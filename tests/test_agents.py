"""Job seekers are Mesa agents: ``model.agents`` tells the truth however they were registered.

``registry.enrol`` takes new job seekers' ids at once on Mesa 3.3 and makes and registers
their agents in bulk when the registry is next read (or another agent registers); otherwise
one by one through Mesa's public path. Both must leave the model with the same agents, ids
and order.
"""

from __future__ import annotations

import mesa
import pytest

from simulation.engine import registry
from simulation.engine.model import RegionalLabourMarket
from simulation.engine.seekers import JobSeeker
from simulation.params.loading import load_scenario


def _agents(bulk: bool, monkeypatch: pytest.MonkeyPatch) -> list[tuple]:
    monkeypatch.setattr(registry, "_bulk_registration", lambda model: bulk)
    scenario = load_scenario("pirkanmaa", overrides={"region": {"job_seekers": 600}})
    model = RegionalLabourMarket(scenario, rng=5)
    try:
        model.run(6)  # new job seekers register every week
        mesa.Agent(model)  # another agent registers after them, and more seekers after it
        model.run(6)
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


MESA_3_3 = mesa.__version__.split(".")[:2] == ["3", "3"]


def test_job_seekers_are_agents_on_mesas_own_path(monkeypatch: pytest.MonkeyPatch) -> None:
    public = _agents(False, monkeypatch)
    assert sum(kind == "JobSeeker" for kind, _, _ in public) > 600  # registrations in the run


@pytest.mark.skipif(not MESA_3_3, reason="bulk registration copies Mesa 3.3's internals; "
                    "any other Mesa takes the public path (tested above)")
def test_bulk_registration_gives_the_same_agents_as_mesas_own_path(
        monkeypatch: pytest.MonkeyPatch) -> None:
    bulk = _agents(True, monkeypatch)
    public = _agents(False, monkeypatch)
    assert bulk == public


def test_bulk_registration_is_used_only_on_the_mesa_it_copies() -> None:
    import mesa

    model = mesa.Model(rng=1)
    try:
        assert registry._bulk_registration(model) is MESA_3_3

        class Watching(mesa.Model):  # a model that overrides registration is never bypassed
            def register_agent(self, agent):
                super().register_agent(agent)

        assert registry._bulk_registration(Watching(rng=1)) is False
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
        assert someone() is None or not registry._bulk_registration(model)
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
    registry._add_weakly(bulk, things)
    assert list(bulk) == list(plain) == things
    del things[2]
    gc.collect()
    assert list(bulk) == list(plain) and len(bulk) == 4  # the dictionary's own callback ran


def test_job_seekers_join_the_registry_when_it_is_read() -> None:
    """On Mesa 3.3 a run that nobody inspects makes no job-seeker objects; the first read
    of the registry makes all of them, with the ids they took when they registered."""
    import gc

    scenario = load_scenario("baseline", overrides={"region": {"job_seekers": 400}})
    model = RegionalLabourMarket(scenario, rng=4)
    try:
        model.run(4)
        if not registry._bulk_registration(model):
            pytest.skip("another Mesa: job seekers register one by one")
        made = sum(isinstance(o, JobSeeker) for o in gc.get_objects())
        assert made == 0
        later = mesa.Agent(model)  # registering anything lists the waiting seekers first
        seekers = list(model.agents_by_type[JobSeeker])
        assert len(seekers) == model.seekers.n
        assert max(a.unique_id for a in seekers) < later.unique_id
        assert list(model.agents)[-1] is later
    finally:
        model.release()


def test_an_agent_set_held_across_weeks_stays_true() -> None:
    """Agent sets read before new job seekers registered list them when read again, as
    Mesa's own live sets do; removing all agents removes the waiting ones too."""
    scenario = load_scenario("baseline", overrides={"region": {"job_seekers": 300}})
    model = RegionalLabourMarket(scenario, rng=6)
    try:
        everyone, seekers = model.agents, model.agents_by_type[JobSeeker]
        others = len(everyone) - len(seekers)
        model.run(5)  # new job seekers register every week
        assert len(seekers) == model.seekers.n > 300
        assert len(everyone) == model.seekers.n + others
        assert sorted(a.index for a in seekers) == list(range(model.seekers.n))
        assert [a.unique_id for a in everyone] == sorted(a.unique_id for a in everyone)
        model.run(1)
        model.remove_all_agents()
        assert len(everyone) == 0 and len(seekers) == 0
    finally:
        model.release()


def test_the_models_scenario_is_its_own_on_a_mesa_with_a_scenario_property(
        monkeypatch: pytest.MonkeyPatch) -> None:
    # Mesa 3.5's Model has a ``scenario`` property: Model.__init__ sets one of Mesa's own,
    # and the setter tells the scenario its model, which a frozen pilotsim Scenario refuses.
    # The same property on this Mesa: the model must still build, run and keep its own.
    def set_scenario(model: mesa.Model, value: object) -> None:
        model.__dict__["_scenario"] = value
        value.model = model

    class MesaScenario:  # mesa.experimental.scenarios.Scenario: takes its model
        model = None

        def __init__(self, rng: object = None) -> None:
            self.rng = rng

    base_init = mesa.Model.__init__

    def init_with_scenario(model: mesa.Model, *args: object, **kwargs: object) -> None:
        base_init(model, *args, **kwargs)
        model.scenario = MesaScenario(kwargs.get("rng"))

    monkeypatch.setattr(mesa.Model, "scenario",
                        property(lambda model: model.__dict__["_scenario"], set_scenario),
                        raising=False)
    monkeypatch.setattr(mesa.Model, "__init__", init_with_scenario)
    scenario = load_scenario("baseline", overrides={"region": {"job_seekers": 300}})
    model = RegionalLabourMarket(scenario, rng=3)
    try:
        assert model.scenario is scenario
        model.run(2)
        assert model.week == 2
    finally:
        model.release()
