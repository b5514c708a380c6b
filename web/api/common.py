"""Plumbing shared by the API's views: the caller's audience, page envelopes, dicts to dump.

Reads are the read layer's (``data.queries``), scoped by the caller's audience: an employer token
sees its employer's offers and the suggestions of them the parties may see; a candidate token
sees the published offers, its own request and the suggestions of it the parties may see.
Changes go through ``data.operations``, and views commit.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import Any, TypeVar

from sqlalchemy.orm import Session, object_session
from webargs.flaskparser import abort

from data.errors import NotFound, ValidationError
from data.mail.recipients import offer_contact
from data.models import (
    PAIR_STAGES,
    Candidate,
    Commune,
    Metier,
    Offer,
    Request,
    Site,
    Suggestion,
)
from data.operations.communes import commune_label, resolve_commune
from data.operations.offer_fields import OFFER_FIELDS
from data.presentation import reasons as readers
from data.queries import (
    COORDINATOR,
    PUBLIC,
    Audience,
    Page,
    find_offer,
    find_request,
    find_suggestion,
)

from .auth import Principal
from .fields import INT32_MAX

__all__ = [
    "audience_of",
    "page_out",
    "load_offer",
    "load_request",
    "load_suggestion",
    "offer_dict",
    "offer_out",
    "offer_brief",
    "request_dict",
    "candidate_view",
    "suggestion_dict",
    "take_commune",
    "candidate_suggestion_dict",
    "interview_dict",
    "employer_contact",
    "commune_of",
    "commune_ref",
]

T = TypeVar("T")


def audience_of(principal: Principal) -> Audience:
    """Return whom the caller reads as: its candidate, its employer, or the coordinators."""
    if principal.is_staff:
        return COORDINATOR
    if principal.is_employer and principal.employer_id is not None:
        return Audience.employer(principal.employer_id)
    if principal.is_candidate and principal.candidate_id is not None:
        return Audience.candidate(principal.candidate_id)
    return PUBLIC


def page_out(
    page: Page[T],
    to_dict: Callable[[T], Any],
    prefetch: Callable[[Sequence[T]], None] | None = None,
) -> dict[str, Any]:
    """Return the envelope of a page: its items as dicts, and where it stands in the list.

    ``prefetch(items)``, if given, reads what ``to_dict`` needs for the whole page at once.
    """
    if prefetch is not None:
        prefetch(page.items)
    return {
        "items": [to_dict(i) for i in page.items],
        "pagination": {
            "page": page.number,
            "page_size": page.size,
            "total": page.total,
            "pages": page.pages,
        },
    }


# --- Loading with the caller's reach ----------------------------------------------------------


def _check_key(what: str, key: int) -> None:
    # Larger numbers name no row, and PostgreSQL would refuse them as 32-bit integers.
    if not 0 < key <= INT32_MAX:
        raise NotFound(what, key)


def load_offer(session: Session, principal: Principal, offer_id: int) -> Offer:
    """Return an offer the caller may see; 404 otherwise (existence is not told)."""
    _check_key("Offre", offer_id)
    offer = find_offer(session, audience_of(principal), offer_id)
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
    request = find_request(session, audience_of(principal), request_id)
    if request is None:
        raise NotFound("Demande", request_id)
    return request


def load_suggestion(session: Session, principal: Principal, suggestion_id: int) -> Suggestion:
    """Return a suggestion the caller may see; 404 otherwise."""
    _check_key("Mise en relation", suggestion_id)
    suggestion = find_suggestion(session, audience_of(principal), suggestion_id)
    if suggestion is None:
        raise NotFound("Mise en relation", suggestion_id)
    return suggestion


# --- What the schemas dump --------------------------------------------------------------------


def commune_ref(commune: Commune) -> dict[str, Any]:
    """Return a commune as other objects name it."""
    return {"insee": commune.insee, "name": commune.name, "label": commune_label(commune)}


def commune_of(session: Session, given: dict[str, Any]) -> Commune | None:
    """Return the commune ``given`` names in ``commune`` (a text read as the forms read it) or
    ``commune_insee`` (a code, as is); None when it names none. Raises ValidationError (422):
    a text that fits several communes names them, each as a label ``commune`` takes back."""
    if given.get("commune") is not None:
        return resolve_commune(session, given["commune"], "commune")
    code = given.get("commune_insee")
    if code is None:
        return None
    commune = session.get(Commune, code.upper())
    if commune is None:
        raise ValidationError({"commune_insee": [f"Aucune commune ne porte le code INSEE {code}."]})
    return commune


def take_commune(session: Session, data: dict[str, Any]) -> None:
    """Replace a typed ``commune`` of ``data`` by its ``commune_insee``, for the use cases."""
    if "commune" in data:
        commune = commune_of(session, data)
        del data["commune"]
        if commune is not None:
            data["commune_insee"] = commune.insee


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
    data["partner_centre_id"] = offer.partner_centre_id  # a centre is public information
    if not public:
        data["contact_user_id"] = offer.contact_user_id
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
    "age_band",
    "training_centre_id",
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


def _explained(suggestion: Suggestion, audience: str) -> dict[str, Any]:
    """The criteria and reasons of a suggestion, written for ``audience``."""
    criteria = {
        name: {**c, "reason": readers.criterion_reason(c, audience)}
        for name, c in (suggestion.criteria or {}).items()
    }
    return {"criteria": criteria, "reasons": readers.reasons_for(suggestion, audience)}


def suggestion_dict(suggestion: Suggestion, audience: str = readers.COORDINATOR) -> dict[str, Any]:
    """Return a suggestion with its candidate (as employers see them) and its offer in short.

    The schema dumping it for an employer keeps only the fields an employer may see; the
    reasons are written for ``audience`` (coordinators by default, or the employer).
    """
    data = {name: getattr(suggestion, name) for name in _SUGGESTION_FIELDS}
    data.update(_explained(suggestion, audience))
    data["candidate"] = candidate_view(suggestion)
    data["offer"] = offer_brief(suggestion.offer)
    data["interview"] = interview_dict(suggestion)
    data["proposed_centre"] = proposed_centre_dict(suggestion)
    data["proposed_housing"] = proposed_housing_dict(suggestion)
    return data


def proposed_centre_dict(suggestion: Suggestion) -> dict[str, Any] | None:
    """Return the training centre the engine proposes for a pair; None when it knows none."""
    centre = suggestion.proposed_centre
    if centre is None:
        return None
    return {
        "id": centre.id,
        "name": centre.name,
        "commune": centre.commune.name,
        "distance_km": suggestion.proposed_centre_km,
        "intake": suggestion.proposed_intake_on,
    }


def proposed_housing_dict(suggestion: Suggestion) -> dict[str, Any] | None:
    """Return where the engine houses the pair's candidate; None when no bed is proposed."""
    source, resource = suggestion.housing_source, suggestion.proposed_housing
    if source is None:
        return None
    return {
        "source": source.value,
        "id": None if resource is None else resource.id,
        "name": None if resource is None else resource.name,
        "kind": None if resource is None else resource.kind.value,
        "commune": None if resource is None else resource.commune.name,
        "distance_km": suggestion.proposed_housing_km,
        "monthly_cost_eur": None if resource is None else resource.monthly_cost_eur,
    }


def interview_dict(suggestion: Suggestion) -> dict[str, Any] | None:
    """Return a pair's interview (day, time, place) as both sides read it; None until set, or
    when the pair is not under way."""
    s = suggestion
    if s.status not in PAIR_STAGES or (s.interview_on is None and s.interview_place is None):
        return None
    return {
        "date": s.interview_on,
        "time": s.interview_time.strftime("%H:%M") if s.interview_time else None,
        "place": s.interview_place,
    }


def employer_contact(offer: Offer) -> dict[str, Any]:
    """Return how a candidate reaches the employer of an offer (once the pair is approved).

    The site's name and commune are in the offer itself (:func:`offer_brief`).
    """
    session = object_session(offer)
    assert session is not None
    contact = offer_contact(session, offer)  # its contact person when named (data.mail)
    return {
        "contact_name": contact.name,
        "email": contact.email,
        "phone": contact.phone,
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
    data.update(_explained(suggestion, readers.CANDIDATE))
    data["offer"] = offer_brief(suggestion.offer)
    approved = suggestion.status in PAIR_STAGES
    data["employer_contact"] = employer_contact(suggestion.offer) if approved else None
    data["interview"] = interview_dict(suggestion)
    data["proposed_centre"] = proposed_centre_dict(suggestion)
    data["proposed_housing"] = proposed_housing_dict(suggestion)
    return data
