"""The observatory's monthly snapshots (issue 20): figures that outlive the records they count.

Once a month is over, the ``observatory`` job stores each indicator's figures of that month at
their finest grain (métier x commune), so that the series survive the retention job's
anonymisation and the deletion of offers and accounts. A row names no person: a count, or a
median with the number of values behind it. ``metier_code`` and ``commune_insee`` are plain
strings, not foreign keys (a métier removed from the referential keeps its past figures); the
empty string stands for « all » or « not known ».
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, Float, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

__all__ = ["ObservatorySnapshot"]


class ObservatorySnapshot(Base):
    """One figure of one closed month: an indicator for a métier in a commune."""

    __tablename__ = "observatory_snapshots"
    __table_args__ = (
        UniqueConstraint(
            "month",
            "indicator",
            "metier_code",
            "commune_insee",
            name="uq_observatory_snapshots_cell",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: The month's first day.
    month: Mapped[date] = mapped_column(Date, index=True)
    indicator: Mapped[str] = mapped_column(String(40))
    metier_code: Mapped[str] = mapped_column(String(64), default="")
    commune_insee: Mapped[str] = mapped_column(String(5), default="")
    #: A count, or a median (then ``count`` is the number of values it is the median of).
    value: Mapped[float] = mapped_column(Float)
    count: Mapped[int] = mapped_column(Integer)
    computed_at: Mapped[datetime] = mapped_column(default=utcnow)

    def __repr__(self) -> str:
        return f"<ObservatorySnapshot {self.month} {self.indicator} {self.value}>"
