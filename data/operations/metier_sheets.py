"""Métier sheets: coordinators edit a sheet and restore an older version (issue 18).

Every save adds a :class:`~data.models.MetierSheetVersion` (body, sources, author, date) and
makes it the sheet's current text; a restore is a new version that copies an old one, so the
history only ever grows. Both are staff-only and audited (object ``metier_sheet``).
"""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import NotFound, ValidationError
from data.models import (
    MAX_SHEET_BODY,
    MAX_SHEET_SOURCES,
    Metier,
    MetierSheet,
    MetierSheetVersion,
)

from . import audit
from ._common import now_or_utc, require_staff
from .validation import ErrorCollector, clean_text

__all__ = [
    "EDIT_ACTION",
    "RESTORE_ACTION",
    "STAFF_ONLY",
    "restore_version",
    "save_sheet",
    "sheet_of",
]

EDIT_ACTION = "edit_metier_sheet"
RESTORE_ACTION = "restore_metier_sheet"
STAFF_ONLY = "Seule l'équipe de coordination modifie les fiches métiers."
UNCHANGED = "Le texte et les sources sont inchangés : rien à enregistrer."
SAME_AS_CURRENT = "Cette version est déjà le texte de la fiche : rien à rétablir."


def _staff(actor: Actor) -> None:
    require_staff(actor, STAFF_ONLY)


def sheet_of(session: Session, metier_code: str) -> MetierSheet | None:
    """Return the sheet of a métier, or ``None`` when it has none yet."""
    return session.scalar(select(MetierSheet).where(MetierSheet.metier_code == metier_code))


def _new_version(
    session: Session,
    actor: Actor,
    sheet: MetierSheet,
    body: str,
    sources: str,
    at: datetime,
    restored_from: int | None = None,
) -> MetierSheetVersion:
    sheet.body, sheet.sources = body, sources
    sheet.updated_at, sheet.updated_by_id = at, actor.user_id
    version = MetierSheetVersion(
        sheet=sheet,
        body=body,
        sources=sources,
        author_id=actor.user_id,
        created_at=at,
        restored_from_id=restored_from,
    )
    session.add(version)
    session.flush()
    return version


def save_sheet(
    session: Session,
    actor: Actor,
    metier_code: str,
    body: object,
    sources: object = "",
    *,
    now: datetime | None = None,
) -> MetierSheetVersion:
    """Save a new text of a métier's sheet (creating the sheet the first time); staff only.

    The body (Markdown) is required, the sources optional; both keep their line breaks. A save
    that changes nothing is refused, so that the history holds only real edits.
    """
    _staff(actor)
    metier = session.get(Metier, metier_code) if isinstance(metier_code, str) else None
    if metier is None:
        raise NotFound("métier", metier_code)
    errors = ErrorCollector()
    text = errors.run(clean_text, body, "body", max_length=MAX_SHEET_BODY, multiline=True)
    cited = errors.run(
        clean_text,
        sources,
        "sources",
        required=False,
        max_length=MAX_SHEET_SOURCES,
        multiline=True,
    )
    errors.raise_if_any()
    assert text is not None
    sheet = sheet_of(session, metier.code)
    if sheet is None:
        sheet = MetierSheet(metier_code=metier.code, body="", sources="")
        session.add(sheet)
    elif sheet.body == text and sheet.sources == (cited or ""):
        errors.add("body", UNCHANGED)
        errors.raise_if_any()
    version = _new_version(session, actor, sheet, text, cited or "", now_or_utc(now))
    audit.record(
        session,
        actor,
        EDIT_ACTION,
        "metier_sheet",
        sheet.id,
        {"metier": metier.code, "version": version.id},
        now=now,
    )
    return version


def restore_version(
    session: Session, actor: Actor, version_id: int, *, now: datetime | None = None
) -> MetierSheetVersion:
    """Make an old version the sheet's text again, as a new version that copies it; staff only.

    A version whose text is already the sheet's is refused (the history holds real changes).
    """
    _staff(actor)
    old = session.get(MetierSheetVersion, version_id) if isinstance(version_id, int) else None
    if old is None:
        raise NotFound("version de fiche métier", version_id)
    sheet = old.sheet
    if (sheet.body, sheet.sources) == (old.body, old.sources):
        raise ValidationError({"version": [SAME_AS_CURRENT]})
    version = _new_version(
        session, actor, sheet, old.body, old.sources, now_or_utc(now), restored_from=old.id
    )
    audit.record(
        session,
        actor,
        RESTORE_ACTION,
        "metier_sheet",
        sheet.id,
        {"metier": sheet.metier_code, "version": version.id, "restored_from": old.id},
        now=now,
    )
    return version
