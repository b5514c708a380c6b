"""The app factory, configuration, security headers, CSRF and error pages."""

from __future__ import annotations

from pathlib import Path

import pytest
from flask import Flask
from sqlalchemy import Connection, Engine

from tests.web.conftest import CSRF, World, make_app, post, sign_in
from web import create_app


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
    assert app.config["MAX_CONTENT_LENGTH"] == 2 * 1024 * 1024
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


def test_domain_and_engine_errors_become_4xx(app: Flask, client) -> None:
    from data.errors import Conflict, InvalidTransition, NotFound, ValidationError
    from matching import InvalidInput

    raised = {
        "/v": ValidationError({"places": ["Trop de places."]}),
        "/n": NotFound("Offre", 3),
        "/c": Conflict("Déjà fait."),
        "/t": InvalidTransition("Offre", "closed", "published"),
        "/m": InvalidInput("Distance négative."),
    }
    for path, exc in raised.items():
        app.add_url_rule(path, path, lambda exc=exc: (_ for _ in ()).throw(exc))
    assert client.get("/v").status_code == 422 and "Trop de places." in client.get("/v").text
    assert client.get("/n").status_code == 404
    assert client.get("/c").status_code == 409 and "Déjà fait." in client.get("/c").text
    assert client.get("/t").status_code == 409
    assert client.get("/m").status_code == 422 and "Distance négative." in client.get("/m").text
