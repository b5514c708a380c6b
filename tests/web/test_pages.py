"""The pages of each space used as people use them: forms, French messages, nothing lost."""

from __future__ import annotations

import html
import io
import re
from datetime import timedelta
from pathlib import Path

from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import mail, queries
from data.models import (
    HousingSource,
    Offer,
    OfferStatus,
    RequestStatus,
    Role,
    Suggestion,
    SuggestionStatus,
    User,
)
from data.operations._common import local_today
from tests.data import factories as f
from tests.web.conftest import World, deliver_mails, post, sign_in

# --- Public pages ---------------------------------------------------------------------------


def test_offer_list_filters_by_metier_distance_and_housing(
    app: Flask, session: Session, world: World
) -> None:
    client = app.test_client()
    page = client.get("/offres").text
    assert f"/offres/{world.offer.id}" in page and f"/offres/{world.other_offer.id}" in page
    assert f"/offres/{world.draft.id}" not in page

    page = client.get("/offres?metier=aide-soignant").text
    assert f"/offres/{world.offer.id}" in page and f"/offres/{world.other_offer.id}" not in page

    # Oyonnax is about 40 km from Bourg-en-Bresse.
    near = client.get("/offres?commune=Bourg-en-Bresse+(01053)&distance=20").text
    assert f"/offres/{world.offer.id}" in near and f"/offres/{world.other_offer.id}" not in near
    assert client.get("/offres?logement=1").text.count('class="card"') == 0
    housed = f.make_offer(session, f.make_site(session, beds=1), housing_beds=1)
    session.commit()
    page = client.get("/offres?logement=1").text
    assert f"/offres/{housed.id}" in page and f"/offres/{world.offer.id}" not in page


def _ids_on(page: str) -> set[int]:
    return {int(i) for i in re.findall(r'<h2><a href="/offres/(\d+)">', page)}


def _next_page(page: str) -> str:
    return html.unescape(re.search(r'<a href="([^"]+)" rel="next">', page).group(1))


def test_offer_list_is_paginated_keeping_the_filters(
    connection, engine, tmp_path, world: World, session: Session
) -> None:
    from tests.web.conftest import make_app

    extra = [f.make_offer(session).id for _ in range(2)]  # in Bourg-en-Bresse, aide-soignant
    session.commit()
    client = make_app(connection, engine, tmp_path, PAGE_SIZE=2).test_client()
    published = {world.offer.id, world.other_offer.id, *extra}

    first = client.get("/offres").text
    assert "<strong>4</strong> offres trouvées" in first and "Page 1 sur 2 (4 en tout)" in first
    second = client.get(_next_page(first)).text
    assert len(_ids_on(first)) == len(_ids_on(second)) == 2
    assert _ids_on(first) | _ids_on(second) == published
    assert "Page précédente" in second
    assert _ids_on(client.get("/offres?page=999").text) == _ids_on(second)
    assert _ids_on(client.get("/offres?page=-1").text) == _ids_on(first)

    # A métier filter: three aide-soignant offers, the pager's link keeps the filter.
    first = client.get("/offres?metier=aide-soignant").text
    assert "Page 1 sur 2 (3 en tout)" in first
    second = client.get(_next_page(first)).text
    assert "metier=aide-soignant" in _next_page(first)
    assert _ids_on(first) | _ids_on(second) == published - {world.other_offer.id}

    # Near a commune: nearest first, so the offer in Oyonnax (about 40 km) comes last.
    near = "/offres?commune=Bourg-en-Bresse+(01053)&distance=50"
    first = client.get(near).text
    assert "Page 1 sur 2 (4 en tout)" in first and world.other_offer.id not in _ids_on(first)
    second = client.get(_next_page(first)).text
    assert world.other_offer.id in _ids_on(second)
    assert "distance=50" in _next_page(first)


def test_offer_filters_explain_bad_input_in_french(app: Flask) -> None:
    page = app.test_client().get("/offres?commune=Zzzyx&distance=abc&metier=nope")
    assert page.status_code == 200
    assert "Commune introuvable" in page.text and "Distance invalide" in page.text
    assert "Métier inconnu" in page.text and 'value="Zzzyx"' in page.text


def test_map_data_is_geojson_of_published_offers(app: Flask, world: World) -> None:
    client = app.test_client()
    data = client.get("/offres/carte.geojson").get_json()
    ids = {feat["properties"]["id"] for feat in data["features"]}
    assert ids == {world.offer.id, world.other_offer.id}
    outlines = client.get("/carte/communes-ain.geojson")
    assert outlines.mimetype == "application/geo+json"
    assert len(outlines.get_json()["features"]) > 300  # the Ain has about 390 communes
    map_page = client.get("/offres/carte").text
    assert "vendor/leaflet/leaflet.js" in map_page and "data-tiles" not in map_page


def test_commune_search_suggests_the_ain_first(app: Flask) -> None:
    found = app.test_client().get("/communes?q=bourg-en").get_json()
    assert found[0]["label"] == "Bourg-en-Bresse (01000)"
    by_postcode = app.test_client().get("/communes?q=01100").get_json()
    assert any(c["label"].startswith("Oyonnax") for c in by_postcode)


def test_unsubscribe_asks_first_then_works_without_session(app: Flask, session: Session) -> None:
    token = mail.unsubscribe_token_for(session, "lea@example.org")
    session.commit()
    client = app.test_client()
    page = client.get(f"/desabonnement/{token}")
    assert page.status_code == 200 and "Confirmer le désabonnement" in page.text
    assert not mail.is_opted_out(session, "lea@example.org")
    done = client.post(f"/desabonnement/{token}")  # no cookie, no CSRF token: RFC 8058
    assert done.status_code == 200 and "C'est fait" in done.text
    assert mail.is_opted_out(session, "lea@example.org")


# --- Employer space -------------------------------------------------------------------------


def test_employer_adds_a_site_with_housing(app: Flask, world: World, session: Session) -> None:
    client = sign_in(app.test_client(), world.employer_user)
    bad = post(
        client,
        "/employeur/lieux/nouveau",
        {"name": "Foyer du Lac", "commune": "Nullepart", "beds_esms_room": "-1"},
    )
    assert bad.status_code == 400
    assert "Commune introuvable" in bad.text and 'value="Foyer du Lac"' in bad.text
    ok = post(
        client,
        "/employeur/lieux/nouveau",
        {"name": "Foyer du Lac", "commune": "Nantua (01269)", "beds_fjt": "2", "cost_fjt": "300"},
    )
    assert ok.status_code == 302
    session.expire_all()
    site = next(s for s in world.employer.sites if s.name == "Foyer du Lac")
    assert site.commune_insee == "01269" and site.housing_beds == 2


def test_employer_offer_form_keeps_input_and_explains_errors(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.employer_user)
    form = {
        "site_id": str(world.offer.site_id),
        "metier_code": "",
        "contract": "apprentissage",
        "places": "0",
        "description": "Une description que la personne a tapée.",
        "tutor_name": "Marc Petit",
        "night_work": "1",
    }
    response = post(client, "/employeur/offres/nouvelle", form)
    assert response.status_code == 400
    text = response.text
    assert "Ce champ est obligatoire." in text  # métier
    assert "La valeur doit être comprise entre 1 et 50." in text  # places
    assert "Une description que la personne a tapée." in text and 'value="Marc Petit"' in text
    assert 'id="night_work" name="night_work" type="checkbox" value="1" checked' in text

    form.update(metier_code="aide-soignant", places="2", duration_months="24")
    form["start_date"] = (local_today() + timedelta(days=30)).isoformat()
    created = post(client, "/employeur/offres/nouvelle", form)
    assert created.status_code == 302
    offer = session.scalars(select(Offer).order_by(Offer.id.desc())).first()
    assert offer is not None and offer.status == OfferStatus.DRAFT and offer.night_work
    assert post(client, f"/employeur/offres/{offer.id}/publier").status_code == 302
    session.expire_all()
    assert offer.status == OfferStatus.PUBLISHED
    assert app.test_client().get(f"/offres/{offer.id}").status_code == 200
    copy = post(client, f"/employeur/offres/{offer.id}/dupliquer")
    assert copy.status_code == 302 and copy.headers["Location"].endswith("/modifier")
    assert post(client, f"/employeur/offres/{offer.id}/fermer").status_code == 302
    session.expire_all()
    assert offer.status == OfferStatus.CLOSED


def _site_choice(page: str) -> tuple[list[str], list[str]]:
    """The site options of the offer form, and the ones selected."""
    found = re.search(r'<select id="site_id".*?</select>', page, re.DOTALL)
    assert found is not None
    options = re.findall(r'<option value="(\d*)"', found.group(0))
    return options, re.findall(r'<option value="(\d*)" selected>', found.group(0))


def test_new_offer_form_chooses_the_site_only_when_there_is_one(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.employer_user)
    [only] = world.employer.sites
    options, selected = _site_choice(client.get("/employeur/offres/nouvelle").text)
    assert options == ["", str(only.id)] and selected == [str(only.id)]
    annex = f.make_site(session, world.employer, name="Annexe du Parc")
    session.commit()
    options, selected = _site_choice(client.get("/employeur/offres/nouvelle").text)
    assert sorted(options) == sorted(["", str(only.id), str(annex.id)]) and selected == []


def test_csv_import_reports_each_rejected_line(app: Flask, world: World, session: Session) -> None:
    site = world.offer.site
    csv_text = (
        "lieu;metier;places;date_debut;permis_exige;description\n"
        f"{site.name};Aide-soignant;2;;non;Poste de jour en EHPAD.\n"
        "Site inconnu;aide-soignant;1;;non;\n"
        f"{site.name};plombier;1;;non;\n"
        f"{site.name};aide-soignant;0;;non;\n"
        f"{site.name};aide-soignant;1;;peut-être;\n"
    )
    client = sign_in(app.test_client(), world.employer_user)
    before = len(session.scalars(select(Offer)).all())
    response = post(
        client,
        "/employeur/offres/import",
        {"file": (io.BytesIO(csv_text.encode("cp1252")), "offres.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 200
    text = response.text
    # The counts agree with their words (data.presentation.agree), no lazy « (s) ».
    assert "<strong>1</strong> offre créée comme brouillon," in text
    assert "<strong>4</strong> lignes refusées" in text
    assert "aucun de vos lieux d&#39;accueil ne s&#39;appelle « Site inconnu »" in text
    assert "Permis exigé : « oui » ou « non » attendu." in text
    assert "Métier : Métier inconnu du référentiel." in text
    assert "Nombre de places : La valeur doit être comprise entre 1 et 50." in text
    assert len(session.scalars(select(Offer)).all()) == before + 1


def test_csv_import_without_required_columns_is_refused(app: Flask, world: World) -> None:
    client = sign_in(app.test_client(), world.employer_user)
    response = post(
        client,
        "/employeur/offres/import",
        {"file": (io.BytesIO(b"nom,ville\nx,y\n"), "offres.csv")},
        content_type="multipart/form-data",
    )
    assert response.status_code == 400
    assert "Colonnes manquantes : « Lieu d&#39;accueil », « Métier »" in response.text


def test_csv_import_offers_its_template_named_as_the_form(app: Flask, world: World) -> None:
    client = sign_in(app.test_client(), world.employer_user)
    page = client.get("/employeur/offres/import").text
    assert 'href="/employeur/offres/import/modele.csv"' in page
    assert "JJ/MM/AAAA" in page
    template = client.get("/employeur/offres/import/modele.csv")
    assert template.status_code == 200 and template.mimetype == "text/csv"
    assert "attachment" in template.headers["Content-Disposition"]
    header = template.data.decode("utf-8-sig").splitlines()
    assert header == [
        "Lieu d'accueil;Métier;Diplôme;Contrat;Nombre de places;Date de début;"
        + header[0].split(";Date de début;")[1]
    ]
    # The header read back with two lines in everyday words and French dates.
    site = world.offer.site
    body = (
        template.data.decode("utf-8-sig")
        + f"{site.name};Aide soignante;;;;01/09/2027\n{site.name};AES;;;2;2027-09-15\n"
    )
    response = post(
        client,
        "/employeur/offres/import",
        {"file": (io.BytesIO(body.encode()), "offres.csv")},
        content_type="multipart/form-data",
    )
    assert "<strong>2</strong> offres créées comme brouillons" in response.text
    assert "<strong>0</strong> ligne" in response.text  # nothing refused
    # Only employers download it.
    assert sign_in(app.test_client(), world.candidate_user).get(
        "/employeur/offres/import/modele.csv"
    ).status_code in (302, 403)


def test_employer_declines_with_a_reason(app: Flask, world: World, session: Session) -> None:
    client = sign_in(app.test_client(), world.employer_user)
    url = f"/employeur/suggestions/{world.suggestion.id}/reponse"
    missing = post(client, url, {"interested": "0", "reason": ""})
    assert missing.status_code == 400 and "Indiquez la raison." in missing.text
    assert post(client, url, {"interested": "0", "reason": "Horaires"}).status_code == 302
    session.expire_all()
    assert world.suggestion.employer_reason == "Horaires"


# --- Candidate space ------------------------------------------------------------------------


def _new_candidate(app: Flask, session: Session) -> tuple[User, FlaskClient]:
    """A candidate without a request, signed in."""
    user = f.make_user(session, Role.CANDIDATE)
    session.commit()
    return user, sign_in(app.test_client(), user)


def test_candidate_creates_a_request_in_free_words(app: Flask, session: Session) -> None:
    user, client = _new_candidate(app, session)
    form = {
        "metier_1": "aide soignante",
        "metier_2": "plombier",
        "commune": "Mars-sur-la-Lune",
        "max_distance_km": "25",
        "needs_housing": "1",
    }
    bad = post(client, "/candidat/demande", form)
    assert bad.status_code == 400
    assert "Commune introuvable" in bad.text
    assert 'value="aide soignante"' in bad.text and 'value="plombier"' in bad.text
    form["commune"] = "Bourg-en-Bresse (01053)"
    # Issue 14: a text that resolves to nothing is refused, and kept only once confirmed.
    refused = post(client, "/candidat/demande", form)
    assert refused.status_code == 400
    assert "« plombier » ne correspond à aucun métier connu." in refused.text
    assert 'name="keep_metier_2"' in refused.text and 'name="keep_metier_1"' not in refused.text
    form["keep_metier_2"] = "1"
    ok = post(client, "/candidat/demande", form, follow_redirects=True)
    assert ok.status_code == 200
    assert "Votre demande est enregistrée." in ok.text
    assert "« plombier » est gardé tel quel" in ok.text
    req = user.candidate.request
    session.refresh(user.candidate)
    req = user.candidate.request
    assert req is not None and req.needs_housing and req.max_distance_km == 25
    assert req.metier_codes == ["aide-soignant"]
    # Told once, when typed: saving the request again does not repeat it.
    form["max_distance_km"] = "30"
    again = post(client, "/candidat/demande", form, follow_redirects=True)
    assert "Votre demande est enregistrée." in again.text
    assert "gardé tel quel" not in again.text


def test_a_note_on_an_ambiguous_metier_is_told_when_typed_not_at_each_save(
    app: Flask, session: Session
) -> None:
    user, client = _new_candidate(app, session)
    form = {
        "metier_1": "auxiliaire de vie",
        "commune": "Bourg-en-Bresse (01053)",
        "max_distance_km": "25",
    }
    note = "désigne le plus souvent l&#39;assistant de vie aux familles"
    first = post(client, "/candidat/demande", form, follow_redirects=True)
    assert "Votre demande est enregistrée." in first.text and note in first.text
    form["max_distance_km"] = "30"
    again = post(client, "/candidat/demande", form, follow_redirects=True)
    assert "Votre demande est enregistrée." in again.text and note not in again.text


def test_candidate_form_suggests_metiers_for_what_it_does_not_know(
    app: Flask, session: Session
) -> None:
    user, client = _new_candidate(app, session)
    form = {
        "metier_1": "AEPE",
        "metier_2": "zzzz",
        "metier_3": "infirmière puéricultrice",
        "commune": "Bourg-en-Bresse (01053)",
        "max_distance_km": "30",
    }
    refused = post(client, "/candidat/demande", form)
    assert refused.status_code == 400
    text = refused.text
    assert "« zzzz » ne correspond à aucun métier connu." in text
    assert "Vouliez-vous dire : « Infirmier » ou « Auxiliaire de puériculture » ?" in text
    assert 'name="keep_metier_2"' in text and 'name="keep_metier_3"' in text
    session.expire_all()
    assert user.candidate.request is None  # junk is no longer saved as a métier
    form.update(metier_3="infirmier", keep_metier_2="1")
    assert post(client, "/candidat/demande", form).status_code == 302
    session.expire_all()
    req = user.candidate.request
    assert [(m.text, m.metier_code) for m in req.metiers] == [
        ("AEPE", "accompagnant-educatif-petite-enfance"),
        ("zzzz", None),
        ("infirmier", "infirmier"),
    ]
    # Saving the request again does not ask twice about a text already kept.
    again = {k: v for k, v in form.items() if k != "keep_metier_2"} | {"max_distance_km": "40"}
    assert post(client, "/candidat/demande", again).status_code == 302


def test_candidate_without_suggestions_is_offered_to_widen(app: Flask, session: Session) -> None:
    cand_user = f.make_user(session, Role.CANDIDATE)
    f.make_request(session, cand_user.candidate, commune_insee=f.OYONNAX, max_distance_km=5)
    f.make_offer(session)  # in Bourg-en-Bresse, about 40 km away
    session.commit()
    client = sign_in(app.test_client(), cand_user)
    page = client.get("/candidat/").text
    assert "L'offre la plus proche pour vos métiers est à" in page
    assert "Élargir ma recherche à" in page
    km = int(page.split("Élargir ma recherche à ")[1].split(" km")[0])
    assert 30 < km < 60
    assert post(client, "/candidat/demande/elargir", {"km": str(km)}).status_code == 302
    session.expire_all()
    assert cand_user.candidate.request.max_distance_km == km


def test_candidate_answers_pauses_and_sets_notifications(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.candidate_user)
    url = f"/candidat/suggestions/{world.suggestion.id}/reponse"
    assert post(client, url, {"interested": "1"}).status_code == 302
    assert post(client, "/candidat/demande/pause").status_code == 302
    bad = post(client, "/candidat/notifications", {"notify_frequency": "hourly"})
    assert bad.status_code == 400 and "Valeur non reconnue" in bad.text
    assert (
        post(client, "/candidat/notifications", {"notify_frequency": "weekly"}).status_code == 302
    )
    session.expire_all()
    assert world.suggestion.candidate_interest.value == "interested"
    assert world.request.status.value == "paused"
    assert world.request.candidate.notify_frequency.value == "weekly"
    assert world.candidate_user.library_news_since is None
    # The mallette's news, asked for, then stopped.
    page = client.get("/candidat/notifications").text
    assert 'name="library_news"' in page and "nouveautés de la mallette" in page
    wanted = {"notify_frequency": "weekly", "library_news": "1"}
    assert post(client, "/candidat/notifications", wanted).status_code == 302
    session.expire_all()
    assert world.candidate_user.library_news_since is not None
    assert 'id="library_news" name="library_news" type="checkbox" value="1" checked' in (
        client.get("/candidat/notifications").text
    )
    post(client, "/candidat/notifications", {"notify_frequency": "weekly"})
    session.expire_all()
    assert world.candidate_user.library_news_since is None


def test_candidate_downloads_then_deletes_their_data(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.candidate_user)
    export = client.get("/candidat/donnees/export.json")
    assert export.headers["Content-Disposition"].startswith("attachment")
    assert export.get_json()["candidat"]["email"] == world.request.candidate.email
    refused = post(client, "/candidat/supprimer", {"confirm": "oui"})
    assert refused.status_code == 400 and "Tapez SUPPRIMER" in refused.text
    candidate_id = world.request.candidate_id
    assert post(client, "/candidat/supprimer", {"confirm": "SUPPRIMER"}).status_code == 302
    session.expire_all()
    from data.models import Candidate

    # Nothing of the person is left; the anonymous record stays for the statistics.
    gone = session.get(Candidate, candidate_id)
    assert gone is not None and gone.anonymised_at is not None
    assert (gone.first_name, gone.email, gone.phone) == ("Anonyme", None, None)
    assert client.get("/candidat/").status_code == 302


# --- Coordination ---------------------------------------------------------------------------


def test_coordinator_reviews_the_queue_and_approves(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.coordinator)
    queue = client.get("/coordination/suggestions?score=50").text
    assert f'id="suggestion-{world.proposed.id}"' in queue and "90 %" in queue
    assert f'id="suggestion-{world.suggestion.id}"' not in queue  # already approved
    assert (
        f'id="suggestion-{world.proposed.id}"'
        not in client.get("/coordination/suggestions?score=95").text
    )
    response = post(
        client,
        f"/coordination/suggestions/{world.proposed.id}/approuver",
        {"back": "/coordination/suggestions?score=50"},
    )
    assert response.headers["Location"] == "/coordination/suggestions?score=50"
    session.expire_all()
    assert world.proposed.status == SuggestionStatus.APPROVED
    assert world.proposed.status_changed_by_id == world.coordinator.id
    # The other employer now sees the candidate's contact details.
    page = sign_in(app.test_client(), world.other_employer_user).get(
        f"/employeur/offres/{world.other_offer.id}"
    )
    assert world.request.candidate.email in page.text


def test_coordinator_rejects_with_a_reason_and_follows_the_pair(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.coordinator)
    no_reason = post(client, f"/coordination/suggestions/{world.proposed.id}/rejeter", {})
    assert no_reason.status_code == 400 and "Indiquez la raison." in no_reason.text
    ok = post(
        client, f"/coordination/suggestions/{world.proposed.id}/rejeter", {"reason": "Trop loin"}
    )
    assert ok.status_code == 302
    step = post(client, f"/coordination/suggestions/{world.suggestion.id}/etape/contacte")
    assert step.status_code == 302
    page = client.get(f"/coordination/suggestions/{world.suggestion.id}").text
    assert "Changement d&#39;étape : Mise en relation faite → Contact pris" in page
    session.expire_all()
    assert world.proposed.rejection_reason == "Trop loin"
    assert world.suggestion.status == SuggestionStatus.CONTACTED
    pairs = client.get("/coordination/binomes?statut=contacted").text
    assert f"/coordination/suggestions/{world.suggestion.id}" in pairs


def test_coordinator_pairs_by_hand(app: Flask, world: World, session: Session) -> None:
    other = f.make_request(session, commune_insee=f.OYONNAX)
    session.commit()
    client = sign_in(app.test_client(), world.coordinator)
    bad = post(client, "/coordination/suggestions/nouvelle", {"request_id": "", "offer_id": ""})
    assert bad.status_code == 400 and "Choisissez une demande." in bad.text
    ok = post(
        client,
        "/coordination/suggestions/nouvelle",
        {"request_id": str(other.id), "offer_id": str(world.offer.id), "note": "Vue au forum"},
    )
    assert ok.status_code == 302
    pair = session.scalar(select(Suggestion).where(Suggestion.request_id == other.id))
    assert pair is not None and pair.status == SuggestionStatus.APPROVED


def test_dashboard_counts(app: Flask, world: World) -> None:
    page = sign_in(app.test_client(), world.coordinator).get("/coordination/").text
    assert "1 suggestion à examiner" in page
    assert "Aide-soignant" in page and "Bourg-en-Bresse" in page


def test_dashboard_counts_the_plan_s_priority_metiers_alone_when_asked(
    app: Flask, world: World, session: Session
) -> None:
    """An offer, a request and a pair of a métier outside the eight: counted with every métier,
    left out of the priority figures; the priority métiers are marked in the full tables."""
    nursery = f.make_offer(session, metier_code="auxiliaire-de-puericulture")
    nursery.site.commune_insee = f.OYONNAX
    other = f.make_request(session, metiers=["auxiliaire de puériculture"], commune_insee=f.OYONNAX)
    f.make_suggestion(session, other, nursery, status=SuggestionStatus.APPROVED)
    session.commit()
    every = queries.dashboard(session)
    plan = queries.dashboard(session, priority_only=True)
    assert ("Auxiliaire de puériculture", False, 1) in every.offers_by_metier
    assert ("Auxiliaire de puériculture", False, 1) in every.requests_by_metier
    assert all(is_priority for _, is_priority, _ in plan.offers_by_metier + plan.requests_by_metier)
    assert [n for _, _, n in plan.offers_by_metier] and sum(
        n for _, _, n in every.offers_by_metier
    ) == sum(n for _, _, n in plan.offers_by_metier) + 1
    approved = SuggestionStatus.APPROVED
    assert dict(every.pairs_by_status)[approved] == dict(plan.pairs_by_status)[approved] + 1
    assert dict(every.requests_by_commune)["Oyonnax"] == 1
    assert "Oyonnax" not in dict(plan.requests_by_commune)
    assert plan.to_review == every.to_review == 1  # the proposed pair is of a priority métier

    client = sign_in(app.test_client(), world.coordinator)
    full = html.unescape(client.get("/coordination/").text)
    assert "Auxiliaire de puériculture" in full
    assert "<tr><td>Aide-soignant</td><td>Oui</td>" in full
    assert "<tr><td>Auxiliaire de puériculture</td><td>Non</td>" in full
    shown = html.unescape(client.get("/coordination/?metiers=prioritaires").text)
    assert "Auxiliaire de puériculture" not in shown and "Aide-soignant" in shown
    assert "Prioritaire du plan" not in shown  # a column of « Oui » only would say nothing
    assert (
        "huit métiers prioritaires du plan" in shown
        and "/coordination/suggestions?metier=prioritaires" in shown
    )


# --- Administration -------------------------------------------------------------------------


def test_admin_reads_local_mails_and_sets_the_review_rule(
    app: Flask, world: World, session: Session, mail_dir: Path
) -> None:
    anonymous = sign_in(app.test_client(), None)
    post(anonymous, "/connexion", {"email": world.candidate_user.email})
    deliver_mails(app)
    admin = sign_in(app.test_client(), world.admin)
    page = admin.get("/admin/courriels").text
    assert "Votre lien de connexion à Passerelle" in page
    name = mail.list_local_mails(mail_dir)[0].name
    assert "équipe Passerelle" in admin.get(f"/admin/courriels/{name}").text
    assert admin.get("/admin/courriels/..%2F..%2Fetc%2Fpasswd").status_code == 404

    bad = post(admin, "/admin/regle-de-revue", {"mode": "auto", "min_score": "150"})
    assert bad.status_code == 400 and "entre 0 et 100" in bad.text
    assert (
        post(admin, "/admin/regle-de-revue", {"mode": "auto", "min_score": "70"}).status_code == 302
    )
    from data.platform_settings import get_review_rule

    assert get_review_rule(session).mode == "auto"


def test_coordinators_see_job_runs_and_dead_mails_and_requeue_them(
    app: Flask, world: World, session: Session
) -> None:
    from data import jobruns
    from data.models.mail import OutboxMessage, OutboxStatus

    run = jobruns.start_run(session, "digests_daily")
    jobruns.finish_run(session, run, counts={"created": 6, "queued": 12})
    failed = jobruns.start_run(session, "rematch_full")
    jobruns.finish_run(session, failed, error="base indisponible")
    row_id = mail.enqueue(
        session,
        to="perdu@example.org",
        kind="digest",
        key="k1",
        subject="Vos suggestions",
        text="t",
    )
    assert row_id is not None
    dead = session.get(OutboxMessage, row_id)
    assert dead is not None
    dead.status, dead.attempts, dead.last_error = OutboxStatus.DEAD, 8, "550 boîte inconnue"
    session.commit()

    coordinator = sign_in(app.test_client(), world.coordinator)
    page = coordinator.get("/coordination/taches")
    assert page.status_code == 200
    for text in (
        "Suggestions : récapitulatif quotidien",
        "Suggestions : recalcul complet de la nuit",
        "suggestions créées : 6, queued : 12",  # a count without a French name: as recorded
        "Réussie",
        "En échec",
        "base indisponible",
        "perdu@example.org",
        "550 boîte inconnue",
        "En échec définitif : 1",
    ):
        assert text in page.text, text
    employer = sign_in(app.test_client(), world.employer_user)
    assert post(employer, f"/coordination/courriels/{row_id}/renvoyer").status_code == 403
    session.expire_all()
    assert session.get(OutboxMessage, row_id).status == OutboxStatus.DEAD  # type: ignore[union-attr]

    done = post(coordinator, f"/coordination/courriels/{row_id}/renvoyer")
    assert done.status_code == 302 and done.headers["Location"].endswith("/coordination/taches")
    session.expire_all()
    again = session.get(OutboxMessage, row_id)
    assert again is not None and again.status == OutboxStatus.PENDING and again.attempts == 0
    # A mail that is not dead (any more) cannot be requeued: 404, nothing changes.
    assert post(coordinator, f"/coordination/courriels/{row_id}/renvoyer").status_code == 404
    assert "Aucun." in coordinator.get("/coordination/taches").text


def test_admin_deactivates_a_coordinator(app: Flask, world: World, session: Session) -> None:
    coordinator = sign_in(app.test_client(), world.coordinator)
    admin = sign_in(app.test_client(), world.admin)
    url = f"/admin/comptes/{world.coordinator.id}/desactiver"
    assert post(admin, url).status_code == 302
    assert coordinator.get("/coordination/").status_code == 302
    assert post(admin, f"/admin/comptes/{world.admin.id}/desactiver").status_code == 302
    session.expire_all()
    assert world.admin.is_active  # an admin cannot lock themself out


def test_still_looking_link_asks_then_answers_without_session(
    app: Flask, world: World, session: Session
) -> None:
    from data.mail import actions

    token = actions.still_looking_token(session, world.request.id)
    session.commit()
    client = app.test_client()
    page = client.get(f"/toujours-en-recherche/{token}")
    assert page.status_code == 200 and "Oui, je cherche toujours" in page.text
    session.expire_all()
    assert world.request.status.value == "active"
    answered = client.post(f"/toujours-en-recherche/{token}", data={"answer": "non"})
    assert answered.status_code == 200 and "votre demande est close" in answered.text
    session.expire_all()
    assert world.request.status.value == "closed"
    unknown = client.post("/toujours-en-recherche/nope", data={"answer": "oui"})
    assert unknown.status_code == 404 and "n'est plus valable" in unknown.text


def test_employer_chooses_notification_frequency(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.employer_user)
    assert 'value="daily" checked' in client.get("/employeur/notifications").text
    bad = post(client, "/employeur/notifications", {"notify_frequency": "hourly"})
    assert bad.status_code == 400 and "Choisissez : immédiatement" in bad.text
    assert (
        post(client, "/employeur/notifications", {"notify_frequency": "never"}).status_code == 302
    )
    assert mail.get_notify_frequency(session, world.employer_user.id).value == "never"
    assert world.employer_user.library_news_since is None
    wanted = {"notify_frequency": "daily", "library_news": "on"}
    assert post(client, "/employeur/notifications", wanted).status_code == 302
    session.expire_all()
    assert world.employer_user.library_news_since is not None


def test_coordination_lists_are_paginated(
    connection, engine, tmp_path, world: World, session: Session
) -> None:
    from tests.web.conftest import make_app

    f.make_employer(session, name="Zzz dernière structure")
    session.commit()
    app = make_app(connection, engine, tmp_path, PAGE_SIZE=2)
    client = sign_in(app.test_client(), world.coordinator)
    first = client.get("/coordination/employeurs").text
    assert "Page 1 sur 2 (3 en tout)" in first and "Page suivante" in first
    second = client.get("/coordination/employeurs?page=2").text
    assert "Zzz dernière structure" in second and "Zzz dernière structure" not in first
    assert "Page précédente" in second
    assert "Page 1 sur 2" in client.get("/coordination/employeurs?page=abc").text
    assert "Page 2 sur 2" in client.get("/coordination/offres?page=999").text


def test_review_queue_is_paginated_and_drops_pairs_of_a_request_no_longer_active(
    connection, engine, tmp_path, world: World, session: Session
) -> None:
    from tests.web.conftest import make_app

    extra = [
        f.make_suggestion(session, score=0.6 + i / 100, offer=world.other_offer) for i in range(3)
    ]
    session.commit()
    app = make_app(connection, engine, tmp_path, PAGE_SIZE=2)
    client = sign_in(app.test_client(), world.coordinator)
    first = client.get("/coordination/suggestions?score=50").text
    assert "4 suggestions à examiner." in first and "Page 1 sur 2" in first
    second = client.get(_next_page(first)).text
    assert "score=50" in _next_page(first)  # the filters survive the page change
    on_pages = set(re.findall(r'id="suggestion-(\d+)"', first + second))
    assert on_pages == {str(s.id) for s in [world.proposed, *extra]}

    # A request that has found its place elsewhere leaves the queue at once.
    extra[0].request.status = RequestStatus.MATCHED
    session.commit()
    queue = client.get("/coordination/suggestions?score=50&page=1").text
    assert "3 suggestions à examiner." in queue
    assert f'id="suggestion-{extra[0].id}"' not in queue
    assert "3 suggestions à examiner" in client.get("/coordination/").text


def test_recompute_button_runs_the_engine(app: Flask, world: World, session: Session) -> None:
    newcomer = f.make_request(session, metiers=["aide-soignante"], commune_insee=f.BOURG)
    session.commit()
    client = sign_in(app.test_client(), world.coordinator)
    response = post(client, "/coordination/recalculer", follow_redirects=True)
    assert response.status_code == 200
    assert "Suggestions recalculées" in response.text and "nouvelle" in response.text
    pair = session.scalar(
        select(Suggestion).where(
            Suggestion.request_id == newcomer.id, Suggestion.offer_id == world.offer.id
        )
    )
    assert pair is not None and pair.status == SuggestionStatus.PROPOSED and pair.reasons
    queue = client.get("/coordination/suggestions").text
    assert f'id="suggestion-{pair.id}"' in queue


def test_allocation_proposal_places_requests_and_explains_the_others(
    app: Flask, world: World, session: Session
) -> None:
    # Two candidates for the one place of an offer in Oyonnax: one is placed, one is not.
    site = f.make_site(session, commune_insee=f.OYONNAX)
    lone = f.make_offer(session, site, metier_code="educateur-jeunes-enfants", places=1)
    first = f.make_request(session, metiers=["EJE"], commune_insee=f.OYONNAX)
    second = f.make_request(session, metiers=["EJE"], commune_insee=f.OYONNAX)
    session.commit()
    page = sign_in(app.test_client(), world.coordinator).get("/coordination/affectation")
    assert page.status_code == 200
    text = page.text
    assert f"/coordination/offres/{lone.id}" in text
    placed = [
        r for r in (first, second) if f"(n° {r.id})</a>" in text.split("Demandes sans offre")[0]
    ]
    assert len(placed) == 1
    assert "Créer le binôme" in text or "Approuver" in text
    unplaced = {first.id, second.id} - {placed[0].id}
    assert f"(n° {unplaced.pop()})</a>" in text.split("Demandes sans offre")[1]


def test_phone_numbers_and_addresses_are_links_that_wrap(app: Flask, world: World) -> None:
    """A coordinator calls or writes from the page; a long address wraps (class « contact »)."""
    page = sign_in(app.test_client(), world.coordinator).get(
        f"/coordination/demandes/{world.request.id}"
    )
    assert page.status_code == 200
    assert '<a class="contact" href="tel:+33612345678">06 12 34 56 78</a>' in page.text
    email = world.request.candidate.email
    assert f'<a class="contact" href="mailto:{email}">{email}</a>' in page.text
    # The employer of the approved pair reaches the candidate the same way.
    employer = sign_in(app.test_client(), world.employer_user)
    offer = employer.get(f"/employeur/offres/{world.offer.id}")
    assert 'href="tel:+33612345678"' in offer.text


def test_dashboard_lists_first_what_waits_for_a_coordinator(
    app: Flask, world: World, session: Session
) -> None:
    """« À faire »: a pair stuck at its stage, an open offer no live suggestion reaches, a
    request needing housing with no live suggestion that houses it (the offer's own beds or a
    resource near it), a mail dead for good; each counted, the records listed with a link; then
    gone once dealt with."""
    from datetime import UTC, datetime

    from data.mail.outbox import enqueue
    from data.models.mail import OutboxMessage, OutboxStatus

    client = sign_in(app.test_client(), world.coordinator)
    before = html.unescape(client.get("/coordination/").text)
    assert "binôme sans changement" not in before and "sans aucune suggestion" not in before

    now = datetime.now(UTC)
    world.suggestion.status_changed_at = now - timedelta(days=queries.STUCK_AFTER_DAYS + 1)
    # The world's request, needing housing, has a pair the engine houses on the offer's beds.
    world.suggestion.housing_source = HousingSource.OFFER
    lonely = f.make_offer(session, metier_code="educateur-specialise")
    unhoused = f.make_request(session, needs_housing=True, commune_insee=f.OYONNAX)
    enqueue(session, to="x@example.org", kind="test", key="dead", subject="S", text="T")
    session.flush()
    session.scalars(select(OutboxMessage)).one().status = OutboxStatus.DEAD
    session.commit()

    today = queries.today(session, now)
    assert (today.stuck_pairs, today.lonely_offers, today.dead_mails) == (1, 1, 1)
    assert [r.id for r in today.unhoused] == [unhoused.id]  # world's request has a bed in view
    page = html.unescape(client.get("/coordination/").text)
    assert page.index("À faire") < page.index("Binômes par étape")
    assert "1 binôme sans changement d'étape depuis plus de 14 jours" in page
    assert f'/coordination/suggestions/{world.suggestion.id}"' in page
    assert "1 offre ouverte sans aucune suggestion en cours" in page
    assert f'/coordination/offres/{lonely.id}"' in page
    assert "1 demande avec un besoin de logement et aucune suggestion qui la loge" in page
    assert f'/coordination/demandes/{unhoused.id}"' in page
    assert "1 courriel en échec définitif" in page
    # The plan's priority métiers only: the same records (all of them are of those métiers).
    assert queries.today(session, now, priority_only=True) == today

    pair = f.make_suggestion(session, unhoused, lonely)  # a live suggestion reaches the offer...
    session.commit()
    after = queries.today(session, now)
    assert after.lonely_offers == 0
    assert unhoused in after.unhoused  # ...but it houses nobody
    # The engine houses the candidate at a hostel near the offer: the need is met.
    pair.housing_source = HousingSource.RESOURCE
    pair.proposed_housing_id = f.make_housing_resource(session).id
    session.commit()
    assert unhoused not in queries.today(session, now).unhoused


def test_employer_offer_page_counts_its_candidates_at_each_step(
    app: Flask, world: World, session: Session
) -> None:
    """Proposed to the employer, waiting for the coordinators' review, put in touch."""
    waiting = f.make_request(session, commune_insee=f.OYONNAX)
    f.make_suggestion(session, waiting, world.offer)  # proposed: the review rule holds it
    session.commit()
    client = sign_in(app.test_client(), world.employer_user)
    page = html.unescape(client.get(f"/employeur/offres/{world.offer.id}").text)
    figures = page[page.index('id="chiffres-offre"') :]
    figures = figures[: figures.index("</ul>")]
    assert "0 candidature proposée à votre réponse" in figures
    assert "1 candidature en attente de l'examen de la coordination" in figures
    assert "1 mise en relation (mise en relation faite : 1)" in figures


def test_coordinators_write_notes_in_a_pair_s_story(
    app: Flask, world: World, session: Session
) -> None:
    """A note is dated and signed in the history; an empty one is refused in French; only the
    coordination writes them, and the API's history carries them too."""
    client = sign_in(app.test_client(), world.coordinator)
    url = f"/coordination/suggestions/{world.suggestion.id}"
    empty = post(client, f"{url}/note", {"note": "  "})
    assert empty.status_code == 400 and "Erreur" in empty.text
    ok = post(client, f"{url}/note", {"note": "Entretien prévu mardi 8 à 10 h, sur place."})
    assert ok.status_code == 302 and ok.headers["Location"].endswith(f"{url}#historique")
    page = html.unescape(client.get(url).text)
    line = "Note de la coordination : Entretien prévu mardi 8 à 10 h, sur place."
    assert line in page
    signed = world.coordinator.display_name or world.coordinator.email
    assert re.search(re.escape(line) + r" – " + re.escape(signed), page)
    employer = sign_in(app.test_client(), world.employer_user)
    assert post(employer, f"{url}/note", {"note": "x"}).status_code == 403
    assert "Entretien prévu mardi 8" not in employer.get(f"/employeur/offres/{world.offer.id}").text
