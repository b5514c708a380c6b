"""Discovery days (issue 18): the days, the asks, the engine's matches, review, stages, feedback."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.actor import Actor
from data.discovery_engine import recompute_discovery
from data.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from data.models import (
    AgeBand,
    AuditEntry,
    DiscoveryDay,
    DiscoveryMatch,
    DiscoveryMatchStatus,
    DiscoveryWish,
    Questionnaire,
    Role,
)
from data.models.mail import OutboxMessage
from data.operations import discovery as ops
from data.operations import questionnaires as q_ops
from data.presentation.questionnaires import COMMENT
from data.queries.discovery import discovery_review_queue
from tests.data import factories as f

M = DiscoveryMatchStatus
NOW = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
TODAY = date(2026, 12, 4)
FIRST = date(2027, 1, 11)  # a Monday
LINK_RE = re.compile(r"/questionnaire/([A-Za-z0-9_\-]+)")


def day_values(site_id: int, **overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "site_id": str(site_id),
        "metier_code": "aide-soignant",
        "starts_on": FIRST.isoformat(),
        "ends_on": (FIRST + timedelta(days=2)).isoformat(),
        "places": "1",
        "host_name": "Sophie Bernard",
        "host_role": "Aide-soignante",
        "meeting_time": "08:30",
        "meeting_place": "Accueil du bâtiment A",
        "what_to_bring": "Chaussures fermées, une pièce d'identité",
    }
    values.update(overrides)
    return values


def wish_values(**overrides: Any) -> dict[str, Any]:
    values: dict[str, Any] = {
        "metier_code": "aide-soignant",
        "commune_insee": f.BOURG,
        "max_distance_km": "30",
        "free_from": (FIRST - timedelta(days=7)).isoformat(),
        "free_until": (FIRST + timedelta(days=30)).isoformat(),
        "age_band": AgeBand.FROM_18.value,
    }
    values.update(overrides)
    return values


class Discovery:
    """An employer with a site and a staff account, a candidate, a coordinator."""

    def __init__(self, session: Session) -> None:
        self.session = session
        self.employer_user = f.make_user(session, Role.EMPLOYER)
        self.employer = self.employer_user.employer
        self.site = f.make_site(session, self.employer, address="12 rue des Lilas")
        self.employer_actor = Actor.user(self.employer_user)
        self.candidate_user = f.make_user(
            session, Role.CANDIDATE, candidate=f.make_candidate(session, phone="06 12 34 56 78")
        )
        self.candidate = self.candidate_user.candidate
        self.candidate_actor = Actor.user(self.candidate_user)
        self.coordinator = Actor.user(f.make_user(session, Role.COORDINATOR))

    def day(self, **overrides: Any) -> DiscoveryDay:
        site_id = overrides.pop("site", self.site).id
        return ops.create_day(
            self.session,
            self.employer_actor,
            self.employer,
            day_values(site_id, **overrides),
            now=NOW,
        )

    def wish(self, candidate: Any = None, **overrides: Any) -> DiscoveryWish:
        candidate = candidate or self.candidate
        return ops.create_wish(
            self.session, Actor.system(), candidate, wish_values(**overrides), now=NOW
        )

    def matches(self) -> list[DiscoveryMatch]:
        return list(self.session.scalars(select(DiscoveryMatch).order_by(DiscoveryMatch.id)))

    def recompute(self) -> Any:
        return recompute_discovery(self.session, today=TODAY, now=NOW)


@pytest.fixture
def d(session: Session) -> Discovery:
    return Discovery(session)


def _mails(session: Session, kind: str) -> list[OutboxMessage]:
    return list(session.scalars(select(OutboxMessage).where(OutboxMessage.kind == kind)))


# --- The model and the operations' checks -------------------------------------------------------


def test_the_database_refuses_days_out_of_order_and_no_place(d: Discovery) -> None:
    day = d.day()
    for column, value in (("ends_on", FIRST - timedelta(days=1)), ("places", 0)):
        with pytest.raises(IntegrityError), d.session.begin_nested():
            setattr(day, column, value)
            d.session.flush()
        d.session.refresh(day)


def test_bad_days_are_refused_field_by_field_in_french(d: Discovery) -> None:
    other_site = f.make_site(d.session)  # another structure's
    with pytest.raises(ValidationError) as caught:
        ops.create_day(
            d.session,
            d.employer_actor,
            d.employer,
            day_values(
                other_site.id,
                ends_on=(FIRST + timedelta(days=5)).isoformat(),  # six days
                places="0",
                host_name="",
                meeting_time="huit heures",
                metier_code="astronaute",
            ),
            now=NOW,
        )
    errors = caught.value.errors
    assert errors["site_id"] == [ops.OWN_SITE]
    assert "un à 5 jours" in errors["ends_on"][0] and "15/01/2027" in errors["ends_on"][0]
    assert set(errors) >= {"places", "host_name", "meeting_time", "metier_code"}
    assert d.session.scalar(select(func.count(DiscoveryDay.id))) == 0


def test_a_day_in_the_past_or_of_another_structure_is_refused(d: Discovery) -> None:
    with pytest.raises(ValidationError) as caught:
        d.day(starts_on="2026-12-01", ends_on="2026-12-01")
    assert "starts_on" in caught.value.errors
    with pytest.raises(PermissionDenied):
        ops.create_day(
            d.session,
            Actor.user(f.make_user(d.session, Role.EMPLOYER)),
            d.employer,
            day_values(d.site.id),
            now=NOW,
        )


def test_a_wish_is_checked_and_one_per_metier_is_active(d: Discovery) -> None:
    with pytest.raises(ValidationError) as caught:
        d.wish(free_from="2027-02-01", free_until="2027-01-01", age_band="", max_distance_km="0")
    assert set(caught.value.errors) == {"free_until", "age_band", "max_distance_km"}
    d.wish()
    with pytest.raises(ValidationError) as again:
        d.wish()
    assert again.value.errors == {"metier_code": [ops.WISH_EXISTS]}


def test_a_wish_is_prefilled_from_the_request_and_the_request_from_the_wish(d: Discovery) -> None:
    request = f.make_request(d.session, d.candidate, age_band=AgeBand.UNDER_18, max_distance_km=25)
    values = ops.wish_values_from_request(request)
    assert values == {
        "metier_code": "aide-soignant",
        "commune_insee": f.BOURG,
        "max_distance_km": "25",
        "age_band": "16-17",
    }
    wish = d.wish(**values)
    assert wish.request_id == request.id
    back = ops.request_values_from_wish(wish)
    assert back["metier_1"] == wish.metier.label and back["age_band"] == "16-17"


# --- The engine's bridge ------------------------------------------------------------------------


def test_a_wish_gets_the_near_day_of_its_metier_in_its_dates_only(d: Discovery) -> None:
    near = d.day()
    far = d.day(site=f.make_site(d.session, d.employer, commune_insee=f.OYONNAX))
    other_metier = d.day(metier_code="educateur-specialise")
    too_late = d.day(  # ends after the person's free period
        starts_on=(FIRST + timedelta(days=29)).isoformat(),
        ends_on=(FIRST + timedelta(days=32)).isoformat(),
    )
    too_early = d.day(starts_on="2026-12-20", ends_on="2026-12-21")  # before they are free
    wish = d.wish(max_distance_km="20")
    report = d.recompute()
    assert report.created == 1
    [match] = d.matches()
    assert (match.wish_id, match.day_id, match.status) == (wish.id, near.id, M.PROPOSED)
    assert match.score > 0 and match.reasons and match.engine_version
    assert {far.id, other_metier.id, too_late.id, too_early.id}.isdisjoint({match.day_id})
    # Run again: refreshed, not doubled; the day closed: the proposal goes stale.
    assert d.recompute().updated == 1
    ops.close_day(d.session, d.employer_actor, near, now=NOW)
    assert d.recompute().staled == 1
    d.session.refresh(match)
    assert match.stale and match.status == M.PROPOSED


def test_a_minor_gets_day_work_and_a_decided_match_is_never_proposed_again(d: Discovery) -> None:
    day = d.day(places="2")
    wish = d.wish(age_band=AgeBand.UNDER_18.value)
    d.recompute()
    [match] = d.matches()
    assert match.wish_id == wish.id  # a discovery day is day work: a minor may be offered it
    ops.reject_match(d.session, match, d.coordinator, "Trop loin des transports", now=NOW)
    d.recompute()
    d.session.refresh(match)
    assert match.status == M.REJECTED and len(d.matches()) == 1
    assert day.places_taken == 0


# --- Review, mails, places, stages --------------------------------------------------------------


def _planned(d: Discovery) -> DiscoveryMatch:
    d.day()
    d.wish()
    d.recompute()
    [match] = d.matches()
    return ops.approve_match(d.session, match, d.coordinator, now=NOW)


def test_approval_plans_takes_a_place_and_queues_both_mails_once(d: Discovery) -> None:
    match = _planned(d)
    assert match.status == M.PLANNED and match.day.places_taken == 1
    [to_candidate] = _mails(d.session, "discovery_candidate")
    [to_employer] = _mails(d.session, "discovery_employer")
    assert to_candidate.recipient == d.candidate.email
    assert "Sophie Bernard" in to_candidate.text and "Chaussures fermées" in to_candidate.text
    assert "lundi 11 janvier 2027" in to_candidate.text and "08:30" in to_candidate.text
    assert d.candidate.email in to_employer.text and "06 12 34 56 78" in to_employer.text
    with pytest.raises(Conflict):  # a second approval: nothing more
        ops.approve_match(d.session, match, d.coordinator, now=NOW, expected=M.PROPOSED)
    assert len(_mails(d.session, "discovery_candidate")) == 1
    line = d.session.scalars(
        select(AuditEntry).where(AuditEntry.object_type == ops.MATCH_OBJECT)
    ).one()
    assert line.details["from"] == "proposed" and line.details["to"] == "planned"


def test_places_are_never_over_booked(d: Discovery) -> None:
    d.day()  # one place
    d.wish()
    other = f.make_candidate(d.session)
    d.wish(candidate=other)
    d.recompute()
    first, second = d.matches()
    ops.approve_match(d.session, first, d.coordinator, now=NOW)
    with pytest.raises(Conflict, match="plus de place"):
        ops.approve_match(d.session, second, d.coordinator, now=NOW)
    d.session.refresh(second)
    assert second.status == M.PROPOSED and first.day.places_taken == 1
    assert len(_mails(d.session, "discovery_candidate")) == 1  # none for the refused one
    # Cancelling frees the place for the other.
    ops.cancel_match(d.session, first, d.candidate_actor, "Malade", now=NOW)
    ops.approve_match(d.session, second, d.coordinator, now=NOW)
    assert second.day.places_taken == 1


def test_who_may_decide_and_reasons(d: Discovery) -> None:
    d.day()
    d.wish()
    d.recompute()
    [match] = d.matches()
    with pytest.raises(PermissionDenied):
        ops.approve_match(d.session, match, d.employer_actor, now=NOW)
    with pytest.raises(ValidationError) as caught:
        ops.reject_match(d.session, match, d.coordinator, "  ", now=NOW)
    assert caught.value.errors == {"reason": [ops.REASON_REQUIRED]}
    ops.approve_match(d.session, match, d.coordinator, now=NOW)
    stranger = Actor.user(f.make_user(d.session, Role.CANDIDATE))
    with pytest.raises(PermissionDenied):
        ops.cancel_match(d.session, match, stranger, "Non", now=NOW)
    ops.cancel_match(d.session, match, d.employer_actor, "Équipe absente", now=NOW)
    assert match.status == M.CANCELLED and match.reason == "Équipe absente"


def test_cancelling_the_days_cancels_their_discoveries(d: Discovery) -> None:
    match = _planned(d)
    assert ops.cancel_day(d.session, d.employer_actor, match.day, "Travaux", now=NOW) == 1
    d.session.refresh(match)
    assert match.status == M.CANCELLED and "Travaux" in (match.reason or "")
    # The person is told (not the reason, written for the coordination); the structure is not.
    [told] = _mails(d.session, "discovery_cancelled_candidate")
    assert told.recipient == d.candidate.email and "Travaux" not in told.text
    assert "est annulée par la structure" in told.text
    assert _mails(d.session, "discovery_cancelled_employer") == []


def test_a_cancelled_visit_tells_the_sides_that_did_not_cancel_it(d: Discovery) -> None:
    by_person = _planned(d)
    ops.cancel_match(d.session, by_person, d.candidate_actor, "Malade", now=NOW)
    [to_structure] = _mails(d.session, "discovery_cancelled_employer")
    assert to_structure.recipient == d.employer_user.email
    assert f"de {d.candidate.first_name}" in to_structure.text
    assert "annulée par la personne" in to_structure.text and "Malade" not in to_structure.text
    assert _mails(d.session, "discovery_cancelled_candidate") == []
    # By the coordination: both sides; a second cancel is refused, no mail more.
    someone = d.wish(candidate=f.make_candidate(d.session))
    other = ops.create_manual_match(d.session, someone, d.day(), d.coordinator, now=NOW)
    ops.cancel_match(d.session, other, d.coordinator, "Doublon", now=NOW)
    assert len(_mails(d.session, "discovery_cancelled_candidate")) == 1
    assert len(_mails(d.session, "discovery_cancelled_employer")) == 2
    with pytest.raises(InvalidTransition):
        ops.cancel_match(d.session, other, d.coordinator, "Doublon", now=NOW)
    assert len(_mails(d.session, "discovery_cancelled_employer")) == 2


# --- After the days: done, questionnaires, single-use links -------------------------------------


def test_after_the_days_done_once_and_questionnaires_once_by_single_use_link(
    d: Discovery,
) -> None:
    match = _planned(d)
    during = datetime(2027, 1, 12, 9, 0, tzinfo=UTC)
    after = datetime(2027, 1, 14, 9, 0, tzinfo=UTC)
    job = Actor.job("discovery")
    assert ops.finish_past_discoveries(d.session, job, now=during) == 0
    assert ops.finish_past_discoveries(d.session, job, now=after) == 1
    assert ops.finish_past_discoveries(d.session, job, now=after) == 0
    d.session.refresh(match)
    assert match.status == M.DONE
    assert ops.send_due_questionnaires(d.session, now=after) == 2
    assert ops.send_due_questionnaires(d.session, now=after) == 0
    mails = _mails(d.session, q_ops.QUESTIONNAIRE_KIND)
    assert sorted(m.recipient for m in mails) == sorted([d.candidate.email, d.employer_user.email])
    to_candidate = next(m for m in mails if m.recipient == d.candidate.email)
    token = LINK_RE.search(to_candidate.text).group(1)  # type: ignore[union-attr]
    stored = d.session.scalars(select(Questionnaire.token_hash)).all()
    assert token not in stored  # only its hash

    with pytest.raises(ValidationError) as caught:
        q_ops.answer_questionnaire(d.session, token, {"liked": "maybe"}, now=after)
    assert set(caught.value.errors) == {"liked", "go_on", "welcome"}
    answers = {"liked": "yes", "go_on": "rather_yes", "welcome": "yes", COMMENT: "Super équipe"}
    found = q_ops.answer_questionnaire(d.session, token, answers, now=after)
    assert found.side == "candidate" and found.answers == answers
    with pytest.raises(Conflict):
        q_ops.answer_questionnaire(d.session, token, answers, now=after)
    assert q_ops.find_questionnaire(d.session, "x" * 65) is None


def test_a_cancelled_discovery_is_never_done_nor_asked(d: Discovery) -> None:
    match = _planned(d)
    ops.cancel_match(d.session, match, d.coordinator, "Annulée par téléphone", now=NOW)
    after = datetime(2027, 1, 20, 9, 0, tzinfo=UTC)
    assert ops.finish_past_discoveries(d.session, Actor.job("discovery"), now=after) == 0
    assert ops.send_due_questionnaires(d.session, now=after) == 0


# --- Privacy: the person's erasure and export reach their discoveries ---------------------------


def test_erasing_the_person_stops_their_discoveries_and_forgets_their_answers(
    d: Discovery,
) -> None:
    from data.privacy.erasure import ErasureCause, erase_candidate
    from data.privacy.export import export_candidate_data

    match = _planned(d)
    after = datetime(2027, 1, 5, 9, 0, tzinfo=UTC)
    other = d.wish(metier_code="auxiliaire-de-puericulture")
    exported = export_candidate_data(d.session, d.candidate)
    assert exported["decouvertes"]["decouvertes"][0]["etape"] == "Prévue"
    assert len(exported["decouvertes"]["demandes"]) == 2
    d.session.add(
        Questionnaire(
            purpose="discovery",
            subject_type=ops.MATCH_OBJECT,
            subject_id=match.id,
            side="structure",
            recipient=d.employer_user.email,
            token_hash="0" * 64,
            answers={"comment": "Léa Dupont est très ponctuelle"},
        )
    )
    d.session.flush()
    report = erase_candidate(d.session, d.candidate, cause=ErasureCause.PERSON, now=after)
    assert report.counts["pairs_stopped"] == 1
    d.session.refresh(match)
    d.session.refresh(other)
    assert match.status == M.CANCELLED and match.day.places_taken == 0
    assert other.status.value == "closed"
    assert d.session.scalar(select(func.count(Questionnaire.id))) == 0
    pending = _mails(d.session, "discovery_candidate")
    assert all(m.recipient != d.candidate.email or m.status.value != "pending" for m in pending)
    # The structure is told the visit is off, without the name of a person who left.
    [told] = _mails(d.session, "discovery_cancelled_employer")
    assert d.candidate.first_name not in told.text and "est annulée" in told.text
    assert _mails(d.session, "discovery_cancelled_candidate") == []


def test_a_coordinator_plans_a_discovery_by_hand_once(d: Discovery) -> None:
    day = d.day(site=f.make_site(d.session, d.employer, commune_insee=f.OYONNAX), places="2")
    wish = d.wish(max_distance_km="5")  # too far for the engine
    d.recompute()
    assert d.matches() == []
    match = ops.create_manual_match(d.session, wish, day, d.coordinator, now=NOW)
    assert (match.status, match.origin.value, match.day.places_taken) == (M.PLANNED, "manual", 1)
    assert match.distance_km and match.distance_km > 5
    assert len(_mails(d.session, "discovery_candidate")) == 1
    with pytest.raises(Conflict, match="existe déjà"):
        ops.create_manual_match(d.session, wish, day, d.coordinator, now=NOW)
    with pytest.raises(PermissionDenied):
        ops.create_manual_match(d.session, wish, day, d.employer_actor, now=NOW)
    ops.close_wish(d.session, d.candidate_actor, wish, now=NOW)
    with pytest.raises(ValidationError) as caught:
        ops.create_manual_match(d.session, wish, d.day(), d.coordinator, now=NOW)
    assert caught.value.errors == {"wish_id": [ops.WISH_NOT_ACTIVE]}


def test_a_planned_discovery_answers_its_ask(d: Discovery) -> None:
    """Two days fit one ask: planning one takes the other out of the queue, for good."""
    d.day()
    d.day(places="1")
    d.wish()
    d.recompute()
    first, second = d.matches()
    ops.approve_match(d.session, first, d.coordinator, now=NOW)
    d.session.refresh(second)
    assert second.status == M.PROPOSED and second.stale
    assert second not in discovery_review_queue(d.session)
    d.recompute()
    d.session.refresh(second)
    assert second.stale
