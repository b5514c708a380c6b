"""The audit log: changes to suggestions and coordinators' views of personal data."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.models import AuditEntry

from ._common import now_or_utc

__all__ = [
    "ACCESS_ACTION",
    "API",
    "CANDIDATE",
    "EMPLOYER",
    "PAGE",
    "log_access",
    "record",
    "entries_for",
]

ACCESS_ACTION = "view_personal_data"
# The object types of access lines, so that an export can find a person's.
CANDIDATE = "candidate"
EMPLOYER = "employer"


def record(
    session: Session,
    actor: Actor,
    action: str,
    object_type: str,
    object_id: int | None,
    details: dict[str, Any] | None = None,
    *,
    now: datetime | None = None,
) -> AuditEntry:
    """Write one audit line: the user in ``actor_id``, the channel in ``details`` (see Actor)."""
    entry = AuditEntry(
        at=now_or_utc(now),
        actor_id=actor.user_id,
        action=action,
        object_type=object_type,
        object_id=object_id,
        details={**(details or {}), **actor.audit_details()},
    )
    session.add(entry)
    session.flush()
    return entry


#: Where a consultation came from: a page of the site, or the JSON API (with a token).
PAGE = "page"
API = "api"


def log_access(
    session: Session,
    actor: Actor,
    object_type: str,
    object_id: int | None,
    fields: Iterable[str],
    *,
    now: datetime | None = None,
) -> AuditEntry:
    """Record that ``actor`` viewed these personal fields of an object (the one place for it).

    The actor says who looked (a coordinator, an employer's staff) and how: through the API, its
    token's id and role go to the line's details (``Actor.audit_details``), so that the person's
    export says who consulted their data and how.
    """
    return record(
        session,
        actor,
        ACCESS_ACTION,
        object_type,
        object_id,
        {"fields": sorted(set(fields))},
        now=now,
    )


def entries_for_many(
    session: Session, object_type: str, object_ids: Sequence[int]
) -> dict[int, list[AuditEntry]]:
    """Return the audit lines about each of several objects, oldest first, in one query."""
    found: dict[int, list[AuditEntry]] = {i: [] for i in object_ids}
    if object_ids:
        stmt = (
            select(AuditEntry)
            .where(AuditEntry.object_type == object_type, AuditEntry.object_id.in_(object_ids))
            .order_by(AuditEntry.at, AuditEntry.id)
        )
        for entry in session.scalars(stmt):
            found[entry.object_id].append(entry)  # type: ignore[index]
    return found


def entries_for(session: Session, object_type: str, object_id: int) -> list[AuditEntry]:
    """Return the audit lines about one object, oldest first."""
    stmt = (
        select(AuditEntry)
        .where(AuditEntry.object_type == object_type, AuditEntry.object_id == object_id)
        .order_by(AuditEntry.at, AuditEntry.id)
    )
    return list(session.scalars(stmt))
