"""A discovery of a métier in a real browser (issue 18), from the structure's days to the
person's apprenticeship request: the structure opens days, the person asks from the métier's
sheet, the coordination approves, the job runs, the person answers by the mail's link and turns
the discovery into a request, prefilled; axe checks each new page (no serious or critical
violation).

One engine (SQLite): the operations run on both engines in tests/data/test_discovery.py.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, time, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.discovery_engine import recompute_discovery
from data.models import DiscoveryWish, Role
from data.models.mail import OutboxMessage
from data.operations import discovery as ops
from data.operations._common import local_today
from tests.data import factories as f
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    _clear_session,
    _set_session,
    _violations,
    browser,
    live,
    page,
)

pytestmark = [pytest.mark.browser, pytest.mark.one_engine]

FIRST = local_today() + timedelta(days=21)


def test_a_discovery_from_the_ask_to_the_feedback_and_the_request(
    live,  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    app, base = live
    employer_user = f.make_user(session, Role.EMPLOYER)
    f.make_site(
        session, employer_user.employer, name="Résidence du Parc", address="3 rue des Lilas"
    )
    candidate_user = f.make_user(session, Role.CANDIDATE)
    coordinator = f.make_user(session, Role.COORDINATOR)
    session.commit()
    failures: list[str] = []

    # The structure opens two days.
    _set_session(page, app, base, employer_user)
    page.goto(f"{base}/employeur/decouvertes/")
    failures += _violations(page)
    page.get_by_role("link", name="Ouvrir des journées de découverte").click()
    page.get_by_label("Établissement").select_option(label="Résidence du Parc (Bourg-en-Bresse)")
    page.get_by_label("Métier à découvrir").select_option(value="aide-soignant")
    page.get_by_label("Premier jour").fill(FIRST.isoformat())
    page.get_by_label("Dernier jour").fill((FIRST + timedelta(days=8)).isoformat())
    page.get_by_label("Nombre de personnes accueillies").fill("1")
    page.get_by_label("Personne qui accueille").fill("Sophie Bernard")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("alert")).to_contain_text("Dernier jour")  # nine days: too long
    failures += _violations(page)
    page.get_by_label("Dernier jour").fill((FIRST + timedelta(days=1)).isoformat())
    page.get_by_label("À apporter").fill("Chaussures fermées")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Découverte du métier Aide-soignant")
    failures += _violations(page)

    # The person asks from the métier's sheet.
    _set_session(page, app, base, candidate_user)
    page.goto(f"{base}/metiers/aide-soignant")
    page.get_by_role("link", name="Essayer ce métier").click()
    expect(page.get_by_label("Le métier à découvrir")).to_have_value("aide-soignant")
    page.get_by_label("Ma commune").fill("Bourg-en-Bresse")
    page.get_by_label("Disponible à partir du").fill(local_today().isoformat())
    page.get_by_label("Disponible jusqu'au").fill((FIRST + timedelta(days=30)).isoformat())
    page.get_by_label("Mon âge").select_option(value="18-20")
    failures += _violations(page)
    page.get_by_role("button", name="Envoyer ma demande").click()
    expect(page.get_by_role("status")).to_contain_text(
        "Votre demande de découverte est enregistrée"
    )
    failures += _violations(page)

    # The engine proposes; the coordination approves.
    recompute_discovery(session, today=local_today())
    session.commit()
    _set_session(page, app, base, coordinator)
    page.goto(f"{base}/coordination/decouvertes/")
    failures += _violations(page)
    page.get_by_role("button", name="Approuver et prévoir la venue").click()
    expect(page.get_by_role("status")).to_contain_text("Découverte prévue")

    # The person sees every detail and the summary to print.
    _set_session(page, app, base, candidate_user)
    page.goto(f"{base}/candidat/decouvertes/")
    expect(page.get_by_text("Chaussures fermées")).to_be_visible()
    expect(
        page.get_by_role("link", name="Télécharger le récapitulatif à imprimer (PDF)")
    ).to_be_visible()
    failures += _violations(page)

    # The days are over: the job marks the discovery done and sends the questionnaires.
    after = datetime.combine(FIRST + timedelta(days=3), time(9), tzinfo=UTC)
    ops.finish_past_discoveries(session, Actor.job("discovery"), now=after)
    ops.send_due_questionnaires(session, base_url=base, now=after)
    session.commit()
    mail = session.scalars(
        select(OutboxMessage).where(
            OutboxMessage.kind == "questionnaire",
            OutboxMessage.recipient == candidate_user.candidate.email,
        )
    ).one()
    link = re.search(r"http://\S+/questionnaire/\S+", mail.text)
    assert link is not None

    # Answered by the link, signed out.
    _clear_session(page)
    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Votre découverte du métier")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    expect(page.get_by_role("alert")).to_contain_text("La découverte vous a plu ?")
    failures += _violations(page)
    for question in ("La découverte vous a-t-elle plu ?", "Envisagez-vous un apprentissage"):
        page.get_by_role("group", name=re.compile(re.escape(question))).get_by_label(
            "Oui", exact=True
        ).check()
    page.get_by_role("group", name=re.compile("bien accueilli")).get_by_label("Plutôt oui").check()
    page.get_by_label("Un mot de plus ?").fill("Une équipe très accueillante")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    expect(page.get_by_role("status")).to_contain_text("Merci : vos réponses sont enregistrées.")
    failures += _violations(page)

    # One click: signed in, the request form prefilled; the person confirms.
    _set_session(page, app, base, candidate_user)
    page.goto(link.group(0))
    page.get_by_role("link", name="Transformer cette découverte en demande d'apprentissage").click()
    expect(page.get_by_text("Prérempli à partir de votre découverte")).to_be_visible()
    expect(page.get_by_label("Ma commune")).to_have_value(re.compile("Bourg-en-Bresse"))
    failures += _violations(page)
    page.get_by_role("button", name="Enregistrer ma demande").click()
    expect(page.get_by_role("status")).to_contain_text("Votre demande est enregistrée.")

    session.expire_all()
    wish = session.scalars(select(DiscoveryWish)).one()
    assert wish.request is not None
    assert wish.request.metier_codes == ["aide-soignant"]
    assert wish.request.commune_insee == f.BOURG and wish.request.age_band.value == "18-20"
    assert failures == []
