"""Housing for apprentices as everyone reads it (issue 17): « Se loger » and an offer's page.

Only published resources are listed, and none of a structure the coordination suspended. The
list is filtered by commune and distance (the engine's, through :mod:`data.queries.nearby`),
kind, maximum monthly cost and availability on a day; resources with a free bed come first,
then the nearest (with a commune) or by name. :func:`housing_near_offer` gives the housing with
a free bed within reach of an offer's site. Nothing here says who lives where: the pages show
neither the address nor the contact of a room at someone's home (:data:`PRIVATE_KINDS`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, case, exists, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from data.models import (
    Commune,
    Employer,
    HousingKind,
    HousingPeriod,
    HousingResource,
    Offer,
    StructureCheck,
)
from matching import DEFAULT_PARAMS

from .nearby import measured
from .pages import Page, paginate, paginate_list

__all__ = [
    "DEFAULT_HOUSING_REACH_KM",
    "load_hits",
    "PRIVATE_KINDS",
    "HousingHit",
    "available_on_filter",
    "public_housing_query",
    "HousingSearch",
    "find_public_housing",
    "housing_hits",
    "housing_manager",
    "housing_near_offer",
    "housing_page",
]

#: How far from an offer's site the housing « within reach » of it lies (km): the engine's
#: radius for housing near an offer (issue 17), so that both speak of the same beds.
DEFAULT_HOUSING_REACH_KM = DEFAULT_PARAMS.housing_radius_km

#: Kinds where one lives at someone's home: the public pages show their commune only, never
#: an address or a contact person (one asks through the manager).
PRIVATE_KINDS = frozenset({HousingKind.HOST_FAMILY, HousingKind.INTERGENERATIONAL})


@dataclass(frozen=True)
class HousingSearch:
    """Filters of the public housing list; with ``near``, nearest first within ``max_km``.

    ``kind``: that kind only. ``max_cost``: a known monthly cost of at most that many euros (a
    resource whose cost is not given is left out). ``available_on``: resources taking someone in
    on that day (without periods: always). ``free_only``: resources with a free bed only.
    """

    near: Commune | None = None
    max_km: float | None = None
    kind: HousingKind | None = None
    max_cost: int | None = None
    available_on: date | None = None
    free_only: bool = False


@dataclass(frozen=True)
class HousingHit:
    """A published resource and, when a commune was given, its distance (km, the engine's way)."""

    resource: HousingResource
    distance_km: float | None


_HAS_FREE_BED = HousingResource.beds > HousingResource.beds_taken
#: Free beds first, then by name (lists without a commune).
_BY_FREE_THEN_NAME = (
    case((_HAS_FREE_BED, 0), else_=1),
    HousingResource.name,
    HousingResource.id,
)


def public_housing_query() -> Select[HousingResource]:
    """Return the published resources everyone may read, with what the pages show loaded."""
    return (
        select(HousingResource)
        .outerjoin(Employer, HousingResource.employer_id == Employer.id)
        .where(
            HousingResource.published.is_(True),
            or_(
                HousingResource.employer_id.is_(None),
                Employer.check_status != StructureCheck.SUSPENDED,
            ),
        )
        .options(
            joinedload(HousingResource.commune),
            joinedload(HousingResource.employer),
            joinedload(HousingResource.centre),
            selectinload(HousingResource.periods),
        )
    )


def available_on_filter(day: date) -> Any:
    """Return the condition that a resource takes someone in on ``day``: always without
    periods, else when one of its periods covers the day (both ends included, an open end
    never ends)."""
    periods = select(HousingPeriod.id).where(HousingPeriod.resource_id == HousingResource.id)
    covering = periods.where(
        HousingPeriod.starts_on <= day,
        or_(HousingPeriod.ends_on.is_(None), HousingPeriod.ends_on >= day),
    )
    return or_(~exists(periods), exists(covering))


def _listed(search: HousingSearch) -> Select[HousingResource]:
    stmt = public_housing_query()
    if search.kind is not None:
        stmt = stmt.where(HousingResource.kind == search.kind)
    if search.max_cost is not None:
        stmt = stmt.where(HousingResource.monthly_cost_eur <= search.max_cost)
    if search.available_on is not None:
        stmt = stmt.where(available_on_filter(search.available_on))
    if search.free_only:
        stmt = stmt.where(_HAS_FREE_BED)
    return stmt


def _ranked(
    session: Session, stmt: Select[HousingResource], near: Commune, max_km: float | None
) -> list[tuple[float, int]]:
    """Return (distance, id) of the resources of ``stmt`` within ``max_km``: free beds first,
    then nearest, ties by id."""
    located = stmt.join(Commune, HousingResource.commune_insee == Commune.insee)
    found = measured(session, located, HousingResource.id, near, max_km)
    if not found:
        return []
    free = set(session.scalars(stmt.where(_HAS_FREE_BED).with_only_columns(HousingResource.id)))
    return sorted(found, key=lambda hit: (hit[1] not in free, hit[0], hit[1]))


def load_hits(
    session: Session, stmt: Select[HousingResource], ranked: list[tuple[float, int]]
) -> list[HousingHit]:
    """Load the resources of ``stmt`` ranked as (distance, id), in that order, with their
    distance (the inventory's list shares it)."""
    if not ranked:
        return []
    ids = [i for _, i in ranked]
    found = {r.id: r for r in session.scalars(stmt.where(HousingResource.id.in_(ids))).unique()}
    return [HousingHit(found[i], d) for d, i in ranked if i in found]


def housing_hits(session: Session, search: HousingSearch | None = None) -> list[HousingHit]:
    """Return every published resource the filters keep (the map): free beds first."""
    search = search or HousingSearch()
    stmt = _listed(search)
    if search.near is None:
        rows = session.scalars(stmt.order_by(*_BY_FREE_THEN_NAME)).unique()
        return [HousingHit(r, None) for r in rows]
    return load_hits(session, stmt, _ranked(session, stmt, search.near, search.max_km))


def housing_page(
    session: Session,
    number: int,
    size: int,
    search: HousingSearch | None = None,
    *,
    clamp: bool = True,
) -> Page[HousingHit]:
    """Return one page of the published resources the filters keep (``clamp``: see
    ``paginate``); free beds first, then by name or nearest."""
    search = search or HousingSearch()
    stmt = _listed(search)
    if search.near is None:
        page = paginate(session, stmt.order_by(*_BY_FREE_THEN_NAME), number, size, clamp=clamp)
        return page.map(lambda r: HousingHit(r, None))
    ranked = paginate_list(
        _ranked(session, stmt, search.near, search.max_km), number, size, clamp=clamp
    )
    return Page(load_hits(session, stmt, ranked.items), ranked.number, size, ranked.total)


def find_public_housing(session: Session, resource_id: int) -> HousingResource | None:
    """Return a published resource (its page), or None."""
    return session.scalars(public_housing_query().where(HousingResource.id == resource_id)).first()


def housing_near_offer(
    session: Session, offer: Offer, km: float = DEFAULT_HOUSING_REACH_KM
) -> list[HousingHit]:
    """Return the published resources with a free bed within ``km`` of the offer's site,
    nearest first, with their distance; the beds of the offer's own site are not among them
    (its page shows them as the offer's)."""
    stmt = _listed(HousingSearch(free_only=True)).where(
        or_(HousingResource.site_id.is_(None), HousingResource.site_id != offer.site_id)
    )
    return load_hits(session, stmt, _ranked(session, stmt, offer.site.commune, km))


def housing_manager(resource: HousingResource) -> str:
    """Return the name of who answers for a resource: its structure, centre or partner."""
    if resource.employer is not None:
        return resource.employer.name
    if resource.centre is not None:
        return resource.centre.name
    return resource.partner_name or ""
