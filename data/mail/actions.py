"""Single-purpose answer links in mails, such as « toujours en recherche ? ».

A token names one action on one object; it grants nothing else and expires. Following the link
(GET) must only show a confirmation page with the answer buttons: link scanners and mail clients
open links on their own. The answer comes by POST, without a session, authorised by the token.
"""

from __future__ import annotations

import secrets
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Request, RequestStatus, utcnow
from data.models.mail import ActionToken
from data.operations import close_request, reactivate_request, touch_candidate

__all__ = [
    "STILL_LOOKING",
    "ACTION_TOKEN_TTL",
    "create_action_token",
    "find_action",
    "still_looking_token",
    "answer_still_looking",
]

STILL_LOOKING = "still_looking"
ACTION_TOKEN_TTL = timedelta(days=45)


def create_action_token(
    session: Session,
    purpose: str,
    object_id: int,
    *,
    now: datetime | None = None,
    ttl: timedelta = ACTION_TOKEN_TTL,
) -> str:
    """Create a fresh random token for ``purpose`` on ``object_id``; flushes only."""
    now = now or utcnow()
    token = secrets.token_urlsafe(24)
    session.add(
        ActionToken(
            token=token, purpose=purpose, object_id=object_id, created_at=now, expires_at=now + ttl
        )
    )
    session.flush()
    return token


def find_action(
    session: Session, token: str, purpose: str, *, now: datetime | None = None
) -> ActionToken | None:
    """Return the unexpired token for ``purpose``, or None (unknown, expired, other purpose)."""
    if not token or len(token) > 64:
        return None
    row = session.get(ActionToken, token)
    if row is None or row.purpose != purpose or row.expires_at <= (now or utcnow()):
        return None
    return row


def still_looking_token(session: Session, request_id: int, *, now: datetime | None = None) -> str:
    """Return a token for the « toujours en recherche ? » answer of one request; flushes only."""
    return create_action_token(session, STILL_LOOKING, request_id, now=now)


def answer_still_looking(
    session: Session, token: str, still_looking: bool, *, now: datetime | None = None
) -> Request | None:
    """Apply a candidate's answer; return the request, or None for a bad or expired token.

    "Yes" restarts the clock of their activity and keeps (or makes) the request active; "no"
    closes it. Answering again with the same answer changes nothing; a different answer wins.
    Flushes only.
    """
    now = now or utcnow()
    action = find_action(session, token, STILL_LOOKING, now=now)
    if action is None:
        return None
    request = session.scalar(select(Request).where(Request.id == action.object_id))
    if request is None or request.candidate.anonymised_at is not None:
        return None
    if still_looking:
        if request.status != RequestStatus.ACTIVE:
            reactivate_request(session, request, now=now)
        touch_candidate(session, request.candidate, now=now)
    elif request.status != RequestStatus.CLOSED:
        close_request(session, request, now=now)
    action.answered_at = now
    action.answer = "yes" if still_looking else "no"
    session.flush()
    return request
