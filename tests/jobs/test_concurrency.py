"""Jobs that start at the same instant, and web requests racing with them, all succeed.

The scheduler runs its jobs on a pool of threads: every few minutes ``rematch``, ``contacts``,
``sender`` and ``digests_immediate`` start at the same second. These tests start them at once
from threads (a barrier), on a real database that commits (a SQLite file, a PostgreSQL schema),
with work to do for each, several rounds in a row, and check that every run succeeded.
"""

from __future__ import annotations

import threading
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session, sessionmaker

from data.jobruns import recent_job_runs
from data.mail import enqueue, make_mailer
from data.models import Offer, Request, Role, Suggestion, SuggestionStatus
from data.models.mail import JobRunStatus, OutboxMessage, OutboxStatus
from jobs.registry import JOBS_BY_ID
from jobs.runner import JobContext, RunResult, run_job
from tests.data.factories import (
    make_candidate,
    make_employer,
    make_offer,
    make_request,
    make_site,
    make_suggestion,
    make_user,
)

#: The jobs the scheduler starts at the same second every few minutes.
RACING = ("rematch", "contacts", "sender", "digests_immediate")
ROUNDS = 6


def _context(factory: sessionmaker[Session], tmp_path: Path) -> JobContext:
    mailer = make_mailer({"MAIL_DIR": str(tmp_path / "mail"), "BASE_URL": "https://p.example"})
    return JobContext({}, factory.kw["bind"], factory, mailer)


def at_once(*calls: Callable[[], Any]) -> list[Any]:
    """Run every call in its own thread, all released at the same instant; return the results."""
    barrier = threading.Barrier(len(calls))
    results: list[Any] = [None] * len(calls)

    def go(i: int) -> None:
        barrier.wait()
        try:
            results[i] = calls[i]()
        except BaseException as exc:  # handed back to the test
            results[i] = exc

    threads = [threading.Thread(target=go, args=(i,)) for i in range(len(calls))]
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    return results


def _give_every_job_work(factory: sessionmaker[Session], round_no: int) -> None:
    """Change an offer and a request (rematch), approve pairs (contacts), queue mails (sender)."""
    now = datetime.now(UTC)
    with factory.begin() as s:
        employer = make_employer(s, name=f"EHPAD n°{round_no}")
        make_user(s, Role.EMPLOYER, employer=employer)
        site = make_site(s, employer)
        offers = [make_offer(s, site, places=2) for _ in range(3)]
        requests = [
            make_request(s, make_candidate(s, notify_frequency="immediate")) for _ in range(3)
        ]
        for offer, request in zip(offers[:2], requests[:2], strict=True):
            make_suggestion(
                s, request, offer, status=SuggestionStatus.APPROVED, status_changed_at=now
            )
        for i in range(5):
            enqueue(
                s,
                to=f"r{round_no}.{i}@exemple.fr",
                kind="test",
                key=f"{round_no}-{i}",
                subject="Essai",
                text="Bonjour",
            )
        # Older offers and requests change too: rematch has something to recompute.
        s.execute(update(Offer).values(updated_at=now + timedelta(seconds=1)))
        s.execute(update(Request).values(updated_at=now + timedelta(seconds=1)))


def _outcomes(results: list[RunResult | BaseException]) -> dict[str, str]:
    return {
        name: ("ok" if isinstance(r, RunResult) and r.ok else repr(getattr(r, "error", r)))
        for name, r in zip(RACING, results, strict=True)
    }


def test_the_jobs_that_start_at_the_same_second_all_succeed(
    committed_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    ctx = _context(committed_factory, tmp_path)
    for round_no in range(ROUNDS):
        _give_every_job_work(committed_factory, round_no)
        results = at_once(*(lambda j=j: run_job(ctx, JOBS_BY_ID[j]) for j in RACING))
        assert _outcomes(results) == dict.fromkeys(RACING, "ok"), f"round {round_no}"
    with committed_factory() as s:
        runs = recent_job_runs(s, limit=1000)
        assert len(runs) == ROUNDS * len(RACING)
        assert {r.status for r in runs} == {JobRunStatus.SUCCESS}
        # The work was done: every mail sent, every approved pair put in contact, pairs made.
        assert set(s.scalars(select(OutboxMessage.status))) == {OutboxStatus.SENT}
        assert s.scalar(select(func.count()).select_from(Suggestion)) > 2 * ROUNDS
