"""The budget on an offer in a real browser (issue 18): a candidate states an age band in the
request, then reads on an offer their estimated pay by contract year, the housing proposed with
their suggestion and what is left; axe checks each page (no serious or critical violation).

One engine (SQLite): the queries run on both engines in tests/data/test_pay.py.
"""

from __future__ import annotations

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from data.models import HousingSource, Role, SuggestionStatus
from tests.data import factories as f
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    _sign_in_with_link,
    _violations,
    browser,
    live,
    page,
)

pytestmark = [pytest.mark.browser, pytest.mark.one_engine]


def test_a_candidate_reads_the_budget_of_an_offer(
    live,  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    _app, base = live
    offer = f.make_offer(session)  # aide-soignant in Bourg-en-Bresse
    user = f.make_user(session, Role.CANDIDATE)
    request = f.make_request(session, user.candidate, needs_housing=True)
    foyer = f.make_housing_resource(
        session, name="Foyer des apprentis (démo)", monthly_cost_eur=380
    )
    f.make_suggestion(
        session,
        request,
        offer,
        status=SuggestionStatus.APPROVED,
        housing_source=HousingSource.RESOURCE,
        proposed_housing_id=foyer.id,
    )
    session.commit()
    failures: list[str] = []
    _sign_in_with_link(page, base, session, user)

    page.goto(f"{base}/offres/{offer.id}")
    budget = page.get_by_role("region", name="Votre budget")
    expect(budget).to_contain_text("Indiquez votre âge dans votre demande")
    failures += _violations(page)
    budget.get_by_role("link", name="Indiquer mon âge dans ma demande").click()
    page.get_by_label("Mon âge (facultatif)").select_option(label="De 18 à 20 ans")
    failures += _violations(page)
    page.get_by_role("button", name="Enregistrer").first.click()
    expect(page.locator(".flash-success")).to_be_visible()

    page.goto(f"{base}/offres/{offer.id}")
    table = page.get_by_role("table", name="Votre salaire brut estimé")
    expect(table).to_contain_text("de 18 à 20 ans")
    # 43 % of the SMIC of 2026 (1 823,03 €) = 783,90 €, less the foyer's 380 € = 403,90 €;
    # 67 % in the third year.
    first = table.get_by_role("row", name="1re année")
    expect(first).to_contain_text("783,90\u202f€")
    expect(first).to_contain_text("403,90\u202f€")
    expect(table.get_by_role("row", name="3e année")).to_contain_text("1\u202f221,43\u202f€")
    expect(page.get_by_role("region", name="Votre budget")).to_contain_text(
        "Aide au permis de conduire des apprentis"
    )
    failures += _violations(page)
    assert failures == []
