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

from data.mail.outbox import dead_letters
from data.mail.transport import MailError, PermanentFailure
from data.models import utcnow
from data.models.mail import JobRun, JobRunStatus

__all__ = [
    "start_run",
    "finish_run",
    "recent_job_runs",
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
    "accounts_deleted": "comptes supprimés",
    "api_tokens_revoked": "jetons d'API révoqués",
    "audit_texts_erased": "textes d'historique effacés",
    "digest_marks_deleted": "marques de suggestions annoncées supprimées",
    "mail_files_deleted": "fichiers de courriels supprimés",
    "mails_about_person_emptied": "courriels au sujet de personnes effacées vidés",
    "mails_to_person_deleted": "courriels à des personnes effacées supprimés",
    "mails_withdrawn": "courriels en attente retirés",
    "metier_texts_erased": "textes de métiers effacés",
    "optouts_deleted": "désabonnements supprimés",
    "pairs_stopped": "binômes arrêtés",
    "rate_limit_counters_deleted": "compteurs de tentatives supprimés",
    "requests_closed": "demandes closes",
    "sign_in_links_deleted": "liens de connexion supprimés",
    "unsubscribe_links_deleted": "liens de désabonnement supprimés",
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
    "already_running": "exécution passée (la même tâche était déjà en cours)",
    "interrupted": "interruptions",
    "job_runs_deleted": "exécutions anciennes supprimées",
    "join_requests_deleted": "demandes de rattachement refusées supprimées",
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
    "released": "courriels rendus à la file sans essai",
    "requests": "demandes",
    "requests_paused": "demandes mises en pause",
    "retried": "courriels à réessayer",
    "review_queue": "suggestions à examiner",
    "seconds": "secondes",
    "skipped": "recalculs inutiles (rien n'avait changé)",
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
        if isinstance(current, MailError | smtplib.SMTPException | ConnectionError | TimeoutError):
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
    return result.rowcount or 0
