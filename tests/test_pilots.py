"""The municipal pilots against their baselines, with common random numbers.

Populations are scaled down to keep the suite quick; the properties are
scale-free (rates and shares), so they hold at full size too (README table).
"""

from __future__ import annotations

import pytest

from simulation.experiments.compare import paired_effects
from simulation.experiments.runner import requests, run_many
from simulation.params.loading import load_scenario

REPLICATIONS = 6
SEED = 4242
SMALL = {"region": {"job_seekers": 8000}}


def effects(pilot: str) -> dict[str, dict[str, float]]:
    scenario = load_scenario(pilot, overrides=SMALL)
    baseline = load_scenario(scenario.baseline, overrides=SMALL)
    runs = run_many(requests(scenario, REPLICATIONS, SEED) + requests(baseline, REPLICATIONS,
                                                                       SEED))
    return paired_effects(runs[:REPLICATIONS], runs[REPLICATIONS:])


@pytest.fixture(scope="module")
def pilot_effects() -> dict[str, dict[str, dict[str, float]]]:
    return {name: effects(name) for name in ("pirkanmaa", "turku_region", "lapland")}


def test_pirkanmaa_raises_target_group_activation_markedly(pilot_effects):
    # Tampere: 30.4 % → 43.7 %; +10.2 pp in the area against +3.8 elsewhere
    activation = pilot_effects["pirkanmaa"]["target_activation_rate_end"]
    assert activation["ci95_low"] > 0.06, activation
    assert 0.06 < activation["mean"] < 0.25, activation


def test_pirkanmaa_lasting_employment_per_client_served_stays_near_baseline(pilot_effects):
    # "more people served, similar success per person served"
    # README: +1.6 pp (+1.3 … +1.8) at full size (refitted model); the whole 95 % interval
    # within −0.5 … +4 percentage points at this test's small size, so a change of several
    # points per client served (counting the wrong people as served, or the wrong milestone
    # as lasting) crosses it
    lasting = pilot_effects["pirkanmaa"]["target_lasting_employment_rate_served"]
    assert -0.005 < lasting["ci95_low"] <= lasting["ci95_high"] < 0.04, lasting
    served = pilot_effects["pirkanmaa"]["target_served"]
    assert served["ci95_low"] > 0, served


def test_pilots_without_extra_resources_gain_less_activation(pilot_effects):
    pirkanmaa = pilot_effects["pirkanmaa"]["target_activation_rate_end"]["mean"]
    for name in ("turku_region", "lapland"):
        gain = pilot_effects[name]["target_activation_rate_end"]["mean"]
        assert gain < pirkanmaa - 0.02, (name, gain, pirkanmaa)


def test_pirkanmaa_moves_cost_to_the_municipality(pilot_effects):
    municipal = pilot_effects["pirkanmaa"]["cost_municipality_eur"]
    assert municipal["ci95_low"] > 0, municipal
