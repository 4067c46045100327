"""A service's places: SimPy's ``Container``, with its two everyday requests made directly.

A week opens some twenty episodes and hands back as many lots of places; through
``Container.get``/``put`` each request builds a bound event class, queues itself and walks
the queue to find itself the only one there. :meth:`Places.ask` and :meth:`Places.hand_back`
do what those calls do when nothing waits ahead (the level changes at once; one event,
succeeded, scheduled now, with the same callbacks in the same order) and call SimPy's own
path otherwise, so every event is scheduled at the same moment and in the same order as
before (tests/test_places.py checks event for event against ``Container``).
"""

from __future__ import annotations

from collections.abc import Callable

import simpy
from simpy.events import Event


class Places(simpy.Container):
    def ask(self, amount: int, then: Callable[[Event], None]) -> Event:
        """``get(amount)`` with ``then`` called once the places are given."""
        if amount > 0 and not self.get_queue and self._level >= amount:
            self._level -= amount
            event = self._granted(self._trigger_put)
        else:
            event = self.get(amount)
        event.callbacks.append(then)
        return event

    def hand_back(self, amount: int) -> Event:
        """``put(amount)``: the places are free at once; waiting requests are served when
        the returned event is processed, as SimPy does."""
        if amount > 0 and not self.put_queue and self._capacity - self._level >= amount:
            self._level += amount
            return self._granted(self._trigger_get)
        return self.put(amount)

    def _granted(self, trigger: Callable[[Event], None]) -> Event:
        # what Get/Put.__init__ and Event.succeed leave behind for a request met at once
        event = Event(self._env)
        event.callbacks.append(trigger)
        event._ok = True
        event._value = None
        self._env.schedule(event)
        return event
