"""Opt-outs: one-click unsubscribe tokens (RFC 8058) and the list of addresses that used them."""

from __future__ import annotations

import secrets
from datetime import datetime

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from data.db import rows_changed
from data.models.base import utcnow
from data.models.mail import MailOptOut, UnsubscribeToken

from .outbox import insert_for, normalise_address

__all__ = ["unsubscribe_token_for", "unsubscribe", "is_opted_out", "resubscribe"]


def unsubscribe_token_for(session: Session, email: str, *, now: datetime | None = None) -> str:
    """Return the address's unsubscribe token, creating it on first use; flushes only.

    The token is random and opaque: it names the address to the server only, and grants nothing
    but unsubscribing it.
    """
    address = normalise_address(email)
    existing = session.scalar(
        select(UnsubscribeToken.token)
        .where(UnsubscribeToken.email == address)
        .order_by(UnsubscribeToken.created_at, UnsubscribeToken.token)
        .limit(1)
    )
    if existing is not None:
        return existing
    token = secrets.token_urlsafe(24)
    session.execute(
        insert_for(session)(UnsubscribeToken.__table__)
        .values(token=token, email=address, created_at=now or utcnow())
        .on_conflict_do_nothing(index_elements=["token"])
    )
    return token


def unsubscribe(session: Session, token: str, *, now: datetime | None = None) -> str | None:
    """Opt the token's address out of every optional mail; idempotent; flushes only.

    Returns the address it applied to, or None for an unknown token.
    """
    if not token or len(token) > 64:
        return None
    email = session.scalar(select(UnsubscribeToken.email).where(UnsubscribeToken.token == token))
    if email is None:
        return None
    session.execute(
        insert_for(session)(MailOptOut.__table__)
        .values(email=email, created_at=now or utcnow())
        .on_conflict_do_nothing(index_elements=["email"])
    )
    return email


def is_opted_out(session: Session, email: str) -> bool:
    """Tell whether the address unsubscribed from optional mail."""
    address = normalise_address(email)
    return session.get(MailOptOut, address) is not None


def resubscribe(session: Session, email: str) -> bool:
    """Undo an opt-out (the person chose a frequency again in their settings); flushes only."""
    address = normalise_address(email)
    result = session.execute(delete(MailOptOut).where(MailOptOut.email == address))
    return bool(rows_changed(result))
