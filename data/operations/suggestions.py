"""Suggestions: the coordinator's review and the life of a pair, each step in the audit log."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from sqlalchemy import ColumnElement, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.actor import STAFF_ROLES, Actor
from data.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from data.mail.contacts import queue_contact_mails
from data.models import (
    ANSWERABLE,
    AuditEntry,
    Candidate,
    Interest,
    Offer,
    OfferStatus,
    Request,
    RequestStatus,
    Role,
    Suggestion,
    SuggestionOrigin,
    SuggestionStatus,
)
from data.presentation import label
from data.recompute import match_values, score_request_offer
from matching import ENGINE_VERSION, Exclusion, Match, distance_km

from . import audit
from ._common import _is_unique_violation, load, now_or_utc, update_if
from .beds import free_bed, take_bed
from .offers import (
    NO_PLACE_LEFT,
    NO_PLACE_TAKEN,
    OFFER_NOT_OPEN_FOR_CONTRACT,
    OFFER_NOT_OPEN_FOR_PLACE,
    fill_one_place,
    free_one_place,
)
from .pair_fields import clean_story, story_json
from .requests import mark_request_matched, reactivate_request
from .validation import ErrorCollector, clean_text
from .welcome_kit import build_kit, kit_of

__all__ = [
    "SUGGESTION_TRANSITIONS",
    "REASON_REQUIRED",
    "MANUAL_ENGINE_VERSION",
    "STATUS_CHANGE",
    "TAKEN",
    "check_suggestion_transition",
    "change_suggestion_status",
    "approve_suggestion",
    "reject_suggestion",
    "mark_contacted",
    "mark_interview",
    "mark_contract_signed",
    "abandon_suggestion",
    "break_contract",
    "other_contract",
    "reopen_request_refusal",
    "StagePlan",
    "plan_stage",
    "create_manual_pair",
    "InterestResult",
    "express_interest",
    "set_employer_interest",
    "set_candidate_interest",
    "add_pair_note",
    "approve_suggestions",
    "pair_history",
    "pair_histories",
]

S = SuggestionStatus

SUGGESTION_TRANSITIONS: dict[SuggestionStatus, frozenset[SuggestionStatus]] = {
    S.PROPOSED: frozenset({S.APPROVED, S.REJECTED}),
    # A coordinator may go back on a rejection; the other ends are final.
    S.REJECTED: frozenset({S.APPROVED}),
    S.APPROVED: frozenset({S.CONTACTED, S.INTERVIEW, S.ABANDONED}),
    S.CONTACTED: frozenset({S.INTERVIEW, S.CONTRACT_SIGNED, S.ABANDONED}),
    S.INTERVIEW: frozenset({S.CONTRACT_SIGNED, S.ABANDONED}),
    # A signed contract may break off (the pair stays, as broken, in the figures).
    S.CONTRACT_SIGNED: frozenset({S.BROKEN}),
    S.ABANDONED: frozenset(),
    S.BROKEN: frozenset(),
}
REASON_REQUIRED = frozenset({S.REJECTED, S.ABANDONED, S.BROKEN})
# Either side may answer while the pair is alive: before review too, since under the "auto" review
# rule a proposed pair is shown to both sides, and an early answer helps the coordinator decide.
INTEREST_STATUSES = frozenset(ANSWERABLE)
MANUAL_ENGINE_VERSION = "manual"
REQUEST_NOT_ACTIVE = "Cette demande n'est pas active."
OFFER_NOT_OPEN = "Cette offre n'est pas publiée ou n'a plus de place."
MAX_REASON = 1000
#: What the loser of a race hears: another coordinator (or the jobs) changed the pair first.
TAKEN = "Cette proposition vient d'être traitée par quelqu'un d'autre."

OBJECT_TYPE = "suggestion"
STATUS_CHANGE = "status_change"
CREATED = "created"
ASKED_BY_CANDIDATE = "asked_by_candidate"
EMPLOYER_INTEREST = "employer_interest"
CANDIDATE_INTEREST = "candidate_interest"


def check_suggestion_transition(suggestion: Suggestion, target: SuggestionStatus) -> None:
    """Raise ``InvalidTransition`` unless the pair may go from its status to ``target``."""
    if target not in SUGGESTION_TRANSITIONS[suggestion.status]:
        raise InvalidTransition("Mise en relation", suggestion.status, target)


def _clean_reason(reason: object, required: bool) -> str | None:
    if required and (reason is None or (isinstance(reason, str) and not reason.strip())):
        raise ValidationError({"reason": ["Indiquez la raison."]})
    return clean_text(reason, "reason", required=required, max_length=MAX_REASON, multiline=True)


@dataclass(frozen=True)
class StagePlan:
    """What moving a pair to ``target`` will do, checked before anything is written.

    ``story`` holds the cleaned story fields the move records (see :mod:`.pair_fields`); the
    flags say what else changes: contact mails queued (approval), one place of the offer taken
    (and the offer filled by it), the request marked matched, one place given back (and a filled
    offer published again), the request active again (a rupture: the person looks again). Pages
    show it on their confirmation step.
    """

    suggestion: Suggestion
    previous: SuggestionStatus
    target: SuggestionStatus
    reason: str | None = None
    story: dict[str, Any] = field(default_factory=dict)
    queues_contact_mails: bool = False
    fills_place: bool = False
    offer_becomes_filled: bool = False
    matches_request: bool = False
    frees_place: bool = False
    offer_reopens: bool = False
    reactivates_request: bool = False


def plan_stage(
    session: Session,
    suggestion: Suggestion | int,
    target: SuggestionStatus | str,
    *,
    reason: str | None = None,
    story: Mapping[str, object] | None = None,
    reopen_place: bool = False,
    reopen_request: bool = False,
    now: datetime | None = None,
    expected: SuggestionStatus | str | None = None,
) -> StagePlan:
    """Check a move of a pair to ``target`` and tell what it will do, writing nothing.

    Raises as :func:`change_suggestion_status` would: ``Conflict(TAKEN)`` for a pair already at
    ``target`` or no longer at ``expected``, ``InvalidTransition``, ``ValidationError`` (reason,
    story fields, ``reopen_place`` or ``reopen_request`` that cannot be honoured), ``Conflict``
    when the request or the offer no longer allow it.
    """
    suggestion = load(session, Suggestion, suggestion, "Mise en relation")
    target = SuggestionStatus(target)
    previous = suggestion.status
    if previous == target or (expected is not None and SuggestionStatus(expected) != previous):
        raise Conflict(TAKEN)
    check_suggestion_transition(suggestion, target)
    errors = ErrorCollector()
    story_values = errors.run(
        clean_story, target, story, now=now, signed_on=suggestion.contract_signed_on
    )
    # A rupture's cause from the list may stand for its reason; the free text then says more.
    explained = target == S.BROKEN and bool((story_values or {}).get("broken_cause"))
    reason_value = errors.run(
        _clean_reason, reason, required=target in REASON_REQUIRED and not explained
    )
    if not isinstance(reopen_place, bool):
        errors.add("reopen_place", "Valeur oui ou non attendue.")
        reopen_place = False
    offer = suggestion.offer
    request = suggestion.request
    if reopen_place and target != S.BROKEN:
        errors.add("reopen_place", "Seule la rupture d'un contrat rouvre une place de l'offre.")
    elif reopen_place and offer.status not in (OfferStatus.PUBLISHED, OfferStatus.FILLED):
        errors.add("reopen_place", OFFER_NOT_OPEN_FOR_PLACE)
    elif reopen_place and offer.places_filled < 1:
        errors.add("reopen_place", NO_PLACE_TAKEN)
    if not isinstance(reopen_request, bool):
        errors.add("reopen_request", "Valeur oui ou non attendue.")
    elif reopen_request:
        refusal = reopen_request_refusal(session, suggestion, target)
        if refusal is not None:
            errors.add("reopen_request", refusal)
    errors.raise_if_any()
    if target == S.APPROVED:
        # Approving sends the pair to both sides: both must still be looking.
        if request.status != RequestStatus.ACTIVE:
            raise Conflict(REQUEST_NOT_ACTIVE)
        if offer.status != OfferStatus.PUBLISHED or offer.places_left < 1:
            raise Conflict(OFFER_NOT_OPEN)
    if target == S.CONTRACT_SIGNED:
        if offer.status not in (OfferStatus.PUBLISHED, OfferStatus.FILLED) or offer.places_left < 1:
            raise Conflict(NO_PLACE_LEFT if offer.places_left < 1 else OFFER_NOT_OPEN_FOR_CONTRACT)
        if request.status not in (RequestStatus.ACTIVE, RequestStatus.PAUSED):
            raise Conflict("Cette demande n'est plus active : rouvrez-la d'abord.")
    signs = target == S.CONTRACT_SIGNED
    return StagePlan(
        suggestion=suggestion,
        previous=previous,
        target=target,
        reason=reason_value,
        # A move records the fields it is given; the empty ones keep what the pair holds.
        story={k: v for k, v in (story_values or {}).items() if v is not None},
        queues_contact_mails=target == S.APPROVED,
        fills_place=signs,
        offer_becomes_filled=signs and offer.places_left == 1,
        matches_request=signs,
        frees_place=reopen_place,
        offer_reopens=reopen_place and offer.status == OfferStatus.FILLED,
        reactivates_request=reopen_request is True,
    )


def other_contract(session: Session, suggestion: Suggestion) -> bool:
    """Tell whether another pair of the same request holds a signed contract."""
    return (
        session.scalar(
            select(Suggestion.id).where(
                Suggestion.request_id == suggestion.request_id,
                Suggestion.id != suggestion.id,
                Suggestion.status == S.CONTRACT_SIGNED,
            )
        )
        is not None
    )


def reopen_request_refusal(
    session: Session, suggestion: Suggestion, target: SuggestionStatus = S.BROKEN
) -> str | None:
    """Tell why moving ``suggestion`` to ``target`` cannot make its request active again (None
    when it can): only a rupture does, of a request still matched that no other signed contract
    holds."""
    request = suggestion.request
    if target != S.BROKEN:
        return "Seule la rupture d'un contrat rend la demande de nouveau active."
    if request.status != RequestStatus.MATCHED:
        return (
            f"La demande est « {label(request.status)} », pas « {label(RequestStatus.MATCHED)} » "
            ": elle ne peut pas redevenir active par la rupture."
        )
    if other_contract(session, suggestion):
        return (
            "Un autre contrat signé tient la demande de cette personne : elle ne peut pas "
            "redevenir active."
        )
    return None


def change_suggestion_status(
    session: Session,
    suggestion: Suggestion | int,
    target: SuggestionStatus | str,
    actor: Actor,
    *,
    reason: str | None = None,
    now: datetime | None = None,
    expected: SuggestionStatus | str | None = None,
    base_url: str | None = None,
    story: Mapping[str, object] | None = None,
    reopen_place: bool = False,
    reopen_request: bool = False,
) -> Suggestion:
    """Move a pair to ``target`` if its life cycle allows it, and write the audit line.

    Rejecting, abandoning and breaking a contract need a reason. Approving (also going back on a
    rejection) queues both contact mails in this transaction (links under ``base_url``, the
    configured one by default): the approval and its promise commit together. Signing a contract
    fills one place of the offer (the offer becomes filled when full) and marks the request
    matched. ``story``: the fields of the stage (the interview's day, time and place; the
    contract's details; the rupture's day), see :mod:`.pair_fields`. Breaking a contract gives
    its place back to the offer when ``reopen_place`` (the employer wants to fill it again), and
    makes the matched request active again when ``reopen_request`` (the person looks for another
    employer; refused when another signed contract holds the request).

    The change is a compare-and-set on the status read (``UPDATE ... WHERE status = <read>``):
    of two decisions on one pair at the same instant, one wins and the other raises
    ``Conflict(TAKEN)``, as does a decision on a pair that is already at ``target`` or no longer at
    ``expected`` (the status the caller saw, if it says). The audit line keeps what the change
    did (the story fields it set, the place, the request's status), for its undo
    (:func:`data.operations.pairs.undo_last_stage`).
    """
    plan = plan_stage(
        session,
        suggestion,
        target,
        reason=reason,
        story=story,
        reopen_place=reopen_place,
        reopen_request=reopen_request,
        now=now,
        expected=expected,
    )
    suggestion, previous, target = plan.suggestion, plan.previous, plan.target
    offer = suggestion.offer
    request = suggestion.request
    stamp = now_or_utc(now)
    values: dict[str, Any] = {
        "status": target,
        "status_changed_at": stamp,
        "status_changed_by_id": actor.user_id,
        "updated_at": stamp,
        **plan.story,
    }
    if target == S.REJECTED:
        values["rejection_reason"] = plan.reason
    elif previous == S.REJECTED:
        values["rejection_reason"] = None
    if target == S.BROKEN:
        values["broken_reason"] = plan.reason
    if previous == S.PROPOSED and suggestion.stale:
        values.update(_numbers_on_decision(suggestion, target))
    values["stale"] = stale_after_review(suggestion, target)
    _compare_and_set(session, suggestion, previous, values)
    details: dict[str, Any] = {"from": previous.value, "to": target.value}
    if plan.reason:
        details["reason"] = plan.reason
    details.update(story_json(plan.story))
    if plan.fills_place:
        request_before = request.status
        fill_one_place(session, offer, now=stamp)
        mark_request_matched(session, request, now=stamp)
        details["place"] = "taken"
        details["request_from"] = request_before.value
        take_bed(session, suggestion, details, now=stamp)
        # The welcome kit (issue 19), or the one built when the signature was planned.
        planned_before = kit_of(session, suggestion.id) is not None
        details["welcome_kit"] = build_kit(session, suggestion, actor, now=stamp).id
        if not planned_before:
            details["welcome_kit_built"] = True
    if plan.frees_place:
        free_one_place(session, offer, now=stamp)
        details["place"] = "freed"
    if plan.frees_place or target == S.BROKEN:  # a contract that ends gives its bed back
        free_bed(session, suggestion.id, details, now=stamp)
    if plan.reactivates_request:
        details["request_from"] = request.status.value
        reactivate_request(session, request, now=stamp, by_person=False)
        details["request_to"] = request.status.value
    if plan.queues_contact_mails:
        queue_contact_mails(session, suggestion, base_url=base_url, now=stamp)
    audit.record(session, actor, STATUS_CHANGE, OBJECT_TYPE, suggestion.id, details, now=stamp)
    return suggestion


def _compare_and_set(
    session: Session,
    suggestion: Suggestion,
    seen: SuggestionStatus,
    values: dict[str, Any],
    *also: ColumnElement[bool],
) -> None:
    """Write ``values`` only if the pair is still at ``seen``; else raise ``Conflict(TAKEN)``.

    One ``UPDATE ... WHERE id = :id AND status = :seen`` (and the ``also`` conditions: what else
    the change was decided on) checked by its row count: portable, and on PostgreSQL the second
    of two concurrent writers waits for the first, then matches no row. The object is refreshed
    afterwards, so it shows what the database holds.
    """
    if not update_if(session, suggestion, Suggestion.status == seen, *also, **values):
        raise Conflict(TAKEN)


def stale_after_review(suggestion: Suggestion, target: SuggestionStatus) -> bool:
    """Whether a pair is stale once its status is ``target``, as a recomputation would leave it
    (:mod:`data.recompute`): a pair decided on never is; one back under review is while no list
    of the engine holds it (an engine pair; a pair made by hand keeps its own)."""
    if target != S.PROPOSED or suggestion.in_request_list or suggestion.in_offer_list:
        return False
    return suggestion.origin == SuggestionOrigin.ENGINE or bool(suggestion.stale)


def _numbers_on_decision(suggestion: Suggestion, target: SuggestionStatus) -> dict[str, Any]:
    """The engine's numbers of a stale engine pair decided on (they date from when it left the
    engine's lists): those a recomputation would give it, as it gives every decided pair whose
    request and offer are open (:func:`data.recompute.plan_suggestions`) and the incremental
    re-matching keeps up to date; none if the engine now excludes it."""
    listed = suggestion.in_request_list or suggestion.in_offer_list
    if target == S.PROPOSED or listed or suggestion.origin != SuggestionOrigin.ENGINE:
        return {}
    request, offer = suggestion.request, suggestion.offer
    if request.status != RequestStatus.ACTIVE or not offer.is_open:
        return {}
    scored = score_request_offer(request, offer)
    return match_values(scored) if isinstance(scored, Match) else {}


def approve_suggestion(
    session: Session,
    suggestion: Suggestion | int,
    actor: Actor,
    *,
    now: datetime | None = None,
    expected: SuggestionStatus | str | None = None,
    base_url: str | None = None,
) -> Suggestion:
    """Approve a proposed pair (or go back on its rejection); both contact mails are queued."""
    return change_suggestion_status(
        session, suggestion, S.APPROVED, actor, now=now, expected=expected, base_url=base_url
    )


def reject_suggestion(
    session: Session,
    suggestion: Suggestion | int,
    actor: Actor,
    reason: str,
    *,
    now: datetime | None = None,
    expected: SuggestionStatus | str | None = None,
) -> Suggestion:
    """Reject a proposed pair; the reason is required."""
    return change_suggestion_status(
        session, suggestion, S.REJECTED, actor, reason=reason, now=now, expected=expected
    )


#: The most suggestions decided in one go (a page of the review queue is far fewer).
MAX_DECIDED_AT_ONCE = 200


def reject_suggestions(
    session: Session,
    suggestion_ids: Sequence[int],
    actor: Actor,
    reason: str,
    *,
    now: datetime | None = None,
) -> list[Suggestion]:
    """Reject several proposed pairs with one reason, each as :func:`reject_suggestion` does.

    All or none: the first that cannot be rejected (gone, already decided) raises, and the caller
    rolls back. Raises ValidationError when no suggestion is chosen or too many are.
    """
    return [
        reject_suggestion(session, i, actor, reason, now=now, expected=S.PROPOSED)
        for i in _chosen(suggestion_ids)
    ]


def _chosen(suggestion_ids: Sequence[int]) -> list[int]:
    """The ids of a group action, once each; refused when none or too many are chosen."""
    ids = list(dict.fromkeys(suggestion_ids))
    if not ids:
        raise ValidationError({"suggestions": ["Choisissez au moins une suggestion."]})
    if len(ids) > MAX_DECIDED_AT_ONCE:
        raise ValidationError(
            {"suggestions": [f"Choisissez au plus {MAX_DECIDED_AT_ONCE} suggestions à la fois."]}
        )
    return ids


def approve_suggestions(
    session: Session,
    suggestion_ids: Sequence[int],
    actor: Actor,
    *,
    now: datetime | None = None,
    base_url: str | None = None,
) -> list[Suggestion]:
    """Approve several proposed pairs, each as :func:`approve_suggestion` does (both contact
    mails of each queued). All or none, as :func:`reject_suggestions`."""
    return [
        approve_suggestion(session, i, actor, now=now, expected=S.PROPOSED, base_url=base_url)
        for i in _chosen(suggestion_ids)
    ]


def mark_contacted(
    session: Session,
    suggestion: Suggestion | int,
    actor: Actor,
    *,
    now: datetime | None = None,
) -> Suggestion:
    """Record that the two sides were put in contact."""
    return change_suggestion_status(session, suggestion, S.CONTACTED, actor, now=now)


def mark_interview(
    session: Session,
    suggestion: Suggestion | int,
    actor: Actor,
    *,
    now: datetime | None = None,
    story: Mapping[str, object] | None = None,
) -> Suggestion:
    """Record that an interview is planned or took place (its day, time and place if given)."""
    return change_suggestion_status(session, suggestion, S.INTERVIEW, actor, now=now, story=story)


def mark_contract_signed(
    session: Session,
    suggestion: Suggestion | int,
    actor: Actor,
    *,
    now: datetime | None = None,
    story: Mapping[str, object] | None = None,
) -> Suggestion:
    """Record the signed contract (its details if given): one place of the offer filled, the
    request matched."""
    return change_suggestion_status(
        session, suggestion, S.CONTRACT_SIGNED, actor, now=now, story=story
    )


def abandon_suggestion(
    session: Session,
    suggestion: Suggestion | int,
    actor: Actor,
    reason: str,
    *,
    now: datetime | None = None,
) -> Suggestion:
    """End a pair before a contract; the reason is required."""
    return change_suggestion_status(session, suggestion, S.ABANDONED, actor, reason=reason, now=now)


def break_contract(
    session: Session,
    suggestion: Suggestion | int,
    actor: Actor,
    broken_on: object,
    reason: str | None,
    *,
    broken_by: object = None,
    cause: object = None,
    after_trial: object = None,
    reopen_place: bool = False,
    reopen_request: bool = False,
    now: datetime | None = None,
    expected: SuggestionStatus | str | None = None,
) -> Suggestion:
    """Record that a signed contract broke off, on ``broken_on`` (required) and why: ``cause``
    from the short list (:class:`~data.models.BreakCause`) and the free ``reason``, one of them
    at least; who ended it (``broken_by``, :class:`~data.models.BreakParty`) and whether it came
    after the first 45 days of practical training (``after_trial``) when known.

    The pair stays, as broken, in the figures. With ``reopen_place`` (the employer wants to fill
    it again) the offer gets its place back, and a filled offer is published again. With
    ``reopen_request`` (the person looks for another employer) the matched request becomes
    active again, unless another signed contract holds it (then ValidationError).
    """
    return change_suggestion_status(
        session,
        suggestion,
        S.BROKEN,
        actor,
        reason=reason,
        now=now,
        expected=expected,
        story={
            "broken_on": broken_on,
            "broken_by": broken_by,
            "broken_cause": cause,
            "broken_after_trial": after_trial,
        },
        reopen_place=reopen_place,
        reopen_request=reopen_request,
    )


def create_manual_pair(
    session: Session,
    request: Request | int,
    offer: Offer | int,
    actor: Actor,
    *,
    note: str | None = None,
    now: datetime | None = None,
    base_url: str | None = None,
) -> Suggestion:
    """Pair a request and an offer by hand: an approved suggestion of origin ``manual``.

    The request must be active and the offer published with a place left; a pair that exists
    already (whatever its status) is a conflict: act on it instead. Two coordinators pairing the
    same request and offer at the same instant: the unique key keeps one, the other gets
    ``Conflict(TAKEN)``. Both contact mails are queued in this transaction, as on approval.
    """
    request = load(session, Request, request, "Demande")
    offer = load(session, Offer, offer, "Offre")
    errors = ErrorCollector()
    note_value = errors.run(
        clean_text, note, "note", required=False, max_length=MAX_REASON, multiline=True
    )
    if request.status != RequestStatus.ACTIVE:
        errors.add("request_id", REQUEST_NOT_ACTIVE)
    if offer.status != OfferStatus.PUBLISHED or offer.places_left < 1:
        errors.add("offer_id", OFFER_NOT_OPEN)
    errors.raise_if_any()
    existing = _pair(session, request.id, offer.id)
    if existing is not None:
        raise Conflict(f"Cette mise en relation existe déjà (n° {existing.id}).")
    stamp = now_or_utc(now)
    home = request.commune
    place = offer.site.commune
    distance = float(distance_km(home.latitude, home.longitude, place.latitude, place.longitude))
    reasons = [f"{distance:.0f} km de la commune du candidat", "Mise en relation faite à la main"]
    suggestion = Suggestion(
        request=request,
        offer=offer,
        score=0.0,
        distance_km=round(distance, 1),
        criteria={},
        reasons=reasons,
        engine_version=MANUAL_ENGINE_VERSION,
        origin=SuggestionOrigin.MANUAL,
        status=S.APPROVED,
        created_at=stamp,
        updated_at=stamp,
        status_changed_at=stamp,
        status_changed_by_id=actor.user_id,
    )
    if not _insert_once(session, suggestion):
        raise Conflict(TAKEN)
    queue_contact_mails(session, suggestion, base_url=base_url, now=stamp)
    details: dict[str, Any] = {"origin": SuggestionOrigin.MANUAL.value, "to": S.APPROVED.value}
    if note_value:
        details["reason"] = note_value
    audit.record(session, actor, CREATED, OBJECT_TYPE, suggestion.id, details, now=stamp)
    return suggestion


@dataclass(frozen=True)
class InterestResult:
    """What « Cette offre m'intéresse » did: the pair, whether it is new, whether it is answered.

    ``recorded`` is False for a pair already ended (refused, abandoned, signed): it takes no answer
    any more, and nothing was changed.
    """

    suggestion: Suggestion
    created: bool
    recorded: bool


NO_REQUEST = "Écrivez d'abord votre demande : l'offre lui sera associée."
PAIR_ENDED = "Cette offre a déjà été examinée avec votre demande : rien n'est changé."
ONLY_CANDIDATES = "Seule une personne candidate peut dire qu'une offre l'intéresse."
UNKNOWN_METIER = "Métier de la demande non reconnu : le calcul n'a pas pu noter cette offre"
EXCLUDED = "Le calcul ne l'aurait pas proposée : {}"


def _scored_values(request: Request, offer: Offer) -> dict[str, Any]:
    """The engine's numbers for a pair: its match, or the reasons it would have been left out."""
    scored = score_request_offer(request, offer)
    if isinstance(scored, Match):
        return match_values(scored)
    values: dict[str, Any] = {
        "score": 0.0,
        "criteria": {},
        "engine_version": ENGINE_VERSION,
        "stale": False,
    }
    if isinstance(scored, Exclusion):
        values["distance_km"] = round(scored.distance_km, 1)
        values["reasons"] = [EXCLUDED.format(m) for m in scored.messages]
    else:
        values["distance_km"] = None
        values["reasons"] = [UNKNOWN_METIER]
    return values


def express_interest(
    session: Session,
    offer: Offer | int,
    actor: Actor,
    *,
    now: datetime | None = None,
) -> InterestResult:
    """Record that a candidate wants a published offer (« Cette offre m'intéresse »).

    A new pair of (the candidate's request, the offer) is made, of origin ``candidate``, to be
    reviewed like the engine's (``proposed``; the review rule says who sees it next), with the
    candidate's interest and the engine's score and reasons for the pair, or, when the engine
    would not have proposed it, why (too far, licence, métier...). A pair that exists already is
    never doubled: the interest is recorded on it if it still takes answers (a pair the engine
    no longer proposes comes back to the review queue, as the candidate's own). Two posts at the
    same instant make one pair: the unique key keeps one, the other records on it.

    The request must be active, the offer published with a place left.
    """
    if actor.role != Role.CANDIDATE or actor.candidate_id is None:
        raise PermissionDenied(ONLY_CANDIDATES)
    offer = load(session, Offer, offer, "Offre")
    candidate = load(session, Candidate, actor.candidate_id, "Candidat")
    request = candidate.request
    if request is None:
        raise Conflict(NO_REQUEST)
    if request.status != RequestStatus.ACTIVE:
        raise Conflict(f"{REQUEST_NOT_ACTIVE} Réactivez-la d'abord.")
    if not offer.is_open:
        raise Conflict(OFFER_NOT_OPEN)
    stamp = now_or_utc(now)
    candidate.last_activity_at = stamp
    existing = _pair(session, request.id, offer.id)
    if existing is not None:
        return _interest_on(session, existing, actor, stamp)
    suggestion = Suggestion(
        request=request,
        offer=offer,
        **_scored_values(request, offer),
        origin=SuggestionOrigin.CANDIDATE,
        status=S.PROPOSED,
        candidate_interest=Interest.INTERESTED,
        created_at=stamp,
        updated_at=stamp,
        status_changed_at=stamp,
        status_changed_by_id=actor.user_id,
    )
    if not _insert_once(session, suggestion):
        # Made a moment ago (a double click, or the engine's run): record on that one.
        clash = _pair(session, request.id, offer.id)
        if clash is None:
            raise Conflict(TAKEN)
        return _interest_on(session, clash, actor, stamp)
    details: dict[str, Any] = {"origin": SuggestionOrigin.CANDIDATE.value, "to": S.PROPOSED.value}
    audit.record(session, actor, ASKED_BY_CANDIDATE, OBJECT_TYPE, suggestion.id, details, now=stamp)
    return InterestResult(suggestion, created=True, recorded=True)


def _insert_once(session: Session, suggestion: Suggestion) -> bool:
    """Insert a new pair; False when the unique key already holds one for its request and offer
    (made a moment ago by someone else). A clash undoes this insert only: the session goes on."""
    try:
        with session.begin_nested():
            session.add(suggestion)
            session.flush()
    except IntegrityError as exc:
        if not _is_unique_violation(exc):
            raise
        if suggestion in session:
            session.expunge(suggestion)
        return False
    return True


def _pair(session: Session, request_id: int, offer_id: int) -> Suggestion | None:
    return session.scalar(
        select(Suggestion).where(
            Suggestion.request_id == request_id, Suggestion.offer_id == offer_id
        )
    )


def _interest_on(
    session: Session, suggestion: Suggestion, actor: Actor, stamp: datetime
) -> InterestResult:
    """Record the candidate's interest on a pair that exists (see :func:`express_interest`)."""
    if suggestion.status == S.PROPOSED and suggestion.stale:
        # The engine no longer proposes it, the candidate does: back to the queue, as theirs.
        previous = suggestion.candidate_interest
        values: dict[str, Any] = {
            **_scored_values(suggestion.request, suggestion.offer),
            "origin": SuggestionOrigin.CANDIDATE,
            "candidate_interest": Interest.INTERESTED,
            "updated_at": stamp,
        }
        _compare_and_set(session, suggestion, S.PROPOSED, values, Suggestion.stale.is_(True))
        details: dict[str, Any] = {
            "from": previous.value if previous else None,
            "to": Interest.INTERESTED.value,
        }
        audit.record(
            session, actor, CANDIDATE_INTEREST, OBJECT_TYPE, suggestion.id, details, now=stamp
        )
        return InterestResult(suggestion, created=False, recorded=True)
    if suggestion.status not in INTEREST_STATUSES:
        return InterestResult(suggestion, created=False, recorded=False)
    _set_interest(session, suggestion, actor, CANDIDATE_INTEREST, True, None, stamp)
    return InterestResult(suggestion, created=False, recorded=True)


def _check_side(suggestion: Suggestion, actor: Actor, side: str) -> None:
    """Refuse an answer given by someone who is not that side (staff may record either)."""
    if side == EMPLOYER_INTEREST:
        allowed = actor.may_act_for_employer(suggestion.offer.site.employer_id)
    else:
        allowed = actor.may_act_for_candidate(suggestion.request.candidate_id)
    if not allowed:
        raise PermissionDenied("Vous ne pouvez pas répondre pour l'autre partie.")


def _set_interest(
    session: Session,
    suggestion: Suggestion | int,
    actor: Actor,
    side: str,
    interested: bool,
    reason: str | None,
    now: datetime | None,
) -> Suggestion:
    suggestion = load(session, Suggestion, suggestion, "Mise en relation")
    _check_side(suggestion, actor, side)
    if not isinstance(interested, bool):
        raise ValidationError({"interested": ["Valeur oui ou non attendue."]})
    if suggestion.status not in INTEREST_STATUSES or (
        suggestion.status == S.PROPOSED and suggestion.stale
    ):
        raise Conflict("Cette mise en relation n'attend pas de réponse.")
    value = Interest.INTERESTED if interested else Interest.DECLINED
    reason_value = _clean_reason(reason, required=side == EMPLOYER_INTEREST and not interested)
    stamp = now_or_utc(now)
    values: dict[str, Any] = {"updated_at": stamp}
    if side == EMPLOYER_INTEREST:
        column, previous = Suggestion.employer_interest, suggestion.employer_interest
        values.update(employer_interest=value, employer_reason=reason_value)
        unchanged = previous == value and suggestion.employer_reason == reason_value
    else:
        column, previous = Suggestion.candidate_interest, suggestion.candidate_interest
        values["candidate_interest"] = value
        unchanged = previous == value
    if unchanged:
        return suggestion  # the same answer again (a second click): nothing to record
    # The answer is to the pair as it was read, status and answer: if either moved meanwhile, the
    # answer conflicts (two clicks at once record one answer, the other is told).
    seen_answer = column.is_(None) if previous is None else column == previous
    seen_status = suggestion.status
    try:
        _compare_and_set(session, suggestion, seen_status, values, seen_answer)
    except Conflict:
        session.refresh(suggestion)
        now_answer = getattr(suggestion, side)
        same_reason = side == CANDIDATE_INTEREST or suggestion.employer_reason == reason_value
        if suggestion.status == seen_status and now_answer == value and same_reason:
            return suggestion  # the same answer, given a moment ago (a double click)
        raise
    details: dict[str, Any] = {"from": previous.value if previous else None, "to": value.value}
    if reason_value:
        details["reason"] = reason_value
    audit.record(session, actor, side, OBJECT_TYPE, suggestion.id, details, now=stamp)
    return suggestion


def set_employer_interest(
    session: Session,
    suggestion: Suggestion | int,
    actor: Actor,
    interested: bool,
    *,
    reason: str | None = None,
    now: datetime | None = None,
) -> Suggestion:
    """Record the employer's answer to an approved pair; declining needs a reason."""
    return _set_interest(session, suggestion, actor, EMPLOYER_INTEREST, interested, reason, now)


def set_candidate_interest(
    session: Session,
    suggestion: Suggestion | int,
    actor: Actor,
    interested: bool,
    *,
    now: datetime | None = None,
) -> Suggestion:
    """Record the candidate's answer to an approved pair (no reason asked of a person)."""
    result = _set_interest(session, suggestion, actor, CANDIDATE_INTEREST, interested, None, now)
    result.request.candidate.last_activity_at = now_or_utc(now)
    session.flush()
    return result


#: The audit action of a coordinator's note on a pair (its text in ``details["text"]``).
NOTE = "note"
#: How long a note may be.
MAX_NOTE = 2000
ONLY_STAFF_NOTES = "Seule l'équipe de coordination écrit des notes sur un binôme."


def add_pair_note(
    session: Session,
    suggestion: Suggestion | int,
    actor: Actor,
    text: object,
    *,
    now: datetime | None = None,
) -> AuditEntry:
    """Add a coordinator's note to a pair's story: dated and signed (the audit line keeps who
    wrote it and when), shown in its history with the stages and answers.

    Only staff write notes (employers and candidates never read them)."""
    if actor.role not in STAFF_ROLES:
        raise PermissionDenied(ONLY_STAFF_NOTES)
    suggestion = load(session, Suggestion, suggestion, "Suggestion")
    value = clean_text(text, "note", required=True, max_length=MAX_NOTE, multiline=True)
    return audit.record(session, actor, NOTE, OBJECT_TYPE, suggestion.id, {"text": value}, now=now)


def pair_history(session: Session, suggestion_id: int) -> list[AuditEntry]:
    """Return the pair's history: its audit lines (creation, changes, answers), oldest first."""
    return audit.entries_for(session, OBJECT_TYPE, suggestion_id)


def pair_histories(session: Session, suggestion_ids: Sequence[int]) -> dict[int, list[AuditEntry]]:
    """Return the histories of several pairs in one query, by pair id (see :func:`pair_history`)."""
    return audit.entries_for_many(session, OBJECT_TYPE, suggestion_ids)
