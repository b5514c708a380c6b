"""The record of job runs: each run of a scheduled job, what it did, and how it ended."""

from __future__ import annotations

import os
import secrets
import smtplib
import socket
from collections.abc import Callable, Mapping
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session

from data.db import rows_changed
from data.mailer import PermanentFailure, TransportError
from data.models import utcnow
from data.models.mail import JobRun, JobRunStatus

__all__ = [
    "start_run",
    "finish_run",
    "recent_job_runs",
    "did_work",
    "notable_runs",
    "last_runs",
    "last_success",
    "close_abandoned_runs",
    "process_alive",
    "failure_message",
    "new_error_id",
    "DB_BUSY",
    "DB_UNREACHABLE",
    "MAIL_UNREACHABLE",
    "UNEXPECTED",
    "INTERRUPTED",
    "DEFAULT_INTERVALS",
    "interval_of",
]


#: Default period of the jobs that run at an interval (the others run at cron times, declared in
#: ``jobs.registry``). Pages read them too: "suggestions are recomputed every 5 minutes".
DEFAULT_INTERVALS: dict[str, dict[str, int]] = {
    "sender": {"minutes": 1},
    "rematch": {"minutes": 5},
    "contacts": {"minutes": 5},
    "digests_immediate": {"minutes": 10},
    "discovery": {"minutes": 10},
}


def schedule_override(config: Mapping[str, Any], job: str) -> dict[str, int] | None:
    """Return the interval that the ``JOB_SCHEDULE`` setting gives ``job``, if any."""
    overrides = config.get("JOB_SCHEDULE") or {}
    value = overrides.get(job) if isinstance(overrides, Mapping) else None
    if value is None:
        return None
    if (
        not isinstance(value, Mapping)
        or not value
        or not all(
            k in ("weeks", "days", "hours", "minutes", "seconds")
            and isinstance(v, int | float)
            and v > 0
            for k, v in value.items()
        )
    ):
        raise ValueError(f"JOB_SCHEDULE[{job!r}] must be like {{'seconds': 10}}, not {value!r}")
    return dict(value)


def interval_of(config: Mapping[str, Any], job: str) -> timedelta | None:
    """Return how often ``job`` runs under ``config`` (None for a job run at cron times).

    >>> interval_of({}, "rematch")
    datetime.timedelta(seconds=300)
    >>> interval_of({"JOB_SCHEDULE": {"rematch": {"seconds": 10}}}, "rematch")
    datetime.timedelta(seconds=10)
    >>> interval_of({}, "retention") is None
    True
    """
    schedule = schedule_override(config, job) or DEFAULT_INTERVALS.get(job)
    return timedelta(**schedule) if schedule else None


#: What coordinators read about a failed run: one sentence per kind of failure (details: the log).
DB_BUSY = "La base de données était occupée."
DB_UNREACHABLE = "La base de données ne répondait pas."
MAIL_UNREACHABLE = "Le serveur de messagerie ne répond pas."
UNEXPECTED = "Erreur inattendue."
INTERRUPTED = "Le processus s'est arrêté avant la fin."

#: Words of a database's answer that mean "busy, try again" (SQLite locks, PostgreSQL
#: lock timeouts, deadlocks and serialisation failures).
_BUSY_WORDS = ("database is locked", "database is busy", "lock timeout", "deadlock", "serializ")
#: Words that mean the database could not be reached (lost connection, server stopping).
_DOWN_WORDS = ("connect", "server closed", "terminating", "shutting down", "unable to open")


def failure_message(exc: BaseException) -> str:
    """Return the French sentence that tells coordinators what kind of failure ``exc`` is.

    >>> failure_message(ConnectionRefusedError())
    'Le serveur de messagerie ne répond pas.'
    >>> failure_message(KeyError("x"))
    'Erreur inattendue.'
    """
    seen: set[int] = set()
    current: BaseException | None = exc
    while current is not None and id(current) not in seen:
        seen.add(id(current))
        if isinstance(current, DBAPIError):
            text = str(current.orig).lower()
            if any(word in text for word in _BUSY_WORDS):
                return DB_BUSY
            if current.connection_invalidated or any(word in text for word in _DOWN_WORDS):
                return DB_UNREACHABLE
            return UNEXPECTED
        if isinstance(current, DisconnectionError):
            return DB_UNREACHABLE
        if isinstance(current, PermanentFailure):
            return UNEXPECTED
        if isinstance(
            current, TransportError | smtplib.SMTPException | ConnectionError | TimeoutError
        ):
            return MAIL_UNREACHABLE
        current = current.__cause__ or current.__context__
    return UNEXPECTED


def new_error_id() -> str:
    """Return a fresh error id (8 hex digits): on the page and in the log line with the details."""
    return secrets.token_hex(4)


def start_run(
    session: Session, job: str, *, now: datetime | None = None, trigger: str = "scheduler"
) -> JobRun:
    """Record that ``job`` starts now in this process; flushes only (commit it to show it)."""
    run = JobRun(
        job=job,
        started_at=now or utcnow(),
        status=JobRunStatus.RUNNING,
        trigger=trigger,
        pid=os.getpid(),
        host=socket.gethostname()[:255],
    )
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session,
    run: JobRun,
    *,
    counts: dict[str, Any] | None = None,
    error: str | None = None,
    error_id: str | None = None,
    interrupted: bool = False,
    now: datetime | None = None,
) -> JobRun:
    """Record how a run ended (success unless ``error``, a sentence for people); flushes only.

    ``interrupted``: the process was told to stop (Ctrl-C) in the middle of the work.
    """
    run.finished_at = now or utcnow()
    run.counts = dict(counts or {})
    run.error = INTERRUPTED if interrupted else error
    run.error_id = error_id if error else None
    if interrupted:
        run.status = JobRunStatus.INTERRUPTED
    else:
        run.status = JobRunStatus.FAILED if error else JobRunStatus.SUCCESS
    session.flush()
    return run


def recent_job_runs(session: Session, limit: int = 50, job: str | None = None) -> list[JobRun]:
    """Return the latest runs, newest first (all jobs, or one)."""
    stmt = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if job is not None:
        stmt = stmt.where(JobRun.job == job)
    return list(session.scalars(stmt))


def last_runs(session: Session, status: JobRunStatus | None = None) -> dict[str, JobRun]:
    """Return the latest run of each job that ever ran (with ``status``: of that status), by
    job name."""
    latest = select(JobRun.job, func.max(JobRun.id).label("id")).group_by(JobRun.job)
    if status is not None:
        latest = latest.where(JobRun.status == status)
    found = latest.subquery()
    runs = session.scalars(select(JobRun).join(found, JobRun.id == found.c.id))
    return {run.job: run for run in runs}


#: Counts that say how a run went or what it read, not what it did: a run with only these
#: did nothing (the discovery job reads every open day each time).
_NOT_WORK = frozenset(
    {"seconds", "skipped", "requests", "offers", "discovery_days", "discovery_wishes"}
)


def did_work(counts: Mapping[str, Any] | None) -> bool:
    """Tell whether a job run's counts say it did something (sent, wrote, erased, retried...).

    >>> did_work({"sent": 0, "skipped": 1, "seconds": 0.2}), did_work({"retried": 2})
    (False, True)
    >>> did_work({"discovery_days": 3, "discovery_wishes": 1})
    False
    """
    return any(v for k, v in (counts or {}).items() if k not in _NOT_WORK)


def notable_runs(session: Session, limit: int = 30, scan: int = 1000) -> list[JobRun]:
    """Return the latest runs that did something or did not succeed, newest first, among the
    ``scan`` latest (a frequent job with nothing to do, the sender every minute, would hide
    the others)."""
    return [
        run
        for run in recent_job_runs(session, limit=scan)
        if run.status != JobRunStatus.SUCCESS or did_work(run.counts)
    ][:limit]


def last_success(session: Session, job: str) -> JobRun | None:
    """Return the latest successful run of ``job``, if any."""
    return session.scalar(
        select(JobRun)
        .where(JobRun.job == job, JobRun.status == JobRunStatus.SUCCESS)
        .order_by(JobRun.started_at.desc(), JobRun.id.desc())
        .limit(1)
    )


def process_alive(pid: int) -> bool:
    """Tell whether a process of this machine with this id exists (another user's counts)."""
    if pid <= 0:
        return False
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        return True
    return True


def close_abandoned_runs(
    session: Session,
    *,
    now: datetime | None = None,
    scheduler: bool = True,
    alive: Callable[[int], bool] = process_alive,
) -> int:
    """Mark as interrupted the runs still "running" whose process is gone; return how many.

    A run is known abandoned when its process, on this machine, no longer exists (or is this
    process, which runs nothing yet when it calls this). With ``scheduler`` (the one active
    scheduler, when it starts), every scheduler run still "running" is abandoned too: only one
    scheduler runs at a time. A manual run on another machine is left alone: it may be going on.
    """
    host = socket.gethostname()[:255]
    candidates = session.execute(
        select(JobRun.id, JobRun.pid, JobRun.host, JobRun.trigger).where(
            JobRun.status == JobRunStatus.RUNNING
        )
    ).all()
    me = os.getpid()
    ids = [
        run_id
        for run_id, pid, run_host, trigger in candidates
        if (scheduler and trigger == "scheduler")
        or (pid is not None and run_host == host and (pid == me or not alive(pid)))
    ]
    if not ids:
        return 0
    result = session.execute(
        update(JobRun)
        .where(JobRun.id.in_(ids), JobRun.status == JobRunStatus.RUNNING)
        .values(status=JobRunStatus.INTERRUPTED, finished_at=now or utcnow(), error=INTERRUPTED)
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result)
