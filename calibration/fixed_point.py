"""Stages 1 and 3 of the calibration: the duration-profile fixed point.

The band profiles, the follow-on referral and the inflow are moved by damped multiplicative
steps towards the Labore exit rates, the activation level and the stock trend (the method of
``calibration/duration_profile.py``).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import numpy as np

from calibration.evaluation import Simulator
from calibration.fitted_file import significant
from calibration.moments import labore_rate, parse_metric, simulated_value
from calibration.targets import Target
from simulation.engine.results import RunResult
from simulation.params.schema import N_BANDS


@dataclass(frozen=True)
class FixedPointTargets:
    work: np.ndarray
    services: np.ndarray
    activation: Target | None
    trend: Target | None


def fixed_point_targets(targets: list[Target]) -> FixedPointTargets | None:
    """The baseline fit rows the fixed point aims at, or None if they are not all there."""
    rows = {(t.metric.name, t.metric.band): t for t in targets
            if t.scenario == "baseline" and t.use == "fit" and t.metric.kind == "labore"
            and t.scope == "region"}
    if not all(("work", b) in rows and ("services", b) in rows for b in range(N_BANDS)):
        return None
    by_text = {t.metric.text: t for t in targets if t.scenario == "baseline" and t.use == "fit"
               and t.scope == "region"}
    return FixedPointTargets(
        np.array([rows["work", b].value for b in range(N_BANDS)]),
        np.array([rows["services", b].value for b in range(N_BANDS)]),
        by_text.get("activation_rate_mean"), by_text.get("unemployed_end_ratio"))


def fixed_point_step(values: dict[str, Any], results: list[RunResult], aims: FixedPointTargets,
                     damping: float) -> tuple[dict[str, Any], str]:
    """One damped update of the profiles (calibration/duration_profile.py's rule)."""
    work = np.array([labore_rate(parse_metric(f"monthly_to_work[{b}]"), results)
                     for b in range(N_BANDS)])
    services = np.array([labore_rate(parse_metric(f"monthly_to_services[{b}]"), results)
                         for b in range(N_BANDS)])
    hazard = np.array(values["labour_market.work_hazard_by_band"])
    referral = np.array(values["public_office.referral_by_band"])
    follow_on = float(values["public_office.follow_on_referral"])
    inflow = float(values["flows.inflow_per_week"])
    # a band with no exits (tiny populations) keeps its value rather than exploding
    with np.errstate(divide="ignore", invalid="ignore"):
        work_ratio = np.where(work > 0, aims.work / work, 1.0)
        services_ratio = np.where(services > 0, aims.services / services, 1.0)
    hazard = np.clip(hazard * work_ratio ** damping, 1e-5, 1.0)
    referral = np.clip(referral * services_ratio ** damping, 1e-4, 1.0)
    note = (f"worst relative error to work {np.abs(work / aims.work - 1).max():.1%}, "
            f"to services {np.abs(services / aims.services - 1).max():.1%}")
    if aims.activation is not None:
        activation = simulated_value(aims.activation.metric, "region", results)
        odds = follow_on / (1 - follow_on) * (aims.activation.value / activation) ** 2
        follow_on = float(np.clip(odds / (1 + odds), 0.0, 0.95))
        note += f"; activation {activation:.3f}"
    if aims.trend is not None:
        trend = simulated_value(aims.trend.metric, "region", results)
        inflow = float(np.clip(inflow * (aims.trend.value / trend) ** 1.5, 1e-4, 0.5))
        note += f"; stock end/start {trend:.3f}"
    return {"labour_market.work_hazard_by_band": [significant(x) for x in hazard],
            "public_office.referral_by_band": [significant(x) for x in referral],
            "public_office.follow_on_referral": significant(follow_on),
            "flows.inflow_per_week": significant(inflow)}, note


def fixed_point(sim: Simulator, values: dict[str, Any], aims: FixedPointTargets,
                iterations: int, log: Callable[[str], None]) -> dict[str, Any]:
    s = sim.settings
    current = dict(values)
    for iteration in range(iterations):
        results = sim.run(current, ["baseline"], s.scale, s.seeds)["baseline"]
        update, note = fixed_point_step(current, results, aims, s.damping)
        log(f"  fixed point {iteration + 1}/{iterations}: {note}")
        current.update(update)
    return current
