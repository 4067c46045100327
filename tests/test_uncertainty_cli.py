"""`--posterior K` on the command line: posterior draws recorded with each stored run and reused
only under the same draw, the report's blocks, and one-line errors with exit status 2."""

from __future__ import annotations

import json

import pytest
from posterior_fixtures import posterior_file, tiny_scenario
from typer.testing import CliRunner

from simulation.cli.main import app


def test_posterior_runs_are_stored_with_their_draw_and_reused_only_under_it(tmp_path):
    base = tiny_scenario(tmp_path, "tiny_base")
    pilot = tiny_scenario(tmp_path, "tiny_pilot", "pirkanmaa")
    store = tmp_path / "store"
    args = ["compare", base, pilot, "--posterior", "3", "--replications", "2", "--weeks", "4",
            "--workers", "1", "--store", str(store), "--json"]
    first = CliRunner().invoke(app, [*args, "--posterior-file", str(posterior_file(tmp_path))])
    assert first.exit_code == 0, first.output
    again = CliRunner().invoke(app, [*args, "--posterior-file", str(posterior_file(tmp_path))])
    assert json.loads(again.output) == json.loads(first.output)  # read back from the store
    data = json.loads(first.output)
    version = data["posterior"]["version"]
    effects = data["scenarios"]["tiny_pilot"]["effects"]
    assert {"low", "high", "share_parameters", "p_positive", "sentence"} <= \
        set(effects["target_activation_rate_end"])
    from simulation.experiments.store.reader import StoreReader

    with StoreReader(store) as reader:
        runs = reader.runs()
    tags = [json.loads(t) for t in runs["tags"]]
    assert len(runs) == 12 and all(t["posterior"] == version for t in tags)
    assert sorted({t["posterior_k"] for t in tags}) == [0, 1, 2]
    assert {t["posterior_draw"] for t in tags} == set(data["posterior"]["rows"])
    # another posterior: other parameter values, so other runs
    other = posterior_file(tmp_path, "other.parquet", shift=0.0005)
    CliRunner().invoke(app, [*args, "--posterior-file", str(other)])
    with StoreReader(store) as reader:
        assert len(reader.runs()) == 24


@pytest.mark.parametrize(("extra", "words"), [
    (["--posterior", "0"], "error: --posterior: K must be 2–1000, got 0"),
    (["--posterior", "5000"], "error: --posterior: K must be 2–1000, got 5000"),
    (["--posterior", "3", "--posterior-file", "no/such.parquet"],
     "error: no/such.parquet: file: no such posterior file"),
])
def test_bad_posterior_requests_are_one_line_with_exit_2(extra, words):
    for command in (["compare", "baseline", "pirkanmaa"], ["run", "baseline"],
                    ["report", "baseline", "pirkanmaa", "--out", "never.html"]):
        result = CliRunner().invoke(app, [*command, *extra, "--no-store"])
        assert result.exit_code == 2, (command, result.output)
        assert words in result.output and "Traceback" not in result.output


def _report(tmp_path, draws: int, *extra: str) -> str:
    """``report --posterior`` of a tiny pilot against a tiny baseline: the page's text."""
    base = tiny_scenario(tmp_path, "tiny_base")
    pilot = tiny_scenario(tmp_path, "tiny_pilot", "pirkanmaa")
    out = tmp_path / "report.html"
    result = CliRunner().invoke(app, [
        "report", base, pilot, "--replications", "2", "--weeks", "4", "--workers", "1",
        "--no-store", "--out", str(out), "--posterior", str(draws),
        "--posterior-replications", "2", "--posterior-file", str(posterior_file(tmp_path)),
        *extra])
    assert result.exit_code == 0, result.output
    return out.read_text(encoding="utf-8")


def test_the_report_shows_effects_with_parameter_uncertainty_and_their_drivers(tmp_path):
    text = _report(tmp_path, 6)
    assert "<h3>Effects with parameter uncertainty</h3>" in text
    assert "6 parameter sets drawn from the posterior" in text and "P(&gt; 0)" in text
    sources = text[text.index('id="sources"'):text.index('id="calibration"')]
    assert "What drives each answer: tiny_pilot vs tiny_base" in sources
    assert "chance level" in sources and "Activation rate at the end" in sources


def test_the_reports_parameter_uncertainty_is_in_finnish_with_lang_fi(tmp_path):
    import re

    text = _report(tmp_path, 4, "--lang", "fi")
    block = text[text.index("parametrien epävarmuus huomioiden"):]
    block = block[:block.index("</ul>") if "</ul>" in block else len(block)]
    assert "4 posteriorijakaumasta poimittua parametrijoukkoa" in block
    for english in ("parameter sets drawn", "simulation noise only", "the model is",
                    "parameter draws", "target group)", " to "):
        assert english not in block, english
    assert re.search(r"malli (on|ei ole) (varma|varma suunnasta)|ei vaikutusta", block)
    assert "Mikä ratkaisee kunkin vastauksen: tiny_pilot vs. tiny_base" in text
