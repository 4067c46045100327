"""The dashboard's numeric fields and links are bounded with a message, never an HTTP 500
(issue 17, item 9): a 400-digit number or a link of more than 200 settings used to raise
inside the page's callbacks (OverflowError, "Max number of fields exceeded")."""

from __future__ import annotations

import pytest

pytest.importorskip("dash")

from dashboards.levers import (  # noqa: E402
    RequestError,
    build_request,
    levers_for,
    parse_query,
)

HUGE = 10 ** 400


@pytest.mark.parametrize("field", ["job_seekers", "weeks", "replications", "seed",
                                   "interventions.coaching.caseload"])
def test_a_400_digit_number_is_refused_with_a_message(field: str) -> None:
    assert field in {"job_seekers", "weeks", "replications", "seed"} | {
        lever.path for lever in levers_for("pirkanmaa")}
    with pytest.raises(RequestError) as refused:
        build_request({"scenario": "pirkanmaa", field: HUGE})
    assert "out of range" in " ".join(refused.value.messages)


@pytest.mark.parametrize("fields", [200, 1000])
def test_a_link_with_too_many_settings_is_refused_with_a_message(fields: int) -> None:
    query = "?scenario=pirkanmaa&" + "&" * fields  # short, but many fields
    with pytest.raises(RequestError, match="too many settings"):
        parse_query(query)
