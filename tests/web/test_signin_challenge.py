"""Issue 12: past a number of attempts for one address, the sign-in forms ask for a solved
proof-of-work challenge (ALTCHA, web/challenge.py); the person still signs in, nobody is locked
out, and a solution serves once."""

from __future__ import annotations

import base64
import json
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import altcha
import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session

from data import auth
from tests.web.conftest import World, deliver_mails, make_app, post, sign_in
from tests.web.test_signin import _link_from_last_mail, _mails, _staff
from tests.web.test_signup_hardening import _page
from web.views.signin import CHALLENGE_MESSAGE

#: Small enough for Python to solve in a moment; the browser test keeps the real defaults.
QUICK_CHALLENGE = {"SIGNIN_CHALLENGE_COST": 2, "SIGNIN_CHALLENGE_COUNTER": (1, 20)}
WIDGET = "<altcha-widget"
# The message as the page shows it (Jinja escapes the apostrophe).
ASKED = CHALLENGE_MESSAGE.split(" : ")[1]


def solve(client: FlaskClient) -> str:
    """Fetch a challenge from the app and solve it as the widget does; return the form value."""
    response = client.get("/connexion/defi")
    assert response.status_code == 200
    challenge = altcha.Challenge.from_dict(response.json)
    solution = altcha.solve_challenge(challenge, timeout=30)
    assert solution is not None
    return altcha.Payload(challenge, solution).to_base64()


def _app(connection: Connection, engine: Engine, tmp_path: Path, **config: Any) -> Flask:
    return make_app(
        connection,
        engine,
        tmp_path,
        RATELIMIT_ACCOUNT_MAX_DELAY_SECONDS=0.001,
        SIGNIN_CHALLENGE_AFTER=3,
        **QUICK_CHALLENGE,
        **config,
    )


def _from(app: Flask, address: str) -> FlaskClient:
    client = app.test_client()
    client.environ_base["REMOTE_ADDR"] = address
    return sign_in(client, None)


def _fail_staff(app: Flask, email: str, times: int) -> None:
    for i in range(times):
        attacker = _from(app, f"198.51.100.{i + 1}")
        form = {"email": email, "password": "devine-le", "code": "123456"}
        assert post(attacker, "/connexion/equipe", form).status_code == 400


def _right(user: Any, password: str, secret: str, **extra: str) -> dict[str, str]:
    code = auth.totp_code(secret, datetime.now(UTC))
    return {"email": user.email, "password": password, "code": code, **extra}


# --- Staff sign-in: password + TOTP --------------------------------------------------------


def test_staff_form_asks_the_challenge_after_repeated_failures_and_still_signs_in(
    connection: Connection, engine: Engine, tmp_path: Path, session: Session
) -> None:
    app = _app(connection, engine, tmp_path)
    user, password, secret = _staff(session)
    me = _from(app, "203.0.113.5")
    assert WIDGET not in me.get("/connexion/equipe").text  # nobody tried: no challenge

    _fail_staff(app, user.email, 3)
    # The right password and code without the challenge: refused, in French, with the widget
    # to solve; the password and code were not even looked at.
    refused = post(me, "/connexion/equipe", _right(user, password, secret))
    assert refused.status_code == 400
    assert ASKED in refused.text and WIDGET in refused.text
    assert 'name="password"' in refused.text and password not in refused.text
    assert me.get("/coordination/").status_code == 302

    # Solved, the person signs in (the same code again: it was not used by the refusal).
    form = _right(user, password, secret, altcha=solve(me))
    response = post(me, "/connexion/equipe", form)
    assert response.status_code == 302
    assert me.get("/coordination/").status_code == 200


def test_the_challenge_does_not_replace_the_password_and_code(
    connection: Connection, engine: Engine, tmp_path: Path, session: Session
) -> None:
    app = _app(connection, engine, tmp_path)
    user, password, secret = _staff(session)
    _fail_staff(app, user.email, 3)
    me = _from(app, "203.0.113.5")
    wrong = {"email": user.email, "password": "pas le bon", "code": "123456"}
    response = post(me, "/connexion/equipe", {**wrong, "altcha": solve(me)})
    assert response.status_code == 400
    assert "Identifiants ou code incorrects." in response.text
    assert WIDGET in response.text  # the next try needs one again
    assert me.get("/coordination/").status_code == 302


def test_the_widget_shows_with_the_failure_before_the_first_refusal(
    connection: Connection, engine: Engine, tmp_path: Path, session: Session
) -> None:
    app = _app(connection, engine, tmp_path)
    user, _password, _secret = _staff(session)
    _fail_staff(app, user.email, 2)
    third = post(
        _from(app, "192.0.2.7"),
        "/connexion/equipe",
        {"email": user.email, "password": "x", "code": "1"},
    )
    assert "Identifiants ou code incorrects." in third.text and WIDGET in third.text


def test_a_solution_serves_once(
    connection: Connection, engine: Engine, tmp_path: Path, session: Session
) -> None:
    app = _app(connection, engine, tmp_path)
    user, password, secret = _staff(session)
    _fail_staff(app, user.email, 3)
    attacker = _from(app, "198.51.100.200")
    payload = solve(attacker)
    wrong = {"email": user.email, "password": "x", "code": "1", "altcha": payload}
    first = post(attacker, "/connexion/equipe", wrong)
    assert "Identifiants ou code incorrects." in first.text
    replayed = post(attacker, "/connexion/equipe", wrong)
    assert replayed.status_code == 400 and ASKED in replayed.text
    # Even with the right password and code, a used solution is refused.
    me = _from(app, "203.0.113.5")
    response = post(me, "/connexion/equipe", _right(user, password, secret, altcha=payload))
    assert response.status_code == 400 and ASKED in response.text


def _tampered(payload: str, change: Any) -> str:
    data = json.loads(base64.b64decode(payload))
    change(data)
    return base64.b64encode(json.dumps(data).encode()).decode()


def _forged(app: Flask) -> str:
    """A challenge solved correctly but signed with another secret (not ours)."""
    challenge = altcha.create_challenge("PBKDF2/SHA-256", 2, hmac_secret="pas-le-notre")
    solution = altcha.solve_challenge(challenge)
    assert solution is not None
    return altcha.Payload(challenge, solution).to_base64()


def _expired(app: Flask) -> str:
    from web import challenge as web_challenge

    with app.test_request_context():
        data = web_challenge.new_challenge(now=datetime.now(UTC) - timedelta(minutes=11))
    challenge = altcha.Challenge.from_dict(data)
    solution = altcha.solve_challenge(challenge)
    assert solution is not None
    return altcha.Payload(challenge, solution).to_base64()


BAD_PAYLOADS = {
    "garbage": lambda app, good: "pas du base64 !",
    "not-json": lambda app, good: base64.b64encode(b"\xff\xfe").decode(),
    "json-list": lambda app, good: base64.b64encode(b"[1, 2]").decode(),
    "wrong-key": lambda app, good: _tampered(
        good, lambda d: d["solution"].update(derivedKey="00" * 32)
    ),
    "longer-expiry": lambda app, good: _tampered(
        good, lambda d: d["challenge"]["parameters"].update(expiresAt=4102444800)
    ),
    "unsigned": lambda app, good: _tampered(good, lambda d: d["challenge"].pop("signature")),
    "types": lambda app, good: _tampered(
        good, lambda d: d["challenge"]["parameters"].update(nonce=[1], salt={"a": None})
    ),
    "foreign": lambda app, good: _forged(app),
    "expired": lambda app, good: _expired(app),
    "huge": lambda app, good: "A" * 100_000,
}


@pytest.mark.parametrize("kind", list(BAD_PAYLOADS))
def test_a_wrong_solution_is_refused_in_french(
    connection: Connection, engine: Engine, tmp_path: Path, session: Session, kind: str
) -> None:
    app = _app(connection, engine, tmp_path)
    user, password, secret = _staff(session)
    _fail_staff(app, user.email, 3)
    me = _from(app, "203.0.113.5")
    payload = BAD_PAYLOADS[kind](app, solve(me))
    response = post(me, "/connexion/equipe", _right(user, password, secret, altcha=payload))
    assert response.status_code == 400 and ASKED in response.text
    assert me.get("/coordination/").status_code == 302


def test_the_challenge_endpoint_hands_out_signed_short_lived_challenges(app: Flask) -> None:
    client = app.test_client()
    first, second = client.get("/connexion/defi"), client.get("/connexion/defi")
    assert first.headers["Cache-Control"] == "no-store"
    params = first.json["parameters"]
    assert params["algorithm"] == "PBKDF2/SHA-256" and first.json["signature"]
    assert params["keySignature"]  # deterministic mode: checking is one HMAC
    expires = datetime.fromtimestamp(params["expiresAt"], UTC)
    assert timedelta(minutes=9) < expires - datetime.now(UTC) <= timedelta(minutes=10)
    assert params["nonce"] != second.json["parameters"]["nonce"]


# --- The sign-in link form -----------------------------------------------------------------


def test_link_requests_past_the_limit_need_the_challenge_then_mail_the_link(
    connection: Connection, engine: Engine, tmp_path: Path, world: World
) -> None:
    app = _app(connection, engine, tmp_path, RATELIMIT_PER_ACCOUNT=2)
    mail_dir = Path(app.config["MAIL_DIR"])
    email = world.candidate_user.email
    for i in range(4):
        post(_from(app, f"198.51.100.{i + 1}"), "/connexion", {"email": email})
    deliver_mails(app)
    assert len([m for m in _mails(mail_dir) if f"To: {email}" in m]) == 2

    me = _from(app, "203.0.113.5")
    asked = post(me, "/connexion", {"email": email})
    assert asked.status_code == 200
    assert ASKED in asked.text and WIDGET in asked.text
    assert "Vérifiez votre messagerie" not in asked.text
    deliver_mails(app)
    assert len([m for m in _mails(mail_dir) if f"To: {email}" in m]) == 2  # none without it

    sent = post(me, "/connexion", {"email": email, "altcha": solve(me)})
    assert sent.status_code == 200 and "Vérifiez votre messagerie" in sent.text
    link = _link_from_last_mail(app, email)
    assert len([m for m in _mails(mail_dir) if f"To: {email}" in m]) == 3
    assert post(me, link).status_code == 302
    assert me.get("/candidat/").status_code == 200


def test_the_challenge_is_asked_alike_for_known_and_unknown_addresses(
    connection: Connection, engine: Engine, tmp_path: Path, world: World
) -> None:
    app = _app(connection, engine, tmp_path, RATELIMIT_PER_ACCOUNT=1)
    pages = set()
    for n, email in enumerate((world.employer_user.email, "personne@example.org")):
        for i in range(2):
            response = post(_from(app, f"198.51.{n}.{i + 1}"), "/connexion", {"email": email})
        pages.add((response.status_code, _page(response.text, email)))
    assert len(pages) == 1
    status, page = pages.pop()
    assert status == 200 and WIDGET in page


def test_the_widget_is_served_from_this_site(client: FlaskClient) -> None:
    for path in (
        "/static/vendor/altcha/altcha.min.js",
        "/static/vendor/altcha/altcha.css",
        "/static/vendor/altcha/pbkdf2.js",
        "/static/vendor/altcha/fr-fr.js",
        "/static/js/challenge.js",
    ):
        assert client.get(path).status_code == 200, path
    assert "MIT License" in client.get("/static/vendor/altcha/LICENSE").text
