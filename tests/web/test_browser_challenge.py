"""Issue 12 in a real browser: past the attempts for an address, the ALTCHA widget served by the
app solves its challenge in Debian's chromium (under the strict Content-Security-Policy, with no
other site) and the person signs in, by password + code or by a mailed link."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from flask import Flask
from playwright.sync_api import ConsoleMessage, Page, Request, expect
from sqlalchemy.orm import Session

from data import auth
from data.models import Role
from tests.data import factories as f
from tests.web.conftest import deliver_mails
from tests.web.test_browser import _violations, browser, live, page  # noqa: F401  (fixtures)
from tests.web.test_signin import _mails
from web.challenge import DEFAULT_CHALLENGE_COST, DEFAULT_CHALLENGE_COUNTER

pytestmark = [pytest.mark.browser, pytest.mark.one_engine]

#: The widget's proof of work at the real cost takes a few seconds on a loaded machine.
SOLVE_TIMEOUT_MS = 120_000


def _count(session: Session, key: str, times: int) -> None:
    """Make ``times`` attempts for ``key``, as many strangers would (before the browser starts)."""
    for _ in range(times):
        auth.count_attempt(session, key, window=timedelta(minutes=15))
    session.commit()


REFUSAL = "Failed to load resource: the server responded with a status of 400"


def _watch(tab: Page) -> list[str]:
    """Collect what the browser complains about (a blocked script or worker shows here)."""
    problems: list[str] = []

    def note(message: ConsoleMessage) -> None:
        # The refusal asking for the challenge is a 400 page: the one error the browser may show.
        if message.type == "error" and not message.text.startswith(REFUSAL):
            problems.append(message.text)

    tab.on("console", note)
    tab.on("pageerror", lambda error: problems.append(str(error)))

    def failed(request: Request) -> None:
        # A load the next navigation cancels (the favicon, say) is aborted, not refused.
        if request.failure != "net::ERR_ABORTED":
            problems.append(f"failed: {request.url} ({request.failure})")

    tab.on("requestfailed", failed)
    return problems


def _solve(tab: Page) -> None:
    """Let the widget solve its challenge, and check that it did."""
    expect(tab.get_by_text("Vérifié", exact=True)).to_be_visible(timeout=SOLVE_TIMEOUT_MS)
    value = tab.locator('input[name="altcha"]').input_value()
    assert len(value) > 100


def test_the_staff_member_solves_the_challenge_and_signs_in(
    live: tuple[Flask, str],  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    app, base = live
    assert app.config.get("SIGNIN_CHALLENGE_COST") is None  # the real cost, not a quick one
    assert (DEFAULT_CHALLENGE_COST, DEFAULT_CHALLENGE_COUNTER) == (2_000, (2_000, 4_000))
    user, password, secret = auth.create_staff_user(
        session, email="coord@ain.example", role="coordinator"
    )
    _count(session, f"staff:{user.email}", auth.CHALLENGE_AFTER_ATTEMPTS)
    problems = _watch(page)

    page.goto(f"{base}/connexion/equipe")
    assert page.locator("altcha-widget").count() == 0
    page.get_by_label("Adresse électronique").fill(user.email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_label("Code à usage unique").fill(auth.totp_code(secret, datetime.now(UTC)))
    page.get_by_role("button", name="Se connecter").click()
    expect(page.locator(".error-summary")).to_contain_text("Je ne suis pas un robot")
    expect(page.locator("altcha-widget")).to_be_visible()
    assert _violations(page) == []

    _solve(page)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_label("Code à usage unique").fill(auth.totp_code(secret, datetime.now(UTC)))
    page.get_by_role("button", name="Se connecter").click()
    expect(page).to_have_url(f"{base}/coordination/")
    expect(page.get_by_role("button", name="Se déconnecter")).to_be_visible()
    assert problems == []


def test_the_person_solves_the_challenge_and_gets_a_link_that_signs_in(
    live: tuple[Flask, str],  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    app, base = live
    user = f.make_user(session, Role.EMPLOYER)
    session.commit()
    _count(session, f"link:{user.email}", int(app.config["RATELIMIT_PER_ACCOUNT"]))
    problems = _watch(page)

    page.goto(f"{base}/connexion")
    page.get_by_label("Adresse électronique").fill(user.email)
    page.get_by_role("button", name="Recevoir mon lien de connexion").click()
    expect(page.locator("altcha-widget")).to_be_visible()
    _solve(page)
    page.get_by_role("button", name="Recevoir mon lien de connexion").click()
    expect(page.get_by_role("heading", name="Vérifiez votre messagerie")).to_be_visible()

    deliver_mails(app)
    bodies = [b for b in _mails(Path(app.config["MAIL_DIR"])) if f"To: {user.email}" in b]
    link = re.search(re.escape(base) + r"/connexion/lien/[A-Za-z0-9_\-]+", bodies[-1])
    assert link is not None
    page.goto(link.group(0))
    page.get_by_role("button", name="Me connecter").click()
    expect(page.locator(".flash-success")).to_contain_text("Vous êtes connecté")
    assert problems == []
