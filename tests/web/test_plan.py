"""The plan's roadmap pages (issue 20): the public page (no editor's name), the coordinators'
pages (bad input: the form again with French messages, nothing written) and the exports (CSV with
its BOM and ``;``, PDF read back)."""

from __future__ import annotations

import csv
import io

from flask import Flask
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.models import PlanAction, PlanActionStatus, PlanBudgetLine, PlanIndicatorValue
from data.presentation.formatters import euros
from tests.web.conftest import World, pdf_text, post, sign_in


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _seed(session: Session, key: str) -> PlanAction:
    return session.scalars(select(PlanAction).where(PlanAction.seed_key == key)).one()


def test_the_public_roadmap_counts_actions_per_axis_and_names_no_editor(
    app: Flask, world: World, session: Session
) -> None:
    staff = sign_in(app.test_client(), world.coordinator)
    qvct = _seed(session, "a3-club-qvct")
    form = {"axis": "3", "title": qvct.title, "status": "in_progress", "lead": "Pôle autonomie"}
    assert post(staff, f"/coordination/plan/actions/{qvct.id}", form).status_code == 302
    seeded_on_axis_3 = 5
    page = app.test_client().get("/feuille-de-route")
    assert page.status_code == 200
    text = page.text
    assert "Feuille de route du plan" in text
    assert f"{seeded_on_axis_3} actions renseignées sur 34 annoncées" in text
    assert "sur 87 annoncées" in text
    assert f"{euros(200_000)} par an, dont 50 %" in text
    assert "Création d&#39;un club QVCT 01" in text and "En cours" in text
    assert world.coordinator.email not in text
    # The footer of every page leads to it.
    assert 'href="/feuille-de-route"' in app.test_client().get("/").text


def test_a_coordinator_adds_an_action_and_a_bad_one_is_refused_in_french(
    app: Flask, world: World, session: Session
) -> None:
    staff = sign_in(app.test_client(), world.coordinator)
    before = _count(session, PlanAction)
    bad = post(
        staff,
        "/coordination/plan/nouvelle",
        {
            "axis": "2",
            "title": "",
            "status": "planned",
            "action_start": "2026-05-01",
            "action_end": "2026-01-01",
        },
    )
    assert bad.status_code == 400
    assert "Le formulaire contient 2 erreurs" in bad.text
    assert "Titre : Ce champ est obligatoire." in bad.text
    assert "La fin ne peut pas précéder le début." in bad.text
    assert _count(session, PlanAction) == before
    good = post(
        staff,
        "/coordination/plan/nouvelle",
        {"axis": "2", "title": "Forum de l'apprentissage", "status": "planned"},
    )
    assert good.status_code == 302
    added = session.scalars(select(PlanAction).order_by(PlanAction.id.desc())).first()
    assert added is not None and added.title == "Forum de l'apprentissage"
    assert added.updated_by_id == world.coordinator.id
    page = staff.get(good.headers["Location"])
    assert page.status_code == 200 and "Forum de l&#39;apprentissage" in page.text
    moved = post(staff, f"/coordination/plan/actions/{added.id}/statut", {"status": "done"})
    assert moved.status_code == 302
    session.refresh(added)
    assert added.status == PlanActionStatus.DONE
    post(staff, f"/coordination/plan/actions/{added.id}/statut", {"status": "nimporte"})
    session.refresh(added)
    assert added.status == PlanActionStatus.DONE


def test_budget_lines_and_indicator_values_through_the_pages(
    app: Flask, world: World, session: Session
) -> None:
    staff = sign_in(app.test_client(), world.coordinator)
    action = _seed(session, "a4-lab-innovation")
    url = f"/coordination/plan/actions/{action.id}"
    bad = post(staff, url + "/budget", {"year": "2031", "amount_eur": "abc", "funder": "cnsa"})
    assert bad.status_code == 400
    assert "de 2024 à 2026" in bad.text and "Montant en euros attendu" in bad.text
    assert _count(session, PlanBudgetLine) == 0
    line = {"year": "2025", "amount_eur": "15 000", "funder": "cnsa"}
    assert post(staff, url + "/budget", line).status_code == 302
    added = session.scalars(select(PlanBudgetLine)).one()
    assert added.amount_cents == 15_000_00
    edit = staff.get(f"/coordination/plan/budget/{added.id}")
    assert edit.status_code == 200 and 'value="15000,00"' in edit.text
    changed = {"year": "2026", "amount_eur": "16000", "funder": "other", "funder_name": "CAF"}
    assert post(staff, f"/coordination/plan/budget/{added.id}", changed).status_code == 302
    session.refresh(added)
    assert (added.year, added.funder_name) == (2026, "CAF")
    index = staff.get("/coordination/plan")
    assert euros(16_000) in index.text and "Budget inscrit par cofinanceur" in index.text

    bad = post(staff, url + "/indicateurs", {"observatory_key": "", "indicator_name": ""})
    assert bad.status_code == 400 and "Choisissez un indicateur" in bad.text
    made = post(
        staff, url + "/indicateurs", {"indicator_name": "Projets incubés", "unit": "projets"}
    )
    assert made.status_code == 302
    page = made.headers["Location"]
    assert post(staff, page, {"measured_on": "2025-13-01", "value": "3"}).status_code == 400
    assert _count(session, PlanIndicatorValue) == 0
    assert post(staff, page, {"measured_on": "2025-06-30", "value": "3"}).status_code == 302
    shown = staff.get(page).text
    assert "30 juin 2025" in shown and world.coordinator.email in shown

    assert post(staff, f"/coordination/plan/budget/{added.id}/supprimer").status_code == 302
    assert _count(session, PlanBudgetLine) == 0


def test_the_exports_for_the_departements_reports(
    app: Flask, world: World, session: Session
) -> None:
    staff = sign_in(app.test_client(), world.coordinator)
    action = _seed(session, "a2-outil-numerique")
    post(
        staff,
        f"/coordination/plan/actions/{action.id}/budget",
        {"year": "2025", "amount_eur": "40000,50", "funder": "departement"},
    )
    answer = staff.get("/coordination/plan/feuille-de-route.csv")
    assert answer.status_code == 200 and answer.mimetype == "text/csv"
    body = answer.get_data(as_text=True)
    assert body.startswith("\ufeffAxe;Intitulé de l'axe;Action;")
    rows = list(csv.DictReader(io.StringIO(body.lstrip("\ufeff")), delimiter=";"))
    tool = next(r for r in rows if r["Action"] == action.title)
    assert (tool["Statut"], tool["Budget en euros, toutes années"]) == ("Prévue", "40000,50")
    assert "4 novembre 2024" in tool["Source"]
    budget = staff.get("/coordination/plan/budget.csv").get_data(as_text=True)
    assert "2;" + action.title + ";2025;Département de l'Ain;40000,50" in budget

    pdf = staff.get("/coordination/plan/feuille-de-route.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "Feuille de route du plan" in text
    assert "sur 87 annoncées" in text and "sur 13 annoncées" in text
    assert "Budget inscrit par axe" in text and "Total inscrit" in text


ODD = ("\x00", "x" * 5000, "99999999999", "١٢", "1e5", "-0", "<script>", "2026-02-30")


def test_odd_input_on_every_form_is_a_french_400_and_nothing_is_written(
    app: Flask, world: World, session: Session
) -> None:
    staff = sign_in(app.test_client(), world.coordinator)
    action = _seed(session, "a4-transports-doux")
    hand = post(
        staff, f"/coordination/plan/actions/{action.id}/indicateurs", {"indicator_name": "Vélos"}
    )
    line = {"year": "2025", "amount_eur": "100", "funder": "cnsa"}
    post(staff, f"/coordination/plan/actions/{action.id}/budget", line)
    line_id = session.scalars(select(PlanBudgetLine.id)).one()
    forms = {
        "/coordination/plan/nouvelle": ("axis", "title", "status", "action_start"),
        f"/coordination/plan/actions/{action.id}": ("axis", "title", "status", "action_end"),
        f"/coordination/plan/actions/{action.id}/budget": ("year", "amount_eur", "funder"),
        f"/coordination/plan/budget/{line_id}": ("year", "amount_eur", "funder_name"),
        hand.headers["Location"]: ("measured_on", "value"),
    }
    before = (_count(session, PlanAction), _count(session, PlanIndicatorValue))
    for url, fields in forms.items():
        for odd in ODD:
            answer = post(staff, url, {name: odd for name in fields})
            assert answer.status_code == 400, (url, odd)
            # A NUL byte is refused at the door (web/input.py), the rest by the form's checks.
            french = "caractère NUL" if odd == "\x00" else "Le formulaire contient"
            assert french in answer.text, (url, odd)
    session.expire_all()
    assert (_count(session, PlanAction), _count(session, PlanIndicatorValue)) == before
    assert session.get(PlanBudgetLine, line_id).amount_cents == 100_00
    assert session.get(PlanAction, action.id).title == (
        "Informer et développer l'offre de transports doux"
    )
