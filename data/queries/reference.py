"""Reference data as forms and the API read it: communes (autocompletion, search) and métiers."""

from __future__ import annotations

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from data.models import Commune, Metier

from .pages import Page, paginate

__all__ = [
    "commune_page",
    "metier_options",
    "metier_page",
]


def _like_prefix(text: str) -> str:
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return escaped + "%"


def _communes(
    q: str | None, postal_code: str | None, insee: str | None, departement: str | None
) -> Select[Commune]:
    stmt = select(Commune)
    if q is not None:
        text = q.strip().lower()
        # Names are written with hyphens ("Saint-Denis-lès-Bourg"): accept spaces for them.
        variants = {text, text.replace(" ", "-")}
        stmt = stmt.where(
            or_(*(func.lower(Commune.name).like(_like_prefix(v), escape="\\") for v in variants))
        )
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
    """Return one page of the communes found by name start, postal code, INSEE code or
    département, the most populated first (the API's search)."""
    stmt = _communes(q, postal_code, insee, departement)
    return paginate(session, stmt, number, size, clamp=clamp)


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
