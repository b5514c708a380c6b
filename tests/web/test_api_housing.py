"""``/api/v1/housing`` (issue 17): public reads, filters, writes by staff and the managing
structure, French 4xx answers, and a home's address and contact never public."""

from __future__ import annotations

from typing import Any

import schemathesis
from flask import Flask
from sqlalchemy.orm import Session

from data.actor import Actor
from data.models import HousingResource, StructureCheck
from data.operations import housing as ops
from tests.data import factories as f
from tests.web.api_fixtures import ApiClient, Tokens, api, tokens  # noqa: F401

W = Any  # tests.web.conftest.World
STAFF = Actor.system()
SECRET_ADDRESS = "12 chemin des Secrets"
SECRET_MAIL = "mme.martin@example.org"
SECRET_PHONE = "06 11 22 33 44"


def _validate(app: Flask, path: str, method: str, response: Any) -> None:
    schemathesis.openapi.from_wsgi("/api/openapi.json", app)[path][method].validate_response(
        response
    )


def _home(session: Session, **overrides: Any) -> HousingResource:
    values: dict[str, Any] = {
        "name": "Chambre chez Mme Martin (démo)",
        "kind": "host_family",
        "partner_name": "Réseau Un toit deux générations (démo)",
        "commune": f.OYONNAX,
        "address": SECRET_ADDRESS,
        "beds": 1,
        "monthly_cost_eur": 150,
        "contact_name": "Mme Martin",
        "contact_email": SECRET_MAIL,
        "contact_phone": SECRET_PHONE,
        "notes": "Au premier étage, chez Mme Martin.",
        "published": True,
    }
    values.update(overrides)
    resource = ops.create_housing(session, STAFF, **values)
    session.commit()
    return resource


def test_a_home_shows_only_its_commune_to_the_public(
    app: Flask,
    api: Any,  # noqa: F811
    world: W,
    session: Session,
) -> None:
    home = _home(session)
    cohabitation = _home(session, name="Cohabitation (démo)", kind="intergenerational")
    anonymous = app.test_client()
    for client_get in (anonymous.get, api("candidate").get, api("employer").get):
        listing = client_get("/api/v1/housing?page_size=100")
        detail = client_get(f"/api/v1/housing/{home.id}")
        for response in (listing, detail):
            assert response.status_code == 200
            text = response.get_data(as_text=True)
            for secret in (SECRET_ADDRESS, SECRET_MAIL, SECRET_PHONE, "premier étage"):
                assert secret not in text
        item = detail.get_json()
        assert item["commune"]["name"] == "Oyonnax" and item["address"] is None
        assert item["contact_email"] is None and item["contact_phone"] is None
        ids = {i["id"] for i in listing.get_json()["items"]}
        assert {home.id, cohabitation.id} <= ids
    _validate(app, "/api/v1/housing/{housing_id}", "GET", detail)
    # Coordinators see everything.
    full = api("coordinator").get(f"/api/v1/housing/{home.id}").get_json()
    assert full["address"] == SECRET_ADDRESS and full["contact_email"] == SECRET_MAIL
    # A hostel's address and desk are public information.
    hostel = _home(session, name="Foyer (démo)", kind="fjt", address="3 rue du Foyer")
    assert anonymous.get(f"/api/v1/housing/{hostel.id}").get_json()["address"] == "3 rue du Foyer"


def test_reads_are_published_only_unless_staff_and_filters_apply(
    app: Flask,
    api: Any,  # noqa: F811
    world: W,
    session: Session,
) -> None:
    published = _home(session, kind="fjt", monthly_cost_eur=380)
    hidden = _home(session, name="Brouillon (démo)", kind="fjt", published=False)
    anonymous = app.test_client()

    def ids(get: Any, query: str = "") -> set[int]:
        response = get(f"/api/v1/housing?page_size=100&{query}")
        assert response.status_code == 200, response.get_json()
        return {i["id"] for i in response.get_json()["items"]}

    assert published.id in ids(anonymous.get) and hidden.id not in ids(anonymous.get)
    assert hidden.id not in ids(anonymous.get, "published=false")  # the filter is staff's
    assert anonymous.get(f"/api/v1/housing/{hidden.id}").status_code == 404
    staff = api("coordinator").get
    assert hidden.id in ids(staff) and ids(staff, "published=false") >= {hidden.id}
    assert published.id not in ids(staff, "published=false")
    assert published.id in ids(anonymous.get, "kind=fjt&max_cost=400")
    assert published.id not in ids(anonymous.get, "max_cost=300")
    assert published.id not in ids(anonymous.get, "kind=boarding")
    assert published.id in ids(anonymous.get, "manager=partner")
    near = anonymous.get("/api/v1/housing?commune=Oyonnax&distance_km=5").get_json()["items"]
    assert published.id in {i["id"] for i in near}
    assert all(i["distance_km"] <= 5 for i in near) and near[0]["distance_km"] == 0.0
    assert published.id not in ids(anonymous.get, f"commune_insee={f.BOURG}&distance_km=5")
    bad = anonymous.get("/api/v1/housing?distance_km=5")
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == {
        "distance_km": ["Indiquez la commune autour de laquelle chercher."]
    }
    # A token that is there is checked: a bad one is a 401, never anonymous.
    refused = anonymous.get("/api/v1/housing", headers={"Authorization": "Bearer nope"})
    assert refused.status_code == 401
    # Writes need a token.
    assert anonymous.post("/api/v1/housing", json={"name": "X"}).status_code == 401


def test_writes_answer_french_field_errors_and_keep_the_site_rules(
    app: Flask,
    api: Any,  # noqa: F811
    world: W,
    session: Session,
) -> None:
    staff = api("coordinator")
    bad = staff.post(
        "/api/v1/housing",
        {
            "name": "Foyer (démo)",
            "kind": "fjt",
            "partner_name": "Asso (démo)",
            "commune": "Oyonnax",
            "beds": 2,
            "beds_taken": 3,
            "min_age": 30,
            "max_age": 18,
        },
    )
    assert bad.status_code == 422
    assert bad.get_json()["errors"] == {
        "beds_taken": ["Les lits occupés ne peuvent pas dépasser le nombre de lits."],
        "max_age": ["L'âge maximal ne peut pas être inférieur à l'âge minimal."],
    }
    created = staff.post(
        "/api/v1/housing",
        {
            "name": "Foyer (démo)",
            "kind": "fjt",
            "partner_name": "Asso (démo)",
            "commune": "Oyonnax",
            "beds": 20,
            "aids": ["visale", "apl"],
            "periods": [{"starts_on": "2027-09-01", "ends_on": "2028-06-30"}],
        },
    )
    assert created.status_code == 201, created.get_json()
    body = created.get_json()
    assert body["aids"] == ["apl", "visale"] and body["manager"]["kind"] == "partner"
    assert body["periods"] == [{"starts_on": "2027-09-01", "ends_on": "2028-06-30"}]
    _validate(app, "/api/v1/housing", "POST", created)
    # The employer's site housing: its commune is the site's, its beds cover the offers'.
    site_housing = world.offer.site.housings[0]
    url = f"/api/v1/housing/{site_housing.id}"
    employer = api("employer")
    moved = employer.patch(url, {"commune": "Oyonnax"})
    assert moved.status_code == 422 and "commune" in moved.get_json()["errors"]
    world.offer.housing_beds = 2
    session.commit()
    fewer = employer.patch(url, {"beds": 1})
    assert fewer.status_code == 422
    assert fewer.get_json()["errors"]["beds"][0].startswith("Une offre de ce site réserve")
    published = employer.patch(url, {"published": True, "beds_taken": 1})
    assert published.status_code == 200 and published.get_json()["beds_free"] == 1
    # Another structure sees it now, but may not change it.
    assert api("other_employer").patch(url, {"beds": 5}).status_code == 403


def test_a_suspended_structures_housing_is_read_only_by_staff_and_itself(
    app: Flask,
    api: Any,  # noqa: F811
    world: W,
    session: Session,
) -> None:
    site_housing = world.offer.site.housings[0]
    site_housing.published = True
    session.commit()
    url = f"/api/v1/housing/{site_housing.id}"
    anonymous = app.test_client()
    assert anonymous.get(url).status_code == 200
    world.employer.check_status = StructureCheck.SUSPENDED
    session.commit()
    assert anonymous.get(url).status_code == 404
    assert api("other_employer").get(url).status_code == 404
    listed = anonymous.get("/api/v1/housing?page_size=100").get_json()["items"]
    assert site_housing.id not in {i["id"] for i in listed}
    assert api("employer").get(url).status_code == 200
    assert api("coordinator").get(url).status_code == 200
