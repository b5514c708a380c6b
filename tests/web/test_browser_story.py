"""Issue 15 in a real browser, the rest of the daily paths: a pair's contract, its rupture and
the undo, each through its confirmation page; a structure checked, suspended and reinstated, an
offer withdrawn and reopened; an employer's team and sign-in address; a candidate's CV; the
review queue by keyboard. axe checks every page met (no serious or critical violation).

One engine (SQLite): the operations behind these pages run on both engines in their own tests;
here the browser, the forms, the confirmations and the script are.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from pathlib import Path

import pytest
from playwright.sync_api import Page, expect
from sqlalchemy.orm import Session

from data.models import OfferStatus, Role, StructureCheck, SuggestionStatus
from data.presentation.formatters import PARIS
from data.presentation.labels import label
from tests.data import factories as f
from tests.web.test_browser import (  # noqa: F401  (fixtures)
    _set_session,
    _sign_in_with_link,
    _violations,
    browser,
    live,
    page,
)
from tests.web.test_cv import A_PDF

pytestmark = [pytest.mark.browser, pytest.mark.one_engine]


def _status(shown: Page) -> str:
    """The pair's or structure's status, as the tag at the top of its page shows it."""
    return shown.locator("main p .tag").first.inner_text()


def test_a_contract_is_signed_broken_then_the_rupture_undone_each_after_its_confirmation(
    live,  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    app, base = live
    offer = f.make_offer(session, places=1)
    pair = f.make_suggestion(
        session, f.make_request(session), offer, status=SuggestionStatus.INTERVIEW
    )
    coordinator = f.make_user(session, Role.COORDINATOR)
    session.commit()
    _set_session(page, app, base, coordinator)
    today = datetime.now(PARIS).date()
    failures: list[str] = []

    page.goto(f"{base}/coordination/suggestions/{pair.id}")
    signed = label(SuggestionStatus.CONTRACT_SIGNED)
    page.get_by_label("Date de signature").first.fill((today - timedelta(days=20)).isoformat())
    page.get_by_label("Date de début du contrat").first.fill(
        (today - timedelta(days=10)).isoformat()
    )
    page.get_by_label("Centre de formation").first.fill("IFSI de Bourg-en-Bresse")
    page.get_by_role("button", name="Vérifier puis enregistrer le contrat signé").click()
    # Nothing is written before the confirmation: it says what the signing will do.
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"Confirmer l'étape « {signed} »")
    expect(page.locator("main")).to_contain_text("c'était la dernière")
    failures += _violations(page)
    page.get_by_role("button", name=f"Confirmer : {signed}").click()
    expect(page.locator(".flash-success")).to_be_visible()
    assert _status(page) == signed
    expect(page.locator("main")).to_contain_text("IFSI de Bourg-en-Bresse")

    broken = label(SuggestionStatus.BROKEN)
    page.get_by_label("Date de la rupture").fill(today.isoformat())
    page.get_by_label("Rupture à l'initiative de").select_option(label="L'apprenti")
    page.get_by_label("Raison principale").select_option(label="Le métier ne lui convenait pas")
    page.get_by_label("Après les 45 premiers jours").select_option(label="Non, pendant")
    page.get_by_label("Précisions sur la rupture").fill("Fin de la période d'essai")
    page.get_by_label("L'employeur souhaite rouvrir la place").check()
    page.get_by_role("button", name="Vérifier puis enregistrer la rupture").click()
    expect(page.get_by_role("heading", level=1)).to_contain_text(f"« {broken} »")
    expect(page.locator("main")).to_contain_text("Une place de l'offre redevient libre")
    expect(page.locator("main")).to_contain_text(
        "Rupture à l'initiative de l'apprenti ; raison : le métier ne lui convenait pas ; "
        "pendant les 45 premiers jours."
    )
    failures += _violations(page)
    page.get_by_role("button", name=f"Confirmer : {broken}").click()
    expect(page.locator(".flash-success")).to_be_visible()
    assert _status(page) == broken
    expect(page.locator("ol.timeline")).to_contain_text("Fin de la période d'essai")
    failures += _violations(page)

    # The rupture was a mistake: undone the same day, after its own confirmation.
    page.get_by_role("link", name="Annuler le dernier changement d'étape").click()
    expect(page.locator("main")).to_contain_text("La place rouverte par la rupture")
    failures += _violations(page)
    page.get_by_role("button", name="Confirmer l'annulation").click()
    expect(page.locator(".flash-success")).to_be_visible()
    assert _status(page) == signed
    session.expire_all()
    assert offer.places_filled == 1 and offer.status == OfferStatus.FILLED
    assert failures == []


def test_a_structure_is_checked_suspended_reinstated_and_an_offer_withdrawn_then_reopened(
    live,  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    app, base = live
    employer = f.make_employer(
        session, name="Foyer Les Saules", check_status=StructureCheck.TO_CHECK
    )
    offer = f.make_offer(session, f.make_site(session, employer))
    assert offer.status == OfferStatus.PENDING_CHECK  # waits for the structure's check
    coordinator = f.make_user(session, Role.COORDINATOR)
    session.commit()
    _set_session(page, app, base, coordinator)
    failures: list[str] = []

    # The queue of structures to check shows what was declared, the SIRET first.
    page.goto(f"{base}/coordination/structures/")
    row = page.locator("tr", has_text="Foyer Les Saules")
    expect(row).to_contain_text(employer.siret)
    failures += _violations(page)
    row.get_by_role("button", name="Structure vérifiée").click()
    expect(page.locator(".flash-success")).to_be_visible()
    session.expire_all()
    assert offer.status == OfferStatus.PUBLISHED  # its waiting offer is published

    page.goto(f"{base}/coordination/structures/{employer.id}")
    assert _status(page) == label(StructureCheck.CHECKED)
    failures += _violations(page)
    page.get_by_label("Motif de la suspension").fill("SIRET d'une autre structure")
    page.get_by_role("button", name="Suspendre la structure").click()
    expect(page.locator(".flash-success")).to_be_visible()
    assert _status(page) == label(StructureCheck.SUSPENDED)
    expect(page.locator("#historique + ol, #historique ~ *").first).to_contain_text(
        "SIRET d'une autre structure"
    )
    session.expire_all()
    assert offer.status != OfferStatus.PUBLISHED
    page.get_by_role("button", name="Rétablir la structure").click()
    expect(page.locator(".flash-success")).to_be_visible()
    session.expire_all()
    assert employer.check_status == StructureCheck.CHECKED
    assert offer.status == OfferStatus.PUBLISHED

    # One offer withdrawn, then reopened, each with its reason.
    page.get_by_label("Motif du retrait").fill("Offre en double")
    page.get_by_role("button", name="Retirer l'offre").click()
    expect(page.locator(".flash-success")).to_be_visible()
    session.expire_all()
    assert offer.status == OfferStatus.WITHDRAWN
    page.get_by_label("Motif de la réouverture").fill("Le doublon était l'autre offre")
    page.get_by_role("button", name="Rouvrir l'offre").click()
    expect(page.locator(".flash-success")).to_be_visible()
    session.expire_all()
    assert offer.status == OfferStatus.PUBLISHED
    failures += _violations(page)
    assert failures == []


def test_an_employer_invites_and_removes_a_colleague_then_asks_to_change_address(
    live,  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
) -> None:
    _app, base = live
    user = f.make_user(session, Role.EMPLOYER)
    session.commit()
    _sign_in_with_link(page, base, session, user)
    failures: list[str] = []

    page.goto(f"{base}/employeur/equipe")
    failures += _violations(page)
    page.get_by_label("Prénom et nom").fill("Karim Benali")
    page.get_by_label("Adresse électronique").fill("karim.benali@example.org")
    page.get_by_role("button", name="Inviter").click()
    expect(page.locator(".flash-success")).to_be_visible()
    row = page.locator("tbody tr", has_text="karim.benali@example.org")
    expect(row).to_contain_text("Karim Benali")
    failures += _violations(page)
    row.get_by_role("button", name="Retirer").click()
    expect(page.locator(".flash-success")).to_contain_text("Karim Benali est retiré")
    expect(page.locator("tbody tr", has_text="karim.benali@example.org")).to_have_count(0)

    page.get_by_role("link", name="Changer mon adresse de connexion").click()
    failures += _violations(page)
    page.get_by_label("Nouvelle adresse", exact=False).first.fill("direction.neuve@example.org")
    page.get_by_role("button", name="Recevoir le lien de confirmation").click()
    expect(page.locator(".flash-success, .flash-info").first).to_contain_text(
        "direction.neuve@example.org"
    )
    failures += _violations(page)
    assert failures == []


def test_a_candidate_sends_a_cv_and_a_coordinator_walks_the_queue_by_keyboard(
    live,  # noqa: F811
    page: Page,  # noqa: F811
    session: Session,
    tmp_path: Path,
) -> None:
    app, base = live
    user = f.make_user(session, Role.CANDIDATE, candidate=f.make_candidate(session))
    assert user.candidate is not None
    request = f.make_request(session, user.candidate)
    pairs = [f.make_suggestion(session, request, f.make_offer(session)) for _ in range(3)]
    coordinator = f.make_user(session, Role.COORDINATOR)
    session.commit()
    _sign_in_with_link(page, base, session, user)
    failures: list[str] = []

    page.goto(f"{base}/candidat/informations")
    cv = tmp_path / "Mon CV.pdf"
    cv.write_bytes(A_PDF)
    page.get_by_label("Votre CV").set_input_files(str(cv))
    page.get_by_role("button", name="Envoyer mon CV").click()
    expect(page.locator(".flash-success")).to_contain_text("Votre CV est enregistré")
    expect(page.get_by_role("link", name="Télécharger mon CV")).to_be_visible()
    failures += _violations(page)

    # The queue by keyboard: j goes down the rows, a approves the one in focus, after the
    # confirmation that names that pair only.
    _set_session(page, app, base, coordinator)
    page.goto(f"{base}/coordination/suggestions")
    expect(page.locator("#raccourcis-file")).to_be_visible()
    failures += _violations(page)
    rows = page.locator("[data-queue-row]")
    expect(rows).to_have_count(3)
    page.keyboard.press("j")
    page.keyboard.press("j")
    second = rows.nth(1)
    expect(second).to_be_focused()
    chosen = int(second.locator("input[name=ids]").get_attribute("value") or 0)
    assert chosen in {p.id for p in pairs}
    page.keyboard.press("a")
    expect(page.get_by_role("heading", level=1)).to_contain_text("1 mise en relation")
    page.get_by_role("button", name="Confirmer et mettre en relation").click()
    expect(page.locator(".flash-success")).to_be_visible()
    session.expire_all()
    assert [p.id for p in pairs if p.status == SuggestionStatus.APPROVED] == [chosen]
    assert failures == []
