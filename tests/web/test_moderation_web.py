"""Moderation on the pages and the API: the employer is told that publication waits, the
coordinator checks, suspends, reinstates a structure and withdraws an offer, with the mails.

Who may reach each route is in tests/web/test_matrix.py and tests/web/test_api_matrix.py.
"""

from __future__ import annotations

import html
from typing import Any

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import mail
from data.models import AuditEntry, OfferStatus, StructureCheck
from tests.data import factories as f
from tests.web.api_fixtures import Tokens, api, tokens  # noqa: F401
from tests.web.conftest import World, deliver_mails, post, sign_in


def _text(response: Any) -> str:
    """The page as people read it (entities such as &#39; unescaped)."""
    return html.unescape(response.get_data(as_text=True))


def _to_check(session: Session, world: World) -> None:
    """Make the world's structure one that just signed up, its draft published and waiting."""
    world.employer.check_status = StructureCheck.TO_CHECK
    session.commit()


def test_the_employer_waits_for_the_check_then_the_coordinator_publishes(
    app: Flask, world: World, session: Session, mail_dir: Any
) -> None:
    _to_check(session, world)
    employer = sign_in(app.test_client(), world.employer_user)
    answer = post(employer, f"/employeur/offres/{world.draft.id}/publier", follow_redirects=True)
    page = _text(answer)
    assert "sera publiée dès que l'équipe de coordination aura vérifié votre structure" in page
    assert "En attente de vérification" in page
    session.refresh(world.draft)
    assert world.draft.status is OfferStatus.PENDING_CHECK
    assert app.test_client().get(f"/offres/{world.draft.id}").status_code == 404
    board = _text(employer.get("/employeur/"))
    assert "Publication en attente de vérification" in board

    staff = sign_in(app.test_client(), world.coordinator)
    dashboard = _text(staff.get("/coordination/"))
    todo = dashboard.split('id="a-faire"')[1]
    assert todo.index("1 structure à vérifier") < todo.index("suggestion")
    assert 'href="/coordination/structures/"' in todo
    queue = _text(staff.get("/coordination/structures/"))
    assert world.employer.siret in queue and world.employer.contact_email in queue
    assert "1 offre en attente de publication" in queue

    done = post(staff, f"/coordination/structures/{world.employer.id}/verifier")
    assert done.status_code == 302
    flashed = _text(staff.get("/coordination/structures/"))
    assert "est vérifiée : 1 offre publiée." in flashed
    assert "Aucune structure à vérifier." in flashed
    session.refresh(world.draft)
    assert world.draft.status is OfferStatus.PUBLISHED
    assert app.test_client().get(f"/offres/{world.draft.id}").status_code == 200
    assert deliver_mails(app).sent == 1
    [sent] = mail.list_local_mails(mail_dir)
    assert (sent.to, sent.subject) == (
        world.employer_user.email,
        "Votre structure est vérifiée sur Passerelle",
    )


def test_suspend_with_a_reason_then_reinstate_on_the_pages(
    app: Flask, world: World, session: Session
) -> None:
    staff = sign_in(app.test_client(), world.coordinator)
    url = f"/coordination/structures/{world.employer.id}"
    refused = post(staff, f"{url}/suspendre", {"reason": "  "})
    assert refused.status_code == 400
    assert "Indiquez le motif de la suspension." in _text(refused)
    session.refresh(world.offer)
    assert world.offer.status is OfferStatus.PUBLISHED

    post(staff, f"{url}/suspendre", {"reason": "Structure inconnue au répertoire FINESS."})
    page = _text(staff.get(url))
    # One live pair on its offer: kept, and said.
    assert "1 mise en relation en cours est conservée" in page
    assert "Structure suspendue : « Structure inconnue au répertoire FINESS. »" in page
    session.refresh(world.offer)
    assert world.offer.status is OfferStatus.SUSPENDED
    public = app.test_client().get(f"/offres/{world.offer.id}")  # an old link: said, not a 404
    assert "Cette offre n'est plus ouverte : elle n'est plus proposée pour le moment" in _text(
        public
    )
    board = sign_in(app.test_client(), world.employer_user).get("/employeur/")
    assert "Votre structure est suspendue" in _text(board)
    assert "Structure inconnue au répertoire FINESS." in _text(board)

    post(staff, f"{url}/retablir")
    session.refresh(world.offer)
    assert world.offer.status is OfferStatus.PUBLISHED
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_id == world.employer.id)
    ).all()
    assert {"structure_suspended", "structure_reinstated"} <= set(actions)


def test_withdraw_and_reopen_an_offer_on_the_page(
    app: Flask, world: World, session: Session
) -> None:
    staff = sign_in(app.test_client(), world.coordinator)
    url = f"/coordination/structures/offres/{world.offer.id}"
    assert post(staff, f"{url}/retirer").status_code == 400
    post(staff, f"{url}/retirer", {"reason": "Offre en double."})
    session.refresh(world.offer)
    assert world.offer.status is OfferStatus.WITHDRAWN
    page = sign_in(app.test_client(), world.employer_user).get(
        f"/employeur/offres/{world.offer.id}"
    )
    assert "Retirée par la coordination" in _text(page)
    post(staff, f"{url}/rouvrir", {"reason": "Doublon supprimé."})
    session.refresh(world.offer)
    assert world.offer.status is OfferStatus.PUBLISHED


def test_the_admin_sets_the_rule(app: Flask, world: World, session: Session) -> None:
    _to_check(session, world)
    admin = sign_in(app.test_client(), world.admin)
    assert (
        post(admin, "/admin/verification-des-structures", {"structures_check": "x"}).status_code
        == 400
    )
    post(admin, "/admin/verification-des-structures", {"structures_check": "none"})
    assert 'value="none" checked' in _text(admin.get("/admin/"))
    employer = sign_in(app.test_client(), world.employer_user)
    post(employer, f"/employeur/offres/{world.draft.id}/publier")
    session.refresh(world.draft)
    assert world.draft.status is OfferStatus.PUBLISHED


def test_the_api_twins(api: Any, world: World, session: Session) -> None:  # noqa: F811
    _to_check(session, world)
    f.make_offer(session, world.offer.site)  # published while to check: waiting
    session.commit()
    staff = api("coordinator")
    listed = staff.get("/api/v1/moderation/structures").get_json()
    [item] = listed["items"]
    assert (item["id"], item["siret"], item["waiting_offers"]) == (
        world.employer.id,
        world.employer.siret,
        1,
    )
    checked = staff.post(f"/api/v1/moderation/structures/{world.employer.id}/check")
    assert checked.status_code == 200, checked.get_json()
    body = checked.get_json()
    assert body["structure"]["check_status"] == "checked"
    assert [o["status"] for o in body["offers"]] == ["published"]

    missing = staff.post(f"/api/v1/moderation/structures/{world.employer.id}/suspend", {})
    assert missing.status_code == 422 and "reason" in missing.get_json()["errors"]
    suspended = staff.post(
        f"/api/v1/moderation/structures/{world.employer.id}/suspend", {"reason": "Doublon."}
    )
    assert suspended.status_code == 200
    assert (suspended.get_json()["live_pairs"], suspended.get_json()["mails"]) == (1, 1)
    again = staff.post(
        f"/api/v1/moderation/structures/{world.employer.id}/suspend", {"reason": "Doublon."}
    )
    assert again.status_code == 409
    assert again.get_json()["message"] == "Cette structure est déjà suspendue."
    assert (
        api("employer")
        .post(f"/api/v1/moderation/structures/{world.employer.id}/reinstate", {})
        .status_code
        == 403
    )
    back = staff.post(f"/api/v1/moderation/structures/{world.employer.id}/reinstate", {})
    assert back.get_json()["structure"]["check_status"] == "checked"

    offer = world.other_offer.id
    gone = staff.post(f"/api/v1/moderation/offers/{offer}/unpublish", {"reason": "Erreur."})
    assert [o["status"] for o in gone.get_json()["offers"]] == ["withdrawn"]
    assert api("candidate").get(f"/api/v1/offers/{offer}").status_code == 404
    reopened = staff.post(f"/api/v1/moderation/offers/{offer}/reopen", {"reason": "Corrigée."})
    assert [o["status"] for o in reopened.get_json()["offers"]] == ["published"]
