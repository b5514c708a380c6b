"""« Se loger » in a real browser (issue 17): the housing list, a filter, the map's markers, a
resource's page and the housing near an offer, with axe checking each page (no serious or
critical violation).

One engine (SQLite): the queries run on both engines in tests/web/test_housing_public.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from data.models import HousingKind
from tests.data import factories as f
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    _violations,
    browser,
    live,
    page,
)
from tests.web.test_housing_public import AMBERIEU, PERONNAS

pytestmark = [pytest.mark.browser, pytest.mark.one_engine]


def test_a_person_finds_housing_near_an_offer(
    live,  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    _app, base = live
    fjt = f.make_housing_resource(
        session,
        name="FJT Les Tilleuls (démo)",
        address="5 avenue de la Gare",
        contact_email="accueil@tilleuls.example.org",
    )
    f.make_housing_resource(
        session,
        name="Internat du Bugey (démo)",
        kind=HousingKind.BOARDING,
        commune_insee=AMBERIEU,
        monthly_cost_eur=150,
    )
    f.make_housing_resource(
        session,
        name="Chambre chez l'habitant (démo)",
        kind=HousingKind.HOST_FAMILY,
        commune_insee=PERONNAS,
        address="3 impasse des Lilas",
        contact_phone="06 12 34 56 78",
    )
    offer = f.make_offer(session)  # aide-soignant in Bourg-en-Bresse
    session.commit()
    failures: list[str] = []

    page.goto(base + "/")
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Se loger"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Se loger : les logements pour les apprentis"
    )
    expect(page.get_by_role("status")).to_contain_text("3 logements trouvés")
    expect(page.get_by_role("link", name="Internat du Bugey (démo)")).to_be_visible()
    expect(page.get_by_text("impasse des Lilas")).to_have_count(0)
    failures += _violations(page)

    # Filter: near Bourg-en-Bresse, 10 km, cost at most 400 € a month: the internat is out.
    page.get_by_label("Commune").fill("Bourg-en-Bresse")
    page.get_by_label("Distance maximale").select_option("10")
    page.get_by_label("Coût mensuel maximal").fill("400")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("status")).to_contain_text("2 logements trouvés")
    expect(page.get_by_role("link", name="Internat du Bugey (démo)")).to_have_count(0)

    # The same filters on the map: one marker per resource (offline Leaflet, no tiles).
    page.get_by_role("link", name="Voir sur la carte").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("la carte des logements")
    expect(page.locator("#carte .leaflet-interactive")).to_have_count(2)
    failures += _violations(page)

    # A bad filter: French messages, the form kept.
    page.get_by_label("Coût mensuel maximal").fill("beaucoup")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.locator(".error-summary")).to_contain_text("Indiquez un nombre entier d'euros")
    failures += _violations(page)

    # A resource's page, with its address and contact (an organisation).
    page.goto(base + "/se-loger")
    page.get_by_role("link", name="FJT Les Tilleuls (démo)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("FJT Les Tilleuls (démo)")
    expect(page.locator("dl.facts").first).to_contain_text("5 avenue de la Gare")
    expect(page.get_by_role("link", name="accueil@tilleuls.example.org")).to_be_visible()
    failures += _violations(page)

    # The offer's page: the housing within 10 km, a link to each.
    page.goto(f"{base}/offres/{offer.id}")
    section = page.locator("section", has=page.get_by_role("heading", name="Se loger à proximité"))
    expect(section.get_by_role("link", name="FJT Les Tilleuls (démo)")).to_be_visible()
    expect(section.get_by_role("link", name="Chambre chez l'habitant (démo)")).to_be_visible()
    expect(section.get_by_role("link", name="Internat du Bugey (démo)")).to_have_count(0)
    failures += _violations(page)
    section.get_by_role("link", name="FJT Les Tilleuls (démo)").click()
    expect(page).to_have_url(f"{base}/se-loger/{fjt.id}")
    assert failures == []
