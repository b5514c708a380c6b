"""Reference data as forms and the API read it: communes (autocompletion, search) and métiers."""

from __future__ import annotations

import re

from sqlalchemy import Select, func, or_, select
from sqlalchemy.orm import Session

from data.models import Commune, Metier

from .pages import Page, paginate

__all__ = [
    "AIN",
    "commune_label",
    "commune_page",
    "metier_options",
    "metier_page",
    "resolve_commune",
    "search_communes",
]

AIN = "01"
_LABEL_RE = re.compile(r"^(?P<name>.+?)\s*\((?P<code>\d[\dAB]\d{3})\)\s*$")


def commune_label(commune: Commune) -> str:
    """Return how a commune is written in forms: « Bourg-en-Bresse (01053) »."""
    return f"{commune.name} ({commune.insee})"


def _like_pattern(text: str) -> str:
    # Hyphens and spaces are interchangeable in commune names ("Bourg en Bresse").
    cleaned = re.sub(r"[%_\\]", "", text.strip().lower())
    return re.sub(r"[\s\-']+", "_", cleaned) + "%"


def search_communes(session: Session, text: str, limit: int = 10) -> list[Commune]:
    """Return communes whose name or postal code starts with ``text``, the Ain's first."""
    text = text.strip()
    if len(text) < 2:
        return []
    if text.isascii() and text.isdigit():
        cond = or_(Commune.postal_codes.like(f"{text}%"), Commune.postal_codes.like(f"% {text}%"))
    else:
        cond = func.lower(Commune.name).like(_like_pattern(text))
    stmt = (
        select(Commune)
        .where(cond)
        .order_by((Commune.departement != AIN), Commune.population.desc().nulls_last())
        .limit(limit)
    )
    return list(session.scalars(stmt))


def resolve_commune(session: Session, text: str | None) -> Commune | None:
    """Return the one commune ``text`` designates (a label, an INSEE code, a unique name)."""
    if not text or not text.strip():
        return None
    text = text.strip()
    m = _LABEL_RE.match(text)
    if m:
        return session.get(Commune, m.group("code"))
    if re.fullmatch(r"\d[\dAB]\d{3}", text.upper()):
        found = session.get(Commune, text.upper())
        if found is not None:
            return found
    matches = search_communes(session, text, limit=50)
    exact = [c for c in matches if c.name.lower() == text.lower()]
    if len(exact) >= 1:
        # A homonym in the Ain wins: Passerelle serves the Ain first.
        return exact[0]
    if text.isdigit() and len(matches) == 1:
        return matches[0]
    return None


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


def metier_options(session: Session) -> list[tuple[str, str]]:
    """Return (code, label) of every métier, by label."""
    return [(m.code, m.label) for m in session.scalars(select(Metier).order_by(Metier.label))]


def metier_page(session: Session, number: int, size: int, *, clamp: bool = True) -> Page[Metier]:
    """Return one page of the métiers of the referential, by label."""
    stmt = select(Metier).order_by(Metier.label, Metier.code)
    return paginate(session, stmt, number, size, clamp=clamp)
