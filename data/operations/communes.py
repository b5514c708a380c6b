"""Turn the text typed in a commune field into a commune, with the French error when it fails.

Forms offer the gazetteer's communes as « Bourg-en-Bresse (01053) » (:func:`commune_label`);
people also type an INSEE code, a postal code or a name. :func:`resolve_commune` is the one rule
every page uses: the commune the text designates, or ``ValidationError`` with
:data:`COMMUNE_NOT_FOUND` on the field.
"""

from __future__ import annotations

import re

from sqlalchemy import func, or_, select
from sqlalchemy.orm import Session

from data.errors import ValidationError
from data.models import Commune

__all__ = [
    "AIN",
    "COMMUNE_NOT_FOUND",
    "commune_label",
    "search_communes",
    "find_commune",
    "resolve_commune",
]

AIN = "01"
COMMUNE_NOT_FOUND = "Commune introuvable : choisissez-la dans la liste proposée."
#: How many communes a name is looked up among before a homonym is taken for the one meant.
FIND_AMONG = 50
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


def find_commune(session: Session, text: str | None) -> Commune | None:
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
    matches = search_communes(session, text, limit=FIND_AMONG)
    exact = [c for c in matches if c.name.lower() == text.lower()]
    if len(exact) >= 1:
        # A homonym in the Ain wins: Passerelle serves the Ain first.
        return exact[0]
    if text.isdigit() and len(matches) == 1:
        return matches[0]
    return None


def resolve_commune(session: Session, text: str | None, field: str = "commune") -> Commune:
    """Return the commune typed in ``field``, or raise ValidationError with the French message.

    >>> from data.operations.validation import ErrorCollector
    >>> errors = ErrorCollector()
    >>> errors.run(resolve_commune, None, "", "territoire"), errors.errors
    (None, {'territoire': ['Commune introuvable : choisissez-la dans la liste proposée.']})
    """
    commune = find_commune(session, text) if text and text.strip() else None
    if commune is None:
        raise ValidationError({field: [COMMUNE_NOT_FOUND]})
    return commune
