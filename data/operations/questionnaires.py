"""Send a questionnaire by a single-use mail link, find it by its token, record its answers.

Generic (purpose, subject, side): the discovery days' feedback uses it (issue 18), issue 19's
check-ins will. Exactly once: the questionnaire is unique per (purpose, subject, side) and
inserted with ``ON CONFLICT DO NOTHING``; its mail is unique in the outbox on (recipient, kind,
key). Only the SHA-256 of the link's token is stored. The link is single-use: the first answer
is recorded by a conditional ``UPDATE ... WHERE answered_at IS NULL``; afterwards the link shows
the answers, read-only, and a second answer (two tabs, a double click) is refused.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.auth import hash_secret, new_token
from data.errors import Conflict, NotFound
from data.mail.compose import queue_mail
from data.mail.links import url
from data.mail.outbox import insert_for
from data.mail.recipients import Recipient
from data.models import Questionnaire
from data.presentation.questionnaires import COMMENT, QuestionSet, question_set

from ._common import now_or_utc, update_if
from .validation import REQUIRED, ErrorCollector, clean_text

__all__ = [
    "ALREADY_ANSWERED",
    "MAX_COMMENT",
    "QUESTIONNAIRE_KIND",
    "answer_questionnaire",
    "find_questionnaire",
    "send_questionnaire",
]

#: The outbox kind of every questionnaire's mail (its key names purpose, subject and side).
QUESTIONNAIRE_KIND = "questionnaire"
MAX_COMMENT = 2000
ALREADY_ANSWERED = "Ce questionnaire a déjà reçu une réponse : merci !"
UNKNOWN_CHOICE = "Choisissez l'une des réponses proposées."


def send_questionnaire(
    session: Session,
    recipient: Recipient,
    *,
    purpose: str,
    subject_type: str,
    subject_id: int,
    side: str,
    base_url: str,
    now: datetime | None = None,
    optional: bool = True,
    **context: Any,
) -> Questionnaire | None:
    """Create the questionnaire and queue its mail; None if it was sent already; flushes only.

    ``context``: what the mail says of the subject (``about``: one line, e.g. the métier and
    the structure). The mail is optional in the house's sense unless ``optional=False``: it
    carries the unsubscribe link (a contract's check-ins are service mails: not optional).
    """
    questions = question_set(purpose, side)
    at = now_or_utc(now)
    raw = new_token()
    insert = insert_for(session)
    new_id = session.scalar(
        insert(Questionnaire.__table__)
        .values(
            purpose=purpose,
            subject_type=subject_type,
            subject_id=subject_id,
            side=side,
            recipient=recipient.email,
            token_hash=hash_secret(raw),
            sent_at=at,
        )
        .on_conflict_do_nothing(index_elements=["purpose", "subject_type", "subject_id", "side"])
        .returning(Questionnaire.id)
    )
    if new_id is None:
        return None
    queue_mail(
        session,
        recipient,
        kind=QUESTIONNAIRE_KIND,
        key=f"{purpose}:{subject_type}:{subject_id}:{side}",
        template="questionnaire",
        base_url=base_url,
        now=at,
        optional=optional,
        mail_subject=questions.mail_subject,
        mail_intro=questions.mail_intro,
        link=url(base_url, "questionnaire", token=raw),
        about=context.get("about"),
    )
    session.flush()
    return session.get(Questionnaire, new_id)


def find_questionnaire(session: Session, token: str | None) -> Questionnaire | None:
    """Return the questionnaire a link's token opens, or None (unknown, malformed)."""
    if not token or len(token) > 64:
        return None
    return session.scalar(
        select(Questionnaire).where(Questionnaire.token_hash == hash_secret(token))
    )


def clean_answers(questions: QuestionSet, values: Mapping[str, Any]) -> dict[str, Any]:
    """Return the answers of a form, checked: one of its choices for each question, the free
    text optional; raises ValidationError with every question's message."""
    errors = ErrorCollector()
    answers: dict[str, Any] = {}
    for q in questions.questions:
        value = values.get(q.key)
        if value in (None, ""):
            errors.add(q.key, REQUIRED)
        elif value not in dict(q.choices):
            errors.add(q.key, UNKNOWN_CHOICE)
        else:
            answers[q.key] = value
    answers[COMMENT] = errors.run(
        clean_text,
        values.get(COMMENT),
        COMMENT,
        required=False,
        max_length=MAX_COMMENT,
        multiline=True,
    )
    errors.raise_if_any()
    return answers


def answer_questionnaire(
    session: Session, token: str, values: Mapping[str, Any], *, now: datetime | None = None
) -> Questionnaire:
    """Record the answers given through a link, once; flushes only.

    Raises NotFound for a token that opens nothing, Conflict (:data:`ALREADY_ANSWERED`) when it
    was answered already (even at the same instant, in another tab), ValidationError for bad
    input (nothing written).
    """
    found = find_questionnaire(session, token)
    if found is None:
        raise NotFound("Questionnaire", None)
    if found.answered_at is not None:
        raise Conflict(ALREADY_ANSWERED)
    answers = clean_answers(question_set(found.purpose, found.side), values)
    at = now_or_utc(now)
    if not update_if(
        session, found, Questionnaire.answered_at.is_(None), answered_at=at, answers=answers
    ):
        raise Conflict(ALREADY_ANSWERED)
    return found
