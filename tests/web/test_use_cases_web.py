"""Pages and API call the same use cases: the CSV import's one report, the offer's declared
limits on the form and in the API document, the site saved with its housing."""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import HousingKind, Offer
from data.operations.communes import COMMUNE_NOT_FOUND
from data.operations.offer_fields import MAX_DURATION_MONTHS, MAX_PLACES, MIN_DURATION_MONTHS
from data.operations.sites import housing_field
from tests.web.api_fixtures import ApiClient, Tokens, api, tokens  # noqa: F401
from tests.web.conftest import World, post, sign_in

W = Any


def _csv(*lines: str) -> str:
    return "\n".join(("lieu;metier;places", *lines)) + "\n"


def test_api_import_answers_the_report_the_page_shows(
    api: Any,  # noqa: F811
    world: W,
    session: Session,
) -> None:
    site = world.offer.site.name
    body = {"csv": _csv(f"{site};aide-soignant;2", f"{site};plombier;1", "")}
    before = session.scalar(select(func.count()).select_from(Offer))
    response = api("employer").post("/api/v1/offers/import", body)
    assert response.status_code == 200, response.get_json()
    report = response.get_json()
    assert report["message"] == "1 offre créée comme brouillon, 1 ligne refusée."
    assert [(o["places"], o["status"]) for o in report["created"]] == [(2, "draft")]
    assert report["rejected"] == [
        {"line": 3, "messages": ["Métier : Métier inconnu du référentiel."]}
    ]
    assert session.scalar(select(func.count()).select_from(Offer)) == before + 1


def test_api_import_of_an_unreadable_file_keeps_nothing(
    api: Any,  # noqa: F811
    world: W,
    session: Session,
) -> None:
    before = session.scalar(select(func.count()).select_from(Offer))
    staff = api("coordinator")
    missing = staff.post("/api/v1/offers/import", {"csv": "lieu;metier\nx;y\n"})
    assert missing.status_code == 422
    assert missing.get_json()["errors"] == {"employer_id": ["Ce champ est obligatoire."]}
    body = {"csv": "nom,ville\nx,y\n", "employer_id": world.employer.id}
    unreadable = staff.post("/api/v1/offers/import", body)
    assert unreadable.status_code == 422
    assert unreadable.get_json()["errors"]["csv"][0].startswith("Colonnes manquantes : « Lieu")
    assert session.scalar(select(func.count()).select_from(Offer)) == before


def test_form_and_api_document_take_the_declared_limits(app: Flask, world: World) -> None:
    client = sign_in(app.test_client(), world.employer_user)
    page = client.get("/employeur/offres/nouvelle").text
    assert f'min="1" max="{MAX_PLACES}"' in page
    assert f'min="{MIN_DURATION_MONTHS}" max="{MAX_DURATION_MONTHS}"' in page
    doc = app.test_client().get("/api/openapi.json").get_json()
    update = doc["components"]["schemas"]["OfferUpdate"]["properties"]
    assert (update["places"]["minimum"], update["places"]["maximum"]) == (1, MAX_PLACES)
    assert update["duration_months"]["maximum"] == MAX_DURATION_MONTHS
    create = doc["components"]["schemas"]["OfferCreate"]
    assert set(create["required"]) == {"site_id", "metier_code"}


def test_site_page_saves_the_site_and_its_housing_through_one_operation(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.employer_user)
    beds = housing_field("beds", HousingKind.FJT)
    cost = housing_field("cost", HousingKind.FJT)
    refused = post(
        client,
        "/employeur/lieux/nouveau",
        {"name": "Foyer du Lac", "commune": "Atlantide", beds: "2", cost: "cher"},
    )
    assert refused.status_code == 400 and COMMUNE_NOT_FOUND in refused.text
    saved = post(
        client,
        "/employeur/lieux/nouveau",
        {"name": "Foyer du Lac", "commune": "Oyonnax", beds: "2", cost: "380"},
    )
    assert saved.status_code == 302
    session.expire_all()
    [site] = [s for s in world.employer.sites if s.name == "Foyer du Lac"]
    assert [(h.kind, h.beds, h.monthly_cost_eur) for h in site.housings] == [
        (HousingKind.FJT, 2, 380)
    ]
    bad_cost = post(
        client,
        f"/employeur/lieux/{site.id}",
        {"name": "Foyer du Lac", "commune": "Oyonnax", beds: "2", cost: "cher"},
    )
    assert bad_cost.status_code == 400 and f'id="{cost}-erreur"' in bad_cost.text
