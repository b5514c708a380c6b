"""Discovery days' pages (issue 18): each space's pages, the feedback by link, the PDF."""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.discovery_engine import recompute_discovery
from data.models import DiscoveryDay, DiscoveryMatch, DiscoveryMatchStatus, DiscoveryWish
from data.models.mail import OutboxMessage
from data.operations import discovery as ops
from data.operations._common import local_today
from data.presentation.pdf import DocumentError, html_to_pdf, refuse_outside_urls
from tests.data import factories as f
from tests.web.conftest import World, pdf_text, post, sign_in

M = DiscoveryMatchStatus
FIRST = local_today() + timedelta(days=20)
LINK_RE = re.compile(r"/questionnaire/([A-Za-z0-9_\-]+)")


def _day_form(world: World, **overrides: str) -> dict[str, str]:
    site = world.offer.site
    form = {
        "site_id": str(site.id),
        "metier_code": "aide-soignant",
        "starts_on": FIRST.isoformat(),
        "ends_on": (FIRST + timedelta(days=1)).isoformat(),
        "places": "2",
        "host_name": "Sophie Bernard",
        "host_role": "Aide-soignante",
        "meeting_time": "08:30",
        "meeting_place": "Accueil du bâtiment A",
        "what_to_bring": "Chaussures fermées",
    }
    form.update(overrides)
    return form


def _wish_form(**overrides: str) -> dict[str, str]:
    form = {
        "metier_code": "aide-soignant",
        "commune": "Bourg-en-Bresse",
        "max_distance_km": "30",
        "free_from": local_today().isoformat(),
        "free_until": (FIRST + timedelta(days=30)).isoformat(),
        "age_band": "16-17",
    }
    form.update(overrides)
    return form


def test_the_pdf_module_reads_back_and_never_fetches_outside() -> None:
    pdf = html_to_pdf(
        '<html lang="fr"><body><h1>Récapitulatif</h1>'
        '<img src="https://example.org/logo.png" alt=""><p>Café à 8 h 30</p></body></html>'
    )
    assert pdf.startswith(b"%PDF") and "Café à 8 h 30" in pdf_text(pdf)
    with pytest.raises(DocumentError):
        refuse_outside_urls("http://127.0.0.1/font.woff")


def test_a_discovery_from_the_days_to_the_request_through_the_pages(
    app: Flask, world: World, session: Session
) -> None:
    employer = sign_in(app.test_client(), world.employer_user)
    bad = post(
        employer, "/employeur/decouvertes/nouvelles", _day_form(world, places="0", ends_on="x")
    )
    assert bad.status_code == 400 and "Le formulaire contient 2 erreurs" in bad.text
    created = post(employer, "/employeur/decouvertes/nouvelles", _day_form(world))
    assert created.status_code == 302
    day = session.scalars(select(DiscoveryDay)).one()
    assert employer.get(f"/employeur/decouvertes/{day.id}").status_code == 200
    other = sign_in(app.test_client(), world.other_employer_user)
    assert other.get(f"/employeur/decouvertes/{day.id}").status_code == 404
    assert other.get("/employeur/decouvertes/99999999999").status_code == 404

    candidate = sign_in(app.test_client(), world.candidate_user)
    asked = candidate.get("/candidat/decouvertes/demander?metier=aide-soignant")
    # Free from tomorrow for two months unless the person says otherwise.
    tomorrow = local_today() + timedelta(days=1)
    assert f'value="{tomorrow.isoformat()}"' in asked.text
    assert f'value="{(tomorrow + timedelta(days=60)).isoformat()}"' in asked.text
    assert asked.status_code == 200 and "Bourg-en-Bresse" in asked.text  # from the request
    refused = post(candidate, "/candidat/decouvertes/demander", _wish_form(commune="Nullepart"))
    assert refused.status_code == 400 and "Erreur" in refused.text
    assert post(candidate, "/candidat/decouvertes/demander", _wish_form()).status_code == 302
    wish = session.scalars(select(DiscoveryWish)).one()
    assert wish.request_id == world.request.id

    recompute_discovery(session, today=local_today())
    session.commit()
    match = session.scalars(select(DiscoveryMatch)).one()
    coordinator = sign_in(app.test_client(), world.coordinator)
    queue = coordinator.get("/coordination/decouvertes/")
    assert queue.status_code == 200 and world.candidate_user.candidate.first_name in queue.text
    assert post(coordinator, f"/coordination/decouvertes/{match.id}/ecarter").status_code == 302
    session.refresh(match)
    assert match.status == M.PROPOSED  # no reason: nothing changed
    approved = post(
        coordinator, f"/coordination/decouvertes/{match.id}/approuver", {"depuis": "proposed"}
    )
    assert approved.status_code == 302
    session.refresh(match)
    assert match.status == M.PLANNED
    again = post(
        coordinator, f"/coordination/decouvertes/{match.id}/approuver", {"depuis": "nimporte"}
    )
    assert again.status_code == 302  # a French message, never a 500

    page = employer.get(f"/employeur/decouvertes/{day.id}")
    assert world.candidate_user.candidate.email in page.text and "mineure" in page.text
    pdf = candidate.get(f"/candidat/decouvertes/{match.id}/recapitulatif.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    for expected in ("Sophie Bernard", "Chaussures fermées", "08:30", "aide-soignant"):
        assert expected in text, expected
    assert (
        employer.get(f"/employeur/decouvertes/venues/{match.id}/recapitulatif.pdf").status_code
        == 200
    )

    after = datetime.combine(FIRST + timedelta(days=3), time(9), tzinfo=UTC)
    assert ops.finish_past_discoveries(session, Actor.job("discovery"), now=after) == 1
    assert ops.send_due_questionnaires(session, now=after) == 2
    session.commit()
    mail = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == "questionnaire",
            OutboxMessage.recipient == world.candidate_user.candidate.email,
        )
    ).one()
    token = LINK_RE.search(mail.text).group(1)  # type: ignore[union-attr]
    anonymous = sign_in(app.test_client(), None)
    form = anonymous.get(f"/questionnaire/{token}")
    # What the questions are about: the métier, the structure, the days.
    assert f"Aide-soignant chez {world.employer.name}" in form.text
    assert form.status_code == 200 and "La découverte vous a-t-elle plu ?" in form.text
    wrong = post(anonymous, f"/questionnaire/{token}", {"liked": "peut-etre"})
    assert wrong.status_code == 400 and "une des réponses proposées." in wrong.text
    answers = {"liked": "yes", "go_on": "yes", "welcome": "rather_yes", "comment": "Merci"}
    assert post(anonymous, f"/questionnaire/{token}", answers).status_code == 302
    done = anonymous.get(f"/questionnaire/{token}")
    assert "Transformer cette découverte en demande d'apprentissage" in done.text
    twice = post(anonymous, f"/questionnaire/{token}", answers, follow_redirects=True)
    assert "a déjà reçu une réponse" in twice.text
    assert anonymous.get("/questionnaire/inconnu").status_code == 404

    # The one click: signed out, the sign-in page; signed in, the request form prefilled.
    turn = f"/candidat/decouvertes/{match.id}/demande-apprentissage"
    assert anonymous.get(turn).status_code == 302
    landed = candidate.get(turn, follow_redirects=True)
    assert landed.status_code == 200 and "Prérempli à partir de votre découverte" in landed.text
    assert f'name="discovery_wish_id" value="{wish.id}"' in landed.text
    listing = coordinator.get("/coordination/decouvertes/?etape=done")
    assert "Merci" in listing.text and "Oui" in listing.text


def test_the_metier_sheet_offers_to_try_the_metier(app: Flask, world: World) -> None:
    page = app.test_client().get("/metiers/aide-soignant")
    assert "Essayer ce métier" in page.text
    assert "/candidat/decouvertes/demander?metier=aide-soignant" in page.text


def test_a_request_confirmed_from_a_discovery_is_linked_to_it(app: Flask, session: Session) -> None:
    from data.models import Role

    user = f.make_user(session, Role.CANDIDATE)
    wish = ops.create_wish(
        session,
        Actor.system(),
        user.candidate,
        {
            "metier_code": "auxiliaire-de-puericulture",
            "commune_insee": f.OYONNAX,
            "max_distance_km": "40",
            "free_from": local_today().isoformat(),
            "free_until": (local_today() + timedelta(days=60)).isoformat(),
            "age_band": "18-20",
        },
    )
    session.commit()
    client = sign_in(app.test_client(), user)
    form = client.get(f"/candidat/demande?decouverte={wish.id}")
    assert "Oyonnax" in form.text and 'value="40"' in form.text
    assert client.get("/candidat/demande?decouverte=abc").status_code == 200
    saved = post(
        client,
        "/candidat/demande",
        {
            "metier_1": wish.metier.label,
            "commune": "Oyonnax",
            "max_distance_km": "40",
            "age_band": "18-20",
            "discovery_wish_id": str(wish.id),
        },
    )
    assert saved.status_code == 302
    session.expire_all()
    assert wish.request_id is not None and wish.request_id == user.candidate.request.id
    assert wish.request.age_band.value == "18-20"


def test_odd_input_gets_a_french_answer_never_a_500(
    app: Flask, world: World, session: Session
) -> None:
    candidate = sign_in(app.test_client(), world.candidate_user)
    for form in (
        _wish_form(free_from="31/02/2027"),
        _wish_form(metier_code="x" * 5000, max_distance_km="1e9", age_band="99"),
        {},
    ):
        answer = post(candidate, "/candidat/decouvertes/demander", form)
        assert answer.status_code == 400 and "Erreur" in answer.text, form
    # A NUL character: the house's input guard answers 400 before the view.
    assert (
        post(candidate, "/candidat/decouvertes/demander", _wish_form(free_until="\x00")).status_code
        == 400
    )
    for path in (
        "/candidat/decouvertes/99999999999/recapitulatif.pdf",
        "/candidat/decouvertes/7/recapitulatif.pdf",
        "/candidat/decouvertes/7/demande-apprentissage",
    ):
        assert candidate.get(path).status_code == 404, path
    assert (
        candidate.get("/candidat/decouvertes/demander?metier=%C3%A9" + "x" * 99).status_code == 200
    )
    employer = sign_in(app.test_client(), world.employer_user)
    odd = post(
        employer,
        "/employeur/decouvertes/nouvelles",
        _day_form(world, site_id="abc", meeting_time="25:99", starts_on="demain"),
    )
    assert odd.status_code == 400 and "Heure attendue" in odd.text
    coordinator = sign_in(app.test_client(), world.coordinator)
    assert post(coordinator, "/coordination/decouvertes/42/approuver").status_code == 404
    assert coordinator.get("/coordination/decouvertes/?etape=%27").status_code == 200


def test_a_structure_sees_nobody_before_the_discovery_is_planned(
    app: Flask, world: World, session: Session
) -> None:
    employer = sign_in(app.test_client(), world.employer_user)
    post(employer, "/employeur/decouvertes/nouvelles", _day_form(world))
    candidate = sign_in(app.test_client(), world.candidate_user)
    post(candidate, "/candidat/decouvertes/demander", _wish_form())
    recompute_discovery(session, today=local_today())
    session.commit()
    day = session.scalars(select(DiscoveryDay)).one()
    page = employer.get(f"/employeur/decouvertes/{day.id}")
    person = world.candidate_user.candidate
    assert person.first_name not in page.text and person.email not in page.text
    match = session.scalars(select(DiscoveryMatch)).one()
    assert (
        employer.get(f"/employeur/decouvertes/venues/{match.id}/recapitulatif.pdf").status_code
        == 404
    )
    # The person reads that a proposal is under review, never which structure before it is
    # planned (as for the apprenticeship's pairs); a rejected one is never shown.
    listing = candidate.get("/candidat/decouvertes/")
    assert "1 proposition de découverte est en cours d'examen" in listing.text
    assert world.employer.name not in listing.text
    staff = sign_in(app.test_client(), world.coordinator)
    assert "1 découverte à examiner" in staff.get("/coordination/").text
    post(staff, f"/coordination/decouvertes/{match.id}/ecarter", {"reason": "Trop tôt"})
    assert "découverte à examiner" not in staff.get("/coordination/").text
    listing = candidate.get("/candidat/decouvertes/")
    assert "en cours d'examen" not in listing.text and "Trop tôt" not in listing.text
    assert "Aucune découverte prévue pour l'instant." in listing.text


def test_the_coordination_plans_a_discovery_by_hand_from_its_page(
    app: Flask, world: World, session: Session
) -> None:
    employer = sign_in(app.test_client(), world.employer_user)
    post(employer, "/employeur/decouvertes/nouvelles", _day_form(world))
    candidate = sign_in(app.test_client(), world.candidate_user)
    post(candidate, "/candidat/decouvertes/demander", _wish_form())
    day = session.scalars(select(DiscoveryDay)).one()
    wish = session.scalars(select(DiscoveryWish)).one()
    coordinator = sign_in(app.test_client(), world.coordinator)
    page = coordinator.get("/coordination/decouvertes/")
    assert "Prévoir une découverte à la main" in page.text
    refused = post(coordinator, "/coordination/decouvertes/a-la-main", {"wish_id": "x"})
    assert refused.status_code == 302
    done = post(
        coordinator,
        "/coordination/decouvertes/a-la-main",
        {"wish_id": str(wish.id), "day_id": str(day.id)},
        follow_redirects=True,
    )
    assert "Découverte prévue" in done.text
    again = post(
        coordinator,
        "/coordination/decouvertes/a-la-main",
        {"wish_id": str(wish.id), "day_id": str(day.id)},
        follow_redirects=True,
    )
    assert "existe déjà" in again.text
    assert session.scalars(select(DiscoveryMatch)).one().status == M.PLANNED
