"""Coordinators' pages of the training centres: a centre's life through the forms, the import."""

from __future__ import annotations

import io

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import TrainingCentre, TrainingSession
from tests.web.conftest import World, post, sign_in


def test_a_centre_through_its_forms(app: Flask, world: World, session: Session) -> None:
    client = sign_in(app.test_client(), world.coordinator)
    refused = post(
        client,
        "/coordination/formations/nouveau",
        {"name": "École (démo)", "kind": "travail_social", "commune": "Nulle-Part-sur-Mer"},
    )
    assert refused.status_code == 400
    assert "Commune introuvable" in refused.text and "École (démo)" in refused.text
    created = post(
        client,
        "/coordination/formations/nouveau",
        {
            "name": "École de travail social (démo)",
            "kind": "travail_social",
            "commune": "Oyonnax",
            "public_transport": "yes",
        },
    )
    assert created.status_code == 302
    centre = session.scalars(
        select(TrainingCentre).where(TrainingCentre.name == "École de travail social (démo)")
    ).one()
    centre_id = centre.id
    base = f"/coordination/formations/{centre_id}"
    assert created.headers["Location"].endswith(base)
    added = post(
        client,
        f"{base}/programmes/nouveau",
        {"metier": "educateur-specialise", "by_apprenticeship": "1", "duration_months": "36"},
    )
    assert added.status_code == 302
    session.expire_all()
    programme = centre.programmes[0]
    assert programme.by_apprenticeship and programme.duration_months == 36
    late = post(
        client,
        f"/coordination/formations/programmes/{programme.id}/sessions/nouvelle",
        {"start_date": "2027-09-06", "end_date": "2027-01-01"},
    )
    assert late.status_code == 400 and "La date de fin ne peut pas précéder" in late.text
    post(
        client,
        f"/coordination/formations/programmes/{programme.id}/sessions/nouvelle",
        {"start_date": "2027-09-06", "application_deadline": "2027-05-31"},
    )
    page = client.get(base).text
    assert "Éducateur spécialisé" in page and "6 septembre 2027" in page
    assert "Oyonnax (01100)" in page
    listed = client.get("/coordination/formations?metier=educateur-specialise").text
    assert "École de travail social (démo)" in listed and world.centre.name not in listed
    intake = session.scalars(
        select(TrainingSession).where(TrainingSession.programme_id == programme.id)
    ).one()
    edit = client.get(f"/coordination/formations/sessions/{intake.id}/modifier").text
    assert 'value="2027-09-06"' in edit
    gone = post(client, f"{base}/supprimer")
    assert gone.status_code == 302
    session.expire_all()
    assert session.get(TrainingCentre, centre_id) is None


def test_import_page_reports_rejected_lines_and_export_reads_back(app: Flask, world: World) -> None:
    client = sign_in(app.test_client(), world.coordinator)
    body = (
        "Centre;Type de centre;Commune;Métier;Rentrée\n"
        "GRETA (démo);GRETA;Bourg-en-Bresse;ADVF;05/01/2027\n"
        "GRETA (démo);GRETA;Bourg-en-Bresse;ADVF;32/01/2027\n"
    )
    answer = post(
        client,
        "/coordination/formations/import",
        {"file": (io.BytesIO(body.encode("cp1252")), "centres.csv")},
        content_type="multipart/form-data",
    )
    assert answer.status_code == 200
    assert "1 centre créé" in answer.text and "1 ligne refusée" in answer.text
    assert "Rentrée : Date invalide" in answer.text
    export = client.get("/coordination/formations/export.csv")
    assert export.mimetype == "text/csv"
    text = export.get_data(as_text=True)
    assert "GRETA (démo)" in text and "05/01/2027" in text and world.centre.name in text
    template = client.get("/coordination/formations/import/modele.csv").get_data(as_text=True)
    assert template.startswith("\ufeffCentre;Type de centre;Commune;")
    empty = post(
        client,
        "/coordination/formations/import",
        {"file": (io.BytesIO(b"nom,ville\nx,y\n"), "centres.csv")},
        content_type="multipart/form-data",
    )
    assert empty.status_code == 400 and "Colonnes manquantes" in empty.text
