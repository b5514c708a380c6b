"""« Se former » (issue 16): the public list and map of training centres, a centre's page; the
centre a candidate is enrolled in; the centres an employer works with and an offer's partner."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Flask
from sqlalchemy.orm import Session

from data.models import (
    CentreKind,
    Employer,
    Offer,
    Request,
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
    centre = TrainingCentre(name=name, kind=CentreKind.IFAS_IFSI, commune_insee=commune, **fields)
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


# --- Candidates: the centre they are enrolled in ----------------------------------------------


def _request_form(**extra: str) -> dict[str, str]:
    return {
        "metier_1": "aide-soignante",
        "commune": "Bourg-en-Bresse",
        "max_distance_km": "30",
    } | extra


def test_candidate_saves_the_centre_and_sees_it_on_the_dashboard(
    app: Flask, world: World, session: Session
) -> None:
    centre = make_centre(session, "IFAS du Revermont (test)")
    session.commit()
    client = sign_in(app.test_client(), world.candidate_user)
    form = client.get("/candidat/demande").text
    assert "Je suis déjà inscrit·e ou admis·e dans un centre de formation" in form
    assert f'value="{centre.id}"' in form

    assert (
        post(
            client, "/candidat/demande", _request_form(training_centre_id=str(centre.id))
        ).status_code
        == 302
    )
    session.expire_all()
    assert session.get(Request, world.request.id).training_centre_id == centre.id
    dashboard = client.get("/candidat/").text
    assert "IFAS du Revermont (test)" in dashboard
    assert f"/se-former/centres/{centre.id}" in dashboard

    # « Non, pas encore »: the centre is forgotten.
    assert (
        post(client, "/candidat/demande", _request_form(training_centre_id="")).status_code == 302
    )
    session.expire_all()
    assert session.get(Request, world.request.id).training_centre_id is None
    assert "Pas encore inscrit·e" in client.get("/candidat/").text


def test_candidate_unknown_centre_is_a_field_error(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.candidate_user)
    for bad in ("2147483647", "abc"):
        page = post(client, "/candidat/demande", _request_form(training_centre_id=bad))
        assert page.status_code == 400
        assert 'id="training_centre_id-erreur"' in page.text
    assert (
        "Centre de formation inconnu : choisissez-le dans la liste."
        in post(client, "/candidat/demande", _request_form(training_centre_id="2147483647")).text
    )
    session.expire_all()
    assert session.get(Request, world.request.id).training_centre_id is None


# --- Employers: their centres and an offer's partner centre -----------------------------------


def test_employer_chooses_its_centres_and_another_structure_is_untouched(
    app: Flask, world: World, session: Session
) -> None:
    a = make_centre(session, "Centre A (test)")
    b = make_centre(session, "Centre B (test)")
    session.commit()
    client = sign_in(app.test_client(), world.employer_user)
    assert "Centre A (test) – Bourg-en-Bresse" in client.get("/employeur/structure").text
    url = "/employeur/structure/centres-de-formation"
    assert post(client, url, {"centre_id": [str(a.id), str(b.id)]}).status_code == 302
    session.expire_all()
    mine = session.get(Employer, world.employer.id)
    assert [c.id for c in mine.training_centres] == [a.id, b.id]
    other = session.get(Employer, world.other_employer_user.employer_id)
    assert other.training_centres == []

    # An unknown centre changes nothing and says so under the list.
    page = post(client, url, {"centre_id": [str(a.id), "2147483647"]})
    assert page.status_code == 400
    assert "Centre de formation inconnu" in page.text
    session.expire_all()
    assert len(session.get(Employer, world.employer.id).training_centres) == 2

    assert post(client, url, {}).status_code == 302
    session.expire_all()
    assert session.get(Employer, world.employer.id).training_centres == []


def test_offer_form_sets_and_clears_a_partner_centre(
    app: Flask, world: World, session: Session
) -> None:
    centre = make_centre(session)
    session.commit()
    client = sign_in(app.test_client(), world.employer_user)
    url = f"/employeur/offres/{world.offer.id}/modifier"
    form = client.get(url).text
    assert "Centre de formation partenaire (facultatif)" in form
    fields = {
        "site_id": str(world.offer.site_id),
        "metier_code": "aide-soignant",
        "contract": "apprentissage",
        "places": "1",
        "start_date": world.offer.start_date.isoformat(),
        "duration_months": "18",
        "housing_beds": "0",
        "description": "Apprentissage en EHPAD, équipe de jour, tutrice aide-soignante.",
    }
    assert post(client, url, fields | {"partner_centre_id": str(centre.id)}).status_code == 302
    session.expire_all()
    assert session.get(Offer, world.offer.id).partner_centre_id == centre.id
    assert f'value="{centre.id}" selected' in client.get(url).text
    # Everyone reads it on the offer's public page, with a link to the centre.
    public = app.test_client().get(f"/offres/{world.offer.id}").text
    assert "Centre de formation partenaire" in public
    assert f'href="/se-former/centres/{centre.id}"' in public

    bad = post(client, url, fields | {"partner_centre_id": "2147483647"})
    assert bad.status_code == 400 and "Centre de formation inconnu" in bad.text
    session.expire_all()
    assert session.get(Offer, world.offer.id).partner_centre_id == centre.id

    assert post(client, url, fields | {"partner_centre_id": ""}).status_code == 302
    session.expire_all()
    assert session.get(Offer, world.offer.id).partner_centre_id is None


def test_new_offer_with_partner_centre_and_its_copy(
    app: Flask, world: World, session: Session
) -> None:
    from data import operations as ops

    centre = make_centre(session)
    offer = ops.create_offer(
        session,
        world.employer,
        site_id=world.offer.site_id,
        metier_code="aide-soignant",
        partner_centre_id=centre.id,
    )
    assert offer.partner_centre is centre
    assert ops.duplicate_offer(session, offer).partner_centre_id == centre.id
