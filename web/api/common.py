"""Plumbing shared by the API's views: pages, scoped loading, and the dicts schemas dump.

Reads are scoped here: an employer token sees its employer's offers and the suggestions of them
the parties may see; a candidate token sees the published offers, its own request and the
suggestions of it the parties may see. Changes go through ``data.operations``, and views commit.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy import Select, false, func, select
from sqlalchemy.orm import Session, joinedload, selectinload
from webargs.flaskparser import abort

from data.errors import NotFound
from data.models import (
    Candidate,
    Commune,
    Metier,
    Offer,
    OfferStatus,
    Request,
    RequestMetier,
    Site,
    Suggestion,
)
from data.operations.offer_fields import OFFER_FIELDS
from data.platform_settings import get_review_rule, visible_to_parties
from web.queries import CONTACT_STATUSES, page_rows

from .auth import Principal
from .fields import INT32_MAX

__all__ = [
    "Page",
    "paginate_query",
    "paginate_list",
    "offer_query",
    "load_offer",
    "load_request",
    "request_query",
    "suggestion_query",
    "load_suggestion",
    "offer_dict",
    "offer_out",
    "offer_brief",
    "request_dict",
    "candidate_view",
    "suggestion_dict",
    "candidate_suggestion_dict",
    "employer_contact",
    "commune_ref",
]

T = TypeVar("T")

Page = dict[str, Any]


def _page(items: list[Any], page: int, page_size: int, total: int) -> Page:
    return {
        "items": items,
        "pagination": {
            "page": page,
            "page_size": page_size,
            "total": total,
            "pages": math.ceil(total / page_size) if total else 0,
        },
    }


def paginate_query(
    session: Session,
    stmt: Select[Any],
    page: int,
    page_size: int,
    to_dict: Callable[[Any], dict[str, Any]],
    prefetch: Callable[[Sequence[Any]], None] | None = None,
) -> Page:
    """Run ``stmt`` for one page (it must be ordered) and count the whole list.

    ``prefetch(rows)``, if given, reads what ``to_dict`` needs for the whole page at once.
    """
    total = session.scalar(select(func.count()).select_from(stmt.order_by(None).subquery())) or 0
    rows = page_rows(session, stmt, page_size, (page - 1) * page_size)
    if prefetch is not None:
        prefetch(rows)
    return _page([to_dict(r) for r in rows], page, page_size, total)


def paginate_list(
    items: Sequence[T], page: int, page_size: int, to_dict: Callable[[T], dict[str, Any]]
) -> Page:
    """Cut one page out of a list already in memory."""
    start = (page - 1) * page_size
    return _page(
        [to_dict(i) for i in items[start : start + page_size]], page, page_size, len(items)
    )


# --- Loading with the caller's reach ----------------------------------------------------------


def offer_query(principal: Principal) -> Select[tuple[Offer]]:
    """Return the offers the caller may see, with what their dicts need loaded."""
    stmt = (
        select(Offer)
        .join(Offer.site)
        .options(
            joinedload(Offer.site).joinedload(Site.commune),
            joinedload(Offer.site).joinedload(Site.employer),
            joinedload(Offer.metier),
        )
    )
    if principal.is_employer:
        stmt = stmt.where(Site.employer_id == principal.employer_id)
    elif principal.is_candidate:
        # What the public offer pages show: published offers only, no drafts nor closed ones.
        stmt = stmt.where(Offer.status == OfferStatus.PUBLISHED)
    return stmt


def _check_key(what: str, key: int) -> None:
    # Larger numbers name no row, and PostgreSQL would refuse them as 32-bit integers.
    if not 0 < key <= INT32_MAX:
        raise NotFound(what, key)


def load_offer(session: Session, principal: Principal, offer_id: int) -> Offer:
    """Return an offer the caller may see; 404 otherwise (existence is not told)."""
    _check_key("Offre", offer_id)
    offer = session.scalar(offer_query(principal).where(Offer.id == offer_id))
    if offer is None:
        raise NotFound("Offre", offer_id)
    return offer


def load_request(session: Session, principal: Principal, request_id: int) -> Request:
    """Return a request the caller may see (a candidate: its own); 404 otherwise.

    Employers never reach requests (403; the views check the role first too).
    """
    if principal.is_employer:
        abort(403)
    _check_key("Demande", request_id)
    request = session.scalar(request_query(principal).where(Request.id == request_id))
    if request is None:
        raise NotFound("Demande", request_id)
    return request


def request_query(principal: Principal) -> Select[tuple[Request]]:
    """Return the requests the caller may see, with what their dicts need loaded.

    Staff see every request, a candidate its own; employers none (they meet candidates only
    through the suggestions of their offers).
    """
    stmt = select(Request).options(
        joinedload(Request.candidate),
        joinedload(Request.commune),
        selectinload(Request.metiers).joinedload(RequestMetier.metier),
    )
    if principal.is_candidate:
        stmt = stmt.where(Request.candidate_id == principal.candidate_id)
    elif not principal.is_staff:
        stmt = stmt.where(false())
    return stmt


def suggestion_query(session: Session, principal: Principal) -> Select[tuple[Suggestion]]:
    """Return the suggestions the caller may see, with what their dicts need loaded.

    An employer sees the pairs of its offers, a candidate those of its own request, that the
    review rule in force shows the parties (approved ones and later stages; in "auto" mode also
    unreviewed ones above the score), as their pages do.
    """
    stmt = (
        select(Suggestion)
        .join(Suggestion.offer)
        .join(Offer.site)
        .options(
            joinedload(Suggestion.offer).joinedload(Offer.site).joinedload(Site.commune),
            joinedload(Suggestion.offer).joinedload(Offer.site).joinedload(Site.employer),
            joinedload(Suggestion.offer).joinedload(Offer.metier),
            joinedload(Suggestion.request).joinedload(Request.candidate),
            joinedload(Suggestion.request).joinedload(Request.commune),
            joinedload(Suggestion.request)
            .selectinload(Request.metiers)
            .joinedload(RequestMetier.metier),
        )
    )
    if principal.is_employer:
        rule = get_review_rule(session)
        stmt = stmt.where(Site.employer_id == principal.employer_id, visible_to_parties(rule))
    elif principal.is_candidate:
        rule = get_review_rule(session)
        stmt = stmt.join(Suggestion.request).where(
            Request.candidate_id == principal.candidate_id, visible_to_parties(rule)
        )
    elif not principal.is_staff:
        stmt = stmt.where(false())
    return stmt


def load_suggestion(session: Session, principal: Principal, suggestion_id: int) -> Suggestion:
    """Return a suggestion the caller may see; 404 otherwise."""
    _check_key("Mise en relation", suggestion_id)
    stmt = suggestion_query(session, principal).where(Suggestion.id == suggestion_id)
    suggestion = session.scalar(stmt)
    if suggestion is None:
        raise NotFound("Mise en relation", suggestion_id)
    return suggestion


# --- What the schemas dump --------------------------------------------------------------------


def commune_ref(commune: Commune) -> dict[str, Any]:
    """Return a commune as other objects name it."""
    return {"insee": commune.insee, "name": commune.name}


def metier_ref(metier: Metier) -> dict[str, Any]:
    """Return a métier as other objects name it."""
    return {"code": metier.code, "label": metier.label}


def _site_ref(site: Site) -> dict[str, Any]:
    return {"id": site.id, "name": site.name, "commune": commune_ref(site.commune)}


def offer_brief(offer: Offer) -> dict[str, Any]:
    """Return an offer in short (as a suggestion shows it)."""
    return {
        "id": offer.id,
        "status": offer.status,
        "metier": metier_ref(offer.metier),
        "site": _site_ref(offer.site),
        "employer": {"id": offer.site.employer.id, "name": offer.site.employer.name},
    }


# An offer's declared fields (its site and métier are shown nested), then what the platform adds.
_OFFER_STATE_FIELDS = (
    "places_filled",
    "places_left",
    "created_at",
    "updated_at",
    "published_at",
    "closed_at",
)
_OFFER_FIELDS = (*(f.name for f in OFFER_FIELDS if not f.nested), *_OFFER_STATE_FIELDS)
# The tutor is a person named by the employer: the public offer page does not show them.
_PUBLIC_OFFER_FIELDS = (
    *(f.name for f in OFFER_FIELDS if f.public and not f.nested),
    *_OFFER_STATE_FIELDS,
)


def offer_dict(
    offer: Offer, distance_km: float | None = None, *, public: bool = False
) -> dict[str, Any]:
    """Return everything about an offer (for its employer and the coordinators).

    With ``public``, only what the public offer page shows (no tutor), for candidates.
    """
    data = offer_brief(offer)
    names = _PUBLIC_OFFER_FIELDS if public else _OFFER_FIELDS
    data.update({name: getattr(offer, name) for name in names})
    if distance_km is not None:
        data["distance_km"] = round(distance_km, 1)
    return data


def offer_out(principal: Principal) -> Callable[..., dict[str, Any]]:
    """Return the function that turns an offer (and a distance) into what this caller may see."""
    if principal.is_candidate:
        return lambda offer, distance_km=None: offer_dict(offer, distance_km, public=True)
    return offer_dict


def _request_metiers(request: Request) -> list[dict[str, Any]]:
    return [
        {
            "text": m.text,
            "code": m.metier_code,
            "label": m.metier.label if m.metier is not None else None,
        }
        for m in request.metiers
    ]


_REQUEST_FIELDS = (
    "id",
    "status",
    "candidate_id",
    "max_distance_km",
    "has_licence",
    "has_car",
    "needs_housing",
    "accepts_relocation",
    "available_from",
    "diploma_level",
    "created_at",
    "updated_at",
)


def request_dict(request: Request, *, contact: bool = False) -> dict[str, Any]:
    """Return a request; with ``contact``, the candidate's name, email and phone too."""
    data = {name: getattr(request, name) for name in _REQUEST_FIELDS}
    data["first_name"] = request.candidate.first_name
    data["commune"] = commune_ref(request.commune)
    data["metiers"] = _request_metiers(request)
    if contact:
        c: Candidate = request.candidate
        data["candidate"] = {
            "id": c.id,
            "first_name": c.first_name,
            "last_name": c.last_name,
            "email": c.email,
            "phone": c.phone,
        }
    return data


def candidate_view(suggestion: Suggestion) -> dict[str, Any]:
    """Return the candidate of a pair as an employer may see them: never email nor phone."""
    request = suggestion.request
    metiers = [m.metier for m in request.metiers if m.metier is not None]
    return {
        "first_name": request.candidate.first_name,
        "commune": commune_ref(request.commune),
        "metiers": [metier_ref(m) for m in dict.fromkeys(metiers)],
        "distance_km": suggestion.distance_km,
        "needs_housing": request.needs_housing,
        "available_from": request.available_from,
    }


_SUGGESTION_FIELDS = (
    "id",
    "offer_id",
    "request_id",
    "score",
    "distance_km",
    "criteria",
    "reasons",
    "engine_version",
    "origin",
    "status",
    "stale",
    "rejection_reason",
    "employer_interest",
    "employer_reason",
    "candidate_interest",
    "status_changed_at",
    "created_at",
    "updated_at",
)


def suggestion_dict(suggestion: Suggestion) -> dict[str, Any]:
    """Return a suggestion with its candidate (as employers see them) and its offer in short.

    The schema dumping it for an employer keeps only the fields an employer may see.
    """
    data = {name: getattr(suggestion, name) for name in _SUGGESTION_FIELDS}
    data["candidate"] = candidate_view(suggestion)
    data["offer"] = offer_brief(suggestion.offer)
    return data


def employer_contact(offer: Offer) -> dict[str, Any]:
    """Return how a candidate reaches the employer of an offer (once the pair is approved).

    The site's name and commune are in the offer itself (:func:`offer_brief`).
    """
    employer = offer.site.employer
    return {
        "contact_name": employer.contact_name,
        "email": employer.contact_email,
        "phone": employer.contact_phone,
        "address": offer.site.address,
    }


_CANDIDATE_SUGGESTION_FIELDS = (
    "id",
    "offer_id",
    "request_id",
    "score",
    "distance_km",
    "criteria",
    "reasons",
    "status",
    "candidate_interest",
    "status_changed_at",
)


def candidate_suggestion_dict(suggestion: Suggestion) -> dict[str, Any]:
    """Return a suggestion as its candidate sees it on the candidate pages.

    The offer in short, the reasons, the candidate's own answer, and the employer's contact only
    once a coordinator approved the pair (``None`` before); never the employer's answer nor the
    coordinators' notes.
    """
    data = {name: getattr(suggestion, name) for name in _CANDIDATE_SUGGESTION_FIELDS}
    data["offer"] = offer_brief(suggestion.offer)
    approved = suggestion.status in CONTACT_STATUSES
    data["employer_contact"] = employer_contact(suggestion.offer) if approved else None
    return data
