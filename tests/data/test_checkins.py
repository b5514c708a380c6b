"""The check-ins of a contract's first days (issue 19), on an injected clock.

At day 15 and day 40 both sides receive their questionnaire once; a missed day is caught up,
never a day-15 check-in once day 40 is reached; pairs no longer under contract are not asked. A
bad answer or a week of silence puts the pair on the « to call » list, a good answer does not,
a call takes it off until a new bad answer; erasure takes the answers and the notes.
"""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import Conflict, ValidationError
from data.mail.outbox import OutboxMessage
from data.models import (
    CheckinCall,
    Questionnaire,
    Role,
    Suggestion,
    SuggestionStatus,
)
from data.operations import checkins as ops
from data.operations.questionnaires import answer_questionnaire
from data.privacy import ErasureCause, erase_candidate, export_candidate_data
from data.queries import pair_checkins, pairs_to_call, to_call_count
from data.queries.checkins import SILENCE_DAYS

from . import factories as f

S = SuggestionStatus
START = date(2026, 11, 2)


def at(day: int, hour: int = 9) -> datetime:
    """The moment of the contract's day ``day`` (days after its start), at ``hour`` UTC."""
    return datetime.combine(START + timedelta(days=day), datetime.min.time(), UTC).replace(
        hour=hour
    )


def _pair(session: Session, status: S = S.CONTRACT_SIGNED, **story: object) -> Suggestion:
    values: dict[str, object] = {"contract_signed_on": START, "contract_start_on": START}
    values.update(story)
    return f.make_suggestion(session, status=status, **values)


def _asked(session: Session, pair: Suggestion) -> list[tuple[str, str]]:
    rows = session.execute(
        select(Questionnaire.purpose, Questionnaire.side)
        .where(Questionnaire.subject_id == pair.id, Questionnaire.subject_type == "suggestion")
        .order_by(Questionnaire.purpose, Questionnaire.side)
    ).all()
    return [(p, s) for p, s in rows]


def _token(session: Session, pair: Suggestion, day: int, side: str) -> str:
    """The link's token, read back from the queued mail (only its hash is stored)."""
    key = f"checkin_{day}:suggestion:{pair.id}:{side}"
    text = session.scalar(select(OutboxMessage.text).where(OutboxMessage.key == key))
    assert text is not None, key
    found = re.search(r"/questionnaire/([A-Za-z0-9_-]+)", text)
    assert found is not None
    return found.group(1)


GOOD = {"going": "good", "supported": "yes", "carry_on": "rather_yes", "comment": ""}
BAD = {"going": "rather_bad", "supported": "yes", "carry_on": "yes", "comment": ""}


def test_both_sides_are_asked_at_day_15_and_day_40_once_each(session: Session) -> None:
    pair = _pair(session)
    assert ops.send_due_checkins(session, now=at(14)) == 0
    assert ops.send_due_checkins(session, now=at(15)) == 2
    assert ops.send_due_checkins(session, now=at(15, 15)) == 0
    assert ops.send_due_checkins(session, now=at(16)) == 0
    assert _asked(session, pair) == [("checkin_15", "candidate"), ("checkin_15", "structure")]
    assert ops.send_due_checkins(session, now=at(39)) == 0
    assert ops.send_due_checkins(session, now=at(40)) == 2
    assert ops.send_due_checkins(session, now=at(41)) == 0
    assert len(_asked(session, pair)) == 4
    # The apprentice at their address, the structure at the offer's contact (its recipients).
    mails = session.scalars(
        select(OutboxMessage).where(OutboxMessage.kind == "questionnaire")
    ).all()
    assert sorted(m.recipient for m in mails) == sorted(
        [pair.request.candidate.email.lower()] * 2 + [pair.offer.site.employer.contact_email] * 2
    )
    # Service mails about the contract: not optional, no unsubscribe link.
    assert all(m.unsubscribe_token is None for m in mails)
    assert all("15e jour" in m.subject or "40e jour" in m.subject for m in mails)


def test_the_offer_s_contact_person_answers_for_the_structure(session: Session) -> None:
    employer = f.make_employer(session)
    f.make_user(session, Role.EMPLOYER, employer=employer, email="rh@tilleuls.example")
    contact = f.make_user(session, Role.EMPLOYER, employer=employer, email="cadre@tilleuls.example")
    offer = f.make_offer(session, f.make_site(session, employer))
    offer.contact_user_id = contact.id
    pair = _pair(session, offer=offer)
    ops.send_due_checkins(session, now=at(15))
    found = session.scalars(
        select(Questionnaire).where(
            Questionnaire.subject_id == pair.id, Questionnaire.side == "structure"
        )
    ).one()
    assert found.recipient == "cadre@tilleuls.example"


def test_a_missed_day_is_caught_up_but_never_day_15_once_day_40_is_reached(
    session: Session,
) -> None:
    late = _pair(session)
    # Day 15 missed (no run): caught up on day 20.
    assert ops.send_due_checkins(session, now=at(20)) == 2
    assert {p for p, _ in _asked(session, late)} == {"checkin_15"}
    # A contract recorded only on its day 41: day 40 only, never day 15.
    recorded_late = _pair(
        session, contract_start_on=START - timedelta(days=1), contract_signed_on=START
    )
    assert ops.send_due_checkins(session, now=at(40)) == 4  # late's day 40, and this one's
    assert {p for p, _ in _asked(session, recorded_late)} == {"checkin_40"}
    # Long past its days (more than CATCH_UP_DAYS late), nothing is sent any more.
    old = _pair(session, contract_start_on=START - timedelta(days=200))
    ops.send_due_checkins(session, now=at(41))
    assert _asked(session, old) == []


def test_without_a_start_day_the_signature_day_counts(session: Session) -> None:
    pair = _pair(session, contract_start_on=None)
    assert ops.send_due_checkins(session, now=at(15)) == 2
    assert len(_asked(session, pair)) == 2
    assert _pair(session, contract_start_on=None, contract_signed_on=None)
    assert ops.send_due_checkins(session, now=at(16)) == 0


@pytest.mark.parametrize("status", [S.BROKEN, S.ABANDONED, S.INTERVIEW])
def test_a_pair_no_longer_or_not_yet_under_contract_is_not_asked(
    session: Session, status: S
) -> None:
    pair = _pair(session, status=status, broken_on=START + timedelta(days=5))
    assert ops.send_due_checkins(session, now=at(15)) == 0
    assert _asked(session, pair) == []


def test_the_link_is_single_use(session: Session) -> None:
    pair = _pair(session)
    ops.send_due_checkins(session, now=at(15))
    token = _token(session, pair, 15, "candidate")
    with pytest.raises(ValidationError) as refused:
        answer_questionnaire(session, token, {"going": "maybe"}, now=at(16))
    assert set(refused.value.errors) == {"going", "supported", "carry_on"}
    answer_questionnaire(session, token, GOOD, now=at(16))
    with pytest.raises(Conflict):
        answer_questionnaire(session, token, BAD, now=at(16, 10))
    found = session.scalars(
        select(Questionnaire).where(Questionnaire.answered_at.is_not(None))
    ).one()
    assert found.answers == {**GOOD, "comment": None}


def test_a_bad_answer_puts_the_pair_on_the_list_and_a_call_takes_it_off(
    session: Session,
) -> None:
    pair = _pair(session)
    coordinator = f.make_user(session, Role.COORDINATOR)
    ops.send_due_checkins(session, now=at(15))
    answer_questionnaire(session, _token(session, pair, 15, "structure"), GOOD, now=at(16))
    assert pairs_to_call(session, at(16)) == []
    answer_questionnaire(session, _token(session, pair, 15, "candidate"), BAD, now=at(17))
    (row,) = pairs_to_call(session, at(17))
    assert row.pair.id == pair.id and row.days == (15,)
    assert [c.side for c in row.alarms] == ["candidate"]
    assert [q.key for q in row.alarms[0].bad] == ["going"]
    assert [c.side for c in row.checkins] == ["candidate", "structure"]  # both, for the call
    assert to_call_count(session, at(17)) == 1

    actor = Actor.user(coordinator)
    with pytest.raises(ValidationError):
        ops.mark_called(session, actor, pair, {"call_note": "  "}, now=at(18))
    call = ops.mark_called(
        session, actor, pair, {"call_note": "Léa s'habitue aux horaires."}, now=at(18)
    )
    assert call.called_by_id == coordinator.id
    assert pairs_to_call(session, at(18)) == []
    assert pair_checkins(session, pair, at(18)).to_call is False
    with pytest.raises(Conflict):  # a second click
        ops.mark_called(session, actor, pair, {"call_note": "Encore"}, now=at(18))
    history = [e.action for e in session.scalars(select(ops.audit.AuditEntry))]
    assert ops.CALLED in history

    # Day 40: a new bad answer puts it back.
    ops.send_due_checkins(session, now=at(40))
    answer_questionnaire(
        session,
        _token(session, pair, 40, "structure"),
        {**GOOD, "carry_on": "no", "comment": "Absences répétées."},
        now=at(40, 15),
    )
    (row,) = pairs_to_call(session, at(40, 16))
    assert row.days == (40,)


def test_a_silence_of_a_week_puts_the_pair_on_the_list(session: Session) -> None:
    pair = _pair(session)
    ops.send_due_checkins(session, now=at(15))
    answer_questionnaire(session, _token(session, pair, 15, "candidate"), GOOD, now=at(16))
    assert pairs_to_call(session, at(15 + SILENCE_DAYS) - timedelta(hours=1)) == []
    (row,) = pairs_to_call(session, at(15 + SILENCE_DAYS))
    (silent,) = row.alarms
    assert silent.side == "structure" and silent.silent_since == at(15)
    # A good answer, even late, ends the silence.
    answer_questionnaire(
        session, _token(session, pair, 15, "structure"), GOOD, now=at(15 + SILENCE_DAYS, 10)
    )
    assert pairs_to_call(session, at(15 + SILENCE_DAYS, 11)) == []


def test_the_free_text_alone_and_good_answers_do_not_count(session: Session) -> None:
    pair = _pair(session)
    ops.send_due_checkins(session, now=at(15))
    for side in ("candidate", "structure"):
        answer_questionnaire(
            session,
            _token(session, pair, 15, side),
            {**GOOD, "comment": "Tout va mal, mais je coche bien."},
            now=at(16),
        )
    assert pairs_to_call(session, at(30)) == []


def test_a_broken_pair_leaves_the_list(session: Session) -> None:
    pair = _pair(session)
    ops.send_due_checkins(session, now=at(15))
    answer_questionnaire(session, _token(session, pair, 15, "candidate"), BAD, now=at(16))
    assert len(pairs_to_call(session, at(16))) == 1
    pair.status = S.BROKEN
    session.flush()
    assert pairs_to_call(session, at(16)) == []


def test_erasure_removes_the_answers_and_the_notes_and_the_export_shows_them(
    session: Session,
) -> None:
    pair = _pair(session)
    coordinator = f.make_user(session, Role.COORDINATOR)
    ops.send_due_checkins(session, now=at(15))
    answer_questionnaire(session, _token(session, pair, 15, "candidate"), BAD, now=at(16))
    ops.mark_called(
        session, Actor.user(coordinator), pair, {"call_note": "Léa Dupont a peur."}, now=at(17)
    )
    candidate = pair.request.candidate
    exported = export_candidate_data(session, candidate)["mises_en_relation"][0]
    assert [q["cote"] for q in exported["questionnaires_de_suivi"]] == ["candidate", "structure"]
    assert exported["questionnaires_de_suivi"][1]["envoye_a"] is None
    assert exported["appels_de_suivi"][0]["note"] == "Léa Dupont a peur."

    erase_candidate(session, candidate, cause=ErasureCause.COORDINATOR, now=at(18))
    assert session.scalar(select(func.count(Questionnaire.id))) == 0
    assert session.scalars(select(CheckinCall.note)).all() == [""]
    # The erased person's pair is under contract still, but never asked again.
    assert ops.send_due_checkins(session, now=at(40)) == 0
    assert pairs_to_call(session, at(40)) == []
