"""The pair's story: interview, contract details, rupture, and the undo of the last stage change."""

from __future__ import annotations

import json
from datetime import UTC, date, datetime, time, timedelta

import pytest

from data import operations as ops
from data.actor import Actor
from data.errors import Conflict, PermissionDenied, ValidationError
from data.models import ContractKind, OfferStatus, RequestStatus, Role, SuggestionStatus
from data.presentation import event_line
from data.privacy import ErasureCause, erase_candidate
from tests.data.factories import (
    assert_nothing_pending,
    make_offer,
    make_suggestion,
    make_user,
)

S = SuggestionStatus
# 09:30 in Paris on a Monday; the Paris day ends at 23:00 UTC (winter time).
NOW = datetime(2026, 3, 2, 8, 30, tzinfo=UTC)
TODAY = date(2026, 3, 2)


def _at(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def _staff(session) -> Actor:
    return Actor.user(make_user(session))


def test_interview_then_contract_with_details_then_rupture_reopening_the_place(session) -> None:
    me = _staff(session)
    offer = make_offer(session, places=1)
    pair = make_suggestion(session, offer=offer, status=S.CONTACTED)
    ops.mark_interview(
        session,
        pair,
        me,
        now=_at(1),
        story={
            "interview_on": "10/03/2026",
            "interview_time": "14h30",
            "interview_place": " EHPAD Les Tilleuls ",
        },
    )
    assert (pair.interview_on, pair.interview_time, pair.interview_place) == (
        date(2026, 3, 10),
        time(14, 30),
        "EHPAD Les Tilleuls",
    )
    plan = ops.plan_stage(session, pair, S.CONTRACT_SIGNED, now=_at(2))
    assert (plan.fills_place, plan.offer_becomes_filled, plan.matches_request) == (
        True,
        True,
        True,
    )
    ops.mark_contract_signed(
        session,
        pair,
        me,
        now=_at(2),
        story={
            "contract_signed_on": "2026-03-01",
            "contract_start_on": "2026-04-01",
            "training_centre": "IFAS de Bourg",
            "contract_kind": "apprentissage",
        },
    )
    assert pair.contract_kind is ContractKind.APPRENTISSAGE
    assert (offer.places_filled, offer.status) == (1, OfferStatus.FILLED)
    assert pair.request.status is RequestStatus.MATCHED

    # A rupture needs its day (not before the signature) and its reason.
    with pytest.raises(ValidationError) as info:
        ops.break_contract(session, pair, me, "2026-02-01", "", now=_at(3))
    assert set(info.value.errors) == {"reason", "broken_on"}
    assert_nothing_pending(session)

    ops.break_contract(
        session, pair, me, "2026-03-02", "Fin en période d'essai", reopen_place=True, now=_at(3)
    )
    assert (pair.status, pair.broken_on, pair.broken_reason) == (
        S.BROKEN,
        TODAY,
        "Fin en période d'essai",
    )
    # The place reopens and the offer is published again; the pair stays, as broken.
    assert (offer.places_filled, offer.status, offer.closed_at) == (0, OfferStatus.PUBLISHED, None)
    lines = [event_line(e.action, e.details) for e in ops.pair_history(session, pair.id)]
    assert lines == [
        "Changement d'étape : Contact pris → Entretien (entretien le 10 mars 2026 à 14:30, "
        "lieu : EHPAD Les Tilleuls)",
        "Changement d'étape : Entretien → Contrat signé (signé le 1er mars 2026, début le "
        "1er avril 2026, Contrat d'apprentissage, centre de formation : IFAS de Bourg, une "
        "place de l'offre pourvue)",
        "Changement d'étape : Contrat signé → Contrat rompu (rompu le 2 mars 2026, une place "
        "de l'offre rouverte)",
    ]


def test_story_fields_are_checked(session) -> None:
    me = _staff(session)
    pair = make_suggestion(session, status=S.CONTACTED)
    with pytest.raises(ValidationError) as info:
        ops.mark_interview(
            session,
            pair,
            me,
            now=NOW,
            story={"interview_time": "25:00", "contract_kind": "apprentissage"},
        )
    assert set(info.value.errors) == {"interview_time", "contract_kind"}
    with pytest.raises(ValidationError) as info:
        ops.mark_interview(session, pair, me, now=NOW, story={"interview_time": "10:00"})
    assert "interview_on" in info.value.errors
    assert pair.status is S.CONTACTED
    assert_nothing_pending(session)
    # A contract cannot be signed in the future, nor of an unknown kind.
    pair.status = S.INTERVIEW
    with pytest.raises(ValidationError) as info:
        ops.mark_contract_signed(
            session,
            pair,
            me,
            now=NOW,
            story={"contract_signed_on": "2026-03-09", "contract_kind": "cdi"},
        )
    assert set(info.value.errors) == {"contract_signed_on", "contract_kind"}


def test_reopen_is_only_for_a_rupture_of_an_open_offer(session) -> None:
    me = _staff(session)
    offer = make_offer(session, places=1)
    pair = make_suggestion(session, offer=offer, status=S.INTERVIEW)
    with pytest.raises(ValidationError, match="reopen_place"):
        ops.change_suggestion_status(session, pair, S.CONTRACT_SIGNED, me, reopen_place=True)
    ops.mark_contract_signed(session, pair, me, now=NOW)
    ops.close_offer(session, offer, now=NOW)
    with pytest.raises(ValidationError) as info:
        ops.break_contract(session, pair, me, TODAY, "Démission", reopen_place=True, now=NOW)
    assert "rouverte" in info.value.errors["reopen_place"][0]
    # Without reopening, the rupture of a contract on a closed offer is recorded.
    ops.break_contract(session, pair, me, TODAY, "Démission", now=NOW)
    assert (pair.status, offer.places_filled) == (S.BROKEN, 1)


def test_details_are_edited_afterwards_by_the_staff_only(session) -> None:
    me = _staff(session)
    pair = make_suggestion(session, status=S.CONTACTED)
    with pytest.raises(Conflict, match="à partir de l'étape « Entretien »"):
        ops.set_interview(session, pair, me, {"interview_on": "2026-03-10"}, now=NOW)
    ops.mark_interview(session, pair, me, now=NOW)
    ops.set_interview(
        session, pair, me, {"interview_on": "2026-03-11", "interview_place": "Bourg"}, now=_at(1)
    )
    assert (pair.interview_on, pair.interview_time, pair.interview_place) == (
        date(2026, 3, 11),
        None,
        "Bourg",
    )
    with pytest.raises(Conflict, match="« Contrat signé »"):
        ops.set_contract_details(session, pair, me, {"training_centre": "CFA"}, now=_at(2))
    employer = Actor.user(make_user(session, Role.EMPLOYER))
    with pytest.raises(PermissionDenied):
        ops.set_interview(session, pair, employer, {"interview_on": "2026-03-12"}, now=_at(2))
    # Nothing changed: nothing written.
    ops.set_interview(
        session, pair, me, {"interview_on": "2026-03-11", "interview_place": "Bourg"}, now=_at(3)
    )
    [*_, last] = ops.pair_history(session, pair.id)
    assert event_line(last.action, last.details) == (
        "Entretien : entretien le 11 mars 2026, lieu : Bourg"
    )
    assert last.details == {
        "interview_on": "2026-03-11",
        "interview_time": None,
        "interview_place": "Bourg",
    }


def test_undo_a_signing_frees_the_place_and_the_request(session) -> None:
    me = _staff(session)
    offer = make_offer(session, places=1)
    pair = make_suggestion(session, offer=offer, status=S.INTERVIEW)
    pair.request.status = RequestStatus.PAUSED
    ops.mark_contract_signed(
        session, pair, me, now=_at(1), story={"training_centre": "CFA", "contract_kind": None}
    )
    assert (offer.status, pair.request.status) == (OfferStatus.FILLED, RequestStatus.MATCHED)
    check = ops.undo_check(session, pair, now=_at(2))
    assert check.possible and check.frees_place and check.restores is S.INTERVIEW
    ops.undo_last_stage(session, pair, me, now=_at(2), expected=S.CONTRACT_SIGNED)
    assert (pair.status, pair.training_centre) == (S.INTERVIEW, None)
    assert (offer.places_filled, offer.status) == (0, OfferStatus.PUBLISHED)
    assert pair.request.status is RequestStatus.PAUSED
    [*_, last] = ops.pair_history(session, pair.id)
    assert event_line(last.action, last.details) == (
        "Changement d'étape annulé : Contrat signé → Entretien (une place de l'offre rouverte)"
    )
    # An undo is not undone.
    with pytest.raises(Conflict, match="déjà été annulé"):
        ops.undo_last_stage(session, pair, me, now=_at(3))


def test_undo_a_rupture_takes_the_reopened_place_again(session) -> None:
    me = _staff(session)
    offer = make_offer(session, places=1)
    pair = make_suggestion(session, offer=offer, status=S.INTERVIEW)
    ops.mark_contract_signed(session, pair, me, now=_at(1))
    ops.break_contract(session, pair, me, TODAY, "Erreur", reopen_place=True, now=_at(2))
    assert offer.status is OfferStatus.PUBLISHED
    ops.undo_last_stage(session, pair, me, now=_at(3))
    assert (pair.status, pair.broken_on, pair.broken_reason) == (S.CONTRACT_SIGNED, None, None)
    assert (offer.places_filled, offer.status) == (1, OfferStatus.FILLED)


def test_a_rupture_makes_the_request_active_again_and_its_undo_matches_it_back(session) -> None:
    me = _staff(session)
    offer = make_offer(session, places=1)
    pair = make_suggestion(session, offer=offer, status=S.INTERVIEW)
    request = pair.request
    ops.mark_contract_signed(session, pair, me, now=_at(1))
    before = request.candidate.last_activity_at
    plan = ops.plan_stage(
        session,
        pair,
        S.BROKEN,
        reason="Démission",
        reopen_request=True,
        story={"broken_on": TODAY},
        now=_at(2),
    )
    assert plan.reactivates_request and not plan.frees_place
    assert request.status is RequestStatus.MATCHED  # a plan writes nothing
    ops.break_contract(session, pair, me, TODAY, "Démission", reopen_request=True, now=_at(2))
    assert (pair.status, request.status) == (S.BROKEN, RequestStatus.ACTIVE)
    # A coordinator's act, not the person's: their retention clock keeps running.
    assert request.candidate.last_activity_at == before
    [*_, change] = ops.pair_history(session, pair.id)
    assert (change.details["request_from"], change.details["request_to"]) == ("matched", "active")
    assert event_line(change.action, change.details) == (
        "Changement d'étape : Contrat signé → Contrat rompu (rompu le 2 mars 2026, la demande "
        "de nouveau active)"
    )
    check = ops.undo_check(session, pair, now=_at(3))
    assert check.possible and check.rematches_request and not check.takes_place
    ops.undo_last_stage(session, pair, me, now=_at(3))
    assert (pair.status, request.status) == (S.CONTRACT_SIGNED, RequestStatus.MATCHED)
    [*_, undone] = ops.pair_history(session, pair.id)
    assert undone.details["request_to"] == "matched"


def test_the_undo_of_a_rupture_leaves_a_request_the_person_paused_since(session) -> None:
    me = _staff(session)
    pair = make_suggestion(session, status=S.INTERVIEW)
    ops.mark_contract_signed(session, pair, me, now=_at(1))
    ops.break_contract(session, pair, me, TODAY, "Démission", reopen_request=True, now=_at(2))
    ops.pause_request(session, pair.request, now=_at(3))
    ops.undo_last_stage(session, pair, me, now=_at(4))
    assert (pair.status, pair.request.status) == (S.CONTRACT_SIGNED, RequestStatus.PAUSED)


def test_a_request_is_made_active_again_only_when_nothing_else_holds_it(session) -> None:
    me = _staff(session)
    pair = make_suggestion(session, status=S.INTERVIEW)
    request = pair.request
    # Only a rupture does it.
    with pytest.raises(ValidationError) as info:
        ops.change_suggestion_status(session, pair, S.CONTRACT_SIGNED, me, reopen_request=True)
    assert info.value.errors["reopen_request"] == [
        "Seule la rupture d'un contrat rend la demande de nouveau active."
    ]
    ops.mark_contract_signed(session, pair, me, now=_at(1))
    # Another signed contract of the same request holds it: refused, nothing written.
    other = make_suggestion(session, request=request, status=S.CONTRACT_SIGNED)
    with pytest.raises(ValidationError) as info:
        ops.break_contract(session, pair, me, TODAY, "Démission", reopen_request=True, now=_at(2))
    assert "Un autre contrat signé tient la demande" in info.value.errors["reopen_request"][0]
    assert_nothing_pending(session)
    assert (pair.status, request.status) == (S.CONTRACT_SIGNED, RequestStatus.MATCHED)
    # A request no longer matched (closed by the person): refused with its status named.
    other.status = S.ABANDONED
    request.status = RequestStatus.CLOSED
    session.flush()
    with pytest.raises(ValidationError) as info:
        ops.break_contract(session, pair, me, TODAY, "Démission", reopen_request=True, now=_at(2))
    assert info.value.errors["reopen_request"] == [
        "La demande est « Close », pas « Apprentissage trouvé » : elle ne peut pas redevenir "
        "active par la rupture."
    ]
    with pytest.raises(ValidationError, match="reopen_request"):
        ops.break_contract(session, pair, me, TODAY, "Démission", reopen_request=1, now=_at(2))
    # Without it, the rupture is recorded and the request stays as it is.
    ops.break_contract(session, pair, me, TODAY, "Démission", now=_at(2))
    assert (pair.status, request.status) == (S.BROKEN, RequestStatus.CLOSED)


def test_undo_is_refused_after_the_day_or_when_something_happened(session) -> None:
    me = _staff(session)
    pair = make_suggestion(session, status=S.APPROVED)
    assert ops.undo_check(session, pair, now=NOW).refusal == (
        "Cette mise en relation n'a pas de changement d'étape à annuler."
    )
    ops.mark_contacted(session, pair, me, now=_at(1))
    # A note does not stop the undo; an answer does.
    ops.add_pair_note(session, pair, me, "Appel passé.", now=_at(2))
    assert ops.undo_check(session, pair, now=_at(3)).possible
    # Midnight in Paris (23:00 UTC in winter) ends the day of the change.
    late = datetime(2026, 3, 2, 22, 59, tzinfo=UTC)
    assert ops.undo_check(session, pair, now=late).possible
    next_day = datetime(2026, 3, 2, 23, 0, tzinfo=UTC)
    with pytest.raises(Conflict, match="d'avant aujourd'hui"):
        ops.undo_last_stage(session, pair, me, now=next_day)
    ops.set_candidate_interest(
        session, pair, Actor.user(make_user(session, Role.ADMIN)), True, now=_at(4)
    )
    with pytest.raises(Conflict, match="a changé depuis"):
        ops.undo_last_stage(session, pair, me, now=_at(5))
    assert pair.status is S.CONTACTED
    assert_nothing_pending(session)


def test_undo_refuses_approvals_other_people_and_stale_pages(session) -> None:
    me = _staff(session)
    pair = make_suggestion(session)
    ops.approve_suggestion(session, pair, me, now=NOW)
    with pytest.raises(Conflict, match="ne s'annule pas"):
        ops.undo_last_stage(session, pair, me, now=_at(1))
    ops.mark_interview(session, pair, me, now=_at(1))
    candidate = Actor.user(make_user(session, Role.CANDIDATE))
    with pytest.raises(PermissionDenied):
        ops.undo_last_stage(session, pair, candidate, now=_at(2))
    # The page showed another stage: someone acted meanwhile.
    with pytest.raises(Conflict, match="quelqu'un d'autre"):
        ops.undo_last_stage(session, pair, me, now=_at(2), expected=S.CONTACTED)
    ops.undo_last_stage(session, pair, me, now=_at(2), expected=S.INTERVIEW)
    assert pair.status is S.APPROVED


def test_an_erasure_blanks_the_story_s_texts_about_the_person(session) -> None:
    me = _staff(session)
    pair = make_suggestion(session, status=S.INTERVIEW)
    ops.add_pair_note(session, pair, me, "Mme Dupont rappelle lundi.", now=NOW)
    ops.set_interview(session, pair, me, {"interview_place": "Chez Mme Dupont"}, now=NOW)
    erase_candidate(session, pair.request.candidate_id, cause=ErasureCause.PERSON, now=_at(1))
    session.refresh(pair)
    assert pair.interview_place in ("", None)
    lines = [e.details for e in ops.pair_history(session, pair.id)]
    assert "Dupont" not in json.dumps(lines, ensure_ascii=False)
