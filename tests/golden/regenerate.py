"""Rewrite the golden files: ``python tests/golden/regenerate.py [CASE ...]``.

Only after a change that alters results on purpose; commit the new files with the change and
say in the message why the results moved.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[2]))
sys.path.insert(0, str(Path(__file__).resolve().parent))

from cases import CASES, COMPARISONS, compute, write  # noqa: E402


def main(names: list[str]) -> None:
    for name, data in compute(names or [*CASES, *COMPARISONS]).items():
        write(name, data)
        print(f"wrote tests/golden/{name}.json")


if __name__ == "__main__":
    main(sys.argv[1:])
