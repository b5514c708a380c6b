"""Each reader gets the reasons written for them, and French numbers.

The candidate reads « À 32 km de votre commune », the employer « Habite à 32 km de
l'établissement », a coordinator « Établissement à 32 km de chez la personne candidate »; the
coordinators' review shows weights as « poids 0,35 », never « poids 0.35 ».
"""

from __future__ import annotations

import html
import re
from typing import Any

import pytest
from flask import Flask
from sqlalchemy.orm import Session

from data.models import Commune
from data.recompute import recompute_suggestions
from tests.data import factories as f
from tests.web.api_fixtures import api, tokens  # noqa: F401
from tests.web.conftest import World, sign_in

#: The engine's distance between Bourg-en-Bresse and Oyonnax (the shipped gazetteer), whole km.
BOURG_OYONNAX = "32 km"
CANDIDATE_SIDE = f"À {BOURG_OYONNAX} de votre commune"
EMPLOYER_SIDE = f"Habite à {BOURG_OYONNAX} de l'établissement"
COORDINATOR_SIDE = f"Établissement à {BOURG_OYONNAX} de chez la personne candidate"
#: A number with a decimal point, as Python writes it: « 0.35 », « 12.5 ».
ENGLISH_DECIMAL = re.compile(r"(?<![\d.])\d+\.\d+(?![\d.])")


def _visible(page: str) -> str:
    """The text a person reads: no tags, no scripts or styles, entities decoded."""
    page = re.sub(r"<(script|style)\b.*?</\1>", " ", page, flags=re.S)
    return html.unescape(re.sub(r"<[^>]+>", " ", page))


@pytest.fixture
def explained(session: Session, world: World) -> World:
    """The world's candidate lives in Oyonnax, 32 km from the offer; the engine explains."""
    world.request.commune = session.get(Commune, f.OYONNAX)
    world.request.max_distance_km = 50
    session.flush()
    recompute_suggestions(session)
    session.commit()
    session.refresh(world.suggestion)
    assert world.suggestion.criteria["distance"]["fact"]["kind"] == "distance"
    assert round(world.suggestion.distance_km) == 32
    return world


def test_the_candidate_reads_the_distance_from_their_commune(app: Flask, explained: World) -> None:
    page = _visible(sign_in(app.test_client(), explained.candidate_user).get("/candidat/").text)
    assert CANDIDATE_SIDE in page
    assert "personne candidate" not in page and "l'établissement" not in page


def test_the_employer_reads_where_the_candidate_lives(app: Flask, explained: World) -> None:
    client = sign_in(app.test_client(), explained.employer_user)
    page = _visible(client.get(f"/employeur/offres/{explained.offer.id}").text)
    assert EMPLOYER_SIDE in page
    assert "votre commune" not in page


def test_the_coordinator_reads_about_the_candidate_and_the_establishment(
    app: Flask, explained: World
) -> None:
    client = sign_in(app.test_client(), explained.coordinator)
    page = _visible(client.get(f"/coordination/suggestions/{explained.suggestion.id}").text)
    assert COORDINATOR_SIDE in page
    assert "votre commune" not in page
    # The distance's weight, the French way (0,35 of the three criteria; 0,32 with the world's
    # training centre, whose criterion shares the total).
    weight = explained.suggestion.criteria["distance"]["weight"]
    assert f"poids {round(weight, 2):.2f}".replace(".", ",").rstrip("0") in page


def test_no_page_of_the_coordinators_review_shows_english_numbers(
    app: Flask, session: Session, explained: World
) -> None:
    client = sign_in(app.test_client(), explained.coordinator)
    pages = [
        "/coordination/",
        "/coordination/suggestions",
        f"/coordination/suggestions/{explained.suggestion.id}",
        f"/coordination/suggestions/{explained.proposed.id}",
        "/coordination/binomes",
        f"/coordination/demandes/{explained.request.id}",
        f"/coordination/offres/{explained.offer.id}",
        "/coordination/affectation",
    ]
    for url in pages:
        response = client.get(url)
        assert response.status_code == 200, url
        text = _visible(response.text)
        assert not re.search(r"poids \d+\.\d", text), url
        assert ENGLISH_DECIMAL.findall(text) == [], url
        assert "votre commune" not in text, url


def test_a_pair_made_by_hand_reads_for_each_reader(app: Flask, explained: World) -> None:
    """Rows without the engine's facts (by hand, or older) get the distance rewritten."""
    from data.presentation.reasons import reasons_for

    row = explained.suggestion
    row.criteria, row.reasons = (
        {},
        ["32 km de la commune du candidat", "Mise en relation faite à la main"],
    )
    assert reasons_for(row, "coordinator") == [COORDINATOR_SIDE, "Mise en relation faite à la main"]
    assert reasons_for(row, "employer")[0] == EMPLOYER_SIDE
    assert reasons_for(row, "candidate")[0] == CANDIDATE_SIDE


def test_the_api_writes_the_reasons_for_the_token_s_reader(
    api: Any,  # noqa: F811
    explained: World,
) -> None:
    url = f"/api/v1/suggestions/{explained.suggestion.id}"
    for role, expected in (
        ("candidate", CANDIDATE_SIDE),
        ("employer", EMPLOYER_SIDE),
        ("coordinator", COORDINATOR_SIDE),
    ):
        body = api(role).get(url).get_json()
        assert expected in body["reasons"], role
        assert body["criteria"]["distance"]["reason"] == expected, role
