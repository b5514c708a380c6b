"""Turn the text typed in a commune field into a commune, with the French message when it fails.

The one commune resolver of Passerelle: every form, filter, import and the API go through it.
People type a postal code (« 01100 »), a name as they say it (« bourg en bresse », « st genis »,
« Oyonax »), a former name of a merged commune (« Bellegarde-sur-Valserine »), or pick a label
of the autocompletion: « Oyonnax (01100) », « Bourg (33710, Gironde) » (:func:`commune_label`,
name and postal code, the département outside the Ain; never the INSEE code, which people take
for a postal code). Older labels and links carry the INSEE code (« Oyonnax (01283) »): still
read, as is a bare INSEE code that is no postal code.

The matching itself is ``data.reference.gazetteer`` (an in-memory index of the shipped
gazetteer); this module turns its answers into rows of ``communes`` and French messages. When a
text fits several communes (a shared postal code, a name found in several départements), forms
answer with the choices (:data:`COMMUNE_AMBIGUOUS`), the Ain's and its neighbours' first: a far
commune is never picked silently.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.errors import ValidationError
from data.models import Commune
from data.reference.gazetteer import AIN, MAX_CHOICES, departement_names, gazetteer

__all__ = [
    "AIN",
    "COMMUNE_AMBIGUOUS",
    "COMMUNE_DID_YOU_MEAN",
    "COMMUNE_NOT_FOUND",
    "CommuneMatch",
    "ambiguous_message",
    "commune_hint",
    "commune_label",
    "commune_match",
    "search_communes",
    "find_commune",
    "resolve_commune",
]

COMMUNE_NOT_FOUND = "Commune introuvable : choisissez-la dans la liste proposée."
#: The message of a text that fits several communes; ``{text}`` and ``{choices}`` are filled in.
COMMUNE_AMBIGUOUS = "« {text} » correspond à plusieurs communes : {choices}. Précisez laquelle."
#: The message of a text that looks like one commune, not surely enough to take it unasked.
COMMUNE_DID_YOU_MEAN = "« {text} » : vouliez-vous dire {choices} ? Choisissez-la dans la liste."


@dataclass(frozen=True)
class CommuneMatch:
    """What a typed text designates: ``commune``, or ``choices`` to pick from (best first)."""

    commune: Commune | None = None
    choices: list[Commune] = field(default_factory=list)


def commune_label(commune: Commune) -> str:
    """Return how a commune is written for people: « Oyonnax (01100) », « Bourg (33710, Gironde) ».

    The name and the commune's first postal code; outside the Ain, the département's name too.
    Each label designates exactly its commune (:func:`find_commune` reads it back).
    """
    postal = commune.postal_codes.split()[:1]
    parts = postal + ([] if commune.departement == AIN else [_departement(commune.departement)])
    return f"{commune.name} ({', '.join(parts)})" if parts else commune.name


def _departement(code: str) -> str:
    return departement_names().get(code, code)


def _rows(session: Session, codes: list[str]) -> list[Commune]:
    """Return the communes of ``codes`` that the database holds, in the order of ``codes``."""
    if not codes:
        return []
    found = {c.insee: c for c in session.scalars(select(Commune).where(Commune.insee.in_(codes)))}
    return [found[code] for code in codes if code in found]


def commune_match(session: Session, text: str | None) -> CommuneMatch:
    """Return the commune ``text`` designates, or the communes it may designate."""
    if not text or not text.strip():
        return CommuneMatch()
    text = text.strip()
    lookup = gazetteer().lookup(text)
    if lookup.found is not None:
        found = session.get(Commune, lookup.found)
        if found is not None:
            return CommuneMatch(found)
    choices = _rows(session, list(lookup.choices))
    if len(choices) == 1 and len(lookup.choices) > 1:
        return CommuneMatch(choices[0])  # the database holds only one of them
    if not choices and lookup.found is None and len(text) == 5:
        # A commune of the database that the shipped gazetteer does not know (tests, old data).
        by_code = session.get(Commune, text.upper())
        if by_code is not None:
            return CommuneMatch(by_code)
    return CommuneMatch(None, choices)


def find_commune(session: Session, text: str | None) -> Commune | None:
    """Return the one commune ``text`` designates, or None (nothing, or several to choose from)."""
    return commune_match(session, text).commune


def resolve_commune(session: Session, text: str | None, field: str = "commune") -> Commune:
    """Return the commune typed in ``field``, or raise ValidationError with the French message.

    A text that fits several communes is refused with them, as the person would choose.

    >>> from data.operations.validation import ErrorCollector
    >>> errors = ErrorCollector()
    >>> errors.run(resolve_commune, None, "", "territoire"), errors.errors
    (None, {'territoire': ['Commune introuvable : choisissez-la dans la liste proposée.']})
    """
    match = commune_match(session, text) if text and text.strip() else CommuneMatch()
    if match.commune is not None:
        return match.commune
    if match.choices and text:
        raise ValidationError({field: [ambiguous_message(text, match.choices)]})
    raise ValidationError({field: [COMMUNE_NOT_FOUND]})


def ambiguous_message(text: str, choices: list[Commune]) -> str:
    """Return the French message that offers ``choices`` for ``text``.

    A commune offered for a former name says so: « Valserhône (01200, anciennement
    Bellegarde-sur-Valserine) » would not be a label; « Valserhône (01200) – anciennement
    Bellegarde-sur-Valserine » keeps it.
    """
    labels = ", ".join(commune_hint(c, text) for c in choices[:MAX_CHOICES])
    message = COMMUNE_AMBIGUOUS if len(choices) > 1 else COMMUNE_DID_YOU_MEAN
    return message.format(text=text.strip(), choices=labels)


def commune_hint(commune: Commune, text: str) -> str:
    """Return the commune's label, with the former name ``text`` stands for, if any."""
    former = gazetteer().former_name_meant(commune.insee, text)
    label = commune_label(commune)
    return f"{label} – anciennement {former}" if former else label


def search_communes(session: Session, text: str, limit: int = 10) -> list[Commune]:
    """Return the communes to propose for what is typed so far, the likeliest first.

    Postal codes and INSEE codes by their start, names by their start or a likely typo, former
    names of merged communes; the Ain and its neighbours first (see ``Gazetteer.search``).
    """
    return _rows(session, gazetteer().search(text, limit))
