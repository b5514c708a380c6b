"""Read-only lookups the pages need: lists, filters, autocompletion. Nothing here writes.

Changes go through ``data.operations``; these are the queries behind public lists and forms.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Any

from geopy.distance import great_circle
from sqlalchemy import Select, func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from data.models import (
    Candidate,
    Commune,
    Employer,
    Metier,
    Offer,
    OfferStatus,
    Request,
    RequestMetier,
    RequestStatus,
    Site,
    Suggestion,
    SuggestionStatus,
)
from data.platform_settings import get_review_rule, visible_to_parties
from data.standing import AWAITING_REVIEW
from matching import Allocation

__all__ = [
    "OfferHit",
    "published_offers",
    "published_offers_page",
    "public_offer",
    "metier_options",
    "page_rows",
    "paginate",
]

EARTH_RADIUS_KM = 6371.009  # great_circle's sphere
#: Radii of the search for the nearest offer beyond a candidate's own (None: anywhere).
NEAREST_RADII_KM: tuple[float | None, ...] = (50, 150, 500, None)


@dataclass(frozen=True)
class OfferHit:
    """A published offer and, when a commune was given, its distance from it."""

    offer: Offer
    distance_km: float | None


def _offer_query():  # type: ignore[no-untyped-def]
    return (
        select(Offer)
        .join(Offer.site)
        .options(
            joinedload(Offer.site).joinedload(Site.commune),
            joinedload(Offer.site).joinedload(Site.employer),
            joinedload(Offer.metier),
        )
    )


def _published_query(metier: str | None, housing: bool):  # type: ignore[no-untyped-def]
    stmt = _offer_query().where(
        Offer.status == OfferStatus.PUBLISHED, Offer.places_filled < Offer.places
    )
    if metier:
        stmt = stmt.where(Offer.metier_code == metier)
    if housing:
        stmt = stmt.where(Offer.housing_beds > 0)
    return stmt


def _within(stmt: Select[Any], near: Commune, max_km: float) -> Select[Any]:
    """Keep the offers whose commune lies in the box around ``near`` that holds the circle.

    On the sphere of ``great_circle``, a point within ``max_km`` differs from ``near`` by at most
    delta = max_km / R in latitude and asin(sin delta / cos lat) in longitude; the box only spares
    the database and Python the far offers, the exact distance still decides.
    """
    delta = max_km / EARTH_RADIUS_KM * 1.001  # a hair wider: rounding never drops an offer
    dlat = math.degrees(delta)
    stmt = stmt.where(Commune.latitude.between(near.latitude - dlat, near.latitude + dlat))
    ratio = math.sin(delta) / max(math.cos(math.radians(near.latitude)), 1e-12)
    if ratio < 1:  # else the circle reaches a pole: every longitude
        dlon = math.degrees(math.asin(ratio))
        stmt = stmt.where(Commune.longitude.between(near.longitude - dlon, near.longitude + dlon))
    return stmt


def _ranked(
    session: Session, stmt: Select[Any], near: Commune, max_km: float | None
) -> list[tuple[float, int]]:
    """Return (distance, offer id) of the offers within ``max_km`` of ``near``, nearest first.

    Reads narrow rows (id, coordinates), not the offers: the caller loads only those it shows.
    """
    stmt = stmt.join(Commune, Site.commune_insee == Commune.insee)
    if max_km is not None:
        stmt = _within(stmt, near, max_km)
    origin = (near.latitude, near.longitude)
    ranked = []
    for offer_id, lat, lon in session.execute(
        stmt.with_only_columns(Offer.id, Commune.latitude, Commune.longitude)
    ):
        d = great_circle(origin, (lat, lon)).km
        if max_km is None or d <= max_km:
            ranked.append((d, offer_id))
    ranked.sort()
    return ranked


def _load_hits(
    session: Session, stmt: Select[Any], ranked: list[tuple[float, int]]
) -> list[OfferHit]:
    """Load the offers of ``ranked`` (a page of them) with what the pages show, in its order."""
    if not ranked:
        return []
    found = {o.id: o for o in session.scalars(stmt.where(Offer.id.in_([i for _, i in ranked])))}
    return [OfferHit(found[i], d) for d, i in ranked if i in found]


def _hits(
    session: Session, stmt: Select[Any], near: Commune | None, max_km: float | None
) -> list[OfferHit]:
    """Run ``stmt`` (published offers); with ``near``, those within ``max_km``, nearest first."""
    if near is None:
        offers = session.scalars(stmt.order_by(Offer.published_at.desc(), Offer.id.desc()))
        return [OfferHit(o, None) for o in offers]
    if max_km is not None:
        stmt = _within(stmt.join(Commune, Site.commune_insee == Commune.insee), near, max_km)
    hits = []
    origin = (near.latitude, near.longitude)
    for o in session.scalars(stmt):
        c = o.site.commune
        d = great_circle(origin, (c.latitude, c.longitude)).km
        if max_km is None or d <= max_km:
            hits.append(OfferHit(o, d))
    hits.sort(key=lambda h: (h.distance_km, h.offer.id))
    return hits


def published_offers(
    session: Session,
    *,
    metier: str | None = None,
    near: Commune | None = None,
    max_km: float | None = None,
    housing: bool = False,
) -> list[OfferHit]:
    """Return the published offers with places left, filtered; nearest first when ``near``."""
    return _hits(session, _published_query(metier, housing), near, max_km)


def published_offers_page(
    session: Session,
    number: int,
    size: int,
    *,
    metier: str | None = None,
    near: Commune | None = None,
    max_km: float | None = None,
    housing: bool = False,
) -> Page:
    """Return one page of :func:`published_offers` (items are :class:`OfferHit`).

    Without a commune the database pages (newest first); with one, distances are computed for
    the offers around it (ids and coordinates only), sorted, sliced, and only the page's offers
    are loaded.
    """
    if near is None:
        stmt = _published_query(metier, housing).order_by(
            Offer.published_at.desc(), Offer.id.desc()
        )
        page = paginate(session, stmt, number, size)
        return Page([OfferHit(o, None) for o in page.items], page.number, size, page.total)
    stmt = _published_query(metier, housing)
    ranked = _ranked(session, stmt, near, max_km)
    pages = max(1, -(-len(ranked) // size))
    number = min(max(1, number), pages)
    page = ranked[(number - 1) * size : number * size]
    return Page(_load_hits(session, stmt, page), number, size, len(ranked))


def public_offer(session: Session, offer_id: int) -> Offer | None:
    """Return the offer if it is published, else None (drafts and closed offers are not public)."""
    return session.scalar(
        _offer_query().where(Offer.id == offer_id, Offer.status == OfferStatus.PUBLISHED)
    )


def metier_options(session: Session) -> list[tuple[str, str]]:
    """Return (code, label) of every métier, by label."""
    return [(m.code, m.label) for m in session.scalars(select(Metier).order_by(Metier.label))]


def employer_name(session: Session, employer_id: int) -> str | None:
    """Return an employer's name (public information about an organisation)."""
    return session.scalar(select(Employer.name).where(Employer.id == employer_id))


# --- Suggestions as candidates and employers may see them ---------------------------------------

# Once a coordinator approved a pair, both sides see each other's contact details.
CONTACT_STATUSES = frozenset(
    {
        SuggestionStatus.APPROVED,
        SuggestionStatus.CONTACTED,
        SuggestionStatus.INTERVIEW,
        SuggestionStatus.CONTRACT_SIGNED,
    }
)


def _visible_clause(session: Session):  # type: ignore[no-untyped-def]
    """Which suggestions the two sides see: the review rule in force decides."""
    return visible_to_parties(get_review_rule(session))


def visible_suggestions(
    session: Session, *, offer_id: int | None = None, request_id: int | None = None
) -> list[Suggestion]:
    """Return the suggestions of one offer or one request that its owner may see, best first."""
    stmt = select(Suggestion).where(_visible_clause(session))
    if offer_id is not None:
        stmt = stmt.where(Suggestion.offer_id == offer_id)
    if request_id is not None:
        stmt = stmt.where(Suggestion.request_id == request_id)
    stmt = stmt.options(
        joinedload(Suggestion.request).joinedload(Request.candidate),
        joinedload(Suggestion.request).joinedload(Request.commune),
        joinedload(Suggestion.offer).joinedload(Offer.site),
    )
    return list(session.scalars(stmt.order_by(Suggestion.score.desc(), Suggestion.id)).unique())


def is_visible(session: Session, suggestion: Suggestion) -> bool:
    """Tell whether the two sides of ``suggestion`` may see it."""
    found = session.scalar(
        select(Suggestion.id).where(Suggestion.id == suggestion.id, _visible_clause(session))
    )
    return found is not None


def employer_offers(session: Session, employer_id: int) -> list[Offer]:
    """Return an employer's offers, newest first."""
    stmt = (
        select(Offer)
        .join(Offer.site)
        .where(Site.employer_id == employer_id)
        .options(joinedload(Offer.metier), joinedload(Offer.site).joinedload(Site.commune))
        .order_by(Offer.created_at.desc(), Offer.id.desc())
    )
    return list(session.scalars(stmt))


def nearest_offer_beyond(session: Session, request: Request) -> OfferHit | None:
    """Return the nearest published offer for one of the request's métiers, wherever it is.

    Searched in widening circles: the nearest offer within a radius is the nearest of all.
    """
    codes = request.metier_codes
    if not codes:
        return None
    stmt = _published_query(None, False).where(Offer.metier_code.in_(codes))
    for km in NEAREST_RADII_KM:
        ranked = _ranked(session, stmt, request.commune, km)
        if ranked:
            return _load_hits(session, stmt, ranked[:1])[0]
    return None


# --- Coordination --------------------------------------------------------------------------------

PAIR_STATUSES = (
    SuggestionStatus.APPROVED,
    SuggestionStatus.CONTACTED,
    SuggestionStatus.INTERVIEW,
    SuggestionStatus.CONTRACT_SIGNED,
    SuggestionStatus.ABANDONED,
)
TERRITORY_RADIUS_KM = 15


@dataclass(frozen=True)
class Dashboard:
    """The figures of the coordination dashboard."""

    offers_by_metier: list[tuple[str, int]]
    requests_by_metier: list[tuple[str, int]]
    offers_by_commune: list[tuple[str, int]]
    requests_by_commune: list[tuple[str, int]]
    to_review: int
    pairs_by_status: list[tuple[SuggestionStatus, int]]


def dashboard(session: Session) -> Dashboard:
    """Count open offers and active requests by métier and commune, reviews and pairs."""
    open_offer = (Offer.status == OfferStatus.PUBLISHED) & (Offer.places_filled < Offer.places)
    offers_by_metier = session.execute(
        select(Metier.label, func.count(Offer.id))
        .join(Offer, Offer.metier_code == Metier.code)
        .where(open_offer)
        .group_by(Metier.label)
        .order_by(func.count(Offer.id).desc(), Metier.label)
    ).all()
    requests_by_metier = session.execute(
        select(Metier.label, func.count(func.distinct(RequestMetier.request_id)))
        .join(RequestMetier, RequestMetier.metier_code == Metier.code)
        .join(Request, Request.id == RequestMetier.request_id)
        .where(Request.status == RequestStatus.ACTIVE)
        .group_by(Metier.label)
        .order_by(func.count(func.distinct(RequestMetier.request_id)).desc(), Metier.label)
    ).all()
    offers_by_commune = session.execute(
        select(Commune.name, func.count(Offer.id))
        .select_from(Offer)
        .join(Site, Site.id == Offer.site_id)
        .join(Commune, Commune.insee == Site.commune_insee)
        .where(open_offer)
        .group_by(Commune.name)
        .order_by(func.count(Offer.id).desc(), Commune.name)
        .limit(15)
    ).all()
    requests_by_commune = session.execute(
        select(Commune.name, func.count(Request.id))
        .join(Request, Request.commune_insee == Commune.insee)
        .where(Request.status == RequestStatus.ACTIVE)
        .group_by(Commune.name)
        .order_by(func.count(Request.id).desc(), Commune.name)
        .limit(15)
    ).all()
    to_review = session.scalar(
        select(func.count(Suggestion.id))
        .join(Suggestion.request)
        .join(Suggestion.offer)
        .where(*_REVIEWABLE)
    )
    pairs = dict(
        session.execute(
            select(Suggestion.status, func.count(Suggestion.id))
            .where(Suggestion.status.in_(PAIR_STATUSES))
            .group_by(Suggestion.status)
        ).all()
    )
    return Dashboard(
        offers_by_metier=[tuple(r) for r in offers_by_metier],  # type: ignore[misc]
        requests_by_metier=[tuple(r) for r in requests_by_metier],  # type: ignore[misc]
        offers_by_commune=[tuple(r) for r in offers_by_commune],  # type: ignore[misc]
        requests_by_commune=[tuple(r) for r in requests_by_commune],  # type: ignore[misc]
        to_review=to_review or 0,
        pairs_by_status=[(s, pairs.get(s, 0)) for s in PAIR_STATUSES],
    )


def _suggestion_options():  # type: ignore[no-untyped-def]
    return (
        joinedload(Suggestion.request).joinedload(Request.candidate),
        joinedload(Suggestion.request).joinedload(Request.commune),
        joinedload(Suggestion.offer).joinedload(Offer.site).joinedload(Site.commune),
        joinedload(Suggestion.offer).joinedload(Offer.metier),
    )


# What awaits review is decided once, with what the parties are told of it (data.standing).
_REVIEWABLE = AWAITING_REVIEW


def review_queue(
    session: Session,
    number: int,
    size: int,
    *,
    metier: str | None = None,
    territory: Commune | None = None,
    needs_housing: bool | None = None,
    min_score: float | None = None,
) -> Page:
    """Return one page of the suggestions awaiting review, best score first, filtered."""
    stmt = (
        select(Suggestion)
        .join(Suggestion.request)
        .join(Suggestion.offer)
        .where(*_REVIEWABLE)
        .options(*_suggestion_options())
        .order_by(Suggestion.score.desc(), Suggestion.id)
    )
    if metier:
        stmt = stmt.where(Offer.metier_code == metier)
    if needs_housing is not None:
        stmt = stmt.where(Request.needs_housing.is_(needs_housing))
    if min_score is not None:
        stmt = stmt.where(Suggestion.score >= min_score)
    if territory is None:
        return paginate(session, stmt, number, size, count_up_to=REVIEW_COUNT_CAP)
    origin = (territory.latitude, territory.longitude)
    rows = [
        s
        for s in session.scalars(stmt).unique()
        if great_circle(origin, (s.offer.site.commune.latitude, s.offer.site.commune.longitude)).km
        <= TERRITORY_RADIUS_KM
    ]
    pages = max(1, -(-len(rows) // size))
    number = min(max(1, number), pages)
    return Page(rows[(number - 1) * size : number * size], number, size, len(rows))


#: The review queue counts its suggestions up to this many ("plus de 10 000"): counting a queue of
#: a million suggestions costs the database more than reading the page (load benchmark).
REVIEW_COUNT_CAP = 10_000


@dataclass(frozen=True)
class Page:
    """One page of a long list (``more``: there are more than ``total`` items, not counted)."""

    items: list[Any]
    number: int
    size: int
    total: int
    more: bool = False

    @property
    def pages(self) -> int:
        return max(1, -(-self.total // self.size))


def paginate(
    session: Session, stmt: Select[Any], number: int, size: int, *, count_up_to: int | None = None
) -> Page:
    """Run ``stmt`` for page ``number`` (from 1; past the end gives the last page).

    With ``count_up_to``, the list is counted up to that many items only (``Page.more`` then
    says there are more); its pages beyond are not offered.
    """
    counted = stmt.order_by(None)
    if count_up_to is not None:
        counted = counted.limit(count_up_to + 1)
    total = session.scalar(select(func.count()).select_from(counted.subquery())) or 0
    more = count_up_to is not None and total > count_up_to
    if more:
        total = count_up_to  # type: ignore[assignment]
    pages = max(1, -(-total // size))
    number = min(max(1, number), pages)
    rows = page_rows(session, stmt, size, (number - 1) * size)
    return Page(rows, number, size, total, more)


def page_rows(session: Session, stmt: Select[Any], limit: int, offset: int) -> list[Any]:
    """Return the rows ``limit`` and ``offset`` cut out of ``stmt`` (an ordered ``select(Model)``).

    The page's ids first, then those rows with the eager loads of ``stmt``: the database sorts
    and skips narrow (id, sort key) rows, not the wide rows of every joined table (the load
    benchmark measured 2.7 s for a page of 50 suggestions among 960,000 the wide way, 0.4 s so).
    """
    described = stmt.column_descriptions
    entity = described[0].get("entity")
    whole = len(described) == 1 and entity is not None and described[0]["expr"] is entity
    key = getattr(entity, "id", None) if whole else None
    if key is None:
        return list(session.scalars(stmt.limit(limit).offset(offset)).unique())
    ids = list(session.scalars(stmt.with_only_columns(key).limit(limit).offset(offset)))
    if not ids:
        return []
    found = {row.id: row for row in session.scalars(stmt.where(key.in_(ids))).unique()}
    return [found[i] for i in ids if i in found]


def pairs(session: Session, status: SuggestionStatus | None, number: int, size: int) -> Page:
    """Return the pairs (approved suggestions and after), most recently changed first."""
    wanted = [status] if status else list(PAIR_STATUSES)
    stmt = (
        select(Suggestion)
        .where(Suggestion.status.in_(wanted))
        .options(*_suggestion_options())
        .order_by(Suggestion.status_changed_at.desc(), Suggestion.id.desc())
    )
    return paginate(session, stmt, number, size)


def all_offers(session: Session, number: int, size: int) -> Page:
    """Return every offer with its site and métier, newest first (coordination list)."""
    stmt = _offer_query().order_by(Offer.created_at.desc(), Offer.id.desc())
    return paginate(session, stmt, number, size)


def _requests_query():  # type: ignore[no-untyped-def]
    return select(Request).options(
        joinedload(Request.candidate),
        joinedload(Request.commune),
        selectinload(Request.metiers).joinedload(RequestMetier.metier),
    )


def all_requests(session: Session, number: int, size: int) -> Page:
    """Return every request with its candidate and commune, newest first."""
    stmt = _requests_query().order_by(Request.created_at.desc(), Request.id.desc())
    return paginate(session, stmt, number, size)


def active_requests(session: Session) -> list[Request]:
    """Return the active requests, newest first (to pair one by hand)."""
    stmt = (
        _requests_query()
        .where(Request.status == RequestStatus.ACTIVE)
        .order_by(Request.created_at.desc(), Request.id.desc())
    )
    return list(session.scalars(stmt).unique())


def all_employers(session: Session, number: int, size: int) -> Page:
    """Return every employer by name."""
    return paginate(session, select(Employer).order_by(Employer.name, Employer.id), number, size)


def all_candidates(session: Session, number: int, size: int) -> Page:
    """Return every candidate, newest first."""
    stmt = (
        select(Candidate)
        .options(joinedload(Candidate.request))
        .order_by(Candidate.created_at.desc(), Candidate.id.desc())
    )
    return paginate(session, stmt, number, size)


def suggestions_of(
    session: Session, *, offer_id: int | None = None, request_id: int | None = None
) -> list[Suggestion]:
    """Return every suggestion of one offer or one request (coordination view), best first."""
    stmt = select(Suggestion).options(*_suggestion_options())
    if offer_id is not None:
        stmt = stmt.where(Suggestion.offer_id == offer_id)
    if request_id is not None:
        stmt = stmt.where(Suggestion.request_id == request_id)
    return list(session.scalars(stmt.order_by(Suggestion.score.desc(), Suggestion.id)).unique())


@dataclass(frozen=True)
class AllocationView:
    """The rows an allocation names, loaded once: requests, offers, and existing pairs."""

    requests: dict[int, Request]
    offers: dict[int, Offer]
    suggestions: dict[tuple[int, int], Suggestion]


def allocation_view(session: Session, allocation: Allocation) -> AllocationView:
    """Load what the allocation page shows of each assignment and unassigned request."""
    request_ids = {int(a.request_id) for a in allocation.assignments}
    request_ids |= {int(u.request_id) for u in allocation.unassigned}
    offer_ids = {int(a.offer_id) for a in allocation.assignments}
    requests = {
        r.id: r
        for r in session.scalars(_requests_query().where(Request.id.in_(request_ids))).unique()
    }
    offers = {
        o.id: o for o in session.scalars(_offer_query().where(Offer.id.in_(offer_ids))).unique()
    }
    pairs = {(int(a.request_id), int(a.offer_id)) for a in allocation.assignments}
    suggestions = {}
    if request_ids:
        stmt = select(Suggestion).where(
            Suggestion.request_id.in_(request_ids), Suggestion.offer_id.in_(offer_ids)
        )
        suggestions = {
            (s.request_id, s.offer_id): s
            for s in session.scalars(stmt)
            if (s.request_id, s.offer_id) in pairs
        }
    return AllocationView(requests, offers, suggestions)
