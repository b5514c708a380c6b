"""Real-browser tests: Debian's chromium driven by Playwright against a live server.

The server runs in a thread on 127.0.0.1, single-threaded, its sessions bound to the test's
connection (so the test leaves no trace). The test thread does not touch the database while the
browser works: it prepares data first and reads results from the pages.
"""

from __future__ import annotations

import socket
import threading
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from axe_playwright_python.sync_playwright import Axe
from flask import Flask
from playwright.sync_api import Browser, Page, expect, sync_playwright
from sqlalchemy import Connection, Engine
from sqlalchemy.orm import Session
from werkzeug.serving import make_server

from data import auth
from data.models import Role, SuggestionStatus
from data.operations._common import local_today
from tests.data import factories as f
from tests.web.conftest import make_app

pytestmark = pytest.mark.browser

CHROMIUM = "/usr/bin/chromium"
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]


def _free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


@pytest.fixture(scope="module")
def browser() -> Iterator[Browser]:
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path=CHROMIUM, args=CHROMIUM_ARGS)
        yield b
        b.close()


@pytest.fixture
def live(connection: Connection, engine: Engine, tmp_path: Path) -> Iterator[tuple[Flask, str]]:
    """The app served on a free local port for the duration of one test."""
    port = _free_port()
    app = make_app(connection, engine, tmp_path, fresh=True, BASE_URL=f"http://127.0.0.1:{port}")
    server = make_server("127.0.0.1", port, app, threaded=False)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield app, f"http://127.0.0.1:{port}"
    finally:
        server.shutdown()
        thread.join(timeout=5)


@pytest.fixture
def page(browser: Browser) -> Iterator[Page]:
    # Reduced motion, as some people ask: no transition, and charts.js draws without animation,
    # so an element is stable as soon as it is drawn.
    context = browser.new_context(locale="fr-FR", reduced_motion="reduce")
    pg = context.new_page()
    # Actions and assertions wait as long: a page that answers slowly on a loaded machine (two
    # test workers beside other work) is not a failure.
    pg.set_default_timeout(10_000)
    expect.set_options(timeout=10_000)
    yield pg
    context.close()


def _sign_in_with_link(page: Page, base: str, session: Session, user) -> None:  # type: ignore[no-untyped-def]
    raw = auth.create_login_link(session, user)
    session.commit()
    page.goto(f"{base}/connexion/lien/{raw}")
    page.get_by_role("button", name="Me connecter").click()
    expect(page.locator(".flash-success")).to_contain_text("Vous êtes connecté")


def _sign_out(page: Page) -> None:
    page.get_by_role("button", name="Se déconnecter").click()
    expect(page.locator(".flash")).to_contain_text("Vous êtes déconnecté")


def test_offer_request_review_and_contact(live, page: Page, session: Session) -> None:
    _app, base = live
    employer_user = f.make_user(session, Role.EMPLOYER)
    site = f.make_site(session, employer_user.employer, name="EHPAD du Revermont")
    candidate_user = f.make_user(
        session, Role.CANDIDATE, candidate=f.make_candidate(session, first_name="Nadia")
    )
    staff, password, secret = auth.create_staff_user(
        session, email="coordination@ain.example", role="coordinator"
    )
    session.commit()

    # An employer posts an offer and publishes it.
    _sign_in_with_link(page, base, session, employer_user)
    page.get_by_role("link", name="Déposer une offre").click()
    page.get_by_label("Lieu d'accueil").select_option(str(site.id))
    page.get_by_label("Métier").select_option("aide-soignant")
    page.get_by_label("Nombre de places").fill("2")
    page.get_by_label("Date de début (facultatif)").fill(
        (local_today() + timedelta(days=45)).isoformat()
    )
    page.get_by_label("Durée en mois (facultatif)").fill("18")
    page.get_by_label("Description du poste").fill(
        "Accompagnement des résidents au quotidien, équipe de jour, tutrice expérimentée."
    )
    page.get_by_role("button", name="Enregistrer").click()
    expect(page.locator(".flash-success")).to_contain_text("brouillon")
    page.get_by_role("button", name="Publier").click()
    expect(page.locator(".tag").first).to_have_text("Publiée")
    offer_url = page.url
    _sign_out(page)

    # A candidate describes their request in their own words.
    _sign_in_with_link(page, base, session, candidate_user)
    page.get_by_role("link", name="Créer ma demande").click()
    page.get_by_label("Premier métier").fill("aide soignante")
    page.get_by_label("Ma commune").fill("bourg en bresse")
    page.get_by_label("Distance maximale en kilomètres").fill("30")
    page.get_by_label("J'ai besoin d'un logement").check()
    page.get_by_role("button", name="Enregistrer ma demande").click()
    expect(page.locator(".flash-success")).to_contain_text("Votre demande est enregistrée")
    expect(page.get_by_text("Aucune offre ne vous est proposée")).to_be_visible()
    _sign_out(page)

    # The coordinator signs in with password and code, sees the suggestion and approves it.
    page.goto(f"{base}/connexion/equipe")
    page.get_by_label("Adresse électronique").fill(staff.email)
    page.get_by_label("Mot de passe").fill(password)
    page.get_by_label("Code à usage unique").fill(auth.totp_code(secret, datetime.now(UTC)))
    page.get_by_role("button", name="Se connecter").click()
    expect(page.get_by_role("heading", level=1)).to_have_text("Tableau de bord de la coordination")
    page.get_by_role("button", name="Recalculer les suggestions").click()
    expect(page.locator(".flash-success")).to_contain_text("1 nouvelle,")
    page.get_by_role("link", name="1 suggestion à examiner").click()
    card = page.locator("article.card").first
    expect(card).to_contain_text("Nadia")
    expect(card).to_contain_text("Aide-soignant")
    card.get_by_role("button", name="Approuver et mettre en relation").click()
    expect(page.locator(".flash-success")).to_contain_text("Mise en relation approuvée")
    _sign_out(page)

    # Both sides now see each other's contact details.
    _sign_in_with_link(page, base, session, candidate_user)
    contact = page.locator("dl.contact")
    expect(contact).to_contain_text(employer_user.employer.contact_email)
    _sign_out(page)
    _sign_in_with_link(page, base, session, employer_user)
    page.goto(offer_url)
    expect(page.locator("dl.contact")).to_contain_text(candidate_user.candidate.email)


SERIOUS = {"serious", "critical"}


def _violations(page: Page) -> list[str]:
    results = Axe().run(page)
    return [
        f"{page.url} {v['id']} ({v['impact']}): {v['help']}"
        for v in results.response["violations"]
        if v["impact"] in SERIOUS
    ]


@pytest.mark.one_engine
def test_pages_have_no_serious_accessibility_violation(live, page: Page, session: Session) -> None:
    _app, base = live
    world_offer = f.make_offer(session)
    employer_user = f.make_user(session, Role.EMPLOYER, employer=world_offer.site.employer)
    candidate_user = f.make_user(session, Role.CANDIDATE)
    req = f.make_request(session, candidate_user.candidate)
    suggestion = f.make_suggestion(session, req, world_offer, status=SuggestionStatus.APPROVED)
    coordinator = f.make_user(session, Role.COORDINATOR)
    admin = f.make_user(session, Role.ADMIN)
    links = {u.id: auth.create_login_link(session, u) for u in (employer_user, candidate_user)}
    session.commit()

    pages = {
        None: [
            "/",
            "/offres",
            f"/offres/{world_offer.id}",
            "/offres/carte",
            "/inscription",
            "/inscription/candidat",
            "/inscription/employeur",
            "/connexion",
            "/connexion/equipe",
            "/accessibilite",
            "/mentions-legales",
            "/donnees-personnelles",
            "/nulle-part",
        ],
        employer_user: [
            "/employeur/",
            "/employeur/structure",
            "/employeur/lieux/nouveau",
            "/employeur/offres/nouvelle",
            f"/employeur/offres/{world_offer.id}",
            "/employeur/offres/import",
            "/employeur/notifications",
        ],
        candidate_user: [
            "/candidat/",
            "/candidat/demande",
            "/candidat/informations",
            "/candidat/notifications",
            "/candidat/donnees",
            # The offer page as a candidate reads it: why (not) this offer, the interest button.
            f"/offres/{world_offer.id}",
        ],
    }
    failures: list[str] = []
    for user, paths in pages.items():
        if user is not None:
            page.goto(f"{base}/connexion/lien/{links[user.id]}")
            page.get_by_role("button", name="Me connecter").click()
            page.wait_for_load_state()
        for path in paths:
            page.goto(base + path)
            failures += _violations(page)
        if user is not None:
            _sign_out(page)
    # A form shown again with its errors, as people see it most.
    page.goto(f"{base}/inscription/candidat")
    page.get_by_role("button", name="Créer mon compte").click()
    expect(page.locator(".error-summary")).to_be_visible()
    failures += _violations(page)

    # Staff pages (the session cookie is set directly: staff sign-in has its own test).
    for user, paths in (
        (
            coordinator,
            [
                "/coordination/",
                "/coordination/suggestions",
                f"/coordination/suggestions/{suggestion.id}",
                "/coordination/suggestions/nouvelle",
                "/coordination/binomes",
                "/coordination/offres",
                f"/coordination/demandes/{req.id}",
                "/coordination/candidats",
                "/coordination/affectation",
                "/coordination/taches",
                "/compte/mot-de-passe",
            ],
        ),
        (admin, ["/admin/", "/admin/courriels", "/admin/comptes"]),
    ):
        _set_session(page, _app, base, user)
        for path in paths:
            page.goto(base + path)
            failures += _violations(page)
    assert failures == []


def _clear_session(page: Page) -> None:
    """Sign the browser out: leave the page first, so that no request still in flight
    (a favicon, a redirect's last load) sets the previous person's cookie again after
    the cookies are cleared; then clear them."""
    page.goto("about:blank")
    page.context.clear_cookies()


def _set_session(page: Page, app: Flask, base: str, user) -> None:  # type: ignore[no-untyped-def]
    """Give the browser a signed session cookie for ``user``, as sign-in would."""
    import time

    from flask.sessions import SecureCookieSessionInterface

    serializer = SecureCookieSessionInterface().get_signing_serializer(app)
    assert serializer is not None
    value = serializer.dumps(
        {"uid": user.id, "sv": user.session_version, "t": int(time.time()), "_permanent": True}
    )
    _clear_session(page)
    page.context.add_cookies(
        [{"name": app.config["SESSION_COOKIE_NAME"], "value": value, "url": base}]
    )


def test_a_filter_bar_with_errors_keeps_its_rows_and_counts_its_errors(live, page: Page) -> None:
    _app, base = live
    page.set_viewport_size({"width": 1200, "height": 900})
    page.goto(f"{base}/offres?metier=inconnu&commune=zzzz&distance=999&logement=1")
    listed = page.locator(".error-summary li").count()
    assert listed == 3
    expect(page.locator(".error-summary h2")).to_have_text("Le formulaire contient 3 erreurs")
    bar = page.locator("form.filters")
    names = ("metier", "commune", "distance")
    labels = [bar.locator(f"label[for={n}]").bounding_box() for n in names]
    controls = [bar.locator(f"#{n}").bounding_box() for n in names]
    assert all(b is not None for b in labels + controls)
    # One row of labels, one row of controls, whatever hint or error each field has.
    assert len({round(b["y"]) for b in labels if b}) == 1
    assert len({round(b["y"] + b["height"]) for b in controls if b}) == 1
    # Each invalid field says so by itself, the distance too.
    for name in names:
        expect(bar.locator(f"#{name}-erreur")).to_be_visible()
