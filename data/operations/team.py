"""Several people per structure: invite a colleague, list the team, remove one; offers' contact.

Each person of a structure signs in with their own address (an employer account, ``User`` with
``employer_id``). A colleague is invited by name and address: the account is created at once and
an invitation with a sign-in link is queued in the outbox. A removed colleague's account is
disabled (their sessions, sign-in links and the API tokens naming them stop at once, see
``data.auth.set_active``) and the offers they were the contact of fall back to none. The last
person of a structure cannot be removed. Each change is written to the audit log.

An invitation waits in a mailbox: its link works ``INVITATION_DAYS`` days (to the end of the
last one, Paris time, the day the mail names), not the 15 minutes of an ordinary sign-in link.
"""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from data import auth
from data.actor import Actor
from data.config import DEFAULTS
from data.errors import Conflict, NotFound, PermissionDenied, ValidationError
from data.mail.compose import default_base_url, queue_mail
from data.mail.links import url
from data.mail.recipients import Recipient
from data.models import Employer, NotifyFrequency, Offer, Role, Site, User
from data.presentation.formatters import PARIS

from . import audit
from ._common import load, now_or_utc
from .users import create_user, find_user_by_email
from .validation import ErrorCollector, clean_email, clean_text

__all__ = [
    "EMAIL_TAKEN",
    "FORMER_COLLEAGUE",
    "LAST_PERSON",
    "NOT_A_COLLEAGUE",
    "TEAM_OBJECT",
    "team_members",
    "invitation_last_day",
    "invite_colleague",
    "remove_colleague",
    "clean_offer_contact",
    "set_offer_contact",
]

TEAM_OBJECT = "employer"
EMAIL_TAKEN = "Cette adresse est déjà celle d'un compte de Passerelle : choisissez-en une autre."
FORMER_COLLEAGUE = (
    "Cette adresse est celle d'une personne retirée de la structure : la coordination peut "
    "réactiver son compte."
)
LAST_PERSON = (
    "C'est la dernière personne de la structure : invitez d'abord quelqu'un d'autre, "
    "la structure ne peut pas rester sans personne."
)
NOT_A_COLLEAGUE = "Choisissez une personne de votre structure."
INVITATION_KIND = "team_invitation"


def invitation_last_day(at: datetime, days: int) -> date:
    """Return the last Paris day an invitation sent at ``at`` works: ``days`` days later.

    >>> invitation_last_day(datetime(2026, 3, 3, 23, 30, tzinfo=UTC), 7)
    datetime.date(2026, 3, 11)
    """
    return (at.astimezone(PARIS) + timedelta(days=days)).date()


def _end_of(day: date) -> datetime:
    """The moment a Paris day ends (midnight after it), in UTC."""
    return datetime.combine(day + timedelta(days=1), time(0), tzinfo=PARIS).astimezone(UTC)


def _check_acts_for(actor: Actor, employer_id: int) -> None:
    if not actor.may_act_for_employer(employer_id):
        raise PermissionDenied("Vous ne pouvez agir que pour votre structure.")


def team_members(session: Session, employer: Employer | int) -> list[User]:
    """Return the people of a structure (its active employer accounts), by name then id."""
    employer_id = employer if isinstance(employer, int) else employer.id
    stmt = select(User).where(
        User.employer_id == employer_id, User.role == Role.EMPLOYER, User.is_active.is_(True)
    )
    return sorted(session.scalars(stmt), key=lambda u: ((u.display_name or u.email).lower(), u.id))


def invite_colleague(
    session: Session,
    actor: Actor,
    employer: Employer | int,
    *,
    name: object,
    email: object,
    base_url: str | None = None,
    valid_days: int | None = None,
    now: datetime | None = None,
) -> User:
    """Create a colleague's account in the structure and queue their invitation (sign-in link).

    The link works ``valid_days`` days (the ``INVITATION_DAYS`` setting when None), to the end
    of the last one in Paris; the mail names that day.

    An address that is already an account's is refused (``email``), without saying whose.
    Flushes only: the mail leaves after the caller's commit.
    """
    employer = load(session, Employer, employer, "Structure")
    _check_acts_for(actor, employer.id)
    at = now_or_utc(now)
    errors = ErrorCollector()
    name_value = errors.run(clean_text, name, "name", max_length=200)
    email_value = errors.run(clean_email, email, "email")
    if email_value is not None:
        existing = find_user_by_email(session, email_value)
        if existing is not None:
            former = (
                not existing.is_active
                and existing.role == Role.EMPLOYER
                and existing.employer_id == employer.id
            )
            errors.add("email", FORMER_COLLEAGUE if former else EMAIL_TAKEN)
    errors.raise_if_any()
    try:
        with session.begin_nested():
            user = create_user(
                session,
                email=email_value,  # type: ignore[arg-type]
                role=Role.EMPLOYER,
                employer=employer,
                display_name=name_value,
            )
            session.flush()
    except ValidationError as exc:  # the address was taken a moment ago
        raise ValidationError({"email": [EMAIL_TAKEN]}) from exc
    days = DEFAULTS["INVITATION_DAYS"] if valid_days is None else valid_days
    last_day = invitation_last_day(at, days)
    raw = auth.create_login_link(session, user, now=at, expires_at=_end_of(last_day))
    base = default_base_url(base_url)
    inviter = session.get(User, actor.user_id) if actor.user_id is not None else None
    queue_mail(
        session,
        Recipient(user.email, user.id, NotifyFrequency.DAILY),
        kind=INVITATION_KIND,
        key=f"invite:{user.id}",
        template="team_invitation",
        base_url=base,
        now=at,
        optional=False,
        name=name_value,
        inviter=(inviter.display_name or inviter.email) if inviter is not None else None,
        structure=employer.name,
        link=url(base, "sign_in_link", token=raw),
        valid_until=last_day,
    )
    audit.record(
        session,
        actor,
        "team_invite",
        TEAM_OBJECT,
        employer.id,
        {"user": user.id},
        now=at,
    )
    return user


def remove_colleague(
    session: Session,
    actor: Actor,
    employer: Employer | int,
    person: User | int,
    *,
    now: datetime | None = None,
) -> User:
    """Remove a person from the structure: their account is disabled (sessions, links and the
    API tokens naming them stop), their offers' contact falls back to none. Not the last one."""
    employer = load(session, Employer, employer, "Structure")
    _check_acts_for(actor, employer.id)
    user = session.get(User, person) if isinstance(person, int) else person
    if (
        user is None
        or user.employer_id != employer.id
        or user.role != Role.EMPLOYER
        or not user.is_active
    ):
        raise NotFound("Personne", person if isinstance(person, int) else person.id)
    at = now_or_utc(now)
    others = [u for u in team_members(session, employer.id) if u.id != user.id]
    if not others:
        raise Conflict(LAST_PERSON)
    auth.set_active(session, user, False)
    site_ids = select(Site.id).where(Site.employer_id == employer.id).scalar_subquery()
    session.execute(
        update(Offer)
        .where(Offer.contact_user_id == user.id, Offer.site_id.in_(site_ids))
        .values(contact_user_id=None)
        .execution_options(synchronize_session="fetch")
    )
    audit.record(
        session,
        actor,
        "team_remove",
        TEAM_OBJECT,
        employer.id,
        {"user": user.id},
        now=at,
    )
    session.flush()
    return user


def clean_offer_contact(session: Session, employer_id: int, value: object) -> int | None:
    """Return the id of the offer's contact person (an active person of ``employer_id``), or
    None for none; raise ValidationError (``contact_user_id``) for anyone else."""
    if value is None or value == "":
        return None
    if isinstance(value, bool):
        raise ValidationError({"contact_user_id": [NOT_A_COLLEAGUE]})
    try:
        user_id = int(value)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        raise ValidationError({"contact_user_id": [NOT_A_COLLEAGUE]}) from None
    user = session.get(User, user_id) if 0 < user_id < 2**31 else None
    if (
        user is None
        or user.employer_id != employer_id
        or user.role != Role.EMPLOYER
        or not user.is_active
    ):
        raise ValidationError({"contact_user_id": [NOT_A_COLLEAGUE]})
    return user.id


def set_offer_contact(session: Session, offer: Offer | int, value: object) -> Offer:
    """Name the person of the offer's structure its mails go to (None: the structure's people)."""
    offer = load(session, Offer, offer, "Offre")
    offer.contact_user_id = clean_offer_contact(session, offer.site.employer_id, value)
    session.flush()
    return offer
