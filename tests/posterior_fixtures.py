"""Fixtures for the posterior tests: a small demonstration posterior (a test fixture, not a
calibration) and tiny scenario files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pandas as pd

from simulation.experiments.posterior import ParameterSpec, write_posterior


def posterior_file(tmp_path: Path, name: str = "posterior.parquet", shift: float = 0.0) -> Path:
    """A small demonstration posterior (a test fixture, not a calibration): two fit-wide
    parameters drawn uniformly, equal weights."""
    specs = [ParameterSpec("separation", ("flows.separation_per_week",), "value", (), (0.01,)),
             ParameterSpec("meeting_effect", ("public_office.meeting_effect",), "value", (),
                           (0.31,))]
    rng = np.random.default_rng(1)
    draws = pd.DataFrame({"separation": rng.uniform(0.004, 0.016, 30) + shift,
                          "meeting_effect": rng.uniform(0.1, 0.6, 30)})
    path = tmp_path / name
    write_posterior(path, specs, draws, np.ones(30), {"seed": 1})
    return path


def tiny_scenario(tmp_path: Path, name: str, extends: str = "baseline") -> str:
    path = tmp_path / f"{name}.toml"
    path.write_text(f'[scenario]\nextends = "{extends}"\nname = "{name}"\n[region]\n'
                    'job_seekers = { value = 300, assumption = "a tiny test region" }\n',
                    encoding="utf-8")
    return str(path)
