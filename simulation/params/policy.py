"""National rules that hold in every region, pilot or not: the schema of a scenario's
``[national_policy]`` section. They belong to the counterfactual, so every baseline sets them
and a pilot inherits them from its baseline.

``[national_policy.activation_model]`` is the activation model for unemployment security
(aktiivimalli, Ministry of Social Affairs and Health), in force from 1 Jan 2018 to the end of
2019: a job seeker's activity is reviewed every 65 paid benefit days; without 18 hours of work,
241.04 € of self-employment income or 5 days in employment-promoting services within them, the
benefit is cut by 4.65 % for the next 65 paid days. The mechanics live in
``simulation.engine.activation_model``.
"""

from __future__ import annotations

import datetime

from pydantic import Field, field_validator

from simulation.params.fields import Frozen, Share
from simulation.params.fields import field as _field


class ActivationModel(Frozen):
    """The activation model's rule and the behavioural responses to it."""
    enabled: bool = Field(False, description="Whether the activation model is in force")
    start_date: str = _field("2018-01-01", "date", "First day of the first review period")
    end_date: str | None = _field(None, "date", "Last day in force (repealed from 2020)")
    review_paid_days: int = _field(65, "paid days", "Length of a review period in paid "
                                   "benefit days", ge=5, le=500)
    cut_share: Share = _field(0.0465, "share of the benefit", "Cut of the benefit after a "
                              "review period without enough activity")
    cut_paid_days: int = _field(65, "paid days", "How long a cut lasts, in paid benefit days",
                                ge=5, le=500)
    required_service_days: int = _field(5, "days", "Days in employment-promoting services "
                                        "within a review period that avoid the cut",
                                        ge=1, le=65)
    # -- behavioural responses (fitted to the 2018 activation trend, see calibration/) --------
    response_weeks: int = _field(4, "weeks", "How close to the end of a review period an "
                                 "inactive job seeker responds to a coming cut", ge=0, le=13)
    service_seeking_per_week: Share = _field(
        0.0, "probability/week", "Chance per week, in the response weeks, that an inactive job "
        "seeker asks the office for a service (referred within the week's room)")
    short_work_per_week: Share = _field(
        0.0, "probability/week", "Chance per week, in the response weeks, that an inactive job "
        "seeker does at least 18 hours of short work (or the self-employment income) that "
        "keeps the benefit uncut without leaving unemployment")

    @field_validator("start_date", "end_date")
    @classmethod
    def _date(cls, value: str | None) -> str | None:
        if value is not None:
            datetime.date.fromisoformat(value)
        return value


class NationalPolicy(Frozen):
    activation_model: ActivationModel = Field(default_factory=ActivationModel)
