"""The welcome kit's pages (issue 19): the coordinator plans the signature, the structure ticks
and downloads the kit, the apprentice reads their booklet; PDFs read back; templates edited,
sanitised, restored; bad input answered in French."""

from __future__ import annotations

import re
from datetime import date, timedelta
from html import unescape

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import KitTemplate, WelcomeKit, WelcomeKitItem
from data.operations._common import local_today
from tests.web.conftest import World, pdf_text, post, sign_in

SCRIPT = "<script>alert('x')</script>"


def _plan(app: Flask, world: World, session: Session, start: date) -> WelcomeKit:
    staff = sign_in(app.test_client(), world.coordinator)
    answer = post(
        staff,
        f"/coordination/kits/binomes/{world.suggestion.id}/signature-prevue",
        {"start_on": start.strftime("%d/%m/%Y")},
    )
    assert answer.status_code == 302, answer.get_data(as_text=True)
    kit = session.scalar(select(WelcomeKit).where(WelcomeKit.suggestion_id == world.suggestion.id))
    assert kit is not None
    return kit


def test_from_the_planned_signature_to_the_structure_ticking_and_its_pdf(
    app: Flask, world: World, session: Session
) -> None:
    start = local_today() + timedelta(days=3)
    staff = sign_in(app.test_client(), world.coordinator)
    pair_page = staff.get(f"/coordination/suggestions/{world.suggestion.id}").get_data(as_text=True)
    assert "Marquer la signature prévue" in pair_page
    kit = _plan(app, world, session, start)
    assert kit.planned and kit.start_on == start
    assert "Voir le kit d'accueil" in staff.get(
        f"/coordination/suggestions/{world.suggestion.id}"
    ).get_data(as_text=True)

    employer = sign_in(app.test_client(), world.employer_user)
    listing = employer.get("/employeur/kits/").get_data(as_text=True)
    assert f"/employeur/kits/{kit.id}" in listing
    page = unescape(employer.get(f"/employeur/kits/{kit.id}").get_data(as_text=True))
    assert "Envoyer le contrat à l'OPCO" in page and "En retard" in page  # the DPAE, due already
    assert "Aucun maître d'apprentissage n'est encore nommé" in page
    assert "médiateur de l'apprentissage" in page
    master = next(i for i in kit.items if i.template_key == "master")
    answer = post(employer, f"/employeur/kits/{kit.id}/points/{master.id}", {"done": "1"})
    assert answer.status_code == 302
    session.refresh(master)
    assert master.done_at is not None and master.done_by_id == world.employer_user.id
    page = unescape(employer.get(f"/employeur/kits/{kit.id}").get_data(as_text=True))
    assert "Fait le" in page and "Décocher" in page

    pdf = employer.get(f"/employeur/kits/{kit.id}/kit-accueil.pdf")
    assert pdf.status_code == 200 and pdf.mimetype == "application/pdf"
    text = pdf_text(pdf.data)
    assert "Kit d'accueil de" in text and "Liste des préparatifs" in text
    assert "Envoyer le contrat à l'OPCO" in text and "L6222-39" in text

    # The other structure sees none of it; a bad tick is refused in French.
    other = sign_in(app.test_client(), world.other_employer_user)
    assert other.get(f"/employeur/kits/{kit.id}").status_code == 404
    assert (
        post(other, f"/employeur/kits/{kit.id}/points/{master.id}", {"done": "1"}).status_code
        == 404
    )
    bad = post(employer, f"/employeur/kits/{kit.id}/points/{master.id}", {"done": "peut-être"})
    assert bad.status_code == 302
    followed = unescape(employer.get(bad.headers["Location"]).get_data(as_text=True))
    assert "Choisissez de cocher ou de décocher ce point." in followed
    # An item of another kit, through this kit's address: 404.
    assert (
        post(employer, f"/employeur/kits/{kit.id}/points/2147483647", {"done": "1"}).status_code
        == 404
    )


def test_the_apprentice_reads_their_booklet_and_its_pdf_without_the_checklist(
    app: Flask, world: World, session: Session
) -> None:
    kit = _plan(app, world, session, local_today() + timedelta(days=20))
    me = sign_in(app.test_client(), world.candidate_user)
    dashboard = me.get("/candidat/").get_data(as_text=True)
    assert "Mon livret d'accueil" in dashboard
    assert me.get("/candidat/kits/").headers["Location"].endswith(f"/candidat/kits/{kit.id}")
    page = unescape(me.get(f"/candidat/kits/{kit.id}").get_data(as_text=True))
    assert "Livret d'accueil de" in page and "Votre premier jour" in page
    assert "Liste des préparatifs" not in page and "Marquer comme fait" not in page
    assert "non renseignée" in page  # the world's request gives no age band
    text = pdf_text(me.get(f"/candidat/kits/{kit.id}/livret-accueil.pdf").data)
    assert "Livret d'accueil de" in text and "Votre premier jour" in text
    assert "Liste des préparatifs" not in text and "passerelle@" in text


def test_a_template_edit_is_sanitised_on_pages_and_in_the_pdf_and_restorable(
    app: Flask, world: World, session: Session
) -> None:
    template = session.scalar(select(KitTemplate).where(KitTemplate.key == "first-day"))
    assert template is not None
    staff = sign_in(app.test_client(), world.coordinator)
    url = f"/coordination/kits/modeles/{template.id}/modifier"
    body = f"Rendez-vous **à 9 h** à l'accueil.\n\n{SCRIPT}\n\n[lien](javascript:alert(1))"
    preview = post(staff, url, {"title": "Le premier jour", "body": body, "action": "apercu"})
    assert preview.status_code == 200
    assert "<strong>à 9 h</strong>" in preview.get_data(as_text=True)
    assert SCRIPT not in preview.get_data(as_text=True)
    saved = post(staff, url, {"title": "Le premier jour", "body": body, "action": "enregistrer"})
    assert saved.status_code == 302
    kit = _plan(app, world, session, local_today() + timedelta(days=20))
    me = sign_in(app.test_client(), world.candidate_user)
    page = me.get(f"/candidat/kits/{kit.id}").get_data(as_text=True)
    assert "<strong>à 9 h</strong>" in page
    assert SCRIPT not in page and 'href="javascript' not in page
    pdf = me.get(f"/candidat/kits/{kit.id}/livret-accueil.pdf").data
    text = pdf_text(pdf)
    # The PDF shows the tag as inert text (escaped), never as a script: no JavaScript in it.
    assert "Le premier jour" in text and "à 9 h" in text
    assert b"/JavaScript" not in pdf and b"/JS " not in pdf

    # Posted empty: the form again with the French message, nothing saved.
    empty = post(staff, url, {"title": "", "body": "", "action": "enregistrer"})
    assert empty.status_code == 400 and "obligatoire" in empty.get_data(as_text=True).lower()
    history = staff.get(f"/coordination/kits/modeles/{template.id}/historique").get_data(
        as_text=True
    )
    assert "Texte d’origine de Passerelle" in history
    seed = min(v.id for v in template.versions)
    restored = post(staff, f"/coordination/kits/modeles/{template.id}/versions/{seed}/restaurer")
    assert restored.status_code == 302
    session.refresh(template)
    assert template.title == "Votre premier jour"


def test_a_checklist_template_takes_its_due_rule_and_refuses_bad_ones_in_french(
    app: Flask, world: World, session: Session
) -> None:
    template = session.scalar(select(KitTemplate).where(KitTemplate.key == "planning"))
    assert template is not None
    staff = sign_in(app.test_client(), world.coordinator)
    url = f"/coordination/kits/modeles/{template.id}/modifier"
    form = {"title": template.title, "body": template.body, "action": "enregistrer"}
    for bad, message in (
        ({"phase": "", "offset_days": "3"}, "obligatoire"),
        ({"phase": "first_day", "offset_days": "beaucoup"}, "Nombre entier attendu"),
        ({"phase": "first_day", "offset_days": "100000"}, "comprise entre"),
        ({"phase": "jamais", "offset_days": "1"}, "Choisissez une valeur de la liste."),
        ({"phase": "first_day", "rule_key": "pas_une_regle"}, "Choisissez une valeur de la liste."),
    ):
        answer = post(staff, url, {**form, **bad})
        assert answer.status_code == 400, bad
        assert message.lower() in answer.get_data(as_text=True).lower(), bad
    ok = post(
        staff,
        url,
        {**form, "phase": "first_week", "offset_days": "", "rule_key": "opco_deposit_days"},
    )
    assert ok.status_code == 302
    session.refresh(template)
    assert template.rule_key is not None and template.offset_days is None


def test_the_coordinators_overdue_list_and_bad_dates_for_a_planned_signature(
    app: Flask, world: World, session: Session
) -> None:
    kit = _plan(app, world, session, local_today() - timedelta(days=10))
    staff = sign_in(app.test_client(), world.coordinator)
    nav = staff.get("/coordination/").get_data(as_text=True)
    assert "/coordination/kits/retards" in nav
    page = unescape(staff.get("/coordination/kits/retards").get_data(as_text=True))
    late = session.scalars(
        select(WelcomeKitItem).where(
            WelcomeKitItem.kit_id == kit.id, WelcomeKitItem.due_on < local_today()
        )
    ).all()
    assert late
    for item in late:
        assert item.label in page
    assert world.employer.name in page
    assert re.search(r"10\s+jours", page)  # the first day, 10 days ago
    for bad in ("", "32/13/2026", "bientôt"):
        answer = post(
            staff,
            f"/coordination/kits/binomes/{world.suggestion.id}/signature-prevue",
            {"start_on": bad},
        )
        assert answer.status_code == 302
        followed = staff.get(answer.headers["Location"]).get_data(as_text=True)
        assert "flash-error" in followed
