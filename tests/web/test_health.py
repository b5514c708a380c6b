"""``/healthz``, and the French 503 while the database is down, then recovery without a restart.

The database is really down in these tests: a SQLite file in a directory that does not exist, a
PostgreSQL URL on a closed port, and a private PostgreSQL server (tests/pgserver.py) stopped with
``pg_ctl stop -m immediate`` under the running app, then started again.
"""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import exc as sa_exc
from sqlalchemy.orm import Session

from data import auth as data_auth
from data import migrate
from data.db import make_engine
from data.models import Role
from data.reference import load_reference
from tests import pgserver
from tests.data import factories as f
from tests.web.conftest import sign_in
from web import create_app
from web.errors import domain_answer
from web.views.health import UNAVAILABLE

UNAVAILABLE_TITLE = "Service momentanément indisponible"


def _app(tmp_path: Path, url: str) -> Flask:
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": url,
            "MAIL_DIR": str(tmp_path / "mail"),
            "BASE_URL": "http://localhost",
        }
    )


def assert_page_unavailable(response: Any) -> None:
    """A French 503 page with Retry-After; no traceback, no English."""
    html = response.get_data(as_text=True)
    assert response.status_code == 503, html[:300]
    assert response.mimetype == "text/html"
    assert int(response.headers["Retry-After"]) > 0
    assert UNAVAILABLE_TITLE in html
    assert "Traceback" not in html and "OperationalError" not in html


def assert_api_unavailable(response: Any) -> None:
    """The API's one error body, status 503, Retry-After."""
    assert response.status_code == 503, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    assert int(response.headers["Retry-After"]) > 0
    body = response.get_json()
    assert body == {
        "code": "service_unavailable",
        "status": 503,
        "message": "Le service est momentanément indisponible. Réessayez dans quelques instants.",
        "errors": {},
    }


def assert_health_unavailable(response: Any) -> None:
    assert response.status_code == 503
    assert response.get_json() == {"status": "unavailable", "message": UNAVAILABLE}
    assert int(response.headers["Retry-After"]) > 0
    assert "Set-Cookie" not in response.headers


# --- /healthz on a database that answers (both engines) ----------------------------------------


def test_healthz_answers_ok_without_cookie(client: Any) -> None:
    response = client.get("/healthz")
    assert response.status_code == 200
    assert response.get_json() == {"status": "ok"}
    assert "Set-Cookie" not in response.headers
    assert response.headers["Cache-Control"] == "no-store"


def test_healthz_takes_no_form_and_no_session(client: Any) -> None:
    assert client.post("/healthz").status_code == 405
    with client.session_transaction() as sess:
        assert dict(sess) == {}


# --- A database that cannot be reached -------------------------------------------------------


def test_sqlite_file_out_of_reach_answers_503_everywhere(tmp_path: Path) -> None:
    # The directory of the database file does not exist: SQLite cannot open it.
    app = _app(tmp_path, f"sqlite:///{tmp_path}/removed/passerelle.db")
    client = app.test_client()
    assert_health_unavailable(client.get("/healthz"))
    assert_page_unavailable(client.get("/offres"))
    assert_api_unavailable(
        client.get("/api/v1/offers", headers={"Authorization": "Bearer whatever"})
    )


def test_postgresql_on_a_closed_port_answers_503(tmp_path: Path) -> None:
    url = f"postgresql+psycopg://postgres@127.0.0.1:{pgserver.free_port()}/passerelle"
    app = _app(tmp_path, url)
    client = app.test_client()
    assert_health_unavailable(client.get("/healthz"))
    assert_page_unavailable(client.get("/offres/1"))
    assert_api_unavailable(client.get("/api/v1/offers", headers={"Authorization": "Bearer x"}))


def test_only_an_unreachable_database_is_a_503() -> None:
    """An integrity error is a bug of ours (500); a lost or refused connection is a 503."""
    refused = sa_exc.OperationalError("SELECT 1", {}, OSError("connection refused"))
    assert domain_answer(refused) is not None and domain_answer(refused).status == 503  # type: ignore[union-attr]
    duplicate = sa_exc.IntegrityError("INSERT", {}, Exception("duplicate key"))
    assert domain_answer(duplicate) is None
    lost = sa_exc.InterfaceError(
        "SELECT 1", {}, Exception("connection closed"), connection_invalidated=True
    )
    assert domain_answer(lost).status == 503  # type: ignore[union-attr]
    assert domain_answer(sa_exc.TimeoutError("QueuePool limit")).status == 503  # type: ignore[union-attr]


# --- PostgreSQL stopped under the running app, then back ---------------------------------------


@pytest.fixture(scope="module")
def private_pg() -> Any:
    pgserver.require()
    with pgserver.PrivatePostgres() as pg:
        engine = make_engine(pg.url)
        migrate.upgrade(engine)
        with Session(engine) as s, s.begin():
            load_reference(s)
        engine.dispose()
        yield pg


def test_postgresql_restart_answers_503_then_recovers_without_restart(
    private_pg: pgserver.PrivatePostgres, tmp_path: Path
) -> None:
    app = _app(tmp_path, private_pg.url)
    factory = app.extensions["passerelle"].session_factory
    with factory() as s, s.begin():
        offer = f.make_offer(s)
        user = f.make_user(s, Role.CANDIDATE)
        f.make_request(s, user.candidate)
        _, token = data_auth.create_api_token(
            s, role=Role.COORDINATOR, user_id=f.make_user(s, Role.COORDINATOR).id, label="test"
        )
        offer_id, user_id = offer.id, user.id
    bearer = {"Authorization": f"Bearer {token}"}
    anonymous = app.test_client()
    with factory() as s:
        signed_in = sign_in(app.test_client(), s.get(type(user), user_id))

    def all_up() -> None:
        assert anonymous.get("/healthz").status_code == 200
        assert anonymous.get(f"/offres/{offer_id}").status_code == 200
        assert signed_in.get("/candidat/").status_code == 200
        response = anonymous.get("/api/v1/offers", headers=bearer)
        assert response.status_code == 200
        assert [o["id"] for o in response.get_json()["items"]] == [offer_id]

    all_up()  # the pool now holds connections that the restart will kill
    private_pg.stop("immediate")
    assert_health_unavailable(anonymous.get("/healthz"))
    assert_page_unavailable(anonymous.get(f"/offres/{offer_id}"))
    assert_page_unavailable(anonymous.get("/offres?commune=01053&distance=30"))
    # A signed-in person's page: the 503 page itself asks nothing of the database.
    assert_page_unavailable(signed_in.get("/candidat/"))
    assert_api_unavailable(anonymous.get("/api/v1/offers", headers=bearer))
    assert_api_unavailable(anonymous.get("/api/v1/suggestions", headers=bearer))

    private_pg.start()
    all_up()  # same app, same engine: the dead pooled connections were replaced
    app.extensions["passerelle"].engine.dispose()
