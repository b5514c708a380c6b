"""The plan's roadmap as pages and exports read it (issue 20): actions by axis against the
numbers the plan announces, counts by status, progress, and the budget against its frame.

« N actions renseignées sur 87 annoncées »: the actions entered (the shipped examples and those
coordinators add) per axis, on the number the axis announces, and overall on the plan's 87.
Progress is the share of actions « Réalisée » among those entered. The budget sums the budget
lines by year, by axis and by co-funder, against the announced frame (200 000 € a year, half of it
from partners): the external share is what co-funders other than the Département bring.
Nothing here names an editor: the public page and the exports read these rows as they are.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import date

from sqlalchemy import select
from sqlalchemy.orm import Session, selectinload

from data.models import (
    CoFunder,
    PlanAction,
    PlanActionStatus,
    PlanAxis,
    PlanBudgetLine,
    PlanIndicator,
    PlanIndicatorValue,
)
from data.reference import PlanFrame, plan_frame

from .plan_observatory import observatory_indicator_label, observatory_indicator_value

__all__ = [
    "AxisProgress",
    "Roadmap",
    "YearBudget",
    "IndicatorView",
    "roadmap",
    "budget_by_year",
    "action_totals",
    "budget_lines",
    "indicator_views",
    "plan_actions",
    "plan_axes",
]


def _share(part: int, whole: int) -> float | None:
    return part / whole if whole else None


@dataclass(frozen=True)
class AxisProgress:
    """One axis: its actions entered, the number it announces, its counts by status."""

    axis: PlanAxis
    actions: list[PlanAction]
    by_status: dict[PlanActionStatus, int]

    @property
    def entered(self) -> int:
        """The actions entered for the axis."""
        return len(self.actions)

    @property
    def announced(self) -> int:
        """The actions the plan announces for the axis."""
        return self.axis.announced_actions

    @property
    def done_share(self) -> float | None:
        """The share of the axis's entered actions that are done (None without any)."""
        return _share(self.by_status[PlanActionStatus.DONE], self.entered)


@dataclass(frozen=True)
class Roadmap:
    """The whole plan: its frame, its axes in order, the counts of all its actions."""

    frame: PlanFrame
    axes: list[AxisProgress]
    by_status: dict[PlanActionStatus, int]

    @property
    def entered(self) -> int:
        """The actions entered, all axes."""
        return sum(a.entered for a in self.axes)

    @property
    def announced(self) -> int:
        """The actions the plan announces (87)."""
        return self.frame.announced_actions

    @property
    def done_share(self) -> float | None:
        """The share of the entered actions that are done."""
        return _share(self.by_status[PlanActionStatus.DONE], self.entered)


def _counts(actions: list[PlanAction]) -> dict[PlanActionStatus, int]:
    found = Counter(a.status for a in actions)
    return {s: found.get(s, 0) for s in PlanActionStatus}


def plan_axes(session: Session) -> list[PlanAxis]:
    """Return the plan's axes in order."""
    return list(session.scalars(select(PlanAxis).order_by(PlanAxis.number)))


def plan_actions(session: Session) -> list[PlanAction]:
    """Return every action of the plan by axis, then in the order they were entered."""
    return list(
        session.scalars(
            select(PlanAction)
            .join(PlanAxis)
            .options(selectinload(PlanAction.budget_lines))
            .order_by(PlanAxis.number, PlanAction.id)
        )
    )


def roadmap(session: Session) -> Roadmap:
    """Return the plan's roadmap: each axis with its actions and counts, and the totals."""
    axes = plan_axes(session)
    actions = plan_actions(session)
    progress = [
        AxisProgress(
            axis=axis,
            actions=[a for a in actions if a.axis_id == axis.id],
            by_status=_counts([a for a in actions if a.axis_id == axis.id]),
        )
        for axis in axes
    ]
    return Roadmap(frame=plan_frame(), axes=progress, by_status=_counts(actions))


@dataclass
class YearBudget:
    """One year's budget lines summed by axis (by its number) and by co-funder."""

    year: int
    frame_cents: int
    external_target_cents: int
    by_axis: dict[int, int] = field(default_factory=dict)
    by_funder: dict[CoFunder, int] = field(default_factory=dict)

    @property
    def total_cents(self) -> int:
        """All the year's lines."""
        return sum(self.by_axis.values())

    @property
    def external_cents(self) -> int:
        """What co-funders other than the Département bring that year."""
        return sum(v for k, v in self.by_funder.items() if k != CoFunder.DEPARTEMENT)

    @property
    def external_share(self) -> float | None:
        """The external part of the year's lines (None without any line)."""
        return _share(self.external_cents, self.total_cents)


def budget_by_year(session: Session) -> list[YearBudget]:
    """Return each year of the plan (and any other year a line names) with its sums."""
    frame = plan_frame()
    target = frame.yearly_budget_cents * frame.external_share_percent // 100
    rows = session.execute(
        select(
            PlanBudgetLine.year, PlanAxis.number, PlanBudgetLine.funder, PlanBudgetLine.amount_cents
        )
        .join(PlanAction, PlanBudgetLine.action_id == PlanAction.id)
        .join(PlanAxis, PlanAction.axis_id == PlanAxis.id)
    ).all()
    years = sorted(set(frame.years) | {r[0] for r in rows})
    found = {
        y: YearBudget(
            year=y,
            frame_cents=frame.yearly_budget_cents,
            external_target_cents=target,
            by_axis={n: 0 for n in range(1, 5)},
            by_funder={f: 0 for f in CoFunder},
        )
        for y in years
    }
    for year, axis, funder, cents in rows:
        found[year].by_axis[axis] += cents
        found[year].by_funder[funder] += cents
    return [found[y] for y in years]


def budget_lines(session: Session) -> list[PlanBudgetLine]:
    """Return every budget line, by axis, action and year."""
    return list(
        session.scalars(
            select(PlanBudgetLine)
            .join(PlanAction, PlanBudgetLine.action_id == PlanAction.id)
            .join(PlanAxis, PlanAction.axis_id == PlanAxis.id)
            .options(selectinload(PlanBudgetLine.action).selectinload(PlanAction.axis))
            .order_by(PlanAxis.number, PlanAction.id, PlanBudgetLine.year, PlanBudgetLine.id)
        )
    )


def action_totals(actions: list[PlanAction]) -> dict[int, int]:
    """Return each action's budget (all years, all co-funders), in cents, by its id."""
    return {a.id: sum(line.amount_cents for line in a.budget_lines) for a in actions}


@dataclass(frozen=True)
class IndicatorView:
    """An indicator as its action's page shows it: an observatory one with its value for each
    plan year (``yearly``), one kept by hand with its dated entries (``entries``)."""

    indicator: PlanIndicator
    name: str
    unit: str
    yearly: list[tuple[int, int | None]]
    entries: list[PlanIndicatorValue]

    @property
    def linked(self) -> bool:
        """Whether the observatory computes it."""
        return self.indicator.observatory_key is not None


def indicator_views(session: Session, action: PlanAction, today: date) -> list[IndicatorView]:
    """Return an action's indicators: an observatory one with its value for each plan year up to
    this one, one kept by hand with its dated values (who entered each is on the row)."""
    views = []
    for indicator in session.scalars(
        select(PlanIndicator)
        .where(PlanIndicator.action_id == action.id)
        .options(selectinload(PlanIndicator.values))
        .order_by(PlanIndicator.id)
    ):
        key = indicator.observatory_key
        if key is not None:
            years = [y for y in plan_frame().years if y <= today.year]
            yearly = [(y, observatory_indicator_value(session, key, y)) for y in years]
            views.append(IndicatorView(indicator, observatory_indicator_label(key), "", yearly, []))
        else:
            views.append(
                IndicatorView(
                    indicator, indicator.name or "", indicator.unit, [], list(indicator.values)
                )
            )
    return views
