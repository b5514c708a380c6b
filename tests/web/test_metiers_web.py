"""Métiers on pages and the API (issue 14): the coordinators' page of unresolved texts, the
priority filters, and one resolver behind the forms, the API and the CSV import."""

from __future__ import annotations

import io
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import AuditEntry, Offer, Role
from data.operations.metiers import MAP_ACTION
from tests.data import factories as f
from tests.web.api_fixtures import api, tokens  # noqa: F401
from tests.web.conftest import World, post, sign_in

PAGE = "/coordination/metiers-non-reconnus"


def _kept(session: Session, *texts: str) -> Any:
    """A candidate's request holding ``texts`` (unresolved ones kept, as confirmed on the form)."""
    request = f.make_request(session, f.make_candidate(session), metiers=["AES", *texts])
    session.commit()
    return request


def test_coordinators_map_a_text_and_the_resolver_uses_it(
    app: Flask,
    world: World,
    session: Session,
    api: Any,  # noqa: F811
) -> None:
    request = _kept(session, "infirmière puéricultrice")
    _kept(session, "Infirmiere puericultrice")
    client = sign_in(app.test_client(), world.coordinator)
    assert f'href="{PAGE}"' in client.get("/coordination/").text  # in the navigation
    page = client.get(PAGE)
    assert page.status_code == 200
    # One line for both spellings, with the number of requests that hold it.
    assert "<td>Infirmiere puericultrice</td>\n        <td>2</td>" in page.text

    before = api("employer").get("/api/v1/metiers/resolve?q=infirmière puéricultrice").get_json()
    assert before["code"] is None
    assert [s["code"] for s in before["suggestions"]] == ["infirmier", "auxiliaire-de-puericulture"]

    done = post(
        client,
        PAGE,
        {"text": "infirmière puéricultrice", "metier_code": "infirmier", "decision": "rattacher"},
        follow_redirects=True,
    )
    assert "rattaché au métier « Infirmier » (2 demandes mises à jour" in done.text
    assert "Aucun texte à examiner." in done.text and "Décisions prises" in done.text
    session.expire_all()
    assert request.metier_codes == ["accompagnant-educatif-social", "infirmier"]
    entry = session.scalar(select(AuditEntry).where(AuditEntry.action == MAP_ACTION))
    assert entry is not None and entry.actor_id == world.coordinator.id

    # The API's resolver and the CSV import use the mapping from now on.
    after = api("employer").get("/api/v1/metiers/resolve?q=INFIRMIERE PUERICULTRICE").get_json()
    assert (after["code"], after["method"], after["suggestions"]) == ("infirmier", "mapping", [])
    employer = sign_in(app.test_client(), world.employer_user)
    body = f"Lieu d'accueil;Métier\n{world.offer.site.name};Infirmière puéricultrice\n"
    post(
        employer,
        "/employeur/offres/import",
        {"file": (io.BytesIO(body.encode()), "offres.csv")},
        content_type="multipart/form-data",
    )
    codes = session.scalars(select(Offer.metier_code).where(Offer.site_id == world.offer.site_id))
    assert "infirmier" in set(codes)


def test_coordinators_mark_a_text_outside_the_sector(
    app: Flask, world: World, session: Session
) -> None:
    _kept(session, "plombier")
    client = sign_in(app.test_client(), world.coordinator)
    done = post(
        client, PAGE, {"text": "plombier", "decision": "hors-secteur"}, follow_redirects=True
    )
    assert "« plombier » est classé hors du secteur" in done.text
    assert "Aucun texte à examiner." in done.text
    assert "Hors du secteur" in done.text
    # The candidate form now says so.
    user = f.make_user(session, Role.CANDIDATE)
    session.commit()
    form = {
        "metier_1": "plombier",
        "commune": "Bourg-en-Bresse (01053)",
        "max_distance_km": "30",
    }
    refused = post(sign_in(app.test_client(), user), "/candidat/demande", form)
    assert refused.status_code == 400
    assert "« plombier » ne fait pas partie des métiers du secteur." in refused.text


def test_the_mapping_page_refuses_in_french(app: Flask, world: World, session: Session) -> None:
    client = sign_in(app.test_client(), world.coordinator)
    no_choice = post(
        client, PAGE, {"text": "plombier", "decision": "rattacher"}, follow_redirects=True
    )
    assert "Choisissez le métier auquel rattacher ce texte." in no_choice.text
    known = post(
        client,
        PAGE,
        {"text": "AES", "metier_code": "infirmier", "decision": "rattacher"},
        follow_redirects=True,
    )
    assert "« AES » est déjà reconnu comme « Accompagnant éducatif et social »" in known.text
    unknown = post(
        client,
        PAGE,
        {"text": "plombier", "metier_code": "astronaute", "decision": "rattacher"},
        follow_redirects=True,
    )
    assert "Métier inconnu du référentiel." in unknown.text
    for user in (world.employer_user, world.candidate_user):
        assert sign_in(app.test_client(), user).get(PAGE).status_code in (302, 403)


def test_the_review_queue_filters_on_the_plan_s_priority_metiers(
    app: Flask, world: World, session: Session
) -> None:
    site = f.make_site(session, world.employer)
    nurse = f.make_offer(session, site, metier_code="infirmier")
    f.make_suggestion(session, world.request, nurse, score=0.8)
    session.commit()
    client = sign_in(app.test_client(), world.coordinator)
    everything = client.get("/coordination/suggestions").text
    assert "Les métiers prioritaires du plan" in everything
    assert "↔ Infirmier" in everything
    priority = client.get("/coordination/suggestions?metier=prioritaires").text
    assert "↔ Infirmier" not in priority
    assert "↔ Accompagnant éducatif et social" in priority  # world.proposed


def test_the_api_lists_the_metiers_and_their_priority(api: Any) -> None:  # noqa: F811
    client = api("employer")
    every = client.get("/api/v1/metiers?page_size=100").get_json()
    assert every["pagination"]["total"] == 16
    priority = client.get("/api/v1/metiers?priority=true&page_size=100").get_json()
    assert priority["pagination"]["total"] == 8 and all(m["priority"] for m in priority["items"])
    others = client.get("/api/v1/metiers?priority=false&page_size=100").get_json()
    assert {m["code"] for m in others["items"]} >= {"infirmier", "auxiliaire-de-puericulture"}
    aepe = client.get("/api/v1/metiers/accompagnant-educatif-petite-enfance").get_json()
    assert aepe["rome"] is None and aepe["priority"] is False  # not verified: null, not a guess
    assert client.get("/api/v1/metiers?priority=peut-etre").status_code == 422
    for text, code in [("AEPE", "accompagnant-educatif-petite-enfance"), ("ASH", None)]:
        answer = client.get(f"/api/v1/metiers/resolve?q={text}").get_json()
        assert answer["code"] == (code or "agent-de-service-medico-social")
    junk = client.get("/api/v1/metiers/resolve?q=zzzz").get_json()
    assert (junk["code"], junk["method"], junk["suggestions"]) == (None, "none", [])
