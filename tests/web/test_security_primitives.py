"""Issue 13, item 6: the security primitives and the decision on record for each.

CSRF is Flask-WTF's ``CSRFProtect`` (web/security.py): what it adds (the Referer check on HTTPS)
and what we kept (the token lives with the session, our exemptions) are pinned here. Rate limits
stay ours (data/auth.py says why): their counts live in the database, so every worker sees them.
"""

from __future__ import annotations

import re
import time
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from itsdangerous import URLSafeTimedSerializer
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from data import auth
from tests.web.conftest import (
    CSRF,
    CSRF_SESSION,
    TEST_SECRET_KEY,
    World,
    _signed_csrf,
    make_app,
    post,
    sign_in,
)
from tests.web.test_signin import _staff

FORM = {"email": "x@example.org"}
EXPIRED = "La page a expiré"


def _https(app: Flask) -> FlaskClient:
    return sign_in(app.test_client(), None)


def test_csrf_on_https_needs_a_referer_of_this_site(app: Flask) -> None:
    client = _https(app)
    referers = {
        None: 400,  # missing
        "https://ailleurs.example/page": 400,  # another site
        "http://localhost/connexion": 400,  # this site, downgraded to plain HTTP
        "https://localhost/connexion": 200,
    }
    for referer, status in referers.items():
        headers = {"Referer": referer} if referer else {}
        response = client.post(
            "/connexion",
            base_url="https://localhost",
            data={"csrf_token": CSRF, **FORM},
            headers=headers,
        )
        assert response.status_code == status, referer
        assert (EXPIRED in response.text) == (status == 400), referer
    # The Referer is no substitute for the token.
    no_token = client.post(
        "/connexion",
        base_url="https://localhost",
        data=FORM,
        headers={"Referer": "https://localhost/connexion"},
    )
    assert no_token.status_code == 400


def test_a_csrf_token_lives_as_long_as_its_session(app: Flask) -> None:
    class TwoHoursAgo(URLSafeTimedSerializer):
        def get_timestamp(self) -> int:
            return int(time.time()) - 2 * 3600

    old = TwoHoursAgo(TEST_SECRET_KEY, salt="wtf-csrf-token").dumps(CSRF_SESSION)
    client = sign_in(app.test_client(), None)
    response = client.post("/connexion", data={"csrf_token": old, **FORM})
    assert response.status_code == 200  # a form typed for two hours still goes through


def test_a_csrf_token_of_another_session_or_site_is_refused(app: Flask) -> None:
    client = sign_in(app.test_client(), None)
    for token in (
        _signed_csrf("another-session"),  # a token the attacker got for their own session
        _signed_csrf(CSRF_SESSION, secret_key="another-secret"),  # not signed by this site
        CSRF_SESSION,  # the raw value, unsigned
        CSRF + "x",
    ):
        response = client.post("/connexion", data={"csrf_token": token, **FORM})
        assert response.status_code == 400 and EXPIRED in response.text, token


def _page_token(client: FlaskClient, path: str) -> str:
    found = re.search(r'name="csrf_token" value="([^"]+)"', client.get(path).text)
    assert found is not None
    return found.group(1)


def test_the_csrf_token_of_before_sign_in_stops_at_sign_in(app: Flask, session: Session) -> None:
    user, password, secret = _staff(session)
    client = app.test_client()
    before = _page_token(client, "/connexion/equipe")
    form = {"csrf_token": before, "email": user.email, "password": password}
    form["code"] = auth.totp_code(secret, datetime.now(UTC))
    assert client.post("/connexion/equipe", data=form).status_code == 302
    # The session was begun anew: a token planted before sign-in is worth nothing after it.
    assert client.post("/deconnexion", data={"csrf_token": before}).status_code == 400
    after = _page_token(client, "/coordination/")
    assert after != before
    assert client.post("/deconnexion", data={"csrf_token": after}).status_code == 302


def test_unsafe_methods_without_a_token_are_refused_everywhere_but_the_exemptions(
    app: Flask, world: World
) -> None:
    client = sign_in(app.test_client(), world.coordinator)
    assert client.post("/deconnexion").status_code == 400
    assert client.get("/coordination/").status_code == 200  # still signed in
    # The JSON API authenticates by token, never by the cookie: it is exempt as a whole.
    assert client.post("/api/v1/offers", json={}).status_code == 401


def test_rate_limit_counts_are_shared_by_every_worker(
    connection: Connection, engine: Engine, tmp_path: Path
) -> None:
    # Two app instances stand for two gunicorn workers: nothing is kept in a process's memory.
    workers = [
        make_app(connection, engine, tmp_path, fresh=True, RATELIMIT_PER_ADDRESS=4)
        for _ in range(2)
    ]
    statuses = []
    for i in range(6):
        client = sign_in(workers[i % 2].test_client(), None)
        statuses.append(post(client, "/connexion", {"email": f"p{i}@example.org"}).status_code)
    assert statuses == [200, 200, 200, 200, 429, 429]
