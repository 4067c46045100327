"""The dashboard's fair queue (issue 18, item 7): sessions take turns (round-robin, not first
come first served), a job's first replications come back as a first answer before the rest,
and cutting a job into turns changes none of its runs."""

from __future__ import annotations

import threading
import time
from collections import Counter

import pytest

pytest.importorskip("dash")

from dashboards.jobs import JobQueue, QueueFull, Slice  # noqa: E402
from dashboards.levers import build_request, resolve  # noqa: E402


def _resolved(seed: int, replications: int):
    request = build_request({"scenario": "pirkanmaa", "job_seekers": 600, "weeks": 8,
                             "replications": replications, "seed": seed})
    return resolve(request)


def _submit(queue: JobQueue, seed: int, replications: int, session: str):
    resolved = _resolved(seed, replications)
    return queue.submit(resolved.scenario, resolved.baseline, seed=seed,
                        replications=replications, weeks=8, session=session)


class HeldRunner:
    """Stands in for ``execute``: records each batch, waits for a go before each one."""

    def __init__(self) -> None:
        self.batches: list[list] = []
        self.go = threading.Semaphore(0)

    def __call__(self, batch, *, workers, store, on_done):
        self.go.acquire(timeout=20)
        self.batches.append(list(batch))
        for request in batch:
            on_done(request, False)
        return []


def _blocked(queue: JobQueue) -> None:
    """Hold the worker on a first batch of its own, so that what is submitted next waits."""
    _submit(queue, 999, 1, "blocker")
    _until(lambda: len(queue.served) == 1)


def _until(condition, timeout: float = 20.0) -> None:
    deadline = time.monotonic() + timeout
    while not condition():
        assert time.monotonic() < deadline, "timed out"
        time.sleep(0.02)


def test_a_session_with_many_jobs_cannot_starve_another(tmp_path) -> None:
    runner = HeldRunner()
    queue = JobQueue(tmp_path, workers=1, run=runner).start()
    try:
        _blocked(queue)
        greedy = [_submit(queue, seed, 6, "greedy") for seed in range(4)]
        quiet = _submit(queue, 100, 6, "quiet")
        for _ in range(20):
            runner.go.release()
        _until(lambda: all(j.status == "done" for j in [*greedy, quiet]))
    finally:
        queue.stop()
    order = [session for session, _, _ in queue.served]
    # greedy asked for 8 turns (4 jobs x 2 slices) before quiet asked for its 2; quiet gets
    # every second turn while it has work (first come first served would put it last)
    quiet_turns = [i for i, s in enumerate(order) if s == "quiet"]
    assert quiet_turns == [2, 4]
    assert Counter(order) == {"blocker": 1, "greedy": 8, "quiet": 2}
    assert quiet.finished < greedy[1].finished


def test_the_first_replications_come_back_first_and_then_the_rest(tmp_path) -> None:
    runner = HeldRunner()
    queue = JobQueue(tmp_path, workers=1, run=runner).start()
    try:
        _blocked(queue)
        job = _submit(queue, 5, 6, "s")
        runner.go.release()
        assert queue.answer(job) is None
        runner.go.release()
        _until(lambda: queue.answer(job) is not None)
        first = queue.answer(job)
        assert job.status == "running" and first is not job
        assert first.status == "done" and first.replications == job.first_replications
        assert first.scenario_runs == job.scenario_runs[:first.replications]
        assert first.baseline_runs == job.baseline_runs[:first.replications]
        assert queue.get(first.id) is first  # the page can render it like any job
        runner.go.release()
        _until(lambda: job.status == "done")
        assert queue.answer(job) is job
    finally:
        queue.stop()
    assert [len(b) for b in runner.batches] == [2, 4, 8]  # blocker, first answer, the rest


@pytest.mark.parametrize("replications", [1, 2, 5, 7, 20])
def test_turns_cut_a_job_into_its_own_runs_once_each(tmp_path, replications) -> None:
    queue = JobQueue(tmp_path, workers=1, run=HeldRunner())  # never started: nothing runs
    job = _submit(queue, 9, replications, "a")
    again = JobQueue(tmp_path, workers=1, run=HeldRunner())
    other = _submit(again, 9, replications, "b")  # another session, another queue
    pieces: list[Slice] = job.slices()
    assert pieces[0].stop == min(2, replications)
    requests = [r for piece in pieces for r in piece.requests()]
    assert sorted(requests, key=repr) == sorted(job.batch(), key=repr)
    assert len(requests) == len(set(map(repr, requests)))
    assert set().union(*(p.run_ids for p in pieces)) == job.run_ids == other.run_ids
    assert other.scenario_runs == job.scenario_runs  # same seeds whatever the turn


def test_the_page_is_told_its_position_and_a_wait_that_grows_down_the_line(tmp_path) -> None:
    runner = HeldRunner()
    queue = JobQueue(tmp_path, workers=1, run=runner).start()
    try:
        _blocked(queue)
        jobs = [_submit(queue, seed, 4, f"session-{seed}") for seed in range(4)]
        waits = [queue.wait(job) for job in jobs]
        assert [w.position for w in waits] == [1, 2, 3, 4]
        firsts = [w.first_seconds for w in waits]
        assert firsts == sorted(firsts) and firsts[-1] > firsts[0] > 0
        assert all(w.full_seconds > w.first_seconds for w in waits)
        # round-robin: every session's first answer comes before anyone's second slice
        assert max(firsts) < min(w.full_seconds for w in waits)
        for _ in range(20):
            runner.go.release()
        _until(lambda: all(j.status == "done" for j in jobs))
        assert queue.wait(jobs[-1]).position == 0
    finally:
        queue.stop()


def test_one_browser_cannot_take_every_place_in_the_queue(tmp_path) -> None:
    runner = HeldRunner()
    queue = JobQueue(tmp_path, workers=1, run=runner, max_queue=6).start()
    try:
        _blocked(queue)
        assert queue.max_per_session == 4 and queue.room("greedy") == 4
        for seed in range(4):
            _submit(queue, seed, 2, "greedy")
        assert queue.room("greedy") == 0 and queue.room("quiet") == 2
        with pytest.raises(QueueFull, match="already has 4 runs waiting"):
            _submit(queue, 50, 2, "greedy")
        # the same job again is not a new one: it is returned, not refused
        assert _submit(queue, 0, 2, "greedy").session == "greedy"
        _submit(queue, 100, 2, "quiet")
        _submit(queue, 101, 2, "quiet")
        with pytest.raises(QueueFull, match="the run queue is full"):
            _submit(queue, 102, 2, "third")
        for _ in range(30):
            runner.go.release()
        _until(lambda: queue.queued() == 0)
        assert queue.room("greedy") == 4  # done jobs give their places back
    finally:
        queue.stop()
