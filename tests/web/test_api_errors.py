"""The API's one error body, strict types, and each error status under /api."""

from __future__ import annotations

import json
from typing import Any

import pytest
from flask import Flask
from sqlalchemy import func, select

from data.models import Offer
from data.operations.communes import COMMUNE_NOT_FOUND
from tests.web.api_fixtures import ApiClient, Tokens, api, tokens  # noqa: F401

W = Any  # tests.web.conftest.World


def assert_error(response: Any, status: int, code: str) -> dict[str, Any]:
    """Check the error body of ``response`` and return it."""
    assert response.status_code == status, response.get_data(as_text=True)[:300]
    assert response.mimetype == "application/json"
    body = response.get_json()
    assert set(body) == {"code", "status", "message", "errors"}
    assert body["status"] == status and body["code"] == code
    assert isinstance(body["message"], str) and body["message"]
    assert isinstance(body["errors"], dict)
    for field, messages in body["errors"].items():
        assert isinstance(field, str) and messages and all(isinstance(m, str) for m in messages)
    return body


@pytest.fixture
def staff(api: Any) -> ApiClient:  # noqa: F811
    return api("coordinator")


def _new_offer(world: W, **fields: Any) -> dict[str, Any]:
    return {"site_id": world.offer.site_id, "metier_code": "aide-soignant", **fields}


@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("licence_required", 1),
        ("licence_required", 0),
        ("licence_required", "yes"),
        ("licence_required", "true"),
        ("licence_required", None),
        ("night_work", []),
        ("places", "3"),
        ("places", 3.0),
        ("places", True),
        ("places", 0),
        ("places", 10**12),
        ("site_id", "1"),
        ("metier_code", 12),
        ("start_date", "01/09/2030"),
        ("contract", "cdi"),
        ("description", "texte\x00nul"),
    ],
)
def test_wrong_types_are_422_with_the_field(
    staff: ApiClient, world: W, field: str, value: Any, session: Any
) -> None:
    count = select(func.count()).select_from(Offer)
    before = session.scalar(count)
    response = staff.post("/api/v1/offers", _new_offer(world, **{field: value}))
    body = assert_error(response, 422, "validation_error")
    assert list(body["errors"]) == [field]
    assert session.scalar(count) == before  # nothing written


def test_true_and_false_are_accepted(staff: ApiClient, world: W) -> None:
    response = staff.post(
        "/api/v1/offers", _new_offer(world, licence_required=True, night_work=False, places=3)
    )
    assert response.status_code == 201, response.get_json()
    assert response.get_json()["licence_required"] is True
    assert response.get_json()["places"] == 3


def test_unknown_and_missing_fields(staff: ApiClient, world: W) -> None:
    unknown = staff.post("/api/v1/offers", _new_offer(world, salary=1200))
    assert assert_error(unknown, 422, "validation_error")["errors"] == {
        "salary": ["Champ inconnu."]
    }
    missing = staff.post("/api/v1/offers", {"metier_code": "aide-soignant"})
    assert assert_error(missing, 422, "validation_error")["errors"] == {
        "site_id": ["Ce champ est obligatoire."]
    }
    nested = staff.post(
        "/api/v1/requests",
        {
            "candidate_id": world.request.candidate_id,
            "metiers": ["AES", 3],
            "commune_insee": "01053",
        },
    )
    assert assert_error(nested, 422, "validation_error")["errors"] == {
        "metiers.1": ["Texte attendu."]
    }


@pytest.mark.parametrize(
    "body",
    [[1, 2], "texte", 12, None],
    ids=["array", "string", "number", "null"],
)
def test_body_that_is_not_an_object_is_422(staff: ApiClient, body: Any) -> None:
    response = staff.client.post(
        "/api/v1/offers",
        data=json.dumps(body),
        content_type="application/json",
        headers={"Authorization": f"Bearer {staff.token}"},
    )
    errors = assert_error(response, 422, "validation_error")["errors"]
    assert errors  # the body as a whole, or the required fields


@pytest.mark.parametrize("raw", ['{"site_id": 1,', "{'a': 1}", "\xff\xfe", '{"a": NaN'])
def test_malformed_json_is_400(staff: ApiClient, raw: str) -> None:
    response = staff.client.post(
        "/api/v1/offers",
        data=raw.encode("latin-1"),
        content_type="application/json",
        headers={"Authorization": f"Bearer {staff.token}"},
    )
    body = assert_error(response, 400, "bad_request")
    assert body["errors"] == {"_schema": ["Le corps de la requête n'est pas un JSON valide."]}


@pytest.mark.parametrize(
    "query",
    [
        "page=abc",
        "page=0",
        "page_size=1000",
        "page=1.5",
        "housing=1",
        "housing=yes",
        "status=open",
        "commune=Bourg",
        "distance_km=10",
        "distance_km=nan",
        "unknown=1",
    ],
)
def test_bad_query_is_422(staff: ApiClient, query: str) -> None:
    response = staff.get(f"/api/v1/offers?{query}")
    body = assert_error(response, 422, "validation_error")
    assert list(body["errors"]) == [query.split("=")[0]]


def test_unknown_commune_in_filter_is_422(staff: ApiClient) -> None:
    response = staff.get("/api/v1/offers?commune=99999")
    assert assert_error(response, 422, "validation_error")["errors"] == {
        "commune": [COMMUNE_NOT_FOUND]
    }
    response = staff.get("/api/v1/offers?commune_insee=99999")
    assert assert_error(response, 422, "validation_error")["errors"] == {
        "commune_insee": ["Aucune commune ne porte le code INSEE 99999."]
    }


@pytest.mark.parametrize(
    ("header", "error"),
    [
        (None, None),
        ("Bearer", "invalid_request"),
        ("Basic dXNlcjpwYXNz", "invalid_request"),
        ("Bearer pas-un-jeton", "invalid_token"),
        ("Bearer " + "x" * 500, "invalid_request"),
    ],
)
def test_401_without_a_valid_token(app: Flask, header: str | None, error: str | None) -> None:
    headers = {"Authorization": header} if header is not None else {}
    response = app.test_client().get("/api/v1/offers", headers=headers)
    assert_error(response, 401, "unauthorized")
    challenge = response.headers["WWW-Authenticate"]
    assert challenge.startswith("Bearer realm=")
    assert (f'error="{error}"' in challenge) if error else ("error=" not in challenge)


def test_403_404_405_409_shapes(api: Any, world: W) -> None:  # noqa: F811
    employer = api("employer")
    staff = api("coordinator")
    assert_error(employer.get("/api/v1/requests"), 403, "forbidden")
    # A staff-only action is refused before the body is read.
    assert_error(
        employer.post(f"/api/v1/suggestions/{world.proposed.id}/decision", [1]), 403, "forbidden"
    )
    assert_error(employer.get(f"/api/v1/offers/{world.other_offer.id}"), 404, "not_found")
    assert_error(staff.get("/api/v1/offers/2147483648"), 404, "not_found")
    assert_error(staff.get("/api/v1/nothing-here"), 404, "not_found")
    assert_error(staff.get("/api/v1/offers/abc"), 404, "not_found")
    not_allowed = staff.call("DELETE", f"/api/v1/offers/{world.offer.id}")
    assert_error(not_allowed, 405, "method_not_allowed")
    assert set(not_allowed.headers["Allow"].replace(" ", "").split(",")) >= {"GET", "PATCH"}
    put_list = staff.call("PUT", "/api/v1/offers")
    assert_error(put_list, 405, "method_not_allowed")
    assert "POST" in put_list.headers["Allow"]
    published = staff.post(f"/api/v1/offers/{world.offer.id}/publish")
    body = assert_error(published, 409, "conflict")
    assert body["message"] == "Offre : déjà au statut « Publiée »."


def test_errors_are_never_html_under_api(app: Flask, tokens: Tokens) -> None:  # noqa: F811
    client = app.test_client()
    for path in ("/api/", "/api/v1", "/api/v2/offers", "/api/openapi.yaml"):
        response = client.get(path, headers={"Authorization": f"Bearer {tokens.coordinator}"})
        assert_error(response, 404, "not_found")
    too_big = client.post(
        "/api/v1/offers",
        data=b"{" + b" " * (app.config["MAX_CONTENT_LENGTH"] + 10) + b"}",
        content_type="application/json",
        headers={"Authorization": f"Bearer {tokens.coordinator}"},
    )
    assert_error(too_big, 413, "payload_too_large")


def test_body_that_is_not_json_is_415(staff: ApiClient, world: W) -> None:
    form = staff.client.patch(
        f"/api/v1/offers/{world.offer.id}",
        data={"places": "2"},
        headers={"Authorization": f"Bearer {staff.token}"},
    )
    assert_error(form, 415, "unsupported_media_type")
    text = staff.client.post(
        "/api/v1/offers",
        data='{"site_id": 1}',
        content_type="text/plain",
        headers={"Authorization": f"Bearer {staff.token}"},
    )
    assert_error(text, 415, "unsupported_media_type")


def test_answers_are_never_cached(staff: ApiClient, world: W, app: Flask) -> None:
    assert staff.get(f"/api/v1/requests/{world.request.id}").headers["Cache-Control"] == "no-store"
    assert staff.get("/api/v1/offers/0").headers["Cache-Control"] == "no-store"
    anonymous = app.test_client().get("/api/v1/offers")
    assert anonymous.headers["Cache-Control"] == "no-store"


def test_api_ignores_the_page_cookie_and_csrf(api: Any, world: W) -> None:  # noqa: F811
    # A coordinator signed in on the pages has no API access without a token ...
    from tests.web.conftest import sign_in

    client = api("anonymous").client
    sign_in(client, world.coordinator)
    assert_error(client.get("/api/v1/offers"), 401, "unauthorized")
    # ... and a token needs no CSRF token for a change.
    changed = api("coordinator").patch(f"/api/v1/offers/{world.offer.id}", {"places": 2})
    assert changed.status_code == 200 and changed.get_json()["places"] == 2
