"""Suggestions: review, the life of a pair, interests, and the history the audit log keeps."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from data import operations as ops
from data.actor import SYSTEM, Actor
from data.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from data.models import (
    Interest,
    OfferStatus,
    RequestStatus,
    SuggestionOrigin,
    SuggestionStatus,
)
from data.operations.suggestions import MANUAL_ENGINE_VERSION, SUGGESTION_TRANSITIONS
from tests.data.factories import (
    OYONNAX,
    assert_nothing_pending,
    make_offer,
    make_request,
    make_suggestion,
    make_user,
)

S = SuggestionStatus
NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _at(minutes: int) -> datetime:
    return NOW + timedelta(minutes=minutes)


def test_review_then_the_whole_life_of_a_pair(session) -> None:
    coordinator = make_user(session)
    offer = make_offer(session, places=2)
    suggestion = make_suggestion(session, offer=offer)
    request = suggestion.request

    ops.approve_suggestion(session, suggestion, Actor.user(coordinator), now=_at(1))
    assert suggestion.status is S.APPROVED
    assert (suggestion.status_changed_at, suggestion.status_changed_by_id) == (
        _at(1),
        coordinator.id,
    )
    ops.mark_contacted(session, suggestion.id, Actor.user(coordinator), now=_at(2))
    ops.mark_interview(session, suggestion, Actor.user(coordinator), now=_at(3))
    ops.mark_contract_signed(session, suggestion, Actor.user(coordinator), now=_at(4))

    assert suggestion.status is S.CONTRACT_SIGNED
    assert (offer.places_filled, offer.status) == (1, OfferStatus.PUBLISHED)
    assert request.status is RequestStatus.MATCHED

    history = ops.pair_history(session, suggestion.id)
    assert [(e.details["from"], e.details["to"]) for e in history] == [
        ("proposed", "approved"),
        ("approved", "contacted"),
        ("contacted", "interview"),
        ("interview", "contract_signed"),
    ]
    assert [e.at for e in history] == [_at(1), _at(2), _at(3), _at(4)]
    assert {e.actor_id for e in history} == {coordinator.id}
    assert {e.action for e in history} == {"status_change"}


def test_the_last_contract_fills_the_offer(session) -> None:
    offer = make_offer(session, places=1)
    suggestion = make_suggestion(session, offer=offer, status=S.INTERVIEW)
    other = make_suggestion(session, offer=offer, status=S.CONTACTED)
    ops.mark_contract_signed(session, suggestion, SYSTEM, now=NOW)
    assert (offer.places_filled, offer.status, offer.closed_at) == (1, OfferStatus.FILLED, NOW)
    with pytest.raises(Conflict, match="déjà pourvues"):
        ops.mark_contract_signed(session, other, SYSTEM)
    assert other.status is S.CONTACTED
    assert other.request.status is RequestStatus.ACTIVE
    assert ops.pair_history(session, other.id) == []
    assert_nothing_pending(session)


def test_a_contract_needs_an_open_offer_and_an_open_request(session) -> None:
    suggestion = make_suggestion(session, status=S.INTERVIEW)
    ops.close_offer(session, suggestion.offer)
    with pytest.raises(Conflict, match="plus ouverte"):
        ops.mark_contract_signed(session, suggestion, SYSTEM)
    second = make_suggestion(session, status=S.INTERVIEW)
    ops.close_request(session, second.request)
    with pytest.raises(Conflict, match="plus active"):
        ops.mark_contract_signed(session, second, SYSTEM)
    assert (suggestion.status, second.status) == (S.INTERVIEW, S.INTERVIEW)
    assert second.offer.places_filled == 0
    assert_nothing_pending(session)


@pytest.mark.parametrize("action", [ops.reject_suggestion, ops.abandon_suggestion])
@pytest.mark.parametrize("reason", [None, "", "   "])
def test_rejecting_or_abandoning_needs_a_reason(session, action, reason) -> None:
    status = S.PROPOSED if action is ops.reject_suggestion else S.CONTACTED
    suggestion = make_suggestion(session, status=status)
    with pytest.raises(ValidationError) as info:
        action(session, suggestion, None, reason)
    assert info.value.errors == {"reason": ["Indiquez la raison."]}
    assert suggestion.status is status
    assert_nothing_pending(session)


def test_reason_length_is_bounded(session) -> None:
    suggestion = make_suggestion(session)
    with pytest.raises(ValidationError) as info:
        ops.reject_suggestion(session, suggestion, SYSTEM, "x" * 1001)
    assert info.value.errors == {"reason": ["Ce texte ne peut pas dépasser 1000 caractères."]}


def test_reject_keeps_the_reason_and_going_back_clears_it(session) -> None:
    coordinator = make_user(session)
    suggestion = make_suggestion(session)
    ops.reject_suggestion(
        session, suggestion, Actor.user(coordinator), "  Trop loin sans voiture. ", now=_at(1)
    )
    assert (suggestion.status, suggestion.rejection_reason) == (
        S.REJECTED,
        "Trop loin sans voiture.",
    )
    ops.approve_suggestion(session, suggestion, Actor.user(coordinator), now=_at(2))
    assert (suggestion.status, suggestion.rejection_reason) == (S.APPROVED, None)
    ops.abandon_suggestion(
        session, suggestion, Actor.user(coordinator), "La candidate a trouvé ailleurs."
    )
    history = ops.pair_history(session, suggestion.id)
    assert [e.details for e in history] == [
        {"from": "proposed", "to": "rejected", "reason": "Trop loin sans voiture."},
        {"from": "rejected", "to": "approved"},
        {"from": "approved", "to": "abandoned", "reason": "La candidate a trouvé ailleurs."},
    ]


TARGET_ACTIONS = {
    S.APPROVED: lambda s, sug, now: ops.approve_suggestion(s, sug, SYSTEM, now=now),
    S.REJECTED: lambda s, sug, now: ops.reject_suggestion(
        s, sug, SYSTEM, "Profil éloigné", now=now
    ),
    S.CONTACTED: lambda s, sug, now: ops.mark_contacted(s, sug, SYSTEM, now=now),
    S.INTERVIEW: lambda s, sug, now: ops.mark_interview(s, sug, SYSTEM, now=now),
    S.CONTRACT_SIGNED: lambda s, sug, now: ops.mark_contract_signed(s, sug, SYSTEM, now=now),
    S.ABANDONED: lambda s, sug, now: ops.abandon_suggestion(
        s, sug, SYSTEM, "Plus de nouvelles", now=now
    ),
    S.BROKEN: lambda s, sug, now: ops.break_contract(
        s, sug, SYSTEM, now.date(), "Rupture en période d'essai", now=now
    ),
}


@pytest.mark.parametrize("target", [t for t in S if t is not S.PROPOSED])
@pytest.mark.parametrize("start", list(S))
def test_suggestion_transitions(session, start: S, target: S) -> None:
    suggestion = make_suggestion(session, status=start)
    if target in SUGGESTION_TRANSITIONS[start]:
        TARGET_ACTIONS[target](session, suggestion, NOW)
        assert suggestion.status is target
        [entry] = ops.pair_history(session, suggestion.id)
        assert (entry.details["from"], entry.details["to"]) == (start.value, target.value)
    elif start is target:
        # Someone did it first (a double click, a second coordinator): said so, nothing written.
        with pytest.raises(Conflict, match="traitée par quelqu'un d'autre"):
            TARGET_ACTIONS[target](session, suggestion, NOW)
        assert ops.pair_history(session, suggestion.id) == []
        assert_nothing_pending(session)
    else:
        with pytest.raises(InvalidTransition) as info:
            TARGET_ACTIONS[target](session, suggestion, NOW)
        assert (info.value.current, info.value.target) == (start.value, target.value)
        assert suggestion.status is start
        assert ops.pair_history(session, suggestion.id) == []
        assert_nothing_pending(session)


def test_nothing_goes_back_to_proposed(session) -> None:
    assert all(S.PROPOSED not in targets for targets in SUGGESTION_TRANSITIONS.values())
    suggestion = make_suggestion(session, status=S.APPROVED)
    with pytest.raises(InvalidTransition):
        ops.change_suggestion_status(session, suggestion, "proposed", SYSTEM)
    with pytest.raises(ValueError):
        ops.change_suggestion_status(session, suggestion, "lost", SYSTEM)


def test_create_manual_pair(session) -> None:
    coordinator = make_user(session)
    request = make_request(session, commune_insee=OYONNAX)
    offer = make_offer(session)
    pair = ops.create_manual_pair(
        session, request, offer, Actor.user(coordinator), note=" Vue au forum ", now=NOW
    )
    assert (pair.origin, pair.status, pair.engine_version) == (
        SuggestionOrigin.MANUAL,
        S.APPROVED,
        MANUAL_ENGINE_VERSION,
    )
    # Oyonnax to Bourg-en-Bresse, centroid to centroid: about 34 km.
    assert 25 < pair.distance_km < 45
    assert pair.status_changed_by_id == coordinator.id
    [entry] = ops.pair_history(session, pair.id)
    assert (entry.action, entry.details) == (
        "created",
        {"origin": "manual", "to": "approved", "reason": "Vue au forum"},
    )
    with pytest.raises(Conflict, match="existe déjà"):
        ops.create_manual_pair(session, request, offer, Actor.user(coordinator))
    assert_nothing_pending(session)


def test_create_manual_pair_needs_an_active_request_and_an_open_offer(session) -> None:
    request = make_request(session)
    offer = make_offer(session, publish=False)
    ops.pause_request(session, request)
    with pytest.raises(ValidationError) as info:
        ops.create_manual_pair(session, request, offer, SYSTEM)
    assert info.value.errors == {
        "request_id": ["Cette demande n'est pas active."],
        "offer_id": ["Cette offre n'est pas publiée ou n'a plus de place."],
    }
    assert_nothing_pending(session)


def test_interests(session) -> None:
    suggestion = make_suggestion(session, status=S.APPROVED)
    boss = make_user(session, role="employer", employer=suggestion.offer.site.employer)
    person = make_user(session, role="candidate", candidate=suggestion.request.candidate)

    with pytest.raises(ValidationError) as info:
        ops.set_employer_interest(session, suggestion, Actor.user(boss), False)
    assert info.value.errors == {"reason": ["Indiquez la raison."]}
    ops.set_employer_interest(
        session, suggestion, Actor.user(boss), False, reason="Poste pourvu en interne", now=_at(0)
    )
    assert (suggestion.employer_interest, suggestion.employer_reason) == (
        Interest.DECLINED,
        "Poste pourvu en interne",
    )
    ops.set_employer_interest(session, suggestion, Actor.user(boss), True, now=_at(1))
    assert (suggestion.employer_interest, suggestion.employer_reason) == (Interest.INTERESTED, None)

    ops.set_candidate_interest(session, suggestion, Actor.user(person), True, now=_at(2))
    assert suggestion.candidate_interest is Interest.INTERESTED
    assert suggestion.request.candidate.last_activity_at == _at(2)
    with pytest.raises(ValidationError):
        ops.set_candidate_interest(session, suggestion, Actor.user(person), "oui")

    history = ops.pair_history(session, suggestion.id)
    assert [(e.action, e.details["from"], e.details["to"]) for e in history] == [
        ("employer_interest", None, "declined"),
        ("employer_interest", "declined", "interested"),
        ("candidate_interest", None, "interested"),
    ]
    assert history[0].details["reason"] == "Poste pourvu en interne"


@pytest.mark.parametrize(
    ("status", "stale"),
    [(S.PROPOSED, True), (S.REJECTED, False), (S.CONTRACT_SIGNED, False), (S.ABANDONED, False)],
)
def test_no_interest_outside_the_live_statuses(session, status: S, stale: bool) -> None:
    suggestion = make_suggestion(session, status=status, stale=stale)
    with pytest.raises(Conflict):
        ops.set_employer_interest(session, suggestion, SYSTEM, True)
    with pytest.raises(Conflict):
        ops.set_candidate_interest(session, suggestion, SYSTEM, True)
    assert suggestion.employer_interest is None and suggestion.candidate_interest is None
    assert_nothing_pending(session)


def test_both_sides_may_answer_a_proposed_pair_before_review(session) -> None:
    suggestion = make_suggestion(session, status=S.PROPOSED)
    ops.set_candidate_interest(session, suggestion, SYSTEM, True)
    ops.set_employer_interest(session, suggestion, SYSTEM, False, reason="Profil trop éloigné")
    assert suggestion.status == S.PROPOSED
    assert (suggestion.candidate_interest, suggestion.employer_interest) == (
        Interest.INTERESTED,
        Interest.DECLINED,
    )


def test_each_side_answers_for_itself_and_staff_for_either(session) -> None:
    suggestion = make_suggestion(session, status=S.APPROVED)
    stranger = make_user(session, role="employer")
    person = make_user(session, role="candidate", candidate=suggestion.request.candidate)
    other_person = make_user(session, role="candidate")
    with pytest.raises(PermissionDenied):
        ops.set_employer_interest(session, suggestion, Actor.user(stranger), True)
    with pytest.raises(PermissionDenied):
        ops.set_employer_interest(session, suggestion, Actor.user(person), True)
    with pytest.raises(PermissionDenied):
        ops.set_candidate_interest(session, suggestion, Actor.user(other_person), True)
    assert suggestion.employer_interest is None and suggestion.candidate_interest is None
    assert_nothing_pending(session)
    coordinator = make_user(session)
    ops.set_employer_interest(session, suggestion, Actor.user(coordinator), True)
    ops.set_candidate_interest(session, suggestion, Actor.user(coordinator), False)
    assert (suggestion.employer_interest, suggestion.candidate_interest) == (
        Interest.INTERESTED,
        Interest.DECLINED,
    )


def test_approving_needs_both_sides_still_looking(session) -> None:
    closed_offer = make_suggestion(session)
    ops.close_offer(session, closed_offer.offer)
    with pytest.raises(Conflict, match="pas publiée"):
        ops.approve_suggestion(session, closed_offer, SYSTEM)
    paused = make_suggestion(session, status=S.REJECTED)
    ops.pause_request(session, paused.request)
    with pytest.raises(Conflict, match="pas active"):
        ops.approve_suggestion(session, paused, SYSTEM)
    assert (closed_offer.status, paused.status) == (S.PROPOSED, S.REJECTED)
    assert_nothing_pending(session)
    # Rejecting a pair whose offer closed is still possible.
    ops.reject_suggestion(session, closed_offer, SYSTEM, "Offre retirée")


def test_reject_suggestions_rejects_each_with_the_one_reason_or_none(session) -> None:
    actor = Actor.user(make_user(session))
    first, second = make_suggestion(session), make_suggestion(session)
    approved = make_suggestion(session, status=S.APPROVED)
    with pytest.raises(ValidationError):
        ops.reject_suggestions(session, [], actor, "Trop loin")
    with pytest.raises(ValidationError):
        ops.reject_suggestions(session, [first.id], actor, "  ")
    with pytest.raises(Conflict):
        ops.reject_suggestions(session, [approved.id], actor, "Trop loin")
    done = ops.reject_suggestions(session, [first.id, second.id, first.id], actor, "Trop loin")
    assert [s.id for s in done] == [first.id, second.id]
    assert {s.status for s in done} == {S.REJECTED}
    assert {s.rejection_reason for s in done} == {"Trop loin"}
