"""« Cette offre m'intéresse » and « Pourquoi pas cette offre ? » on a published offer (issue 15).

A signed-in candidate with a request asks for any published offer: the pair goes to the
coordinators' review queue with the engine's score and reasons, or with why the engine would have
left it out; an existing pair is never doubled. Closed offers' old links say the offer ended.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data import operations as ops
from data.actor import Actor
from data.errors import PermissionDenied
from data.models import (
    Interest,
    Offer,
    Role,
    Suggestion,
    SuggestionOrigin,
    SuggestionStatus,
)
from data.recompute import score_request_offer
from matching import Exclusion, Match
from tests.data import factories as f
from tests.web.api_fixtures import ApiClient, Tokens, api, tokens  # noqa: F401
from tests.web.conftest import World, post, sign_in

BUTTON = "Cette offre m&#39;intéresse"
SIGN_UP = "Créer mon compte candidat"


def _near(session: Session, world: World) -> Offer:
    """A published offer the engine matches with the world's request (same métier, same town)."""
    offer = f.make_offer(session, f.make_site(session, world.employer, beds=2))
    session.commit()
    return offer


def _far(session: Session, world: World) -> Offer:
    """A published offer the engine rules out for the world's request (too far, no housing)."""
    site = f.make_site(session, world.employer, commune_insee=f.OYONNAX)
    offer = f.make_offer(session, site)
    session.commit()
    return offer


def _pairs(session: Session, world: World, offer: Offer) -> list[Suggestion]:
    session.expire_all()
    return list(
        session.scalars(
            select(Suggestion).where(
                Suggestion.request_id == world.request.id, Suggestion.offer_id == offer.id
            )
        )
    )


def test_only_a_signed_in_candidate_with_a_request_sees_the_button(
    app: Flask, world: World, session: Session
) -> None:
    offer = _near(session, world)
    url = f"/offres/{offer.id}"
    anonymous = app.test_client().get(url).text
    assert SIGN_UP in anonymous and BUTTON not in anonymous
    mine = sign_in(app.test_client(), world.candidate_user).get(url).text
    assert BUTTON in mine and SIGN_UP not in mine
    # Why (not): the engine's score and the reasons worded for the candidate.
    assert "Pourquoi pas cette offre ?" in mine and "Correspondance avec votre demande" in mine
    assert "de votre commune" in mine and "chez la personne candidate" not in mine
    no_request = f.make_user(session, Role.CANDIDATE)
    session.commit()
    page = sign_in(app.test_client(), no_request).get(url).text
    assert "Écrivez d'abord votre demande" in page
    assert BUTTON not in page and SIGN_UP not in page
    employer = sign_in(app.test_client(), world.employer_user).get(url).text
    assert BUTTON not in employer and SIGN_UP not in employer


def test_interest_makes_a_pair_scored_by_the_engine_for_the_review_queue(
    app: Flask, world: World, session: Session
) -> None:
    offer = _near(session, world)
    me = sign_in(app.test_client(), world.candidate_user)
    answer = post(me, f"/candidat/offres/{offer.id}/interet", follow_redirects=True)
    assert answer.status_code == 200
    assert "l&#39;équipe de coordination va examiner cette offre" in answer.text
    assert "Vous avez dit que cette offre vous intéresse" in answer.text
    assert BUTTON not in answer.text
    (pair,) = _pairs(session, world, offer)
    assert pair.origin == SuggestionOrigin.CANDIDATE
    assert pair.status == SuggestionStatus.PROPOSED and not pair.stale
    assert pair.candidate_interest == Interest.INTERESTED
    scored = score_request_offer(world.request, offer)
    assert isinstance(scored, Match)
    # The world knows a training centre: the engine's fourth criterion is there too.
    assert pair.score == scored.score
    assert set(pair.criteria) == {"metier", "distance", "housing", "training"}
    assert pair.proposed_centre_id == world.centre.id
    history = ops.pair_history(session, pair.id)
    assert [e.action for e in history] == ["asked_by_candidate"]
    queue = sign_in(app.test_client(), world.coordinator).get("/coordination/suggestions").text
    assert f'id="suggestion-{pair.id}"' in queue
    assert "Demandée par la personne candidate" in queue
    # A second click: the same pair, nothing doubled, and the page says so.
    again = post(me, f"/candidat/offres/{offer.id}/interet", follow_redirects=True)
    assert "déjà associée à votre demande" in again.text
    assert [p.id for p in _pairs(session, world, offer)] == [pair.id]


def test_interest_against_the_engine_keeps_why_it_left_the_offer_out(
    app: Flask, world: World, session: Session
) -> None:
    offer = _far(session, world)
    me = sign_in(app.test_client(), world.candidate_user)
    page = me.get(f"/offres/{offer.id}").text
    assert "Cette offre ne vous a pas été proposée" in page and "Trop loin" in page
    assert BUTTON in page
    assert post(me, f"/candidat/offres/{offer.id}/interet").status_code == 302
    (pair,) = _pairs(session, world, offer)
    scored = score_request_offer(world.request, offer)
    assert isinstance(scored, Exclusion) and "distance" in scored.reasons
    assert pair.score == 0.0 and pair.criteria == {}
    assert pair.origin == SuggestionOrigin.CANDIDATE
    assert any("Trop loin" in r for r in pair.reasons)
    coordinator = sign_in(app.test_client(), world.coordinator)
    queue = coordinator.get("/coordination/suggestions").text
    assert f'id="suggestion-{pair.id}"' in queue
    assert "Le calcul ne l&#39;aurait pas proposée : Trop loin" in queue
    detail = coordinator.get(f"/coordination/suggestions/{pair.id}")
    assert "Le calcul ne l&#39;aurait pas proposée : Trop loin" in detail.text


def test_interest_in_an_offer_already_paired_is_recorded_on_that_pair(
    app: Flask, world: World, session: Session
) -> None:
    me = sign_in(app.test_client(), world.candidate_user)
    before = session.scalar(select(func.count()).select_from(Suggestion))
    answer = post(me, f"/candidat/offres/{world.other_offer.id}/interet", follow_redirects=True)
    assert "votre intérêt y est maintenant noté" in answer.text
    session.expire_all()
    assert session.scalar(select(func.count()).select_from(Suggestion)) == before
    proposed = session.get(Suggestion, world.proposed.id)
    assert proposed is not None
    assert proposed.candidate_interest == Interest.INTERESTED
    assert proposed.origin == SuggestionOrigin.ENGINE  # the engine's pair stays the engine's


def test_a_pair_the_engine_dropped_comes_back_to_the_queue_as_the_candidate_s(
    world: World, session: Session
) -> None:
    world.proposed.stale = True
    session.commit()
    actor = Actor.user(world.candidate_user)
    result = ops.express_interest(session, world.other_offer, actor)
    assert (result.created, result.recorded) == (False, True)
    assert result.suggestion.id == world.proposed.id
    assert not result.suggestion.stale
    assert result.suggestion.origin == SuggestionOrigin.CANDIDATE


def test_an_ended_pair_is_left_as_it_is_and_others_may_not_ask(
    world: World, session: Session
) -> None:
    ops.reject_suggestion(session, world.proposed, Actor.user(world.coordinator), "Trop loin")
    session.commit()
    result = ops.express_interest(session, world.other_offer, Actor.user(world.candidate_user))
    assert (result.created, result.recorded) == (False, False)
    assert result.suggestion.candidate_interest is None
    for user in (world.employer_user, world.coordinator):
        try:
            ops.express_interest(session, world.offer, Actor.user(user))
        except PermissionDenied:
            pass
        else:  # pragma: no cover - the assertion below reports it
            raise AssertionError(f"{user.role} could say a candidate is interested")


def test_a_paused_request_asks_to_be_reactivated_first(
    app: Flask, world: World, session: Session
) -> None:
    offer = _near(session, world)
    ops.pause_request(session, world.request)
    session.commit()
    me = sign_in(app.test_client(), world.candidate_user)
    answer = post(me, f"/candidat/offres/{offer.id}/interet", follow_redirects=True)
    assert answer.status_code == 200 and "Réactivez-la d&#39;abord" in answer.text
    assert _pairs(session, world, offer) == []


def test_an_ended_offer_says_so_instead_of_a_404(
    app: Flask, world: World, session: Session
) -> None:
    closed = _near(session, world)
    ops.close_offer(session, closed)
    filled = _near(session, world)
    ops.mark_offer_filled(session, filled)
    session.commit()
    client = sign_in(app.test_client(), world.candidate_user)
    for offer, why in ((closed, "l'employeur l'a fermée"), (filled, "pourvues")):
        page = client.get(f"/offres/{offer.id}")
        assert page.status_code == 200
        assert "Cette offre n'est plus ouverte" in page.text and why in page.text
        assert 'href="/offres"' in page.text and BUTTON not in page.text
    assert client.get(f"/offres/{world.draft.id}").status_code == 404
    assert client.get("/offres/999999").status_code == 404
    # The interest route refuses an ended offer as it refuses a draft.
    assert post(client, f"/candidat/offres/{closed.id}/interet").status_code == 404


def test_api_interest_and_why_not(
    api: Any,  # noqa: F811
    world: World,
    session: Session,
    tokens: Tokens,  # noqa: F811
) -> None:
    near, far = _near(session, world), _far(session, world)
    me: ApiClient = api("candidate")
    first = me.post(f"/api/v1/offers/{near.id}/interest")
    assert first.status_code == 201, first.get_json()
    body = first.get_json()
    assert body["created"] is True and body["suggestion"]["status"] == "proposed"
    assert body["suggestion"]["candidate_interest"] == "interested"
    again = me.post(f"/api/v1/offers/{near.id}/interest")
    assert again.status_code == 200
    assert again.get_json()["suggestion"]["id"] == body["suggestion"]["id"]
    assert len(_pairs(session, world, near)) == 1
    fit = me.get(f"/api/v1/offers/{near.id}/fit").get_json()
    assert fit["interested"] is True and fit["exclusions"] == []
    assert 0 < fit["score"] <= 1 and any("votre commune" in r for r in fit["reasons"])
    out = me.get(f"/api/v1/offers/{far.id}/fit").get_json()
    assert out["score"] is None and out["reasons"] == []
    assert any(e.startswith("Trop loin") for e in out["exclusions"])
    assert api("employer").post(f"/api/v1/offers/{near.id}/interest").status_code == 403
    assert me.post(f"/api/v1/offers/{world.draft.id}/interest").status_code == 404
    # An ended pair: 409, nothing changed.
    ops.reject_suggestion(session, world.proposed, Actor.user(world.coordinator), "Trop loin")
    session.commit()
    ended = me.post(f"/api/v1/offers/{world.other_offer.id}/interest")
    assert ended.status_code == 409 and "déjà été examinée" in ended.get_json()["message"]


def test_presentation_is_written_by_the_candidate_and_read_by_employers_of_approved_pairs(
    app: Flask, world: World, session: Session
) -> None:
    from data.platform_settings import ReviewRule, set_review_rule

    me = sign_in(app.test_client(), world.candidate_user)
    form = {"first_name": "Léa", "last_name": "Dupont", "email": "", "phone": ""}
    too_long = post(me, "/candidat/informations", {**form, "presentation": "a" * 1001})
    assert too_long.status_code == 400 and "Présentation" in too_long.text
    words = "Aide à domicile depuis deux ans,\nje cherche une formation d'aide-soignante."
    assert post(me, "/candidat/informations", {**form, "presentation": words}).status_code == 302
    session.expire_all()
    assert world.request.candidate.presentation == words
    assert "je cherche une formation" in me.get("/candidat/informations").text
    # The employer of the approved pair reads it; an unreviewed pair shown under the "auto" rule
    # does not show it.
    set_review_rule(session, ReviewRule(mode="auto", min_score=0.5))
    session.commit()
    approved = sign_in(app.test_client(), world.employer_user)
    assert "je cherche une formation" in approved.get(f"/employeur/offres/{world.offer.id}").text
    unreviewed = sign_in(app.test_client(), world.other_employer_user)
    page = unreviewed.get(f"/employeur/offres/{world.other_offer.id}").text
    assert f'id="suggestion-{world.proposed.id}"' in page
    assert "je cherche une formation" not in page
