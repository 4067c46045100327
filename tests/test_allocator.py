"""The allocator's thresholds (``engine.allocator``): raised once, only where they may be, and
without effect on results."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap

import pytest

CHILD = textwrap.dedent("""
    import hashlib, json
    from simulation.engine.allocator import keep_freed_memory
    from simulation.engine.model import RegionalLabourMarket
    from simulation.params.loading import load_scenario
    scenario = load_scenario("pirkanmaa", overrides={"region": {"job_seekers": 2500}})
    model = RegionalLabourMarket(scenario, rng=9)
    model.run(30)
    digest = hashlib.sha256(model.seekers.view("state").tobytes()
                            + model.seekers.view("benefit_days").tobytes()
                            + repr(sorted(model.ledger._rows.items())).encode()).hexdigest()
    print(json.dumps({"tuned": keep_freed_memory(), "digest": digest}))
""")


def _child(**env: str) -> dict:
    out = subprocess.run([sys.executable, "-c", CHILD], capture_output=True, text=True,
                         check=True, env={**os.environ, **env})
    return json.loads(out.stdout.strip().splitlines()[-1])


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="glibc's mallopt")
def test_the_thresholds_change_where_memory_comes_from_not_the_results() -> None:
    tuned = _child()
    untouched = _child(MALLOC_TRIM_THRESHOLD_="131072")  # the user's own setting wins
    assert tuned["tuned"] is True
    assert untouched["tuned"] is False
    assert tuned["digest"] == untouched["digest"]


def test_raising_the_thresholds_is_done_once() -> None:
    from simulation.engine.allocator import keep_freed_memory

    first = keep_freed_memory()
    assert keep_freed_memory() is first
