"""A sign-in address changes only through a link to the new address (candidates, employers,
and their API tokens); the old address is told."""

from __future__ import annotations

import re

from flask import Flask
from sqlalchemy import select
from sqlalchemy.orm import Session

from data import auth
from data.models import Candidate, Role, User
from data.models.mail import OutboxMessage
from data.operations import account_email
from tests.data import factories as f
from tests.web.api_fixtures import ApiClient
from tests.web.conftest import World, post, sign_in

CONFIRM_RE = re.compile(r"(/compte/adresse/[A-Za-z0-9_\-]+)")


def _mails(session: Session, to: str) -> list[OutboxMessage]:
    session.expire_all()
    stmt = select(OutboxMessage).where(OutboxMessage.recipient == to).order_by(OutboxMessage.id)
    return list(session.scalars(stmt))


def _profile(candidate: Candidate, user: User, **changes: str) -> dict[str, str]:
    form = {
        "first_name": candidate.first_name,
        "last_name": candidate.last_name,
        "email": user.email,
        "phone": candidate.phone or "",
        "presentation": "",
    }
    return {**form, **changes}


def test_a_candidate_changes_address_by_the_link_sent_to_the_new_one(
    app: Flask, world: World, session: Session
) -> None:
    user = world.candidate_user
    candidate = world.request.candidate
    old = user.email
    client = sign_in(app.test_client(), user)
    form = client.get("/candidat/informations").text
    assert 'name="email"' in form and 'type="email"' in form

    sent = post(
        client,
        "/candidat/informations",
        _profile(candidate, world.candidate_user, email="neuve@ex.org"),
    )
    assert sent.status_code == 302
    assert "Un lien de confirmation est envoyé à neuve@ex.org" in client.get("/candidat/").text
    session.expire_all()
    assert session.get(User, user.id).email == old  # not yet
    (notice,) = _mails(session, old)
    assert "va changer" in notice.subject and "neuve@ex.org" in notice.text
    (confirm,) = _mails(session, "neuve@ex.org")
    link = CONFIRM_RE.search(confirm.text)
    assert link is not None

    # Opening the link only shows the page (mail scanners open links); the button confirms.
    anyone = sign_in(app.test_client(), None)
    page = anyone.get(link.group(1))
    assert page.status_code == 200 and "neuve@ex.org" in page.text
    assert "Confirmer ma nouvelle adresse" in page.text
    done = post(anyone, link.group(1))
    assert done.status_code == 302 and done.headers["Location"] == "/connexion"
    session.expire_all()
    assert session.get(User, user.id).email == "neuve@ex.org"
    assert session.get(Candidate, candidate.id).email == "neuve@ex.org"
    # The old session is over; the link is used up; the old address was told it changed.
    assert client.get("/candidat/").status_code == 302
    again = post(sign_in(anyone, None), link.group(1))
    assert again.status_code == 400 and "plus valable" in again.text
    assert [m.kind for m in _mails(session, old)] == ["email_change_notice", "email_changed"]
    assert auth.find_link_user(session, "neuve@ex.org") is not None


def test_an_address_in_use_is_refused_and_nothing_of_the_form_is_kept(
    app: Flask, world: World, session: Session
) -> None:
    candidate = world.request.candidate
    client = sign_in(app.test_client(), world.candidate_user)
    taken = world.other_employer_user.email
    answer = post(
        client,
        "/candidat/informations",
        _profile(candidate, world.candidate_user, first_name="Zoé", email=taken),
    )
    assert answer.status_code == 400
    assert account_email.ADDRESS_TAKEN.split(" :")[0] in answer.text
    session.expire_all()
    assert session.get(Candidate, candidate.id).first_name != "Zoé"
    assert _mails(session, taken) == []
    # The same address as today: a plain save, no mail.
    same = post(
        client,
        "/candidat/informations",
        _profile(candidate, world.candidate_user, first_name="Zoé"),
    )
    assert same.status_code == 302
    assert _mails(session, world.candidate_user.email) == []


def test_an_employer_changes_address_from_their_space(
    app: Flask, world: World, session: Session
) -> None:
    client = sign_in(app.test_client(), world.employer_user)
    assert "changer mon adresse de connexion" in client.get("/employeur/structure").text
    page = client.get("/employeur/mon-adresse")
    assert page.status_code == 200 and world.employer_user.email in page.text
    bad = post(client, "/employeur/mon-adresse", {"email": world.coordinator.email})
    assert bad.status_code == 400 and "déjà utilisée" in bad.text
    assert post(client, "/employeur/mon-adresse", {"email": "dir@ex.org"}).status_code == 302
    assert "attend sa confirmation" in client.get("/employeur/mon-adresse").text
    assert len(_mails(session, "dir@ex.org")) == 1
    session.expire_all()
    assert session.get(User, world.employer_user.id).email != "dir@ex.org"


def test_api_tokens_ask_for_their_own_account_only(
    app: Flask, world: World, session: Session
) -> None:
    _, candidate_raw = auth.create_api_token(
        session, role=Role.CANDIDATE, candidate_id=world.request.candidate_id
    )
    _, named_raw = auth.create_api_token(
        session,
        role=Role.EMPLOYER,
        employer_id=world.employer.id,
        user_id=world.employer_user.id,
    )
    stranger = f.make_user(session, Role.CANDIDATE)
    session.commit()
    candidate = ApiClient(app.test_client(), candidate_raw)
    asked = candidate.post("/api/v1/account/email", {"email": "api.neuve@ex.org"})
    assert asked.status_code == 202 and asked.get_json()["new_email"] == "api.neuve@ex.org"
    assert len(_mails(session, "api.neuve@ex.org")) == 1
    taken = candidate.post("/api/v1/account/email", {"email": stranger.email})
    assert taken.status_code == 422
    assert taken.get_json()["errors"] == {"email": [account_email.ADDRESS_TAKEN]}

    employer = ApiClient(app.test_client(), named_raw)
    assert employer.post("/api/v1/account/email", {"email": "e@ex.org"}).status_code == 202
    (to_old,) = [m for m in _mails(session, world.employer_user.email)]
    assert to_old.kind == "email_change_notice"
