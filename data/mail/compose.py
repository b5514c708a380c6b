"""Queue one rendered mail: the template for its recipient, its unsubscribe link, the outbox row."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session

from data.config import DEFAULTS

from .optout import unsubscribe_token_for
from .outbox import enqueue, unsubscribe_url
from .recipients import Recipient
from .render import render_mail

__all__ = ["default_base_url", "queue_mail"]


def default_base_url(base_url: str | None = None) -> str:
    """Return ``base_url`` without its trailing slash, or the configured default's."""
    return str(base_url or DEFAULTS["BASE_URL"]).rstrip("/")


def queue_mail(
    session: Session,
    recipient: Recipient,
    *,
    kind: str,
    key: str,
    template: str,
    base_url: str,
    now: datetime | None = None,
    optional: bool = True,
    token: str | None = None,
    register_token: bool = True,
    settings_url: str | None = None,
    **context: Any,
) -> int | None:
    """Render ``template`` for ``recipient`` and queue it; None if it was queued already.

    Flushes only: the mail leaves after the caller's commit. An ``optional`` mail (digests,
    reminders) carries the recipient's unsubscribe link (``token``, read or created here unless
    given; ``register_token=False`` when the caller knows it is stored) and is dropped at send time
    if they opted out. A mail that is not optional (a contact the person waits for) carries no
    unsubscribe link and is always sent. The outbox keeps it unique on (recipient, kind, key).
    """
    if optional and token is None:
        token = unsubscribe_token_for(session, recipient.email, now=now)
        register_token = False
    mail = render_mail(
        template,
        base_url=base_url,
        unsubscribe_url=unsubscribe_url(base_url, token) if optional and token else None,
        settings_url=settings_url,
        **context,
    )
    return enqueue(
        session,
        to=recipient.email,
        kind=kind,
        key=key,
        subject=mail.subject,
        text=mail.text,
        html=mail.html,
        user_id=recipient.user_id,
        unsubscribe_token=token if optional else None,
        now=now,
        register_token=register_token,
    )
