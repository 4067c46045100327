"""Run identity: what determines a run's output, hashed into its stable run id.

The id leaves out the scenario name (two names for identical content share their runs) and
everything else that does not change the numbers, so a rerun of a sweep finds its runs again.
"""

from __future__ import annotations

import hashlib
import json
import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

_SPAWN_KEY = re.compile(r"^\d+(,\d+)*$")


def spawn_key_text(spawn_key: Sequence[int] | int | str) -> str:
    """The spawn key as registry text: ``(3, 0)`` -> ``'3,0'``."""
    if isinstance(spawn_key, str):
        text = spawn_key.replace(" ", "")
    elif isinstance(spawn_key, int):
        text = str(spawn_key)
    else:
        text = ",".join(str(int(part)) for part in spawn_key)
    if not _SPAWN_KEY.match(text):
        raise ValueError(f"spawn key {spawn_key!r} is not a sequence of non-negative integers")
    return text


def make_run_id(*, scenario_hash: str, entropy: int, spawn_key: Sequence[int] | int | str,
                weeks: int, code_version: str) -> str:
    """Stable id of one replication: the same request always maps to the same id."""
    identity = [scenario_hash, str(int(entropy)), spawn_key_text(spawn_key), int(weeks),
                code_version]
    return hashlib.sha256(json.dumps(identity).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class RunMeta:
    """What the coordinator knows about a run before it starts; its id is derived, not given."""

    scenario: str
    scenario_hash: str
    parameters: Mapping[str, Any]
    entropy: int
    spawn_key: Sequence[int] | int | str
    replication: int
    weeks: int
    code_version: str
    batch: str | None = None
    tags: Mapping[str, Any] = field(default_factory=dict)

    @property
    def run_id(self) -> str:
        return make_run_id(scenario_hash=self.scenario_hash, entropy=self.entropy,
                           spawn_key=self.spawn_key, weeks=self.weeks,
                           code_version=self.code_version)
