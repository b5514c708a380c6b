"""Fixtures of the web tests: the app on the test connection, clients signed in as each role.

The app's session factory is replaced by one bound to the test's connection (commits become
savepoints of the outer transaction), so pages see the rows the test made and leave no trace.
"""

from __future__ import annotations

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from argon2 import PasswordHasher
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session, sessionmaker

from data import auth, mail
from data.models import Employer, Offer, Request, Role, Suggestion, TrainingCentre, User
from tests.data import factories as f
from web import create_app
from web.db import state

#: The test apps' secret key, which signs their session cookies and CSRF tokens.
TEST_SECRET_KEY = "test-secret"
#: The raw CSRF token a test browser's session holds (Flask-WTF keeps it under ``csrf_token``).
CSRF_SESSION = "test-csrf-token"


def _signed_csrf(raw: str, secret_key: str = TEST_SECRET_KEY) -> str:
    """Return the token a form of a session holding ``raw`` carries, as Flask-WTF signs it."""
    from flask import session
    from flask_wtf.csrf import generate_csrf

    signer = Flask("csrf")
    signer.secret_key = secret_key
    with signer.test_request_context():
        session["csrf_token"] = raw
        return str(generate_csrf())


#: What the test browsers' forms send as ``csrf_token`` (or the ``X-CSRF-Token`` header).
CSRF = _signed_csrf(CSRF_SESSION)


#: Apps already built, by database and settings: building one costs about 0.1 s (570 routes,
#: the OpenAPI document) and its templates compile on first use, for each of ~1,500 tests.
_APPS: dict[tuple[str, tuple[tuple[str, str], ...]], tuple[Flask, dict[str, Any]]] = {}


def make_app(
    connection: Connection, engine: Engine, tmp_path: Path, *, fresh: bool = False, **config: Any
) -> Flask:
    """Build the app for tests, its sessions bound to ``connection``.

    The app of the same database and settings is reused from test to test, its settings put
    back as built (a test may change them) and its sessions bound to the new test's
    connection; ``fresh`` builds one of its own (a test that adds routes to it, say).
    """
    url = engine.url.render_as_string(hide_password=False)
    key = (url, tuple(sorted((k, repr(v)) for k, v in config.items())))
    cached = None if fresh else _APPS.get(key)
    if cached is None:
        app = create_app(
            {
                "TESTING": True,
                "SECRET_KEY": TEST_SECRET_KEY,
                "DATABASE_URL": url,
                "MAIL_DIR": str(tmp_path / "mail"),
                "CV_DIR": str(tmp_path / "cv"),
                "LIBRARY_DIR": str(tmp_path / "mallette"),
                "BASE_URL": "http://localhost",
                # A test's world is written through the app's session: its suggestions are the
                # test's own. The re-matching on commit has its tests (test_rematch_on_commit).
                "REMATCH_ON_COMMIT": False,
                **config,
            }
        )
        st = state(app)
        st.engine.dispose()
        st.engine = engine
        if not fresh:
            _APPS[key] = (app, dict(app.config))
    else:
        app, settings = cached
        app.config.clear()
        app.config.update(
            settings,
            MAIL_DIR=str(tmp_path / "mail"),
            CV_DIR=str(tmp_path / "cv"),
            LIBRARY_DIR=str(tmp_path / "mallette"),
        )
        st = state(app)
    st.session_factory = sessionmaker(
        bind=connection, join_transaction_mode="create_savepoint", expire_on_commit=False
    )
    return app


#: argon2id at its lowest cost (1 pass, 8 KiB, 1 lane) for the pages' and the API's tests.
CHEAP_HASHER = PasswordHasher(time_cost=1, memory_cost=8, parallelism=1)


@pytest.fixture(autouse=True)
def cheap_password_hashing(monkeypatch: pytest.MonkeyPatch) -> None:
    """Hash and check staff passwords at the lowest argon2id cost in these tests: a sign-in then
    costs a millisecond instead of half a second of CPU (a sign-in-challenge test signs in or
    fails four times). The real parameters are tests/data/test_auth.py's subject, and the
    processes of the soak and README tests keep them."""
    monkeypatch.setattr(auth, "PASSWORD_HASHER", CHEAP_HASHER)
    monkeypatch.setattr(auth, "_DUMMY_HASH", None)


@pytest.fixture
def app(connection: Connection, engine: Engine, tmp_path: Path) -> Flask:
    return make_app(connection, engine, tmp_path)


@pytest.fixture
def client(app: Flask) -> FlaskClient:
    return app.test_client()


def sign_in(client: FlaskClient, user: User | None) -> FlaskClient:
    """Put ``user``'s session in the client's cookie (the sign-in flows have their own tests)."""
    with client.session_transaction() as sess:
        sess.clear()
        sess["csrf_token"] = CSRF_SESSION
        if user is not None:
            sess["uid"] = user.id
            sess["sv"] = user.session_version
            sess["t"] = int(time.time())
    return client


def post(client: FlaskClient, url: str, data: dict[str, Any] | None = None, **kw: Any):  # type: ignore[no-untyped-def]
    """POST a form with this session's CSRF token."""
    return client.post(url, data={"csrf_token": CSRF, **(data or {})}, **kw)


@dataclass
class World:
    """Two employers, a candidate and a coordinator, an offer each, one pair approved."""

    employer_user: User
    other_employer_user: User
    candidate_user: User
    coordinator: User
    admin: User
    employer: Employer
    offer: Offer
    other_offer: Offer
    draft: Offer
    request: Request
    suggestion: Suggestion  # approved: both sides see each other
    proposed: Suggestion  # not reviewed: nobody but coordinators sees it
    centre: TrainingCentre  # an IFAS with one programme (aide-soignant) and one session


@pytest.fixture
def world(session: Session) -> World:
    employer_user = f.make_user(session, Role.EMPLOYER)
    other_employer_user = f.make_user(session, Role.EMPLOYER)
    employer = employer_user.employer
    assert employer is not None
    site = f.make_site(session, employer, beds=2)
    offer = f.make_offer(session, site)
    draft = f.make_offer(session, site, publish=False)
    other_site = f.make_site(session, other_employer_user.employer, commune_insee=f.OYONNAX)
    other_offer = f.make_offer(session, other_site, metier_code="accompagnant-educatif-social")
    candidate_user = f.make_user(
        session, Role.CANDIDATE, candidate=f.make_candidate(session, phone="06 12 34 56 78")
    )
    req = f.make_request(session, candidate_user.candidate, needs_housing=True)
    from data.models import SuggestionStatus

    suggestion = f.make_suggestion(session, req, offer, status=SuggestionStatus.APPROVED)
    proposed = f.make_suggestion(session, req, other_offer, score=0.9)
    coordinator = f.make_user(session, Role.COORDINATOR)
    admin = f.make_user(session, Role.ADMIN)
    centre = f.make_centre(session)
    assert centre.programmes[0].sessions  # loaded now: the matrices read them without a query
    session.commit()
    return World(
        employer_user=employer_user,
        other_employer_user=other_employer_user,
        candidate_user=candidate_user,
        coordinator=coordinator,
        admin=admin,
        employer=employer,
        offer=offer,
        other_offer=other_offer,
        draft=draft,
        request=req,
        suggestion=suggestion,
        proposed=proposed,
        centre=centre,
    )


@pytest.fixture
def as_user(app: Flask) -> Callable[[User | None], FlaskClient]:
    """Return a new client signed in as the given user (None: anonymous with a CSRF token)."""

    def make(user: User | None) -> FlaskClient:
        return sign_in(app.test_client(), user)

    return make


def deliver_mails(app: Flask) -> mail.SendReport:
    """Send the queued mails as the jobs' sender does every minute (pages only queue them).

    One worker: the app's sessions share the test's connection, which threads cannot.
    """
    return mail.send_pending(state(app).session_factory, mail.make_mailer(app.config))


@pytest.fixture
def mail_dir(app: Flask) -> Iterator[Path]:
    yield Path(app.config["MAIL_DIR"])


def pdf_text(data: bytes) -> str:
    """Read a PDF's text back as words separated by one space: a table cell wraps where its
    column's width says, which the other cells decide, so line breaks are not the document's."""
    import io

    import pypdf

    return " ".join(
        " ".join(page.extract_text() for page in pypdf.PdfReader(io.BytesIO(data)).pages).split()
    )
