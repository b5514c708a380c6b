"""Changing one's sign-in address: never silently, always by a link sent to the new address.

An employer or a candidate asks for a new address (:func:`request_email_change`): the new address
gets a single-use link that expires (:data:`EMAIL_CHANGE_TTL`), the old one a notice (« votre
adresse va changer ; si ce n'est pas vous... »). Nothing changes until the link is followed
(:func:`confirm_email_change`); then the account (and a candidate's own record) takes the new
address, the old address is told it changed, every other session ends and the pending sign-in
links die. An address that is already an account's (or another candidate's) is refused, without
saying whose. Each step is written to the audit log. The mails leave after the caller's commit.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from data import auth
from data.actor import Actor
from data.db import rows_changed
from data.errors import Conflict, ValidationError
from data.mail.compose import default_base_url, queue_mail
from data.mail.links import url
from data.mail.recipients import Recipient
from data.models import Candidate, NotifyFrequency, Role, User
from data.models.users import EmailChange

from . import audit
from ._common import now_or_utc
from .validation import ErrorCollector, clean_email

__all__ = [
    "EMAIL_CHANGE_TTL",
    "ADDRESS_TAKEN",
    "SAME_ADDRESS",
    "LINK_INVALID",
    "MAX_REQUESTS_PER_HOUR",
    "TOO_MANY",
    "request_email_change",
    "peek_email_change",
    "confirm_email_change",
    "pending_email_change",
]

#: How long the confirmation link of a new address stays valid.
EMAIL_CHANGE_TTL = timedelta(hours=24)
ADDRESS_TAKEN = "Cette adresse est déjà utilisée par un autre compte : choisissez-en une autre."
SAME_ADDRESS = "C'est déjà votre adresse de connexion."
LINK_INVALID = "Ce lien de confirmation n'est plus valable : demandez à nouveau le changement."
NO_ACCOUNT = "Seuls les comptes employeur et candidat changent d'adresse de cette façon."
#: At most this many address changes asked per account and hour: each one mails an address the
#: person typed, so the form must not become a way to mail anyone many times.
MAX_REQUESTS_PER_HOUR = 5
TOO_MANY = (
    "Trop de demandes de changement d'adresse en peu de temps : réessayez dans une heure, "
    "ou ouvrez le lien déjà envoyé."
)
ACCOUNT_OBJECT = "user"


def _address_taken(session: Session, user: User, email: str) -> bool:
    """Tell whether ``email`` is another account's, or another candidate's record's."""
    other = session.scalar(
        select(User.id).where(func.lower(User.email) == email, User.id != user.id).limit(1)
    )
    if other is not None:
        return True
    stmt = select(Candidate.id).where(func.lower(Candidate.email) == email)
    if user.candidate_id is not None:
        stmt = stmt.where(Candidate.id != user.candidate_id)
    return session.scalar(stmt.limit(1)) is not None


def _mail(
    session: Session,
    user: User,
    to: str,
    *,
    kind: str,
    key: str,
    template: str,
    base: str,
    at: datetime,
    **context: Any,
) -> None:
    queue_mail(
        session,
        Recipient(to, user.id, NotifyFrequency.DAILY),
        kind=kind,
        key=key,
        template=template,
        base_url=base,
        now=at,
        optional=False,
        **context,
    )


def request_email_change(
    session: Session,
    actor: Actor,
    user: User,
    new_email: object,
    *,
    base_url: str | None = None,
    now: datetime | None = None,
) -> EmailChange:
    """Ask to change ``user``'s sign-in address: mail a confirmation link to the new address and
    a notice to the old one; the address itself does not change yet. An earlier pending request
    of the same account dies. Flushes only."""
    if user.role not in (Role.EMPLOYER, Role.CANDIDATE):
        raise Conflict(NO_ACCOUNT)
    at = now_or_utc(now)
    recent = session.scalar(
        select(func.count())
        .select_from(EmailChange)
        .where(EmailChange.user_id == user.id, EmailChange.created_at > at - timedelta(hours=1))
    )
    if (recent or 0) >= MAX_REQUESTS_PER_HOUR:
        raise Conflict(TOO_MANY)
    errors = ErrorCollector()
    email = errors.run(clean_email, new_email, "email")
    if email is not None:
        if email == auth.normalize_email(user.email):
            errors.add("email", SAME_ADDRESS)
        elif _address_taken(session, user, email):
            errors.add("email", ADDRESS_TAKEN)
    errors.raise_if_any()
    assert email is not None
    _expire_pending(session, user, at)
    raw = auth.new_token()
    change = EmailChange(
        token_hash=auth.hash_secret(raw),
        user_id=user.id,
        old_email=user.email,
        new_email=email,
        created_at=at,
        expires_at=at + EMAIL_CHANGE_TTL,
    )
    session.add(change)
    session.flush()
    base = default_base_url(base_url)
    key = f"email-change:{change.id}"
    hours = int(EMAIL_CHANGE_TTL.total_seconds() // 3600)
    _mail(
        session,
        user,
        email,
        kind="email_change",
        key=key,
        template="email_change_confirm",
        base=base,
        at=at,
        link=url(base, "email_change", token=raw),
        hours=hours,
    )
    _mail(
        session,
        user,
        user.email,
        kind="email_change_notice",
        key=key,
        template="email_change_notice",
        base=base,
        at=at,
        new_email=email,
        hours=hours,
        done=False,
    )
    audit.record(session, actor, "email_change_requested", ACCOUNT_OBJECT, user.id, now=at)
    return change


def _expire_pending(session: Session, user: User, at: datetime) -> None:
    session.execute(
        update(EmailChange)
        .where(EmailChange.user_id == user.id, EmailChange.used_at.is_(None))
        .values(used_at=at)
        .execution_options(synchronize_session=False)
    )


def _valid_change(session: Session, raw: str, at: datetime) -> EmailChange | None:
    if not isinstance(raw, str) or not raw or len(raw) > 200:
        return None
    change = session.scalar(
        select(EmailChange).where(EmailChange.token_hash == auth.hash_secret(raw))
    )
    if change is None or change.used_at is not None or change.expires_at <= at:
        return None
    user = change.user
    if not user.is_active or user.email != change.old_email:
        return None
    return change


def peek_email_change(session: Session, raw: str, *, now: datetime | None = None) -> str | None:
    """Return the new address a confirmation link would set, or None if it is not valid (the
    page a click opens must not use the link: mail scanners open links)."""
    change = _valid_change(session, raw, now_or_utc(now))
    return change.new_email if change is not None else None


def pending_email_change(
    session: Session, user: User, *, now: datetime | None = None
) -> EmailChange | None:
    """Return the account's address change waiting for its link, if any."""
    at = now_or_utc(now)
    return session.scalar(
        select(EmailChange)
        .where(
            EmailChange.user_id == user.id,
            EmailChange.used_at.is_(None),
            EmailChange.expires_at > at,
        )
        .order_by(EmailChange.id.desc())
        .limit(1)
    )


def confirm_email_change(
    session: Session,
    raw: str,
    *,
    base_url: str | None = None,
    now: datetime | None = None,
) -> User:
    """Follow a confirmation link once: the account takes the new address (a candidate's record
    too), its sessions and sign-in links end, the old address is told. Raises ValidationError
    (``LINK_INVALID`` or ``ADDRESS_TAKEN``) otherwise. Flushes only."""
    at = now_or_utc(now)
    change = _valid_change(session, raw, at)
    if change is None:
        raise ValidationError(LINK_INVALID)
    user = change.user
    if _address_taken(session, user, change.new_email):  # taken since the request
        raise ValidationError({"email": [ADDRESS_TAKEN]})
    used = session.execute(
        update(EmailChange)
        .where(EmailChange.id == change.id, EmailChange.used_at.is_(None))
        .values(used_at=at)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(used) != 1:
        raise ValidationError(LINK_INVALID)
    session.expire(change)
    old = user.email
    user.email = change.new_email
    if user.candidate_id is not None:
        candidate = session.get(Candidate, user.candidate_id)
        if candidate is not None:
            candidate.email = change.new_email
    auth.end_all_sessions(session, user)
    base = default_base_url(base_url)
    _mail(
        session,
        user,
        old,
        kind="email_changed",
        key=f"email-change:{change.id}",
        template="email_change_notice",
        base=base,
        at=at,
        new_email=change.new_email,
        hours=0,
        done=True,
    )
    audit.record(
        session, Actor.user(user), "email_change_confirmed", ACCOUNT_OBJECT, user.id, now=at
    )
    session.flush()
    return user
