"""Housing resources as the management pages and the API read them (issue 17).

:func:`housing_hits` and :func:`housing_page` filter the inventory (kind, who manages it, a
structure's own, commune and distance, nearest first, published or not, cost, a day of
availability); :func:`find_housing` gives one resource with what its pages show loaded;
:func:`employer_housing` a structure's own (on its sites or not); :func:`published_housing`
the published ones, as everyone may read them.

A room at someone's home (``host_family``) and an intergenerational cohabitation are someone's
home: only their commune is ever public (:data:`PRIVATE_HOUSING_KINDS`, :func:`public_address`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date
from typing import Any

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from data.models import Commune, Employer, HousingKind, HousingPeriod, HousingResource

from .nearby import measured
from .pages import Page, paginate, paginate_list

__all__ = [
    "HousingHit",
    "HousingManagerKind",
    "HousingSearch",
    "PRIVATE_HOUSING_KINDS",
    "employer_choices",
    "employer_housing",
    "find_housing",
    "housing_hits",
    "housing_page",
    "housing_query",
    "is_private_housing",
    "published_housing",
]

#: Kinds that are someone's home: their address and contact are never public, only the commune.
PRIVATE_HOUSING_KINDS = frozenset({HousingKind.HOST_FAMILY, HousingKind.INTERGENERATIONAL})


class HousingManagerKind(enum.StrEnum):
    """Who manages a resource (``labels.HOUSING_MANAGER_LABELS`` names them in French)."""

    EMPLOYER = "employer"
    CENTRE = "centre"
    PARTNER = "partner"


def is_private_housing(resource: HousingResource) -> bool:
    """Tell whether ``resource`` is someone's home (its address and contact stay private)."""
    return resource.kind in PRIVATE_HOUSING_KINDS


@dataclass(frozen=True)
class HousingSearch:
    """Filters of the inventory; with ``near``, nearest first and within ``max_km`` if given.

    ``published``: None for both. ``max_cost``: a known monthly cost at most this (euros).
    ``available_on``: takes someone on that day (no period, or a period covering it).
    ``employer_id``: that structure's own. ``text``: a part of the name or of the partner's.
    """

    kind: HousingKind | None = None
    manager: HousingManagerKind | None = None
    employer_id: int | None = None
    near: Commune | None = None
    max_km: float | None = None
    published: bool | None = None
    max_cost: int | None = None
    available_on: date | None = None
    text: str | None = None


@dataclass(frozen=True)
class HousingHit:
    """A resource and, when a commune was given, its distance from it (km, the engine's way)."""

    resource: HousingResource
    distance_km: float | None


def housing_query() -> Select[HousingResource]:
    """Return every resource with its commune, manager, site and periods loaded."""
    return select(HousingResource).options(
        joinedload(HousingResource.commune),
        joinedload(HousingResource.employer),
        joinedload(HousingResource.centre),
        joinedload(HousingResource.site),
        selectinload(HousingResource.periods),
    )


def _available_on(day: date) -> Any:
    covering = exists(
        select(HousingPeriod.id).where(
            HousingPeriod.resource_id == HousingResource.id,
            HousingPeriod.starts_on <= day,
            or_(HousingPeriod.ends_on.is_(None), HousingPeriod.ends_on >= day),
        )
    )
    none = ~exists(select(HousingPeriod.id).where(HousingPeriod.resource_id == HousingResource.id))
    return or_(none, covering)


_MANAGER_CONDITIONS = {
    HousingManagerKind.EMPLOYER: HousingResource.employer_id.is_not(None),
    HousingManagerKind.CENTRE: HousingResource.centre_id.is_not(None),
    HousingManagerKind.PARTNER: HousingResource.partner_name.is_not(None),
}


def _listed(search: HousingSearch) -> Select[HousingResource]:
    stmt = housing_query()
    if search.kind is not None:
        stmt = stmt.where(HousingResource.kind == search.kind)
    if search.manager is not None:
        stmt = stmt.where(_MANAGER_CONDITIONS[search.manager])
    if search.employer_id is not None:
        stmt = stmt.where(HousingResource.employer_id == search.employer_id)
    if search.published is not None:
        stmt = stmt.where(HousingResource.published.is_(search.published))
    if search.max_cost is not None:
        stmt = stmt.where(
            and_(
                HousingResource.monthly_cost_eur.is_not(None),
                HousingResource.monthly_cost_eur <= search.max_cost,
            )
        )
    if search.available_on is not None:
        stmt = stmt.where(_available_on(search.available_on))
    if search.text:
        words = search.text.strip().replace("%", "").replace("_", "")
        if words:
            stmt = stmt.where(
                or_(
                    HousingResource.name.ilike(f"%{words}%"),
                    HousingResource.partner_name.ilike(f"%{words}%"),
                )
            )
    return stmt


_BY_NAME = (HousingResource.name, HousingResource.id)


def _ranked(
    session: Session, stmt: Select[HousingResource], near: Commune, max_km: float | None
) -> list[tuple[float, int]]:
    located = stmt.join(Commune, HousingResource.commune_insee == Commune.insee)
    return sorted(measured(session, located, HousingResource.id, near, max_km))


def _load(
    session: Session, stmt: Select[HousingResource], ranked: list[tuple[float, int]]
) -> list[HousingHit]:
    if not ranked:
        return []
    ids = [i for _, i in ranked]
    found = {r.id: r for r in session.scalars(stmt.where(HousingResource.id.in_(ids))).unique()}
    return [HousingHit(found[i], d) for d, i in ranked if i in found]


def housing_hits(session: Session, search: HousingSearch | None = None) -> list[HousingHit]:
    """Return every resource the filters keep: by name, or nearest first."""
    search = search or HousingSearch()
    stmt = _listed(search)
    if search.near is None:
        rows = session.scalars(stmt.order_by(*_BY_NAME)).unique()
        return [HousingHit(r, None) for r in rows]
    return _load(session, stmt, _ranked(session, stmt, search.near, search.max_km))


def housing_page(
    session: Session,
    number: int,
    size: int,
    search: HousingSearch | None = None,
    *,
    clamp: bool = True,
) -> Page[HousingHit]:
    """Return one page of the resources the filters keep (``clamp``: see ``paginate``)."""
    search = search or HousingSearch()
    stmt = _listed(search)
    if search.near is None:
        page = paginate(session, stmt.order_by(*_BY_NAME), number, size, clamp=clamp)
        return page.map(lambda r: HousingHit(r, None))
    ranked = paginate_list(
        _ranked(session, stmt, search.near, search.max_km), number, size, clamp=clamp
    )
    return Page(_load(session, stmt, ranked.items), ranked.number, size, ranked.total)


def find_housing(session: Session, housing_id: int) -> HousingResource | None:
    """Return one resource with its commune, manager, site and periods loaded, or None."""
    return session.scalars(housing_query().where(HousingResource.id == housing_id)).first()


def employer_housing(session: Session, employer_id: int) -> list[HousingResource]:
    """Return a structure's own resources (on its sites or not), by name."""
    return [h.resource for h in housing_hits(session, HousingSearch(employer_id=employer_id))]


def published_housing(
    session: Session,
    *,
    kind: HousingKind | None = None,
    commune_insee: str | None = None,
    max_km: float | None = None,
    max_cost: int | None = None,
    available_on: date | None = None,
) -> list[HousingHit]:
    """Return the published resources (what everyone may read), by name or, around a commune
    (an INSEE code; an unknown one finds nothing), nearest first within ``max_km``."""
    near = None
    if commune_insee is not None:
        near = session.get(Commune, commune_insee)
        if near is None:
            return []
    search = HousingSearch(
        kind=kind,
        near=near,
        max_km=max_km,
        published=True,
        max_cost=max_cost,
        available_on=available_on,
    )
    return housing_hits(session, search)


def employer_choices(session: Session) -> list[tuple[int, str]]:
    """Return (id, « name – SIRET ») of every structure, by name: the managers a coordinator
    may choose for a resource."""
    rows = session.execute(
        select(Employer.id, Employer.name, Employer.siret).order_by(Employer.name, Employer.id)
    )
    return [(i, f"{name} – {siret}") for i, name, siret in rows]
