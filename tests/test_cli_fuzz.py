"""A property of the whole command line: whatever the arguments and whatever the scenario file
says, ``pilotsim`` ends with exit status 0 or 2, never prints a traceback, says at most one
line on stderr when it refuses, and leaves nothing in the output folder when it refuses.

Hypothesis draws a command (run, compare, sweep, report, power, export, runs, validate, show),
its options (good, out of range, malformed, paths that are folders, missing or too long) and a
scenario file (numbers in and out of range, NaN, infinities, text where numbers belong, long
or odd names, units, missing contracts, garbage instead of TOML). Scenarios that are valid are
tiny (at most 1,000 job seekers, a few weeks), so the runs that go ahead take a moment.

``PILOTSIM_FUZZ_EXAMPLES`` sets the number of examples (default 100); the draws are fixed
(derandomized) unless ``PILOTSIM_FUZZ_RANDOM`` is set.
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from functools import cache
from pathlib import Path

from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st
from test_cli_refusals import pilotsim, stored

EXAMPLES = int(os.environ.get("PILOTSIM_FUZZ_EXAMPLES", "100"))

GOOD_SMALL = """
[scenario]
extends = "baseline"
name = "other"
weeks = { value = 2, assumption = "tiny" }
[region]
job_seekers = { value = 300, assumption = "tiny" }
firms = { value = 10, assumption = "tiny" }
"""


def toml_value(value: object) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, float):
        return {"nan": "nan", "inf": "inf", "-inf": "-inf"}.get(repr(value), repr(value))
    if isinstance(value, int):
        return str(value)
    return json.dumps(value)  # a TOML basic string (\uXXXX escapes included)


numbers = st.one_of(st.integers(-50, 1000), st.floats(allow_nan=True, allow_infinity=True),
                    st.text(max_size=5), st.booleans())


@st.composite
def good_scenarios(draw: st.DrawFn) -> str:
    """A valid tiny scenario (so that the command can go ahead)."""
    weeks, seekers = draw(st.integers(1, 3)), draw(st.integers(100, 600))
    lines = ["[scenario]", 'extends = "baseline"',
             f"name = {toml_value(draw(st.sampled_from(['fuzz', 'a b', 'ä' * 30])))}",
             f'weeks = {{ value = {weeks}, assumption = "fuzz" }}', "[region]",
             f'job_seekers = {{ value = {seekers}, assumption = "fuzz"'
             + draw(st.sampled_from(["", ', unit = "persons"'])) + " }",
             'firms = { value = 20, assumption = "fuzz" }']
    if draw(st.booleans()):
        caseload = draw(st.floats(20.0, 200.0))
        lines += ["[public_office]", f'caseload = {{ value = {caseload!r}, assumption = "f" }}']
    return "\n".join(lines) + "\n"


@st.composite
def wild_scenarios(draw: st.DrawFn) -> str:
    """Anything: numbers out of range, NaN, text for numbers, odd names, units, contracts."""
    if draw(st.integers(0, 9)) == 0:  # not TOML at all
        return draw(st.text(max_size=60))
    lines = ["[scenario]", 'extends = "baseline"']
    name = draw(st.one_of(st.none(), st.sampled_from(["fuzz", ":x: [bold]", "n" * 150]),
                          st.text(max_size=20)))
    if name is not None:
        lines.append(f"name = {toml_value(name)}")
    weeks = draw(st.one_of(st.integers(-2, 4), numbers))
    lines.append(f'weeks = {{ value = {toml_value(weeks)}, assumption = "fuzz" }}')
    lines.append("[region]")
    seekers = draw(st.one_of(st.integers(-10, 1000), numbers))
    unit = draw(st.sampled_from(["", ', unit = "persons"', ', unit = "weeks"', ", unit = 3"]))
    lines.append(f'job_seekers = {{ value = {toml_value(seekers)}, assumption = "fuzz"{unit} }}')
    lines.append('firms = { value = 20, assumption = "fuzz" }')
    if draw(st.booleans()):
        caseload = draw(numbers)
        provenance = draw(st.sampled_from([', assumption = "fuzz"', ""]))
        lines += ["[public_office]", f"caseload = {{ value = {toml_value(caseload)}{provenance} }}"]
    if draw(st.integers(0, 4)) == 0:
        contract = draw(st.sampled_from(["missing.toml", "sub", "generic_outsourcing", "x/y"]))
        lines[1] = 'extends = "outsourcing_generic"'
        lines += ["[interventions.procurement]", f"contract = {toml_value(contract)}"]
    return "\n".join(lines) + "\n"


GOOD_COUNTS, BAD_COUNTS = ["1", "2"], ["0", "-1", "abc", "99999999999999999999", "1.5"]
GOOD_WEEKS, BAD_WEEKS = ["1", "2"], ["0", "2000", "x"]
GOOD_OUTPUTS = ["out/result.csv", "out/result.parquet"]
BAD_OUTPUTS = ["out", "out/missing/result.csv", "out/" + "f" * 300, "out/:x:[red].csv",
               "out/result.txt"]


@st.composite
def commands(draw: st.DrawFn) -> list[str]:
    """A command line; half of them take only good values (so that they run), the other half
    mix in bad ones anywhere."""
    good = draw(st.booleans())

    def pick(fine: list[str], wrong: list[str]) -> str:
        return draw(st.sampled_from(fine if good else fine + wrong))

    command = draw(st.sampled_from(["validate", "show", "run", "compare", "sweep", "report",
                                    "power", "export", "runs"]))
    scenario = pick(["in/s.toml"], ["in/missing.toml", "in", "in/" + "s" * 300 + ".toml"])
    common = ["--replications", pick(GOOD_COUNTS, BAD_COUNTS),
              "--weeks", pick(GOOD_WEEKS, BAD_WEEKS)]
    if draw(st.booleans()):
        common += ["--workers", pick(["1", "64"], ["0", "abc"])]
    store = ["--store", pick(["out/store"], ["out", "in/s.toml", "in"])]
    output = pick(GOOD_OUTPUTS, BAD_OUTPUTS)
    if command in ("validate", "show"):
        return [command, scenario]
    if command == "run":
        return [command, scenario, *common, *store, *draw(st.sampled_from([[], ["--json"]]))]
    if command == "compare":
        extra = draw(st.sampled_from([[], ["--csv", output], ["--json"]]))
        return [command, "in/other.toml", scenario, *common, *store, *extra]
    if command == "sweep":
        param = pick(["public_office.caseload=60,80"], [
            "public_office.caseload=", "nosuch.x=1", "public_office.caseload=1:2", "=",
            "public_office.caseload=" + ",".join(map(str, range(60, 99))), "region.x=1:0"])
        return [command, scenario, "--param", param, *common, *store, "--max-runs",
                pick(["20000"], ["1", "0", "x"])]
    if command == "report":
        return [command, "in/other.toml", scenario, *common, *store, "--out",
                output.replace(".csv", ".html")]
    if command == "power":  # the same people in both: the baseline itself, or a tiny scenario
        scenario = draw(st.sampled_from(["in/other.toml", scenario]))
        return [command, scenario, "--baseline", "in/other.toml", "--replications", "1",
                "--weeks", pick(GOOD_WEEKS, BAD_WEEKS), "--sizes",
                pick(["50", "100,200"], ["1000000000000", "2,abc", "", "1e12"]),
                "--resamples", pick(["20"], ["19", "100000"]), "--workers", "1"]
    if command == "export":
        return [command, output, *store, "--table",
                pick(["weekly", "runs"], ["cohort", "nope"]),
                *draw(st.sampled_from([[], ["--force"], ["--format", "xml"]]))]
    return [command, *store]


@cache
def template_store() -> Path:
    """A small store (two runs) that half the examples find already in place."""
    return stored(Path(tempfile.mkdtemp(prefix="pilotsim-fuzz-")) / "store")


def contents(folder: Path) -> dict[str, int]:
    return {p.relative_to(folder).as_posix(): p.stat().st_size if p.is_file() else -1
            for p in sorted(folder.rglob("*"))}


@settings(max_examples=EXAMPLES, deadline=None, derandomize="PILOTSIM_FUZZ_RANDOM" not in
          os.environ, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(scenario=st.one_of(good_scenarios(), wild_scenarios()), args=commands(),
       with_store=st.booleans())
def test_any_command_ends_in_0_or_2_without_a_traceback(scenario: str, args: list[str],
                                                         with_store: bool) -> None:
    with tempfile.TemporaryDirectory() as folder:
        here = Path(folder)
        (here / "in").mkdir()
        (here / "out").mkdir()
        if with_store:
            shutil.copytree(template_store(), here / "out" / "store")
        (here / "in" / "s.toml").write_text(scenario, encoding="utf-8")
        (here / "in" / "other.toml").write_text(GOOD_SMALL, encoding="utf-8")
        before = contents(here / "out")
        done = pilotsim(*args, cwd=here)
        event(f"{args[0]}: exit {done.code}")  # --hypothesis-show-statistics lists them
        assert done.code in (0, 2), (args, scenario, done)
        assert "Traceback" not in done.err and "Traceback" not in done.out, (args, done)
        if done.code == 2:
            assert len(done.lines) <= 1, (args, scenario, done.err)
            assert contents(here / "out") == before, (args, scenario, done.err)
