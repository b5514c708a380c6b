"""Mails the web sends itself: queued in the outbox, committed, then sent at once.

Everything goes through ``data.mail`` (the outbox the jobs also drain): a mail the immediate send
could not deliver stays queued and the jobs' sender retries it.
"""

from __future__ import annotations

from flask import current_app, render_template
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import mail
from data.models import Suggestion, User
from web.db import state

__all__ = ["mailer", "send_now", "render_mail", "send_contact_mails"]


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


def send_contact_mails(session: Session, suggestion: Suggestion) -> None:
    """Tell both sides of an approved pair how to reach each other; commits, then sends.

    Queued once per pair and side (the outbox key), so approving again sends nothing twice.
    """
    candidate = suggestion.request.candidate
    offer = suggestion.offer
    employer = offer.site.employer
    base_url = current_app.config["BASE_URL"]
    ids = []
    for to, template, user_id in (
        (candidate.email, "contact_candidate", _user_id(session, candidate_id=candidate.id)),
        (employer.contact_email, "contact_employer", None),
    ):
        if not to:
            continue
        subject, text = render_mail(
            template, candidate=candidate, offer=offer, employer=employer, base_url=base_url
        )
        mail_id = mail.enqueue(
            session,
            to=to,
            kind="contact",
            key=f"suggestion-{suggestion.id}",
            subject=subject,
            text=text,
            user_id=user_id,
        )
        if mail_id is not None:
            ids.append(mail_id)
    session.commit()
    if ids:
        mail.send_pending(state().session_factory, mailer(), only_ids=ids)


def _user_id(session: Session, *, candidate_id: int) -> int | None:
    return session.scalar(select(User.id).where(User.candidate_id == candidate_id))
