"""``python -m jobs``: the scheduler, its own process, one per database.

An APScheduler 3 ``BlockingScheduler`` in Europe/Paris time runs the jobs of :mod:`jobs.registry`
(explicit ids, ``replace_existing``, ``coalesce``, one instance of each at a time, an hour of
``misfire_grace_time``). The job store is in memory, so a cron run missed while no scheduler ran
is caught up from the record of job runs: if the latest scheduled time is less than the grace
period ago and no run started since, the job runs at once.
"""

from __future__ import annotations

import logging
import signal
import threading
from collections.abc import Sequence
from datetime import datetime, timedelta
from types import FrameType
from zoneinfo import ZoneInfo

from apscheduler.events import EVENT_JOB_MISSED, JobExecutionEvent
from apscheduler.executors.pool import ThreadPoolExecutor
from apscheduler.schedulers.blocking import BlockingScheduler
from apscheduler.triggers.base import BaseTrigger
from apscheduler.triggers.cron import CronTrigger
from sqlalchemy.exc import DBAPIError

from data.jobruns import close_abandoned_runs, last_runs
from data.models import utcnow
from jobs.common import STOP
from jobs.lock import SchedulerLock
from jobs.registry import JOBS, MISFIRE_GRACE_SECONDS, JobSpec, specs_for
from jobs.runner import JobContext, run_job

__all__ = ["build_scheduler", "missed_fire_time", "run_scheduler", "EXIT_LOCKED"]

log = logging.getLogger("jobs.scheduler")

#: Exit status of a scheduler that found another one running and was told not to wait, or that
#: lost its lock to another one while the database restarted.
EXIT_LOCKED = 3
#: Set when this scheduler lost its lock to another one (its exit status is then EXIT_LOCKED).
LOST = threading.Event()
#: Jobs that may run at the same time (SQLite serialises their writes anyway).
WORKERS = 3


def missed_fire_time(
    trigger: BaseTrigger, last_start: datetime | None, now: datetime, grace: timedelta
) -> datetime | None:
    """Return the cron time missed within ``grace`` before ``now`` with no run since, or None."""
    if not isinstance(trigger, CronTrigger):
        return None
    previous = None
    candidate = trigger.get_next_fire_time(None, now - grace)
    while candidate is not None and candidate <= now:
        previous = candidate
        candidate = trigger.get_next_fire_time(candidate, candidate + timedelta(seconds=1))
    if previous is None or (last_start is not None and last_start >= previous):
        return None
    return previous


def run_if_leader(
    ctx: JobContext, spec: JobSpec, lock: SchedulerLock, scheduler: BlockingScheduler
) -> None:
    """Run ``spec`` if this scheduler still holds the lock; stop this scheduler if it lost it.

    The lock can be lost when the PostgreSQL server restarts (see
    :meth:`SchedulerLock.still_held`); while the database cannot be reached the run is skipped
    (it could not even be recorded) and the next one tries again.
    """
    try:
        held = lock.still_held()
    except DBAPIError as exc:
        log.warning(
            "job %s skipped: the database cannot be reached (%s)", spec.id, type(exc).__name__
        )
        return
    if not held:
        log.error("another scheduler took the lock while the database restarted: stopping")
        LOST.set()
        STOP.set()
        scheduler.shutdown(wait=False)
        return
    run_job(ctx, spec)


def build_scheduler(
    ctx: JobContext,
    specs: Sequence[JobSpec] = JOBS,
    *,
    now: datetime | None = None,
    lock: SchedulerLock | None = None,
) -> BlockingScheduler:
    """Return a scheduler with every job added (not started).

    With ``lock``, each run first checks that this scheduler still holds it (:func:`run_if_leader`).
    """
    tz = ZoneInfo(str(ctx.config.get("TIMEZONE") or "Europe/Paris"))
    now = (now or utcnow()).astimezone(tz)
    grace = timedelta(seconds=MISFIRE_GRACE_SECONDS)
    scheduler = BlockingScheduler(
        timezone=tz,
        executors={"default": ThreadPoolExecutor(WORKERS)},
        job_defaults={
            "coalesce": True,
            "max_instances": 1,
            "misfire_grace_time": MISFIRE_GRACE_SECONDS,
        },
    )
    with ctx.session_factory() as s:
        latest = {job: run.started_at for job, run in last_runs(s).items()}
    for spec in specs:
        trigger = spec.make_trigger(tz)
        extra = {}
        missed = missed_fire_time(trigger, latest.get(spec.id), now, grace)
        if missed is not None:
            log.info("%s missed its run of %s: running it now", spec.id, missed.isoformat())
            extra["next_run_time"] = now
        elif spec.run_at_start:
            extra["next_run_time"] = now
        scheduler.add_job(
            run_job if lock is None else run_if_leader,
            trigger=trigger,
            args=(ctx, spec) if lock is None else (ctx, spec, lock, scheduler),
            id=spec.id,
            name=spec.label,
            replace_existing=True,
            coalesce=True,
            max_instances=1,
            misfire_grace_time=MISFIRE_GRACE_SECONDS,
            **extra,
        )

    def _missed(event: JobExecutionEvent) -> None:
        log.warning("job %s missed its run of %s", event.job_id, event.scheduled_run_time)

    scheduler.add_listener(_missed, EVENT_JOB_MISSED)
    return scheduler


def run_scheduler(ctx: JobContext, *, wait: bool = True, poll: float = 5.0) -> int:
    """Take the single-scheduler lock, then run the jobs until SIGINT or SIGTERM; exit status."""
    lock = SchedulerLock(ctx.engine, ctx.config["INSTANCE_DIR"])
    scheduler: BlockingScheduler | None = None

    def _stop(signum: int, _frame: FrameType | None) -> None:
        log.info("signal %s: stopping", signal.Signals(signum).name)
        STOP.set()
        if scheduler is not None and scheduler.running:
            scheduler.shutdown(wait=False)

    previous = {sig: signal.signal(sig, _stop) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        if not lock.try_acquire():
            if not wait:
                log.error("another scheduler is running on this database: exiting")
                return EXIT_LOCKED
            log.warning("another scheduler is running on this database: waiting for it to stop")
            if not lock.acquire(wait=True, stop=STOP, poll=poll):
                return 0
        if STOP.is_set():
            return 0
        with ctx.session_factory.begin() as s:
            abandoned = close_abandoned_runs(s)
        if abandoned:
            log.warning("%d runs whose process had stopped are marked interrupted", abandoned)
        scheduler = build_scheduler(ctx, specs_for(ctx.config), lock=lock)
        log.info(
            "scheduler started: %s",
            ", ".join(f"{j.id} ({j.trigger})" for j in scheduler.get_jobs()),
        )
        if not STOP.is_set():
            scheduler.start()  # blocks until _stop shuts it down
        # Let running jobs finish their current item (they check STOP between items).
        for thread in threading.enumerate():
            if thread is not threading.current_thread() and not thread.daemon:
                thread.join(timeout=30)
        log.info("scheduler stopped")
        return EXIT_LOCKED if LOST.is_set() else 0
    finally:
        lock.release()
        for sig, handler in previous.items():
            signal.signal(sig, handler)
