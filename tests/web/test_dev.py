"""Development helpers: the local mailbox and the demo banner, present in development only."""

from __future__ import annotations

import doctest
import re
from email.message import EmailMessage
from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Connection, Engine

from data.mail import FileMailer
from tests.web.conftest import World, deliver_mails, make_app, post, sign_in
from web import create_app


@pytest.fixture
def dev_app(connection: Connection, engine: Engine, tmp_path: Path) -> Flask:
    return make_app(connection, engine, tmp_path, ENV="development")


def _keep_mail(mail_dir: str, subject: str, text: str, to: str = "x@example.org") -> None:
    msg = EmailMessage()
    msg["Subject"], msg["To"], msg["From"] = subject, to, "Passerelle <p@passerelle.localhost>"
    msg["Date"] = "Mon, 02 Mar 2026 09:30:00 +0100"
    msg.set_content(text)
    FileMailer(mail_dir).send(msg)


def test_a_link_requested_in_development_is_read_in_the_local_mailbox(
    dev_app: Flask, world: World
) -> None:
    client = sign_in(dev_app.test_client(), None)
    email = world.employer_user.email
    sent = post(client, "/connexion", {"email": email})
    assert sent.status_code == 200 and 'href="/dev/courriels"' in sent.text
    assert "Boîte de réception locale (développement)" in sent.text  # the footer's link
    deliver_mails(dev_app)  # the jobs' sender (``scripts/run_local.py`` runs it every 2 seconds)

    mailbox = client.get("/dev/courriels")
    assert mailbox.status_code == 200
    assert email in mailbox.text and "Votre lien de connexion" in mailbox.text
    page = re.search(r'href="(/dev/courriels/[^"]+\.eml)"', mailbox.text).group(1)
    shown = client.get(page)
    assert shown.status_code == 200 and email in shown.text
    link = re.search(r'<a href="http://localhost(/connexion/lien/[^"]+)">', shown.text).group(1)
    assert "Me connecter" in client.get(link).text  # the link works: one click to sign in


def test_mail_bodies_are_escaped_and_only_their_addresses_linked(dev_app: Flask) -> None:
    _keep_mail(
        dev_app.config["MAIL_DIR"],
        "<b>Objet</b>",
        "Voir https://example.org/a?b=1&c=2. <script>alert(1)</script> javascript:alert(2)",
    )
    client = dev_app.test_client()
    mailbox = client.get("/dev/courriels").text
    assert "&lt;b&gt;Objet&lt;/b&gt;" in mailbox and "<b>Objet</b>" not in mailbox
    assert "2 mars 2026" in mailbox
    page = re.search(r'href="(/dev/courriels/[^"]+\.eml)"', mailbox).group(1)
    shown = client.get(page).text
    assert '<a href="https://example.org/a?b=1&amp;c=2">' in shown
    assert "<script>alert" not in shown and "&lt;script&gt;alert(1)" in shown
    assert 'href="javascript' not in shown


@pytest.mark.parametrize("name", ["nope.eml", "..%2Fpasserelle.db", "x.txt", ".hidden.eml"])
def test_unknown_or_outside_mail_names_are_404(dev_app: Flask, name: str) -> None:
    assert dev_app.test_client().get(f"/dev/courriels/{name}").status_code == 404


def test_mailbox_is_404_outside_development_or_without_files(
    connection: Connection, engine: Engine, tmp_path: Path, world: World
) -> None:
    settings = [{}, {"ENV": "testing"}, {"ENV": "development", "MAIL_BACKEND": "smtp"}]
    for extra in settings:
        app = make_app(connection, engine, tmp_path, **extra)
        _keep_mail(app.config["MAIL_DIR"], "Secret", "https://example.org/connexion/lien/x")
        client = sign_in(app.test_client(), None)
        assert client.get("/dev/courriels").status_code == 404, extra
        names = [p.name for p in Path(app.config["MAIL_DIR"]).glob("*.eml")]
        assert client.get(f"/dev/courriels/{names[0]}").status_code == 404, extra
        home = client.get("/").text
        assert "/dev/courriels" not in home, extra
        assert ("Mode démonstration" in home) == (extra.get("ENV") == "development"), extra
        sent = post(client, "/connexion", {"email": world.employer_user.email})
        assert "/dev/courriels" not in sent.text, extra


@pytest.mark.parametrize("address", ["192.0.2.7", "10.0.0.3", "2001:db8::1"])
def test_mailbox_answers_only_the_developer_s_own_machine(
    dev_app: Flask, world: World, address: str
) -> None:
    _keep_mail(dev_app.config["MAIL_DIR"], "Lien", "http://localhost/connexion/lien/secret")
    name = next(Path(dev_app.config["MAIL_DIR"]).glob("*.eml")).name
    outsider = sign_in(dev_app.test_client(), None)
    outsider.environ_base["REMOTE_ADDR"] = address
    assert outsider.get("/dev/courriels").status_code == 404
    assert outsider.get(f"/dev/courriels/{name}").status_code == 404
    # Nor is it advertised to them; the demo banner itself stays.
    home = outsider.get("/").text
    assert "Mode démonstration" in home and "/dev/courriels" not in home
    sent = post(outsider, "/connexion", {"email": world.employer_user.email})
    assert sent.status_code == 200 and "/dev/courriels" not in sent.text
    # A signed-in coordinator from elsewhere does not see it either: links are for their owner.
    sign_in(outsider, world.coordinator)
    assert outsider.get("/dev/courriels").status_code == 404
    for loopback in ("127.0.0.1", "127.0.1.1", "::1"):
        me = dev_app.test_client()
        me.environ_base["REMOTE_ADDR"] = loopback
        assert me.get("/dev/courriels").status_code == 200, loopback
        assert "secret" in me.get(f"/dev/courriels/{name}").text, loopback


def test_production_has_no_route_to_the_mailbox(tmp_path: Path) -> None:
    app = create_app(
        {
            "DATABASE_URL": f"sqlite:///{tmp_path}/p.db",
            "SECRET_KEY": "s" * 32,
            "INSTANCE_DIR": str(tmp_path),
        }
    )
    assert app.config["ENV"] == "production"
    assert not [r for r in app.url_map.iter_rules() if r.rule.startswith("/dev")]
    assert app.test_client().get("/dev/courriels").status_code == 404


def test_home_page_explains_how_to_sign_in_to_the_demo(
    dev_app: Flask, app: Flask, world: World
) -> None:
    home = dev_app.test_client().get("/").text
    assert "Mode démonstration" in home
    assert f"<code>{world.employer_user.email}</code> (employeur)" in home
    assert f"<code>{world.candidate_user.email}</code> (candidat)" in home
    assert 'href="/dev/courriels"' in home and "admin@passerelle.local" in home
    assert "users totp-code" in home and "terminal" in home
    assert "Mode démonstration" not in app.test_client().get("/").text  # not in tests' default


def test_docstring_examples_of_the_dev_helpers() -> None:
    from web.views import dev

    result = doctest.testmod(dev)
    assert result.attempted >= 1 and result.failed == 0
