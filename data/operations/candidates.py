"""Candidates: the person, their consent, their contact details and notification preference."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.errors import Conflict
from data.models import Candidate, NotifyFrequency

from ._common import load, now_or_utc, unique_guard
from .validation import (
    ErrorCollector,
    clean_email,
    clean_enum,
    clean_phone,
    clean_text,
    reject_unknown_fields,
)

__all__ = [
    "DUPLICATE_CANDIDATE_EMAIL",
    "CONSENT_REQUIRED",
    "create_candidate",
    "update_candidate",
    "set_notification_preference",
    "touch_candidate",
]

DUPLICATE_CANDIDATE_EMAIL = "Une candidature existe déjà avec cette adresse e-mail."
CONSENT_REQUIRED = (
    "Votre accord est nécessaire : sans lui, nous ne pouvons pas enregistrer vos informations."
)

_UPDATABLE = ("first_name", "last_name", "email", "phone", "presentation", "notify_frequency")
#: The longest presentation a candidate may write of themself.
MAX_PRESENTATION = 1000


def _check_email_free(
    session: Session, email: str, errors: ErrorCollector, exclude_id: int | None = None
) -> None:
    stmt = select(Candidate.id).where(Candidate.email == email)
    if exclude_id is not None:
        stmt = stmt.where(Candidate.id != exclude_id)
    if session.scalar(stmt.limit(1)) is not None:
        errors.add("email", DUPLICATE_CANDIDATE_EMAIL)


def _clean(values: dict[str, Any], errors: ErrorCollector) -> dict[str, Any]:
    cleaners = {
        "first_name": lambda v: clean_text(v, "first_name", max_length=100),
        "last_name": lambda v: clean_text(v, "last_name", max_length=100),
        "email": lambda v: clean_email(v, "email"),
        "phone": lambda v: clean_phone(v, "phone"),
        "presentation": lambda v: clean_text(
            v, "presentation", required=False, max_length=MAX_PRESENTATION, multiline=True
        ),
        "notify_frequency": lambda v: clean_enum(v, NotifyFrequency, "notify_frequency"),
    }
    cleaned: dict[str, Any] = {}
    for name, value in values.items():
        result = errors.run(cleaners[name], value)
        if not errors.has(name):
            cleaned[name] = result
    return cleaned


def create_candidate(
    session: Session,
    *,
    first_name: str,
    last_name: str,
    email: str,
    consent: bool,
    phone: str | None = None,
    notify_frequency: NotifyFrequency | str = NotifyFrequency.DAILY,
    now: datetime | None = None,
) -> Candidate:
    """Register a person who gave their consent; the consent time is recorded."""
    errors = ErrorCollector()
    values = _clean(
        {
            "first_name": first_name,
            "last_name": last_name,
            "email": email,
            "phone": phone,
            "notify_frequency": notify_frequency,
        },
        errors,
    )
    if consent is not True:
        errors.add("consent", CONSENT_REQUIRED)
    if values.get("email"):
        _check_email_free(session, values["email"], errors)
    errors.raise_if_any()
    stamp = now_or_utc(now)
    candidate = Candidate(**values, consent_at=stamp, created_at=stamp, last_activity_at=stamp)
    with unique_guard(session, "email", DUPLICATE_CANDIDATE_EMAIL):
        session.add(candidate)
    return candidate


def _check_not_anonymised(candidate: Candidate) -> None:
    if candidate.anonymised_at is not None:
        raise Conflict("Ce dossier a été anonymisé : il ne peut plus être modifié.")


def update_candidate(
    session: Session, candidate: Candidate | int, *, now: datetime | None = None, **changes: Any
) -> Candidate:
    """Change the person's names, e-mail, phone, presentation or notification preference."""
    candidate = load(session, Candidate, candidate, "Candidat")
    _check_not_anonymised(candidate)
    reject_unknown_fields(changes, _UPDATABLE)
    errors = ErrorCollector()
    values = _clean(changes, errors)
    if values.get("email") and values["email"] != candidate.email:
        _check_email_free(session, values["email"], errors, exclude_id=candidate.id)
    errors.raise_if_any()
    with unique_guard(session, "email", DUPLICATE_CANDIDATE_EMAIL):
        for key, value in values.items():
            setattr(candidate, key, value)
        candidate.last_activity_at = now_or_utc(now)
    return candidate


def set_notification_preference(
    session: Session,
    candidate: Candidate | int,
    frequency: NotifyFrequency | str,
    *,
    now: datetime | None = None,
) -> Candidate:
    """Choose how often the person gets mails of new suggestions (``never`` stops them)."""
    return update_candidate(session, candidate, notify_frequency=frequency, now=now)


def touch_candidate(
    session: Session, candidate: Candidate | int, *, now: datetime | None = None
) -> Candidate:
    """Record activity of the person (sign-in, answer): it restarts the retention clock."""
    candidate = load(session, Candidate, candidate, "Candidat")
    candidate.last_activity_at = now_or_utc(now)
    session.flush()
    return candidate
