"""Jobs that start at the same instant, and web requests racing with them, all succeed.

The scheduler runs its jobs on a pool of threads: every few minutes ``rematch``, ``contacts``,
``sender`` and ``digests_immediate`` start at the same second. These tests start them at once
from threads (a barrier), on a real database that commits (a SQLite file, a PostgreSQL schema),
with work to do for each, several rounds in a row, and check that every run succeeded.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from flask import Flask
from sqlalchemy import Engine, func, select, text, update
from sqlalchemy.orm import Session, sessionmaker

from data.actor import Actor
from data.db import make_engine, make_session_factory, read_session
from data.jobruns import recent_job_runs
from data.mail import enqueue, make_mailer
from data.models import (
    AuditEntry,
    Offer,
    Request,
    Role,
    Suggestion,
    SuggestionOrigin,
    SuggestionStatus,
)
from data.models.mail import JobRunStatus, OutboxMessage, OutboxStatus
from data.operations import close_offer, create_manual_pair, express_interest
from data.privacy import ErasureCause, erase_candidate
from data.recompute import apply_plan, plan_suggestions
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
from tests.jobs.conftest import PG_SCHEMA, database_url
from tests.web.conftest import CSRF, sign_in
from web import create_app
from web.db import state

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


# --- Web requests racing with the jobs -----------------------------------------------------------


def _app(factory: sessionmaker[Session], tmp_path: Path) -> Flask:
    """The web app on the committing database (its sessions really commit)."""
    engine = factory.kw["bind"]
    app = create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": database_url(engine),
            "MAIL_DIR": str(tmp_path / "mail"),
            "BASE_URL": "http://localhost",
        }
    )
    st = state(app)
    st.engine.dispose()
    st.engine = engine
    st.session_factory = factory
    return app


def test_pages_that_read_then_write_racing_with_the_jobs_never_find_the_database_locked(
    committed_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    ctx = _context(committed_factory, tmp_path)
    app = _app(committed_factory, tmp_path)
    with committed_factory.begin() as s:
        coordinator = make_user(s, Role.COORDINATOR)
    for round_no in range(ROUNDS):
        _give_every_job_work(committed_factory, round_no)
        with committed_factory() as s:
            offer_id = s.scalar(select(func.max(Offer.id)))
        # Reads the offer, then writes "the coordinator viewed it" to the audit log.
        viewer = sign_in(app.test_client(), coordinator)
        # Reads every request and offer, then writes the suggestions.
        recomputer = sign_in(app.test_client(), coordinator)
        results = at_once(
            *(lambda j=j: run_job(ctx, JOBS_BY_ID[j]) for j in RACING),
            lambda v=viewer, o=offer_id: v.get(f"/coordination/offres/{o}").status_code,
            lambda r=recomputer: (
                r.post("/coordination/recalculer", data={"csrf_token": CSRF}).status_code
            ),
        )
        assert _outcomes(results[: len(RACING)]) == dict.fromkeys(RACING, "ok"), round_no
        assert results[len(RACING) :] == [200, 302], round_no
    with committed_factory() as s:
        assert {r.status for r in recent_job_runs(s, limit=1000)} == {JobRunStatus.SUCCESS}
        views = s.scalar(
            select(func.count())
            .select_from(AuditEntry)
            .where(AuditEntry.actor_id == coordinator.id)
        )
        assert views == ROUNDS


# --- The same job twice at once, and a job overlapping a coordinator ---------------------------


def test_the_same_job_started_twice_at_once_does_its_work_once(
    committed_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """A manual ``python -m jobs run rematch`` while the scheduler runs it: two processes."""
    engine = committed_factory.kw["bind"]
    contexts = [_context(make_session_factory(_own_engine(engine)), tmp_path) for _ in range(2)]
    try:
        for round_no in range(ROUNDS):
            _give_every_job_work(committed_factory, round_no)
            results = at_once(
                *(lambda c=c, j=j: run_job(c, JOBS_BY_ID[j]) for c in contexts for j in RACING)
            )
            failed = [r for r in results if not (isinstance(r, RunResult) and r.ok)]
            assert failed == [], round_no
    finally:
        for c in contexts:
            c.close()
    with committed_factory() as s:
        runs = recent_job_runs(s, limit=1000)
        assert len(runs) == 2 * ROUNDS * len(RACING)
        assert {r.status for r in runs} == {JobRunStatus.SUCCESS}
        assert set(s.scalars(select(OutboxMessage.status))) == {OutboxStatus.SENT}
        # Each mail went out once: one file per queued mail in the mail directory.
        queued = s.scalar(select(func.count()).select_from(OutboxMessage))
    assert len(list((tmp_path / "mail").glob("*.eml"))) == queued


def _own_engine(engine: Engine) -> Engine:
    """Another engine on the same database, as another process would have."""
    if engine.dialect.name == "sqlite":
        return make_engine(database_url(engine))
    return make_engine(database_url(engine), connect_args={"options": f"-csearch_path={PG_SCHEMA}"})


def _wait_until_blocked(engine: Engine) -> None:
    """Give the other thread time to reach the row the open transaction holds."""
    if engine.dialect.name != "postgresql":
        time.sleep(0.5)  # SQLite: it waits for the write lock from its first statement on
        return
    with engine.connect() as conn:
        for _ in range(200):
            waiting = conn.execute(
                text(
                    "SELECT count(*) FROM pg_stat_activity"
                    " WHERE datname = current_database() AND wait_event_type = 'Lock'"
                )
            ).scalar()
            if waiting:
                return
            time.sleep(0.05)
            conn.rollback()


def test_rematch_overlapping_a_coordinators_manual_pair_keeps_the_pair_and_succeeds(
    committed_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    ctx = _context(committed_factory, tmp_path)
    with committed_factory.begin() as s:
        coordinator = make_user(s, Role.COORDINATOR)
        offer = make_offer(s, make_site(s, make_employer(s)))
        request = make_request(s)
        pair = (request.id, offer.id)
    with committed_factory() as s, s.begin():
        # The coordinator pairs them by hand; the re-matching starts before the commit.
        create_manual_pair(s, pair[0], pair[1], Actor.user(coordinator), note="Vu au forum")
        s.flush()
        results: list[RunResult] = []
        spec = JOBS_BY_ID["rematch"]
        rematch_run = threading.Thread(target=lambda: results.append(run_job(ctx, spec)))
        rematch_run.start()
        _wait_until_blocked(committed_factory.kw["bind"])
    rematch_run.join()
    (result,) = results
    assert result.ok, result.error
    with committed_factory() as s:
        rows = s.execute(
            select(Suggestion.origin, Suggestion.status).where(
                Suggestion.request_id == pair[0], Suggestion.offer_id == pair[1]
            )
        ).all()
    assert rows == [(SuggestionOrigin.MANUAL, SuggestionStatus.APPROVED)]


def test_pairs_of_requests_deleted_or_offers_closed_while_the_engine_ran_are_not_written(
    committed_factory: sessionmaker[Session],
) -> None:
    """Rematch reads and computes, then writes: a candidate may delete their account between."""
    with committed_factory.begin() as s:
        site = make_site(s, make_employer(s))
        kept_offer, closed_offer = make_offer(s, site), make_offer(s, site)
        kept, deleted = make_request(s), make_request(s)
        ids = (kept.id, deleted.id, kept_offer.id, closed_offer.id, deleted.candidate_id)
    with read_session(committed_factory) as s:
        plan = plan_suggestions(s)
    assert len(plan.pairs) == 4
    with committed_factory.begin() as s:
        erase_candidate(s, ids[4], cause=ErasureCause.PERSON)
        close_offer(s, ids[3])
    with committed_factory.begin() as s:
        report = apply_plan(s, plan)
    assert report.created == 1
    with committed_factory() as s:
        pairs = s.execute(select(Suggestion.request_id, Suggestion.offer_id)).all()
    assert pairs == [(ids[0], ids[2])]


def test_two_posts_of_the_same_interest_at_once_make_one_pair(
    committed_factory: sessionmaker[Session],
) -> None:
    """« Cette offre m'intéresse » posted twice at once (a double click): one pair, both succeed.

    The first post's insert is held open; the second runs meanwhile. On PostgreSQL it waits on
    the unique key, then records on the pair the first committed; on SQLite it waits for the
    write lock, then finds that pair.
    """
    with committed_factory.begin() as s:
        offer = make_offer(s, make_site(s, make_employer(s)))
        user = make_user(s, Role.CANDIDATE)
        make_request(s, user.candidate)
        offer_id, actor = offer.id, Actor.user(user)
    results: list[Any] = []

    def second() -> None:
        try:
            with committed_factory.begin() as s2:
                r = express_interest(s2, offer_id, actor)
                results.append((r.created, r.recorded))
        except BaseException as exc:  # handed back to the test
            results.append(exc)

    with committed_factory() as s, s.begin():
        first = express_interest(s, offer_id, actor)
        assert (first.created, first.recorded) == (True, True)
        other = threading.Thread(target=second)
        other.start()
        _wait_until_blocked(committed_factory.kw["bind"])
    other.join()
    assert results == [(False, True)]
    with committed_factory() as s:
        rows = s.execute(
            select(Suggestion.origin, Suggestion.candidate_interest).where(
                Suggestion.offer_id == offer_id
            )
        ).all()
    assert [(o.value, i.value) for o, i in rows] == [("candidate", "interested")]
