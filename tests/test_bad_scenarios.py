"""Malformed scenario files are refused with one clear line: ``FILE: FIELD: message``.

Every ``tests/bad_scenarios/**/*.toml`` starts with ``# expect: FIELD: message-substring``
and is otherwise valid, so that exactly the intended error is hit. Cases a committed
file cannot carry (empty, whitespace only, too large, a folder, a missing file) are
generated here.
"""

from __future__ import annotations

import importlib.util
import os
import subprocess
import sys
from pathlib import Path

import pytest

from simulation.params.loading import MAX_FILE_BYTES, ScenarioError, library_dir, load_scenario

HERE = Path(__file__).parent
BAD = HERE / "bad_scenarios"
REPO = HERE.parent
BAD_FILES = sorted(BAD.rglob("*.toml"))


def expectation(path: Path) -> tuple[str, str]:
    """``(field, message substring)`` from the file's first line (read as bytes)."""
    first = path.read_bytes().split(b"\n", 1)[0].decode("utf-8")
    assert first.startswith("# expect: "), f"{path.name}: first line must be '# expect: ...'"
    field, _, substring = first.removeprefix("# expect: ").partition(": ")
    assert field and substring, f"{path.name}: write '# expect: FIELD: message'"
    return field, substring


def refused(target: str | Path) -> ScenarioError:
    with pytest.raises(ScenarioError) as caught:
        load_scenario(target)
    error = caught.value
    text = str(error)
    assert "\n" not in text and "\r" not in text, text
    assert text == f"{error.file}: {error.field}: {error.message}"
    assert "Traceback" not in text and "function-after" not in text and "[key]" not in text
    return error


def test_the_folder_has_enough_cases() -> None:
    assert len(BAD_FILES) >= 30


@pytest.mark.parametrize("path", BAD_FILES, ids=[str(p.relative_to(BAD)) for p in BAD_FILES])
def test_bad_file_is_refused_with_its_field(path: Path) -> None:
    field, substring = expectation(path)
    error = refused(path)
    assert error.field == field, str(error)
    assert substring in error.message, str(error)
    assert error.file.endswith(".toml")


@pytest.mark.parametrize(("content", "what"), [
    (b"", "empty"),
    (b"   \n\t\n  \r\n", "whitespace only"),
])
def test_empty_files(tmp_path: Path, content: bytes, what: str) -> None:
    path = tmp_path / "blank.toml"
    path.write_bytes(content)
    error = refused(path)
    assert (error.field, error.message) == ("file", "empty file"), what
    assert error.file == str(path)


def test_file_over_the_size_limit(tmp_path: Path) -> None:
    path = tmp_path / "huge.toml"
    padding = b"# padding padding padding padding padding padding padding padding\n"
    path.write_bytes(b'[scenario]\nextends = "baseline"\n'
                     + padding * (MAX_FILE_BYTES // len(padding) + 1))
    error = refused(path)
    assert error.field == "file"
    assert f"larger than {MAX_FILE_BYTES:,} bytes" in error.message


def test_absurdly_deep_nesting_is_not_a_crash(tmp_path: Path) -> None:
    path = tmp_path / "deep.toml"
    path.write_text('[scenario]\nextends = "baseline"\nsources = '
                    + "[" * 20_000 + "]" * 20_000 + "\n", encoding="utf-8")
    error = refused(path)
    assert error.field == "file"
    assert "nested" in error.message


def test_non_utf8_bytes_written_in_binary(tmp_path: Path) -> None:
    path = tmp_path / "cp1252.toml"
    path.write_bytes(b'[scenario]\nextends = "baseline"\ntitle = "Sein\xe4joki \x96 pilot"\n')
    error = refused(path)
    assert error.field == "file"
    assert "not UTF-8 text (byte 0xe4 on line 3)" in error.message


def test_a_folder_instead_of_a_file(tmp_path: Path) -> None:
    for folder in (tmp_path, BAD / "cycle"):
        error = refused(folder)
        assert error.field == "file"
        assert "is a folder" in error.message


def test_a_missing_file(tmp_path: Path) -> None:
    error = refused(tmp_path / "nowhere.toml")
    assert error.field == "file"
    assert "no such scenario file" in error.message


def test_a_missing_library_name_suggests_the_nearest() -> None:
    error = refused("basline")
    assert error.field == "file"
    assert "did you mean 'baseline'?" in error.message
    assert Path(error.file).parent == library_dir()


def test_a_byte_order_mark_is_harmless(tmp_path: Path) -> None:
    path = tmp_path / "bom.toml"
    path.write_bytes('\ufeff[scenario]\nextends = "baseline"\nname = "bom"\n'.encode())
    assert load_scenario(path).name == "bom"


def test_a_good_override_still_loads(tmp_path: Path) -> None:
    """The pattern every bad file follows is itself fine when the value is fine."""
    path = tmp_path / "good.toml"
    path.write_text('[scenario]\nextends = "baseline"\nname = "good"\n\n[public_office]\n'
                    'caseload = { value = 60.0, assumption = "test" }\n', encoding="utf-8")
    scenario = load_scenario(path)
    assert scenario.public_office.caseload == 60.0
    assert scenario.provenance["public_office.caseload"] == "assumption: test"


@pytest.mark.parametrize("name", ["unknown_key_nested", "age_shares_sum", "latin1_bytes"])
def test_cli_prints_one_line_and_exits_2(name: str, tmp_path: Path) -> None:
    if importlib.util.find_spec("simulation.cli.main") is None:
        pytest.skip("no command line in this checkout")
    path = BAD / f"{name}.toml"
    field, substring = expectation(path)
    env = {**os.environ, "PYTHONPATH": str(REPO)}
    done = subprocess.run([sys.executable, "-m", "simulation.cli", "validate", str(path)],
                          capture_output=True, text=True, env=env, cwd=tmp_path, timeout=120)
    assert done.returncode == 2
    assert done.stdout == ""
    lines = done.stderr.splitlines()
    assert len(lines) == 1, done.stderr
    assert lines[0].startswith(f"error: {path}: {field}: ")
    assert substring in lines[0]
    assert list(tmp_path.iterdir()) == []
