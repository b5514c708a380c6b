"""Requests: what a candidate looks for, with the métiers as typed and as resolved."""

from __future__ import annotations

import re
from collections.abc import Collection
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from typing import Any

from sqlalchemy.orm import Session

from data.errors import Conflict, InvalidTransition, ValidationError
from data.models import AgeBand, Candidate, Request, RequestMetier, RequestStatus
from matching import Resolution, normalize

from ._common import load, local_today, now_or_utc
from .metiers import (
    MAX_METIER_TEXT,
    FreeTextToConfirm,
    metier_resolver,
    unresolved_message,
)
from .validation import (
    ErrorCollector,
    clean_bool,
    clean_centre,
    clean_commune,
    clean_date,
    clean_enum,
    clean_int,
    reject_unknown_fields,
)

__all__ = [
    "MAX_METIERS",
    "MIN_DISTANCE_KM",
    "MAX_DISTANCE_KM",
    "REQUEST_TRANSITIONS",
    "RequestResult",
    "split_metier_texts",
    "create_request",
    "update_request",
    "pause_request",
    "close_request",
    "reactivate_request",
    "mark_request_matched",
    "check_request_transition",
]

MAX_METIERS = 5
MIN_DISTANCE_KM = 1
MAX_DISTANCE_KM = 300
DEFAULT_MAX_DISTANCE_KM = 30
AVAILABLE_FROM_FUTURE_DAYS = 2 * 365
EARLIEST_DATE = date(2000, 1, 1)

REQUEST_TRANSITIONS: dict[RequestStatus, frozenset[RequestStatus]] = {
    RequestStatus.ACTIVE: frozenset(
        {RequestStatus.PAUSED, RequestStatus.CLOSED, RequestStatus.MATCHED}
    ),
    RequestStatus.PAUSED: frozenset(
        {RequestStatus.ACTIVE, RequestStatus.CLOSED, RequestStatus.MATCHED}
    ),
    RequestStatus.MATCHED: frozenset({RequestStatus.ACTIVE, RequestStatus.CLOSED}),
    RequestStatus.CLOSED: frozenset({RequestStatus.ACTIVE}),
}

_FIELDS = (
    "metiers",
    "commune_insee",
    "max_distance_km",
    "has_licence",
    "has_car",
    "needs_housing",
    "accepts_relocation",
    "available_from",
    "diploma_level",
    "age_band",
    "training_centre_id",
)


@dataclass(frozen=True)
class RequestResult:
    """A saved request and what the UI should tell the candidate about the métiers typed."""

    request: Request
    unresolved: tuple[str, ...] = ()
    """Texts kept as typed but matching no métier of the referential."""
    notes: tuple[str, ...] = ()
    """French notes on ambiguous texts newly typed (e.g. « AVS » can mean another job)."""
    resolutions: tuple[Resolution, ...] = ()
    known_texts: frozenset[str] = frozenset()
    """The métier texts the request already had before this change: told of before."""

    @property
    def unresolved_anew(self) -> tuple[str, ...]:
        """The unresolved texts typed with this change (the page tells of these only)."""
        return tuple(t for t in self.unresolved if t not in self.known_texts)


def split_metier_texts(value: object) -> list[str]:
    """Return the métier texts of a list, or of one text separated by commas, semicolons, slashes.

    >>> split_metier_texts("aide-soignante, AES / ME")
    ['aide-soignante', 'AES', 'ME']
    """
    if isinstance(value, str):
        parts = re.split(r"[,;/\n]+", value)
    elif isinstance(value, list | tuple):
        parts = [p for p in value if isinstance(p, str)]
        if len(parts) != len(value):
            raise ValidationError({"metiers": ["Liste de métiers attendue."]})
    else:
        raise ValidationError({"metiers": ["Liste de métiers attendue."]})
    seen: dict[str, str] = {}
    for part in parts:
        text = " ".join(part.split())
        if text:
            seen.setdefault(text.casefold(), text)
    return list(seen.values())


def _clean_metiers(
    session: Session,
    value: object,
    errors: ErrorCollector,
    keep_free_text: Collection[str] | None,
) -> tuple[list[Resolution], dict[str, str]]:
    """Resolve the typed métiers; return the resolutions and the texts left to confirm.

    ``keep_free_text`` None (the API): unresolved texts are kept as long as one text resolves.
    Otherwise (the forms) each unresolved text is refused with suggestions unless it is in
    ``keep_free_text`` (compared once normalised): the person confirmed it.
    """
    texts = errors.run(split_metier_texts, value)
    if texts is None:
        return [], {}
    if not texts:
        errors.add("metiers", "Indiquez au moins un métier.")
        return [], {}
    if len(texts) > MAX_METIERS:
        errors.add("metiers", f"Indiquez au plus {MAX_METIERS} métiers.")
        return [], {}
    too_long = [t for t in texts if len(t) > MAX_METIER_TEXT]
    if too_long:
        errors.add("metiers", f"Chaque métier tient en {MAX_METIER_TEXT} caractères au plus.")
        return [], {}
    referential = metier_resolver(session)
    resolved = referential.resolve_many(texts)
    resolutions = [resolved[text] for text in texts]
    if keep_free_text is not None:
        confirmed = {normalize(t) for t in keep_free_text}
        refused = {
            r.text: unresolved_message(referential, r)
            for r in resolutions
            if r.code is None and normalize(r.text) not in confirmed
        }
        for message in refused.values():
            errors.add("metiers", message)
        return resolutions, refused
    unresolved = [r.text for r in resolutions if r.code is None]
    if len(unresolved) == len(resolutions):
        quoted = ", ".join(f"« {t} »" for t in unresolved)
        errors.add(
            "metiers",
            f"Aucun métier reconnu dans {quoted}. Essayez par exemple « aide-soignant », "
            "« accompagnant éducatif et social » ou « éducateur spécialisé ».",
        )
    return resolutions, {}


def _clean_request_fields(
    session: Session,
    values: dict[str, Any],
    errors: ErrorCollector,
    today: date,
    keep_free_text: Collection[str] | None = None,
) -> tuple[dict[str, Any], list[Resolution]]:
    cleaned: dict[str, Any] = {}
    resolutions: list[Resolution] = []
    to_confirm: dict[str, str] = {}

    def keep(name: str, value: Any) -> None:
        if not errors.has(name):
            cleaned[name] = value

    if "metiers" in values:
        resolutions, to_confirm = _clean_metiers(session, values["metiers"], errors, keep_free_text)
    if "commune_insee" in values:
        commune = errors.run(clean_commune, session, values["commune_insee"], "commune_insee")
        keep("commune", commune)
    if "max_distance_km" in values:
        keep(
            "max_distance_km",
            errors.run(
                clean_int,
                values["max_distance_km"],
                "max_distance_km",
                min_value=MIN_DISTANCE_KM,
                max_value=MAX_DISTANCE_KM,
            ),
        )
    for flag in ("has_licence", "has_car", "needs_housing", "accepts_relocation"):
        if flag in values:
            keep(flag, errors.run(clean_bool, values[flag], flag))
    if "available_from" in values:
        keep(
            "available_from",
            errors.run(
                clean_date,
                values["available_from"],
                "available_from",
                min_value=EARLIEST_DATE,
                max_value=today + timedelta(days=AVAILABLE_FROM_FUTURE_DAYS),
            ),
        )
    if "diploma_level" in values:
        keep(
            "diploma_level",
            errors.run(
                clean_int,
                values["diploma_level"],
                "diploma_level",
                min_value=0,
                max_value=8,
                required=False,
            ),
        )
    if "age_band" in values:
        keep(
            "age_band",
            errors.run(clean_enum, values["age_band"], AgeBand, "age_band", required=False),
        )
    if "training_centre_id" in values:
        centre = errors.run(
            clean_centre, session, values["training_centre_id"], "training_centre_id"
        )
        keep("training_centre", centre)
    if to_confirm:
        raise FreeTextToConfirm(errors.errors, to_confirm)
    return cleaned, resolutions


def _store_metiers(request: Request, resolutions: list[Resolution]) -> None:
    """Rewrite the request's métier rows in place (updating rows keeps (request, position) unique
    at every step of the flush, where delete-then-insert would not)."""
    rows = list(request.metiers)
    for position, resolution in enumerate(resolutions):
        if position < len(rows):
            row = rows[position]
        else:
            row = RequestMetier(position=position)
            request.metiers.append(row)
        row.text = resolution.text
        row.metier_code = resolution.code
    for row in rows[len(resolutions) :]:
        request.metiers.remove(row)


def _result(
    request: Request, resolutions: list[Resolution], known: frozenset[str] = frozenset()
) -> RequestResult:
    return RequestResult(
        request=request,
        unresolved=tuple(r.text for r in resolutions if r.code is None),
        notes=tuple(r.note for r in resolutions if r.ambiguous and r.note and r.text not in known),
        resolutions=tuple(resolutions),
        known_texts=known,
    )


def create_request(
    session: Session,
    candidate: Candidate | int,
    *,
    metiers: list[str] | str,
    commune_insee: str,
    max_distance_km: int = DEFAULT_MAX_DISTANCE_KM,
    has_licence: bool = False,
    has_car: bool = False,
    needs_housing: bool = False,
    accepts_relocation: bool = False,
    available_from: date | str | None = None,
    diploma_level: int | None = None,
    age_band: AgeBand | str | None = None,
    training_centre_id: int | str | None = None,
    keep_free_text: Collection[str] | None = None,
    now: datetime | None = None,
) -> RequestResult:
    """Create the candidate's request (one per candidate).

    Métiers are typed freely and resolved by :func:`metier_resolver`. Without
    ``keep_free_text`` (the API) the request is accepted when at least one resolves; the others
    are kept as typed (code NULL) and returned in ``unresolved``. With it (the forms) a text that
    resolves to nothing is refused with suggestions (:class:`FreeTextToConfirm`, which names
    them) unless the person confirmed it by listing it there. ``training_centre_id``: the centre
    where the candidate is already enrolled or admitted, if any.
    """
    candidate = load(session, Candidate, candidate, "Candidat")
    if candidate.anonymised_at is not None:
        raise Conflict("Ce dossier a été anonymisé : il ne peut plus être modifié.")
    if candidate.request is not None:
        raise Conflict("Une demande existe déjà pour ce candidat : modifiez-la.")
    errors = ErrorCollector()
    values, resolutions = _clean_request_fields(
        session,
        {
            "metiers": metiers,
            "commune_insee": commune_insee,
            "max_distance_km": max_distance_km,
            "has_licence": has_licence,
            "has_car": has_car,
            "needs_housing": needs_housing,
            "accepts_relocation": accepts_relocation,
            "available_from": available_from,
            "diploma_level": diploma_level,
            "age_band": age_band,
            "training_centre_id": training_centre_id,
        },
        errors,
        local_today(now),
        keep_free_text,
    )
    errors.raise_if_any()
    stamp = now_or_utc(now)
    request = Request(
        candidate=candidate,
        status=RequestStatus.ACTIVE,
        created_at=stamp,
        updated_at=stamp,
        **values,
    )
    _store_metiers(request, resolutions)
    session.add(request)
    candidate.last_activity_at = stamp
    session.flush()
    return _result(request, resolutions)


def update_request(
    session: Session,
    request: Request | int,
    *,
    keep_free_text: Collection[str] | None = None,
    now: datetime | None = None,
    **changes: Any,
) -> RequestResult:
    """Change some fields of a request; ``metiers`` replaces the whole list (see
    :func:`create_request` for ``keep_free_text``)."""
    request = load(session, Request, request, "Demande")
    if request.candidate.anonymised_at is not None:
        raise Conflict("Ce dossier a été anonymisé : il ne peut plus être modifié.")
    reject_unknown_fields(changes, _FIELDS)
    errors = ErrorCollector()
    values, resolutions = _clean_request_fields(
        session, changes, errors, local_today(now), keep_free_text
    )
    errors.raise_if_any()
    stamp = now_or_utc(now)
    for key, value in values.items():
        setattr(request, key, value)
    known = frozenset(row.text for row in request.metiers)
    if "metiers" in changes:
        _store_metiers(request, resolutions)
    request.updated_at = stamp
    request.candidate.last_activity_at = stamp
    session.flush()
    return _result(request, resolutions, known)


def check_request_transition(request: Request, target: RequestStatus) -> None:
    """Raise ``InvalidTransition`` unless the request may go from its status to ``target``."""
    if target not in REQUEST_TRANSITIONS[request.status]:
        raise InvalidTransition("Demande", request.status, target)


def _move(
    session: Session,
    request: Request | int,
    target: RequestStatus,
    now: datetime | None,
    *,
    by_person: bool = True,
) -> Request:
    request = load(session, Request, request, "Demande")
    check_request_transition(request, target)
    stamp = now_or_utc(now)
    request.status = target
    request.updated_at = stamp
    if by_person:
        request.candidate.last_activity_at = stamp
    session.flush()
    return request


def pause_request(
    session: Session,
    request: Request | int,
    *,
    now: datetime | None = None,
    by_person: bool = True,
) -> Request:
    """Pause an active request: no new suggestion until it is reactivated.

    ``by_person=False`` is for the platform pausing a silent person's request: it is not that
    person's activity, so the retention clock keeps running.
    """
    return _move(session, request, RequestStatus.PAUSED, now, by_person=by_person)


def close_request(
    session: Session,
    request: Request | int,
    *,
    now: datetime | None = None,
    by_person: bool = True,
) -> Request:
    """Close a request (the person no longer looks; ``by_person=False``: their data is erased)."""
    return _move(session, request, RequestStatus.CLOSED, now, by_person=by_person)


def reactivate_request(
    session: Session,
    request: Request | int,
    *,
    now: datetime | None = None,
    by_person: bool = True,
) -> Request:
    """Make a paused, closed or matched request active again (``by_person=False``: a
    coordinator's act, such as a contract's rupture, not the person's activity)."""
    return _move(session, request, RequestStatus.ACTIVE, now, by_person=by_person)


def mark_request_matched(
    session: Session, request: Request | int, *, now: datetime | None = None
) -> Request:
    """Mark a request matched (a contract was signed); used by the suggestion operations."""
    return _move(session, request, RequestStatus.MATCHED, now)
