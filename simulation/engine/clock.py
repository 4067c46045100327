"""The model's clock: whole weeks since the scenario's start date.

One object owned by the model and shared by the parts that stamp what happens with the week
(waiting lists, the weekly metrics), so the week lives behind one attribute and nothing below
the model needs the model itself to know the time.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class Clock:
    week: int = 0
