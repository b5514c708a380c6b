"""Who receives the mails about an employer, a candidate, or the platform's coordinators."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Candidate, Employer, NotifyFrequency, Offer, Role, User
from data.models.mail import NotificationPreference

__all__ = [
    "DEFAULT_EMPLOYER_FREQUENCY",
    "Recipient",
    "employer_recipients",
    "OfferContact",
    "offer_contact_user",
    "offer_contact",
    "offer_recipients",
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


def offer_contact_user(session: Session, offer: Offer) -> User | None:
    """Return the person named as the offer's contact, if it is an active account of its
    structure (a removed colleague's offers have none)."""
    if offer.contact_user_id is None:
        return None
    user = session.get(User, offer.contact_user_id)
    if (
        user is None
        or not user.is_active
        or user.role != Role.EMPLOYER
        or user.employer_id != offer.site.employer_id
    ):
        return None
    return user


def offer_recipients(session: Session, offer: Offer) -> list[Recipient]:
    """Return who receives an offer's mails: its contact person when named, else the structure's
    recipients (:func:`employer_recipients`)."""
    user = offer_contact_user(session, offer)
    if user is None:
        return employer_recipients(session, offer.site.employer)
    frequency = session.scalar(
        select(NotificationPreference.frequency).where(NotificationPreference.user_id == user.id)
    )
    chosen = NotifyFrequency(frequency or DEFAULT_EMPLOYER_FREQUENCY)
    return [Recipient(user.email.lower(), user.id, chosen)]


@dataclass(frozen=True)
class OfferContact:
    """Whom a candidate of an approved pair reaches about an offer: name, address, phone."""

    name: str
    email: str
    phone: str | None


def offer_contact(session: Session, offer: Offer) -> OfferContact:
    """Return the offer's contact person (name, sign-in address, the structure's phone) when
    named, else the structure's contact as declared."""
    employer = offer.site.employer
    user = offer_contact_user(session, offer)
    if user is None:
        return OfferContact(employer.contact_name, employer.contact_email, employer.contact_phone)
    name = user.display_name or employer.contact_name
    return OfferContact(name, user.email, employer.contact_phone)


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
