"""The week as a plan of named phases.

Every weekly step runs these phases in order. In each phase the model's own actions come
first, then those of each optional mechanism (providers, a growth economy and its programme)
that names the phase, in the order the mechanisms were built. ``RegionalLabourMarket``'s
docstring and the README list the same phases; a test holds them to this table.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass


@dataclass(frozen=True)
class Phase:
    name: str
    does: str


PHASES = (
    Phase("services", "service episodes advance to the end of the week (episodes end; waiting "
                      "clients start); completers chosen for a follow-on service are referred"),
    Phase("registration", "new job seekers register; people who come to meet the target-group "
                          "rule join it"),
    Phase("meetings", "coaches meet clients and refer some to services"),
    Phase("providers", "providers take on clients and firms and allocate their staff hours"),
    Phase("vacancies", "firms post vacancies; growth firms' needs, solo entrepreneurs' first-hire "
                       "decisions and a growth programme's levers"),
    Phase("matching", "hiring through the matching function; first hires of solo entrepreneurs; "
                      "the cross-border pool"),
    Phase("exits", "drop-outs, job losses, exits to studies and out of the labour force"),
    Phase("payments", "benefits, purchases, subsidies, staff and taxes into the ledger; "
                      "providers' outcomes, fees, profit, exits and entries"),
    Phase("records", "jobs reaching 3, 6 and 12 months; who was a job seeker this calendar year; "
                     "the weekly metrics"),
    Phase("clocks", "clocks advance; the week's counters start again"),
)
PHASE_NAMES = tuple(phase.name for phase in PHASES)

Action = Callable[[], None]


def plan(core: Mapping[str, Iterable[Action]], mechanisms: Iterable[Mapping[str, Action]]
         ) -> list[tuple[str, list[Action]]]:
    """The week's actions by phase: the model's own first, then each mechanism's."""
    actions = {name: list(core.get(name, ())) for name in PHASE_NAMES}
    for phases in mechanisms:
        for name, action in phases.items():
            if name not in actions:
                raise ValueError(f"unknown phase {name!r}; the week's phases are "
                                 f"{', '.join(PHASE_NAMES)}")
            actions[name].append(action)
    unknown = set(core) - set(PHASE_NAMES)
    if unknown:
        raise ValueError(f"unknown phase(s) {sorted(unknown)}")
    return [(name, actions[name]) for name in PHASE_NAMES]


def describe() -> str:
    """The phases as a numbered list (the model's docstring and the README show it)."""
    return "\n".join(f"{i}. **{p.name}**: {p.does}" for i, p in enumerate(PHASES, start=1))
