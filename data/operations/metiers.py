"""Métiers as people type them: the one resolver of the platform, and coordinators' decisions.

:func:`metier_resolver` is the rule every reader of a typed métier uses (forms, the CSV import,
the API): the shipped referential (``data/reference/metiers.json``, see
:class:`matching.MetierReferential`) plus the texts coordinators mapped to a métier or marked as
outside the sector (table ``metier_mappings``). :func:`decide_metier_text` records such a
decision, audits it, and re-resolves at once the texts already stored on requests, whose
``updated_at`` then moves so that the next rematch run scores them.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from datetime import datetime
from functools import lru_cache

from sqlalchemy import or_, select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import Conflict, PermissionDenied, ValidationError
from data.models import Metier, MetierMapping, Request, RequestMetier
from data.reference import read_metiers
from matching import MetierReferential, Resolution, normalize

from . import audit
from ._common import now_or_utc

__all__ = [
    "MAP_ACTION",
    "MAX_METIER_CODE",
    "MAX_METIER_TEXT",
    "DecisionResult",
    "FreeTextToConfirm",
    "decide_metier_text",
    "did_you_mean",
    "metier_referential",
    "metier_resolver",
]

MAX_METIER_TEXT = 200  # request_metiers.text and metier_mappings.text are VARCHAR(200)
MAX_METIER_CODE = 64  # metiers.code is VARCHAR(64)
#: The audit action of a coordinator's decision on a typed métier.
MAP_ACTION = "map_metier_text"


@lru_cache(maxsize=1)
def metier_referential() -> MetierReferential:
    """Return the métier referential of the shipped data, built once per process."""
    return MetierReferential.from_records(read_metiers())


def metier_resolver(session: Session) -> MetierReferential:
    """Return the referential with the coordinators' decisions: the resolver of every form."""
    decided = session.execute(select(MetierMapping.normalized, MetierMapping.metier_code)).all()
    return _with_mappings(frozenset((text, code) for text, code in decided))


@lru_cache(maxsize=8)
def _with_mappings(decided: frozenset[tuple[str, str | None]]) -> MetierReferential:
    """The referential with these decisions, built once per set of decisions (not per request)."""
    base = metier_referential()
    return base.with_mappings(dict(decided)) if decided else base


def did_you_mean(referential: MetierReferential, text: str) -> str:
    """Return the French « Vouliez-vous dire » sentence for an unresolved text ('' if none).

    >>> did_you_mean(metier_referential(), "infirmière puéricultrice")
    'Vouliez-vous dire : « Infirmier » ou « Auxiliaire de puériculture » ?'
    >>> did_you_mean(metier_referential(), "zzzz")
    ''
    """
    labels = [f"« {referential.label(code)} »" for code in referential.suggest(text)]
    if not labels:
        return ""
    listed = labels[0] if len(labels) == 1 else ", ".join(labels[:-1]) + " ou " + labels[-1]
    return f"Vouliez-vous dire : {listed} ?"


class FreeTextToConfirm(ValidationError):
    """Typed métiers that resolve to nothing: the person must correct them or confirm them.

    ``refused`` maps each such text to its French message (with suggestions); ``errors`` holds
    every message of the operation, these under ``metiers``.
    """

    def __init__(self, errors: dict[str, list[str]], refused: Mapping[str, str]) -> None:
        super().__init__(errors)
        self.refused = dict(refused)


def unresolved_message(referential: MetierReferential, resolution: Resolution) -> str:
    """Return the French message that refuses one unresolved text, with suggestions."""
    if resolution.method == "outside":
        first = f"« {resolution.text} » ne fait pas partie des métiers du secteur."
    else:
        first = f"« {resolution.text} » ne correspond à aucun métier connu."
    suggestion = did_you_mean(referential, resolution.text)
    return " ".join(part for part in (first, suggestion) if part)


@dataclass(frozen=True)
class DecisionResult:
    """A coordinator's decision on a text, and how many stored texts it changed."""

    mapping: MetierMapping
    rows_changed: int
    requests_changed: int


def decide_metier_text(
    session: Session,
    actor: Actor,
    text: str,
    metier_code: str | None,
    *,
    now: datetime | None = None,
) -> DecisionResult:
    """Map ``text`` to ``metier_code`` (None: outside the sector), for the resolver from now on.

    Re-resolves the texts already stored on requests (unresolved ones, and those an earlier
    decision on the same text had mapped); their requests' ``updated_at`` moves so that the
    next rematch run scores them. Raises ``PermissionDenied`` unless a staff member decides,
    ``ValidationError`` on an empty text or an unknown métier, ``Conflict`` when the referential
    already resolves the text by itself.
    """
    if not actor.is_staff:
        raise PermissionDenied("Seule la coordination rattache un texte à un métier.")
    typed = " ".join(str(text or "").split())[:MAX_METIER_TEXT]
    key = normalize(typed)
    if not key:
        raise ValidationError({"text": ["Indiquez le texte à rattacher."]})
    if metier_code is not None and session.get(Metier, metier_code) is None:
        raise ValidationError({"metier_code": ["Métier inconnu du référentiel."]})
    own = metier_referential().resolve(typed)
    if own.code is not None:
        label = metier_referential().label(own.code)
        raise Conflict(f"« {typed} » est déjà reconnu comme « {label} » : rien à rattacher.")
    stamp = now_or_utc(now)
    mapping = session.scalar(select(MetierMapping).where(MetierMapping.normalized == key))
    previous = mapping.metier_code if mapping is not None else None
    if mapping is None:
        mapping = MetierMapping(normalized=key, text=typed)
        session.add(mapping)
    mapping.metier_code = metier_code
    mapping.decided_at = stamp
    mapping.decided_by_id = actor.user_id
    session.flush()
    audit.record(
        session,
        actor,
        MAP_ACTION,
        "metier_mapping",
        mapping.id,
        {"text": typed, "metier_code": metier_code, "previous": previous},
        now=stamp,
    )
    stored = or_(RequestMetier.metier_code.is_(None), RequestMetier.metier_code == previous)
    rows = [
        row
        for row in session.scalars(select(RequestMetier).where(stored))
        if normalize(row.text) == key and row.metier_code != metier_code
    ]
    requests: dict[int, Request] = {}
    for row in rows:
        row.metier_code = metier_code
        requests[row.request_id] = row.request
    for request in requests.values():
        request.updated_at = stamp  # not the person's activity: last_activity_at stays
    session.flush()
    return DecisionResult(mapping, len(rows), len(requests))
