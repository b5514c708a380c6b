"""The mallette's use cases: write, change, publish a resource; keep the search index; visits.

Coordinators and admins (and the platform itself: the demo, a command) write and publish; anyone
else is refused. Values come as typed on a form: the category a code, the audiences and métiers
lists of codes (or a text split on ``,`` ``;``), the date ``JJ/MM/AAAA`` or ``AAAA-MM-JJ``, the
link an ``http(s)`` address. Every rule answers a French message keyed by the field's name; a
refused call leaves nothing written (each one runs in a savepoint); each change is audited.
Each change of the title, summary or body keeps the new text as a version with its author, and
every write refreshes the resource's entry in the search index of its engine
(:func:`reindex`).
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date, datetime
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from sqlalchemy import text
from sqlalchemy.orm import Session

from data.actor import Actor, Channel
from data.errors import PermissionDenied, ValidationError
from data.models import (
    SQLITE_FTS_TABLE,
    LibraryAudience,
    LibraryCategory,
    LibraryResource,
    LibraryResourceAudience,
    LibraryResourceMetier,
    LibraryResourceVersion,
    LibraryVisit,
    Metier,
)

from . import audit
from ._common import load, now_or_utc
from .cv import discard_pdf_file, pdf_fault, stored_pdf, write_pdf_file
from .validation import ErrorCollector, FieldCleaner, clean_by_rules, clean_date, clean_enum
from .validation import clean_text as _text

__all__ = [
    "LIBRARY_FIELDS",
    "MAX_BODY",
    "MAX_LINK",
    "MAX_SOURCE",
    "MAX_SUMMARY",
    "MAX_TITLE",
    "STAFF_ONLY",
    "MAX_PDF_BYTES",
    "PDF_FIELD",
    "create_resource",
    "delete_pdf",
    "pdf_path",
    "save_pdf",
    "record_visit",
    "reindex",
    "set_published",
    "update_resource",
]

MAX_TITLE = 200
MAX_SUMMARY = 600
MAX_BODY = 20_000
MAX_LINK = 500
MAX_SOURCE = 300
EARLIEST_DATE = date(2000, 1, 1)
LATEST_DATE = date(2100, 12, 31)

#: The largest PDF attached to a resource: « 2 Mo » (the request limit leaves room around it).
MAX_PDF_BYTES = 2_000_000
#: The field the messages on the PDF are attached to.
PDF_FIELD = "pdf"
PDF_MESSAGES = {
    "empty": "Le fichier envoyé est vide : choisissez un document PDF.",
    "too_big": "Le document dépasse 2 Mo : réduisez-le (moins de pages, images allégées).",
    "not_pdf": "Ce fichier n'est pas un PDF : enregistrez le document au format PDF.",
    "broken": "Ce PDF semble abîmé ou incomplet : enregistrez-le de nouveau, puis envoyez-le.",
}

STAFF_ONLY = "Seule l'équipe de coordination écrit et publie les ressources de la mallette."

#: The fields a resource takes, in the order of the form.
LIBRARY_FIELDS = (
    "title",
    "summary",
    "body",
    "link",
    "category",
    "audiences",
    "metiers",
    "source",
    "up_to_date_on",
    "published",
)
#: The fields whose change makes a new version.
VERSIONED = ("title", "summary", "body")

_SPLIT_RE = re.compile(r"[;,\n]")


def _items(value: object, field: str) -> list[object]:
    if value is None:
        return []
    if isinstance(value, str):
        return [p.strip() for p in _SPLIT_RE.split(value) if p.strip()]
    if isinstance(value, list | tuple):
        return list(value)
    raise ValidationError({field: ["Liste attendue."]})


def clean_audiences(value: object, field: str = "audiences") -> list[LibraryAudience]:
    """Return the audiences named, each once, in the enum's order; at least one.

    >>> clean_audiences("candidates, employers")
    [<LibraryAudience.EMPLOYERS: 'employers'>, <LibraryAudience.CANDIDATES: 'candidates'>]
    """
    found = {clean_enum(item, LibraryAudience, field) for item in _items(value, field)}
    if not found:
        raise ValidationError({field: ["Choisissez au moins un public."]})
    return [a for a in LibraryAudience if a in found]


def clean_metiers(session: Session, value: object, field: str = "metiers") -> list[str]:
    """Return the codes of the métiers named (codes of the referential), each once, sorted."""
    codes: set[str] = set()
    for item in _items(value, field):
        if not isinstance(item, str) or session.get(Metier, item.strip()[:64]) is None:
            raise ValidationError({field: ["Métier inconnu du référentiel."]})
        codes.add(item.strip())
    return sorted(codes)


def clean_link(value: object, field: str = "link") -> str | None:
    """Return an outside address (``http`` or ``https``), or ``None`` when empty.

    >>> clean_link(" https://www.service-public.fr/ "), clean_link("")
    ('https://www.service-public.fr/', None)
    """
    link = _text(value, field, required=False, max_length=MAX_LINK)
    if link is None:
        return None
    parts = urlsplit(link)
    if parts.scheme not in ("http", "https") or not parts.netloc or " " in link:
        raise ValidationError({field: ["Adresse web attendue, commençant par https://."]})
    return link


def _flag(value: object, field: str) -> bool:
    if isinstance(value, bool):
        return value
    raise ValidationError({field: ["Valeur oui ou non attendue."]})


#: How each field is checked: its cleaner (which the session may feed), then the attribute.
LIBRARY_RULES: dict[str, tuple[FieldCleaner, str]] = {
    "title": (lambda s, v, f: _text(v, f, max_length=MAX_TITLE), "title"),
    "summary": (
        lambda s, v, f: _text(v, f, max_length=MAX_SUMMARY, multiline=True),
        "summary",
    ),
    "body": (
        lambda s, v, f: _text(v, f, required=False, max_length=MAX_BODY, multiline=True) or "",
        "body",
    ),
    "link": (lambda s, v, f: clean_link(v, f), "link"),
    "category": (
        lambda s, v, f: clean_enum(v.strip() if isinstance(v, str) else v, LibraryCategory, f),
        "category",
    ),
    "audiences": (lambda s, v, f: clean_audiences(v, f), "audiences"),
    "metiers": (clean_metiers, "metiers"),
    "source": (lambda s, v, f: _text(v, f, required=False, max_length=MAX_SOURCE), "source"),
    "up_to_date_on": (
        lambda s, v, f: clean_date(
            v, f, required=True, min_value=EARLIEST_DATE, max_value=LATEST_DATE
        ),
        "up_to_date_on",
    ),
    "published": (lambda s, v, f: _flag(v, f), "published"),
}
_REQUIRED = ("title", "summary", "category", "audiences", "up_to_date_on")
_DEFAULTS: dict[str, Any] = {"body": "", "metiers": [], "published": False}


def _may_write(actor: Actor) -> None:
    """Let staff and the platform through; refuse anyone else."""
    platform = not actor.is_person and actor.channel in (Channel.SYSTEM, Channel.JOB, Channel.CLI)
    if not (actor.is_staff or platform):
        raise PermissionDenied(STAFF_ONLY)


def _assign(
    resource: LibraryResource, cleaned: Mapping[str, Any], actor: Actor, now: datetime
) -> None:
    for attribute, value in cleaned.items():
        if attribute == "audiences":
            resource.audience_rows[:] = [LibraryResourceAudience(audience=a) for a in value]
        elif attribute == "metiers":
            resource.metier_rows[:] = [LibraryResourceMetier(metier_code=c) for c in value]
        elif attribute == "published":
            if value and not resource.published:
                resource.published_at = now
            resource.published = value
        else:
            setattr(resource, attribute, value)
    resource.updated_at = now
    resource.updated_by_id = actor.user_id


def _version(resource: LibraryResource, actor: Actor, now: datetime) -> None:
    # Newest first, as the relationship loads them.
    resource.versions.insert(
        0,
        LibraryResourceVersion(
            title=resource.title,
            summary=resource.summary,
            body=resource.body,
            author_id=actor.user_id,
            created_at=now,
        ),
    )


def reindex(session: Session, resource: LibraryResource) -> None:
    """Refresh the resource's entry in the search index of the session's engine.

    PostgreSQL: ``search_vector``, the French ``tsvector`` of the unaccented title (weight A),
    summary (B) and body (C). SQLite: the row of the FTS5 table whose rowid is the resource's.
    """
    params = {"id": resource.id, "t": resource.title, "s": resource.summary, "b": resource.body}
    if session.get_bind().dialect.name == "postgresql":
        session.execute(
            text(
                "UPDATE library_resources SET search_vector ="
                " setweight(to_tsvector('french', unaccent(:t)), 'A')"
                " || setweight(to_tsvector('french', unaccent(:s)), 'B')"
                " || setweight(to_tsvector('french', unaccent(:b)), 'C')"
                " WHERE id = :id"
            ),
            params,
        )
        return
    session.execute(text(f"DELETE FROM {SQLITE_FTS_TABLE} WHERE rowid = :id"), {"id": resource.id})
    session.execute(
        text(
            f"INSERT INTO {SQLITE_FTS_TABLE} (rowid, title, summary, body) VALUES (:id, :t, :s, :b)"
        ),
        params,
    )


def _details(values: Mapping[str, Any]) -> dict[str, Any]:
    return {"fields": sorted(values)}


def create_resource(
    session: Session, actor: Actor, *, now: datetime | None = None, **values: Any
) -> LibraryResource:
    """Create a resource from the fields of :data:`LIBRARY_FIELDS`; its first version too."""
    _may_write(actor)
    moment = now_or_utc(now)
    errors = ErrorCollector()
    cleaned = clean_by_rules(
        session, LIBRARY_RULES, values, errors, new=True, required=_REQUIRED, defaults=_DEFAULTS
    )
    errors.raise_if_any()
    with session.begin_nested():
        resource = LibraryResource(created_at=moment, created_by_id=actor.user_id)
        _assign(resource, cleaned, actor, moment)
        _version(resource, actor, moment)
        session.add(resource)
        session.flush()
        reindex(session, resource)
    audit.record(
        session,
        actor,
        "create_library_resource",
        "library_resource",
        resource.id,
        {"title": resource.title},
        now=moment,
    )
    return resource


def update_resource(
    session: Session,
    actor: Actor,
    resource: LibraryResource | int,
    *,
    now: datetime | None = None,
    **changes: Any,
) -> LibraryResource:
    """Change fields of a resource (those given only); a changed text makes a new version."""
    _may_write(actor)
    found = load(session, LibraryResource, resource, "Ressource")
    moment = now_or_utc(now)
    errors = ErrorCollector()
    cleaned = clean_by_rules(session, LIBRARY_RULES, changes, errors, new=False)
    errors.raise_if_any()
    changed_text = any(n in cleaned and cleaned[n] != getattr(found, n) for n in VERSIONED)
    with session.begin_nested():
        _assign(found, cleaned, actor, moment)
        if changed_text:
            _version(found, actor, moment)
        session.flush()
        reindex(session, found)
    audit.record(
        session,
        actor,
        "update_library_resource",
        "library_resource",
        found.id,
        _details(changes),
        now=moment,
    )
    return found


def set_published(
    session: Session,
    actor: Actor,
    resource: LibraryResource | int,
    published: bool,
    *,
    now: datetime | None = None,
) -> LibraryResource:
    """Publish a resource (readers of its audiences then see it) or withdraw it."""
    return update_resource(session, actor, resource, published=published, now=now)


def record_visit(session: Session, user_id: int, *, now: datetime | None = None) -> datetime | None:
    """Note that a signed-in person opens the mallette; return their previous visit (or None)."""
    moment = now_or_utc(now)
    visit = session.get(LibraryVisit, user_id)
    if visit is None:
        session.add(LibraryVisit(user_id=user_id, visited_at=moment))
        session.flush()
        return None
    previous = visit.visited_at
    visit.visited_at = moment
    session.flush()
    return previous


def pdf_path(resource: LibraryResource, folder: str | Path) -> Path | None:
    """Return the resource's attached PDF if it is on disk, else None."""
    return stored_pdf(resource.pdf_file, folder)


def save_pdf(
    session: Session,
    actor: Actor,
    resource: LibraryResource | int,
    content: bytes,
    folder: str | Path,
    *,
    filename: str | None = None,
    now: datetime | None = None,
) -> LibraryResource:
    """Attach (or replace) the resource's PDF after checking its content (magic bytes and
    trailer, size); flushes; the old file goes. A refused file writes nothing (field ``pdf``)."""
    _may_write(actor)
    found = load(session, LibraryResource, resource, "Ressource")
    if filename is not None and not filename.lower().endswith(".pdf"):
        raise ValidationError({PDF_FIELD: [PDF_MESSAGES["not_pdf"]]})
    fault = pdf_fault(content, MAX_PDF_BYTES)
    if fault is not None:
        raise ValidationError({PDF_FIELD: [PDF_MESSAGES[fault]]})
    moment = now_or_utc(now)
    name = write_pdf_file(content, Path(folder))
    old = found.pdf_file
    try:
        with session.begin_nested():
            found.pdf_file, found.pdf_size = name, len(content)
            found.updated_at, found.updated_by_id = moment, actor.user_id
            session.flush()
    except BaseException:
        discard_pdf_file(name, folder)
        raise
    discard_pdf_file(old, folder)
    audit.record(
        session,
        actor,
        "attach_library_pdf",
        "library_resource",
        found.id,
        {"size": len(content)},
        now=moment,
    )
    return found


def delete_pdf(
    session: Session, actor: Actor, resource: LibraryResource | int, folder: str | Path
) -> bool:
    """Remove the resource's PDF (row and file); flushes; return whether there was one."""
    _may_write(actor)
    found = load(session, LibraryResource, resource, "Ressource")
    old = found.pdf_file
    if old is None:
        return False
    found.pdf_file, found.pdf_size = None, None
    session.flush()
    discard_pdf_file(old, folder)
    audit.record(session, actor, "remove_library_pdf", "library_resource", found.id)
    return True
