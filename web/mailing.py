"""Mails the web sends itself: queued in the outbox, committed, then sent at once.

Everything goes through ``data.mail`` (the outbox the jobs also drain): a mail the immediate send
could not deliver stays queued and the jobs' sender retries it. The contact mails of an approved
pair are queued by the approval operation itself (``data.mail.contacts``), in the request's
commit, whoever approves (page, API, command line); the sender job sends them within a minute.
"""

from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy.orm import Session

from data import mail
from web.db import state

__all__ = ["mailer", "send_now", "render_mail"]


def mailer() -> mail.Mailer:
    """Return the mailer the configuration names (files under MAIL_DIR by default)."""
    return mail.make_mailer(current_app.config)


def render_mail(template: str, **context: object) -> tuple[str, str]:
    """Render ``mail/<template>.txt``: its first line is the subject, the rest the body."""
    rendered = render_template(f"mail/{template}.txt", **context)
    subject, _, body = rendered.lstrip().partition("\n")
    return subject.strip(), body.strip() + "\n"


def send_now(
    session: Session,
    *,
    to: str,
    kind: str,
    key: str,
    template: str,
    user_id: int | None = None,
    **context: object,
) -> None:
    """Queue one mail, commit the request's work with it, and send it right away."""
    subject, text = render_mail(template, **context)
    mail_id = mail.enqueue(
        session, to=to, kind=kind, key=key, subject=subject, text=text, user_id=user_id
    )
    session.commit()
    if mail_id is not None:
        mail.send_pending(state().session_factory, mailer(), only_ids=[mail_id])
