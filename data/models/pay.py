"""The apprentice's pay (issue 18): the SMIC and the grid of minimum pay, dated reference rows.

An apprentice's minimum gross pay is a share of the SMIC that depends on the age band and the
contract year (Code du travail, article D6222-26). Both the SMIC and the grid are kept as rows
with the day they hold from (``valid_from``): a change is a new row, never an edit of the past,
and the row in force on a day is the latest one whose ``valid_from`` is on or before that day.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from decimal import Decimal

from sqlalchemy import CheckConstraint, Date, ForeignKey, Integer, Numeric, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, str_enum, utcnow

__all__ = ["AgeBand", "PayGridRow", "SmicValue", "CONTRACT_YEARS"]

#: The contract years the grid knows (an apprenticeship lasts at most three years here).
CONTRACT_YEARS: tuple[int, ...] = (1, 2, 3)


class AgeBand(enum.StrEnum):
    """The age band a request may state (no birth date is needed)."""

    UNDER_18 = "16-17"
    FROM_18 = "18-20"
    FROM_21 = "21-25"
    FROM_26 = "26+"


class PayGridRow(Base):
    """The minimum pay of an age band in a contract year, as a percent of the SMIC, from a day."""

    __tablename__ = "pay_grid"
    __table_args__ = (
        UniqueConstraint("age_band", "contract_year", "valid_from"),
        CheckConstraint("contract_year BETWEEN 1 AND 3", name="contract_year_range"),
        CheckConstraint("percent > 0 AND percent <= 200", name="percent_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    age_band: Mapped[AgeBand] = mapped_column(str_enum(AgeBand, "age_band"))
    contract_year: Mapped[int] = mapped_column(Integer)
    percent: Mapped[Decimal] = mapped_column(Numeric(5, 2))
    valid_from: Mapped[date] = mapped_column(Date, index=True)
    source: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )


class SmicValue(Base):
    """The gross SMIC from a day: per hour and per month (35 hours a week), in cents."""

    __tablename__ = "smic_values"
    __table_args__ = (
        CheckConstraint("monthly_cents > 0", name="monthly_positive"),
        CheckConstraint("hourly_cents > 0", name="hourly_positive"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    monthly_cents: Mapped[int] = mapped_column(Integer)
    hourly_cents: Mapped[int] = mapped_column(Integer)
    valid_from: Mapped[date] = mapped_column(Date, unique=True)
    source: Mapped[str] = mapped_column(String(500))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
