"""Employment services on SimPy: places, waiting lists, episodes.

Each service has a pool of places (a ``simpy.Container``: ``places.Places``); a target-group
intervention may add a pool of places reserved for its clients. Referred job
seekers queue in first-come order. One episode carries a whole cohort (an index
array): it asks its pool for places (a SimPy get), starts those still waiting once
it has them, holds the places for the service's duration (a timeout) and then
completes those still in it. Drop-outs and job finds during a service are drawn
weekly on arrays by the model, which hands their places back here. So an episode
costs at most two events however many people it carries.

The episode's steps are its events' callbacks, not a generator process: a process
would add two more events (its start and its end) and a resume to each of the twenty
or so episodes of a week. The order of everything is a process's: an episode opened
during a week asks for its places as the environment next runs, before anything else
happens then, in the order the episodes were opened. Episodes that end at the same
time share one timeout, which ends them in the order they started; they hand their
places back once per pool. Who of a cohort still waits, or is still in its service, is
checked for many cohorts in one pass: nothing in a run changes anyone's row
(tests/test_service_episodes.py holds all this to one event per episode).
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from itertools import accumulate
from typing import TYPE_CHECKING

import numpy as np
import simpy

from simulation.engine.places import Places
from simulation.engine.seekers import (
    IN_SERVICE,
    NO_ONE,
    SUBSIDISED,
    UNEMPLOYED,
    JobSeekers,
    in_states,
)
from simulation.params.schema import SERVICE_NAMES, Scenario, Service

if TYPE_CHECKING:
    from simulation.engine.clock import Clock
    from simulation.engine.metrics import WeeklyMetrics

# what happens when episodes end: (the cohorts still in them, their services), in the order
# the episodes ended
Completion = Callable[[list[np.ndarray], list[Service]], None]

COHORTS_PER_CAPACITY = 20  # a cohort holds at most 1/20 of a pool, so queues stay fair
_NO_ROOM = np.zeros(1, dtype=np.int64)


def service_array(scenario: Scenario, field: str, default: float) -> np.ndarray:
    """A service attribute by service id; the last entry serves id -1 (no service)."""
    values = [getattr(scenario.services[n], field) if n in scenario.services else default
              for n in SERVICE_NAMES]
    return np.array([*values, default])


@dataclass
class PlacePool:
    """A service's places, shared by everyone or reserved for the target group."""
    service_id: int
    service: Service
    places: Places
    reserved: bool
    cohort_size: int
    payer_shares: tuple[float, float, float]


class ServiceCatalogue:
    """All service pools of a region, and the episodes running in them."""

    def __init__(self, scenario: Scenario, env: simpy.Environment, seekers: JobSeekers,
                 clock: Clock, metrics: WeeklyMetrics, on_complete: Completion) -> None:
        self.env, self.seekers, self.clock, self.metrics = env, seekers, clock, metrics
        self.scenario = scenario
        self._by_service: dict[tuple[str, float], np.ndarray] = {}
        self.on_complete = on_complete
        seekers_k = scenario.region.job_seekers / 1000.0
        self.names = list(SERVICE_NAMES)
        self.pools: list[PlacePool] = []
        self.shared_pool = np.full(len(self.names), NO_ONE, dtype=np.int32)
        self.reserved_pool = np.full(len(self.names), NO_ONE, dtype=np.int32)
        # waiting-list lengths by pool, kept up to date on every join and leave
        # (a recount over all seekers per referral was the hot path at 300k)
        self.waiting_count = np.zeros(0, dtype=np.int64)
        self.pool_capacity = np.zeros(0, dtype=np.float64)  # places, for the room arithmetic
        # by pool: a place's weekly price and who pays it (rows of state, municipality, other)
        self.pool_cost = np.zeros(0, dtype=np.float64)
        self.pool_payer_shares = np.zeros((0, 3), dtype=np.float64)
        # by pool: the state its people are in, and its service id
        self.pool_state = np.zeros(0, dtype=np.int8)
        self.pool_service = np.zeros(0, dtype=np.int8)
        # cohorts given places during this run of the environment, seated together after it
        self._admitted_cohorts: list[np.ndarray] = []
        self._admitted_pools: list[int] = []
        # episodes opened since it last ran, which ask for their places when it next runs
        self._opened: list[tuple[int, int, np.ndarray, bool, int | None]] = []
        # cohorts whose episodes ended during it, and their services, completed after it
        self._completed_cohorts: list[np.ndarray] = []
        self._completed_services: list[Service] = []
        # episodes that end at a time, by that time, in the order they started
        self._ending: dict[int, list[tuple[PlacePool, int, np.ndarray]]] = {}
        self._runs = 0  # runs of the environment so far (checks made before a run are its)
        funding = scenario.interventions.service_funding
        for sid, name in enumerate(self.names):
            service = scenario.services.get(name)
            if service is None:
                continue
            capacity = round(service.places_per_1000 * seekers_k)
            if capacity > 0:
                self.shared_pool[sid] = self.add_pool(sid, service, capacity, False,
                                                       tuple(service.payer_shares))
            if funding and funding.extra_places_share > 0 and (
                    funding.services is None or name in funding.services):
                extra = round(service.places_per_1000 * seekers_k * funding.extra_places_share)
                if extra > 0:
                    self.reserved_pool[sid] = self.add_pool(sid, service, extra, True,
                                                             tuple(funding.payer_shares))
        # (the reserved pools are the intervention's, all made here)
        self.no_reserved_places = bool((self.reserved_pool < 0).all())
        self.queue_share = scenario.public_office.max_queue_share
        # episode id -> pool index, grown by doubling (looked up on every payment)
        self._episode_pool = np.zeros(1024, dtype=np.int64)
        self.n_episodes = 0
        self.admitted = np.zeros(2, dtype=np.int64)       # this week: [other, target]
        self.wait_weeks = np.zeros(2, dtype=np.float64)
        # this week's episode starts by scope and service, however the place was got
        # (waiting list, programme intake); people already in a service at the start are not
        # starts
        self.starts = np.zeros((2, len(self.names)), dtype=np.int64)

    def by_service(self, field: str, default: float) -> np.ndarray:
        """A service attribute by service id, the last entry for id -1 (no service); made
        once a run (a week asks for the lock-in and the drop-out rates)."""
        values = self._by_service.get((field, default))
        if values is None:
            values = self._by_service[field, default] = service_array(self.scenario, field,
                                                                      default)
        return values

    def add_pool(self, sid: int, service: Service, capacity: int, reserved: bool,
                 payer_shares: tuple[float, float, float]) -> int:
        """A new pool of places for service ``sid``; returns its pool id."""
        container = Places(self.env, capacity=capacity, init=capacity)
        cohort = max(1, math.ceil(capacity / COHORTS_PER_CAPACITY))
        self.pools.append(PlacePool(sid, service, container, reserved, cohort, payer_shares))
        self.waiting_count = np.append(self.waiting_count, 0)
        self.pool_capacity = np.append(self.pool_capacity, float(capacity))
        self.pool_cost = np.append(self.pool_cost, float(service.cost_per_week_eur))
        self.pool_payer_shares = np.vstack([self.pool_payer_shares, payer_shares])
        self.pool_state = np.append(self.pool_state, np.int8(
            IN_SERVICE if service.kind == "service" else SUBSIDISED))
        self.pool_service = np.append(self.pool_service, np.int8(sid))
        return len(self.pools) - 1

    def room(self, target: bool, pool_room: np.ndarray | None = None) -> np.ndarray:
        """Referrals each service can still take this week, for one group.

        Offices refer within their budget: a pool takes referrals while its
        waiting list is shorter than ``queue_share`` of its places plus the
        places free now. The target group may use its reserved places and the
        shared ones. ``pool_room``: :meth:`pool_room` if already known.
        """
        pools = self.pool_room() if pool_room is None else pool_room
        room = np.concatenate((pools, _NO_ROOM))  # a service without such a pool (-1): none
        by_service = room[self.shared_pool]
        return by_service + room[self.reserved_pool] if target else by_service

    def pool_room(self) -> np.ndarray:
        """Referrals each pool can still take: its share of places plus the free ones, less
        its waiting list (never below zero)."""
        levels = np.array([pool.places.level for pool in self.pools], dtype=np.float64)
        # int() of a positive float is its floor, as astype(int64) is
        limit = (self.queue_share * self.pool_capacity + levels).astype(np.int64)
        return np.maximum(0, limit - self.waiting_count)

    def pools_for(self, service_id: np.ndarray, target: np.ndarray,
                  pool_room: np.ndarray | None = None) -> np.ndarray:
        """The pool each referral joins: reserved places first (target group), then shared."""
        pool = self.shared_pool[service_id].astype(np.int64)
        if self.no_reserved_places or not target.any():
            return pool
        room = self.pool_room() if pool_room is None else pool_room
        for sid in np.unique(service_id[target]):
            reserved = self.reserved_pool[sid]
            if reserved < 0:
                continue
            members = (target & (service_id == sid)).nonzero()[0]
            pool[members[:room[reserved]]] = reserved
        return pool

    def recount_waiting(self) -> np.ndarray:
        """Waiting-list lengths by pool counted from the seekers (checks ``waiting_count``)."""
        waiting = (self.seekers.view("waiting_service") >= 0).nonzero()[0]
        return np.bincount(self.pool_of(waiting), minlength=len(self.pools))

    def _unwait(self, index: np.ndarray) -> None:
        """Take those of ``index`` who are on a waiting list off its count."""
        on_list = index[self.seekers.waiting_service[index] >= 0]
        if len(on_list):
            self.waiting_count -= np.bincount(self.pool_of(on_list), minlength=len(self.pools))

    def capacity(self) -> int:
        return sum(p.places.capacity for p in self.pools)

    # -- referral and episodes -------------------------------------------------------

    def advance(self, week: int) -> None:
        """Run the episodes up to ``week``. Those given places then take them and those whose
        episodes ended complete them, each group at once: between admission and seating, or
        an episode's end and its completion, nothing in the run reads or writes these
        people's rows (each cohort's episode reads only its own), and the completions draw in
        the order the episodes ended."""
        opened, self._opened = self._opened, []
        self._runs += 1
        checks = self._still_waiting(opened)
        for (pool_id, episode, cohort, waiting, duration), check in zip(opened, checks,
                                                                         strict=True):
            self.pools[pool_id].places.ask(len(cohort), partial(
                self._placed, pool_id, episode, cohort, waiting, duration, check))
        self.env.run(until=week)
        self._seat()
        if self._completed_cohorts:
            cohorts, services = self._completed_cohorts, self._completed_services
            self._completed_cohorts, self._completed_services = [], []
            self.on_complete(cohorts, services)

    def refer(self, index: np.ndarray, service_id: np.ndarray,
              pool_room: np.ndarray | None = None) -> None:
        """Put referred job seekers on the waiting lists of their services (``pool_room``:
        :meth:`pool_room` if known and nothing has changed since)."""
        seekers = self.seekers
        week = self.clock.week
        pool = self.pools_for(service_id, seekers.target[index], pool_room)
        self._unwait(index)
        counts = np.bincount(pool, minlength=len(self.pools))
        self.waiting_count += counts
        seekers.waiting_service[index] = service_id
        seekers.waiting_since[index] = week
        # by pool in pool order, each pool's in their order here, in cohorts of its size
        members = index[np.argsort(pool, kind="stable")]
        cohorts: list[tuple[int, np.ndarray]] = []
        start = 0
        for pool_id in counts.nonzero()[0].tolist():
            end = start + int(counts[pool_id])
            size = self.pools[pool_id].cohort_size
            cohorts.extend((pool_id, members[first:min(first + size, end)])
                           for first in range(start, end, size))
            start = end
        episodes = self._new_episodes([pool_id for pool_id, _ in cohorts])
        seekers.episode[members] = np.repeat(episodes, [len(cohort) for _, cohort in cohorts])
        self._opened.extend((pool_id, episode, cohort, True, None)
                            for (pool_id, cohort), episode in zip(cohorts, episodes.tolist(),
                                                                  strict=True))

    def start_initial(self, index: np.ndarray, service_id: int, remaining: np.ndarray) -> None:
        """Job seekers already in a service when the run starts, by remaining weeks."""
        pool_id = int(self.shared_pool[service_id])
        self.begin(index, pool_id, served=False)
        for weeks in np.unique(remaining):
            cohort = index[remaining == weeks]
            episode = self._new_episode(pool_id)
            self.seekers.episode[cohort] = episode
            self._opened.append((pool_id, episode, cohort, False, int(weeks)))

    def start_episode(self, pool_id: int, cohort: np.ndarray, weeks: int) -> None:
        """A programme's cohort starts at once, without a waiting list, for ``weeks``."""
        self.metrics.count_exits_to_services(cohort)
        self.begin(cohort, pool_id)
        episode = self._new_episode(pool_id)
        self.seekers.episode[cohort] = episode
        self._opened.append((pool_id, episode, cohort, False, weeks))

    def _new_episode(self, pool_id: int) -> int:
        self._room_for(1)
        self._episode_pool[self.n_episodes] = pool_id
        self.n_episodes += 1
        return self.n_episodes - 1

    def _new_episodes(self, pools: list[int]) -> np.ndarray:
        """Numbers for new episodes in these pools, one each, in order."""
        first, n = self.n_episodes, len(pools)
        self._room_for(n)
        self._episode_pool[first:first + n] = pools
        self.n_episodes += n
        return np.arange(first, first + n)

    def _room_for(self, n: int) -> None:
        while self.n_episodes + n > len(self._episode_pool):
            self._episode_pool = np.concatenate([self._episode_pool,
                                                 np.zeros_like(self._episode_pool)])

    @property
    def episode_pool(self) -> np.ndarray:
        """Pool index of each episode started so far."""
        return self._episode_pool[: self.n_episodes]

    def _still_waiting(self, opened: list[tuple[int, int, np.ndarray, bool, int | None]]
                       ) -> list[tuple[int, np.ndarray, int] | None]:
        """For each episode about to ask for places from a waiting list: who of its cohort
        still waits for it now, and how many (``None`` for the others). All at once: the
        episodes given places in this run of the environment read the same rows then."""
        waiting = [(episode, cohort) for _, episode, cohort, waits, _ in opened if waits]
        if not waiting:
            return [None] * len(opened)
        still, starts = self._still_in(waiting, UNEMPLOYED)
        kept = np.add.reduceat(still.view(np.int8), starts[:-1], dtype=np.int64).tolist()
        parts = iter([(self._runs, still[start:end], n) for start, end, n
                      in zip(starts[:-1], starts[1:], kept, strict=True)])
        return [next(parts) if waits else None for _, _, _, waits, _ in opened]

    def _still_in(self, cohorts: list[tuple[int, np.ndarray]], *states: int
                  ) -> tuple[np.ndarray, list[int]]:
        """Who of each (episode, cohort) is still in that episode and in one of ``states``,
        for all cohorts in one pass: a mask over the cohorts one after another, and where
        each cohort's part begins (and the last ends)."""
        seekers = self.seekers
        sizes = [len(cohort) for _, cohort in cohorts]
        index = cohorts[0][1] if len(cohorts) == 1 else np.concatenate(
            [cohort for _, cohort in cohorts])
        episodes = np.repeat(np.array([episode for episode, _ in cohorts], dtype=np.int64),
                             sizes)
        still = (seekers.episode[index] == episodes) & in_states(seekers.state[index], *states)
        return still, list(accumulate(sizes, initial=0))

    def _placed(self, pool_id: int, episode: int, cohort: np.ndarray, waiting: bool,
                duration: int | None, check: tuple[int, np.ndarray, int] | None,
                _request: simpy.Event) -> None:
        """An episode has its places: those still waiting start (the rest hand theirs back)
        and it ends after its weeks. ``check``: who of the cohort still waited, and how many,
        as this run of the environment began (an episode given places in a later run checks
        again)."""
        pool = self.pools[pool_id]
        if waiting:
            if check is not None and check[0] == self._runs:
                _, still, kept = check
            else:
                seekers = self.seekers
                still = ((seekers.episode[cohort] == episode)
                         & (seekers.state[cohort] == UNEMPLOYED))
                kept = int(np.count_nonzero(still))
            if kept < len(cohort):
                pool.places.hand_back(len(cohort) - kept)
                if kept == 0:
                    return
                cohort = cohort[still]
            self._admit(cohort, pool_id)
        weeks = duration if duration is not None else pool.service.duration_weeks
        if weeks == 0:  # (the schema allows no such service) ends at once
            if waiting:
                self._seat()
                self._runs += 1  # rows changed: later episodes of this run check again
            self.env.timeout(0).callbacks.append(partial(self._end, [(pool, episode, cohort)]))
            return
        end = self.env.now + weeks
        ending = self._ending.get(end)
        if ending is None:
            ending = self._ending[end] = []
            self.env.timeout(weeks).callbacks.append(partial(self._end_at, end))
        ending.append((pool, episode, cohort))

    def _end_at(self, end: int, _timeout: simpy.Event) -> None:
        """The episodes whose weeks are over at ``end`` end, in the order they started.

        One timeout serves them all: timeouts are the only events made ahead of their time,
        so those due at one time are the first events processed then, one after another in
        the order they were made, before anything made at that time. One event ending the
        episodes in that order does the same."""
        self._end(self._ending.pop(end))

    def _end(self, ending: list[tuple[PlacePool, int, np.ndarray]],
             _timeout: simpy.Event | None = None) -> None:
        """Episodes are over: those still in each hand back their places and complete it
        after this run of the environment. Each cohort is checked on its own rows, which
        nothing in the run changes: so all at once."""
        still, starts = self._still_in([(episode, cohort) for _, episode, cohort in ending],
                                       IN_SERVICE, SUBSIDISED)
        # places back by pool, one hand-back each in the order the pools first come: a
        # hand-back frees its places at once and serves those waiting when processed, and
        # between these no event is processed, so a second one to the same pool would find
        # its waiting list as the first left it
        back: dict[Places, int] = {}
        for (pool, _, cohort), start, end in zip(ending, starts[:-1], starts[1:], strict=True):
            members = cohort[still[start:end]]
            if len(members):
                back[pool.places] = back.get(pool.places, 0) + len(members)
                self._completed_cohorts.append(members)
                self._completed_services.append(pool.service)
        for places, count in back.items():
            places.hand_back(count)

    def _admit(self, cohort: np.ndarray, pool_id: int) -> None:
        """A waiting cohort (all unemployed, all on this pool's list) has its places; it takes
        them in :meth:`_seat`, with the others admitted in the same run of the environment
        (and leave its list's count there: nothing in the run reads the counts)."""
        self._admitted_cohorts.append(cohort)
        self._admitted_pools.append(pool_id)

    def _seat(self) -> None:
        """The admitted cohorts start their services, all at once: the same counts and rows
        as cohort by cohort (sums of whole numbers, each person in one cohort)."""
        cohorts, pools = self._admitted_cohorts, self._admitted_pools
        if not cohorts:
            return
        self._admitted_cohorts, self._admitted_pools = [], []
        seekers = self.seekers
        index = cohorts[0] if len(cohorts) == 1 else np.concatenate(cohorts)
        pool = np.repeat(np.array(pools, dtype=np.intp), [len(c) for c in cohorts])
        self.waiting_count -= np.bincount(pool, minlength=len(self.pools))  # all were on these
        n = len(index)
        waits = self.clock.week - seekers.waiting_since[index]
        in_target = seekers.target[index]
        # by scope [other, target]; the weeks are whole numbers, so other = all - target exactly
        n_target = int(np.count_nonzero(in_target))
        target_wait = int(waits[in_target].sum()) if n_target else 0
        self.admitted[0] += n - n_target
        self.admitted[1] += n_target
        self.wait_weeks[0] += float(int(waits.sum()) - target_wait)
        self.wait_weeks[1] += float(target_wait)
        self.metrics.count_exits_to_services(index, unemployed=True)
        self._start(index, pool, True, in_target)

    def begin(self, cohort: np.ndarray, pool_id: int, served: bool = True) -> None:
        """``cohort`` starts in pool ``pool_id`` (off whatever waiting list they were on)."""
        self._unwait(cohort)
        self._start(cohort, np.full(len(cohort), pool_id, dtype=np.intp), served,
                    self.seekers.target[cohort])

    def _start(self, index: np.ndarray, pool: np.ndarray, served: bool,
               in_target: np.ndarray) -> None:
        """``index`` start in their pools (``pool``, one each); ``served``: counted as this
        week's starts, by service and scope."""
        seekers = self.seekers
        service = self.pool_service.take(pool)
        seekers.state[index] = self.pool_state.take(pool)
        seekers.service[index] = service
        seekers.waiting_service[index] = NO_ONE
        seekers.served[index] = served
        seekers.spell_weeks[index] = 0  # a service interrupts the registered spell
        if served:
            n_services = self.starts.shape[1]
            self.starts += np.bincount(service + n_services * in_target,
                                       minlength=2 * n_services).reshape(self.starts.shape)

    def release(self, index: np.ndarray) -> None:
        """Hand back the places of people leaving a service early (drop-out, job)."""
        if len(index) == 0:
            return
        counts = np.bincount(self.pool_of(index), minlength=len(self.pools))
        for pool_id in counts.nonzero()[0].tolist():  # in pool order, as before
            self.pools[pool_id].places.hand_back(int(counts[pool_id]))
        self.seekers.episode[index] = NO_ONE
        self.seekers.service[index] = NO_ONE

    def leave_waiting_list(self, index: np.ndarray) -> None:
        """People who found work or left while waiting give up their queue place."""
        self._unwait(index)
        self.seekers.waiting_service[index] = NO_ONE
        self.seekers.episode[index] = NO_ONE

    def week_counters(self) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """This week's admissions, waiting weeks and starts by service, by scope."""
        return self.admitted, self.wait_weeks, self.starts

    def new_week(self) -> None:
        """The week's counters start again from zero."""
        self.admitted[:] = 0
        self.wait_weeks[:] = 0
        self.starts[:] = 0

    def pool_of(self, index: np.ndarray) -> np.ndarray:
        """The pool of each listed seeker's current episode (each must have one)."""
        return self.episode_pool[self.seekers.episode[index]]
