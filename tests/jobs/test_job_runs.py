"""Every run's outcome is recorded, in its own transaction, as a French sentence and an error id.

The details (exception, SQL, traceback) go to the log line that carries the same id; a run whose
process died is marked interrupted at the next start, never left running.
"""

from __future__ import annotations

import os
import re
import signal
import smtplib
import socket
import sqlite3
import subprocess
import sys
import threading
from collections.abc import Iterator
from datetime import UTC, datetime
from html import unescape
from pathlib import Path
from typing import Any
from zoneinfo import ZoneInfo

import pytest
from sqlalchemy import Engine, event
from sqlalchemy.exc import OperationalError
from sqlalchemy.orm import Session, sessionmaker

import jobs.runner
from data.db import make_session_factory
from data.jobruns import (
    DB_BUSY,
    DB_UNREACHABLE,
    INTERRUPTED,
    MAIL_UNREACHABLE,
    UNEXPECTED,
    close_abandoned_runs,
    failure_message,
    finish_run,
    recent_job_runs,
    start_run,
)
from data.mail import enqueue, make_mailer
from data.mailer import ConnectionFailure, PermanentFailure
from data.models import Role
from data.models.mail import JobRun, JobRunStatus
from jobs.cli import _list
from jobs.lock import job_lock
from jobs.registry import JOBS_BY_ID, JobSpec
from jobs.runner import JobContext, run_job
from tests.data.factories import make_user
from tests.jobs.conftest import PG_SCHEMA, SmtpServer, database_url, free_port
from tests.jobs.test_concurrency import _app, _own_engine
from tests.web.conftest import sign_in

ROOT = Path(__file__).resolve().parents[2]
NOW = datetime(2026, 3, 2, 8, 0, tzinfo=UTC)


def _ctx(factory: sessionmaker[Session], tmp_path: Path) -> JobContext:
    return JobContext(
        {}, factory.kw["bind"], factory, make_mailer({"MAIL_DIR": str(tmp_path / "mail")})
    )


def _job(name: str, exc: BaseException | None = None) -> JobSpec:
    def work(session_factory: Any, mailer: Any, now: Any) -> dict[str, int]:
        if exc is not None:
            raise exc
        return {"done": 1}

    return JobSpec(name, work, "interval", {"minutes": 1})


def _locked_insert() -> OperationalError:
    """What SQLite raised when the re-matching could not write: the SQL and its parameters."""
    return OperationalError(
        "INSERT INTO suggestions (request_id, offer_id, score) VALUES (?, ?, ?)",
        [(1, 2, 0.93)],
        sqlite3.OperationalError("database is locked"),
    )


def test_failures_are_a_french_sentence_and_an_error_id_on_the_page_and_the_log_has_the_details(
    committed_factory: sessionmaker[Session],
    tmp_path: Path,
    caplog: pytest.LogCaptureFixture,
    capsys: pytest.CaptureFixture[str],
) -> None:
    ctx = _ctx(committed_factory, tmp_path)
    failures = {
        "rematch": (_locked_insert(), DB_BUSY),
        "sender": (ConnectionFailure("[Errno 111] Connection refused"), MAIL_UNREACHABLE),
        "contacts": (RuntimeError("secret detail: pair 12 of lea.dupont@exemple.fr"), UNEXPECTED),
    }
    results = {name: run_job(ctx, _job(name, exc), now=NOW) for name, (exc, _) in failures.items()}
    for name, (_, sentence) in failures.items():
        result = results[name]
        assert not result.ok and result.error == sentence
        assert re.fullmatch(r"[0-9a-f]{8}", result.error_id or "")
        # The log line with this id has the traceback and the exception's text.
        (record,) = [r for r in caplog.records if r.exc_info and result.error_id in r.getMessage()]
        assert record.exc_info[1] is failures[name][0]
    assert "INSERT INTO suggestions" in caplog.text and "secret detail" in caplog.text

    with committed_factory.begin() as s:
        coordinator = make_user(s, Role.COORDINATOR)
    page = sign_in(_app(committed_factory, tmp_path).test_client(), coordinator).get(
        "/coordination/taches"
    )
    assert page.status_code == 200
    html = unescape(page.get_data(as_text=True))
    for name, (_, sentence) in failures.items():
        assert f"{sentence} Référence de l'erreur : {results[name].error_id}." in html
    for leak in (
        "INSERT",
        "SQL",
        "sqlite3",
        "Error",
        "Traceback",
        "secret",
        "Errno",
        "[parameters",
    ):
        assert leak not in html

    # ``python -m jobs list`` tells the same.
    _list(ctx, ZoneInfo("Europe/Paris"))
    listing = capsys.readouterr().out
    for name, (_, sentence) in failures.items():
        assert f"{sentence} (erreur {results[name].error_id})" in listing


class _Refusals:
    """Make an engine's next ``n`` transactions fail at BEGIN, as a busy or lost database does."""

    def __init__(self, engine: Engine) -> None:
        self.left = 0
        self.refused = 0
        event.listen(engine, "begin", self._begin)

    def _begin(self, conn: Any) -> None:
        if self.left > 0:
            self.left -= 1
            self.refused += 1
            conn.exec_driver_sql("SELECT passerelle_test_refuses_this_transaction()")


@pytest.fixture
def flaky(committed_factory: sessionmaker[Session]) -> Iterator[tuple[Engine, _Refusals]]:
    engine = _own_engine(committed_factory.kw["bind"])
    yield engine, _Refusals(engine)
    engine.dispose()


def test_the_end_of_a_run_is_recorded_even_if_the_database_refuses_the_first_tries(
    committed_factory: sessionmaker[Session],
    tmp_path: Path,
    flaky: tuple[Engine, _Refusals],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(jobs.runner, "RECORD_PAUSES", (0.01,) * 5)
    engine, refusals = flaky
    ctx = _ctx(make_session_factory(engine), tmp_path)

    def work(session_factory: Any, mailer: Any, now: Any) -> dict[str, int]:
        refusals.left = 3  # the database is away when the run ends
        return {"done": 1}

    result = run_job(ctx, JobSpec("flaky", work, "interval", {"minutes": 1}), now=NOW)
    assert result.ok and refusals.refused == 3
    with committed_factory() as s:
        (run,) = recent_job_runs(s, job="flaky")
        assert run.status == JobRunStatus.SUCCESS and run.counts["done"] == 1

    # Away for longer than the retries: the end is kept, and recorded before the next run.
    def longer(session_factory: Any, mailer: Any, now: Any) -> dict[str, int]:
        refusals.left = 6
        return {"done": 2}

    second = run_job(ctx, JobSpec("flaky", longer, "interval", {"minutes": 1}), now=NOW)
    assert second.ok
    with committed_factory() as s:
        assert s.get(JobRun, second.run_id).status == JobRunStatus.RUNNING
    third = run_job(ctx, _job("other"), now=NOW)
    assert third.ok
    with committed_factory() as s:
        kept = s.get(JobRun, second.run_id)
        assert kept.status == JobRunStatus.SUCCESS and kept.counts["done"] == 2
        assert s.get(JobRun, third.run_id).status == JobRunStatus.SUCCESS


def test_ctrl_c_in_the_middle_of_a_run_records_it_interrupted(
    committed_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    ctx = _ctx(committed_factory, tmp_path)
    with pytest.raises(KeyboardInterrupt):
        run_job(ctx, _job("stopped", KeyboardInterrupt()), now=NOW, trigger="manual")
    with committed_factory() as s:
        (run,) = recent_job_runs(s, job="stopped")
        assert run.status == JobRunStatus.INTERRUPTED and run.error == INTERRUPTED
        assert run.finished_at is not None


def test_runs_whose_process_is_gone_are_marked_interrupted(
    committed_factory: sessionmaker[Session],
) -> None:
    dead = subprocess.run(
        [sys.executable, "-c", "import os; print(os.getpid())"],
        check=True,
        capture_output=True,
        text=True,
    )
    dead_pid = int(dead.stdout)
    here = socket.gethostname()
    with committed_factory.begin() as s:
        runs = {
            "scheduler": start_run(s, "sender", now=NOW),
            "manual, process gone": start_run(s, "rematch", now=NOW, trigger="manual"),
            "manual, process alive": start_run(s, "contacts", now=NOW, trigger="manual"),
            "manual, other machine": start_run(s, "retention", now=NOW, trigger="manual"),
            "recorded before 0004": start_run(s, "reminders", now=NOW, trigger="manual"),
        }
        runs["manual, process gone"].pid = dead_pid
        runs["manual, process alive"].pid = os.getppid()
        runs["manual, other machine"].host = here + ".other"
        runs["manual, other machine"].pid = dead_pid
        runs["recorded before 0004"].pid = runs["recorded before 0004"].host = None
        runs["scheduler"].pid = os.getppid()  # only one scheduler runs: its runs are over
        ids = {label: run.id for label, run in runs.items()}

    with committed_factory.begin() as s:  # a manual run: the scheduler's runs are left alone
        assert close_abandoned_runs(s, scheduler=False) == 1
    with committed_factory.begin() as s:  # the scheduler starting
        assert close_abandoned_runs(s) == 1
    with committed_factory() as s:
        status = {label: s.get(JobRun, i).status for label, i in ids.items()}
    assert status == {
        "scheduler": JobRunStatus.INTERRUPTED,
        "manual, process gone": JobRunStatus.INTERRUPTED,
        "manual, process alive": JobRunStatus.RUNNING,
        "manual, other machine": JobRunStatus.RUNNING,
        "recorded before 0004": JobRunStatus.RUNNING,
    }


def _env(engine: Engine, tmp_path: Path, **extra: str) -> dict[str, str]:
    """The environment that points ``python -m jobs`` at ``engine``'s database."""
    url = database_url(engine)
    if engine.dialect.name == "postgresql":
        url += f"?options=-csearch_path%3D{PG_SCHEMA}"
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASSERELLE_")}
    env.update(
        PASSERELLE_INSTANCE_DIR=str(tmp_path),
        PASSERELLE_DATABASE_URL=url,
        PASSERELLE_BASE_URL="https://passerelle.example",
        PYTHONPATH=str(ROOT),
        **extra,
    )
    return env


def kill_sender_midway(env: dict[str, str], server: SmtpServer, *, after: int) -> int:
    """Run ``python -m jobs run sender``; SIGKILL it once ``server`` took ``after`` mails."""
    proc = subprocess.Popen(
        [sys.executable, "-m", "jobs", "run", "sender"],
        cwd=ROOT,
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    try:
        assert server.handler.wait_for(after, timeout=30)
    finally:
        proc.send_signal(signal.SIGKILL)
        proc.wait(timeout=10)
    return proc.pid


def test_a_manual_run_killed_midway_is_shown_interrupted_at_the_next_start(
    committed_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    server = SmtpServer(free_port())
    server.handler.delay = 0.2
    server.start()
    env = _env(
        committed_factory.kw["bind"],
        tmp_path,
        PASSERELLE_MAIL_BACKEND="smtp",
        PASSERELLE_SMTP_HOST="127.0.0.1",
        PASSERELLE_SMTP_PORT=str(server.port),
        PASSERELLE_SMTP_STARTTLS="false",
    )
    with committed_factory.begin() as s:
        for i in range(40):
            enqueue(s, to=f"p{i}@exemple.fr", kind="test", key=str(i), subject="n", text="t")
    try:
        pid = kill_sender_midway(env, server, after=2)
    finally:
        server.stop()
    with committed_factory() as s:
        (run,) = recent_job_runs(s, job="sender")
        assert run.status == JobRunStatus.RUNNING and run.pid == pid
    listing = subprocess.run(
        [sys.executable, "-m", "jobs", "list"],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert listing.returncode == 0, listing.stderr
    (line,) = [line for line in listing.stdout.splitlines() if line.startswith("sender ")]
    assert "interrupted" in line and INTERRUPTED in line
    with committed_factory() as s:
        (run,) = recent_job_runs(s, job="sender")
        assert run.status == JobRunStatus.INTERRUPTED and run.finished_at is not None


def test_a_second_run_of_a_job_going_on_elsewhere_records_that_it_had_nothing_to_do(
    committed_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """PostgreSQL: the job's advisory lock; SQLite: runs take turns, each does its part."""
    engine = committed_factory.kw["bind"]
    ctx = _ctx(committed_factory, tmp_path)
    holding = threading.Event()
    release = threading.Event()

    def other_process() -> None:
        with job_lock(_own_engine(engine), "rematch") as free:
            assert free
            holding.set()
            release.wait(30)

    other = threading.Thread(target=other_process)
    other.start()
    try:
        assert holding.wait(30)
        result = run_job(ctx, JOBS_BY_ID["rematch"])
    finally:
        release.set()
        other.join()
    assert result.ok
    if engine.dialect.name == "postgresql":
        assert result.counts["already_running"] == 1
    else:
        assert "already_running" not in result.counts
    again = run_job(ctx, JOBS_BY_ID["rematch"])
    assert again.ok and "already_running" not in again.counts
    with committed_factory() as s:
        assert {r.status for r in recent_job_runs(s)} == {JobRunStatus.SUCCESS}


@pytest.mark.parametrize(
    ("exc", "sentence"),
    [
        (_locked_insert(), DB_BUSY),
        (OperationalError("SELECT 1", {}, Exception("deadlock detected")), DB_BUSY),
        (
            OperationalError("SELECT 1", {}, Exception("server closed the connection")),
            DB_UNREACHABLE,
        ),
        (
            OperationalError("SELECT x FROM t", {}, sqlite3.OperationalError("no such table")),
            UNEXPECTED,
        ),
        (ConnectionRefusedError(111, "Connection refused"), MAIL_UNREACHABLE),
        (smtplib.SMTPServerDisconnected("gone"), MAIL_UNREACHABLE),
        (PermanentFailure("550 no such user"), UNEXPECTED),
        (ValueError("bad value"), UNEXPECTED),
    ],
)
def test_each_kind_of_failure_has_its_sentence(exc: BaseException, sentence: str) -> None:
    assert failure_message(exc) == sentence
    try:  # the same, raised while handling another exception
        try:
            raise exc
        except BaseException as inner:
            raise RuntimeError("wrapped") from inner
    except RuntimeError as outer:
        assert failure_message(outer) == sentence


def test_every_count_a_job_records_has_a_french_label() -> None:
    """The sender's report and the re-matching's counts read in French on /coordination/taches."""
    from data.mail import SendReport
    from data.presentation import COUNT_LABELS

    keys = set(SendReport().as_dict()) | {"skipped", "created", "updated", "staled", "seconds"}
    assert keys <= set(COUNT_LABELS), keys - set(COUNT_LABELS)


def test_the_page_of_tasks_shows_each_job_and_the_runs_that_did_something(
    committed_factory: sessionmaker[Session], tmp_path: Path
) -> None:
    """A sender running every minute with nothing to send hides neither last night's jobs
    nor a failure: each job has its row, and the list of runs leaves out the idle ones."""
    night = datetime(2026, 3, 2, 2, 15, tzinfo=UTC)
    with committed_factory.begin() as s:
        run = start_run(s, "observatory", now=night)
        finish_run(s, run, counts={"observatory_months": 1, "observatory_figures": 40}, now=night)
        failed = start_run(s, "rematch", now=night)
        finish_run(s, failed, error=DB_BUSY, error_id="0badc0de", now=night)
        busy = start_run(s, "sender", now=night)
        finish_run(s, busy, counts={"sent": 3, "retried": 1, "seconds": 1.25})
        for minute in range(60):
            idle = start_run(s, "sender", now=NOW.replace(minute=minute))
            finish_run(s, idle, counts={"sent": 0, "retried": 0, "seconds": 0.004})
        coordinator = make_user(s, Role.COORDINATOR)
    page = sign_in(_app(committed_factory, tmp_path).test_client(), coordinator).get(
        "/coordination/taches"
    )
    text = unescape(page.get_data(as_text=True))
    each, _, runs = text.partition("Dernières exécutions des tâches planifiées")
    assert "mois enregistrés dans l'observatoire : 1, chiffres enregistrés" in each
    assert "Observatoire : chiffres des mois écoulés" in runs  # it did something
    assert f"{DB_BUSY} Référence de l'erreur : 0badc0de." in each and "0badc0de" in runs
    assert "<td>rien à faire</td>" in each  # the sender's last run, at 08:59
    assert "courriels envoyés : 3, courriels à réessayer : 1, secondes : 1,25" in runs
    assert "<td>rien à faire</td>" not in runs  # the idle runs are left out
    assert each.count("Pas encore exécutée.") == len(JOBS_BY_ID) - 3
