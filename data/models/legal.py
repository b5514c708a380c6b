"""The rules of the apprenticeship the platform reads (issue 19): delays, limits and amounts of
the law, each a dated reference row with its source.

A rule's value holds from ``valid_from``; a change is a new row, never an edit of the past, and
the row in force on a day is the latest whose ``valid_from`` is on or before that day (as for the
SMIC and the pay grid, :mod:`.pay`). The code names the rules it reads (:class:`RuleKey`) and the
unit of each (:data:`RULE_UNITS`); the values, their days and their sources are data: shipped in
``data/reference/legal_rules.csv``, extended by admins.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, str_enum, utcnow

__all__ = ["LegalRule", "RULE_UNITS", "RuleKey", "RuleUnit"]


class RuleKey(enum.StrEnum):
    """The rules the platform reads."""

    #: Days of practical training at the employer's during which either side may end the
    #: contract alone (Code du travail, L6222-18).
    TRIAL_DAYS = "trial_days"
    #: Working days after the contract's start within which the employer sends it to the OPCO.
    OPCO_DEPOSIT_DAYS = "opco_deposit_days"
    #: Apprentices a maître d'apprentissage may supervise at a time (R6223-6)...
    MASTER_MAX_APPRENTICES = "master_max_apprentices"
    #: ...plus this many whose training is prolonged after failing the exam (R6223-6).
    MASTER_EXTRA_REPEATING = "master_extra_repeating"
    #: Working days of paid leave to prepare the exams, in the month before them (L6222-35).
    EXAM_LEAVE_DAYS = "exam_leave_days"
    #: Working days of paid leave earned per month of actual work (L3141-3).
    PAID_LEAVE_DAYS_PER_MONTH = "paid_leave_days_per_month"


class RuleUnit(enum.StrEnum):
    """What a rule's value counts."""

    DAYS = "days"
    WORKING_DAYS = "working_days"
    APPRENTICES = "apprentices"


#: The unit of each rule (a rule's unit is part of its meaning, not of its data).
RULE_UNITS: dict[RuleKey, RuleUnit] = {
    RuleKey.TRIAL_DAYS: RuleUnit.DAYS,
    RuleKey.OPCO_DEPOSIT_DAYS: RuleUnit.WORKING_DAYS,
    RuleKey.MASTER_MAX_APPRENTICES: RuleUnit.APPRENTICES,
    RuleKey.MASTER_EXTRA_REPEATING: RuleUnit.APPRENTICES,
    RuleKey.EXAM_LEAVE_DAYS: RuleUnit.WORKING_DAYS,
    RuleKey.PAID_LEAVE_DAYS_PER_MONTH: RuleUnit.WORKING_DAYS,
}


class LegalRule(Base):
    """One rule's value from a day, with its source."""

    __tablename__ = "legal_rules"
    __table_args__ = (
        UniqueConstraint("key", "valid_from"),
        CheckConstraint("value >= 0", name="value_not_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[RuleKey] = mapped_column(str_enum(RuleKey, "rule_key"))
    value: Mapped[Decimal] = mapped_column(Numeric(10, 2))
    valid_from: Mapped[date] = mapped_column(Date, index=True)
    source: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
