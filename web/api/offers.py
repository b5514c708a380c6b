"""``/api/v1/offers``: list, read, create, edit, publish and close offers; their suggestions.

Candidate tokens read the published offers only, as the public pages show them (no tutor), and
get 403 on every change and on the candidates of an offer.
"""

from __future__ import annotations

import io
from typing import Any

from marshmallow import RAISE

from data import operations as ops
from data import queries
from data.errors import Conflict, NotFound, ValidationError
from data.models import Candidate, Request
from data.operations import team as team_ops
from data.operations.offer_import import import_offers
from data.operations.suggestions import NO_REQUEST, PAIR_ENDED
from data.presentation.reasons import CANDIDATE, reasons_for
from matching import Match
from web.db import get_session

from .auth import Principal, candidate_only, current_principal, not_candidate
from .base import ID, api_blueprint, errors
from .common import audience_of, commune_of, load_offer, offer_dict, offer_out, page_out
from .fields import REQUIRED
from .schemas import (
    OfferCreate,
    OfferFitOut,
    OfferImportIn,
    OfferImportReport,
    OfferInterestOut,
    OfferPage,
    OfferQuery,
    OfferSchema,
    OfferUpdate,
    SuggestionPage,
    SuggestionQuery,
)
from .suggestions import suggestion_out, suggestion_search

bp = api_blueprint(
    "offers",
    "/offers",
    "Apprenticeship offers. Employer tokens reach their employer's offers only; candidate "
    "tokens read the published ones; coordinators reach all.",
)


@bp.route("", methods=["GET"], endpoint="list")
@bp.arguments(OfferQuery, location="query", unknown=RAISE)
@bp.response(200, OfferPage)
@errors(bp, 422)
def list_offers(query: dict[str, Any]) -> dict[str, Any]:
    """List offers, filtered; with a commune, nearest first (and within `distance_km`).

    A candidate token lists the open offers (published with a place left), as the public pages.
    """
    session = get_session()
    principal = current_principal()
    near = commune_of(session, query)
    search = queries.OfferSearch(
        metier=query.get("metier"),
        housing=query.get("housing"),
        status=query.get("status"),
        employer_id=query.get("employer_id"),
        near=near,
        max_km=query.get("distance_km"),
    )
    page = queries.offer_page(
        session,
        audience_of(principal),
        query["page"],
        query["page_size"],
        search,
        order=queries.BY_ID,
        clamp=False,
    )
    to_dict = offer_out(principal)
    return page_out(page, lambda hit: to_dict(hit.offer, hit.distance_km))


@bp.route("", methods=["POST"], endpoint="create")
@not_candidate
@bp.arguments(OfferCreate)
@bp.response(201, OfferSchema)
@errors(bp, 400, 403, 422)
def create_offer(data: dict[str, Any]) -> dict[str, Any]:
    """Create a draft offer at a site (of the token's employer, for an employer token)."""
    principal = current_principal()
    session = get_session()
    contact = data.pop("contact_user_id", None)
    offer = ops.create_offer_as(session, principal.actor, **data)
    team_ops.set_offer_contact(session, offer, contact)
    session.commit()
    return offer_dict(load_offer(session, principal, offer.id))


@bp.route("/import", methods=["POST"], endpoint="import")
@not_candidate
@bp.arguments(OfferImportIn)
@bp.response(200, OfferImportReport)
@errors(bp, 400, 403, 404, 422)
def import_offers_csv(data: dict[str, Any]) -> dict[str, Any]:
    """Create draft offers from a CSV file, as the employer's import page does: each valid
    line is an offer, each other line is reported with its French messages; a file that cannot
    be read (missing columns, too many lines) imports nothing (422)."""
    principal = current_principal()
    session = get_session()
    employer_id: int | None = data.get("employer_id")
    if principal.is_employer:
        employer_id = employer_id or principal.employer_id
    if employer_id is None:
        raise ValidationError({"employer_id": [REQUIRED]})
    report = import_offers(
        session, principal.actor, employer_id, io.BytesIO(data["csv"].encode("utf-8"))
    )
    if report.fatal:
        session.rollback()
        raise ValidationError({"csv": [m for ms in report.fatal.values() for m in ms]})
    session.commit()
    return {
        "message": report.summary(),
        "created": [offer_dict(load_offer(session, principal, o.id)) for o in report.created],
        "rejected": report.rejected_lines(),
    }


@bp.route(f"/<{ID}:offer_id>", methods=["GET"], endpoint="detail")
@bp.response(200, OfferSchema)
@errors(bp, 404)
def get_offer(offer_id: int) -> dict[str, Any]:
    """Read one offer (a candidate token: a published one)."""
    principal = current_principal()
    return offer_out(principal)(load_offer(get_session(), principal, offer_id))


@bp.route(f"/<{ID}:offer_id>", methods=["PATCH"], endpoint="update")
@not_candidate
@bp.arguments(OfferUpdate)
@bp.response(200, OfferSchema)
@errors(bp, 400, 403, 404, 409, 422)
def update_offer(data: dict[str, Any], offer_id: int) -> dict[str, Any]:
    """Change fields of a draft or published offer (a published one must stay publishable)."""
    principal = current_principal()
    session = get_session()
    offer = load_offer(session, principal, offer_id)
    if "contact_user_id" in data:
        team_ops.set_offer_contact(session, offer, data.pop("contact_user_id"))
    offer = ops.update_offer(session, offer, **data)
    session.commit()
    return offer_dict(offer)


@bp.route(f"/<{ID}:offer_id>/publish", methods=["POST"], endpoint="publish")
@not_candidate
@bp.response(200, OfferSchema)
@errors(bp, 403, 404, 409, 422)
def publish_offer(offer_id: int) -> dict[str, Any]:
    """Publish a draft offer that says what a candidate needs (start, duration, description).

    While its structure waits for a coordinator's check, the offer waits too (``pending_check``);
    a suspended structure's offer is refused (409).
    """
    session = get_session()
    offer = ops.publish_offer(session, load_offer(session, current_principal(), offer_id))
    session.commit()
    return offer_dict(offer)


@bp.route(f"/<{ID}:offer_id>/close", methods=["POST"], endpoint="close")
@not_candidate
@bp.response(200, OfferSchema)
@errors(bp, 403, 404, 409)
def close_offer(offer_id: int) -> dict[str, Any]:
    """Close an offer (withdrawn by its employer)."""
    session = get_session()
    offer = ops.close_offer(session, load_offer(session, current_principal(), offer_id))
    session.commit()
    return offer_dict(offer)


@bp.route(f"/<{ID}:offer_id>/suggestions", methods=["GET"], endpoint="suggestions")
@not_candidate
@bp.arguments(SuggestionQuery, location="query", unknown=RAISE)
@bp.response(200, SuggestionPage)
@errors(bp, 403, 404, 422)
def offer_suggestions(query: dict[str, Any], offer_id: int) -> dict[str, Any]:
    """List the suggested candidates of an offer, best first.

    Employer tokens see the pairs the review rule shows the parties, each candidate with the
    fields an employer may see (first name, commune, métiers, distance, housing need,
    availability). Candidate tokens get 403: they see their own pairs under /requests and
    /suggestions.
    """
    principal = current_principal()
    session = get_session()
    offer = load_offer(session, principal, offer_id)
    search = suggestion_search(query, offer_id=offer.id)
    page = queries.suggestion_page(
        session, audience_of(principal), query["page"], query["page_size"], search, clamp=False
    )
    return page_out(page, suggestion_out(principal))


def _own_request(principal: Principal) -> Request:
    """The candidate token's request; 409 when it has none yet."""
    candidate = get_session().get(Candidate, principal.candidate_id)
    if candidate is None:
        raise NotFound("Candidat", principal.candidate_id)
    if candidate.request is None:
        raise Conflict(NO_REQUEST)
    return candidate.request


@bp.route(f"/<{ID}:offer_id>/interest", methods=["POST"], endpoint="interest")
@candidate_only
@bp.response(201, OfferInterestOut)
@bp.alt_response(200, schema=OfferInterestOut, description="The pair existed: interest recorded.")
@errors(bp, 403, 404, 409)
def express_interest(offer_id: int) -> tuple[dict[str, Any], int]:
    """Say that a published offer interests the candidate (« Cette offre m'intéresse »).

    Makes a pair of the candidate's request and the offer for the coordinators to review, with
    the engine's score and reasons, or why the engine would not have proposed it: 201. When the
    pair exists already it is not doubled: the interest is recorded on it, 200 with that pair.
    409 when the candidate has no request or an inactive one, when the offer has no place left,
    or when the pair was already examined and ended (refused, abandoned, signed). Candidate
    tokens only (403 for others); 404 for an offer that is not published.
    """
    principal = current_principal()
    session = get_session()
    offer = load_offer(session, principal, offer_id)
    result = ops.express_interest(session, offer, principal.actor)
    if not result.recorded:
        session.rollback()
        raise Conflict(PAIR_ENDED)
    session.commit()
    out = {"created": result.created, "suggestion": suggestion_out(principal)(result.suggestion)}
    return out, 201 if result.created else 200


@bp.route(f"/<{ID}:offer_id>/fit", methods=["GET"], endpoint="fit")
@candidate_only
@bp.response(200, OfferFitOut)
@errors(bp, 403, 404, 409)
def offer_fit(offer_id: int) -> dict[str, Any]:
    """Say why a published offer was or was not suggested to the candidate's request.

    The engine's score and reasons for the pair (worded for the candidate), or the reasons it
    rules the pair out. Candidate tokens only; 409 without a request.
    """
    principal = current_principal()
    session = get_session()
    offer = load_offer(session, principal, offer_id)
    fit = queries.offer_fit(session, _own_request(principal), offer)
    scored = fit.scored
    matched = isinstance(scored, Match)
    return {
        "suggested": fit.shown,
        "interested": fit.asked,
        "score": round(scored.score, 4) if isinstance(scored, Match) else None,
        "distance_km": None if scored is None else round(scored.distance_km, 1),
        "reasons": reasons_for(scored, CANDIDATE) if isinstance(scored, Match) else [],
        "exclusions": [] if matched or scored is None else list(scored.messages),
    }
