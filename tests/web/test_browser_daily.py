"""Issue 15 in a real browser: the daily paths of each role, as people walk them, with axe
checking every new page (no serious or critical violation).

One engine (SQLite): what the pages do on PostgreSQL is the other tests' subject; here the
browser, the forms, the links and the scripts are.
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
    _sign_in_with_link,
    _violations,
    browser,
    live,
    page,
)

pytestmark = [pytest.mark.browser, pytest.mark.one_engine]


def test_coordinator_searches_sorts_exports_and_comes_back(
    live,  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    app, base = live
    employer = f.make_user(session, Role.EMPLOYER).employer
    assert employer is not None
    bourg = f.make_site(session, employer, name="EHPAD Les Tilleuls")
    oyonnax = f.make_site(session, employer, name="IME du Haut-Bugey", commune_insee=f.OYONNAX)
    offers = [f.make_offer(session, bourg, places=n) for n in (1, 3)]
    far = f.make_offer(session, oyonnax, metier_code="accompagnant-educatif-social")
    candidate = f.make_candidate(session, first_name="Inès")
    request = f.make_request(session, candidate)
    pairs = [f.make_suggestion(session, request, o, score=0.8) for o in (*offers, far)]
    coordinator = f.make_user(session, Role.COORDINATOR)
    session.commit()
    _set_session(page, app, base, coordinator)
    failures: list[str] = []

    # What needs action today comes first on the dashboard.
    page.goto(f"{base}/coordination/")
    expect(page.get_by_role("heading", name="À faire")).to_be_visible()
    failures += _violations(page)

    # The offers: a search by commune, a sort by a column, the export of exactly that list.
    page.goto(f"{base}/coordination/offres")
    page.get_by_label("Territoire (commune, 15 km autour)").fill("Bourg-en-Bresse")
    page.get_by_role("button", name="Rechercher").click()
    page.get_by_role("link", name="Places", exact=True).click()
    page.get_by_role("link", name="Places", exact=True).click()  # descending
    expect(page.locator("th[aria-sort=descending]")).to_contain_text("Places")
    rows = page.locator("tbody tr")
    expect(rows).to_have_count(2)
    expect(rows.first.locator("td").first).to_have_text(str(offers[1].id))
    failures += _violations(page)
    with page.expect_download() as download:
        page.get_by_role("link", name="CSV", exact=True).click()
    text = download.value.path().read_text(encoding="utf-8-sig")
    exported = list(csv.reader(io.StringIO(text), delimiter=";"))
    assert [r[0] for r in exported[1:]] == [str(offers[1].id), str(offers[0].id)]

    # A detail page's back link returns to the same list, search and sort kept.
    listed = page.url
    rows.first.get_by_role("link").first.click()
    page.get_by_role("link", name="Retour à la liste").click()
    assert page.url == listed

    # The review queue: two suggestions approved at once, after a confirmation naming them.
    page.goto(f"{base}/coordination/suggestions")
    for s in pairs[:2]:
        page.locator(f"#choisir-{s.id}").check()
    page.get_by_role("button", name="Approuver les suggestions choisies…").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text("2 mises en relation")
    failures += _violations(page)
    page.get_by_role("button", name="Confirmer et mettre en relation").click()
    expect(page.locator(".flash-success")).to_contain_text("2 mises en relation faites")

    # A note on a pair, dated and signed in its story.
    page.goto(f"{base}/coordination/suggestions/{pairs[0].id}")
    page.get_by_label("Ajouter une note").fill("Entretien prévu mardi à 10 h.")
    page.get_by_role("button", name="Enregistrer la note").click()
    expect(page.locator("ol.timeline")).to_contain_text("Entretien prévu mardi à 10 h.")
    failures += _violations(page)
    assert failures == []


def test_candidate_asks_for_an_offer_the_engine_did_not_suggest(
    live,  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    _app, base = live
    far_away = f.make_site(session, commune_insee=f.OYONNAX, name="Foyer de vie Le Lac")
    offer = f.make_offer(session, far_away, metier_code="accompagnant-educatif-social")
    user = f.make_user(session, Role.CANDIDATE, candidate=f.make_candidate(session))
    assert user.candidate is not None
    f.make_request(session, user.candidate, max_distance_km=10)
    session.commit()
    _sign_in_with_link(page, base, session, user)
    page.goto(f"{base}/offres/{offer.id}")
    expect(page.get_by_role("heading", name="Pourquoi pas cette offre ?")).to_be_visible()
    expect(page.get_by_text("Créer mon compte candidat")).to_have_count(0)
    failures = _violations(page)
    page.get_by_role("button", name="Cette offre m'intéresse").click()
    expect(page.locator(".flash-success")).to_be_visible()
    page.goto(f"{base}/offres/{offer.id}")
    expect(page.get_by_text("Vous avez dit que cette offre vous intéresse")).to_be_visible()
    failures += _violations(page)
    assert failures == []
