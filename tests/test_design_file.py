"""A workshop design written as a scenario file loads as the very scenario the page ran, and
``pilotsim compare``'s pairing of it with its baseline is the page's baseline (same content
hashes, so the same run ids in the store); uploads are bounded and refused in one line."""

from __future__ import annotations

import base64
import datetime
import tomllib

import pytest

from dashboards import design_file
from dashboards.design_file import UploadError, design_toml, read_upload, upload_baseline
from dashboards.jobs import job_id
from dashboards.levers import baseline_name, build_request, levers_for, resolve, scenario_names
from simulation.experiments.compare import plan_comparisons
from simulation.params.loading import content_hash, load_scenario

DAY = datetime.date(2025, 3, 14)


def _upload(text: str | bytes) -> str:
    raw = text.encode() if isinstance(text, str) else text
    return "data:application/octet-stream;base64," + base64.b64encode(raw).decode()


def _designs() -> list[dict]:
    """Per library scenario: its first lever changed, a shorter period, another target group;
    procurement pilots also with a contract fee changed."""
    out = []
    for name in scenario_names():
        levers = levers_for(name)
        first = next(lever for lever in levers if lever.group != "Contract")
        raw = {"scenario": name, "job_seekers": 900, "weeks": 12, "target": "long_term",
               "replications": 2, "seed": 11,
               first.path: first.default + 1 if first.integer else first.default * 0.9}
        fees = [lever for lever in levers if lever.group == "Contract"
                and lever.default > 0]
        if fees:
            raw[fees[0].path] = round(fees[0].default * 0.5, 2)
        out.append(raw)
    out.append({"scenario": "pirkanmaa", "target": "scenario"})  # as shipped, own target
    return out


@pytest.mark.parametrize("raw", _designs(), ids=lambda raw: raw["scenario"])
def test_a_downloaded_design_loads_as_the_scenario_and_baseline_the_page_ran(raw, tmp_path):
    request = build_request(raw)
    page = resolve(request)
    path = tmp_path / design_file.file_name(request, DAY)
    path.write_text(design_toml(request, "try a smaller caseload", DAY), encoding="utf-8")
    loaded = load_scenario(path)
    assert content_hash(loaded) == content_hash(page.scenario)
    # what `pilotsim compare BASELINE FILE` runs as the baseline
    base = baseline_name(load_scenario(raw["scenario"]))
    to_run, pairs = plan_comparisons({base: [str(path)]},
                                     {base: load_scenario(base), str(path): loaded})
    cli_baseline = to_run[pairs[0][0]]
    assert content_hash(cli_baseline) == content_hash(page.baseline)
    assert job_id(loaded, cli_baseline, request.seed, request.replications, request.weeks) \
        == job_id(page.scenario, page.baseline, request.seed, request.replications,
                  request.weeks)
    # the upload reads it back as the same pair
    uploaded = read_upload(_upload(path.read_bytes()), path.name)
    assert content_hash(upload_baseline(uploaded)) == content_hash(page.baseline)


def test_every_changed_value_is_an_assumption_with_the_note_and_date():
    request = build_request({"scenario": "pirkanmaa", "weeks": 30,
                             "interventions.coaching.caseload": 45})
    tree = tomllib.loads(design_toml(request, "Tampere workshop:\nhalf the caseload", DAY))
    caseload = tree["interventions"]["coaching"]["caseload"]
    assert caseload["value"] == 45
    assert caseload["assumption"].startswith("workshop 2025-03-14: changed from ")
    assert caseload["assumption"].endswith("Tampere workshop: half the caseload")
    assert tree["scenario"]["weeks"]["assumption"].startswith("workshop 2025-03-14")
    assert "workshop 2025-03-14" in tree["region"]["job_seekers"]["assumption"]
    assert tree["scenario"]["extends"] == "pirkanmaa"
    assert "target_group" not in tree  # the scenario's own target group: nothing to record


@pytest.mark.parametrize(("text", "expected"), [
    ('[scenario]\nextends = "/etc/passwd"\n', "not a library scenario"),
    ('[scenario]\nextends = "pirkanmaa"\n[interventions.procurement]\n'
     'contract = "../secret.toml"\n', "not a file"),
    ('[scenario]\nextends = "pirkanmaa"\n[region]\njob_seekers = { value = 300000, '
     'assumption = "all of it" }\n', "the workshop runs"),
    ('[scenario]\nextends = "pirkanmaa"\n[interventions.coaching]\ncaseload = -3\n',
     "interventions.coaching.caseload"),
    ("[scenario\n", "not valid TOML"),
])
def test_a_bad_upload_is_refused_in_one_line(text, expected):
    with pytest.raises(UploadError) as error:
        read_upload(_upload(text), "ours.toml")
    assert expected in str(error.value)
    assert "\n" not in str(error.value)
    assert "pilotsim-upload-" not in str(error.value)  # the temporary path is not shown


def test_an_oversized_upload_is_refused_before_it_is_decoded():
    with pytest.raises(UploadError, match="larger than"):
        read_upload(_upload(b"#" * (design_file.MAX_UPLOAD_BYTES + 10)), "big.toml")
