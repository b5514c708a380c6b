"""Sign-up and sign-in as people do it: mailed links, staff password + TOTP, sign-out, limits."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import auth
from data.models import Candidate, Employer, Role, User
from tests.data import factories as f
from tests.web.conftest import deliver_mails, make_app, post, sign_in

LINK_RE = re.compile(r"http://localhost(/connexion/lien/[A-Za-z0-9_\-]+)")


def _mails(mail_dir: Path) -> list[str]:
    """Bodies of the mails the file mailer kept, oldest first."""
    from data import mail

    found = mail.list_local_mails(mail_dir)
    bodies = []
    for m in reversed(found):
        msg = mail.read_local_mail(mail_dir, m.name)
        assert msg is not None
        bodies.append(f"To: {msg['To']}\n" + msg.get_body(("plain",)).get_content())
    return bodies


def _link_from_last_mail(app: Flask, to: str) -> str:
    """Send the queued mails (the jobs' sender), then read the link of the last one to ``to``."""
    deliver_mails(app)
    bodies = [b for b in _mails(Path(app.config["MAIL_DIR"])) if f"To: {to}" in b]
    assert bodies, f"no mail to {to}"
    match = LINK_RE.search(bodies[-1])
    assert match
    return match.group(1)


def test_candidate_signs_up_then_in_with_a_single_use_link(
    client: FlaskClient, session: Session, mail_dir: Path
) -> None:
    sign_in(client, None)
    form = {
        "first_name": "Inès",
        "last_name": "Garnier",
        "email": "Ines.Garnier@example.org",
        "phone": "",
        "consent": "1",
    }
    response = post(client, "/inscription/candidat", form)
    assert response.status_code == 200
    assert "Vérifiez votre messagerie" in response.text
    user = session.scalar(select(User).where(User.email == "ines.garnier@example.org"))
    assert user is not None and user.role == Role.CANDIDATE
    path = _link_from_last_mail(client.application, "ines.garnier@example.org")

    # Opening the link (a mail scanner does) signs nobody in and does not use it.
    page = client.get(path)
    assert page.status_code == 200 and "Me connecter" in page.text
    assert client.get("/candidat/").status_code == 302

    response = post(client, path)
    assert response.status_code == 302 and response.headers["Location"] == "/candidat/"
    assert "Bonjour Inès" in client.get("/candidat/").text

    # The link served once.
    again = sign_in(client.application.test_client(), None)
    assert post(again, path).status_code == 400
    assert "n'est plus valable" in again.get(path).text


def test_unknown_address_gets_the_same_answer_and_no_mail(
    client: FlaskClient, mail_dir: Path
) -> None:
    sign_in(client, None)
    response = post(client, "/connexion", {"email": "personne@example.org"})
    assert response.status_code == 200
    assert "Si un compte existe pour l'adresse" in response.text
    deliver_mails(client.application)
    assert _mails(mail_dir) == []


def test_employer_signs_up_with_a_checked_siret(
    client: FlaskClient, session: Session, mail_dir: Path
) -> None:
    sign_in(client, None)
    form = {
        "name": "IME Les Saules",
        "siret": "732 829 320 00075",  # wrong key
        "kind": "ime",
        "contact_name": "Paul Morel",
        "contact_email": "direction@saules.example.org",
        "contact_phone": "04 74 00 00 01",
    }
    response = post(client, "/inscription/employeur", form)
    assert response.status_code == 400
    assert "la clé de contrôle ne correspond pas" in response.text
    assert "Cochez cet engagement" in response.text
    # What was typed is kept.
    assert 'value="IME Les Saules"' in response.text and 'value="Paul Morel"' in response.text
    assert session.scalar(select(Employer).where(Employer.name == "IME Les Saules")) is None

    form.update(siret=f.fake_siret(), consent="1")
    response = post(client, "/inscription/employeur", form)
    assert response.status_code == 200
    path = _link_from_last_mail(client.application, "direction@saules.example.org")
    assert post(client, path).headers["Location"] == "/employeur/"
    assert "IME Les Saules" in client.get("/employeur/").text


def test_signing_up_again_mails_a_link_and_tells_nothing(
    client: FlaskClient, session: Session, mail_dir: Path
) -> None:
    user = f.make_user(session, Role.CANDIDATE)
    session.commit()
    sign_in(client, None)
    form = {"first_name": "X", "last_name": "Y", "email": user.email, "consent": "1"}
    response = post(client, "/inscription/candidat", form)
    assert response.status_code == 200 and "Vérifiez votre messagerie" in response.text
    assert session.scalars(select(Candidate)).all().__len__() == 1
    _link_from_last_mail(client.application, user.email)


def _staff(session: Session) -> tuple[User, str, str]:
    user, password, secret = auth.create_staff_user(
        session, email="coord@ain.example", role="coordinator"
    )
    session.commit()
    return user, password, secret


def test_staff_sign_in_needs_password_and_totp(client: FlaskClient, session: Session) -> None:
    user, password, secret = _staff(session)
    sign_in(client, None)
    bad = post(
        client,
        "/connexion/equipe",
        {"email": user.email, "password": password, "code": "000000"},
    )
    assert bad.status_code == 400 and "Identifiants ou code incorrects" in bad.text
    assert 'value="coord@ain.example"' in bad.text and password not in bad.text
    code = auth.totp_code(secret, datetime.now(UTC))
    ok = post(
        client,
        "/connexion/equipe",
        {"email": user.email, "password": password, "code": code, "next": "/coordination/binomes"},
    )
    assert ok.status_code == 302 and ok.headers["Location"] == "/coordination/binomes"
    assert client.get("/coordination/").status_code == 200


def test_a_mailed_link_leads_back_to_the_page_that_asked_for_it(
    app: Flask, session: Session
) -> None:
    """A person opening a page of their space signed out gets the sign-in form; the link the
    mail brings signs them in on that page, never on another site nor another role's space."""
    user = f.make_user(session, Role.CANDIDATE)
    session.commit()
    client = sign_in(app.test_client(), None)
    asked = client.get("/candidat/informations")
    assert asked.status_code == 302
    form_page = client.get(asked.headers["Location"])
    assert 'name="next" value="/candidat/informations"' in form_page.text
    post(client, "/connexion", {"email": user.email, "next": "/candidat/informations"})
    _link_from_last_mail(app, user.email)
    body = [b for b in _mails(Path(app.config["MAIL_DIR"])) if f"To: {user.email}" in b][-1]
    found = re.search(r"http://localhost(/connexion/lien/\S+)", body)
    assert found is not None
    path = found.group(1)
    assert path.endswith("?next=/candidat/informations") or path.endswith(
        "?next=%2Fcandidat%2Finformations"
    ), path
    page = client.get(path)
    assert 'name="next" value="/candidat/informations"' in page.text
    used = post(client, path.split("?")[0], {"next": "/candidat/informations"})
    assert used.status_code == 302 and used.headers["Location"] == "/candidat/informations"

    for target in ("//evil.example/x", "https://evil.example/", "/coordination/", "/employeur/"):
        other = sign_in(app.test_client(), None)
        raw = auth.create_login_link(session, user)
        session.commit()
        landed = post(other, f"/connexion/lien/{raw}", {"next": target})
        assert landed.status_code == 302, target
        assert landed.headers["Location"] == "/candidat/", target


def test_staff_next_parameter_cannot_leave_the_site(client: FlaskClient, session: Session) -> None:
    user, password, secret = _staff(session)
    sign_in(client, None)
    code = auth.totp_code(secret, datetime.now(UTC))
    ok = post(
        client,
        "/connexion/equipe",
        {"email": user.email, "password": password, "code": code, "next": "//evil.example/x"},
    )
    assert ok.headers["Location"] == "/coordination/"


def test_sign_out_ends_every_session_of_the_user(app: Flask, session: Session) -> None:
    user = f.make_user(session, Role.CANDIDATE)
    session.commit()
    laptop = sign_in(app.test_client(), user)
    phone = sign_in(app.test_client(), user)
    assert phone.get("/candidat/").status_code == 200
    assert post(laptop, "/deconnexion").status_code == 302
    assert laptop.get("/candidat/").status_code == 302
    assert phone.get("/candidat/").status_code == 302


def test_disabled_account_and_changed_password_end_sessions(app: Flask, session: Session) -> None:
    user, password, _ = _staff(session)
    other_device = sign_in(app.test_client(), user)
    me = sign_in(app.test_client(), user)
    response = post(
        me,
        "/compte/mot-de-passe",
        {
            "current": password,
            "new": "une phrase assez longue",
            "confirm": "une phrase assez longue",
        },
    )
    assert response.status_code == 302
    assert me.get("/coordination/").status_code == 200  # this browser goes on
    assert other_device.get("/coordination/").status_code == 302

    auth.set_active(session, user, False)
    session.commit()
    assert me.get("/coordination/").status_code == 302


def test_password_change_form_shows_french_errors(app: Flask, session: Session) -> None:
    user, password, _ = _staff(session)
    me = sign_in(app.test_client(), user)
    response = post(
        me, "/compte/mot-de-passe", {"current": password, "new": "court", "confirm": "court"}
    )
    assert response.status_code == 400
    assert "au moins 12 caractères" in response.text


def test_sign_in_is_rate_limited_per_client_address(
    connection, engine, tmp_path, session: Session
) -> None:
    app = make_app(connection, engine, tmp_path, RATELIMIT_PER_ADDRESS=3)
    client = sign_in(app.test_client(), None)
    statuses = [
        post(client, "/connexion", {"email": f"{name}@example.org"}).status_code
        for name in ("a", "b", "c", "d")
    ]
    assert statuses == [200, 200, 200, 429]
    limited = post(client, "/connexion", {"email": "e@example.org"})
    assert "Trop de tentatives" in limited.text and limited.headers["Retry-After"] == "900"
    # Another client address is still served.
    other = sign_in(app.test_client(), None)
    other.environ_base["REMOTE_ADDR"] = "203.0.113.8"
    assert post(other, "/connexion", {"email": "a@example.org"}).status_code == 200


def test_staff_sign_in_past_the_account_limit_still_takes_the_right_password(
    connection, engine, tmp_path, session: Session
) -> None:
    app = make_app(
        connection, engine, tmp_path, RATELIMIT_PER_ACCOUNT=2, RATELIMIT_ACCOUNT_MAX_DELAY_SECONDS=0
    )
    user, password, secret = _staff(session)
    client = sign_in(app.test_client(), None)
    for _ in range(4):
        wrong = {"email": user.email, "password": "x", "code": "1"}
        assert post(client, "/connexion/equipe", wrong).status_code == 400
    code = auth.totp_code(secret, datetime.now(UTC))
    response = post(
        client, "/connexion/equipe", {"email": user.email, "password": password, "code": code}
    )
    assert response.status_code == 302


def test_expired_session_is_refused(app: Flask, session: Session) -> None:
    user = f.make_user(session, Role.CANDIDATE)
    session.commit()
    client = sign_in(app.test_client(), user)
    with client.session_transaction() as sess:
        sess["t"] = 0  # signed in in 1970
    assert client.get("/candidat/").status_code == 302
