"""The scenario picker: pilots grouped by kind under their titles, baselines apart.

The kind is read from what a scenario does (its interventions and firm side), not from a list
kept here, so a new scenario file lands in the right group. The dropdown has no option groups,
so each group opens with a disabled heading entry.
"""

from __future__ import annotations

from dashboards.levers import library_scenario, scenario_names

KINDS = (
    ("municipal", "Municipal employment experiments (coaching, 2017–2018)"),
    ("growth", "Growth-service pilots (outcome-based procurement, firm side)"),
    ("other", "Other designs (outsourcing, jobs programmes)"),
    ("baseline", "Baselines: business as usual"),
)


def kind_of(name: str) -> str:
    scenario = library_scenario(name)
    i = scenario.interventions
    if name.startswith("baseline") or scenario.title.lower().startswith("baseline"):
        return "baseline"
    if i.coaching is not None:
        return "municipal"
    if i.procurement is not None and scenario.growth is not None:
        return "growth"
    return "other"


def _label(name: str) -> str:
    title = library_scenario(name).title
    return f"{title} ({name})"


def grouped_options() -> list[dict[str, object]]:
    """Dropdown options: a disabled heading per kind, then its scenarios by title."""
    by_kind: dict[str, list[str]] = {}
    for name in scenario_names():
        by_kind.setdefault(kind_of(name), []).append(name)
    out: list[dict[str, object]] = []
    for kind, heading in KINDS:
        names = sorted(by_kind.get(kind, []), key=lambda n: library_scenario(n).title)
        if not names:
            continue
        out.append({"label": f"— {heading} —", "value": f"__heading_{kind}",
                    "disabled": True})
        out += [{"label": _label(n), "value": n, "search": f"{n} {library_scenario(n).title}"}
                for n in names]
    return out
