"""Every mail a page or the API promises is queued in the same commit as the decision.

The promises (pages, flash messages, API docstrings) and the test that keeps each:

1. "Approuver" (``coordinator.approve``) flashes « les deux parties vont recevoir les coordonnées
   par courriel » -> both contact mails are in the outbox when the approval commits, and stay
   there whatever happens next (pair moved on at once, abandoned, request closed):
   ``test_approving_through_the_page_queues_both_contact_mails_at_once``.
"""

from __future__ import annotations

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.mail import make_mailer
from data.models.mail import OutboxMessage
from jobs.contacts import send_contacts
from tests.web.conftest import World, post, sign_in
from web.db import state


def _contact_mails(session: Session, pair_id: int) -> dict[str, str]:
    """Return the pair's queued contact mails: recipient -> kind."""
    session.expire_all()
    rows = session.execute(
        select(OutboxMessage.recipient, OutboxMessage.kind).where(
            OutboxMessage.key == f"contact:{pair_id}"
        )
    ).all()
    return dict(rows)


def test_approving_through_the_page_queues_both_contact_mails_at_once(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.coordinator)
    pair = world.proposed
    approved = post(client, f"/coordination/suggestions/{pair.id}/approuver")
    assert approved.status_code == 302
    # The coordinator moves the pair on before the contacts job's next run.
    moved = post(client, f"/coordination/suggestions/{pair.id}/etape/entretien")
    assert moved.status_code == 302
    send_contacts(state(app).session_factory, make_mailer(app.config))

    assert _contact_mails(session, pair.id) == {
        world.request.candidate.email.lower(): "contact_candidate",
        world.other_employer_user.email.lower(): "contact_employer",
    }
