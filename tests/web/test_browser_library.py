"""« Mallette de l'alternance » in a real browser (issue 18): a coordinator writes and publishes a
resource, a reader searches for it without accents and opens it; axe checks each page (no
serious or critical violation).

One engine (SQLite): the search runs on both engines in tests/data/test_library.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from data.actor import SYSTEM
from data.models import Role
from data.operations import library as ops
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


def test_a_coordinator_publishes_and_a_reader_finds_it(
    live,  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    app, base = live
    ops.create_resource(
        session,
        SYSTEM,
        title="Le financement de l'apprentissage",
        summary="Qui paie la formation de l'apprenti.",
        category="funding",
        audiences=["employers"],
        up_to_date_on="2026-09-01",
        published=True,
    )
    coordinator = f.make_user(session, Role.COORDINATOR)
    session.commit()
    failures: list[str] = []

    # The coordinator writes a resource and publishes it.
    _set_session(page, app, base, coordinator)
    page.goto(base + "/mallette/gestion")
    failures += _violations(page)
    page.get_by_role("link", name="Ajouter une ressource").click()
    page.get_by_label("Titre").fill("Modalités de stage en EHPAD")
    page.get_by_label("Résumé").fill("La convention, la gratification, les horaires.")
    page.get_by_label("Texte (facultatif)").fill("## La convention\n\nSignée **avant** le stage.")
    page.get_by_label("Thème").select_option("internship")
    page.get_by_label("Candidats").check()
    page.get_by_label("À jour au").fill("2026-11-02")
    page.get_by_label("Publier cette ressource dans la mallette").check()
    failures += _violations(page)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.get_by_role("cell", name="Modalités de stage en EHPAD", exact=True)).to_be_visible()

    # A reader, not signed in, searches without accents and opens it.
    _clear_session(page)
    page.goto(base + "/")
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Mallette"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Mallette de l'alternance")
    failures += _violations(page)
    page.get_by_label("Rechercher").fill("modalites stage")
    page.get_by_role("button", name="Rechercher").click()
    expect(page.get_by_role("status")).to_contain_text("1 ressource trouvée")
    expect(page.get_by_text("à jour au 2 novembre 2026")).to_be_visible()
    failures += _violations(page)
    page.get_by_role("link", name="Modalités de stage en EHPAD").click()
    expect(page.get_by_role("heading", level=2)).to_have_text("La convention")
    expect(page.locator(".prose strong")).to_have_text("avant")
    failures += _violations(page)
    assert failures == []
