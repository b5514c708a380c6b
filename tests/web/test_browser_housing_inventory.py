"""The housing inventory's pages in a real browser (issue 17): a coordinator adds a partner's
hostel through the form (first with mistakes), finds it with the filters and publishes it; a
structure sees its own. axe checks each page (no serious or critical violation).

One engine (SQLite): the pages run on both engines in tests/web/test_housing_web.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from data.models import Role
from tests.data import factories as f
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    _set_session,
    _violations,
    browser,
    live,
    page,
)

pytestmark = [pytest.mark.browser, pytest.mark.one_engine]


def test_a_coordinator_adds_a_hostel_and_a_structure_sees_its_own(
    live,  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    app, base = live
    coordinator = f.make_user(session, Role.COORDINATOR)
    employer_user = f.make_user(session, Role.EMPLOYER)
    f.make_site(session, employer_user.employer, beds=2, name="EHPAD Les Mimosas (démo)")
    session.commit()
    failures: list[str] = []

    _set_session(page, app, base, coordinator)
    page.goto(base + "/coordination/")
    page.get_by_role("navigation", name="Coordination").get_by_role(
        "link", name="Logements", exact=True
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Logements pour les apprentis")
    failures += _violations(page)

    page.get_by_role("link", name="Ajouter un logement").click()
    page.get_by_label("Nom du logement").fill("Foyer Les Tilleuls (démo)")
    page.get_by_label("Type de logement").select_option("fjt")
    page.get_by_role("combobox", name="Commune").fill("Oyonnax")
    page.get_by_label("Nombre de lits").fill("20")
    page.get_by_label("Lits occupés").fill("25")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".error-summary")).to_be_visible()
    expect(page.locator(".error-summary")).to_contain_text("Indiquez un seul gestionnaire")
    expect(page.locator(".error-summary")).to_contain_text("Les lits occupés ne peuvent pas")
    failures += _violations(page)

    page.get_by_role("textbox", name="Organisme partenaire").fill("Habitat Jeunes (démo)")
    page.get_by_label("Lits occupés").fill("12")
    page.get_by_label("Aide personnalisée au logement (APL)").check()
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash")).to_contain_text("Le logement est enregistré.")
    page.get_by_label("Type de logement").select_option("fjt")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("status")).to_contain_text("1 logement")
    expect(page.get_by_role("row", name="Foyer Les Tilleuls (démo)")).to_contain_text("8 sur 20")
    page.get_by_role("button", name="Publier").click()
    expect(page.get_by_role("row", name="Foyer Les Tilleuls (démo)")).to_contain_text("Publié")
    failures += _violations(page)
    page.goto(base + "/coordination/logements/import")
    failures += _violations(page)

    _set_session(page, app, base, employer_user)
    page.goto(base + "/employeur/")
    page.get_by_role("link", name="voir et gérer nos logements").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nos logements")
    expect(page.get_by_role("link", name="EHPAD Les Mimosas (démo)")).to_be_visible()
    expect(page.get_by_text("Foyer Les Tilleuls (démo)")).to_have_count(0)
    failures += _violations(page)
    page.get_by_role("link", name="EHPAD Les Mimosas (démo)").click()
    expect(page.get_by_text("se modifient sur la fiche du lieu")).to_be_visible()
    failures += _violations(page)
    assert failures == []
