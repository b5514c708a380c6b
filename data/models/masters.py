"""Maîtres d'apprentissage (issue 19): who supervises a structure's apprentices, and how many.

A structure declares its apprenticeship masters (name, role, qualification: diploma and years of
experience; no more personal data than that) and each offer may name one (``Offer.master_id``).
By law a master supervises at most so many apprentices at a time, plus one repeating apprentice
(Code du travail, article R6223-6): that limit is a rule of :mod:`.legal` (a dated, sourced
reference row, ``master_max_apprentices``), not a constant in code. A master's capacity, what
the matching engine reads (:mod:`data.operations.masters`), is the limit less the apprentices
they supervise outside the platform (declared by the structure) and the live signed pairs of the
offers naming them.
"""

from __future__ import annotations

from datetime import datetime
from typing import TYPE_CHECKING

from sqlalchemy import CheckConstraint, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow

if TYPE_CHECKING:
    from .employers import Employer

__all__ = ["ApprenticeshipMaster", "MAX_MASTER_TEXT", "MAX_EXPERIENCE_YEARS"]

#: name, role and diploma are VARCHAR(200).
MAX_MASTER_TEXT = 200
#: Years of experience a form accepts, at most.
MAX_EXPERIENCE_YEARS = 60


class ApprenticeshipMaster(Base):
    """A maître d'apprentissage of a structure: who they are at work, and their other apprentices.

    ``supervised_elsewhere``: the apprentices they supervise now outside the platform (declared
    by the structure; a repeating apprentice is not counted: the law allows one besides).
    """

    __tablename__ = "apprenticeship_masters"
    __table_args__ = (
        CheckConstraint(
            f"experience_years BETWEEN 0 AND {MAX_EXPERIENCE_YEARS}", name="experience_range"
        ),
        CheckConstraint("supervised_elsewhere >= 0", name="supervised_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(
        ForeignKey("employers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(MAX_MASTER_TEXT))
    role: Mapped[str] = mapped_column(String(MAX_MASTER_TEXT))
    diploma: Mapped[str] = mapped_column(String(MAX_MASTER_TEXT))
    experience_years: Mapped[int] = mapped_column(Integer)
    supervised_elsewhere: Mapped[int] = mapped_column(Integer, default=0)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    employer: Mapped[Employer] = relationship(back_populates="masters")

    def __repr__(self) -> str:
        return f"<ApprenticeshipMaster {self.id} of employer {self.employer_id}>"
