"""Fixtures for the jobs and mail tests: a real SMTP server, and databases that really commit.

``committed_factory`` gives a session factory whose commits are real (a fresh SQLite file, or a
PostgreSQL schema of its own): sender concurrency, crashes and subprocesses need that; the shared
``session`` fixture (one rolled-back transaction) cannot show them.
"""

from __future__ import annotations

import os
import socket
import threading
from collections.abc import Iterator
from email import message_from_bytes, policy
from email.message import EmailMessage
from pathlib import Path
from typing import Any

import pytest
from aiosmtpd.controller import Controller
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from data import migrate
from data.db import make_engine, make_session_factory
from data.models import Base, Commune
from data.reference import load_reference
from tests.conftest import PG_ENV, _backends

PG_SCHEMA = "jobs_commit_test"
# Reference tables survive between tests; everything else is emptied.
KEEP_TABLES = {"communes", "metiers", "alembic_version"}


def free_port() -> int:
    """Return a TCP port nobody listens on right now (aiosmtpd cannot take port 0)."""
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


class RecordingHandler:
    """An aiosmtpd handler that keeps every accepted message; some addresses get fixed answers."""

    def __init__(self) -> None:
        self.messages: list[EmailMessage] = []
        self.envelopes: list[tuple[str, list[str]]] = []
        self.rcpt_answers: dict[str, str] = {}  # address -> e.g. "550 No such user"
        self.lock = threading.Lock()
        self.accepted = threading.Condition(self.lock)
        self.delay = 0.0

    async def handle_RCPT(self, server, session, envelope, address, rcpt_options):  # noqa: N802
        answer = self.rcpt_answers.get(address.lower())
        if answer:
            return answer
        envelope.rcpt_tos.append(address)
        return "250 OK"

    async def handle_DATA(self, server, session, envelope):  # noqa: N802
        if self.delay:
            import asyncio

            await asyncio.sleep(self.delay)
        msg = message_from_bytes(envelope.content, policy=policy.default)
        with self.accepted:
            self.messages.append(msg)  # type: ignore[arg-type]
            self.envelopes.append((envelope.mail_from, list(envelope.rcpt_tos)))
            self.accepted.notify_all()
        return "250 Message accepted for delivery"

    def wait_for(self, n: int, timeout: float = 10.0) -> bool:
        """Wait until at least ``n`` messages were accepted."""
        with self.accepted:
            return self.accepted.wait_for(lambda: len(self.messages) >= n, timeout)

    def by_message_id(self) -> dict[str, int]:
        counts: dict[str, int] = {}
        for m in self.messages:
            counts[str(m["Message-ID"])] = counts.get(str(m["Message-ID"]), 0) + 1
        return counts


class SmtpServer:
    """A local aiosmtpd server that can be stopped and started again on the same port."""

    def __init__(self, port: int, **kwargs: Any) -> None:
        self.port = port
        self.handler = RecordingHandler()
        self.kwargs = kwargs
        self.controller: Controller | None = None

    def start(self) -> None:
        self.controller = Controller(
            self.handler, hostname="127.0.0.1", port=self.port, **self.kwargs
        )
        self.controller.start()

    def stop(self) -> None:
        if self.controller is not None:
            self.controller.stop()
            self.controller = None

    @property
    def messages(self) -> list[EmailMessage]:
        return self.handler.messages

    def config(self, **extra: Any) -> dict[str, Any]:
        """Mailer settings pointing at this server (no TLS unless asked)."""
        cfg: dict[str, Any] = {
            "MAIL_BACKEND": "smtp",
            "SMTP_HOST": "127.0.0.1",
            "SMTP_PORT": self.port,
            "SMTP_STARTTLS": False,
            "SMTP_TIMEOUT": 5,
            "MAIL_FROM": "Passerelle <ne-pas-repondre@passerelle.example>",
            "BASE_URL": "https://passerelle.example",
        }
        cfg.update(extra)
        return cfg


@pytest.fixture
def smtp_server() -> Iterator[SmtpServer]:
    """A running SMTP server on 127.0.0.1 that records what it accepts."""
    server = SmtpServer(free_port())
    server.start()
    try:
        yield server
    finally:
        server.stop()


def _empty_tables(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in reversed(Base.metadata.sorted_tables):
            if table.name not in KEEP_TABLES:
                conn.execute(table.delete())


TEST_COMMUNES = [
    ("01053", "Bourg-en-Bresse", "01", "01000", 46.2052, 5.2255, 41000),
    ("01004", "Ambérieu-en-Bugey", "01", "01500", 45.9583, 5.3597, 14000),
    ("01283", "Oyonnax", "01", "01100", 46.2561, 5.6556, 22000),
]


def ensure_test_communes(session: Session) -> None:
    """Add the few communes the tests place people in, unless the gazetteer has them."""
    for insee, name, dep, postal, lat, lon, pop in TEST_COMMUNES:
        if session.get(Commune, insee) is None:
            session.add(
                Commune(
                    insee=insee,
                    name=name,
                    departement=dep,
                    postal_codes=postal,
                    latitude=lat,
                    longitude=lon,
                    population=pop,
                )
            )
    session.flush()


def _committing_engine(backend: str, tmp_dir: Path) -> tuple[Engine, Any]:
    if backend == "sqlite":
        url = f"sqlite:///{tmp_dir}/committed.db"
        eng = make_engine(url)
        return eng, None
    url = os.environ[PG_ENV]
    admin = make_engine(url)
    with admin.begin() as conn:
        conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        conn.execute(text(f"CREATE SCHEMA {PG_SCHEMA}"))
    with admin.begin() as conn:
        # The mallette's search calls ``unaccent``, an extension installed once per database,
        # in the schema of the first database migrated (``public``), out of this schema's
        # search path: reach it from here as a deployment's search path would.
        conn.execute(text("CREATE EXTENSION IF NOT EXISTS unaccent"))
        where = conn.scalar(
            text(
                "SELECT n.nspname FROM pg_extension e JOIN pg_namespace n"
                " ON n.oid = e.extnamespace WHERE e.extname = 'unaccent'"
            )
        )
        if where != PG_SCHEMA:
            conn.execute(
                text(
                    f"CREATE FUNCTION {PG_SCHEMA}.unaccent(text) RETURNS text"
                    f" LANGUAGE sql STABLE AS 'SELECT {where}.unaccent($1)'"
                )
            )
    eng = make_engine(url, connect_args={"options": f"-csearch_path={PG_SCHEMA}"})
    return eng, admin


@pytest.fixture(scope="session", params=_backends())
def committed_engine(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Engine]:
    """A migrated database of its own (per backend) where commits are real."""
    eng, admin = _committing_engine(request.param, tmp_path_factory.mktemp(f"jobs-{request.param}"))
    migrate.upgrade(eng)
    with Session(eng) as s, s.begin():
        # The métiers, and a few communes: the full gazetteer is not needed here.
        load_reference(s, communes_path=Path("/nonexistent"))
        ensure_test_communes(s)
    yield eng
    eng.dispose()
    if admin is not None:
        with admin.begin() as conn:
            conn.execute(text(f"DROP SCHEMA IF EXISTS {PG_SCHEMA} CASCADE"))
        admin.dispose()


@pytest.fixture
def committed_factory(committed_engine: Engine) -> Iterator[sessionmaker[Session]]:
    """A session factory on ``committed_engine``; every table but the reference is emptied after."""
    _empty_tables(committed_engine)
    try:
        yield make_session_factory(committed_engine)
    finally:
        _empty_tables(committed_engine)


def database_url(engine: Engine) -> str:
    """The URL a subprocess needs to reach ``engine``'s database (schema included on PostgreSQL)."""
    return engine.url.render_as_string(hide_password=False)


# --- A small world to mail about ------------------------------------------------------------------


class World:
    """Ids of one employer (with a staff account), one offer and one candidate with a request."""

    employer_id: int
    employer_user_email: str
    site_id: int
    offer_id: int
    candidate_id: int
    candidate_email: str
    request_id: int
    coordinator_email: str


def build_world(factory: sessionmaker[Session], *, now: Any, frequency: str = "daily") -> World:
    """Create the world's rows and commit them."""
    from datetime import timedelta

    from data.models import Role
    from tests.data.factories import (
        make_candidate,
        make_employer,
        make_offer,
        make_request,
        make_site,
        make_user,
    )

    w = World()
    with factory.begin() as s:
        employer = make_employer(s, name="EHPAD Les Tilleuls", contact_name="Claire Martin")
        user = make_user(s, Role.EMPLOYER, employer=employer, email="rh@tilleuls.example")
        site = make_site(s, employer, name="Résidence du Parc", address="3 rue des Lilas")
        offer = make_offer(s, site, start_date=(now + timedelta(days=90)).date(), now=now)
        candidate = make_candidate(
            s,
            first_name="Léa",
            last_name="Dupont",
            email="lea.dupont@exemple.fr",
            phone="06 12 34 56 78",
            notify_frequency=frequency,
            now=now,
        )
        request = make_request(s, candidate, now=now)
        coordinator = make_user(s, Role.COORDINATOR, email="coord@ain.example")
        w.employer_id, w.employer_user_email = employer.id, user.email
        w.site_id, w.offer_id = site.id, offer.id
        w.candidate_id, w.candidate_email, w.request_id = candidate.id, candidate.email, request.id
        w.coordinator_email = coordinator.email
    return w
