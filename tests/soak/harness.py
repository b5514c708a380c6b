"""The soak harness: the real service as processes, a real SMTP relay, people over HTTP.

:class:`Service` starts Passerelle exactly as ``make run`` does (``flask --app web init``, then the
web server and ``python -m jobs`` as two processes configured by ``PASSERELLE_*`` variables), on a
SQLite file in a temporary instance directory; or in the production shape: gunicorn with two
workers on a PostgreSQL database of its own, beside ``python -m jobs``. Job intervals are shortened
through the ``JOB_SCHEDULE`` setting (read by ``jobs.registry.specs_for``). Mail goes to an aiosmtpd
server on 127.0.0.1 (:class:`MailCatcher`) that the tests may stop, slow down and start again.

Every process is started in its own process group with ``PR_SET_PDEATHSIG`` (as
``scripts/run_local.py`` does) and its output goes to a log file; :meth:`Service.close` stops
them all, whatever happened. :class:`Person` is a browser: cookies, CSRF tokens read from the
forms, redirects shown rather than followed, and every answer recorded (no 500, ever).
"""

from __future__ import annotations

import importlib.util
import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
import urllib.error
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, func, select, text
from sqlalchemy.engine import make_url

from data.db import DEFERRED, make_engine
from data.mail.outbox import CLAIM_LEASE
from data.models import utcnow
from data.models.mail import OutboxMessage, OutboxStatus
from tests.conftest import PG_ENV
from tests.jobs.conftest import RecordingHandler, SmtpServer, free_port
from tests.test_run_local import Browser

ROOT = Path(__file__).resolve().parents[2]

#: How long a process may take to answer after it started (a loaded CI machine is slow).
START_TIMEOUT = 60.0
#: Job intervals of the soak: the interval jobs as the issue asks, the cron jobs too, so that
#: every job runs during a short day.
JOB_SCHEDULE: dict[str, dict[str, int]] = {
    "sender": {"seconds": 1},
    "rematch": {"seconds": 3},
    "contacts": {"seconds": 3},
    "digests_immediate": {"seconds": 4},
    "rematch_full": {"seconds": 9},
    "digests_daily": {"seconds": 7},
    "digests_weekly": {"seconds": 9},
    "coordinator_summary": {"seconds": 9},
    "reminders": {"seconds": 7},
    "retention": {"seconds": 9},
}


def _load_run_local() -> Any:
    """Import ``scripts/run_local.py`` (not a package) for its process helpers."""
    spec = importlib.util.spec_from_file_location(
        "soak_run_local", ROOT / "scripts" / "run_local.py"
    )
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


run_local = _load_run_local()


def wait_until(check: Callable[[], Any], what: str, timeout: float = 30.0, every: float = 0.2):  # type: ignore[no-untyped-def]
    """Return ``check()``'s first truthy value; raise AssertionError naming ``what`` on timeout."""
    deadline = time.monotonic() + timeout
    while True:
        found = check()
        if found:
            return found
        if time.monotonic() > deadline:
            raise AssertionError(f"waited {timeout:.0f} s in vain for {what}")
        time.sleep(every)


# --- Mail ----------------------------------------------------------------------------------------


class TimedHandler(RecordingHandler):
    """Keep every accepted message with the moment it was accepted (``time.time()``)."""

    def __init__(self) -> None:
        super().__init__()
        self.times: list[float] = []

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        answer = await super().handle_DATA(server, session, envelope)
        with self.lock:
            self.times.append(time.time())
        return answer


class MailCatcher(SmtpServer):
    """The SMTP relay of the service: records every message and when it came."""

    def __init__(self) -> None:
        super().__init__(free_port())
        self.handler = TimedHandler()

    def received(self) -> list[tuple[float, EmailMessage]]:
        """Return (arrival time, message) of everything accepted so far."""
        with self.handler.lock:
            return list(zip(self.handler.times, self.handler.messages, strict=False))

    def to(self, address: str) -> list[tuple[float, EmailMessage]]:
        """Return what was accepted for ``address`` (case-insensitive), in arrival order."""
        address = address.lower()
        return [(t, m) for t, m in self.received() if str(m["To"]).lower() == address]

    def wait_for(self, address: str, kind: str | None = None, timeout: float = 30.0):  # type: ignore[override,no-untyped-def]
        """Wait for the first message to ``address`` (of ``kind``, the X-Passerelle-Kind)."""

        def found() -> EmailMessage | None:
            for _, m in self.to(address):
                if kind is None or m["X-Passerelle-Kind"] == kind:
                    return m
            return None

        return wait_until(found, f"a {kind or 'mail'} to {address}", timeout)


def body_of(message: EmailMessage) -> str:
    """Return the plain-text body of a message."""
    part = message.get_body(("plain",))
    assert part is not None
    return part.get_content()


SIGNIN_LINK = re.compile(r"https?://[^/\s]+(/connexion/lien/[A-Za-z0-9_\-]+)")


# --- Databases -----------------------------------------------------------------------------------


@contextmanager
def admin_connection() -> Iterator[Any]:
    """An AUTOCOMMIT connection to the PostgreSQL server of the tests (to create databases)."""
    admin = make_engine(os.environ[PG_ENV], isolation_level="AUTOCOMMIT")
    try:
        with admin.connect() as conn:
            yield conn
    finally:
        admin.dispose()


def make_pg_template(workdir: Path) -> Database:
    """Create a PostgreSQL database with ``flask --app web init``, for services to copy.

    Loading the gazetteer takes PostgreSQL about ten seconds: done once per test session, each
    service then starts on a copy (``CREATE DATABASE ... TEMPLATE``) of what ``init`` made.
    """
    db = Database("postgresql", workdir)
    env = {k: v for k, v in os.environ.items() if not k.startswith("PASSERELLE_")}
    env.update(
        PASSERELLE_ENV="development",
        PASSERELLE_INSTANCE_DIR=str(workdir),
        PASSERELLE_DATABASE_URL=db.url,
    )
    done = subprocess.run(
        run_local._flask("init"), cwd=ROOT, env=env, capture_output=True, text=True, timeout=300
    )
    assert done.returncode == 0, f"flask init failed:\n{done.stdout}{done.stderr}"
    return db


class Database:
    """The service's database: a SQLite file in the instance, or a PostgreSQL database of its own.

    PostgreSQL databases are created on the server of ``PASSERELLE_TEST_DATABASE_URL`` under a
    name made of that database's name (which contains "test") and "soak", as a copy of
    ``template`` if given, and dropped at the end.
    """

    _counter = 0

    def __init__(
        self, backend: str, instance: Path, template: str | None = None, url: str | None = None
    ) -> None:
        self.backend = backend
        self.instance = instance
        self.name: str | None = None
        self._engine: Engine | None = None
        self._writer: Engine | None = None
        if url is not None:  # a database of a server the test runs itself: neither made nor dropped
            self.url = url
            return
        if backend == "sqlite":
            # What `make run` uses when PASSERELLE_DATABASE_URL is not set.
            self.url = f"sqlite:///{instance / 'passerelle.db'}"
            return
        base = make_url(os.environ[PG_ENV])
        assert "test" in (base.database or ""), "the test database's name must contain 'test'"
        Database._counter += 1
        self.name = f"{base.database}_soak_{os.getpid()}_{Database._counter}"
        self.url = base.set(database=self.name).render_as_string(hide_password=False)
        copy = f' TEMPLATE "{template}"' if template else ""
        with admin_connection() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))
            conn.execute(text(f'CREATE DATABASE "{self.name}"{copy}'))

    @property
    def engine(self) -> Engine:
        """The test's engine for reading (the service's processes have theirs).

        On SQLite its transactions begin DEFERRED (``data.db.DEFERRED`` where the service begins
        every transaction IMMEDIATE): a test polling the database never holds the write lock
        the service's processes wait for. Writes go through :attr:`writer`.
        """
        if self._engine is None:
            self._engine = make_engine(self.url).execution_options(**DEFERRED)
        return self._engine

    @property
    def writer(self) -> Engine:
        """The test's engine for writing (the service's own way of beginning transactions)."""
        if self._writer is None:
            self._writer = make_engine(self.url)
        return self._writer

    def drop(self) -> None:
        """Close the test's connections; drop a PostgreSQL database."""
        for engine in (self._engine, self._writer):
            if engine is not None:
                engine.dispose()
        self._engine = self._writer = None
        if self.name is not None:
            with admin_connection() as conn:
                conn.execute(text(f'DROP DATABASE IF EXISTS "{self.name}" WITH (FORCE)'))


# --- Processes -----------------------------------------------------------------------------------


class Process:
    """One process of the service, its output in a log file."""

    def __init__(self, name: str, argv: list[str], env: dict[str, str], log: Path) -> None:
        self.name, self.log = name, log
        with log.open("ab") as out:
            self.popen = subprocess.Popen(
                argv,
                cwd=ROOT,
                env=env,
                stdout=out,
                stderr=subprocess.STDOUT,
                process_group=0,
                preexec_fn=run_local._die_with_launcher,
            )

    @property
    def pid(self) -> int:
        return self.popen.pid

    def alive(self) -> bool:
        return self.popen.poll() is None

    def output(self) -> str:
        return self.log.read_text(encoding="utf-8", errors="replace")

    def stop(self, timeout: float = 45.0) -> int:
        """Stop it as Ctrl-C does (SIGINT); kill it if it has not stopped after ``timeout``."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGINT)
            try:
                self.popen.wait(timeout=timeout)
            except subprocess.TimeoutExpired:
                self.popen.kill()
                self.popen.wait()
        return self.popen.returncode

    def kill(self) -> int:
        """SIGKILL: no handler runs, nothing is cleaned up."""
        if self.popen.poll() is None:
            self.popen.send_signal(signal.SIGKILL)
        return self.popen.wait()


class Service:
    """Passerelle as processes: ``server`` is "flask" (as `make run`) or "gunicorn" (production)."""

    def __init__(
        self,
        workdir: Path,
        backend: str,
        mail: MailCatcher,
        *,
        server: str | None = None,
        schedule: dict[str, dict[str, int]] | None = None,
        database_restarter: Callable[[], None] | None = None,
        template: str | None = None,
        database_url: str | None = None,
    ) -> None:
        self.workdir = workdir
        self.instance = workdir / "instance"
        self.instance.mkdir(parents=True, exist_ok=True)
        self.backend = backend
        self.server = server or ("flask" if backend == "sqlite" else "gunicorn")
        self.mail = mail
        self.port = free_port()
        self.base = f"http://127.0.0.1:{self.port}"
        self.db = Database(backend, self.instance, template, database_url)
        #: A copy of a database ``flask init`` made needs no ``init`` of its own.
        self.initialised = template is not None
        self.schedule = dict(JOB_SCHEDULE if schedule is None else schedule)
        self.processes: list[Process] = []
        self.web: Process | None = None
        self.jobs: Process | None = None
        self._database_restarter = database_restarter
        self._runs = 0
        self.jobs_started_at = 0.0
        self.env = self._environment()

    def _environment(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith("PASSERELLE_")}
        env.update(
            PASSERELLE_INSTANCE_DIR=str(self.instance),
            PASSERELLE_PORT=str(self.port),
            PASSERELLE_BASE_URL=self.base,
            PASSERELLE_MAIL_BACKEND="smtp",
            PASSERELLE_SMTP_HOST="127.0.0.1",
            PASSERELLE_SMTP_PORT=str(self.mail.port),
            PASSERELLE_SMTP_STARTTLS="false",
            PASSERELLE_SMTP_TIMEOUT="10",
            PASSERELLE_MAIL_FROM="Passerelle <ne-pas-repondre@passerelle.example>",
            PASSERELLE_JOB_SCHEDULE=json.dumps(self.schedule),
            # Every person of the soak comes from 127.0.0.1: the per-address sign-in limit
            # (meant for one client) would soon refuse them all. The per-account limit stays.
            PASSERELLE_RATELIMIT_PER_ADDRESS="100000",
            # The scenarios read every run's start in the jobs' log (idle runs log at DEBUG).
            PASSERELLE_JOBS_LOG_LEVEL="DEBUG",
            PYTHONUNBUFFERED="1",
        )
        if self.server == "flask":
            env["PASSERELLE_ENV"] = "development"  # what scripts/run_local.py sets
        else:
            env["PASSERELLE_ENV"] = "production"
            env["PASSERELLE_SECRET_KEY"] = os.urandom(32).hex()
            # Plain HTTP on the loopback (production sits behind a TLS proxy).
            env["PASSERELLE_SESSION_COOKIE_SECURE"] = "false"
        if self.backend != "sqlite":
            env["PASSERELLE_DATABASE_URL"] = self.db.url
        return env

    # --- Commands and processes

    def _log(self, name: str) -> Path:
        return self.workdir / f"{name}.log"

    def flask(self, *args: str) -> str:
        """Run ``flask --app web ARGS`` as a person would in a terminal; return its output."""
        done = subprocess.run(
            run_local._flask(*args),
            cwd=ROOT,
            env=self.env,
            capture_output=True,
            text=True,
            timeout=120,
        )
        with self._log("commands").open("a", encoding="utf-8") as log:
            log.write(f"$ flask {' '.join(args)}\n{done.stdout}{done.stderr}\n")
        tail = "\n".join(f"{done.stdout}{done.stderr}".splitlines()[-12:])
        assert done.returncode == 0, f"flask {' '.join(args)} failed (commands log):\n{tail}"
        return done.stdout

    def spawn(self, name: str, argv: list[str]) -> Process:
        """Start one more process of the service."""
        proc = Process(name, argv, self.env, self._log(name))
        self.processes.append(proc)
        return proc

    def start(self, *, jobs: bool = True) -> Service:
        """Migrate (``flask init``), start the web server, wait until it answers, start the jobs."""
        if not self.initialised:
            self.flask("init")
            self.initialised = True
        if self.server == "flask":
            argv = run_local._flask("run", "--host", "127.0.0.1", "--port", str(self.port))
        else:
            argv = [
                sys.executable,
                "-m",
                "gunicorn",
                "--workers",
                "2",
                "--bind",
                f"127.0.0.1:{self.port}",
                "--access-logfile",
                "-",
                # Not the shared default under ~/.gunicorn: several servers may run at once.
                "--control-socket",
                str(self.workdir / "gunicorn.ctl"),
                "web:create_app()",
            ]
        self.web = self.spawn("web", argv)
        self.wait_served()
        if jobs:
            self.start_jobs()
        return self

    def wait_served(self) -> None:
        """Wait until the web server answers its home page."""

        def up() -> bool:
            assert self.web is not None and self.web.alive(), "the web server stopped"
            try:
                return Browser(self.base).request("/")[0] == 200
            except (urllib.error.URLError, ConnectionError, TimeoutError):
                return False

        wait_until(up, "the web server", START_TIMEOUT, every=0.3)

    def start_jobs(self, name: str | None = None) -> Process:
        """Start ``python -m jobs`` (the scheduler)."""
        self._runs += 1
        self.jobs_started_at = time.time()
        proc = self.spawn(name or f"jobs-{self._runs}", [sys.executable, "-m", "jobs"])
        self.jobs = proc
        return proc

    def stop_jobs(self) -> int:
        """Stop the scheduler as Ctrl-C does; return its exit status."""
        assert self.jobs is not None
        status = self.jobs.stop()
        return status

    def restart_database(self) -> None:
        """Restart the database server under the running processes (PostgreSQL only).

        The hook of the PostgreSQL-restart fault: give :class:`Service` a ``database_restarter``
        (a private PostgreSQL server's restart) and call this while the web app and the
        scheduler run; the service must answer 503 meanwhile and recover without a restart.
        """
        if self._database_restarter is None:
            raise NotImplementedError("this service was given no database_restarter")
        self._database_restarter()

    def close(self) -> None:
        """Stop every process (SIGINT, then SIGTERM, then SIGKILL) and drop the database.

        The clean-up after a test, whose stops were checked (``stop``, ``stop_jobs``): a process
        left running gets two seconds per signal, not ``make run``'s ten (seen: a SQLite
        service's web server outlasting SIGINT at the end of a loaded run, ten seconds a test)."""
        run_local._stop([p.popen for p in self.processes], grace=(2.0, 2.0))
        for p in self.processes:  # each in its own group: a gunicorn worker left behind
            try:
                os.killpg(p.pid, signal.SIGKILL)
            except (ProcessLookupError, PermissionError):
                pass
        self.db.drop()

    def logs(self) -> dict[str, str]:
        """Return the text of every log file (commands, web, each scheduler)."""
        return {
            p.name: p.read_text(encoding="utf-8", errors="replace")
            for p in sorted(self.workdir.glob("*.log"))
        }

    # --- Staff

    def create_staff(self, email: str, role: str = "coordinator") -> tuple[str, str]:
        """Create a staff account with the CLI; return its password and TOTP secret."""
        out = self.flask("users", "create-staff", "--email", email, "--role", role)
        password = re.search(r"Mot de passe[^:]*: (\S+)", out)
        secret = re.search(r"Secret TOTP : (\S+)", out)
        assert password and secret, out
        return password.group(1), secret.group(1)

    # --- Waiting for the scheduler

    def first_run_after(self, job: str, after: float) -> float | None:
        """Return when the first finished run of ``job`` started at or after ``after`` ended."""
        from data.models.mail import JobRun

        with self.db.engine.connect() as conn:
            ends = conn.scalars(
                select(JobRun.finished_at)
                .where(JobRun.job == job, JobRun.finished_at.is_not(None))
                .where(JobRun.started_at >= datetime.fromtimestamp(after, UTC))
                .order_by(JobRun.started_at)
                .limit(1)
            ).all()
        return ends[0].timestamp() if ends else None

    def outbox_due(self) -> int:
        """Count the mails that are due or being sent."""
        t = OutboxMessage.__table__
        with self.db.engine.connect() as conn:
            return int(
                conn.scalar(
                    select(func.count())
                    .select_from(t)
                    .where(
                        (t.c.status == OutboxStatus.SENDING)
                        | ((t.c.status == OutboxStatus.PENDING) & (t.c.next_attempt_at <= utcnow()))
                    )
                )
                or 0
            )

    def wait_for_quiet(self, after: float, jobs_since: float | None, timeout: float = 90.0) -> None:
        """Wait until the scheduler has caught up with what people did before ``after``.

        A rematch, then the immediate digests, then the contacts, then the sender ran after
        ``after``, and the outbox holds nothing due; every scheduled job ran since
        ``jobs_since`` (the start of this scheduler), unless it is None.
        """

        def caught_up() -> bool:
            rematched = self.first_run_after("rematch", after)
            digested = rematched and self.first_run_after("digests_immediate", rematched)
            contacted = self.first_run_after("contacts", after)
            if not (digested and contacted):
                return False
            sent = self.first_run_after("sender", max(digested, contacted))
            if not sent or self.outbox_due():
                return False
            if jobs_since is None:
                return True
            return all(self.first_run_after(job, jobs_since) for job in self.schedule)

        wait_until(caught_up, "the scheduler to catch up", timeout, every=0.5)

    # --- Time passes (for the outbox only)

    def let_outbox_time_pass(self, delta: timedelta) -> int:
        """Move the outbox's claims and retry times ``delta`` into the past; return rows moved.

        The sender's claim lease (15 minutes) and its first retry delay (1 minute) are constants
        of the service, not settings: a short test makes them elapse by moving the rows' own
        times back, exactly as if that much time had passed for them.
        """
        from sqlalchemy.orm import Session

        now = utcnow()
        moved = 0
        with Session(self.db.writer) as s, s.begin():
            for row in s.scalars(select(OutboxMessage)):
                if row.status == OutboxStatus.SENDING and row.claimed_at is not None:
                    row.claimed_at -= delta
                elif row.status == OutboxStatus.PENDING and row.next_attempt_at > now:
                    row.next_attempt_at -= delta
                else:
                    continue
                moved += 1
        return moved


#: How much time the lease of a dead sender's claims needs to pass.
LEASE = CLAIM_LEASE


# --- People --------------------------------------------------------------------------------------


class Person(Browser):
    """Someone using Passerelle in a browser; every answer is kept in ``answers``."""

    CSRF = re.compile(r'name="csrf_token" value="([^"]+)"')

    def __init__(self, base: str, answers: list[tuple[str, str, int]], name: str = "") -> None:
        super().__init__(base)
        self.answers = answers
        self.name = name
        self.lock = threading.Lock()

    def request(self, path: str, form: dict[str, str] | None = None) -> tuple[int, str, str]:
        status, body, location = super().request(path, form)
        with self.lock:
            self.answers.append(("POST" if form is not None else "GET", path, status))
        return status, body, location

    def get(self, path: str) -> str:
        """GET a page that must answer 200; return its HTML."""
        status, body, _ = self.request(path)
        assert status == 200, f"{self.name}: GET {path} answered {status}"
        return body

    def token(self, page: str) -> str:
        """Return the CSRF token of the form on ``page`` (as a browser has it)."""
        found = self.CSRF.search(self.get(page))
        assert found, f"no form on {page}"
        return found.group(1)

    def submit(
        self, page: str, action: str | None = None, form: dict[str, str] | None = None
    ) -> tuple[int, str, str]:
        """Open ``page``, fill its form with ``form`` and send it to ``action`` (default: page)."""
        data = {"csrf_token": self.token(page), **(form or {})}
        return self.request(action or page, data)

    def sign_in_with_link(self, mail: MailCatcher, email: str, since: int) -> None:
        """Follow the sign-in link of the first sign-in mail to ``email`` after ``since`` mails."""

        def link() -> str | None:
            for _, m in mail.to(email)[since:]:
                found = SIGNIN_LINK.search(body_of(m))
                if found and m["X-Passerelle-Kind"] == "signin":
                    return found.group(1)
            return None

        path = wait_until(link, f"the sign-in link of {email}", 30)
        status, _, location = self.submit(path)
        assert status == 302, f"{email}: the sign-in link answered {status}"

    def sign_in_staff(self, email: str, password: str, secret: str) -> None:
        """Sign in with password and TOTP code (the code of the current step, used once)."""
        from data.auth import totp_code

        status, _, _ = self.submit(
            "/connexion/equipe",
            form={"email": email, "password": password, "code": totp_code(secret, utcnow())},
        )
        assert status == 302, f"{email}: staff sign-in answered {status}"


def unsubscribe_link(message: EmailMessage) -> str | None:
    """Return the one-click unsubscribe URL of a message, if it carries one."""
    header = message["List-Unsubscribe"]
    if not header:
        return None
    found = re.search(r"<([^>]+)>", str(header))
    return found.group(1) if found else None


def one_click(url: str) -> int:
    """POST ``List-Unsubscribe=One-Click`` as a mail client does: no cookie, no redirect."""
    status, _, _ = Browser("").request(url, {"List-Unsubscribe": "One-Click"})
    return status
