"""The housing survey's form in a real browser (issue 17): open the link of the mail, answer,
see the confirmation, come back and edit; axe checks each page (no serious or critical violation).

One engine (SQLite): the operations run on both engines in tests/data/test_housing_survey.py.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.models import HousingResource, Role, StructureKind
from data.models.mail import OutboxMessage
from data.operations import housing_survey as ops
from tests.data import factories as f
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    _violations,
    browser,
    live,
    page,
)

pytestmark = [pytest.mark.browser, pytest.mark.one_engine]


def test_a_structure_answers_the_survey_from_its_mail_then_edits(
    live,  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    _app, base = live
    employer = f.make_employer(session, kind=StructureKind.FOYER_VIE, name="Foyer Les Saules")
    f.make_site(session, employer, commune_insee=f.OYONNAX)
    coordinator = Actor.user(f.make_user(session, Role.COORDINATOR))
    survey = ops.create_survey(
        session, coordinator, title="Recensement de l'hiver", structure_kinds=["foyer_vie"]
    )
    ops.send_survey(session, coordinator, survey, base_url=base)
    session.commit()
    mail = session.scalars(select(OutboxMessage).where(OutboxMessage.kind == ops.INVITE_KIND)).one()
    link = re.search(r"http://\S+/logement/recensement/\S+", mail.text)
    assert link is not None
    failures: list[str] = []

    page.goto(link.group(0))
    expect(page.get_by_role("heading", level=1)).to_have_text("Pouvez-vous loger un apprenti ?")
    expect(page.get_by_text("pour Foyer Les Saules")).to_be_visible()
    failures += _violations(page)

    # A « oui » without beds: the form says what is missing, in French.
    page.get_by_role("radio", name="Oui").check()
    page.get_by_role("button", name="Envoyer ma réponse").click()
    expect(page.get_by_role("alert")).to_contain_text("Nombre de lits")
    failures += _violations(page)

    page.get_by_role("radio", name="Oui").check()
    page.get_by_label("Type de logement").select_option(label="Chambre ou studio d'établissement")
    page.get_by_label("Nombre de lits").fill("2")
    page.get_by_label("Coût mensuel").fill("300")
    page.get_by_role("button", name="Envoyer ma réponse").click()
    expect(page.get_by_role("status")).to_contain_text("Merci : votre réponse est enregistrée.")
    expect(page.locator("#reponse")).to_contain_text("300 € par mois")
    expect(page.locator("#reponse")).to_contain_text("vérifiera ce logement avec vous")
    failures += _violations(page)

    # Back later through the same link: the answer is there, and editable.
    page.goto(link.group(0))
    expect(page.get_by_role("heading", name="Modifier votre réponse")).to_be_visible()
    expect(page.get_by_label("Nombre de lits")).to_have_value("2")
    page.get_by_label("Nombre de lits").fill("3")
    page.get_by_role("button", name="Enregistrer les modifications").click()
    expect(page.get_by_role("status")).to_contain_text("Merci : votre réponse est enregistrée.")
    expect(page.locator("#reponse")).to_contain_text("3")
    failures += _violations(page)

    session.expire_all()
    resource = session.scalars(
        select(HousingResource).where(HousingResource.employer_id == employer.id)
    ).one()
    assert (resource.beds, resource.published, resource.commune_insee) == (3, False, f.OYONNAX)
    assert failures == []
