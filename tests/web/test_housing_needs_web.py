"""The coordinators' housing needs page (issue 17): needs against supply, by territory."""

from __future__ import annotations

import re
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from data.models import HousingSource
from tests.data import factories as f
from tests.web.api_fixtures import api, tokens  # noqa: F401
from tests.web.conftest import World, sign_in


def test_the_page_shows_needs_blocked_pairs_and_beds(
    app: Flask, world: World, session: Session
) -> None:
    f.make_housing_resource(session, name="Les Tilleuls (test)", beds=3, beds_taken=1)
    # The world's candidate needs housing: one pair housed by the offer's beds, one not housed.
    world.suggestion.housing_source = HousingSource.OFFER
    session.commit()
    client = sign_in(app.test_client(), world.coordinator)
    page = client.get("/coordination/logement")
    assert page.status_code == 200
    text = page.text
    words = " ".join(re.sub(r"<[^>]+>", " ", text).split())
    assert "1 candidat cherche un logement, dont 0 sans aucune suggestion logée" in words
    assert "1 binôme bloqué par le logement" in words
    assert "2 lits libres dans les logements publiés" in words
    assert "Les Tilleuls (test)" in text
    assert f"/coordination/suggestions/{world.proposed.id}" in text  # blocked by housing
    assert f'/coordination/suggestions/{world.suggestion.id}"' not in text

    # Around Oyonnax (the unhoused pair's offer), not the Bourg hostel.
    around = client.get("/coordination/logement?territoire=Oyonnax&rayon=10")
    assert around.status_code == 200
    assert "Les Tilleuls (test)" not in around.text
    assert f"/coordination/suggestions/{world.proposed.id}" in around.text


def test_a_bad_territory_gets_a_french_message(app: Flask, world: World) -> None:
    client = sign_in(app.test_client(), world.coordinator)
    for query in ("territoire=Nulle-Part-sur-Mer", "territoire=Oyonnax&rayon=7", "rayon=abc"):
        page = client.get(f"/coordination/logement?{query}")
        assert page.status_code == 400, query
        assert "Commune introuvable" in page.text or "Choisissez un rayon" in page.text, query


def test_the_page_is_for_staff_only(app: Flask, world: World) -> None:
    for user in (world.employer_user, world.candidate_user):
        answer = sign_in(app.test_client(), user).get("/coordination/logement")
        assert answer.status_code in (302, 403), user


def test_a_pair_housed_near_its_offer_links_to_the_resource(
    app: Flask,
    world: World,
    session: Session,
    api: Any,  # noqa: F811
) -> None:
    hostel = f.make_housing_resource(session, name="Les Tilleuls (test)")
    world.suggestion.housing_source = HousingSource.RESOURCE
    world.suggestion.proposed_housing_id = hostel.id
    world.suggestion.proposed_housing_km = 2.0
    session.commit()
    link = f"/se-loger/{hostel.id}"
    coordinator = sign_in(app.test_client(), world.coordinator)
    assert link in coordinator.get(f"/coordination/suggestions/{world.suggestion.id}").text
    # The pair is approved: its candidate reads it too, with the way to the hostel.
    assert link in sign_in(app.test_client(), world.candidate_user).get("/candidat/").text
    for role in ("candidate", "employer", "coordinator"):
        found = api(role).get(f"/api/v1/suggestions/{world.suggestion.id}")
        assert found.status_code == 200, (role, found.get_json())
        housing = found.get_json()["proposed_housing"]
        assert housing == {
            "source": "resource",
            "id": hostel.id,
            "name": "Les Tilleuls (test)",
            "kind": "fjt",
            "commune": "Bourg-en-Bresse",
            "distance_km": 2.0,
            "monthly_cost_eur": 380,
        }, role
