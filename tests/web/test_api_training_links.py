"""The API names an offer's partner training centre and the centre where a candidate is enrolled
(issue 16), checked by the operations the pages use: an unknown centre is refused (422)."""

from __future__ import annotations

from typing import Any

import schemathesis
from flask import Flask
from sqlalchemy.orm import Session

from data.models import Offer, Request
from data.operations.validation import UNKNOWN_CENTRE
from tests.data import factories as f
from tests.web.api_fixtures import ApiClient, Tokens, api, tokens  # noqa: F401

W = Any  # tests.web.conftest.World
UNKNOWN_ID = 2**31 - 1


def _validate(app: Flask, path: str, method: str, response: Any) -> None:
    schemathesis.openapi.from_wsgi("/api/openapi.json", app)[path][method].validate_response(
        response
    )


def _centre(session: Session, name: str) -> int:
    centre = f.make_centre(session, name=name)
    session.commit()
    return centre.id


def test_offers_take_and_show_their_partner_centre(
    app: Flask,
    api: Any,  # noqa: F811
    world: W,
    session: Session,
) -> None:
    centre_id = _centre(session, "IFAS de Bourg")
    employer = api("employer")
    body = {"site_id": world.offer.site_id, "metier_code": "aide-soignant"}
    created = employer.post("/api/v1/offers", {**body, "partner_centre_id": centre_id})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["partner_centre_id"] == centre_id
    _validate(app, "/api/v1/offers", "POST", created)
    offer_id = created.get_json()["id"]

    unknown = employer.post("/api/v1/offers", {**body, "partner_centre_id": UNKNOWN_ID})
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"] == {"partner_centre_id": [UNKNOWN_CENTRE]}

    url = f"/api/v1/offers/{offer_id}"
    refused = api("coordinator").patch(url, {"partner_centre_id": UNKNOWN_ID})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"partner_centre_id": [UNKNOWN_CENTRE]}
    other_id = _centre(session, "IRTS Rhône-Alpes")
    moved = api("coordinator").patch(url, {"partner_centre_id": other_id})
    assert moved.status_code == 200 and moved.get_json()["partner_centre_id"] == other_id
    _validate(app, "/api/v1/offers/{offer_id}", "PATCH", moved)
    cleared = employer.patch(url, {"partner_centre_id": None})
    assert cleared.status_code == 200 and cleared.get_json()["partner_centre_id"] is None
    session.expire_all()
    assert session.get(Offer, offer_id).partner_centre_id is None
    read = employer.get(url)
    assert read.get_json()["partner_centre_id"] is None
    _validate(app, "/api/v1/offers/{offer_id}", "GET", read)


def test_requests_take_and_show_the_centre_where_the_candidate_is_enrolled(
    app: Flask,
    api: Any,  # noqa: F811
    world: W,
    tokens: Tokens,  # noqa: F811
    session: Session,
) -> None:
    centre_id = _centre(session, "IFAS de Bourg")
    url = f"/api/v1/requests/{world.request.id}"
    me = api("candidate")
    refused = me.patch(url, {"training_centre_id": UNKNOWN_ID})
    assert refused.status_code == 422
    assert refused.get_json()["errors"] == {"training_centre_id": [UNKNOWN_CENTRE]}
    enrolled = me.patch(url, {"training_centre_id": centre_id})
    assert enrolled.status_code == 200, enrolled.get_json()
    assert enrolled.get_json()["training_centre_id"] == centre_id
    _validate(app, "/api/v1/requests/{request_id}", "PATCH", enrolled)
    read = api("coordinator").get(url)
    assert read.get_json()["training_centre_id"] == centre_id
    _validate(app, "/api/v1/requests/{request_id}", "GET", read)
    session.expire_all()
    assert session.get(Request, world.request.id).training_centre_id == centre_id

    newcomer = f.make_candidate(session, first_name="Inès")
    session.commit()
    body = {"candidate_id": newcomer.id, "metiers": ["aide soignante"], "commune_insee": f.BOURG}
    coordinator = api("coordinator")
    unknown = coordinator.post("/api/v1/requests", {**body, "training_centre_id": UNKNOWN_ID})
    assert unknown.status_code == 422
    assert unknown.get_json()["errors"] == {"training_centre_id": [UNKNOWN_CENTRE]}
    created = coordinator.post("/api/v1/requests", {**body, "training_centre_id": centre_id})
    assert created.status_code == 201, created.get_json()
    assert created.get_json()["training_centre_id"] == centre_id
    _validate(app, "/api/v1/requests", "POST", created)
    listed = coordinator.get("/api/v1/requests?page_size=100").get_json()["items"]
    assert {r["id"]: r["training_centre_id"] for r in listed}[tokens.other_request.id] is None
