"""Who receives the mails about an employer, a candidate, or the platform's coordinators."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Candidate, Employer, NotifyFrequency, Role, User
from data.models.mail import NotificationPreference

__all__ = [
    "DEFAULT_EMPLOYER_FREQUENCY",
    "Recipient",
    "employer_recipients",
    "candidate_recipient",
    "coordinator_recipients",
]

#: Employers' staff who never chose a frequency get the daily digest.
DEFAULT_EMPLOYER_FREQUENCY = NotifyFrequency.DAILY


@dataclass(frozen=True)
class Recipient:
    """Someone we mail: address, account (if any) and chosen digest frequency."""

    email: str
    user_id: int | None
    frequency: NotifyFrequency


def employer_recipients(session: Session, employer: Employer) -> list[Recipient]:
    """Return who receives an employer's mails: its active staff accounts, else its contact."""
    rows = session.execute(
        select(User.id, User.email, NotificationPreference.frequency)
        .outerjoin(NotificationPreference, NotificationPreference.user_id == User.id)
        .where(
            User.employer_id == employer.id,
            User.role == Role.EMPLOYER,
            User.is_active.is_(True),
        )
        .order_by(User.id)
    ).all()
    if rows:
        return [
            Recipient(email.lower(), uid, NotifyFrequency(freq or DEFAULT_EMPLOYER_FREQUENCY))
            for uid, email, freq in rows
        ]
    if employer.contact_email:
        return [Recipient(employer.contact_email.lower(), None, DEFAULT_EMPLOYER_FREQUENCY)]
    return []


def candidate_recipient(session: Session, candidate: Candidate) -> Recipient | None:
    """Return the candidate as a recipient, or None (anonymised, no address)."""
    if candidate.anonymised_at is not None or not candidate.email:
        return None
    user_id = session.scalar(select(User.id).where(User.candidate_id == candidate.id))
    return Recipient(candidate.email.lower(), user_id, candidate.notify_frequency)


def coordinator_recipients(session: Session) -> list[Recipient]:
    """Return the active coordinators."""
    rows = session.execute(
        select(User.id, User.email)
        .where(User.role == Role.COORDINATOR, User.is_active.is_(True))
        .order_by(User.id)
    ).all()
    return [Recipient(email.lower(), uid, NotifyFrequency.WEEKLY) for uid, email in rows]
