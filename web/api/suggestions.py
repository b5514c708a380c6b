"""``/api/v1/suggestions``: the review queue, review decisions, the life of pairs, answers.

Coordinators see every pair and decide; an employer token sees the pairs of its offers that the
review rule in force shows the parties (approved ones at least), each candidate with the fields an
employer may see only, and answers (interest/decline). A candidate token sees the pairs of its own
request under the same rule, as its pages show them (the employer's contact once approved), and
answers for itself.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from marshmallow import RAISE
from webargs.flaskparser import abort

from data import operations as ops
from data import queries
from data.errors import ValidationError
from data.models import Suggestion, SuggestionStatus
from data.presentation.reasons import EMPLOYER
from web.db import get_session
from web.mailing import base_url

from .auth import Principal, current_principal, staff_only
from .base import ID, api_blueprint, errors
from .common import (
    audience_of,
    candidate_suggestion_dict,
    load_suggestion,
    page_out,
    suggestion_dict,
)
from .schemas import (
    EMPLOYER_SUGGESTION_FIELDS,
    DecisionIn,
    DecisionsIn,
    DecisionsOut,
    InterestIn,
    ManualPairIn,
    StatusIn,
    SuggestionPage,
    SuggestionQuery,
    SuggestionSchema,
)

__all__ = ["bp", "suggestion_out", "suggestion_search"]

bp = api_blueprint(
    "suggestions",
    "/suggestions",
    "Suggested pairs (request, offer): review by coordinators, answers of employers and "
    "candidates.",
)


def suggestion_search(
    query: dict[str, Any], *, offer_id: int | None = None, request_id: int | None = None
) -> queries.SuggestionSearch:
    """Return the list filters of ``query`` (the list is best score first, ties by id)."""
    return queries.SuggestionSearch(
        status=query.get("status"),
        min_score=query.get("min_score"),
        metier=query.get("metier"),
        stale=query.get("stale"),
        offer_id=offer_id,
        request_id=request_id,
    )


def suggestion_out(principal: Principal) -> Callable[[Suggestion], dict[str, Any]]:
    """Return the function that turns a suggestion into what this caller may see."""
    if principal.is_staff:
        return suggestion_dict
    if principal.is_candidate:
        return candidate_suggestion_dict

    def for_employer(suggestion: Suggestion) -> dict[str, Any]:
        data = suggestion_dict(suggestion, EMPLOYER)
        return {k: data[k] for k in EMPLOYER_SUGGESTION_FIELDS}

    return for_employer


def _answer(suggestion: Suggestion) -> dict[str, Any]:
    return suggestion_out(current_principal())(suggestion)


@bp.route("", methods=["GET"], endpoint="list")
@bp.arguments(SuggestionQuery, location="query", unknown=RAISE)
@bp.response(200, SuggestionPage)
@errors(bp, 422)
def list_suggestions(query: dict[str, Any]) -> dict[str, Any]:
    """List suggestions, best first: the review queue of coordinators (filter ``status``).

    An employer token lists the pairs of its offers, a candidate token those of its own request,
    that the review rule shows the parties.
    """
    principal = current_principal()
    page = queries.suggestion_page(
        get_session(),
        audience_of(principal),
        query["page"],
        query["page_size"],
        suggestion_search(query),
        clamp=False,
    )
    return page_out(page, suggestion_out(principal))


@bp.route("", methods=["POST"], endpoint="create")
@staff_only
@bp.arguments(ManualPairIn)
@bp.response(201, SuggestionSchema)
@errors(bp, 400, 403, 404, 409, 422)
def create_pair(data: dict[str, Any]) -> dict[str, Any]:
    """Pair a request and an offer by hand (coordinators): an approved suggestion.

    Both sides' contact mails are queued in the same commit (sent within a minute). A pair that
    exists already, or is being created at the same instant, is a 409.
    """
    principal = current_principal()
    session = get_session()
    suggestion = ops.create_manual_pair(
        session,
        data["request_id"],
        data["offer_id"],
        principal.actor,
        note=data.get("note"),
        base_url=base_url(),
    )
    session.commit()
    return _answer(load_suggestion(session, principal, suggestion.id))


@bp.route(f"/<{ID}:suggestion_id>", methods=["GET"], endpoint="detail")
@bp.response(200, SuggestionSchema)
@errors(bp, 404)
def get_suggestion(suggestion_id: int) -> dict[str, Any]:
    """Read one suggestion with its reasons."""
    return _answer(load_suggestion(get_session(), current_principal(), suggestion_id))


@bp.route(f"/<{ID}:suggestion_id>/decision", methods=["POST"], endpoint="decision")
@staff_only
@bp.arguments(DecisionIn)
@bp.response(200, SuggestionSchema)
@errors(bp, 400, 403, 404, 409, 422)
def decide(data: dict[str, Any], suggestion_id: int) -> dict[str, Any]:
    """Review a suggestion (coordinators): approve it, or reject it with a reason.

    Approving queues both sides' contact mails in the same commit (sent within a minute). Of two
    decisions on one suggestion at the same instant, one wins; the other is a 409.
    """
    principal = current_principal()
    session = get_session()
    suggestion = load_suggestion(session, principal, suggestion_id)
    if data["decision"] == "approve":
        ops.approve_suggestion(session, suggestion, principal.actor, base_url=base_url())
    else:
        ops.reject_suggestion(session, suggestion, principal.actor, data.get("reason") or "")
    session.commit()
    return _answer(suggestion)


@bp.route("/decisions", methods=["POST"], endpoint="decisions")
@staff_only
@bp.arguments(DecisionsIn)
@bp.response(200, DecisionsOut)
@errors(bp, 400, 403, 404, 409, 422)
def decide_many(data: dict[str, Any]) -> dict[str, Any]:
    """Review several suggestions at once (coordinators): approve them all, or reject them all
    with one reason. All or none: if one is gone (404) or no longer awaits review (409), none is
    decided. Approving queues both contact mails of each pair in the same commit."""
    principal = current_principal()
    session = get_session()
    if data["decision"] == "approve":
        done = ops.approve_suggestions(session, data["ids"], principal.actor, base_url=base_url())
    else:
        done = ops.reject_suggestions(
            session, data["ids"], principal.actor, data.get("reason") or ""
        )
    session.commit()
    return {"decided": len(done), "items": [_answer(s) for s in done]}


@bp.route(f"/<{ID}:suggestion_id>/status", methods=["POST"], endpoint="status")
@staff_only
@bp.arguments(StatusIn)
@bp.response(200, SuggestionSchema)
@errors(bp, 400, 403, 404, 409, 422)
def change_status(data: dict[str, Any], suggestion_id: int) -> dict[str, Any]:
    """Record a step of an approved pair (coordinators): contacted, interview, contract signed,
    or abandoned (with a reason)."""
    principal = current_principal()
    session = get_session()
    suggestion = load_suggestion(session, principal, suggestion_id)
    ops.change_suggestion_status(
        session,
        suggestion,
        SuggestionStatus(data["status"]),
        principal.actor,
        reason=data.get("reason"),
    )
    session.commit()
    return _answer(suggestion)


@bp.route(f"/<{ID}:suggestion_id>/interest", methods=["POST"], endpoint="interest")
@bp.arguments(InterestIn)
@bp.response(200, SuggestionSchema)
@errors(bp, 400, 403, 404, 409, 422)
def answer(data: dict[str, Any], suggestion_id: int) -> dict[str, Any]:
    """Record one side's answer to a pair shown to the parties: interested, or declined (an
    employer says why). Employer tokens answer for their employer, candidate tokens for their
    candidate; coordinators record an answer given to them and name its ``side``."""
    principal = current_principal()
    session = get_session()
    suggestion = load_suggestion(session, principal, suggestion_id)
    side = data.get("side")
    if principal.is_employer:
        if side not in (None, "employer"):
            abort(403, message="Un jeton employeur répond pour l'employeur seulement.")
        side = "employer"
    elif principal.is_candidate:
        if side not in (None, "candidate"):
            abort(403, message="Un jeton candidat répond pour le candidat seulement.")
        side = "candidate"
    elif side is None:
        raise ValidationError(
            {"side": ["Indiquez pour qui est la réponse : employer ou candidate."]}
        )
    if side == "candidate" and data.get("reason"):
        raise ValidationError({"reason": ["Aucune raison n'est demandée au candidat."]})
    if side == "employer":
        ops.set_employer_interest(
            session, suggestion, principal.actor, data["interested"], reason=data.get("reason")
        )
    else:
        ops.set_candidate_interest(session, suggestion, principal.actor, data["interested"])
    session.commit()
    return _answer(suggestion)
