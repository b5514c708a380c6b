"""The housing inventory as its management pages and the API read it (issue 17).

:func:`inventory_hits` and :func:`inventory_page` filter every resource (kind, who manages it,
a structure's own, commune and distance, nearest first, published or not, cost, a day of
availability); with ``public``, only what everyone may read (:func:`.housing_public.
public_housing_query`: published, no suspended structure's). :func:`find_housing` gives one
resource with what its pages show loaded; :func:`employer_housing` a structure's own (on its
sites or not); the published ones are « Se loger »'s (:mod:`.housing_public`).

A room at someone's home (``host_family``) and an intergenerational cohabitation are someone's
home: only their commune is ever public (:data:`.housing_public.PRIVATE_KINDS`).
"""

from __future__ import annotations

import enum
from dataclasses import dataclass
from datetime import date

from sqlalchemy import Select, and_, or_, select
from sqlalchemy.orm import Session, joinedload, selectinload

from data.models import Commune, Employer, HousingKind, HousingResource

from .housing_public import (
    PRIVATE_KINDS,
    HousingHit,
    available_on_filter,
    load_hits,
    public_housing_query,
)
from .nearby import measured
from .pages import Page, paginate, paginate_list

__all__ = [
    "HousingManagerKind",
    "InventorySearch",
    "employer_choices",
    "employer_housing",
    "find_housing",
    "housing_query",
    "inventory_hits",
    "inventory_page",
    "is_private_housing",
]


class HousingManagerKind(enum.StrEnum):
    """Who manages a resource (``labels.HOUSING_MANAGER_LABELS`` names them in French)."""

    EMPLOYER = "employer"
    CENTRE = "centre"
    PARTNER = "partner"


def is_private_housing(resource: HousingResource) -> bool:
    """Tell whether ``resource`` is someone's home (its address and contact stay private)."""
    return resource.kind in PRIVATE_KINDS


@dataclass(frozen=True)
class InventorySearch:
    """Filters of the inventory; with ``near``, nearest first and within ``max_km`` if given.

    ``public``: only what everyone may read (published, no suspended structure's).
    ``published``: None for both. ``max_cost``: a known monthly cost at most this (euros).
    ``available_on``: takes someone on that day (no period, or a period covering it).
    ``employer_id``: that structure's own. ``text``: a part of the name or of the partner's.
    """

    kind: HousingKind | None = None
    manager: HousingManagerKind | None = None
    employer_id: int | None = None
    near: Commune | None = None
    max_km: float | None = None
    public: bool = False
    published: bool | None = None
    max_cost: int | None = None
    available_on: date | None = None
    text: str | None = None


def housing_query() -> Select[HousingResource]:
    """Return every resource with its commune, manager, site and periods loaded."""
    return select(HousingResource).options(
        joinedload(HousingResource.commune),
        joinedload(HousingResource.employer),
        joinedload(HousingResource.centre),
        joinedload(HousingResource.site),
        selectinload(HousingResource.periods),
    )


_MANAGER_CONDITIONS = {
    HousingManagerKind.EMPLOYER: HousingResource.employer_id.is_not(None),
    HousingManagerKind.CENTRE: HousingResource.centre_id.is_not(None),
    HousingManagerKind.PARTNER: HousingResource.partner_name.is_not(None),
}


def _listed(search: InventorySearch) -> Select[HousingResource]:
    stmt = public_housing_query() if search.public else housing_query()
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
        stmt = stmt.where(available_on_filter(search.available_on))
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


def inventory_hits(session: Session, search: InventorySearch | None = None) -> list[HousingHit]:
    """Return every resource the filters keep: by name, or nearest first."""
    search = search or InventorySearch()
    stmt = _listed(search)
    if search.near is None:
        rows = session.scalars(stmt.order_by(*_BY_NAME)).unique()
        return [HousingHit(r, None) for r in rows]
    return load_hits(session, stmt, _ranked(session, stmt, search.near, search.max_km))


def inventory_page(
    session: Session,
    number: int,
    size: int,
    search: InventorySearch | None = None,
    *,
    clamp: bool = True,
) -> Page[HousingHit]:
    """Return one page of the resources the filters keep (``clamp``: see ``paginate``)."""
    search = search or InventorySearch()
    stmt = _listed(search)
    if search.near is None:
        page = paginate(session, stmt.order_by(*_BY_NAME), number, size, clamp=clamp)
        return page.map(lambda r: HousingHit(r, None))
    ranked = paginate_list(
        _ranked(session, stmt, search.near, search.max_km), number, size, clamp=clamp
    )
    return Page(load_hits(session, stmt, ranked.items), ranked.number, size, ranked.total)


def find_housing(session: Session, housing_id: int) -> HousingResource | None:
    """Return one resource with its commune, manager, site and periods loaded, or None."""
    return session.scalars(housing_query().where(HousingResource.id == housing_id)).first()


def employer_housing(session: Session, employer_id: int) -> list[HousingResource]:
    """Return a structure's own resources (on its sites or not), by name."""
    return [h.resource for h in inventory_hits(session, InventorySearch(employer_id=employer_id))]


def employer_choices(session: Session) -> list[tuple[int, str]]:
    """Return (id, « name – SIRET ») of every structure, by name: the managers a coordinator
    may choose for a resource."""
    rows = session.execute(
        select(Employer.id, Employer.name, Employer.siret).order_by(Employer.name, Employer.id)
    )
    return [(i, f"{name} – {siret}") for i, name, siret in rows]
