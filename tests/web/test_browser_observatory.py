"""The observatory in a real browser (issue 20): a visitor reads the public page (charts drawn
from their tables, the map of the Ain's intercommunalities, the secret spelled out), downloads a
figure's data and finds the open-data files; a coordinator reads the whole figures. axe checks
each page (no serious or critical violation).

One engine (SQLite): the figures' computations run on both engines in their own tests.
"""

from __future__ import annotations

import csv
import io

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
from tests.web.test_observatory_web import _month_of_requests

pytestmark = [pytest.mark.browser, pytest.mark.one_engine]


def test_a_visitor_reads_the_observatory_and_a_coordinator_the_whole_figures(
    live,  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    app, base = live
    _month_of_requests(session)
    coordinator = f.make_user(session, Role.COORDINATOR)
    session.commit()
    errors: list[str] = []
    page.on("pageerror", lambda e: errors.append(str(e)))
    page.emulate_media(reduced_motion="reduce")
    failures: list[str] = []

    page.goto(base + "/")
    page.get_by_role("link", name="Observatoire").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("Observatoire")
    funnel = page.locator("#entonnoir-funnel")
    expect(funnel).to_have_attribute("data-drawn", "")
    expect(funnel.get_by_role("img")).to_be_visible()
    expect(funnel.locator("tbody tr").first).to_contain_text("14")
    series = page.locator("#series-parcours-line")
    expect(series).to_have_attribute("data-drawn", "")
    choropleth = page.locator("#tension-par-territoire-carte")
    expect(choropleth).to_have_attribute("data-drawn", "")
    expect(choropleth.locator("path.leaflet-interactive")).to_have_count(17)
    expect(page.locator("td.cell-secret").first).to_have_text("secret statistique")
    failures += _violations(page)

    with page.expect_download() as download:
        page.get_by_role("link", name="Télécharger les données de ce graphique (CSV)").first.click()
    rows = list(csv.DictReader(io.StringIO(download.value.path().read_text(encoding="utf-8"))))
    assert [r["etape"] for r in rows][0] == "Demandes déposées" and rows[0]["nombre"] == "14"

    page.get_by_role("link", name="données ouvertes").first.click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Données ouvertes")
    expect(
        page.get_by_role("link", name="Télécharger en CSV : Évolution mois par mois")
    ).to_be_visible()
    failures += _violations(page)

    _set_session(page, app, base, coordinator)
    page.goto(base + "/coordination/")
    page.get_by_role("link", name="Observatoire", exact=True).first.click()
    expect(page.get_by_role("heading", name="Aujourd'hui")).to_be_visible()
    expect(page.locator("#par-territoire-bar td.cell-secret")).to_have_count(0)
    failures += _violations(page)
    assert failures == []
    assert errors == []
