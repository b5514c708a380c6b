"""The record of job runs: each run of a scheduled job, what it did, and how it ended."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from data.mail.outbox import dead_letters
from data.models import utcnow
from data.models.mail import JobRun, JobRunStatus

__all__ = [
    "start_run",
    "finish_run",
    "recent_job_runs",
    "last_runs",
    "last_success",
    "close_abandoned_runs",
    "dead_letters",
]


def start_run(
    session: Session, job: str, *, now: datetime | None = None, trigger: str = "scheduler"
) -> JobRun:
    """Record that ``job`` starts now; flushes only (commit it so that others see it running)."""
    run = JobRun(job=job, started_at=now or utcnow(), status=JobRunStatus.RUNNING, trigger=trigger)
    session.add(run)
    session.flush()
    return run


def finish_run(
    session: Session,
    run: JobRun,
    *,
    counts: dict[str, Any] | None = None,
    error: str | None = None,
    now: datetime | None = None,
) -> JobRun:
    """Record how a run ended (success unless ``error``); flushes only."""
    run.finished_at = now or utcnow()
    run.counts = dict(counts or {})
    run.error = error
    run.status = JobRunStatus.FAILED if error else JobRunStatus.SUCCESS
    session.flush()
    return run


def recent_job_runs(session: Session, limit: int = 50, job: str | None = None) -> list[JobRun]:
    """Return the latest runs, newest first (all jobs, or one)."""
    stmt = select(JobRun).order_by(JobRun.started_at.desc(), JobRun.id.desc()).limit(limit)
    if job is not None:
        stmt = stmt.where(JobRun.job == job)
    return list(session.scalars(stmt))


def last_runs(session: Session) -> dict[str, JobRun]:
    """Return the latest run of each job that ever ran, by job name."""
    latest = select(JobRun.job, func.max(JobRun.id).label("id")).group_by(JobRun.job).subquery()
    runs = session.scalars(select(JobRun).join(latest, JobRun.id == latest.c.id))
    return {run.job: run for run in runs}


def last_success(session: Session, job: str) -> JobRun | None:
    """Return the latest successful run of ``job``, if any."""
    return session.scalar(
        select(JobRun)
        .where(JobRun.job == job, JobRun.status == JobRunStatus.SUCCESS)
        .order_by(JobRun.started_at.desc(), JobRun.id.desc())
        .limit(1)
    )


def close_abandoned_runs(session: Session, *, now: datetime | None = None) -> int:
    """Mark the scheduler's runs still "running" as failed: their process died.

    Called by the one active scheduler when it starts; manual runs (``python -m jobs run``) are
    left alone, as they may be going on right now.
    """
    result = session.execute(
        update(JobRun)
        .where(JobRun.status == JobRunStatus.RUNNING, JobRun.trigger == "scheduler")
        .values(
            status=JobRunStatus.FAILED,
            finished_at=now or utcnow(),
            error="Interrompu : le processus s'est arrêté pendant l'exécution.",
        )
        .execution_options(synchronize_session=False)
    )
    return result.rowcount or 0
