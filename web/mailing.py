"""Mails the web writes: rendered from ``mail/<template>.txt`` and queued in the outbox.

The web never talks to the mail server: a request only queues its mails (``queue``), in its own
transaction, and the jobs' sender (``python -m jobs``, every minute by default, see
``JOB_SCHEDULE``) sends them. So a page answers in the same time whether it queued a mail or not
(a sign-in asked for
an unknown address must look like one for a known address), and a slow or unreachable server never
holds a request. The contact mails of an approved pair are queued the same way by the approval
operation itself (``data.mail.contacts``).
"""

from __future__ import annotations

from flask import render_template
from sqlalchemy.orm import Session

from data import mail

__all__ = ["queue", "render_mail"]


def render_mail(template: str, **context: object) -> tuple[str, str]:
    """Render ``mail/<template>.txt``: its first line is the subject, the rest the body."""
    rendered = render_template(f"mail/{template}.txt", **context)
    subject, _, body = rendered.lstrip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def queue(
    session: Session,
    *,
    to: str,
    kind: str,
    key: str,
    template: str,
    user_id: int | None = None,
    **context: object,
) -> None:
    """Queue one mail in the outbox (flush only: it leaves after the request's commit)."""
    subject, text = render_mail(template, **context)
    mail.enqueue(session, to=to, kind=kind, key=key, subject=subject, text=text, user_id=user_id)
