"""Re-matching: run the engine again when what it reads changed, and fully every night.

The incremental run (every few minutes) compares the latest ``updated_at`` of what the engine
reads (offers, requests, employers' centres, training centres, programmes and sessions, housing
resources, maîtres d'apprentissage, and the audit log's last change of a housing resource) with
the watermark left by the last recomputation that committed (a platform setting): nothing
changed, nothing to do. The nightly run recomputes whatever the watermark says (the engine or
its reference data may have changed). :func:`data.recompute.recompute_suggestions` keeps the
history of decisions: an approved or rejected pair is never proposed again as new.

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
from data.recompute import apply_plan, plan_suggestions
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


#: Changes to what the engine reads that leave no row to stamp: a housing resource deleted (a
#: partner's has no structure or centre whose stamp could move), read from the audit log.
_AUDITED = ("housing_resource",)


def _latest_change(session: Session) -> datetime | None:
    latest = [session.scalar(select(func.max(column))) for column in _WATCHED]
    latest.append(
        session.scalar(select(func.max(AuditEntry.at)).where(AuditEntry.object_type.in_(_AUDITED)))
    )
    stamps = [t for t in latest if t is not None]
    return max(stamps) if stamps else None


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


def rematch(
    session_factory: sessionmaker[Session],
    mailer: Mailer,
    now: datetime | None = None,
    *,
    full: bool = False,
) -> dict[str, Any]:
    """Recompute the suggestions if anything changed since the last time (always if ``full``)."""
    at = clock(now)
    with read_session(session_factory) as s:
        latest = _latest_change(s)
        mark = _read_watermark(s)
        if not full and mark is not None and (latest is None or latest <= mark):
            return {"skipped": 1}
        plan = plan_suggestions(s, top_k=TOP_K)
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
