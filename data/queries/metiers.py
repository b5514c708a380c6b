"""Métier texts for the coordinators: what people typed that no métier resolves, and decisions.

The coordinators' page lists each unresolved text once (texts equal once normalised, as the
resolver compares them), with the number of requests that hold it, most frequent first; texts a
coordinator marked as outside the sector leave that list for the list of decisions.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from data.models import MetierMapping, RequestMetier
from matching import normalize

__all__ = ["UnresolvedText", "metier_decisions", "unresolved_metier_texts"]


@dataclass(frozen=True)
class UnresolvedText:
    """One text typed for a métier that resolves to nothing, and how many requests hold it."""

    text: str  # the spelling typed most often (first in alphabetical order on a tie)
    normalized: str
    requests: int


def unresolved_metier_texts(session: Session) -> list[UnresolvedText]:
    """Return the texts no métier resolves and no coordinator decided on, most frequent first."""
    decided = set(session.scalars(select(MetierMapping.normalized)))
    rows = session.execute(
        select(RequestMetier.text, RequestMetier.request_id).where(
            RequestMetier.metier_code.is_(None)
        )
    ).all()
    spellings: dict[str, Counter[str]] = {}
    holders: dict[str, set[int]] = {}
    for text, request_id in rows:
        key = normalize(text)
        if not key or key in decided:
            continue
        spellings.setdefault(key, Counter())[text] += 1
        holders.setdefault(key, set()).add(request_id)
    found = [
        UnresolvedText(
            text=min(c.items(), key=lambda kv: (-kv[1], kv[0]))[0],
            normalized=key,
            requests=len(holders[key]),
        )
        for key, c in spellings.items()
    ]
    return sorted(found, key=lambda u: (-u.requests, u.normalized))


def metier_decisions(session: Session) -> list[MetierMapping]:
    """Return the coordinators' decisions on texts, the latest first (with their métier)."""
    stmt = (
        select(MetierMapping)
        .options(joinedload(MetierMapping.metier))
        .order_by(MetierMapping.decided_at.desc(), MetierMapping.id.desc())
    )
    return list(session.scalars(stmt))
