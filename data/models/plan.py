"""The plan's tracker (issue 20): the Département's plan of actions as data.

« Accompagnement social et médico-social : un plan d'actions pour créer des vocations » (adopted
on 4 November 2024, 2024-2026) announces 87 actions in 4 axes. A :class:`PlanAxis` holds an axis
and the number of actions the plan announces for it; a :class:`PlanAction` one action (the
examples the publications name ship as seeds, coordinators add the others), with its
:class:`PlanBudgetLine` rows (a year, an amount in cents, a co-funder) and its
:class:`PlanIndicator` rows: either linked to an indicator of the observatory by its key, or kept
by hand as dated :class:`PlanIndicatorValue` rows.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import (
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    Numeric,
    String,
    Text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum, utcnow
from .users import User

__all__ = [
    "MAX_PLAN_TITLE",
    "MAX_PLAN_TEXT",
    "MAX_PLAN_NAME",
    "PlanActionStatus",
    "CoFunder",
    "PlanAxis",
    "PlanAction",
    "PlanBudgetLine",
    "PlanIndicator",
    "PlanIndicatorValue",
]

#: The longest title of an action or an indicator, and of its free texts.
MAX_PLAN_TITLE = 300
MAX_PLAN_TEXT = 4_000
#: The longest name of a lead, a co-funder or a unit.
MAX_PLAN_NAME = 200


class PlanActionStatus(enum.StrEnum):
    """Where an action stands (its French labels are in ``data.presentation.labels``)."""

    PLANNED = "planned"
    IN_PROGRESS = "in_progress"
    DONE = "done"
    ABANDONED = "abandoned"


class CoFunder(enum.StrEnum):
    """Who pays a budget line: the Département, one of the plan's partners, or another, named."""

    DEPARTEMENT = "departement"
    CNSA = "cnsa"
    DDETS = "ddets"
    REGION = "region"
    OTHER = "other"


class PlanAxis(Base):
    """One of the plan's four axes, with the number of actions the plan announces for it."""

    __tablename__ = "plan_axes"
    __table_args__ = (
        CheckConstraint("number BETWEEN 1 AND 4", name="number_range"),
        CheckConstraint("announced_actions >= 0", name="announced_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[int] = mapped_column(Integer, unique=True)
    title: Mapped[str] = mapped_column(String(MAX_PLAN_TITLE))
    #: What the publication says the axis is for (« 22 actions pour attirer... »).
    summary: Mapped[str] = mapped_column(Text, default="")
    announced_actions: Mapped[int] = mapped_column(Integer)

    actions: Mapped[list[PlanAction]] = relationship(
        back_populates="axis", order_by="PlanAction.id"
    )

    def __repr__(self) -> str:
        return f"<PlanAxis {self.number}>"


class PlanAction(Base):
    """One action of the plan: what, who leads it and with whom, where it stands, when."""

    __tablename__ = "plan_actions"

    id: Mapped[int] = mapped_column(primary_key=True)
    axis_id: Mapped[int] = mapped_column(ForeignKey("plan_axes.id"), index=True)
    title: Mapped[str] = mapped_column(String(MAX_PLAN_TITLE))
    description: Mapped[str] = mapped_column(Text, default="")
    #: The « pilote » and the partners, as text (an organisation, a service).
    lead: Mapped[str] = mapped_column(String(MAX_PLAN_NAME), default="")
    partners: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[PlanActionStatus] = mapped_column(
        str_enum(PlanActionStatus, "plan_action_status"), default=PlanActionStatus.PLANNED
    )
    starts_on: Mapped[date | None] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)
    #: Where the facts come from (for the seeded examples: the publication and its date).
    source: Mapped[str] = mapped_column(Text, default="")
    #: The key of a shipped example (None for the actions coordinators add): loaded once.
    seed_key: Mapped[str | None] = mapped_column(String(64), unique=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None: a shipped seed, or an editor whose account was erased.
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    axis: Mapped[PlanAxis] = relationship(back_populates="actions")
    updated_by: Mapped[User | None] = relationship(foreign_keys=[updated_by_id])
    budget_lines: Mapped[list[PlanBudgetLine]] = relationship(
        back_populates="action",
        cascade="all, delete-orphan",
        order_by="(PlanBudgetLine.year, PlanBudgetLine.id)",
    )
    indicators: Mapped[list[PlanIndicator]] = relationship(
        back_populates="action", cascade="all, delete-orphan", order_by="PlanIndicator.id"
    )

    def __repr__(self) -> str:
        return f"<PlanAction {self.id} of axis {self.axis_id}>"


class PlanBudgetLine(Base):
    """An amount for an action in a year, and who pays it."""

    __tablename__ = "plan_budget_lines"
    __table_args__ = (
        CheckConstraint("amount_cents > 0", name="amount_positive"),
        CheckConstraint("year BETWEEN 2000 AND 2100", name="year_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("plan_actions.id", ondelete="CASCADE"), index=True
    )
    year: Mapped[int] = mapped_column(Integer)
    amount_cents: Mapped[int] = mapped_column(Integer)
    funder: Mapped[CoFunder] = mapped_column(str_enum(CoFunder, "plan_co_funder"))
    #: The co-funder's name when it is another one than those the plan names.
    funder_name: Mapped[str] = mapped_column(String(MAX_PLAN_NAME), default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    action: Mapped[PlanAction] = relationship(back_populates="budget_lines")

    def __repr__(self) -> str:
        return f"<PlanBudgetLine {self.id} of action {self.action_id}>"


class PlanIndicator(Base):
    """How an action is measured: an observatory indicator (by key) or one kept by hand."""

    __tablename__ = "plan_indicators"
    __table_args__ = (
        CheckConstraint("observatory_key IS NOT NULL OR name IS NOT NULL", name="linked_or_named"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    action_id: Mapped[int] = mapped_column(
        ForeignKey("plan_actions.id", ondelete="CASCADE"), index=True
    )
    #: The observatory's indicator it reads (None: an indicator kept by hand).
    observatory_key: Mapped[str | None] = mapped_column(String(64))
    name: Mapped[str | None] = mapped_column(String(MAX_PLAN_TITLE))
    unit: Mapped[str] = mapped_column(String(MAX_PLAN_NAME), default="")
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    action: Mapped[PlanAction] = relationship(back_populates="indicators")
    values: Mapped[list[PlanIndicatorValue]] = relationship(
        back_populates="indicator",
        cascade="all, delete-orphan",
        order_by="(PlanIndicatorValue.measured_on, PlanIndicatorValue.id)",
    )

    def __repr__(self) -> str:
        return f"<PlanIndicator {self.id} of action {self.action_id}>"


class PlanIndicatorValue(Base):
    """One dated value of an indicator kept by hand, with who entered it."""

    __tablename__ = "plan_indicator_values"

    id: Mapped[int] = mapped_column(primary_key=True)
    indicator_id: Mapped[int] = mapped_column(
        ForeignKey("plan_indicators.id", ondelete="CASCADE"), index=True
    )
    measured_on: Mapped[date] = mapped_column(Date)
    value: Mapped[Decimal] = mapped_column(Numeric(14, 2))
    entered_at: Mapped[datetime] = mapped_column(default=utcnow)
    entered_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    indicator: Mapped[PlanIndicator] = relationship(back_populates="values")
    entered_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<PlanIndicatorValue {self.id} of indicator {self.indicator_id}>"
