"""« Se former » (issue 16): the public list and map of training centres, a centre's page; the
centre a candidate is enrolled in; the centres an employer works with and an offer's partner."""

from __future__ import annotations

from datetime import date, timedelta
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from data.models import (
    CentreKind,
    Employer,
    Offer,
    Request,
    Role,
    TrainingCentre,
    TrainingProgramme,
    TrainingSession,
)
from data.operations._common import local_today
from tests.data import factories as f
from tests.web.conftest import World, post, sign_in

AMBERIEU = "01004"  # Ambérieu-en-Bugey, about 25 km from Bourg-en-Bresse


def make_centre(
    session: Session,
    name: str = "Institut de formation (test)",
    *,
    commune: str = f.BOURG,
    metier: str = "aide-soignant",
    start_in_days: int = 60,
    opens_in_days: int | None = -10,
    deadline_in_days: int | None = 20,
    **fields: Any,
) -> TrainingCentre:
    """Create a centre with one programme of ``metier`` and one session, dates from today."""
    today = local_today()
    centre = TrainingCentre(
        name=name, kind=CentreKind.IFAS_IFSI, commune_insee=commune, **fields
    )
    programme = TrainingProgramme(metier_code=metier, rhythm="1 semaine en centre / 3 en structure")
    programme.sessions.append(
        TrainingSession(
            start_date=today + timedelta(days=start_in_days),
            applications_open_on=None
            if opens_in_days is None
            else today + timedelta(days=opens_in_days),
            application_deadline=None
            if deadline_in_days is None
            else today + timedelta(days=deadline_in_days),
            apprenticeship_places=12,
        )
    )
    centre.programmes.append(programme)
    session.add(centre)
    session.flush()
    return centre


# --- The public list, map and page ------------------------------------------------------------


def test_list_filters_by_metier_commune_distance_intake_and_open_applications(
    app: Flask, session: Session
) -> None:
    bourg = make_centre(session, "IFAS de Bourg (test)")
    far = make_centre(
        session,
        "École de travail social d'Oyonnax (test)",
        commune=f.OYONNAX,
        metier="accompagnant-educatif-social",
        start_in_days=300,
        opens_in_days=30,
        deadline_in_days=90,
    )
    session.commit()
    client = app.test_client()

    page = client.get("/se-former")
    assert page.status_code == 200
    assert bourg.name in page.text and far.name in page.text.replace("&#39;", "'")
    assert "<strong>2</strong> centres trouvés" in page.text

    aes = client.get("/se-former?metier=accompagnant-educatif-social").text
    assert bourg.name not in aes and "Oyonnax" in aes

    near = client.get("/se-former?commune=Bourg-en-Bresse&distance=20").text
    assert bourg.name in near and "Oyonnax (test)" not in near

    soon = client.get("/se-former?rentree=90").text
    assert bourg.name in soon and "Oyonnax (test)" not in soon

    # Applications open at Bourg (opened ten days ago, deadline in twenty), not yet at Oyonnax.
    opened = client.get("/se-former?ouvertes=1").text
    assert bourg.name in opened and "Oyonnax (test)" not in opened
    assert "Inscriptions ouvertes" in opened


def test_bad_filters_answer_french_messages(app: Flask, session: Session) -> None:
    make_centre(session)
    session.commit()
    page = app.test_client().get("/se-former?metier=astronaute&distance=20&rentree=7")
    assert page.status_code == 200
    assert "Métier inconnu." in page.text
    assert "Indiquez une commune pour filtrer par distance." in page.text
    assert "choisissez une valeur de la liste" in page.text
    assert "Aucun centre de formation ne correspond" in page.text


def test_geojson_has_the_listed_centres_with_their_popup(app: Flask, session: Session) -> None:
    centre = make_centre(session)
    make_centre(session, "Autre (test)", metier="accompagnant-educatif-social")
    session.commit()
    body = app.test_client().get("/se-former/centres.geojson?metier=aide-soignant").get_json()
    assert [feat["properties"]["id"] for feat in body["features"]] == [centre.id]
    props = body["features"][0]["properties"]
    assert props["url"] == f"/se-former/centres/{centre.id}"
    assert props["lines"][0] == "Bourg-en-Bresse"
    assert props["lines"][1].startswith("Prochaine rentrée : ")


def test_centre_page_shows_programmes_sessions_and_offers_within_reach(
    app: Flask, session: Session
) -> None:
    centre = make_centre(session, website="https://ifas.example.fr")
    near_offer = f.make_offer(session)  # aide-soignant in Bourg
    far_site = f.make_site(session, commune_insee=f.OYONNAX)
    far_offer = f.make_offer(session, far_site)  # about 40 km away
    other_metier = f.make_offer(session, metier_code="accompagnant-educatif-social")
    session.commit()
    intake = centre.programmes[0].sessions[0]
    page = app.test_client().get(f"/se-former/centres/{centre.id}")
    assert page.status_code == 200
    text = page.text
    assert "Aide-soignant" in text and "1 semaine en centre / 3 en structure" in text
    months = ("janvier", "février", "mars", "avril", "mai", "juin", "juillet", "août")
    months += ("septembre", "octobre", "novembre", "décembre")
    start = f"{intake.start_date.day} {months[intake.start_date.month - 1]} "
    assert start in text.replace("1er ", "1 ")
    assert "Inscriptions ouvertes" in text
    assert f"/offres/{near_offer.id}" in text
    assert f"/offres/{far_offer.id}" not in text
    assert f"/offres/{other_metier.id}" not in text


def test_unknown_centre_is_404_and_past_sessions_are_not_shown(
    app: Flask, session: Session
) -> None:
    centre = make_centre(session, start_in_days=-30, opens_in_days=None, deadline_in_days=None)
    session.commit()
    client = app.test_client()
    assert client.get("/se-former/centres/2147483647").status_code == 404
    page = client.get(f"/se-former/centres/{centre.id}").text
    assert "Aucune session à venir" in page
    listed = client.get("/se-former").text
    assert "Aucune rentrée annoncée" in listed


def test_header_links_to_se_former(app: Flask) -> None:
    page = app.test_client().get("/").text
    assert 'href="/se-former"' in page and "Se former" in page
