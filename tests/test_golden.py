"""Golden regression: seeded runs of a handful of scenarios reproduce their pinned outputs.

Any change in behaviour shows here. When a change alters results on purpose, regenerate with
``python tests/golden/regenerate.py`` and say why in the commit message.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).parent / "golden"))

from cases import CASES, COMPARISONS, compute, read  # noqa: E402


@pytest.fixture(scope="module")
def computed() -> dict:
    """Every case and comparison, run once in a child process with numpy's code paths pinned
    (the same fingerprints on any processor)."""
    return compute([*CASES, *COMPARISONS])


@pytest.mark.parametrize("name", list(CASES))
def test_seeded_run_reproduces_its_golden_outputs(name: str, computed: dict) -> None:
    expected = read(name)
    actual = computed[name]
    changed = {key: (expected["summary"].get(key), value)
               for key, value in actual["summary"].items()
               if expected["summary"].get(key) != value}
    missing = sorted(set(expected["summary"]) - set(actual["summary"]))
    assert not changed and not missing, (
        f"{name}: summary differs from tests/golden/{name}.json "
        f"(changed {dict(list(changed.items())[:8])}, missing {missing[:8]}); "
        "if on purpose, run python tests/golden/regenerate.py")
    for table, digest in expected["tables"].items():
        assert actual["tables"][table] == digest, f"{name}: table {table} differs"


@pytest.mark.parametrize("name", list(COMPARISONS))
def test_seeded_comparison_reproduces_its_golden_effects(name: str, computed: dict) -> None:
    expected = read(name)["effects"]
    actual = computed[name]["effects"]
    changed = sorted(k for k in set(expected) | set(actual) if expected.get(k) != actual.get(k))
    assert not changed, (f"{name}: effects differ from tests/golden/{name}.json for {changed[:8]}; "
                         "if on purpose, run python tests/golden/regenerate.py")
