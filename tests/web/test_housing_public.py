"""« Se loger » (issue 17): the public list and map of housing for apprentices, a resource's
page, and the housing within reach of an offer on the offer's page."""

from __future__ import annotations

import html
from datetime import date, timedelta

from flask import Flask
from sqlalchemy.orm import Session

from data import queries
from data.models import HousingAid, HousingKind, StructureCheck
from data.operations._common import local_today
from tests.data import factories as f

PERONNAS = "01289"  # about 4 km from Bourg-en-Bresse
AMBERIEU = "01004"  # about 29 km from Bourg-en-Bresse


def _text(page: str) -> str:
    return html.unescape(page)


# --- The read layer ---------------------------------------------------------------------------


def test_search_filters_by_commune_distance_kind_cost_and_availability(session: Session) -> None:
    today = local_today()
    bourg = f.make_housing_resource(session, name="1 FJT Bourg (test)")
    peronnas = f.make_housing_resource(
        session,
        name="2 Chambres EHPAD Péronnas (test)",
        kind=HousingKind.ESMS_ROOM,
        commune_insee=PERONNAS,
        partner_name=None,
        employer_id=f.make_employer(session).id,
        monthly_cost_eur=250,
    )
    amberieu = f.make_housing_resource(
        session,
        name="3 Internat Ambérieu (test)",
        kind=HousingKind.BOARDING,
        commune_insee=AMBERIEU,
        monthly_cost_eur=None,
        periods=((today + timedelta(days=30), today + timedelta(days=300)),),
    )
    bourg_commune = bourg.commune

    def names(**search: object) -> list[str]:
        hits = queries.housing_hits(session, queries.HousingSearch(**search))  # type: ignore[arg-type]
        return [h.resource.name for h in hits]

    # Without a commune: by name. With one: nearest first, within the distance asked.
    assert names() == [bourg.name, peronnas.name, amberieu.name]
    assert names(near=peronnas.commune) == [peronnas.name, bourg.name, amberieu.name]
    assert names(near=bourg_commune, max_km=10) == [bourg.name, peronnas.name]
    hits = queries.housing_hits(session, queries.HousingSearch(near=bourg_commune, max_km=30))
    assert [round(h.distance_km or 0) for h in hits] == [0, 4, 29]

    assert names(kind=HousingKind.BOARDING) == [amberieu.name]
    # A cost not given is no promise: left out of a cost filter.
    assert names(max_cost=300) == [peronnas.name]
    assert names(max_cost=380) == [bourg.name, peronnas.name]
    # Without periods: always; with them, only within one.
    assert names(available_on=today) == [bourg.name, peronnas.name]
    assert names(available_on=today + timedelta(days=31)) == [
        bourg.name,
        peronnas.name,
        amberieu.name,
    ]
    assert names(available_on=today + timedelta(days=301)) == [bourg.name, peronnas.name]


def test_free_beds_first_only_free_and_paging(session: Session) -> None:
    full = f.make_housing_resource(session, name="A plein (test)", beds=3, beds_taken=3)
    free = f.make_housing_resource(session, name="B libre (test)", beds=3, beds_taken=1)
    other = f.make_housing_resource(session, name="C libre (test)", commune_insee=PERONNAS)

    everything = queries.housing_hits(session)
    assert [h.resource.id for h in everything] == [free.id, other.id, full.id]
    near = queries.housing_hits(session, queries.HousingSearch(near=full.commune))
    assert [h.resource.id for h in near] == [free.id, other.id, full.id]
    only_free = queries.housing_hits(session, queries.HousingSearch(free_only=True))
    assert [h.resource.id for h in only_free] == [free.id, other.id]

    first = queries.housing_page(session, 1, 2)
    assert [h.resource.id for h in first.items] == [free.id, other.id] and first.total == 3
    second = queries.housing_page(session, 2, 2, queries.HousingSearch(near=full.commune))
    assert [h.resource.id for h in second.items] == [full.id] and second.total == 3


def test_unpublished_and_suspended_structures_are_never_read(session: Session) -> None:
    shown = f.make_housing_resource(session)
    hidden = f.make_housing_resource(session, published=False)
    employer = f.make_employer(session)
    suspended = f.make_housing_resource(session, partner_name=None, employer_id=employer.id)
    employer.check_status = StructureCheck.SUSPENDED
    session.flush()
    assert [h.resource.id for h in queries.housing_hits(session)] == [shown.id]
    assert queries.find_public_housing(session, hidden.id) is None
    assert queries.find_public_housing(session, suspended.id) is None
    assert queries.find_public_housing(session, shown.id) is shown


def test_housing_near_an_offer_has_a_free_bed_within_10_km_nearest_first(
    session: Session,
) -> None:
    offer = f.make_offer(session)  # in Bourg-en-Bresse
    near = f.make_housing_resource(session, commune_insee=PERONNAS)
    nearest = f.make_housing_resource(session)
    f.make_housing_resource(session, beds=2, beds_taken=2)  # full
    f.make_housing_resource(session, published=False)
    f.make_housing_resource(session, commune_insee=AMBERIEU)  # 29 km
    hits = queries.housing_near_offer(session, offer)
    assert [h.resource.id for h in hits] == [nearest.id, near.id]
    assert hits[0].distance_km == 0 and 3 < (hits[1].distance_km or 0) < 6
    assert len(queries.housing_near_offer(session, offer, km=30)) == 3


# --- The pages ---------------------------------------------------------------------------------


def test_list_and_map_filter_and_french_labels(app: Flask, session: Session) -> None:
    fjt = f.make_housing_resource(session, name="FJT Les Tilleuls (test)")
    far = f.make_housing_resource(
        session,
        name="Internat du Bugey (test)",
        kind=HousingKind.BOARDING,
        commune_insee=AMBERIEU,
        monthly_cost_eur=150,
    )
    f.make_housing_resource(session, name="Brouillon caché (test)", published=False)
    session.commit()
    client = app.test_client()

    page = client.get("/se-loger")
    assert page.status_code == 200
    text = _text(page.text)
    assert fjt.name in text and far.name in text and "Brouillon caché" not in text
    assert "<strong>2</strong> logements trouvés" in text
    assert "Foyer de jeunes travailleurs – Bourg-en-Bresse" in text
    assert "5 places libres" in text and "380 € par mois" in text

    near = _text(client.get("/se-loger?commune=Bourg-en-Bresse&distance=10").text)
    assert fjt.name in near and far.name not in near
    boarding = _text(client.get("/se-loger?type_logement=boarding").text)
    assert far.name in boarding and fjt.name not in boarding
    cheap = _text(client.get("/se-loger?cout_max=200").text)
    assert far.name in cheap and fjt.name not in cheap
    dated = client.get(f"/se-loger?disponible_le={local_today():%d/%m/%Y}&lits_libres=1")
    assert dated.status_code == 200 and fjt.name in _text(dated.text)

    carte = client.get("/se-loger/carte?type_logement=fjt")
    assert carte.status_code == 200
    assert 'data-points="/se-loger/carte.geojson?type_logement=fjt"' in carte.text
    body = client.get("/se-loger/carte.geojson?type_logement=fjt").get_json()
    assert [feat["properties"]["id"] for feat in body["features"]] == [fjt.id]
    feature = body["features"][0]
    assert feature["properties"]["url"] == f"/se-loger/{fjt.id}"
    assert feature["properties"]["lines"] == [
        "Foyer de jeunes travailleurs – Bourg-en-Bresse",
        "5 places libres",
        "380 € par mois",
    ]
    bourg = fjt.commune
    assert feature["geometry"]["coordinates"] == [bourg.longitude, bourg.latitude]


def test_header_links_to_se_loger(app: Flask) -> None:
    page = app.test_client().get("/").text
    assert 'href="/se-loger"' in page and "Se loger" in page


def test_bad_filters_answer_400_with_french_messages_never_500(
    app: Flask, session: Session
) -> None:
    f.make_housing_resource(session)
    session.commit()
    client = app.test_client()
    page = client.get(
        "/se-loger?type_logement=chateau&cout_max=beaucoup&disponible_le=31/02/2026&distance=10"
    )
    assert page.status_code == 400
    text = _text(page.text)
    assert "Le formulaire contient 4 erreurs" in text
    assert "Type de logement : Choix invalide : choisissez une valeur de la liste." in text
    assert "Coût mensuel maximal : Indiquez un nombre entier d'euros, de 0 à 5000." in text
    assert "Disponible le :" in text
    assert "Indiquez une commune pour filtrer par distance." in text
    assert "Aucun logement ne correspond" in text

    for query in (
        "commune=Atlantide",
        "cout_max=" + "9" * 150,
        "cout_max=²",
        "cout_max=-3",
        "disponible_le=2026-13-45",
        "distance=1e9&commune=Bourg-en-Bresse",
    ):
        for url in ("/se-loger", "/se-loger/carte", "/se-loger/carte.geojson"):
            answer = client.get(f"{url}?{query}")
            assert answer.status_code == 400, (url, query)
    # A page number past the end is corrected, not refused.
    assert client.get("/se-loger?page=999").status_code == 200
    assert client.get("/se-loger/carte.geojson?cout_max=x").get_json()["features"] == []


def test_organisation_page_shows_its_facts_and_contact(app: Flask, session: Session) -> None:
    today = local_today()
    resource = f.make_housing_resource(
        session,
        name="Résidence Habitat Jeunes Le Pont (test)",
        address="12 rue des Écoles",
        beds=10,
        beds_taken=7,
        cost_includes="Charges, internet et blanchisserie",
        aids=[HousingAid.APL.value, HousingAid.MOBILI_JEUNE.value],
        min_age=16,
        max_age=30,
        apprentices_only=True,
        min_stay_months=1,
        max_stay_months=24,
        contact_name="Accueil de la résidence",
        contact_email="accueil@habitat-jeunes.example.org",
        contact_phone="04 74 11 22 33",
        periods=(
            (date(2020, 1, 1), date(2020, 6, 30)),  # ended: not shown
            (date(2026, 9, 1), date(2030, 6, 30)),
        ),
    )
    session.commit()
    page = app.test_client().get(f"/se-loger/{resource.id}")
    assert page.status_code == 200
    text = _text(page.text)
    for expected in (
        "Foyer de jeunes travailleurs",
        resource.partner_name,
        "Bourg-en-Bresse",
        "12 rue des Écoles",
        "3 places libres sur 10 places",
        "380 € par mois",
        "Charges, internet et blanchisserie",
        "Aide personnalisée au logement (APL)",
        "Aide Mobili-Jeune (Action Logement)",
        "Âge : de 16 à 30 ans.",
        "Réservé aux apprentis.",
        "Durée du séjour : de 1 à 24 mois.",
        "Du 1er septembre 2026 au 30 juin 2030",
        "accueil@habitat-jeunes.example.org",
        "04 74 11 22 33",
    ):
        assert expected in text, expected
    assert "2020" not in text
    assert today.year >= 2026  # the period shown above has not ended yet


def test_home_hosting_shows_neither_address_nor_contact(app: Flask, session: Session) -> None:
    centre = f.make_centre(session, name="IFAS du Revermont (test)")
    resource = f.make_housing_resource(
        session,
        name="Chambre chez l'habitant (test)",
        kind=HousingKind.HOST_FAMILY,
        partner_name=None,
        centre_id=centre.id,
        address="3 impasse des Lilas",
        contact_name="Jeanne Martin",
        contact_email="jeanne.martin@example.org",
        contact_phone="06 12 34 56 78",
    )
    cohabitation = f.make_housing_resource(
        session,
        name="Cohabitation intergénérationnelle (test)",
        kind=HousingKind.INTERGENERATIONAL,
        address="8 chemin du Moulin",
        contact_name="Paul Durand",
        contact_email="paul.durand@example.org",
    )
    session.commit()
    client = app.test_client()
    pages = [
        client.get(f"/se-loger/{resource.id}").text,
        client.get(f"/se-loger/{cohabitation.id}").text,
        client.get("/se-loger").text,
        client.get("/se-loger/carte").text,
        str(client.get("/se-loger/carte.geojson").get_json()),
    ]
    for page in pages:
        text = _text(page)
        for secret in ("Lilas", "Jeanne", "jeanne.martin", "06 12 34 56 78", "Moulin", "Paul"):
            assert secret not in text, secret
    hosted = _text(pages[0])
    assert "Hébergement chez l'habitant" in hosted and "Bourg-en-Bresse" in hosted
    assert "Adressez-vous à IFAS du Revermont (test)" in hosted
    assert f"/se-former/centres/{centre.id}" in hosted
    assert cohabitation.partner_name in _text(pages[1])


def test_unknown_or_unpublished_resource_is_404(app: Flask, session: Session) -> None:
    hidden = f.make_housing_resource(session, published=False)
    session.commit()
    client = app.test_client()
    assert client.get(f"/se-loger/{hidden.id}").status_code == 404
    assert client.get("/se-loger/2147483647").status_code == 404


def test_offer_page_lists_the_housing_within_reach(app: Flask, session: Session) -> None:
    offer = f.make_offer(session, housing_beds=1)  # in Bourg-en-Bresse, a studio on site
    near = f.make_housing_resource(session, name="FJT de Péronnas (test)", commune_insee=PERONNAS)
    far = f.make_housing_resource(session, name="FJT d'Ambérieu (test)", commune_insee=AMBERIEU)
    full = f.make_housing_resource(session, name="FJT complet (test)", beds=1, beds_taken=1)
    session.commit()
    text = _text(app.test_client().get(f"/offres/{offer.id}").text)
    section = text[text.index("Se loger à proximité") :]
    assert "L'employeur réserve 1 place de logement à cette offre" in section
    assert "chambre ou studio d'établissement (250 € par mois)" in section
    assert near.name in section and f"/se-loger/{near.id}" in section
    assert far.name not in section and full.name not in section
    assert "Aucun logement recensé" not in section
    assert "/se-loger?commune=Bourg-en-Bresse" in section


def test_offer_page_says_when_no_housing_is_near(app: Flask, session: Session) -> None:
    offer = f.make_offer(session)
    f.make_housing_resource(session, commune_insee=AMBERIEU)
    session.commit()
    text = _text(app.test_client().get(f"/offres/{offer.id}").text)
    assert "Aucun logement recensé à proximité." in text
    assert "L'employeur réserve" not in text
    assert 'href="/se-loger?commune=' in text
