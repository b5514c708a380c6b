"""The check-ins of a contract's first days (issue 19), and the rule of the « to call » list.

At day 15 and day 40 of a contract both sides answer three questions by mail link
(``data.operations.checkins``). The rule, defined here once: a pair still under contract is
*to call* when one of its check-ins says things go badly (an answer among its question's
``bad`` ones: « Non », « Plutôt non », « Mal », « Plutôt mal »; the free text alone never
counts), or when a side has not answered :data:`SILENCE_DAYS` days after the mail. A
coordinator's call (:class:`data.models.CheckinCall`) takes the pair off the list; a bad
answer or a silence that comes after the call puts it back.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload

from data.models import (
    PAIR_SUBJECT,
    Candidate,
    CheckinCall,
    Offer,
    Questionnaire,
    Request,
    Site,
    Suggestion,
    SuggestionStatus,
)
from data.presentation.questionnaires import (
    CHECKIN_PURPOSES,
    Question,
    QuestionSet,
    question_set,
)

__all__ = [
    "SILENCE_DAYS",
    "Checkin",
    "PairCheckins",
    "PairToCall",
    "checkin_of",
    "pair_checkins",
    "pairs_to_call",
    "to_call_count",
]

#: Days after its mail when a check-in without answer puts the pair on the « to call » list.
SILENCE_DAYS = 7
#: The day of the contract each check-in's purpose asks about.
DAY_OF_PURPOSE = {purpose: day for day, purpose in CHECKIN_PURPOSES.items()}


@dataclass(frozen=True)
class Checkin:
    """One side's check-in of a pair at ``now``: its questionnaire and what it says."""

    questionnaire: Questionnaire
    day: int
    questions: QuestionSet
    #: The questions answered badly (none before an answer).
    bad: tuple[Question, ...]
    #: When the side's silence started to count (the mail's time), if it went past the delay.
    silent_since: datetime | None

    @property
    def side(self) -> str:
        """Which side answers: « candidate » (the apprentice) or « structure »."""
        return self.questionnaire.side

    @property
    def alarm_at(self) -> datetime | None:
        """When it put the pair on the list: a bad answer's time, or the silence's deadline."""
        q = self.questionnaire
        if q.answered_at is not None:
            return q.answered_at if self.bad else None
        if self.silent_since is not None:
            return q.sent_at + timedelta(days=SILENCE_DAYS)
        return None


def checkin_of(found: Questionnaire, now: datetime) -> Checkin:
    """Read one check-in's questionnaire at ``now`` (the rule of the list, per questionnaire)."""
    questions = question_set(found.purpose, found.side)
    silent = found.answered_at is None and now >= found.sent_at + timedelta(days=SILENCE_DAYS)
    return Checkin(
        questionnaire=found,
        day=DAY_OF_PURPOSE[found.purpose],
        questions=questions,
        bad=questions.bad_answers(found.answers) if found.answered_at else (),
        silent_since=found.sent_at if silent else None,
    )


def _checkins(
    session: Session, pair_ids: Sequence[int] | None, now: datetime
) -> dict[int, list[Checkin]]:
    """The check-ins of these pairs (of every pair still under contract when None), by pair."""
    stmt = select(Questionnaire).where(
        Questionnaire.subject_type == PAIR_SUBJECT,
        Questionnaire.purpose.in_(list(CHECKIN_PURPOSES.values())),
    )
    if pair_ids is None:
        stmt = (
            stmt.join(Suggestion, Suggestion.id == Questionnaire.subject_id)
            .join(Request, Request.id == Suggestion.request_id)
            .join(Candidate, Candidate.id == Request.candidate_id)
            .where(
                Suggestion.status == SuggestionStatus.CONTRACT_SIGNED,
                Candidate.anonymised_at.is_(None),
            )
        )
    else:
        stmt = stmt.where(Questionnaire.subject_id.in_(list(pair_ids)))
    out: dict[int, list[Checkin]] = {}
    for found in session.scalars(stmt.order_by(Questionnaire.sent_at, Questionnaire.id)):
        out.setdefault(found.subject_id, []).append(checkin_of(found, now))
    return out


def _last_calls(session: Session, pair_ids: Sequence[int]) -> dict[int, datetime]:
    """When each of these pairs was last called after its check-ins."""
    if not pair_ids:
        return {}
    rows = session.execute(
        select(CheckinCall.suggestion_id, func.max(CheckinCall.called_at))
        .where(CheckinCall.suggestion_id.in_(list(pair_ids)))
        .group_by(CheckinCall.suggestion_id)
    ).all()
    return {pair_id: at for pair_id, at in rows}


def _alarms(checkins: Sequence[Checkin], last_call: datetime | None) -> tuple[Checkin, ...]:
    """The check-ins that put the pair on the list since its last call."""
    return tuple(
        c
        for c in checkins
        if c.alarm_at is not None and (last_call is None or c.alarm_at > last_call)
    )


@dataclass(frozen=True)
class PairToCall:
    """A pair on the « to call » list: the check-ins that put it there, oldest first."""

    pair: Suggestion
    alarms: tuple[Checkin, ...]
    #: The other check-ins of the same days (the other side's answers, for the call).
    others: tuple[Checkin, ...]
    last_call: datetime | None

    @property
    def since(self) -> datetime:
        """When the pair came (back) on the list."""
        return min(c.alarm_at for c in self.alarms if c.alarm_at is not None)

    @property
    def days(self) -> tuple[int, ...]:
        """The contract's days whose check-ins put it there (15, 40)."""
        return tuple(sorted({c.day for c in self.alarms}))

    @property
    def checkins(self) -> tuple[Checkin, ...]:
        """The check-ins of those days, both sides, by day then side (the apprentice first)."""
        return tuple(
            sorted((*self.alarms, *self.others), key=lambda c: (c.day, c.side != "candidate"))
        )


def pairs_to_call(session: Session, now: datetime) -> list[PairToCall]:
    """Return the pairs under contract whose check-ins ask for a call at ``now``, the longest
    waiting first."""
    by_pair = _checkins(session, None, now)
    calls = _last_calls(session, list(by_pair))
    listed: dict[int, tuple[tuple[Checkin, ...], tuple[Checkin, ...]]] = {}
    for pair_id, checkins in by_pair.items():
        alarms = _alarms(checkins, calls.get(pair_id))
        if alarms:
            days = {c.day for c in alarms}
            others = tuple(c for c in checkins if c.day in days and c not in alarms)
            listed[pair_id] = (alarms, others)
    if not listed:
        return []
    pairs = session.scalars(
        select(Suggestion)
        .where(Suggestion.id.in_(list(listed)))
        .options(
            joinedload(Suggestion.request).joinedload(Request.candidate),
            joinedload(Suggestion.offer).joinedload(Offer.metier),
            joinedload(Suggestion.offer).joinedload(Offer.site).joinedload(Site.employer),
        )
    ).unique()
    found = [PairToCall(p, *listed[p.id], calls.get(p.id)) for p in pairs]
    return sorted(found, key=lambda row: (row.since, row.pair.id))


def to_call_count(session: Session, now: datetime) -> int:
    """How many pairs wait for a call at ``now`` (the dashboard's line)."""
    return len(pairs_to_call(session, now))


@dataclass(frozen=True)
class PairCheckins:
    """A pair's check-ins and calls, for its page."""

    checkins: tuple[Checkin, ...]
    calls: tuple[CheckinCall, ...]
    to_call: bool


def pair_checkins(session: Session, pair: Suggestion, now: datetime) -> PairCheckins:
    """Return a pair's check-ins (by day, the apprentice first), its calls, and whether it is
    on the « to call » list at ``now``."""
    checkins = _checkins(session, [pair.id], now).get(pair.id, [])
    calls = tuple(
        session.scalars(
            select(CheckinCall)
            .where(CheckinCall.suggestion_id == pair.id)
            .order_by(CheckinCall.called_at, CheckinCall.id)
        )
    )
    last = calls[-1].called_at if calls else None
    listed = (
        pair.status == SuggestionStatus.CONTRACT_SIGNED
        and pair.request.candidate.anonymised_at is None
        and bool(_alarms(checkins, last))
    )
    return PairCheckins(
        tuple(sorted(checkins, key=lambda c: (c.day, c.side != "candidate"))), calls, listed
    )
