"""Offers as each audience may read them: one query, its filters, nearest first by the engine."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, UnaryExpression, func, select
from sqlalchemy.orm import Session, joinedload

from data.models import OPEN_OFFER, Commune, Offer, OfferStatus, Request, Site

from .audience import COORDINATOR, PUBLIC, Audience
from .nearby import measured
from .pages import Page, paginate, paginate_list

__all__ = [
    "BY_CREATION",
    "BY_ID",
    "BY_PUBLICATION",
    "NEAREST_RADII_KM",
    "OfferHit",
    "OfferSearch",
    "employer_offers",
    "find_ended_offer",
    "find_offer",
    "nearest_offer_beyond",
    "offer_counts_by_metier",
    "offer_hits",
    "offer_page",
    "offer_query",
    "offers_by_id",
]

#: Orders of an offer list without a commune (with one: nearest first, ties by id).
BY_PUBLICATION: tuple[UnaryExpression[Any], ...] = (Offer.published_at.desc(), Offer.id.desc())
BY_CREATION: tuple[UnaryExpression[Any], ...] = (Offer.created_at.desc(), Offer.id.desc())
BY_ID: tuple[Any, ...] = (Offer.id,)
#: Radii of the search for the nearest offer beyond a candidate's own (None: anywhere).
NEAREST_RADII_KM: tuple[float | None, ...] = (50, 150, 500, None)


@dataclass(frozen=True)
class OfferHit:
    """An offer and, when a commune was given, its distance from it (km, the engine's way)."""

    offer: Offer
    distance_km: float | None


@dataclass(frozen=True)
class OfferSearch:
    """Filters of an offer list; with ``near``, nearest first and within ``max_km`` if given.

    ``housing``: True, offers with beds; False, offers without; None, either.
    """

    metier: str | None = None
    metiers: tuple[str, ...] | None = None
    housing: bool | None = None
    status: OfferStatus | None = None
    employer_id: int | None = None
    near: Commune | None = None
    max_km: float | None = None


def offer_query(audience: Audience) -> Select[Offer]:
    """Return the offers ``audience`` may open, with what pages and API show of them loaded.

    Anyone and candidates: the published offers (no draft, no closed one); an employer: its own;
    coordinators: all.
    """
    stmt = (
        select(Offer)
        .join(Offer.site)
        .options(
            joinedload(Offer.site).joinedload(Site.commune),
            joinedload(Offer.site).joinedload(Site.employer),
            joinedload(Offer.metier),
        )
    )
    if audience.is_employer:
        return stmt.where(Site.employer_id == audience.employer_id)
    if not audience.is_coordinator:
        return stmt.where(Offer.status == OfferStatus.PUBLISHED)
    return stmt


def _listed(audience: Audience, search: OfferSearch) -> Select[Offer]:
    """Return the offers ``audience`` may list, filtered (unordered).

    Anyone and candidates list the open offers only (published with a place left).
    """
    stmt = offer_query(audience)
    if not audience.is_coordinator and not audience.is_employer:
        stmt = stmt.where(*OPEN_OFFER)
    if search.metier is not None:
        stmt = stmt.where(Offer.metier_code == search.metier)
    if search.metiers is not None:
        stmt = stmt.where(Offer.metier_code.in_(search.metiers))
    if search.housing is not None:
        stmt = stmt.where(Offer.housing_beds > 0 if search.housing else Offer.housing_beds == 0)
    if search.status is not None:
        stmt = stmt.where(Offer.status == search.status)
    if search.employer_id is not None:
        stmt = stmt.where(Site.employer_id == search.employer_id)
    return stmt


def _ranked(
    session: Session, stmt: Select[Offer], near: Commune, max_km: float | None
) -> list[tuple[float, int]]:
    """Return (distance, offer id) of the offers of ``stmt`` within ``max_km``, nearest first."""
    located = stmt.join(Commune, Site.commune_insee == Commune.insee)
    return sorted(measured(session, located, Offer.id, near, max_km))


def _load(session: Session, stmt: Select[Offer], ranked: list[tuple[float, int]]) -> list[OfferHit]:
    """Load the offers of ``ranked`` with what the pages show, in its order."""
    if not ranked:
        return []
    found = {o.id: o for o in session.scalars(stmt.where(Offer.id.in_([i for _, i in ranked])))}
    return [OfferHit(found[i], d) for d, i in ranked if i in found]


def offer_page(
    session: Session,
    audience: Audience,
    number: int,
    size: int,
    search: OfferSearch | None = None,
    *,
    order: tuple[Any, ...] = BY_PUBLICATION,
    clamp: bool = True,
) -> Page[OfferHit]:
    """Return one page of the offers ``audience`` may list (``clamp``: see ``paginate``).

    Without a commune the database pages, in ``order``; with one, distances are measured for the
    offers around it (ids and coordinates only), sorted, sliced, and only the page's offers are
    loaded.
    """
    search = search or OfferSearch()
    stmt = _listed(audience, search)
    if search.near is None:
        page = paginate(session, stmt.order_by(*order), number, size, clamp=clamp)
        return page.map(lambda o: OfferHit(o, None))
    ranked = paginate_list(
        _ranked(session, stmt, search.near, search.max_km), number, size, clamp=clamp
    )
    return Page(_load(session, stmt, ranked.items), ranked.number, size, ranked.total)


def offer_hits(
    session: Session,
    audience: Audience = PUBLIC,
    search: OfferSearch | None = None,
    *,
    order: tuple[Any, ...] = BY_PUBLICATION,
) -> list[OfferHit]:
    """Return every offer ``audience`` may list (the map); with a commune, nearest first."""
    search = search or OfferSearch()
    stmt = _listed(audience, search)
    if search.near is None:
        return [OfferHit(o, None) for o in session.scalars(stmt.order_by(*order))]
    return _load(session, stmt, _ranked(session, stmt, search.near, search.max_km))


def offer_counts_by_metier(session: Session, audience: Audience = PUBLIC) -> dict[str, int]:
    """Return how many offers ``audience`` may list, by métier code (« Les métiers »)."""
    listed = _listed(audience, OfferSearch()).subquery()
    stmt = select(listed.c.metier_code, func.count()).group_by(listed.c.metier_code)
    return {code: n for code, n in session.execute(stmt).all()}


def find_offer(session: Session, audience: Audience, offer_id: int) -> Offer | None:
    """Return the offer if ``audience`` may open it, else None (whether it exists is not told)."""
    return session.scalar(offer_query(audience).where(Offer.id == offer_id))


#: The ends of an offer's life: its public page then says it is no longer open (old links).
#: An offer moderation took back after its publication (suspended, withdrawn) says so too, without
#: why; one waiting for its structure's check was never public and stays unknown.
ENDED_OFFER = (
    OfferStatus.FILLED,
    OfferStatus.CLOSED,
    OfferStatus.EXPIRED,
    OfferStatus.SUSPENDED,
    OfferStatus.WITHDRAWN,
)


def find_ended_offer(session: Session, offer_id: int) -> Offer | None:
    """Return the offer if it was published and has ended (filled, closed, expired, taken back by
    moderation), else None.

    Its public page says so instead of a 404; a draft was never public and stays unknown.
    """
    stmt = offer_query(COORDINATOR).where(Offer.id == offer_id, Offer.status.in_(ENDED_OFFER))
    return session.scalar(stmt)


def employer_offers(session: Session, employer_id: int) -> list[Offer]:
    """Return an employer's offers, newest first."""
    stmt = offer_query(Audience.employer(employer_id)).order_by(*BY_CREATION)
    return list(session.scalars(stmt))


def offers_by_id(session: Session, ids: Iterable[int]) -> dict[int, Offer]:
    """Return the offers of ``ids`` (coordinators' reach), by id."""
    stmt = offer_query(COORDINATOR).where(Offer.id.in_(list(ids)))
    return {o.id: o for o in session.scalars(stmt)}


def nearest_offer_beyond(session: Session, request: Request) -> OfferHit | None:
    """Return the nearest open offer for one of the request's métiers, wherever it is.

    Searched in widening circles: the nearest offer within a radius is the nearest of all.
    """
    codes = tuple(request.metier_codes)
    if not codes:
        return None
    stmt = _listed(PUBLIC, OfferSearch(metiers=codes))
    for km in NEAREST_RADII_KM:
        ranked = _ranked(session, stmt, request.commune, km)
        if ranked:
            return _load(session, stmt, ranked[:1])[0]
    return None
