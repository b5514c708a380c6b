"""« Se former » in a real browser (issue 16): the centres' list and map, a filter, a centre's
page, with axe checking each page (no serious or critical violation).

One engine (SQLite): the queries run on both engines in tests/web/test_training_public.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from tests.data import factories as f
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    _violations,
    browser,
    live,
    page,
)
from tests.web.test_training_public import make_centre

pytestmark = [pytest.mark.browser, pytest.mark.one_engine]


def test_a_person_finds_a_centre_near_home_and_its_offers(
    live,  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    _app, base = live
    make_centre(session, "IFAS du Revermont (démo)")
    make_centre(
        session,
        "École de travail social du Haut-Bugey (démo)",
        commune=f.OYONNAX,
        metier="accompagnant-educatif-social",
    )
    offer = f.make_offer(session)  # aide-soignant in Bourg-en-Bresse
    session.commit()
    failures: list[str] = []

    page.goto(base + "/")
    page.get_by_role("navigation", name="Menu principal").get_by_role(
        "link", name="Se former"
    ).click()
    expect(page.get_by_role("heading", level=1)).to_have_text(
        "Se former : les centres de formation"
    )
    expect(page.get_by_role("link", name="IFAS du Revermont (démo)")).to_be_visible()
    expect(
        page.get_by_role("link", name="École de travail social du Haut-Bugey (démo)")
    ).to_be_visible()
    # The map draws one marker per centre (offline Leaflet, no tiles).
    expect(page.locator("#carte .leaflet-interactive")).to_have_count(2)
    failures += _violations(page)

    # Filter: near Bourg-en-Bresse, 20 km: the Haut-Bugey's centre is out.
    page.get_by_label("Commune").fill("Bourg-en-Bresse")
    page.get_by_label("Distance maximale").select_option("20")
    page.get_by_role("button", name="Filtrer").click()
    expect(page.get_by_role("status")).to_contain_text("1 centre trouvé")
    expect(
        page.get_by_role("link", name="École de travail social du Haut-Bugey (démo)")
    ).to_have_count(0)
    expect(page.locator("#carte .leaflet-interactive")).to_have_count(1)
    failures += _violations(page)

    # The centre's page: its programme, its next session, the offer within reach.
    page.get_by_role("link", name="IFAS du Revermont (démo)").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("IFAS du Revermont (démo)")
    expect(page.get_by_role("table")).to_contain_text("Inscriptions ouvertes")
    page.locator(f'a[href="/offres/{offer.id}"]').click()
    expect(page).to_have_url(f"{base}/offres/{offer.id}")
    page.go_back()
    failures += _violations(page)
    assert failures == []
