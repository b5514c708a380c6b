"""The plan's roadmap in a real browser (issue 20): a visitor reads the public « Feuille de route
du plan » from the footer; a coordinator adds a budget line with a typing slip, reads the French
message, mends it and marks the action done, which the public page then shows. axe checks each
page (no serious or critical violation).

One engine (SQLite): the pages run on both engines in tests/web/test_plan.py.
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

LAB = "Création d'un « lab » innovation"


def test_the_public_roadmap_and_a_coordinator_keeping_an_action(
    live,  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    app, base = live
    coordinator = f.make_user(session, Role.COORDINATOR)
    session.commit()
    failures: list[str] = []

    page.goto(base + "/")
    page.get_by_role("link", name="Feuille de route du plan").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Feuille de route du plan")
    axis_4 = page.get_by_role("region", name="Axe 4 : Logement, mobilité")
    expect(axis_4).to_contain_text("sur 18 annoncées")
    expect(axis_4.get_by_role("row", name=LAB)).to_contain_text("Prévue")
    failures += _violations(page)

    _set_session(page, app, base, coordinator)
    page.goto(base + "/coordination/plan")
    failures += _violations(page)
    page.get_by_role("link", name=LAB).click()
    page.get_by_label("Année").fill("2025")
    page.get_by_label("Montant en euros").fill("12 500,555")
    page.get_by_label("Cofinanceur (obligatoire)").select_option(label="CNSA")
    page.get_by_role("button", name="Ajouter la ligne de budget").click()
    expect(page.locator(".error-summary")).to_contain_text("Montant en euros attendu")
    failures += _violations(page)
    page.get_by_label("Montant en euros").fill("12 500,55")
    page.get_by_role("button", name="Ajouter la ligne de budget").click()
    expect(page.get_by_role("row", name="2025 CNSA")).to_contain_text("12")
    page.get_by_role("button", name="Passer à « Réalisée »").click()
    expect(page.locator(".flash-success")).to_contain_text("statut")
    failures += _violations(page)

    page.goto(base + "/feuille-de-route")
    expect(
        page.get_by_role("region", name="Axe 4 : Logement, mobilité").get_by_role("row", name=LAB)
    ).to_contain_text("Réalisée")
    assert failures == []
