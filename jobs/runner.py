"""Run one job and record the run (job, start, end, counts, error) for coordinators.

The start and the end of a run are each recorded in a transaction of their own, tried again a
few times when the database is busy or unreachable: the job's work, whatever becomes of it, never
takes its record down with it. An end that still could not be recorded is kept in memory and
recorded before the next run of any job; a run whose process died is marked interrupted when the
next scheduler starts (:func:`data.jobruns.close_abandoned_runs`).

A failure is recorded as a French sentence (:func:`data.jobruns.failure_message`) and an error id;
the log line with the same id holds the traceback.
"""

from __future__ import annotations

import logging
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any, TypeVar

from sqlalchemy import Engine
from sqlalchemy.exc import DBAPIError, DisconnectionError
from sqlalchemy.orm import Session, sessionmaker

from data.config import load_config
from data.db import is_sqlite, make_engine, make_session_factory
from data.jobruns import failure_message, finish_run, new_error_id, start_run
from data.mail import Mailer, make_mailer
from data.models import utcnow
from data.models.mail import JobRun
from jobs.lock import job_lock
from jobs.registry import JobSpec

__all__ = ["JobContext", "make_context", "RunResult", "run_job", "RECORD_PAUSES"]

log = logging.getLogger("jobs")

#: Pauses (seconds) before the retries of a run's record that hit a busy or unreachable database.
RECORD_PAUSES: tuple[float, ...] = (0.2, 0.5, 1.0, 2.0, 4.0)

T = TypeVar("T")


@dataclass
class JobContext:
    """What every job run needs, built once per process from the configuration."""

    config: dict[str, Any]
    engine: Engine
    session_factory: sessionmaker[Session]
    mailer: Mailer

    def close(self) -> None:
        """Release the database connections."""
        self.engine.dispose()


def make_context(config: dict[str, Any] | None = None) -> JobContext:
    """Build the engine, session factory and mailer from ``config`` (default: the environment)."""
    cfg = config if config is not None else load_config()
    url = cfg["DATABASE_URL"]
    # Jobs run side by side, each sending over several connections, plus the locks' own.
    pool = {} if is_sqlite(url) else {"pool_size": 10, "max_overflow": 20}
    engine = make_engine(url, **pool)
    return JobContext(cfg, engine, make_session_factory(engine), make_mailer(cfg))


@dataclass(frozen=True)
class RunResult:
    """How one run ended (``run_id`` is None if not even its start could be recorded)."""

    job: str
    run_id: int | None
    ok: bool
    counts: dict[str, Any]
    error: str | None
    seconds: float
    error_id: str | None = None


@dataclass(frozen=True)
class _Outcome:
    run_id: int
    counts: dict[str, Any]
    error: str | None
    error_id: str | None
    interrupted: bool
    finished_at: datetime


#: Ends of runs that could not be recorded yet (the database was away), oldest first.
_unrecorded: list[_Outcome] = []
_unrecorded_lock = threading.Lock()


def _record(session_factory: sessionmaker[Session], what: str, fn: Callable[[Session], T]) -> T:
    """Run ``fn`` in a transaction of its own; retry while the database is busy or away."""
    for attempt, pause in enumerate((0.0, *RECORD_PAUSES)):
        if pause:
            time.sleep(pause)
        try:
            with session_factory.begin() as s:
                return fn(s)
        except (DBAPIError, DisconnectionError) as exc:
            if attempt == len(RECORD_PAUSES):
                raise
            log.warning("could not record %s (try %d): %s", what, attempt + 1, type(exc).__name__)
    raise AssertionError("unreachable")


def _save(session: Session, outcome: _Outcome) -> None:
    run = session.get(JobRun, outcome.run_id)
    if run is not None:
        finish_run(
            session,
            run,
            counts=outcome.counts,
            error=outcome.error,
            error_id=outcome.error_id,
            interrupted=outcome.interrupted,
            now=outcome.finished_at,
        )


def _record_end(session_factory: sessionmaker[Session], outcome: _Outcome) -> None:
    """Record the end of a run, and of earlier runs not recorded yet; keep what still fails."""
    with _unrecorded_lock:
        pending = [*_unrecorded, outcome]
        _unrecorded.clear()
    for i, item in enumerate(pending):
        try:
            _record(session_factory, f"the end of run {item.run_id}", lambda s, o=item: _save(s, o))
        except Exception:
            log.exception(
                "could not record the end of run %d: kept, to be recorded before the next run",
                item.run_id,
            )
            with _unrecorded_lock:
                _unrecorded[:0] = pending[i:]
            return


def _flush_unrecorded(session_factory: sessionmaker[Session]) -> None:
    with _unrecorded_lock:
        if not _unrecorded:
            return
        first = _unrecorded.pop(0)
    _record_end(session_factory, first)


def run_job(
    ctx: JobContext, spec: JobSpec, *, now: datetime | None = None, trigger: str = "scheduler"
) -> RunResult:
    """Run ``spec`` once; record its start and its end even if it fails; never raise.

    ``now`` (tests, catching up by hand) is handed to the job; the record uses it too. Another
    run of the same job going on (PostgreSQL, another process) makes this one a success that did
    nothing (``already_running``). Ctrl-C in the middle records the run as interrupted, then
    raises again.
    """
    started = time.monotonic()
    _flush_unrecorded(ctx.session_factory)
    try:
        run_id = _record(
            ctx.session_factory,
            f"the start of {spec.id}",
            lambda s: start_run(s, spec.id, now=now or utcnow(), trigger=trigger).id,
        )
    except Exception as exc:  # the database is away: the job could not work either
        error_id = new_error_id()
        log.error(
            "job %s not run: could not record its start [error %s]",
            spec.id,
            error_id,
            exc_info=True,
        )
        seconds = time.monotonic() - started
        return RunResult(spec.id, None, False, {}, failure_message(exc), seconds, error_id)
    log.debug("job %s started (run %d)", spec.id, run_id)
    counts: dict[str, Any] = {}
    error: str | None = None
    error_id: str | None = None
    interrupted: BaseException | None = None
    try:
        with job_lock(ctx.engine, spec.id) as free:
            if free:
                kwargs = spec.arguments(ctx.config)
                counts = dict(spec.func(ctx.session_factory, ctx.mailer, now, **kwargs) or {})
            else:
                log.info("job %s: another run of it is going on: nothing to do", spec.id)
                counts = {"already_running": 1}
    except Exception as exc:  # the run is recorded as failed; the scheduler goes on
        error, error_id = failure_message(exc), new_error_id()
        log.exception("job %s failed (run %d) [error %s]", spec.id, run_id, error_id)
    except BaseException as exc:  # Ctrl-C, SystemExit: record it, then let it go on
        interrupted = exc
    seconds = time.monotonic() - started
    counts.setdefault("seconds", round(seconds, 3))
    outcome = _Outcome(run_id, counts, error, error_id, interrupted is not None, now or utcnow())
    _record_end(ctx.session_factory, outcome)
    if interrupted is not None:
        log.warning("job %s interrupted after %.1fs (run %d)", spec.id, seconds, run_id)
        raise interrupted
    if error:
        log.error("job %s failed after %.1fs: %s [error %s]", spec.id, seconds, error, error_id)
    else:
        # A run that found nothing to do (the sender, most of the time) says so only at DEBUG.
        busy = any(value for key, value in counts.items() if key != "seconds")
        level = logging.INFO if busy else logging.DEBUG
        log.log(level, "job %s done in %.1fs: %s", spec.id, seconds, counts)
    return RunResult(spec.id, run_id, error is None, counts, error, seconds, error_id)
