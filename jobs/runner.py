"""Run one job and record the run (job, start, end, counts, error) for coordinators."""

from __future__ import annotations

import logging
import time
import traceback
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import Engine
from sqlalchemy.orm import Session, sessionmaker

from data.config import load_config
from data.db import make_engine, make_session_factory
from data.jobruns import finish_run, start_run
from data.mail import Mailer, make_mailer
from data.models import utcnow
from jobs.registry import JobSpec

__all__ = ["JobContext", "make_context", "RunResult", "run_job"]

log = logging.getLogger("jobs")


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
    engine = make_engine(cfg["DATABASE_URL"])
    return JobContext(cfg, engine, make_session_factory(engine), make_mailer(cfg))


@dataclass(frozen=True)
class RunResult:
    """How one run ended."""

    job: str
    run_id: int
    ok: bool
    counts: dict[str, Any]
    error: str | None
    seconds: float


def run_job(
    ctx: JobContext, spec: JobSpec, *, now: datetime | None = None, trigger: str = "scheduler"
) -> RunResult:
    """Run ``spec`` once; record its start and its end even if it fails; never raise.

    ``now`` (tests, catching up by hand) is handed to the job; the record uses it too.
    """
    started = time.monotonic()
    with ctx.session_factory.begin() as s:
        run = start_run(s, spec.id, now=now or utcnow(), trigger=trigger)
        run_id = run.id
    log.info("job %s started (run %d)", spec.id, run_id)
    counts: dict[str, Any] = {}
    error: str | None = None
    try:
        counts = dict(spec.func(ctx.session_factory, ctx.mailer, now, **spec.kwargs) or {})
    except Exception as exc:  # the run is recorded as failed; the scheduler goes on
        log.exception("job %s failed", spec.id)
        error = "".join(traceback.format_exception_only(exc)).strip()[:4000]
    seconds = time.monotonic() - started
    counts.setdefault("seconds", round(seconds, 3))
    try:
        with ctx.session_factory.begin() as s:
            record = s.get(type(run), run_id)
            finish_run(s, record, counts=counts, error=error, now=now or utcnow())
    except Exception:  # the database is gone: the log keeps the outcome
        log.exception("could not record the end of run %d of %s", run_id, spec.id)
    if error:
        log.error("job %s failed after %.1fs: %s", spec.id, seconds, error)
    else:
        log.info("job %s done in %.1fs: %s", spec.id, seconds, counts)
    return RunResult(spec.id, run_id, error is None, counts, error, seconds)
