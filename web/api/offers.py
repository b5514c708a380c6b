"""``/api/v1/offers``: list, read, create, edit, publish and close offers; their suggestions.

Candidate tokens read the published offers only, as the public pages show them (no tutor), and
get 403 on every change and on the candidates of an offer.
"""

from __future__ import annotations

import io
from typing import Any

import numpy as np
from marshmallow import RAISE
from sqlalchemy import Select

from data import operations as ops
from data.errors import ValidationError
from data.models import Commune, Offer, Site, Suggestion
from data.operations.offer_import import import_offers
from matching import distance_km
from web.db import get_session

from .auth import current_principal, not_candidate
from .base import ID, api_blueprint, errors
from .common import (
    load_offer,
    offer_dict,
    offer_out,
    offer_query,
    paginate_list,
    paginate_query,
    suggestion_query,
)
from .fields import REQUIRED
from .schemas import (
    OfferCreate,
    OfferImportIn,
    OfferImportReport,
    OfferPage,
    OfferQuery,
    OfferSchema,
    OfferUpdate,
    SuggestionPage,
    SuggestionQuery,
)
from .suggestions import filter_suggestions, suggestion_out

bp = api_blueprint(
    "offers",
    "/offers",
    "Apprenticeship offers. Employer tokens reach their employer's offers only; candidate "
    "tokens read the published ones; coordinators reach all.",
)


def _filtered(query: dict[str, Any]) -> Select[tuple[Offer]]:
    stmt = offer_query(current_principal())
    if "metier" in query:
        stmt = stmt.where(Offer.metier_code == query["metier"])
    if "status" in query:
        stmt = stmt.where(Offer.status == query["status"])
    if "housing" in query:
        stmt = stmt.where(Offer.housing_beds > 0 if query["housing"] else Offer.housing_beds == 0)
    if "employer_id" in query:
        stmt = stmt.where(Site.employer_id == query["employer_id"])
    return stmt.order_by(Offer.id)


@bp.route("", methods=["GET"], endpoint="list")
@bp.arguments(OfferQuery, location="query", unknown=RAISE)
@bp.response(200, OfferPage)
@errors(bp, 422)
def list_offers(query: dict[str, Any]) -> dict[str, Any]:
    """List offers, filtered; with a commune, nearest first (and within `distance_km`)."""
    session = get_session()
    stmt = _filtered(query)
    page, size = query["page"], query["page_size"]
    to_dict = offer_out(current_principal())
    if "commune" not in query:
        return paginate_query(session, stmt, page, size, to_dict)
    origin = session.get(Commune, query["commune"])
    if origin is None:
        raise ValidationError({"commune": ["Commune inconnue."]})
    offers = list(session.scalars(stmt).unique())
    if not offers:
        return paginate_list([], page, size, to_dict)
    lat = np.array([o.site.commune.latitude for o in offers])
    lon = np.array([o.site.commune.longitude for o in offers])
    km = distance_km(origin.latitude, origin.longitude, lat, lon)
    hits = sorted(zip(km.tolist(), offers, strict=True), key=lambda h: (h[0], h[1].id))
    if "distance_km" in query:
        hits = [h for h in hits if h[0] <= query["distance_km"]]
    return paginate_list(hits, page, size, lambda h: to_dict(h[1], h[0]))


@bp.route("", methods=["POST"], endpoint="create")
@not_candidate
@bp.arguments(OfferCreate)
@bp.response(201, OfferSchema)
@errors(bp, 400, 403, 422)
def create_offer(data: dict[str, Any]) -> dict[str, Any]:
    """Create a draft offer at a site (of the token's employer, for an employer token)."""
    principal = current_principal()
    session = get_session()
    offer = ops.create_offer_as(session, principal.actor, **data)
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
    offer = ops.update_offer(session, load_offer(session, principal, offer_id), **data)
    session.commit()
    return offer_dict(offer)


@bp.route(f"/<{ID}:offer_id>/publish", methods=["POST"], endpoint="publish")
@not_candidate
@bp.response(200, OfferSchema)
@errors(bp, 403, 404, 409, 422)
def publish_offer(offer_id: int) -> dict[str, Any]:
    """Publish a draft offer that says what a candidate needs (start, duration, description)."""
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
    stmt = filter_suggestions(suggestion_query(session, principal), query).where(
        Suggestion.offer_id == offer.id
    )
    return paginate_query(
        session, stmt, query["page"], query["page_size"], suggestion_out(principal)
    )
