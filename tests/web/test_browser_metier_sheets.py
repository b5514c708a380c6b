"""« Les métiers » in a real browser (issue 18): a young person finds a métier from the menu,
reads its sheet, its figures and its small map, and opens an offer; a coordinator previews and
saves an edit, then restores the seed from the history. axe checks each page (no serious or
critical violation).

One engine (SQLite): the pages run on both engines in tests/web/test_metier_sheets_web.py.
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
from tests.web.test_training_public import make_centre

pytestmark = [pytest.mark.browser, pytest.mark.one_engine]


def test_a_young_person_reads_a_sheet_and_a_coordinator_edits_it(
    live,  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    app, base = live
    offer = f.make_offer(session)  # aide-soignant in Bourg-en-Bresse
    f.make_offer(session, metier_code="aide-soignant")
    make_centre(session, "IFAS du Revermont (démo)")
    coordinator = f.make_user(session, Role.COORDINATOR)
    session.commit()
    failures: list[str] = []

    page.goto(base + "/")
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Les métiers"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Les métiers")
    failures += _violations(page)

    page.get_by_role("link", name="Aide-soignant", exact=True).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Aide-soignant / Aide-soignante")
    expect(
        page.get_by_role("heading", name="Le métier et les personnes accompagnées")
    ).to_be_visible()
    expect(page.get_by_text("2 offres d’apprentissage publiées")).to_be_visible()
    expect(page.get_by_role("table", name="Les centres de formation")).to_contain_text(
        "IFAS du Revermont (démo)"
    )
    # What an apprentice earns: under 18, first year, 27 % of the SMIC of 2026.
    pay = page.get_by_role("table", name="Salaire brut minimum par mois")
    expect(pay.get_by_role("row", name="16 ou 17 ans")).to_contain_text("492,22\u202f€ (27 %)")
    # The small map draws the métier's two offers (offline Leaflet, no tiles).
    expect(page.locator("#carte .leaflet-interactive")).to_have_count(2)
    failures += _violations(page)
    page.locator(f'a[href="/offres/{offer.id}"]').first.click()
    expect(page).to_have_url(f"{base}/offres/{offer.id}")
    page.get_by_role("link", name="Découvrir le métier : Aide-soignant").click()
    expect(page).to_have_url(f"{base}/metiers/aide-soignant")

    _set_session(page, app, base, coordinator)
    page.goto(base + "/metiers/aide-soignant")
    page.get_by_role("link", name="Modifier la fiche").click()
    failures += _violations(page)
    page.get_by_label("Texte de la fiche").fill(
        "## Le métier\n\nAider au quotidien. <script>document.title='piégé'</script>"
    )
    page.get_by_role("button", name="Aperçu").click()
    expect(page.get_by_role("heading", name="Aperçu (non enregistré)")).to_be_visible()
    failures += _violations(page)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_text("La fiche métier est enregistrée.")).to_be_visible()
    expect(page.get_by_text("Aider au quotidien. <script>")).to_be_visible()  # shown as text
    assert page.title() != "piégé"

    page.get_by_role("link", name="Historique des versions").click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Historique de la fiche Aide-soignant"
    )
    failures += _violations(page)
    page.get_by_role("button", name="Rétablir cette version").click()
    expect(
        page.get_by_text("La version choisie est de nouveau le texte de la fiche.")
    ).to_be_visible()
    page.goto(base + "/metiers/aide-soignant")
    expect(
        page.get_by_role("heading", name="Le métier et les personnes accompagnées")
    ).to_be_visible()
    assert failures == []
