"""How often employers' staff want digests (candidates keep theirs on ``Candidate``), and whether
a person wants the mallette's news in their digests (everyone's, on ``User``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from data.errors import ValidationError
from data.models import NotifyFrequency, User, utcnow
from data.models.mail import NotificationPreference

__all__ = [
    "DEFAULT_STAFF_FREQUENCY",
    "get_notify_frequency",
    "set_library_news",
    "set_notify_frequency",
]

#: Employers' staff who never chose get the daily digest.
DEFAULT_STAFF_FREQUENCY = NotifyFrequency.DAILY


def get_notify_frequency(session: Session, user_id: int) -> NotifyFrequency:
    """Return the user's digest frequency (the default if they never chose)."""
    row = session.get(NotificationPreference, user_id)
    return row.frequency if row is not None else DEFAULT_STAFF_FREQUENCY


def set_notify_frequency(
    session: Session,
    user_id: int,
    frequency: NotifyFrequency | str,
    *,
    now: datetime | None = None,
) -> NotifyFrequency:
    """Store the user's digest frequency; flushes only. Raises ValidationError if unknown."""
    try:
        value = NotifyFrequency(frequency)
    except ValueError:
        raise ValidationError(
            {
                "notify_frequency": [
                    "Choisissez : immédiatement, chaque jour, chaque semaine ou jamais."
                ]
            }
        ) from None
    row = session.get(NotificationPreference, user_id)
    if row is None:
        row = NotificationPreference(user_id=user_id, frequency=value)
        session.add(row)
    row.frequency = value
    row.updated_at = now or utcnow()
    session.flush()
    return value


def set_library_news(
    session: Session, user_id: int, wanted: bool, *, now: datetime | None = None
) -> None:
    """Ask for the mallette's news in one's digests (opt-in), or stop them; flushes only.

    News start at the moment asked: what was published before is in the mallette, not news. Asking
    again while asked keeps the first moment (nothing published since is lost)."""
    user = session.get(User, user_id)
    if user is None:
        return
    if not wanted:
        user.library_news_since = None
    elif user.library_news_since is None:
        user.library_news_since = now or utcnow()
    session.flush()
