"""The OpenAPI document: valid, public, and kept by the API under a property-based run.

schemathesis 4 loads the document from the app in-process (``from_wsgi``) and, for every
operation, sends requests generated from it (valid ones and invalid ones) with a coordinator's
token. Its checks fail on any 5xx, an undocumented status, a body or header that breaks the
document, an invalid request accepted, a 405 without Allow, a route that ignores auth.

Left out: ``positive_data_acceptance`` (a schema-valid request must succeed). Domain rules the
document cannot express answer 404/409/422 to schema-valid data on purpose: ids of no row, an
unknown commune, a rejection without a reason, publishing an offer that lacks its description.

schemathesis' pytest plugin does not run under pytest 9 (it reads ``Function._nodeid``), so the
run is driven through its Python API: one hypothesis test per operation and generation mode.
"""

from __future__ import annotations

from typing import Any

import pytest
import schemathesis
from flask import Flask
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis import GenerationMode
from schemathesis.specs.openapi.checks import positive_data_acceptance
from sqlalchemy import make_url

from tests.web.api_fixtures import Tokens, tokens  # noqa: F401
from web import create_app


@pytest.fixture(scope="module")
def bare_app(tmp_path_factory: pytest.TempPathFactory) -> Flask:
    """The app without a database: the document and the docs page need none."""
    folder = tmp_path_factory.mktemp("bare")
    return create_app(
        {
            "TESTING": True,
            "SECRET_KEY": "test-secret",
            "DATABASE_URL": f"sqlite:///{folder}/unused.db",
            "MAIL_DIR": str(folder / "mail"),
        }
    )


# Examples per operation: valid requests, then invalid ones (28 operations: about 30 s a backend).
# Per operation (56 of them): every one is reached, with valid and invalid input.
EXAMPLES = {GenerationMode.POSITIVE: 10, GenerationMode.NEGATIVE: 5}
#: On SQLite, half as many: PostgreSQL, the production engine, is where odd values break
#: queries (32-bit keys, NUL bytes), and it keeps the full run.
SQLITE_EXAMPLES = {GenerationMode.POSITIVE: 5, GenerationMode.NEGATIVE: 3}


def _schema(app: Flask) -> Any:
    return schemathesis.openapi.from_wsgi("/api/openapi.json", app)


def test_openapi_document_is_valid_openapi_3(bare_app: Flask) -> None:
    response = bare_app.test_client().get("/api/openapi.json")
    assert response.status_code == 200
    assert response.mimetype == "application/json"
    doc = response.get_json()
    assert doc["openapi"].startswith("3.")
    schema = schemathesis.openapi.from_dict(doc)
    schema.validate()  # against the OpenAPI 3.0 meta-schema; raises when invalid
    assert doc["components"]["securitySchemes"]["bearerAuth"]["scheme"] == "bearer"
    assert doc["security"] == [{"bearerAuth": []}]


#: Every operation of the API (method and path as the OpenAPI document names them).
OPERATIONS = {
    ("/api/v1/offers", "get"),
    ("/api/v1/offers", "post"),
    ("/api/v1/offers/{offer_id}", "get"),
    ("/api/v1/offers/{offer_id}", "patch"),
    ("/api/v1/offers/{offer_id}/publish", "post"),
    ("/api/v1/offers/{offer_id}/close", "post"),
    ("/api/v1/offers/{offer_id}/suggestions", "get"),
    ("/api/v1/offers/import", "post"),
    ("/api/v1/offers/{offer_id}/interest", "post"),
    ("/api/v1/offers/{offer_id}/fit", "get"),
    ("/api/v1/requests", "get"),
    ("/api/v1/requests", "post"),
    ("/api/v1/requests/{request_id}", "get"),
    ("/api/v1/requests/{request_id}", "patch"),
    ("/api/v1/requests/{request_id}/suggestions", "get"),
    ("/api/v1/suggestions", "get"),
    ("/api/v1/suggestions", "post"),
    ("/api/v1/suggestions/{suggestion_id}", "get"),
    ("/api/v1/suggestions/{suggestion_id}/decision", "post"),
    ("/api/v1/suggestions/decisions", "post"),
    ("/api/v1/suggestions/{suggestion_id}/status", "post"),
    ("/api/v1/suggestions/{suggestion_id}/interest", "post"),
    ("/api/v1/pairs", "get"),
    ("/api/v1/pairs/{pair_id}", "get"),
    ("/api/v1/pairs/{pair_id}/next", "post"),
    ("/api/v1/pairs/{pair_id}/abandon", "post"),
    ("/api/v1/pairs/{pair_id}/notes", "post"),
    ("/api/v1/pairs/{pair_id}/interview", "put"),
    ("/api/v1/pairs/{pair_id}/contract", "put"),
    ("/api/v1/pairs/{pair_id}/rupture", "post"),
    ("/api/v1/pairs/{pair_id}/undo", "post"),
    ("/api/v1/moderation/structures", "get"),
    ("/api/v1/moderation/structures/{employer_id}", "get"),
    ("/api/v1/moderation/structures/{employer_id}/check", "post"),
    ("/api/v1/moderation/structures/{employer_id}/suspend", "post"),
    ("/api/v1/moderation/structures/{employer_id}/reinstate", "post"),
    ("/api/v1/moderation/offers/{offer_id}/unpublish", "post"),
    ("/api/v1/moderation/offers/{offer_id}/reopen", "post"),
    ("/api/v1/employers/{employer_id}/team", "get"),
    ("/api/v1/employers/{employer_id}/team", "post"),
    ("/api/v1/employers/{employer_id}/team/{user_id}", "delete"),
    ("/api/v1/account/email", "post"),
    ("/api/v1/employers/{employer_id}/join-requests", "get"),
    ("/api/v1/employers/{employer_id}/join-requests/{join_id}/decision", "post"),
    ("/api/v1/communes", "get"),
    ("/api/v1/communes/{insee}", "get"),
    ("/api/v1/communes/resolve", "get"),
    ("/api/v1/metiers", "get"),
    ("/api/v1/metiers/{code}", "get"),
    ("/api/v1/metiers/resolve", "get"),
    ("/api/v1/lists/{name}", "get"),
    ("/api/v1/lists/{name}/export.csv", "get"),
    ("/api/v1/lists/{name}/export.xlsx", "get"),
    ("/api/v1/candidates/{candidate_id}/cv", "get"),
    ("/api/v1/candidates/{candidate_id}/cv", "put"),
    ("/api/v1/candidates/{candidate_id}/cv", "delete"),
    ("/api/v1/suggestions/{suggestion_id}/cv", "get"),
    ("/api/v1/training-centres", "get"),
    ("/api/v1/training-centres", "post"),
    ("/api/v1/training-centres/{centre_id}", "get"),
    ("/api/v1/training-centres/{centre_id}", "patch"),
    ("/api/v1/training-centres/{centre_id}", "delete"),
    ("/api/v1/training-centres/{centre_id}/programmes", "post"),
    ("/api/v1/training-centres/{centre_id}/programmes/{programme_id}", "patch"),
    ("/api/v1/training-centres/{centre_id}/programmes/{programme_id}", "delete"),
    ("/api/v1/training-centres/{centre_id}/programmes/{programme_id}/sessions", "post"),
    (
        "/api/v1/training-centres/{centre_id}/programmes/{programme_id}/sessions/{session_id}",
        "patch",
    ),
    (
        "/api/v1/training-centres/{centre_id}/programmes/{programme_id}/sessions/{session_id}",
        "delete",
    ),
    ("/api/v1/training-centres/import", "post"),
    ("/api/v1/housing", "get"),
    ("/api/v1/housing", "post"),
    ("/api/v1/housing/{housing_id}", "get"),
    ("/api/v1/housing/{housing_id}", "patch"),
    ("/api/v1/housing/{housing_id}", "delete"),
    ("/api/v1/indicators", "get"),  # issue 20: the observatory's public figures
}


def test_openapi_document_lists_every_resource(bare_app: Flask) -> None:
    doc = bare_app.test_client().get("/api/openapi.json").get_json()
    operations = {
        (path, method)
        for path, item in doc["paths"].items()
        for method in item
        if method != "parameters"
    }
    assert operations == OPERATIONS
    # Every list takes the page parameters and answers the envelope.
    for path, item in doc["paths"].items():
        get = item.get("get")
        if (
            get is None
            or "{" in path.rsplit("/", 1)[-1]
            or path.endswith(("resolve", "/fit", "/cv", ".csv", ".xlsx"))
        ):
            continue
        names = {p["name"] for p in get.get("parameters", [])}
        assert {"page", "page_size"} <= names, path
        ref = get["responses"]["200"]["content"]["application/json"]["schema"]["$ref"]
        page = doc["components"]["schemas"][ref.rsplit("/", 1)[-1]]
        assert {"items", "pagination"} <= set(page["required"]), path
    error = doc["components"]["schemas"]["Error"]
    assert set(error["required"]) == {"code", "status", "message", "errors"}


def test_docs_page_uses_shipped_swagger_ui_without_inline_script(bare_app: Flask) -> None:
    client = bare_app.test_client()
    page = client.get("/api/docs")
    assert page.status_code == 200
    html = page.get_data(as_text=True)
    assert 'lang="fr"' in html
    assert "<script>" not in html and "<script>" not in html.replace(" ", "")
    for src in (
        "/static/vendor/swagger-ui/swagger-ui-bundle.js",
        "/static/vendor/swagger-ui/swagger-ui.css",
        "/static/css/api-docs.css",
        "/static/js/api-docs.js",
    ):
        assert src in html
        asset = client.get(src)
        assert asset.status_code == 200, src
        asset.close()
    assert "http://" not in html and "https://" not in html  # no CDN
    csp = page.headers["Content-Security-Policy"]
    assert "script-src 'self'" in csp and "unsafe-inline" not in csp


# A candidate token gets 403 on most changes before its body is read: a shorter run suffices.
CANDIDATE_EXAMPLES = {GenerationMode.POSITIVE: 5, GenerationMode.NEGATIVE: 3}


def _property_run(
    app: Flask, token: str, examples: dict[GenerationMode, int]
) -> tuple[int, list[str], dict[int, int]]:
    """Run schemathesis on every operation with ``token``: operations, failures, statuses."""
    schema = _schema(app)

    @schema.auth()
    class Token:
        """Send the token (schemathesis also tries without it: 401)."""

        def get(self, case: Any, ctx: Any) -> str:
            return token

        def set(self, case: Any, data: str, ctx: Any) -> None:
            case.headers = {**(case.headers or {}), "Authorization": f"Bearer {data}"}

    failures: list[str] = []
    statuses: dict[int, int] = {}
    operations = 0
    for result in schema.get_all_operations():
        operation = result.ok()
        operations += 1
        for mode, count in examples.items():

            @given(case=operation.as_strategy(generation_mode=mode))
            @settings(
                max_examples=count,
                deadline=None,
                database=None,
                derandomize=True,
                phases=[Phase.explicit, Phase.generate],
                suppress_health_check=list(HealthCheck),
            )
            def run(case: Any) -> None:
                response = case.call_and_validate(excluded_checks=[positive_data_acceptance])
                statuses[response.status_code] = statuses.get(response.status_code, 0) + 1

            try:
                run()
            except BaseException as exc:  # noqa: BLE001  (schemathesis raises exception groups)
                if isinstance(exc, KeyboardInterrupt):
                    raise
                failures.append(f"{operation.label} [{mode.value}]\n{exc}")
    return operations, failures, statuses


def test_property_based_run_finds_no_server_error_nor_schema_break(
    app: Flask,
    tokens: Tokens,  # noqa: F811
) -> None:
    sqlite = make_url(app.config["DATABASE_URL"]).get_backend_name() == "sqlite"
    examples = SQLITE_EXAMPLES if sqlite else EXAMPLES
    operations, failures, statuses = _property_run(app, tokens.coordinator, examples)
    assert operations == len(OPERATIONS)
    assert not failures, "\n\n".join(failures)
    assert not any(code >= 500 for code in statuses)
    # The run reached the views, not only the token check.
    assert statuses.get(200, 0) > (25 if sqlite else 50) and statuses.get(422, 0) > 10, statuses


@pytest.mark.one_engine  # mostly 403s before any query; the coordinator's run covers both
def test_property_based_run_with_a_candidate_token(
    app: Flask,
    tokens: Tokens,  # noqa: F811
) -> None:
    operations, failures, statuses = _property_run(app, tokens.candidate, CANDIDATE_EXAMPLES)
    assert operations == len(OPERATIONS)
    assert not failures, "\n\n".join(failures)
    assert not any(code >= 500 for code in statuses)
    # Its reads answered (what it sees matches the document), its forbidden actions were refused.
    assert statuses.get(200, 0) > 20 and statuses.get(403, 0) > 10, statuses


# The odd input of issue 12, sent to every operation of the document: ids beyond the 32-bit keys,
# NUL in query strings and bodies, JSON nested 20,000 levels, an integer of 5,000 digits.
ODD_IDS = (str(2**31), str(2**70))
ODD_BODIES = (
    "[" * 20_000 + "]" * 20_000,
    '{"places": ' + "9" * 5000 + "}",
    '{"note": "a\\u0000b", "reason": "a\\u0000b", "metiers": ["a\\u0000"]}',
)


def test_odd_input_on_every_operation_is_a_4xx_with_the_error_body(
    app: Flask,
    tokens: Tokens,  # noqa: F811
) -> None:
    client = app.test_client()
    headers = {"Authorization": f"Bearer {tokens.coordinator}", "Accept": "application/json"}
    failures: list[str] = []
    calls = 0
    for result in _schema(app).get_all_operations():
        operation = result.ok()
        names = [p.name for p in operation.path_parameters]
        queries = [p.name for p in operation.query] or ["q"]
        for odd_id in ODD_IDS if names else ("",):
            path = operation.path
            for name in names:
                path = path.replace("{" + name + "}", odd_id)
            requests = [(operation.method.upper(), path, {name: "x\x00" for name in queries}, None)]
            if operation.method.upper() in ("POST", "PATCH"):
                requests += [(operation.method.upper(), path, {}, body) for body in ODD_BODIES]
            for method, url, query, body in requests:
                kw: dict[str, Any] = {"query_string": query, "headers": headers}
                if body is not None:
                    kw.update(data=body, content_type="application/json")
                response = client.open(url, method=method, **kw)
                calls += 1
                payload = response.get_json(silent=True) or {}
                if not 400 <= response.status_code < 500 or set(payload) != {
                    "code",
                    "status",
                    "message",
                    "errors",
                }:
                    failures.append(f"{method} {url} {str(body)[:40]}: {response.status_code}")
    assert calls > 60
    assert not failures, "\n".join(failures)
