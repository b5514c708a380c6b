"""Every mail a page or the API promises is queued in the same commit as the decision.

The promises the pages, their flash messages and the API's documentation make (found by grepping
web/templates, web/views and web/api for courriel, recevoir, envoyé, prévient...), and the test
that keeps each:

1. « Approuver et mettre en relation » (review queue, pair page, allocation page) flashes « Mise en
   relation approuvée : les deux parties vont recevoir les coordonnées par courriel. » Both contact
   mails are in the outbox when the approval's request returns, and go out whatever happens next
   (pair moved on at once, abandoned):
   ``test_approving_through_the_page_queues_both_contact_mails_at_once``; going back on a
   rejection: ``test_going_back_on_a_rejection_queues_the_contact_mails``.
2. Where each side stands (data.standing, web.formatting), once a pair is approved: « les
   coordonnées du candidat vous sont envoyées par courriel » on the employer's offer page, « les
   coordonnées de l'employeur vous sont envoyées par courriel » on the candidate's page. Both mails
   are queued with the approval: checked in the first test.
3. « Créer le binôme » (pair by hand) flashes the same promise: both mails queued with the pair,
   and sent even if the candidate closes the request at once:
   ``test_pairing_by_hand_queues_the_contact_mails_and_they_outlive_a_closed_request``.
4. The API: ``POST /api/v1/suggestions/<id>/decision`` (approve) and ``POST /api/v1/suggestions``
   document that both contact mails are queued in the same commit:
   ``test_the_api_decision_and_manual_pair_queue_the_contact_mails``.
5. The notification settings of both spaces: « Les courriels de connexion et de mise en relation
   vous sont toujours envoyés. » A contact mail goes out to a person who chose « jamais » and used
   the one-click unsubscribe link (which stops « les courriels d'information ») — while an optional
   mail to the same address is still dropped:
   ``test_contact_mails_reach_people_who_chose_no_digest_and_unsubscribed``.
6. The flash promises only what can be kept: a side without an address is named, and the
   coordinator is asked to pass the details on: ``test_the_flash_names_a_side_without_address``.
7. A deleted account (« supprimer mon compte ») gets no mail any more, and no employer gets its
   details: the contact mails not sent yet are withdrawn with the account:
   ``test_deleting_the_account_withdraws_the_contact_mails_not_sent``.
8. Sign-in and sign-up: « un lien de connexion va lui être envoyé », « vous recevez un lien
   par courriel »: queued and committed with the link (``web.mailing.queue``), sent by the jobs'
   sender, never inside the request (the page answers alike for any address); kept by
   tests/web/test_signin.py and tests/web/test_signup_hardening.py (each reads the link from the
   mail the sender delivered).
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import auth as data_auth
from data import mail
from data import operations as ops
from data.mail import make_mailer
from data.models import NotifyFrequency, RequestStatus, Role, SuggestionStatus
from data.models.mail import OutboxMessage, OutboxStatus
from jobs.contacts import send_contacts
from tests.data import factories as f
from tests.web.conftest import World, post, sign_in
from web.db import state

S = SuggestionStatus


def _contact_mails(session: Session, pair_id: int) -> dict[str, tuple[str, str]]:
    """Return the pair's contact mails as committed: recipient -> (kind, status)."""
    session.expire_all()
    rows = session.execute(
        select(OutboxMessage.recipient, OutboxMessage.kind, OutboxMessage.status).where(
            OutboxMessage.key == f"contact:{pair_id}"
        )
    ).all()
    return {recipient: (kind, OutboxStatus(status).value) for recipient, kind, status in rows}


def _both(world: World, candidate_email: str, status: str) -> dict[str, tuple[str, str]]:
    return {
        candidate_email.lower(): ("contact_candidate", status),
        world.other_employer_user.email.lower(): ("contact_employer", status),
    }


def _send(app: Flask) -> mail.SendReport:
    """Run the sender as the jobs do (the file mailer of the test app)."""
    return mail.send_pending(state(app).session_factory, make_mailer(app.config))


def test_approving_through_the_page_queues_both_contact_mails_at_once(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.coordinator)
    pair = world.proposed
    approved = post(
        client, f"/coordination/suggestions/{pair.id}/approuver", {"depuis": "proposed"}
    )
    assert approved.status_code == 302
    assert "les deux parties vont recevoir les coordonnées" in client.get(approved.location).text
    email = world.request.candidate.email
    assert _contact_mails(session, pair.id) == _both(world, email, "pending")
    employer = sign_in(app.test_client(), world.other_employer_user)
    page = employer.get(f"/employeur/offres/{world.other_offer.id}").text
    assert "les coordonnées du candidat vous sont envoyées par courriel" in page

    # The coordinator moves the pair on before the contacts job's next run, then gives up on it.
    moved = post(client, f"/coordination/suggestions/{pair.id}/etape/entretien")
    assert moved.status_code == 302
    abandoned = post(
        client,
        f"/coordination/suggestions/{pair.id}/etape/abandon",
        {"reason": "Injoignable", "confirme": "1"},
    )
    assert abandoned.status_code == 302
    # The contacts job (it catches up on the world's other pair, approved without the operation)
    # neither queues this pair's mails again nor needs the pair to be still approved.
    send_contacts(state(app).session_factory, make_mailer(app.config))
    assert _send(app).sent == 2
    assert _contact_mails(session, pair.id) == _both(world, email, "sent")
    session.refresh(pair)
    assert pair.status == S.ABANDONED


def test_going_back_on_a_rejection_queues_the_contact_mails(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.coordinator)
    pair = world.proposed
    post(client, f"/coordination/suggestions/{pair.id}/rejeter", {"reason": "Trop loin"})
    assert _contact_mails(session, pair.id) == {}
    again = post(client, f"/coordination/suggestions/{pair.id}/approuver", {"depuis": "rejected"})
    assert again.status_code == 302
    assert _contact_mails(session, pair.id) == _both(
        world, world.request.candidate.email, "pending"
    )


def test_pairing_by_hand_queues_the_contact_mails_and_they_outlive_a_closed_request(
    app: Flask, world: World, session: Session
) -> None:
    person = f.make_user(session, Role.CANDIDATE, candidate=f.make_candidate(session))
    request = f.make_request(session, person.candidate)
    session.commit()
    client = sign_in(app.test_client(), world.coordinator)
    created = post(
        client,
        "/coordination/suggestions/nouvelle",
        {"request_id": str(request.id), "offer_id": str(world.other_offer.id)},
    )
    assert created.status_code == 302
    assert "les deux parties vont recevoir les coordonnées" in client.get(created.location).text
    pair_id = int(created.location.rstrip("/").rsplit("/", 1)[1])
    assert _contact_mails(session, pair_id) == _both(world, person.candidate.email, "pending")

    closed = post(sign_in(app.test_client(), person), "/candidat/demande/clore")
    assert closed.status_code == 302
    session.refresh(request)
    assert request.status == RequestStatus.CLOSED
    assert _send(app).sent == 2
    assert _contact_mails(session, pair_id) == _both(world, person.candidate.email, "sent")


def test_the_api_decision_and_manual_pair_queue_the_contact_mails(
    app: Flask, world: World, session: Session
) -> None:
    _, token = data_auth.create_api_token(
        session, role=Role.COORDINATOR, user_id=world.coordinator.id, label="test"
    )
    other = f.make_request(session)
    session.commit()
    client = app.test_client()
    headers = {"Authorization": f"Bearer {token}"}

    decided = client.post(
        f"/api/v1/suggestions/{world.proposed.id}/decision",
        json={"decision": "approve"},
        headers=headers,
    )
    assert decided.status_code == 200 and decided.get_json()["status"] == "approved"
    assert _contact_mails(session, world.proposed.id) == _both(
        world, world.request.candidate.email, "pending"
    )
    twice = client.post(
        f"/api/v1/suggestions/{world.proposed.id}/decision",
        json={"decision": "approve"},
        headers=headers,
    )
    assert twice.status_code == 409
    assert twice.get_json()["message"] == (
        "Cette proposition vient d'être traitée par quelqu'un d'autre."
    )

    body = {"request_id": other.id, "offer_id": world.other_offer.id}
    created = client.post("/api/v1/suggestions", json=body, headers=headers)
    assert created.status_code == 201
    pair_id = created.get_json()["id"]
    assert _contact_mails(session, pair_id) == _both(world, other.candidate.email, "pending")
    again = client.post("/api/v1/suggestions", json=body, headers=headers)
    assert again.status_code == 409


def test_contact_mails_reach_people_who_chose_no_digest_and_unsubscribed(
    app: Flask, world: World, session: Session
) -> None:
    candidate = world.request.candidate
    ops.set_notification_preference(session, candidate, NotifyFrequency.NEVER)
    token = mail.unsubscribe_token_for(session, candidate.email)
    session.commit()
    done = post(app.test_client(), f"/desabonnement/{token}")
    assert done.status_code == 200 and mail.is_opted_out(session, candidate.email)

    client = sign_in(app.test_client(), world.coordinator)
    post(client, f"/coordination/suggestions/{world.proposed.id}/approuver")
    # An optional mail to the same address, queued after the opt-out, is still dropped.
    mail.queue_mail(
        session,
        mail.candidate_recipient(session, candidate),
        kind="still_looking",
        key="promise-test",
        template="still_looking",
        base_url="http://localhost",
        first_name=candidate.first_name,
        last_activity=candidate.last_activity_at,
        answer_url="http://localhost/toujours-en-recherche/x",
        pause_after_days=21,
    )
    session.commit()
    report = _send(app)
    assert (report.sent, report.suppressed) == (2, 1)
    assert _contact_mails(session, world.proposed.id) == _both(world, candidate.email, "sent")


def test_the_flash_names_a_side_without_address(app: Flask, world: World, session: Session) -> None:
    candidate = f.make_candidate(session)
    candidate.email = None  # as after an anonymisation: pages ask for one, the column allows none
    pair = f.make_suggestion(session, f.make_request(session, candidate), world.other_offer)
    session.commit()
    client = sign_in(app.test_client(), world.coordinator)
    approved = post(client, f"/coordination/suggestions/{pair.id}/approuver")
    flash = client.get(approved.location).text
    assert "les deux parties vont recevoir" not in flash
    assert "Le candidat n&#39;a pas d&#39;adresse électronique" in flash
    assert _contact_mails(session, pair.id) == {
        world.other_employer_user.email.lower(): ("contact_employer", "pending")
    }


def test_deleting_the_account_withdraws_the_contact_mails_not_sent(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.coordinator)
    pair_id = world.proposed.id
    post(client, f"/coordination/suggestions/{pair_id}/approuver")
    email = world.request.candidate.email
    deleted = post(
        sign_in(app.test_client(), world.candidate_user),
        "/candidat/supprimer",
        {"confirm": "SUPPRIMER"},
    )
    assert deleted.status_code == 302
    # The employer's mail about the person is withdrawn (and emptied); the person's own is gone.
    withdrawn = _both(world, email, "suppressed")
    del withdrawn[email.lower()]
    assert _contact_mails(session, pair_id) == withdrawn
    assert _send(app).sent == 0
