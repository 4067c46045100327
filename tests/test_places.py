"""A service's places (``engine/places.py``) behave as SimPy's ``Container`` event for event.

The same script of requests runs against a ``Places`` through ``ask``/``hand_back`` and
against a plain ``Container`` through ``get``/``put`` with a callback appended: requests met
at once, requests that wait behind others, places handed back while requests wait, and
hand-backs made in callbacks while the environment runs. Every callback must fire at the same
time in the same order, the levels and queues must agree after every step, and the
environments must have scheduled as many events.
"""

from __future__ import annotations

import pytest
import simpy
from hypothesis import given, settings
from hypothesis import strategies as st

from simulation.engine.places import Places

CAPACITY = 10

# a step: ("ask", amount, weeks held after it is given) | ("back", amount) | ("run", weeks)
steps = st.lists(st.one_of(
    st.tuples(st.just("ask"), st.integers(1, 6), st.integers(0, 3)),
    st.tuples(st.just("back"), st.integers(1, 4)),
    st.tuples(st.just("run"), st.integers(1, 3)),
), min_size=1, max_size=40)


def play(script: list[tuple], lean: bool) -> list[tuple]:
    env = simpy.Environment()
    pool = (Places if lean else simpy.Container)(env, capacity=CAPACITY, init=CAPACITY // 2)
    held = [0]  # places out with requests and not yet handed back (never above capacity)
    log: list[tuple] = []

    def back(amount: int) -> None:
        if lean:
            pool.hand_back(amount)
        else:
            pool.put(amount)

    def given_(name: int, amount: int, weeks: int, _event: simpy.Event) -> None:
        log.append(("given", name, env.now))
        held[0] += amount

        def done(_timeout: simpy.Event) -> None:
            log.append(("done", name, env.now))
            held[0] -= amount
            back(amount)  # a hand-back from inside a callback, as an episode's end does

        env.timeout(weeks).callbacks.append(done)

    for number, step in enumerate(script):
        if step[0] == "ask":
            _, amount, weeks = step
            callback = lambda event, n=number, a=amount, w=weeks: given_(n, a, w, event)  # noqa: E731
            if lean:
                pool.ask(amount, callback)
            else:
                pool.get(amount).callbacks.append(callback)
        elif step[0] == "back":
            # only what is out can come back, as in the model: never more than the capacity
            amount = min(step[1], CAPACITY - pool.level)
            if amount > 0:
                back(amount)
        else:
            env.run(until=env.now + step[1])
        log.append(("state", number, pool.level, len(pool.get_queue), len(pool.put_queue),
                    len(env._queue)))
    env.run(until=env.now + 10)
    log.append(("end", pool.level, next(env._eid)))
    return log


@settings(max_examples=300, deadline=None)
@given(steps)
def test_places_schedule_as_a_container_does(script: list[tuple]) -> None:
    assert play(script, lean=True) == play(script, lean=False)


def test_a_request_that_cannot_be_met_waits_in_line() -> None:
    env = simpy.Environment()
    pool = Places(env, capacity=4, init=1)
    given_ = []
    pool.ask(3, lambda event: given_.append("first"))
    pool.ask(1, lambda event: given_.append("second"))  # one place is free, but it queues
    env.run(until=1)
    assert given_ == [] and len(pool.get_queue) == 2 and pool.level == 1
    pool.hand_back(3)
    env.run(until=2)
    assert given_ == ["first", "second"] and pool.level == 0


def test_nothing_is_asked_or_handed_back_below_one_place() -> None:
    env = simpy.Environment()
    pool = Places(env, capacity=4, init=4)
    with pytest.raises(ValueError):
        pool.ask(0, lambda event: None)
    with pytest.raises(ValueError):
        pool.hand_back(0)
