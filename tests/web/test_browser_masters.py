"""« Nos maîtres d'apprentissage » in a real browser (issue 19): a structure declares a master
(first with mistakes), names them on its offer, reads their places left; axe checks each page (no
serious or critical violation).

One engine (SQLite): the pages run on both engines in tests/web/test_masters_web.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from data.models import Offer, Role
from tests.data import factories as f
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    _set_session,
    _violations,
    browser,
    live,
    page,
)

pytestmark = [pytest.mark.browser, pytest.mark.one_engine]


def test_a_structure_declares_a_master_and_names_them_on_its_offer(
    live,  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    app, base = live
    employer_user = f.make_user(session, Role.EMPLOYER)
    offer = f.make_offer(session, f.make_site(session, employer_user.employer))
    session.commit()
    failures: list[str] = []

    _set_session(page, app, base, employer_user)
    page.goto(base + "/employeur/")
    page.get_by_role("link", name="voir et gérer nos maîtres d'apprentissage").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Nos maîtres d'apprentissage")
    expect(page.get_by_text("au plus 2 apprentis à la fois")).to_be_visible()
    failures += _violations(page)

    page.get_by_role("link", name="Ajouter un maître d'apprentissage").click()
    page.get_by_label("Prénom et nom").fill("Sophie Bernard (démo)")
    page.get_by_label("Fonction").fill("Aide-soignante")
    page.get_by_label("Années d'expérience dans le métier").fill("-2")
    page.get_by_role("button", name="Enregistrer").click()
    summary = page.locator(".error-summary")
    expect(summary).to_contain_text("Diplôme : Ce champ est obligatoire.")
    expect(summary).to_contain_text("Années d'expérience dans le métier : La valeur doit être")
    failures += _violations(page)

    page.get_by_label("Diplôme ou titre").fill("DEAS")
    page.get_by_label("Années d'expérience dans le métier").fill("12")
    page.get_by_label("Apprentis déjà encadrés hors de Passerelle").fill("1")
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash-success")).to_contain_text("est enregistré")
    row = page.get_by_role("row", name="Sophie Bernard (démo)")
    expect(row).to_contain_text("12 ans")
    expect(row.get_by_role("cell").nth(5)).to_have_text("1")  # two places, one taken
    failures += _violations(page)

    page.goto(f"{base}/employeur/offres/{offer.id}/modifier")
    page.get_by_role("combobox", name="Maître d'apprentissage déclaré").select_option(
        label="Sophie Bernard (démo) (Aide-soignante)"
    )
    failures += _violations(page)
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash-success")).to_be_visible()
    session.expire_all()
    named = session.get(Offer, offer.id)
    assert named is not None and named.master_id is not None

    page.goto(base + "/employeur/maitres-apprentissage")
    expect(page.get_by_role("row", name="Sophie Bernard (démo)")).to_contain_text("Aide-soignant")
    assert failures == []
