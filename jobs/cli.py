"""Command line of the jobs: ``python -m jobs [--no-wait] | run NAME [--now ISO] | list``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from collections.abc import Sequence
from datetime import datetime
from zoneinfo import ZoneInfo

from sqlalchemy.exc import OperationalError, ProgrammingError

from data.config import load_config
from data.jobruns import close_abandoned_runs, last_runs
from jobs.registry import JOBS_BY_ID, specs_for
from jobs.runner import make_context, run_job
from jobs.scheduler import run_scheduler

__all__ = ["main"]

log = logging.getLogger("jobs")

EXIT_FAILED = 1
EXIT_USAGE = 2


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m jobs",
        description="Passerelle's scheduled jobs. Without a command: run the scheduler.",
    )
    parser.add_argument(
        "--no-wait",
        action="store_true",
        help="exit at once (status 3) if another scheduler runs on this database",
    )
    sub = parser.add_subparsers(dest="command")
    run = sub.add_parser("run", help="run one job once and print its summary")
    run.add_argument("name", help="job id (see `list`)")
    run.add_argument(
        "--now", help="pretend it is this time (ISO 8601 with offset), e.g. to catch up"
    )
    sub.add_parser("list", help="list the jobs, their schedule, last run and outcome")
    return parser


def _parse_now(value: str | None, tz: ZoneInfo) -> datetime | None:
    if value is None:
        return None
    moment = datetime.fromisoformat(value)
    return moment if moment.tzinfo else moment.replace(tzinfo=tz)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; returns the exit status."""
    args = _parser().parse_args(argv)
    config = load_config()
    logging.basicConfig(
        level=str(config.get("JOBS_LOG_LEVEL") or "INFO").upper(),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    if logging.getLogger().level > logging.DEBUG:
        # APScheduler logs each run's start and end at INFO: ours (jobs.runner) says it better.
        logging.getLogger("apscheduler").setLevel(logging.WARNING)
    tz = ZoneInfo(str(config.get("TIMEZONE") or "Europe/Paris"))
    ctx = make_context(config)
    try:
        if args.command == "list":
            return _list(ctx, tz)
        if args.command == "run":
            spec = JOBS_BY_ID.get(args.name)
            if spec is None:
                print(f"unknown job {args.name!r}; jobs: {', '.join(JOBS_BY_ID)}", file=sys.stderr)
                return EXIT_USAGE
            try:
                now = _parse_now(args.now, tz)
            except ValueError:
                print(f"--now: not an ISO 8601 time: {args.now!r}", file=sys.stderr)
                return EXIT_USAGE
            _close_dead_manual_runs(ctx)
            result = run_job(ctx, spec, now=now, trigger="manual")
            summary = {"job": result.job, "ok": result.ok, "counts": result.counts}
            if result.error:
                summary["error"] = result.error
                summary["error_id"] = result.error_id
            print(json.dumps(summary, ensure_ascii=False, sort_keys=True))
            return 0 if result.ok else EXIT_FAILED
        return run_scheduler(ctx, wait=not args.no_wait)
    except (OperationalError, ProgrammingError) as exc:
        print(
            f"database not ready ({type(exc).__name__}): run `flask --app web init` first",
            file=sys.stderr,
        )
        return EXIT_FAILED
    finally:
        ctx.close()


def _close_dead_manual_runs(ctx) -> None:  # type: ignore[no-untyped-def]
    """Mark interrupted the runs of this machine whose process is gone (scheduler's: left alone)."""
    with ctx.session_factory.begin() as s:
        closed = close_abandoned_runs(s, scheduler=False)
    if closed:
        log.warning("%d runs whose process had stopped are marked interrupted", closed)


def _list(ctx, tz: ZoneInfo) -> int:  # type: ignore[no-untyped-def]
    _close_dead_manual_runs(ctx)
    with ctx.session_factory() as s:
        latest = last_runs(s)
    rows = [("job", "schedule", "last run", "outcome", "counts")]
    for spec in specs_for(ctx.config):
        run = latest.get(spec.id)
        if run is None:
            rows.append((spec.id, spec.describe(), "never", "-", ""))
            continue
        when = run.started_at.astimezone(tz).strftime("%Y-%m-%d %H:%M:%S")
        counts = json.dumps(run.counts, ensure_ascii=False, sort_keys=True)
        if run.error:
            counts += f" {run.error}" + (f" (erreur {run.error_id})" if run.error_id else "")
        rows.append((spec.id, spec.describe(), when, run.status.value, counts))
    widths = [max(len(r[i]) for r in rows) for i in range(4)]
    for row in rows:
        print("  ".join(cell.ljust(w) for cell, w in zip(row[:4], widths, strict=True)), row[4])
    return 0
