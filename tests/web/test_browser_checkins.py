"""The check-ins in a real browser (issue 19): the token page, « Binômes à appeler » and the
pair page, each axe-clean (no serious or critical violation); the call is noted by keyboard."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import Role, SuggestionStatus
from data.models.mail import OutboxMessage
from data.operations import checkins as ops
from data.presentation.formatters import PARIS
from tests.data import factories as f
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    _set_session,
    _violations,
    browser,
    live,
    page,
)

pytestmark = [pytest.mark.browser, pytest.mark.one_engine]


def test_a_check_in_is_answered_listed_and_its_call_noted(
    live,  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    app, base = live
    now = datetime.now(UTC)
    start = now.astimezone(PARIS).date() - timedelta(days=15)
    pair = f.make_suggestion(
        session,
        status=SuggestionStatus.CONTRACT_SIGNED,
        contract_signed_on=start,
        contract_start_on=start,
    )
    coordinator = f.make_user(session, Role.COORDINATOR)
    assert ops.send_due_checkins(session, now=now) == 2
    session.commit()
    text = session.scalar(
        select(OutboxMessage.text).where(OutboxMessage.key.endswith(":structure"))
    )
    token = re.search(r"/questionnaire/([A-Za-z0-9_\-]+)", text or "")
    assert token is not None
    failures: list[str] = []

    page.goto(f"{base}/questionnaire/{token.group(1)}")
    failures += _violations(page)
    # Each question is a fieldset whose legend is the question (ids: key-rank of the answer).
    page.locator("#going-4").check()  # « Mal »
    page.locator("#supported-1").check()  # « Oui »
    page.locator("#carry_on-3").check()  # « Plutôt non »
    expect(page.locator("label[for=going-4]")).to_have_text("Mal")
    page.get_by_role("button", name="Envoyer mes réponses").click()
    expect(page.locator("main")).to_contain_text("l'équipe de coordination vous appellera")
    failures += _violations(page)

    _set_session(page, app, base, coordinator)
    page.goto(f"{base}/coordination/")
    page.get_by_role("link", name="1 binôme à appeler").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Binômes à appeler")
    expect(page.locator("main table")).to_contain_text("Plutôt non")
    failures += _violations(page)
    page.get_by_label("Ce qui s'est dit lors de l'appel").fill("La tutrice est en congé.")
    page.get_by_label("Ce qui s'est dit lors de l'appel").press("Tab")
    page.keyboard.press("Enter")
    expect(page.locator(".flash-success")).to_be_visible()
    expect(page.locator("main")).to_contain_text("Aucun binôme à appeler")

    page.goto(f"{base}/coordination/suggestions/{pair.id}")
    expect(page.locator("#suivi")).to_have_text("Suivi des premiers jours du contrat")
    expect(page.locator("main")).to_contain_text("La tutrice est en congé.")
    failures += _violations(page)
    assert failures == []
