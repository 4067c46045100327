"""The model's clock: whole weeks since the scenario's start date.

One object owned by the model and shared by the parts that stamp what happens with the week
(waiting lists, the weekly metrics), so the week lives behind one attribute and nothing below
the model needs the model itself to know the time.
"""

from __future__ import annotations

import datetime
from dataclasses import dataclass


@dataclass
class Clock:
    week: int = 0


def week_of(start_date: str, date: str) -> int:
    """The model week that contains ``date`` (week 1 starts on ``start_date``; 0 before)."""
    days = (datetime.date.fromisoformat(date) - datetime.date.fromisoformat(start_date)).days
    return max(0, days // 7 + 1)
