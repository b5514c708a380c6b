"""Mails the web writes: rendered by the one mail renderer (``data.mail.render``) and queued.

The templates are those of every mail, in ``data/mail/templates/mail``: the web adds only what
a request knows (the base URL, the publisher's name). The web never talks to the mail server: a
request only queues its mails (``queue``), in its own transaction, and the jobs' sender
(``python -m jobs``, every minute by default, see ``JOB_SCHEDULE``) sends them. So a page answers
in the same time whether it queued a mail or not (a sign-in asked for an unknown address must look
like one for a known address), and a slow or unreachable server never holds a request. The
contact mails of an approved pair are queued the same way by the approval operation itself
(``data.mail.contacts``).
"""

from __future__ import annotations

from flask import current_app
from sqlalchemy.orm import Session

from data import mail

__all__ = ["base_url", "queue"]


def base_url() -> str:
    """The address that links in mails and pages start with (``BASE_URL``, no final ``/``)."""
    return mail.default_base_url(current_app.config["BASE_URL"])


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
    """Render mail ``template`` and queue it in the outbox (flush only: it leaves after commit)."""
    config = current_app.config
    rendered = mail.render_mail(
        template,
        base_url=base_url(),
        publisher=config["PUBLISHER_NAME"],
        **context,
    )
    mail.enqueue(
        session,
        to=to,
        kind=kind,
        key=key,
        subject=rendered.subject,
        text=rendered.text,
        html=rendered.html,
        user_id=user_id,
    )
