"""Plumbing shared by the operations: loading by id or object, clocks, unique-key savepoints."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data.actor import Actor, Channel
from data.db import rows_changed
from data.errors import NotFound, PermissionDenied, ValidationError
from data.models import utcnow
from data.models.base import PARIS

__all__ = ["PARIS", "load", "now_or_utc", "local_today", "unique_guard", "update_if"]

M = TypeVar("M")


def load(session: Session, model: type[M], obj_or_id: M | int, what: str) -> M:
    """Return ``obj_or_id`` if it is already a ``model``; else load it by primary key or raise."""
    if isinstance(obj_or_id, model):
        return obj_or_id
    if isinstance(obj_or_id, bool) or not isinstance(obj_or_id, int):
        raise NotFound(what, obj_or_id)
    obj = session.get(model, obj_or_id)
    if obj is None:
        raise NotFound(what, obj_or_id)
    return obj


def is_platform(actor: Actor) -> bool:
    """Tell whether ``actor`` is the platform itself (the system, a job, the command line)."""
    return not actor.is_person and actor.channel in (Channel.SYSTEM, Channel.JOB, Channel.CLI)


def require_staff(actor: Actor, message: str) -> None:
    """Raise ``PermissionDenied(message)`` unless ``actor`` is staff or the platform itself."""
    if not (actor.is_staff or is_platform(actor)):
        raise PermissionDenied(message)


def now_or_utc(now: datetime | None) -> datetime:
    """Return ``now`` (timezone-aware) or the current UTC time."""
    if now is None:
        return utcnow()
    if now.tzinfo is None:
        raise ValueError("naive datetime given as now")
    return now


def local_today(now: datetime | None = None) -> date:
    """Return today's date in France."""
    return now_or_utc(now).astimezone(PARIS).date()


@contextmanager
def unique_guard(session: Session, field: str, message: str) -> Iterator[None]:
    """Run a block in a savepoint; a unique-key clash inside becomes a ``ValidationError``.

    The operations check duplicates beforehand with a query, for a clear message; this guard only
    covers the race where two requests insert the same key at once. The savepoint's rollback undoes
    the block's changes, so nothing is left half-written and the session stays usable.
    """
    try:
        with session.begin_nested():
            yield
            session.flush()
    except IntegrityError as exc:
        if _is_unique_violation(exc):
            raise ValidationError({field: [message]}) from None
        raise


def _is_unique_violation(exc: IntegrityError) -> bool:
    text = str(exc.orig).lower()
    return "unique" in text or "duplicate key" in text


def apply(obj: Any, values: dict[str, Any]) -> None:
    """Set attributes from a dict of already-validated values."""
    for key, value in values.items():
        setattr(obj, key, value)


def update_if(session: Session, obj: Any, *conditions: ColumnElement[bool], **values: Any) -> bool:
    """Write ``values`` to ``obj``'s row only while ``conditions`` hold; tell whether it did.

    The compare-and-set of every decision: one ``UPDATE ... WHERE id = :id AND <conditions>``
    checked by its row count, portable; on PostgreSQL the second of two concurrent writers waits
    for the first, then matches no row. ``obj`` is refreshed either way, so it shows what the
    database holds (after our write or another's).
    """
    model = type(obj)
    result = session.execute(
        update(model)
        .where(model.id == obj.id, *conditions)
        .values(**values)
        .execution_options(synchronize_session=False)
    )
    session.refresh(obj)
    return rows_changed(result) == 1
