"""The check-ins of a contract's first days (issue 19): send them, record a coordinator's call.

At day 15 and day 40 of a contract (counted from ``contract_start_on``, else from
``contract_signed_on``), both sides of a pair still under contract receive a short
questionnaire by single-use mail link (:func:`data.operations.questionnaires.send_questionnaire`,
purposes ``checkin_15`` and ``checkin_40``, subject the pair): the apprentice at their address,
the structure at the offer's contact person (:func:`data.mail.recipients.offer_recipients`, the
first of them: one questionnaire per side). Exactly once per (pair, day, side): the
questionnaire's unique key. A run that missed the day catches up, within
:data:`CATCH_UP_DAYS` days, and never sends a day-15 check-in once day 40 is reached.

The mails are service mails about the contract, like the contact mails: not optional, so they
carry no unsubscribe link and a one-click opt-out of the information mails does not stop them.

The « to call » rule is the read layer's (:mod:`data.queries.checkins`); a coordinator's call
(:func:`mark_called`) takes the pair off the list, with a note, audited.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import Conflict
from data.mail.compose import default_base_url
from data.mail.recipients import Recipient, candidate_recipient, offer_recipients
from data.models import (
    MAX_CALL_NOTE,
    PAIR_SUBJECT,
    Candidate,
    CheckinCall,
    Request,
    Suggestion,
    SuggestionStatus,
)
from data.presentation.formatters import date_fr
from data.presentation.questionnaires import (
    CANDIDATE_SIDE,
    CHECKIN_DAYS,
    CHECKIN_PURPOSES,
    STRUCTURE_SIDE,
)
from data.queries.checkins import pair_checkins

from . import audit
from ._common import local_today, now_or_utc
from .questionnaires import send_questionnaire
from .validation import ErrorCollector, clean_text

__all__ = [
    "CALLED",
    "CALL_NOTE",
    "CATCH_UP_DAYS",
    "NOT_TO_CALL",
    "checkin_about",
    "contract_day_one",
    "due_checkin_day",
    "mark_called",
    "send_due_checkins",
]

#: How many days after its day a check-in is still sent when the job missed it (a contract
#: recorded late, an outage); past that, asking about « the first days » would make no sense.
CATCH_UP_DAYS = 14
#: The audit action of a coordinator's call after the check-ins.
CALLED = "checkin_called"
#: The form field of the call's note (the pair page has its own « note » already).
CALL_NOTE = "call_note"
NOT_TO_CALL = "Ce binôme n'est pas ou plus sur la liste des binômes à appeler."


def contract_day_one(pair: Suggestion) -> date | None:
    """The day a pair's contract started: its start day, else its signature day, else None."""
    return pair.contract_start_on or pair.contract_signed_on


def due_checkin_day(start: date, today: date) -> int | None:
    """The check-in due ``today`` for a contract started on ``start``: the last of
    :data:`CHECKIN_DAYS` reached, unless more than :data:`CATCH_UP_DAYS` days ago; else None.

    >>> from datetime import date
    >>> [due_checkin_day(date(2026, 1, 1), date(2026, 1, d)) for d in (15, 16, 30, 31)]
    [None, 15, 15, None]
    >>> [due_checkin_day(date(2026, 1, 1), date(2026, 2, d)) for d in (9, 10, 24, 25)]
    [None, 40, 40, None]
    """
    elapsed = (today - start).days
    reached = [day for day in CHECKIN_DAYS if elapsed >= day]
    if not reached or elapsed - reached[-1] > CATCH_UP_DAYS:
        return None
    return reached[-1]


def checkin_about(pair: Suggestion, day: int) -> str:
    """What a check-in is about, in a line: the pair's métier, structure, start, the day."""
    offer = pair.offer
    start = contract_day_one(pair)
    started = f", commencé le {date_fr(start)}" if start else ""
    return (
        f"Contrat d'apprentissage « {offer.metier.label} » de "
        f"{pair.request.candidate.first_name} chez {offer.site.employer.name} "
        f"({offer.site.commune.name}){started} : le point au {day}e jour."
    )


def _sides(session: Session, pair: Suggestion) -> list[tuple[str, Recipient | None]]:
    """Who answers for each side: the apprentice, the offer's contact person."""
    staff = offer_recipients(session, pair.offer)
    return [
        (CANDIDATE_SIDE, candidate_recipient(session, pair.request.candidate)),
        (STRUCTURE_SIDE, staff[0] if staff else None),
    ]


def send_due_checkins(
    session: Session, *, base_url: str | None = None, now: datetime | None = None
) -> int:
    """Send both sides the check-in each pair under contract is due for today (in France);
    return how many questionnaires were queued (each once, whatever the runs); flushes only."""
    at = now_or_utc(now)
    today = local_today(at)
    base = default_base_url(base_url)
    day_one = func.coalesce(Suggestion.contract_start_on, Suggestion.contract_signed_on)
    latest = today - timedelta(days=CHECKIN_DAYS[0])
    earliest = today - timedelta(days=CHECKIN_DAYS[-1] + CATCH_UP_DAYS)
    pairs = session.scalars(
        select(Suggestion)
        .join(Request, Request.id == Suggestion.request_id)
        .join(Candidate, Candidate.id == Request.candidate_id)
        .where(
            Suggestion.status == SuggestionStatus.CONTRACT_SIGNED,
            Candidate.anonymised_at.is_(None),
            day_one <= latest,
            day_one >= earliest,
        )
        .order_by(Suggestion.id)
    ).all()
    sent = 0
    for pair in pairs:
        start = contract_day_one(pair)
        day = due_checkin_day(start, today) if start else None
        if day is None:
            continue
        for side, recipient in _sides(session, pair):
            if recipient is None:
                continue
            found = send_questionnaire(
                session,
                recipient,
                purpose=CHECKIN_PURPOSES[day],
                subject_type=PAIR_SUBJECT,
                subject_id=pair.id,
                side=side,
                base_url=base,
                now=at,
                optional=False,
                about=checkin_about(pair, day),
            )
            sent += found is not None
    return sent


def mark_called(
    session: Session,
    actor: Actor,
    pair: Suggestion,
    values: Mapping[str, Any],
    *,
    now: datetime | None = None,
) -> CheckinCall:
    """Record that a coordinator called a pair of the « to call » list, with a note (audited);
    flushes only. Raises ValidationError (the note is required) or Conflict (:data:`NOT_TO_CALL`:
    the pair is not on the list, e.g. a second click)."""
    errors = ErrorCollector()
    note = errors.run(
        clean_text,
        values.get(CALL_NOTE),
        CALL_NOTE,
        max_length=MAX_CALL_NOTE,
        multiline=True,
    )
    errors.raise_if_any()
    at = now_or_utc(now)
    if not pair_checkins(session, pair, at).to_call:
        raise Conflict(NOT_TO_CALL)
    call = CheckinCall(suggestion_id=pair.id, called_at=at, called_by_id=actor.user_id, note=note)
    session.add(call)
    audit.record(session, actor, CALLED, PAIR_SUBJECT, pair.id, {"text": note}, now=at)
    session.flush()
    return call
