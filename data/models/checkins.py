"""The coordinators' calls after a contract's check-ins (issue 19).

The check-ins themselves are questionnaires (:class:`data.models.Questionnaire`, purposes
``checkin_15`` and ``checkin_40``, subject the pair). A :class:`CheckinCall` records that a
coordinator called a pair that the check-ins put on the « to call » list, with a note: the pair
leaves the list until a new bad answer or a new silence (``data.queries.checkins``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Text
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, utcnow

__all__ = ["CheckinCall", "MAX_CALL_NOTE", "PAIR_SUBJECT"]

MAX_CALL_NOTE = 2000
#: A pair as the subject of its check-ins' questionnaires (and of the audit log's lines).
PAIR_SUBJECT = "suggestion"


class CheckinCall(Base):
    """One call of a pair by the coordination after its check-ins, and its note."""

    __tablename__ = "checkin_calls"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestions.id", ondelete="CASCADE"), index=True
    )
    called_at: Mapped[datetime] = mapped_column(default=utcnow)
    called_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: What the call said; may name the apprentice (blanked by their erasure).
    note: Mapped[str] = mapped_column(Text)

    def __repr__(self) -> str:
        return f"<CheckinCall {self.id} pair {self.suggestion_id}>"
