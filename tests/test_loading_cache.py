"""Scenario files are parsed once per text: an edited file is read anew, and a caller that
changes what it was given does not change what the next caller gets."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.params.loading import ScenarioError, load_scenario, read_toml

SMALL = """[scenario]
extends = "baseline"
name = "cached"
title = "t"
description = "d"
sources = ["assumption: a test"]

[region]
job_seekers = {{ value = {n}, assumption = "test size" }}
"""


def test_an_edited_file_is_read_anew(tmp_path: Path) -> None:
    path = tmp_path / "cached.toml"
    path.write_text(SMALL.format(n=1200), encoding="utf-8")
    assert load_scenario(str(path)).region.job_seekers == 1200
    path.write_text(SMALL.format(n=1300), encoding="utf-8")
    assert load_scenario(str(path)).region.job_seekers == 1300


def test_each_reader_gets_its_own_copy(tmp_path: Path) -> None:
    path = tmp_path / "cached.toml"
    path.write_text(SMALL.format(n=1200), encoding="utf-8")
    first = read_toml(path)
    first["region"]["job_seekers"]["value"] = 5
    assert read_toml(path)["region"]["job_seekers"]["value"] == 1200


def test_a_broken_file_is_refused_every_time(tmp_path: Path) -> None:
    path = tmp_path / "broken.toml"
    path.write_text("[scenario\n", encoding="utf-8")
    for _ in range(2):
        with pytest.raises(ScenarioError, match="not valid TOML"):
            read_toml(path)
