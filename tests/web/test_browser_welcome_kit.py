"""The welcome kit in a real browser (issue 19): a coordinator signs a pair, the structure finds
its kit, ticks an item and downloads the kit's PDF (its text read back); the apprentice reads
their booklet; coordinators read the overdue items and the templates. axe checks each new page
(no serious or critical violation).

One engine (SQLite): the pages run on both engines in tests/web/test_welcome_kit_web.py.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from data.models import Role, SuggestionStatus
from data.presentation.formatters import PARIS
from data.presentation.labels import label
from tests.data import factories as f
from tests.web.conftest import pdf_text
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    _set_session,
    _violations,
    browser,
    live,
    page,
)

pytestmark = [pytest.mark.browser, pytest.mark.one_engine]


def test_from_a_signed_pair_to_the_structure_ticking_and_downloading_its_kit(
    live,  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    app, base = live
    employer_user = f.make_user(session, Role.EMPLOYER)
    offer = f.make_offer(session, f.make_site(session, employer_user.employer), places=1)
    candidate_user = f.make_user(session, Role.CANDIDATE)
    request = f.make_request(session, candidate_user.candidate, age_band="18-20")
    pair = f.make_suggestion(session, request, offer, status=SuggestionStatus.INTERVIEW)
    coordinator = f.make_user(session, Role.COORDINATOR)
    session.commit()
    today = datetime.now(PARIS).date()
    failures: list[str] = []

    # The coordinator records the signed contract, started ten days ago.
    _set_session(page, app, base, coordinator)
    page.goto(f"{base}/coordination/suggestions/{pair.id}")
    signed = label(SuggestionStatus.CONTRACT_SIGNED)
    page.get_by_label("Date de signature").first.fill((today - timedelta(days=20)).isoformat())
    page.get_by_label("Date de début du contrat").first.fill(
        (today - timedelta(days=10)).isoformat()
    )
    page.get_by_role("button", name="Vérifier puis enregistrer le contrat signé").click()
    page.get_by_role("button", name=f"Confirmer : {signed}").click()
    expect(page.locator(".flash-success")).to_be_visible()
    page.get_by_role("link", name="Voir le kit d'accueil").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Kit d'accueil de")
    expect(page.locator("tr.kit-late").first).to_contain_text("En retard")
    failures += _violations(page)
    page.goto(base + "/coordination/kits/retards")
    expect(page.get_by_role("row", name="Désigner le maître d'apprentissage")).to_contain_text(
        "40 jours"
    )
    failures += _violations(page)
    page.get_by_role("link", name="Modifier les modèles du kit d'accueil").click()
    failures += _violations(page)
    page.get_by_role("link", name="Modifier : Bienvenue").click()
    page.get_by_role("button", name="Aperçu").click()
    expect(page.get_by_role("heading", name="Aperçu")).to_be_visible()
    failures += _violations(page)
    page.goto(base + "/coordination/kits/modeles")
    page.get_by_role("link", name="historique : Bienvenue").click()
    expect(page.get_by_role("cell", name="Version actuelle")).to_be_visible()
    failures += _violations(page)

    # The structure finds its kit from its dashboard, ticks an item, downloads the PDF.
    _set_session(page, app, base, employer_user)
    page.goto(base + "/employeur/")
    page.get_by_role("link", name="nos kits d'accueil").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nos kits d'accueil")
    failures += _violations(page)
    page.get_by_role("link", name="Léa Dupont").click()
    row = page.get_by_role("row", name="Désigner le maître d'apprentissage")
    expect(row).to_contain_text("En retard de 40 jours")
    row.get_by_role("button", name="Marquer comme fait").click()
    expect(page.locator(".flash-success")).to_contain_text("fait")
    row = page.get_by_role("row", name="Désigner le maître d'apprentissage")
    expect(row).to_contain_text("Fait le")
    expect(row.get_by_role("button", name="Décocher")).to_be_visible()
    failures += _violations(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger le kit (PDF)").click()
    data = download.value.path().read_bytes()
    text = pdf_text(data)
    assert "Kit d'accueil de Léa Dupont" in text
    assert "Désigner le maître d'apprentissage" in text and "Fait le" in text
    assert "783,90" in text  # 43 % of the SMIC of 2026, the first year at 18-20

    # The apprentice reads the booklet.
    _set_session(page, app, base, candidate_user)
    page.goto(base + "/candidat/")
    page.get_by_role("link", name="lisez votre livret d'accueil").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mon livret d'accueil")
    expect(page.locator("main")).to_contain_text("médiateur de l'apprentissage")
    failures += _violations(page)
    assert failures == []
