"""Codes shared by the provider market's parts: event kinds, client phases, fee components."""

from __future__ import annotations

from simulation.params.contracts import (
    ATTACHMENT,
    FEEDBACK,
    FIRM_OUTCOME_KINDS,
    FIRM_SERVICE_KINDS,
    OUTCOME_KINDS,
    STEERING_REVIEW,
)
from simulation.params.schema import SERVICE_NAMES

# Event kinds in the order the log codes them.
EVENT_KINDS = (ATTACHMENT, *OUTCOME_KINDS, FEEDBACK, STEERING_REVIEW, *FIRM_SERVICE_KINDS,
               *FIRM_OUTCOME_KINDS)
KIND_CODE = {kind: code for code, kind in enumerate(EVENT_KINDS)}
SUSTAIN = (("employed_3m", 13), ("employed_6m", 26), ("employed_12m", 52))
TRAINING_KINDS = ("training_referral", "recruitment_training")
TRAINING_SERVICE = SERVICE_NAMES.index("labour_market_training")
COMPONENT_KIND = {"attachment_fee": ATTACHMENT, "quality_bonus": FEEDBACK,
                  "steering_bonus": STEERING_REVIEW,
                  **{f"outcome_fee.{kind}": kind for kind in OUTCOME_KINDS}}
PARKED_SHARE_OF_EVEN = 0.1  # under a tenth of an even share of hours counts as parked

# client phases
NEVER, ACTIVE, MONITORED, DONE, DECLINED = 0, 1, 2, 3, 4
N_FEATURES = 8
PERSON_ARRAYS = ("owner", "phase", "intake_week", "risk", "noise", "weeks_served", "effect_sum",
                 "hours_sum", "parked_weeks", "earned", "placed_week", "client_paid_cents",
                 "contacted", "hours")
