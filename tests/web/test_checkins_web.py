"""The check-ins' pages (issue 19): the token page says which pair and which day, the
coordinators' « Binômes à appeler » lists a bad answer and a silence with the answers, the
dashboard counts them, a call with its note takes the pair off, the pair page shows it all."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from data.models import SuggestionStatus
from data.models.mail import OutboxMessage
from data.operations import checkins as ops
from data.presentation.formatters import PARIS, date_fr
from tests.web.conftest import World, post, sign_in
from tests.web.test_wording import faults, visible_text

LINK_RE = re.compile(r"/questionnaire/([A-Za-z0-9_\-]+)")


def _token(session: Session, side: str) -> str:
    text = session.scalar(
        select(OutboxMessage.text).where(
            OutboxMessage.kind == "questionnaire", OutboxMessage.key.endswith(f":{side}")
        )
    )
    found = LINK_RE.search(text or "")
    assert found is not None
    return found.group(1)


def test_a_bad_answer_and_a_silence_wait_for_a_call_then_leave_the_list(
    app: Flask, world: World, session: Session
) -> None:
    now = datetime.now(UTC)
    pair = world.suggestion
    # Day 15 came eight days ago: the structure's week of silence is over.
    pair.status = SuggestionStatus.CONTRACT_SIGNED
    pair.contract_signed_on = pair.contract_start_on = now.astimezone(PARIS).date() - timedelta(
        days=23
    )
    sent_at = now - timedelta(days=8)
    assert ops.send_due_checkins(session, now=sent_at) == 2
    session.commit()

    anonymous = sign_in(app.test_client(), None)
    token = _token(session, "candidate")
    form = anonymous.get(f"/questionnaire/{token}")
    assert form.status_code == 200
    assert f"chez {world.employer.name}" in form.text and "le point au 15e jour" in form.text
    assert "Comment se passent vos débuts ?" in form.text
    bad = {"going": "rather_bad", "supported": "no", "carry_on": "yes", "comment": "Trop seul"}
    assert post(anonymous, f"/questionnaire/{token}", bad).status_code == 302
    done = anonymous.get(f"/questionnaire/{token}")
    assert "l'équipe de coordination vous appellera" in visible_text(done.text)
    assert "Transformer cette découverte" not in done.text

    coordinator = sign_in(app.test_client(), world.coordinator)
    dashboard = coordinator.get("/coordination/")
    assert "1 binôme à appeler" in visible_text(dashboard.text)
    listing = coordinator.get("/coordination/binomes-a-appeler")
    text = visible_text(listing.text)
    assert world.employer.name in text and pair.request.candidate.last_name in text
    assert "15e jour" in text and "Plutôt mal" in text and "Trop seul" in text
    assert f"pas de réponse depuis le {date_fr(sent_at)}" in text
    assert not faults(text)

    empty = post(coordinator, f"/coordination/suggestions/{pair.id}/appele", {"call_note": ""})
    assert empty.status_code == 400
    assert "Ce qui s'est dit lors de l'appel" in visible_text(empty.text)
    called = post(
        coordinator,
        f"/coordination/suggestions/{pair.id}/appele",
        {"call_note": "Rendez-vous pris avec la tutrice.", "back": "/coordination/"},
    )
    assert called.status_code == 302 and called.headers["Location"].endswith("/coordination/")
    after = visible_text(coordinator.get("/coordination/binomes-a-appeler").text)
    assert "Aucun binôme à appeler" in after
    assert "binôme à appeler" not in visible_text(coordinator.get("/coordination/").text)
    again = post(
        coordinator, f"/coordination/suggestions/{pair.id}/appele", {"call_note": "Encore"}
    )
    assert again.status_code == 302  # refused with a French message, never a 500

    page = visible_text(coordinator.get(f"/coordination/suggestions/{pair.id}").text)
    assert "Suivi des premiers jours du contrat" in page and "Trop seul" in page
    assert "Rendez-vous pris avec la tutrice." in page
    assert "Appel de la coordination après les questionnaires de suivi" in page
    assert not faults(page)


def test_a_pair_without_check_ins_shows_no_follow_up(app: Flask, world: World) -> None:
    coordinator = sign_in(app.test_client(), world.coordinator)
    page = coordinator.get(f"/coordination/suggestions/{world.suggestion.id}").text
    assert "Suivi des premiers jours du contrat" not in page
