"""Reference data as forms and the API read it: communes (autocompletion, search) and métiers."""

from __future__ import annotations

from sqlalchemy import Select, select
from sqlalchemy.orm import Session

from data.models import Commune, Metier
from data.reference.gazetteer import gazetteer

from .pages import Page, paginate, paginate_list

__all__ = [
    "COMMUNE_SEARCH_MAX",
    "commune_page",
    "metier_options",
    "metier_page",
]


#: Most communes a text search (``q``) lists: what is typed narrows it, never paging far.
COMMUNE_SEARCH_MAX = 100


def _communes(
    postal_code: str | None, insee: str | None, departement: str | None
) -> Select[Commune]:
    stmt = select(Commune)
    if postal_code is not None:
        stmt = stmt.where(Commune.postal_codes.contains(postal_code))
    if insee is not None:
        stmt = stmt.where(Commune.insee == insee)
    if departement is not None:
        stmt = stmt.where(Commune.departement == departement)
    return stmt.order_by(Commune.population.desc().nulls_last(), Commune.insee)


def commune_page(
    session: Session,
    number: int,
    size: int,
    *,
    q: str | None = None,
    postal_code: str | None = None,
    insee: str | None = None,
    departement: str | None = None,
    clamp: bool = True,
) -> Page[Commune]:
    """Return one page of the communes found by what a person types (``q``, the likeliest first,
    as the forms' autocompletion ranks them), postal code, INSEE code or département (the most
    populated first): the API's search."""
    stmt = _communes(postal_code, insee, departement)
    if q is None:
        return paginate(session, stmt, number, size, clamp=clamp)
    codes = gazetteer().search(q, COMMUNE_SEARCH_MAX)
    found = {c.insee: c for c in session.scalars(stmt.where(Commune.insee.in_(codes)))}
    return paginate_list([found[c] for c in codes if c in found], number, size, clamp=clamp)


def _metiers(priority: bool | None) -> Select[Metier]:
    stmt = select(Metier)
    if priority is not None:
        stmt = stmt.where(Metier.priority.is_(priority))
    return stmt.order_by(Metier.label, Metier.code)


def metier_options(session: Session, *, priority: bool | None = None) -> list[tuple[str, str]]:
    """Return (code, label) of every métier (``priority``: the plan's eight, or the others),
    by label."""
    return [(m.code, m.label) for m in session.scalars(_metiers(priority))]


def metier_page(
    session: Session,
    number: int,
    size: int,
    *,
    priority: bool | None = None,
    clamp: bool = True,
) -> Page[Metier]:
    """Return one page of the métiers of the referential (``priority`` as above), by label."""
    return paginate(session, _metiers(priority), number, size, clamp=clamp)
