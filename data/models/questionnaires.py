"""Questionnaires sent by a single-use mail link and answered without signing in.

A small generic mechanism: the discovery days (issue 18) ask both sides three questions after
the days; the follow-up check-ins of issue 19 will ask theirs the same way. A
:class:`Questionnaire` is one questionnaire sent: what it is for (``purpose``, which names its
question sets in :mod:`data.presentation.questionnaires`), what it is about (``subject_type`` and
``subject_id``), which side answers (``side``), the address it went to, and, once answered, the
answers as JSON. Only the SHA-256 of the link's token is stored, as for sign-in links; the link
opens the form once: answered, it shows the answers read-only.

Unique on (purpose, subject, side): one questionnaire per side of a subject, whatever the number
of runs of the job that sends it.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Index, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

__all__ = ["Questionnaire"]


class Questionnaire(Base):
    """One questionnaire sent to one side of a subject, and its answers."""

    __tablename__ = "questionnaires"
    __table_args__ = (
        UniqueConstraint("purpose", "subject_type", "subject_id", "side"),
        Index("ix_questionnaires_subject", "subject_type", "subject_id"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    #: What it is for: names the question sets (``data.presentation.questionnaires``).
    purpose: Mapped[str] = mapped_column(String(32))
    subject_type: Mapped[str] = mapped_column(String(32))
    subject_id: Mapped[int] = mapped_column(Integer)
    #: Which side answers (« candidate », « structure »...): picks the question set.
    side: Mapped[str] = mapped_column(String(32))
    recipient: Mapped[str] = mapped_column(String(254))
    token_hash: Mapped[str] = mapped_column(String(64), unique=True)
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    answered_at: Mapped[datetime | None]
    #: {question key: choice value, "comment": free text}; None until answered.
    answers: Mapped[dict[str, Any] | None] = mapped_column(JSON)

    def __repr__(self) -> str:
        return f"<Questionnaire {self.id} {self.purpose} {self.subject_type}:{self.subject_id}>"
