"""Job seekers in Mesa's agent registry: every row of the job-seeker table is a ``JobSeeker``.

Mesa 3.3 registers an agent in three places (the model's dict and two weak-keyed agent sets)
after taking an id from the model's counter. A run registers tens to hundreds of thousands of
job seekers and nothing in a run asks Mesa for them, so on Mesa 3.3 a new batch takes its ids
when it registers (the same ids, in the same order, as one by one) and its agents are made and
registered the first time anyone reads the registry: ``model.agents`` and the job seekers'
agent set (also one held from earlier: they check before every use), ``agents_by_type``,
``agent_types``. The registry then lists everyone in the order they registered, which is the
order of their ids. A run nobody inspects does not pay for agent objects it never uses (a
fifth of a 107,000-seeker run). Any other Mesa takes the public path: one
``JobSeeker(model, row)`` each, at once.
"""

from __future__ import annotations

import weakref
from collections import defaultdict, deque
from itertools import islice, repeat
from operator import attrgetter

import mesa
import numpy as np
from mesa.agent import AgentSet

from simulation.engine.seekers import JobSeeker

_PENDING = "_seekers_to_register"  # the model's batches waiting: (rows, first id)
_BULK = "_seekers_in_bulk"  # whether this model registers its job seekers in bulk


class SeekerRegistry(mesa.Model):
    """A Mesa model whose waiting job seekers join its agent registry before it is read."""

    def __init__(self, *args, **kwargs) -> None:
        super().__init__(*args, **kwargs)
        if _bulk_registration(self):
            _check_before_use(self._all_agents, self)

    @property
    def agents(self) -> AgentSet:
        register_waiting(self)
        return super().agents

    @property
    def agent_types(self) -> list[type]:
        register_waiting(self)
        return super().agent_types

    @property
    def agents_by_type(self) -> dict[type[mesa.Agent], AgentSet]:
        register_waiting(self)
        return super().agents_by_type

    def remove_all_agents(self) -> None:
        register_waiting(self)
        super().remove_all_agents()


class _CheckedAgentSet(AgentSet):
    """An agent set that registers its model's waiting job seekers before every use (each of
    AgentSet's methods goes through ``_agents``)."""

    @property
    def _agents(self) -> weakref.WeakKeyDictionary:
        model = self.__dict__["_model"]()
        if model is not None:
            register_waiting(model)
        return self.__dict__["_weak_agents"]

    @_agents.setter
    def _agents(self, agents: weakref.WeakKeyDictionary) -> None:
        self.__dict__["_weak_agents"] = agents

    # adding or removing an agent needs no waiting job seekers: they are listed by id when
    # they join (and only a job seeker already made can be removed)
    def add(self, agent: mesa.Agent) -> None:
        self.__dict__["_weak_agents"][agent] = None

    def discard(self, agent: mesa.Agent) -> None:
        self.__dict__["_weak_agents"].pop(agent, None)

    def remove(self, agent: mesa.Agent) -> None:
        del self.__dict__["_weak_agents"][agent]


def _check_before_use(agents: AgentSet, model: mesa.Model) -> AgentSet:
    weak = agents.__dict__.pop("_agents")
    agents.__class__ = _CheckedAgentSet
    agents.__dict__.update(_weak_agents=weak, _model=weakref.ref(model))
    return agents


def _weak(agents: AgentSet) -> weakref.WeakKeyDictionary:
    """An agent set's weak dictionary, without the check (this module fills it)."""
    return agents.__dict__.get("_weak_agents", agents.__dict__.get("_agents"))


def enrol(model: mesa.Model, index: np.ndarray) -> None:
    """Make each new row of the table a Mesa agent, in row order (on Mesa 3.3: take their
    ids now, make the agents when the registry is next read)."""
    if len(index) == 0:
        return
    if not _bulk_registration(model):
        for i in index.tolist():
            JobSeeker(model, i)
        return
    ids = mesa.Agent._ids[model]
    first = next(ids)
    deque(islice(ids, len(index) - 1), maxlen=0)  # the batch's other ids, in C
    model.__dict__.setdefault(_PENDING, []).append((index, first))


def register_waiting(model: mesa.Model) -> None:
    """Make and register the agents of the batches still waiting, with the ids they took:
    what ``Agent.__init__`` and ``Model.register_agent`` do one by one, done at once."""
    waiting = model.__dict__.get(_PENDING)
    if not waiting:
        return
    model.__dict__[_PENDING] = []
    new = []
    for index, first in waiting:
        for i, uid in zip(index.tolist(), range(first, first + len(index)), strict=True):
            agent = object.__new__(JobSeeker)
            # attribute by attribute: the values stay inline, with no dict object per agent
            agent.model, agent.unique_id, agent.pos, agent.index = model, uid, None, i
            new.append(agent)
    by_type = model._agents_by_type
    if JobSeeker not in by_type:
        by_type[JobSeeker] = _check_before_use(AgentSet([], random=model.random), model)
    _add_weakly(_weak(by_type[JobSeeker]), new)  # after any job seekers registered before
    registry, everyone = model._agents, _weak(model._all_agents)
    if not registry or next(reversed(registry)).unique_id < new[0].unique_id:
        registry.update(dict.fromkeys(new))
        _add_weakly(everyone, new)
        return
    # others registered after these took their ids: list all in the order of their ids, the
    # order in which they registered, and the agent types by their first agent
    in_order = sorted([*registry, *new], key=attrgetter("unique_id"))
    registry.clear()
    registry.update(dict.fromkeys(in_order))
    everyone.data.clear()
    _add_weakly(everyone, in_order)
    types = sorted(by_type.items(), key=lambda kind: min(
        (a.unique_id for a in _weak(kind[1])), default=float("inf")))
    by_type.clear()
    by_type.update(types)


def _add_weakly(agents: weakref.WeakKeyDictionary, new: list[mesa.Agent]) -> None:
    """``agents.update(dict.fromkeys(new))`` with the weak references made in C, not in
    the update's Python loop (the same references, with the dictionary's own callback)."""
    agents.data.update(zip(map(weakref.ref, new, repeat(agents._remove)), repeat(None)))


def disband(model: mesa.Model) -> None:
    """Let go of all of a finished model's agents at once, on Mesa 3.3.

    Agents and model refer to each other, so a model left as it is waits for the cyclic
    collector, which then traverses every agent and its two weak references (about 0.1 s
    for a 36,000-seeker run, paid in every worker after every replication). Emptying the
    model's agent registry frees the agents by reference counting instead. The model has
    no agents afterwards: only for a model that is done. Other Mesa versions: nothing.
    """
    if not _bulk_registration(model):
        return
    model.__dict__.pop(_PENDING, None)
    for agents in model._agents_by_type.values():
        _weak(agents).clear()
    _weak(model._all_agents).clear()
    model._agents.clear()


def _bulk_registration(model: mesa.Model) -> bool:
    """Whether ``enrol`` may register in bulk (and ``disband`` let go in bulk): Mesa 3.3's
    internals, and a model that registers agents no other way than Mesa's (or this
    module's). Found once a model: none of it changes while it runs (and ``enrol`` asks
    every week)."""
    known = model.__dict__.get(_BULK)
    if known is None:
        known = model.__dict__[_BULK] = (
            mesa.__version__.split(".")[:2] == ["3", "3"]
            and isinstance(mesa.Agent.__dict__.get("_ids"), defaultdict)
            and type(model).register_agent in (mesa.Model.register_agent,
                                               SeekerRegistry.register_agent)
            and JobSeeker.__init__ is _JOB_SEEKER_INIT
            and isinstance(model.__dict__.get("_agents"), dict)
            and isinstance(_weak(model._all_agents), weakref.WeakKeyDictionary))
    return known


_JOB_SEEKER_INIT = JobSeeker.__init__
