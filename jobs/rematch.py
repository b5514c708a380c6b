"""Re-matching: run the engine again when what it reads changed, and fully every night.

The incremental run (every few minutes) compares the latest ``updated_at`` of what the engine
reads (offers, requests, employers' centres, training centres, programmes and sessions, housing
resources, maîtres d'apprentissage, and the audit log's last change of a housing resource) with
the watermark left by the last recomputation that committed (a platform setting): nothing
changed, nothing to do. If only offers and requests changed (at most ``ONE_BY_ONE`` of them),
they are re-matched one by one (:func:`data.incremental.rematch_changed`: the lists they touch,
in milliseconds each); else, or without a watermark, everything is. The pages re-match what
they change as they commit (:func:`data.incremental.rematch_on_commit`): this run then finds
the lists already up to date, and catches what a page left to it. The nightly run recomputes
whatever the watermark says (the engine or its reference data may have changed): the reference
the incremental updates must equal (``tests/data/test_incremental.py``). Both keep the history
of decisions: an approved or rejected pair is never proposed again as new.

The engine runs on what a read-only transaction read (:func:`data.db.read_session`); its pairs are
then written in a short transaction of their own, so that on SQLite the write lock is not held
while the engine computes (pages and other jobs would wait for it).
"""

from __future__ import annotations

import logging
from datetime import datetime
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session, sessionmaker

from data.db import read_session
from data.incremental import rematch_changed
from data.mail import Mailer
from data.models import (
    ApprenticeshipMaster,
    AuditEntry,
    Employer,
    HousingResource,
    Offer,
    Request,
    TrainingCentre,
    TrainingProgramme,
    TrainingSession,
)
from data.models.mail import PlatformSetting
from data.recompute import apply_plan, plan_suggestions, take_turn
from jobs.common import clock

__all__ = ["rematch", "WATERMARK_KEY", "TOP_K"]

log = logging.getLogger("jobs.rematch")

WATERMARK_KEY = "rematch.watermark"
#: Suggestions kept per request and per offer.
TOP_K = 20


#: What the engine reads: offers, requests, the centres an employer works with, training centres
#: with their programmes and sessions (a deletion moves its centre's or its employer's stamp),
#: housing resources, maîtres d'apprentissage (their apprentices declared; a master removed
#: moves the stamps of the offers that named them).
_WATCHED = (
    ApprenticeshipMaster.updated_at,
    Offer.updated_at,
    Request.updated_at,
    Employer.updated_at,
    TrainingCentre.updated_at,
    TrainingProgramme.updated_at,
    TrainingSession.updated_at,
    HousingResource.updated_at,
)


#: What the incremental run re-matches one by one (:mod:`data.incremental`); a change to
#: anything else the engine reads calls for a full recomputation.
_ONE_BY_ONE = (Offer.updated_at, Request.updated_at)
#: The most changed offers and requests re-matched one by one; past it, a full recomputation
#: (an import of many offers: one run of the engine costs less than many small ones).
ONE_BY_ONE = 300


#: Changes to what the engine reads that leave no row to stamp: a housing resource deleted (a
#: partner's has no structure or centre whose stamp could move), read from the audit log.
_AUDITED = ("housing_resource",)


def _latest_changes(session: Session) -> dict[Any, datetime | None]:
    """The latest stamp of each watched column, and of the audited changes (key ``"audit"``)."""
    latest: dict[Any, datetime | None] = {
        column: session.scalar(select(func.max(column))) for column in _WATCHED
    }
    latest["audit"] = session.scalar(
        select(func.max(AuditEntry.at)).where(AuditEntry.object_type.in_(_AUDITED))
    )
    return latest


def _read_watermark(session: Session) -> datetime | None:
    row = session.get(PlatformSetting, WATERMARK_KEY)
    if row is None or not isinstance(row.value, str):
        return None
    try:
        return datetime.fromisoformat(row.value)
    except ValueError:
        return None


def _write_watermark(session: Session, latest: datetime | None, now: datetime) -> None:
    row = session.get(PlatformSetting, WATERMARK_KEY)
    value = latest.isoformat() if latest is not None else None
    if row is None:
        session.add(PlatformSetting(key=WATERMARK_KEY, value=value, updated_at=now))
    else:
        row.value = value
        row.updated_at = now


def _changed_since(
    session: Session, latest: dict[Any, datetime | None], mark: datetime
) -> tuple[list[int], list[int]] | None:
    """The offers and requests changed since ``mark``, if nothing else the engine reads did
    (``latest``: :func:`_latest_changes`) and they are few enough to re-match one by one; None
    when a full recomputation is due."""
    if any(t is not None and t > mark for c, t in latest.items() if c not in _ONE_BY_ONE):
        return None
    changed: list[list[int]] = []
    for column in _ONE_BY_ONE:
        model = column.class_
        stmt = select(model.id).where(column > mark).order_by(model.id).limit(ONE_BY_ONE + 1)
        changed.append(list(session.scalars(stmt)))
    offers, requests = changed
    if len(offers) + len(requests) > ONE_BY_ONE:
        return None
    return offers, requests


def rematch(
    session_factory: sessionmaker[Session],
    mailer: Mailer,
    now: datetime | None = None,
    *,
    full: bool = False,
) -> dict[str, Any]:
    """Re-match what changed since the last time: the changed offers and requests one by one
    when only they changed (:mod:`data.incremental`), else everything; everything if ``full``."""
    at = clock(now)
    with read_session(session_factory) as s:
        stamps = _latest_changes(s)
        known = [t for t in stamps.values() if t is not None]
        latest = max(known) if known else None
        mark = _read_watermark(s)
        if not full and mark is not None and (latest is None or latest <= mark):
            return {"skipped": 1}
        changed = None if full or mark is None else _changed_since(s, stamps, mark)
        plan = plan_suggestions(s, top_k=TOP_K) if changed is None else None
    if plan is None:
        assert changed is not None
        with session_factory.begin() as s:
            take_turn(s)
            one_by_one = rematch_changed(
                s, offers=changed[0], requests=changed[1], top_k=TOP_K, now=at
            )
            _write_watermark(s, latest, at)
        log.info("rematch, one by one: %s", one_by_one.counts())
        return one_by_one.counts()
    with session_factory.begin() as s:
        report = apply_plan(s, plan, now=at)
        # What changed after ``latest`` was read is caught by the next run.
        _write_watermark(s, latest, at)
    counts: dict[str, Any] = {
        "created": report.created,
        "updated": report.updated,
        "staled": report.staled,
        "requests": report.requests,
        "offers": report.offers,
    }
    log.info("rematch: %s", counts)
    return counts
