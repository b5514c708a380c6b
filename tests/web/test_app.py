"""The app factory, configuration, security headers, CSRF and error pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Blueprint, Flask
from sqlalchemy import Connection, Engine

from data.config import load_config
from data.errors import (
    Conflict,
    DataError,
    InvalidTransition,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from data.mailer import ConnectionFailure, TemporaryFailure, TransportError
from data.models import OfferStatus
from matching import InvalidInput
from tests.web.conftest import CSRF, World, make_app, post, sign_in
from web import create_app
from web import errors as web_errors
from web.api.errors import install_error_handlers


def test_factory_reads_prefixed_env_then_test_config(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.setenv("PASSERELLE_PAGE_SIZE", "7")
    monkeypatch.setenv("PASSERELLE_SECRET_KEY", "123456")
    app = create_app({"TESTING": True, "DATABASE_URL": f"sqlite:///{tmp_path}/x.db"})
    assert app.config["PAGE_SIZE"] == 7
    assert app.config["SECRET_KEY"] == "123456"  # a secret of digits stays a string
    assert app.config["DATABASE_URL"].endswith("x.db")


def test_production_needs_a_secret_and_gets_secure_cookies(tmp_path: Path) -> None:
    url = f"sqlite:///{tmp_path}/p.db"
    with pytest.raises(RuntimeError, match="SECRET_KEY"):
        create_app({"DATABASE_URL": url})
    app = create_app({"DATABASE_URL": url, "SECRET_KEY": "s" * 32})
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "Lax"
    assert app.config["MAX_CONTENT_LENGTH"] == 3 * 1024 * 1024
    response = app.test_client().get("/mentions-legales")
    assert response.headers["Strict-Transport-Security"].startswith("max-age=")
    dev = create_app({"DATABASE_URL": url, "ENV": "development", "SECRET_KEY": "d"})
    assert dev.config["SESSION_COOKIE_SECURE"] is False
    assert "Strict-Transport-Security" not in dev.test_client().get("/").headers


def test_security_headers_on_pages(client) -> None:
    response = client.get("/")
    assert response.status_code == 200
    csp = response.headers["Content-Security-Policy"]
    assert "frame-ancestors 'none'" in csp
    assert "script-src 'self'" in csp and "style-src 'self'" in csp
    assert "unsafe-inline" not in csp and "unsafe-eval" not in csp
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["X-Frame-Options"] == "DENY"
    assert '<html lang="fr">' in response.text
    assert 'href="#contenu"' in response.text and "/accessibilite" in response.text


def test_tiles_host_is_allowed_only_when_configured(
    connection: Connection, engine: Engine, tmp_path: Path
) -> None:
    app = make_app(
        connection, engine, tmp_path, TILES_URL="https://tiles.example.org/{z}/{x}/{y}.png"
    )
    csp = app.test_client().get("/offres/carte").headers["Content-Security-Policy"]
    assert "img-src 'self' data: https://tiles.example.org" in csp


def test_session_cookie_is_httponly_and_lax(client) -> None:
    response = client.get("/connexion")  # renders a CSRF token, so the session is set
    cookie = response.headers["Set-Cookie"]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie


def test_forms_without_csrf_token_are_refused(client) -> None:
    response = client.post("/connexion", data={"email": "x@example.org"})
    assert response.status_code == 400
    assert "La page a expiré" in response.text
    sign_in(client, None)
    response = client.post("/connexion", data={"email": "x@example.org", "csrf_token": "forged"})
    assert response.status_code == 400
    response = post(client, "/connexion", {"email": "x@example.org"})
    assert response.status_code == 200


def test_csrf_token_is_accepted_from_header(client) -> None:
    sign_in(client, None)
    response = client.post(
        "/connexion", data={"email": "x@example.org"}, headers={"X-CSRF-Token": CSRF}
    )
    assert response.status_code == 200


def test_error_pages_are_french_and_generic(app: Flask, client) -> None:
    @app.get("/boom")
    def boom() -> str:
        raise RuntimeError("secret internal detail")

    response = client.get("/boom")
    assert response.status_code == 500
    assert "Une erreur inattendue" in response.text
    assert "secret internal detail" not in response.text and "Traceback" not in response.text
    missing = client.get("/nulle-part")
    assert missing.status_code == 404 and "Page introuvable" in missing.text
    wrong = client.put("/")
    assert wrong.status_code == 405 and "GET" in wrong.headers["Allow"]


def test_api_paths_get_the_json_error_body(client) -> None:
    response = client.get("/api/v1/nothing-here")
    assert response.status_code == 404
    assert response.get_json() == {
        "code": "not_found",
        "status": 404,
        "message": "Cette page n'existe pas ou n'est plus disponible.",
        "errors": {},
    }


def test_too_large_upload_is_refused(connection, engine, tmp_path, world: World) -> None:
    app = make_app(connection, engine, tmp_path, MAX_CONTENT_LENGTH=1000)
    client = sign_in(app.test_client(), world.employer_user)
    response = post(
        client,
        "/employeur/offres/import",
        {"file": (__import__("io").BytesIO(b"x" * 5000), "offres.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 413
    assert "dépasse la taille autorisée" in response.text


def test_static_assets_and_vendor_licence_are_served(client) -> None:
    assert client.get("/static/css/passerelle.css").status_code == 200
    assert client.get("/static/vendor/leaflet/leaflet.js").status_code == 200
    assert "BSD 2-Clause" in client.get("/static/vendor/leaflet/LICENSE").text


DOMAIN_EXAMPLES = [
    (ValidationError({"places": ["Trop de places."]}), 422, "validation_error", "Trop de places."),
    (NotFound("Offre", 3), 404, "not_found", "Cet élément"),
    (Conflict("Déjà fait."), 409, "conflict", "Déjà fait."),
    (
        InvalidTransition("Offre", OfferStatus.CLOSED, OfferStatus.PUBLISHED),
        409,
        "conflict",
        "passage de « Fermée » à « Publiée »",
    ),
    (PermissionDenied("Pas pour vous."), 403, "forbidden", "Pas pour vous."),
    (DataError("internal detail"), 409, "conflict", "entre en conflit"),
    (InvalidInput("negative distance", field="km"), 422, "validation_error", "rapprochements"),
    # A mail that cannot leave is a service away, never a 409 conflict (not a DataError).
    (TemporaryFailure("421 internal detail"), 503, "service_unavailable", "messagerie"),
    (ConnectionFailure("internal detail"), 503, "service_unavailable", "messagerie"),
]


@pytest.fixture
def app(connection: Connection, engine: Engine, tmp_path: Path) -> Flask:
    """An app of its own: tests here add routes to it."""
    return make_app(connection, engine, tmp_path, fresh=True)


@pytest.mark.parametrize(("exc", "status", "code", "shown"), DOMAIN_EXAMPLES)
def test_domain_and_engine_errors_answer_alike_on_pages_and_in_the_api(
    app: Flask, exc: Exception, status: int, code: str, shown: str
) -> None:
    def boom() -> str:
        raise exc

    # A page, a path under /api/ answered by the app, and a view of an API blueprint.
    app.add_url_rule("/boom", "boom", boom)
    app.add_url_rule("/api/boom", "api_boom", boom)
    bp = Blueprint("boom_api", __name__, url_prefix="/api/v1/boom")
    install_error_handlers(bp)
    bp.add_url_rule("/", "boom", boom)
    app.register_blueprint(bp)
    client = app.test_client()

    page = client.get("/boom")
    assert page.status_code == status and page.mimetype == "text/html"
    assert shown in page.text and "internal detail" not in page.text
    assert "negative distance" not in page.text  # the engine's messages are for developers
    bodies = [client.get(path) for path in ("/api/boom", "/api/v1/boom/")]
    for response in bodies:
        assert response.status_code == status, response.get_json()
        body = response.get_json()
        assert body["code"] == code and body["status"] == status
        if isinstance(exc, ValidationError):
            # The message names each field by its French label (data.presentation.FIELD_LABELS).
            assert body["message"] == f"{exc.message} Nombre de places : Trop de places."
            assert body["errors"] == exc.errors
        else:
            assert shown in body["message"] and body["errors"] == {}
    assert bodies[0].get_json() == bodies[1].get_json()
    assert web_errors.domain_answer(exc).status == status


def test_a_mail_transport_failure_is_never_a_409_page(app: Flask) -> None:
    """The transport has its own error root: a failing mail server is no data conflict."""
    assert not issubclass(TransportError, DataError)

    def send_now() -> str:
        raise TemporaryFailure("451 internal detail")

    app.add_url_rule("/envoyer", "send_now", send_now)
    page = app.test_client().get("/envoyer")
    assert page.status_code == 503 and page.status_code != 409
    assert "Retry-After" in page.headers
    assert "messagerie" in page.text and "Conflit" not in page.text
    assert "internal detail" not in page.text


def test_instance_dir_is_shared_with_the_jobs(monkeypatch, tmp_path: Path) -> None:
    monkeypatch.chdir(tmp_path)
    monkeypatch.setenv("PASSERELLE_INSTANCE_DIR", "here")  # relative: made absolute
    monkeypatch.setenv("PASSERELLE_SMTP_PORT", "2525")
    monkeypatch.setenv("PASSERELLE_SMTP_PASSWORD", "123456")
    app = create_app({"TESTING": True})
    jobs = load_config()
    assert app.instance_path == str(tmp_path / "here")
    assert app.config["DATABASE_URL"] == f"sqlite:///{tmp_path}/here/passerelle.db"
    # Both processes read the same database, keep mails in the same place, send alike.
    assert Path(jobs["INSTANCE_DIR"]).resolve() == Path(app.instance_path)
    for key in ("MAIL_BACKEND", "MAIL_FROM", "SMTP_HOST", "SMTP_PORT", "SMTP_PASSWORD"):
        assert app.config[key] == jobs[key], key
    assert Path(app.config["MAIL_DIR"]) == Path(jobs["MAIL_DIR"]).resolve()
    assert app.config["SMTP_PORT"] == 2525 and app.config["SMTP_PASSWORD"] == "123456"
    assert (
        create_app({"TESTING": True, "INSTANCE_DIR": str(tmp_path / "t")}).config["DATABASE_URL"]
        == f"sqlite:///{tmp_path}/t/passerelle.db"
    )
