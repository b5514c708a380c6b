"""How often employers' staff want digests (candidates keep theirs on ``Candidate``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy.orm import Session

from data.errors import ValidationError
from data.models import NotifyFrequency, utcnow
from data.models.mail import NotificationPreference

__all__ = ["DEFAULT_STAFF_FREQUENCY", "get_notify_frequency", "set_notify_frequency"]

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
