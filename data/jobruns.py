"""The record of job runs: each run of a scheduled job, what it did, and how it ended."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import datetime, timedelta
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
    "DEFAULT_INTERVALS",
    "interval_of",
]


#: French names of the scheduled jobs, for coordinators (the scheduler declares the jobs).
JOB_LABELS: dict[str, str] = {
    "sender": "Envoi des messages en attente",
    "rematch": "Suggestions : recalcul après modification des offres ou des demandes",
    "rematch_full": "Suggestions : recalcul complet de la nuit",
    "contacts": "Mises en relation",
    "digests_immediate": "Suggestions : envoi au fil de l'eau",
    "digests_daily": "Suggestions : récapitulatif quotidien",
    "digests_weekly": "Suggestions : récapitulatif hebdomadaire",
    "coordinator_summary": "Point hebdomadaire des coordinateurs",
    "reminders": "Relances et expiration des offres",
    "retention": "Durée de conservation des données (RGPD)",
}

#: Default period of the jobs that run at an interval (the others run at cron times, declared in
#: ``jobs.registry``). Pages read them too: "suggestions are recomputed every 5 minutes".
DEFAULT_INTERVALS: dict[str, dict[str, int]] = {
    "sender": {"minutes": 1},
    "rematch": {"minutes": 5},
    "contacts": {"minutes": 5},
    "digests_immediate": {"minutes": 10},
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


#: French names of the counts that job runs record.
COUNT_LABELS: dict[str, str] = {
    "anonymised": "comptes anonymisés",
    "answer_links_deleted": "liens de réponse supprimés",
    "candidate_mails": "courriels aux candidats",
    "candidate_suggestions": "suggestions envoyées aux candidats",
    "candidates_already_this_period": "candidats déjà servis cette période",
    "candidates_without_address": "candidats sans adresse",
    "claimed": "courriels pris en charge",
    "created": "suggestions créées",
    "dead": "courriels en échec définitif",
    "employer_mails": "courriels aux employeurs",
    "employer_suggestions": "suggestions envoyées aux employeurs",
    "errors": "erreurs",
    "interrupted": "interruptions",
    "job_runs_deleted": "exécutions anciennes supprimées",
    "mail_bodies_erased": "contenus de courriels effacés",
    "mails": "courriels",
    "mails_deleted": "courriels supprimés",
    "nudges": "relances de binômes",
    "offer_tutors_erased": "tuteurs d'offres effacés",
    "offers": "offres",
    "offers_expired": "offres expirées",
    "offers_reminded": "offres rappelées",
    "pair_reasons_erased": "motifs de binômes effacés",
    "pairs": "binômes",
    "recovered": "courriels repris",
    "requests": "demandes",
    "requests_paused": "demandes mises en pause",
    "retried": "courriels à réessayer",
    "review_queue": "suggestions à examiner",
    "seconds": "secondes",
    "sent": "courriels envoyés",
    "staled": "suggestions retirées",
    "still_looking": "demandes relancées",
    "suppressed": "courriels non envoyés (désabonnement)",
    "updated": "suggestions mises à jour",
    "warned": "comptes prévenus",
}


def describe_counts(counts: dict[str, Any] | None) -> str:
    """Return a run's counts in French (« suggestions créées : 6, offres : 66 »)."""
    return ", ".join(f"{COUNT_LABELS.get(k, k)} : {v}" for k, v in (counts or {}).items())


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
