"""The training centre the engine proposes for a pair (issue 16), as people read it: the
candidate's space, the employer's offer page, the coordinator's suggestion page, and the API of
each of them."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from markupsafe import escape
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Suggestion, SuggestionStatus
from data.recompute import recompute_suggestions
from tests.data import factories as f
from tests.web.api_fixtures import ApiClient, Tokens, api, tokens  # noqa: F401
from tests.web.conftest import World, sign_in

AMBERIEU = "01004"  # Ambérieu-en-Bugey, about 25 km from Bourg-en-Bresse
NAME = "IFAS d'Ambérieu (test)"


def _proposed(session: Session, world: World) -> Suggestion:
    """The world's approved pair, re-scored by the engine with its centres (the world's, in
    Bourg, and one in Ambérieu with an intake a week after the offer's start)."""
    start = world.offer.start_date
    assert start is not None
    f.make_centre(session, name=NAME, commune=AMBERIEU, intakes=(start + timedelta(7),))
    recompute_suggestions(session)
    session.commit()
    pair = session.scalar(select(Suggestion).where(Suggestion.id == world.suggestion.id))
    assert pair is not None and pair.proposed_centre is not None
    assert pair.status == SuggestionStatus.APPROVED  # re-scored, never re-decided
    return pair


def test_each_reader_sees_the_centre_and_its_intake(
    app: Flask, world: World, session: Session
) -> None:
    pair = _proposed(session, world)
    link = f"/se-former/centres/{pair.proposed_centre_id}"
    candidate = sign_in(app.test_client(), world.candidate_user).get("/candidat/").text
    card = candidate.split(f'id="suggestion-{pair.id}"')[1].split('class="card"')[0]
    # The reason names the centre, its distance from home and the intake; a link leads to it.
    assert escape(pair.proposed_centre.name) in card
    assert "de chez vous" in card and "rentrée le" in card
    assert link in card
    employer = sign_in(app.test_client(), world.employer_user).get(
        f"/employeur/offres/{world.offer.id}"
    )
    assert employer.status_code == 200 and link in employer.text
    coordinator = sign_in(app.test_client(), world.coordinator).get(
        f"/coordination/suggestions/{pair.id}"
    )
    assert coordinator.status_code == 200
    assert "Formation :" in coordinator.text and link in coordinator.text


def test_the_api_gives_the_proposed_centre_to_each_side(
    app: Flask,
    world: World,
    session: Session,
    api: Any,  # noqa: F811
) -> None:
    pair = _proposed(session, world)
    for role in ("candidate", "employer", "coordinator"):
        found = api(role).get(f"/api/v1/suggestions/{pair.id}")
        assert found.status_code == 200, (role, found.get_json())
        centre = found.get_json()["proposed_centre"]
        assert centre["id"] == pair.proposed_centre_id, role
        assert centre["name"] == pair.proposed_centre.name
        assert centre["commune"] == pair.proposed_centre.commune.name
        assert centre["intake"] == pair.proposed_intake_on.isoformat()
        assert centre["distance_km"] == pair.proposed_centre_km
