"""A service provider: a Mesa agent with staff hours, its copy of the contract's clock (the
week its contract starts), its books and its star rating."""

from __future__ import annotations

import mesa


class Provider(mesa.Agent):
    """One service provider: staff hours, costs, its contract copy, its books and rating."""

    def __init__(self, model: mesa.Model, number: int, start_week: int,
                 staff_hours: float) -> None:
        super().__init__(model)
        self.number = number
        self.start_week = start_week         # model week of contract week 0
        self.staff_hours = staff_hours
        self.active = True
        self.exit_week: int | None = None   # left (losses) or wound down (work completed)
        self.completed = False
        self.stars = 3.0
        self.paid_cents = 0                  # under the budget cap
        self.cumulative_profit = 0.0
        self.profits: list[float] = []
        self.loss_weeks = 0
        self.intake = 0
        self.firm_intake = 0
        self.steering_done = False

    def contract_week(self, week: int) -> int:
        return week - self.start_week
