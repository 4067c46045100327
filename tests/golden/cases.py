"""The golden cases: seeded runs at reduced size whose full outputs are pinned.

Each case is one replication of a shipped scenario, made small so the whole set runs in
seconds. ``fingerprint`` turns a run into plain data: the full end-of-run summary (floats
written exactly) and a digest of every table the run returns. Any change in behaviour, however
small, changes a fingerprint; ``tests/test_golden.py`` compares them with the stored ones.

Regenerate after a change that alters results on purpose (and say why in the commit):

    python tests/golden/regenerate.py

The cases run in a child process with numpy's AVX-512 code paths switched off
(``NPY_DISABLE_CPU_FEATURES``): numpy's vectorised ``power`` and some other functions give
results that differ in the last bit on processors with AVX-512, so without this the same
seeded run fingerprints differently on different machines. ``python tests/golden/cases.py
NAME ...`` prints the fingerprints of the named cases and comparisons as JSON.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import subprocess
import sys
from pathlib import Path
from typing import Any

import numpy as np
import pandas as pd

GOLDEN_DIR = Path(__file__).parent

# name -> (scenario, overrides, seed, weeks): a municipal pilot, an outcome-priced contract with
# several providers, growth pilots with a firm side (training, mass recruitment, first hires) and
# North Karelia's regional programme, plus the baseline they share.
CASES: dict[str, tuple[str, dict[str, Any], int, int]] = {
    "baseline": ("baseline", {"region": {"job_seekers": 3000}}, 11, 40),
    # the baseline as it ran before 2018's rule came in (commit d6b5734): the activation model
    # and the prior job losses switched off, on the fit of that time (PINNED_FIT), so the
    # mechanisms added since leave a run exactly as it was when they are off
    "baseline_activation_model_off": (
        "baseline", {"region": {"job_seekers": 3000},
                     "flows": {"prior_job_losses_per_week": 0.0},
                     "national_policy": {"activation_model": {"enabled": False}}}, 11, 40),
    "pirkanmaa": ("pirkanmaa", {"region": {"job_seekers": 3000}}, 11, 40),
    "outsourcing_generic": ("outsourcing_generic", {"region": {"job_seekers": 3000}}, 12, 40),
    "koko_rekry": ("koko_rekry", {"region": {"job_seekers": 3000}}, 13, 50),
    "keski_suomi_growth_booster": ("keski_suomi_growth_booster",
                                   {"region": {"job_seekers": 3000}}, 14, 40),
    "marine_car_industry": ("marine_car_industry", {"region": {"job_seekers": 3000}}, 15, 40),
    "entrepreneur_to_employer": ("entrepreneur_to_employer",
                                 {"region": {"job_seekers": 3000}}, 16, 40),
    "north_karelia_1000_jobs": ("north_karelia_1000_jobs",
                                {"region": {"job_seekers": 3000}}, 17, 40),
}

# name -> the fitted values a case runs on instead of calibration/fitted.toml
PINNED_FIT: dict[str, str] = {
    "baseline_activation_model_off": "fitted_before_activation_model.toml",
}

# name -> (scenario, its baseline, job seekers, seed, weeks, replications): paired comparisons
# through the same path as ``pilotsim compare`` (which baseline, common random numbers, effects).
COMPARISONS: dict[str, tuple[str, str, int, int, int, int]] = {
    "compare_pirkanmaa": ("pirkanmaa", "baseline", 2000, 21, 30, 3),
    "compare_keski_suomi_growth_booster": ("keski_suomi_growth_booster",
                                           "baseline_keski_suomi", 2000, 22, 30, 3),
    "compare_north_karelia_1000_jobs": ("north_karelia_1000_jobs", "baseline_north_karelia",
                                        2000, 23, 30, 3),
}

TABLES = ("weekly", "ledger", "duration_exits", "providers", "provider_clients",
          "person_events", "cohort")


def table_digest(frame: pd.DataFrame | None) -> dict[str, Any] | None:
    """Rows, columns and a SHA-256 over each column's exact values (independent of pandas'
    own hashing and printing, which may change between versions)."""
    if frame is None:
        return None
    digest = hashlib.sha256()
    for column in frame.columns:
        values = frame[column].to_numpy()
        digest.update(str(column).encode() + b"\0")
        if values.dtype == object:
            digest.update("\x1f".join(map(repr, values.tolist())).encode())
        else:
            digest.update(str(values.dtype).encode() + b"\0")
            digest.update(np.ascontiguousarray(values).tobytes())
    return {"rows": len(frame), "columns": [str(c) for c in frame.columns],
            "sha256": digest.hexdigest()}


def _exact(value: float) -> float | str:
    # JSON cannot hold NaN or infinities portably; floats otherwise round-trip exactly
    return value if math.isfinite(value) else repr(value)


def run_case(name: str):
    from simulation.experiments.runner import RunRequest, run_replication
    from simulation.params.loading import load_scenario, read_toml

    scenario_name, overrides, seed, weeks = CASES[name]
    fit = read_toml(GOLDEN_DIR / PINNED_FIT[name]) if name in PINNED_FIT else True
    scenario = load_scenario(scenario_name, overrides=overrides, apply_fit=fit)
    return run_replication(RunRequest(scenario, entropy=seed, replication=0, weeks=weeks))


def run_comparison(name: str) -> dict[str, Any]:
    """The paired effects of a comparison, as plain data."""
    from simulation.experiments.compare import comparison_baseline, paired_effects
    from simulation.experiments.runner import requests, run_many
    from simulation.params.loading import load_scenario

    scenario_name, baseline_name, job_seekers, seed, weeks, replications = COMPARISONS[name]
    overrides = {"region": {"job_seekers": job_seekers}}
    scenario = load_scenario(scenario_name, overrides=overrides)
    baseline = comparison_baseline(load_scenario(baseline_name, overrides=overrides), scenario)
    runs = {label: run_many(requests(s, replications, seed, weeks), workers=1)
            for label, s in (("scenario", scenario), ("baseline", baseline))}
    effects = paired_effects(runs["scenario"], runs["baseline"])
    return {"effects": {metric: {k: _exact(float(v)) for k, v in sorted(ci.items())}
                        for metric, ci in sorted(effects.items())}}


def fingerprint(result) -> dict[str, Any]:
    return {
        "summary": {key: _exact(float(value)) for key, value in sorted(result.summary.items())},
        "tables": {name: table_digest(getattr(result, name)) for name in TABLES},
    }


def path_of(name: str) -> Path:
    return GOLDEN_DIR / f"{name}.json"


def write(name: str, data: dict[str, Any]) -> None:
    path_of(name).write_text(json.dumps(data, indent=1, sort_keys=True) + "\n", encoding="utf-8")


def read(name: str) -> dict[str, Any]:
    return json.loads(path_of(name).read_text(encoding="utf-8"))


def same_on_any_processor() -> dict[str, str]:
    """The environment that makes numpy take the same code paths on any x86 processor."""
    from numpy._core._multiarray_umath import __cpu_dispatch__

    wide = [f for f in __cpu_dispatch__ if "AVX512" in f or f == "X86_V4"]
    return {"NPY_DISABLE_CPU_FEATURES": " ".join(wide)} if wide else {}


def compute(names: list[str]) -> dict[str, dict[str, Any]]:
    """Fingerprints (cases) or effects (comparisons) by name, computed in a child process
    that pins numpy's code paths (see the module's docstring)."""
    root = GOLDEN_DIR.parents[1]
    env = {**os.environ, **same_on_any_processor(),
           "PYTHONPATH": os.pathsep.join(filter(None, [str(root), os.environ.get("PYTHONPATH")]))}
    done = subprocess.run([sys.executable, str(Path(__file__).resolve()), *names], env=env,
                          capture_output=True, text=True, check=False)
    if done.returncode:
        raise RuntimeError(f"golden cases failed in their child process:\n{done.stderr[-4000:]}")
    return json.loads(done.stdout)


def _compute_here(names: list[str]) -> dict[str, dict[str, Any]]:
    return {name: run_comparison(name) if name in COMPARISONS else fingerprint(run_case(name))
            for name in names}


if __name__ == "__main__":
    print(json.dumps(_compute_here(sys.argv[1:] or [*CASES, *COMPARISONS])))
