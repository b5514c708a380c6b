"""A pair's reasons written for whoever reads them: the candidate, the employer, a coordinator.

The engine stores, with each criterion of a suggestion, the fact behind its reason (``kind``
and values: the métier, the distance, the beds; see :class:`matching.Criterion`);
:func:`matching.reason_text` words it for each reader, and this module gives it the French
formatters of :mod:`data.presentation.formatters`. The candidate reads « À 32 km de votre
commune », the employer « Habite à 32 km de l'établissement », a coordinator « Établissement à
32 km de chez la personne candidate ».

Rows written before the facts existed (and pairs made by hand, which have no criteria) carry
only the candidate's sentences: their distance is rewritten from the row's ``distance_km``, the
other sentences are kept as they are.
"""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from typing import Any, Protocol

from matching import AUDIENCES, CRITERIA, reason_text

from .formatters import km, plural

__all__ = [
    "AUDIENCES",
    "CANDIDATE",
    "COORDINATOR",
    "EMPLOYER",
    "criterion_reason",
    "reasons_for",
    "write",
]

CANDIDATE, EMPLOYER, COORDINATOR = AUDIENCES
# The candidate's distance sentence of rows without facts (engine rows, manual pairs).
_OLD_DISTANCE = re.compile(
    r"^(?:À )?(?:\d+ km|[Mm]oins de 1 km) de (?:votre commune|la commune du candidat)"
    r"(?P<relocation>, logement sur place)?$"
)


# Criteria a row may lack: scored before the engine knew training centres, or when none is known.
_OPTIONAL = frozenset({"training"})
_ORDER = tuple(dict.fromkeys((*CRITERIA, *sorted(_OPTIONAL))))


class Explained(Protocol):
    """What a suggestion row (or an engine match) holds of its explanation."""

    @property
    def criteria(self) -> Mapping[str, Any] | None: ...
    @property
    def reasons(self) -> Sequence[str] | None: ...
    @property
    def distance_km(self) -> float | None: ...


def _places(n: int) -> str:
    return plural(n, "place", "places")


def write(fact: Mapping[str, Any], audience: str) -> str:
    """Write one fact for ``audience`` with the French formatters.

    >>> far = {"kind": "distance", "km": 1234.4, "relocation": True}
    >>> write(far, "candidate")
    'À 1\u202f234 km de votre commune, logement sur place'
    >>> write({"kind": "housing", "needed": True, "beds": 1}, "employer")
    "A besoin d'un logement : l'établissement en propose (1 place)"
    """
    return reason_text(fact, audience, km=km, places=_places)


def _fact(criterion: Any) -> Mapping[str, Any] | None:
    if isinstance(criterion, Mapping):
        fact = criterion.get("fact")
    else:  # an engine's Criterion
        fact = getattr(criterion, "fact", None)
    return fact if isinstance(fact, Mapping) and fact.get("kind") else None


def reasons_for(row: Explained, audience: str) -> list[str]:
    """The reasons of a suggestion, in display order, written for ``audience``.

    Métier, distance, then housing when the candidate needs it, then the training centre when
    the engine knew centres (as the engine lists them).
    """
    criteria = row.criteria or {}
    names = [n for n in _ORDER if n not in _OPTIONAL or n in criteria]
    facts = [_fact(criteria.get(name)) for name in names]
    if all(f is not None for f in facts):
        shown = [f for f in facts if f is not None and (f["kind"] != "housing" or f.get("needed"))]
        return [write(f, audience) for f in shown]
    out = []
    for sentence in row.reasons or []:
        old = _OLD_DISTANCE.match(sentence)
        if old is not None and row.distance_km is not None:
            relocation = old.group("relocation") is not None
            fact = {"kind": "distance", "km": row.distance_km, "relocation": relocation}
            out.append(write(fact, audience))
        else:
            out.append(sentence)
    return out


def criterion_reason(criterion: Mapping[str, Any], audience: str) -> str:
    """The reason of one criterion of a suggestion, written for ``audience``."""
    fact = _fact(criterion)
    if fact is None:
        return str(criterion.get("reason", ""))
    return write(fact, audience)
