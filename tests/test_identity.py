"""A run's identity is everything that determines it (issue 17, item 3): edit a contract file,
a shipped contract, a fitted value or the code, and the store misses; a run is made with the
very contract its identity names, even if the file changes while the batch runs."""

from __future__ import annotations

from pathlib import Path

import pytest

from simulation.experiments.runner import execute, requests, run_meta
from simulation.experiments.store.writer import ResultsStore
from simulation.params import contracts
from simulation.params.loading import content_hash, load_scenario

REPO = Path(__file__).resolve().parents[1]
SHIPPED = REPO / "scenarios" / "contracts" / "generic_outsourcing.toml"
PRICE = "price_per_client_eur = { value = 3000,"
SCENARIO = """
[scenario]
extends = "outsourcing_generic"
name = "fees_test"
weeks = {{ value = 6, assumption = "short test run" }}
[region]
job_seekers = {{ value = 800, assumption = "small test region" }}
firms = {{ value = 30, assumption = "small test region" }}
[interventions.procurement]
contract = "{contract}"
start_week = {{ value = 1, assumption = "test" }}
"""


def priced(path: Path, price: int) -> Path:
    path.write_text(SHIPPED.read_text(encoding="utf-8").replace(
        PRICE, f"price_per_client_eur = {{ value = {price},"), encoding="utf-8")
    return path


def scenario_with(tmp_path: Path, price: int):  # noqa: ANN201 - a Scenario
    fees = priced(tmp_path / "fees.toml", price)
    path = tmp_path / "pilot.toml"
    path.write_text(SCENARIO.format(contract=fees.as_posix()), encoding="utf-8")
    return load_scenario(path)


def test_shipped_price_is_the_one_the_tests_edit() -> None:
    assert PRICE in SHIPPED.read_text(encoding="utf-8")


def test_editing_a_contract_file_changes_the_identity(tmp_path: Path) -> None:
    first, again = scenario_with(tmp_path, 3000), scenario_with(tmp_path, 3000)
    edited = scenario_with(tmp_path, 3500)
    assert content_hash(first) == content_hash(again)
    assert content_hash(first) != content_hash(edited)


def test_editing_a_shipped_contract_changes_the_identity(monkeypatch: pytest.MonkeyPatch
                                                          ) -> None:
    before = content_hash(load_scenario("outsourcing_generic"))
    original = contracts._contract_from_text

    def edited(text: str, *, file: str):  # noqa: ANN202 - a Contract
        return original(text.replace(PRICE, "price_per_client_eur = { value = 3500,"),
                        file=file)

    monkeypatch.setattr(contracts, "_contract_from_text", edited)
    assert content_hash(load_scenario("outsourcing_generic")) != before


def test_the_same_fees_under_another_name_or_place_share_runs(tmp_path: Path) -> None:
    """What determines results is the contract's content, not its name or where it lies."""
    copied = scenario_with(tmp_path, 3000)
    path = tmp_path / "shipped.toml"
    path.write_text(SCENARIO.format(contract="generic_outsourcing"), encoding="utf-8")
    assert content_hash(copied) == content_hash(load_scenario(path))


@pytest.mark.parametrize(("change", "what"), [
    ({"apply_fit": {"flows": {"inflow_per_week": {"value": 0.0101, "source": "fit"}}}},
     "a fitted value"),
    ({"overrides": {"public_office": {"caseload": 61.0}}}, "a parameter"),
])
def test_fitted_and_set_values_are_part_of_the_identity(change: dict, what: str) -> None:
    assert content_hash(load_scenario("pirkanmaa", **change)) != \
        content_hash(load_scenario("pirkanmaa")), what


def test_the_code_version_is_part_of_the_run_id() -> None:
    request = requests(load_scenario("baseline"), 1, 7)[0]
    assert run_meta(request, "1+aaa").run_id != run_meta(request, "1+bbb").run_id


def test_a_stored_run_is_not_returned_after_its_contract_changed(tmp_path: Path) -> None:
    ran: list[bool] = []
    with ResultsStore(tmp_path / "store") as store:
        for price in (3000, 3000, 20000):
            batch = requests(scenario_with(tmp_path, price), 1, 7)
            execute(batch, workers=1, store=store,
                    on_done=lambda _request, cached: ran.append(not cached))
    assert ran == [True, False, True]  # made, read back, made again for the new fees


def test_a_run_uses_the_contract_it_was_loaded_with(tmp_path: Path) -> None:
    loaded = scenario_with(tmp_path, 3000)
    priced(tmp_path / "fees.toml", 20000)  # edited while the batch waits to run
    [pinned] = execute(requests(loaded, 1, 7), workers=1)
    [cheap] = execute(requests(scenario_with(tmp_path, 3000), 1, 7), workers=1)
    [dear] = execute(requests(scenario_with(tmp_path, 20000), 1, 7), workers=1)
    fees = "target_cost_total_eur"
    assert pinned.summary[fees] == cheap.summary[fees]
    assert dear.summary[fees] != cheap.summary[fees]
