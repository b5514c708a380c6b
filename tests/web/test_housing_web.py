"""Pages of the housing inventory (issue 17): the coordinators' « Logements » (forms, filters,
publication, import and export) and a structure's « Nos logements »."""

from __future__ import annotations

import io
from datetime import date

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.models import HousingResource
from data.operations import housing as ops
from tests.data import factories as f
from tests.web.conftest import World, post, sign_in

BASE = "/coordination/logements"


def _named(session: Session, name: str) -> HousingResource | None:
    session.expire_all()
    return session.scalars(select(HousingResource).where(HousingResource.name == name)).first()


def test_a_partner_resource_through_the_coordinators_forms(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.coordinator)
    listed = client.get(BASE)
    assert listed.status_code == 200 and "Logements pour les apprentis" in listed.text
    assert client.get("/coordination/formations").text.count(f'href="{BASE}"') == 1  # the nav
    form = client.get(f"{BASE}/nouveau")
    assert form.status_code == 200 and "Foyer de jeunes travailleurs" in form.text
    refused = post(
        client,
        f"{BASE}/nouveau",
        {
            "name": "Foyer (démo)",
            "housing_kind": "fjt",
            "manager": "partner",
            "partner_name": "",
            "commune": "Nulle-Part-sur-Mer",
            "beds": "2",
            "beds_taken": "3",
            "period_1_start": "2027-06-01",
            "period_1_end": "2027-01-01",
        },
    )
    assert refused.status_code == 400
    text = refused.text
    assert "Le formulaire contient" in text and "Commune introuvable" in text
    assert "Indiquez un seul gestionnaire" in text
    assert "la fin ne peut pas précéder le début" in text
    unknown_kind = post(client, f"{BASE}/nouveau", {"name": "X", "housing_kind": "chateau"})
    assert "Type de logement : Valeur non reconnue" in unknown_kind.text
    assert 'value="Foyer (démo)"' in text  # what was typed is kept
    assert _named(session, "Foyer (démo)") is None
    created = post(
        client,
        f"{BASE}/nouveau",
        {
            "name": "Foyer (démo)",
            "housing_kind": "fjt",
            "manager": "partner",
            "partner_name": "Habitat Jeunes (démo)",
            "commune": "Oyonnax",
            "address": "3 rue du Foyer",
            "beds": "20",
            "beds_taken": "5",
            "monthly_cost_eur": "380",
            "aids": ["apl", "visale"],
            "apprentices_only": "1",
            "period_1_start": "2026-09-01",
        },
    )
    assert created.status_code == 302, created.text
    resource = _named(session, "Foyer (démo)")
    assert resource is not None
    assert resource.partner_name == "Habitat Jeunes (démo)" and resource.beds_free == 15
    assert resource.aids == ["apl", "visale"] and resource.apprentices_only
    assert [(p.starts_on, p.ends_on) for p in resource.periods] == [(date(2026, 9, 1), None)]
    assert resource.published is False
    resource_id = resource.id
    edit = client.get(f"{BASE}/{resource_id}/modifier").text
    assert 'value="2026-09-01"' in edit and "Oyonnax (01100)" in edit
    published = post(client, f"{BASE}/{resource_id}/publication", {"published": "1"})
    assert published.status_code == 302
    assert _named(session, "Foyer (démo)").published is True  # type: ignore[union-attr]
    # Filters: the kind, the manager, published or not, around a commune.
    assert "Foyer (démo)" in client.get(f"{BASE}?type=fjt&gestionnaire=partner&publie=oui").text
    assert "Foyer (démo)" not in client.get(f"{BASE}?publie=non").text
    assert "Foyer (démo)" not in client.get(f"{BASE}?commune=Gex&distance=10").text
    bad = client.get(f"{BASE}?type=chateau&distance=10")
    assert bad.status_code == 400 and "Choix invalide" in bad.text
    # Moving it to a centre empties the partner.
    post(
        client,
        f"{BASE}/{resource_id}/modifier",
        {
            "name": "Foyer (démo)",
            "housing_kind": "fjt",
            "manager": "centre",
            "centre_id": str(world.centre.id),
            "commune": "Oyonnax",
            "beds": "20",
            "beds_taken": "5",
        },
    )
    moved = _named(session, "Foyer (démo)")
    assert moved is not None and moved.centre_id == world.centre.id
    assert moved.partner_name is None and moved.periods == [] and moved.aids == []
    assert client.get(f"{BASE}/{resource_id}/supprimer").status_code == 200
    gone = post(client, f"{BASE}/{resource_id}/supprimer")
    assert gone.status_code == 302 and _named(session, "Foyer (démo)") is None
    assert client.get(f"{BASE}/{2**31 - 1}/modifier").status_code == 404


def test_a_site_resource_keeps_its_place_and_the_beds_offers_reserve(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.coordinator)
    site_housing = world.offer.site.housings[0]
    world.offer.housing_beds = 2
    session.commit()
    page = client.get(f"{BASE}/{site_housing.id}/modifier").text
    assert "se modifient sur la fiche du lieu" in page and 'name="commune"' not in page
    fewer = post(client, f"{BASE}/{site_housing.id}/modifier", {"name": "Studios", "beds": "1"})
    assert fewer.status_code == 400 and "Une offre de ce site réserve 2 lits" in fewer.text
    refused = post(client, f"{BASE}/{site_housing.id}/supprimer")
    assert refused.status_code == 400 and "Une offre de ce site réserve" in refused.text
    session.expire_all()
    assert session.get(HousingResource, site_housing.id) is not None


def test_import_page_reports_rejected_lines_and_export_reads_back(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.coordinator)
    body = (
        "Nom;Type de logement;Gestionnaire;Commune;Lits;Aides au logement\n"
        "Résidence (démo);Résidence étudiante;Crous (démo);Bourg-en-Bresse;40;APL\n"
        "Villa (démo);Château;Crous (démo);Bourg-en-Bresse;2;\n"
    )
    answer = post(
        client,
        f"{BASE}/import",
        {"file": (io.BytesIO(body.encode("cp1252")), "logements.csv")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200
    assert "1 logement créé" in answer.text and "1 ligne refusée" in answer.text
    assert "Type de logement : Type inconnu" in answer.text
    export = client.get(f"{BASE}/export.csv")
    assert export.mimetype == "text/csv"
    text = export.get_data(as_text=True)
    assert "Résidence (démo)" in text and "Crous (démo)" in text
    assert "Résidence (démo)" not in client.get(f"{BASE}/export.csv?type=fjt").text
    template = client.get(f"{BASE}/import/modele.csv").get_data(as_text=True)
    assert template.startswith("\ufeffNom;Type de logement;Gestionnaire;")
    empty = post(
        client,
        f"{BASE}/import",
        {"file": (io.BytesIO(b"nom,ville\nx,y\n"), "logements.csv")},
        content_type="multipart/form-data",
    )
    assert empty.status_code == 400 and "Colonnes manquantes" in empty.text
    none = post(client, f"{BASE}/import", {}, content_type="multipart/form-data")
    assert none.status_code == 400 and "Choisissez un fichier CSV" in none.text


def test_a_structure_manages_its_own_housing_only(
    app: Flask, world: World, session: Session
) -> None:
    partner = ops.create_housing(
        session,
        Actor.system(),
        name="Foyer partenaire (démo)",
        kind="fjt",
        partner_name="Asso (démo)",
        commune=f.BOURG,
        beds=3,
    )
    others = f.make_site(session, world.other_employer_user.employer, beds=1).housings[0]
    session.commit()
    client = sign_in(app.test_client(), world.employer_user)
    dashboard = client.get("/employeur/").text
    assert 'href="/employeur/logements"' in dashboard
    mine = client.get("/employeur/logements").text
    assert world.offer.site.name in mine and "Foyer partenaire (démo)" not in mine
    form = client.get("/employeur/logements/nouveau").text
    assert 'name="partner_name"' not in form and 'name="manager"' not in form
    created = post(
        client,
        "/employeur/logements/nouveau",
        {
            "name": "Appartement (démo)",
            "housing_kind": "other",
            "commune": "Bourg-en-Bresse",
            "beds": "2",
        },
    )
    assert created.status_code == 302
    flat = _named(session, "Appartement (démo)")
    assert flat is not None and flat.employer_id == world.employer.id
    changed = post(
        client,
        f"/employeur/logements/{flat.id}/modifier",
        {
            "name": "Appartement (démo)",
            "housing_kind": "other",
            "commune": "Bourg-en-Bresse",
            "beds": "2",
            "beds_taken": "2",
            "published": "1",
        },
    )
    assert changed.status_code == 302
    flat = _named(session, "Appartement (démo)")
    assert flat is not None and flat.beds_free == 0 and flat.published
    for resource_id in (partner.id, others.id):
        assert client.get(f"/employeur/logements/{resource_id}/modifier").status_code == 404
        assert post(client, f"/employeur/logements/{resource_id}/supprimer").status_code == 404
    assert post(client, f"/employeur/logements/{flat.id}/supprimer").status_code == 302
    assert _named(session, "Appartement (démo)") is None
    # The coordinators' pages are not theirs.
    assert client.get(BASE).status_code in (302, 403)
