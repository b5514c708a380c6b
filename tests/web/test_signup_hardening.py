"""Issue 12: sign-in and sign-up tell nothing about an address or a SIRET, and send no mail in the
request; a second sign-up with a registered SIRET is a request to join, reviewed by the structure's
people or a coordinator."""

from __future__ import annotations

import re
from datetime import timedelta
from pathlib import Path

import pytest
from flask import Flask
from flask.testing import FlaskClient
from sqlalchemy import Connection, Engine, select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.models import (
    AuditEntry,
    Employer,
    JoinRequestStatus,
    Role,
    StructureJoinRequest,
    User,
    utcnow,
)
from data.models.mail import OutboxMessage
from data.operations import employers as employer_ops
from tests.data import factories as f
from tests.jobs.conftest import SmtpServer, smtp_server  # noqa: F401  (a fixture)
from tests.web.conftest import World, deliver_mails, make_app, post, sign_in

LINK_RE = re.compile(r"(/connexion/lien/[A-Za-z0-9_\-]+)")


def _anonymous(app: Flask) -> FlaskClient:
    return sign_in(app.test_client(), None)


def _page(text: str, *addresses: str) -> str:
    """The answer with what may differ between two visitors taken out: the address typed back, the
    CSRF token, a CSP nonce."""
    for address in addresses:
        text = text.replace(address, "ADDRESS")
    text = re.sub(r'(name="csrf_token" value=|nonce=)"[^"]*"', r"\1", text)
    return text


def _answers(app: Flask, url: str, forms: list[dict[str, str]], *fields: str) -> set[tuple]:
    """(status, page) of each form posted by a new anonymous visitor, what was typed in ``fields``
    (the address, the SIRET) blanked."""
    found = set()
    for form in forms:
        response = post(_anonymous(app), url, form)
        found.add((response.status_code, _page(response.text, *(form[k] for k in fields))))
    return found


def _outbox(session: Session, to: str) -> list[OutboxMessage]:
    session.expire_all()
    return list(
        session.scalars(
            select(OutboxMessage).where(OutboxMessage.recipient == to).order_by(OutboxMessage.id)
        )
    )


# --- Enumeration: the same answer whatever the address ------------------------------------------


def test_sign_in_answers_alike_for_known_and_unknown_addresses(app: Flask, world: World) -> None:
    forms = [
        {"email": world.employer_user.email},
        {"email": world.candidate_user.email},
        {"email": world.coordinator.email},
        {"email": "personne@example.org"},
    ]
    answers = _answers(app, "/connexion", forms, "email")
    assert len(answers) == 1
    status, page = answers.pop()
    assert status == 200 and "Vérifiez votre messagerie" in page
    assert "Le courriel part d'ici 1 minute." in page  # the sender's default interval


def test_the_answer_announces_the_senders_interval(
    connection: Connection, engine: Engine, tmp_path: Path, world: World
) -> None:
    app = make_app(connection, engine, tmp_path, JOB_SCHEDULE={"sender": {"minutes": 5}})
    page = post(_anonymous(app), "/connexion", {"email": world.employer_user.email}).text
    assert "Le courriel part d'ici 5 minutes." in page


def _candidate(email: str) -> dict[str, str]:
    return {"first_name": "Inès", "last_name": "Garnier", "email": email, "consent": "1"}


def test_candidate_sign_up_answers_alike_for_any_address(
    app: Flask, world: World, session: Session
) -> None:
    known = [world.candidate_user.email, world.employer_user.email, world.coordinator.email]
    forms = [_candidate(a) for a in [*known, "nouvelle@example.org"]]
    answers = _answers(app, "/inscription/candidat", forms, "email")
    assert len(answers) == 1, "the answer tells a known address from an unknown one"
    status, page = answers.pop()
    assert status == 200 and "Vérifiez votre messagerie" in page
    assert "existe déjà" not in page

    # The new person has an account; the known ones got no second one.
    new = session.scalar(select(User).where(User.email == "nouvelle@example.org"))
    assert new is not None and new.role == Role.CANDIDATE
    assert session.scalar(select(User).where(User.email == world.coordinator.email)).role == (
        Role.COORDINATOR
    )
    # Known people who sign in by link are told they have an account, with a link; staff get
    # nothing (they sign in with a password, and nothing must show that the address is staff's).
    for user in (world.candidate_user, world.employer_user):
        (queued,) = _outbox(session, user.email)
        assert "Vous avez déjà un compte" in queued.subject and LINK_RE.search(queued.text)
    assert _outbox(session, world.coordinator.email) == []


def test_invalid_forms_are_refused_alike_for_known_and_unknown_addresses(
    app: Flask, world: World
) -> None:
    forms = [
        {**_candidate(a), "consent": ""}
        for a in (world.candidate_user.email, world.coordinator.email, "x@example.org")
    ]
    answers = _answers(app, "/inscription/candidat", forms, "email")
    assert len(answers) == 1
    assert answers.pop()[0] == 400


def _employer(email: str, siret: str, name: str = "EHPAD Les Jardins de Brou") -> dict[str, str]:
    return {
        "name": name,
        "siret": siret,
        "kind": "ehpad",
        "contact_name": "Claire Martin",
        "contact_email": email,
        "contact_phone": "04 74 00 00 02",
        "message": "Je suis la directrice adjointe.",
        "consent": "1",
    }


def test_employer_sign_up_answers_alike_for_any_address_and_siret(
    app: Flask, world: World, session: Session
) -> None:
    registered = world.employer.siret
    forms = [
        _employer(world.employer_user.email, f.fake_siret()),
        _employer(world.coordinator.email, f.fake_siret()),
        _employer("nouvelle@example.org", f.fake_siret()),
        _employer("usurpateur@example.org", registered, "EHPAD Les Tilleuls (officiel)"),
    ]
    answers = _answers(app, "/inscription/employeur", forms, "contact_email")
    assert len(answers) == 1, "the answer tells a known address or a registered SIRET"
    status, page = answers.pop()
    assert status == 200 and "Vérifiez votre messagerie" in page
    assert "SIRET" not in page and "existe déjà" not in page


def test_a_bad_siret_is_refused_alike_registered_or_not(app: Flask, world: World) -> None:
    forms = [
        {**_employer("a@example.org", world.employer.siret), "consent": ""},
        {**_employer("b@example.org", f.fake_siret()), "consent": ""},
    ]
    answers = _answers(app, "/inscription/employeur", forms, "contact_email", "siret")
    assert len(answers) == 1 and answers.pop()[0] == 400


# --- No mail server in the request -------------------------------------------------------------


@pytest.fixture
def smtp_app(
    connection: Connection,
    engine: Engine,
    tmp_path: Path,
    smtp_server: SmtpServer,  # noqa: F811  (the fixture of tests/jobs/conftest.py)
) -> Flask:
    return make_app(connection, engine, tmp_path, **smtp_server.config(BASE_URL="http://localhost"))


@pytest.mark.parametrize(
    ("url", "form"),
    [
        ("/connexion", lambda u: {"email": u.email}),
        ("/inscription/candidat", lambda u: _candidate(u.email)),
        ("/inscription/employeur", lambda u: _employer(u.email, f.fake_siret())),
    ],
    ids=["sign-in", "candidate-sign-up", "employer-sign-up"],
)
def test_no_mail_leaves_during_the_request_the_sender_sends_it(
    smtp_app: Flask,
    smtp_server: SmtpServer,  # noqa: F811
    world: World,
    session: Session,
    url: str,
    form,
) -> None:
    user = world.employer_user
    response = post(_anonymous(smtp_app), url, form(user))
    assert response.status_code == 200
    # The mail is queued, committed, and nothing reached the server.
    (queued,) = _outbox(session, user.email)
    assert queued.status == "pending"
    assert smtp_server.messages == []

    report = deliver_mails(smtp_app)  # what the jobs' sender does every minute
    assert report.sent == 1
    (message,) = smtp_server.messages
    assert message["To"] == user.email
    path = LINK_RE.search(message.get_body(("plain",)).get_content()).group(1)
    client = _anonymous(smtp_app)
    assert post(client, path).headers["Location"] == "/employeur/"


# --- A registered SIRET: a request to join, reviewed by the structure or a coordinator ----------


def _ask_to_join(app: Flask, world: World, email: str = "claire@example.org") -> None:
    response = post(
        _anonymous(app), "/inscription/employeur", _employer(email, world.employer.siret)
    )
    assert response.status_code == 200 and "Vérifiez votre messagerie" in response.text


def _pending(session: Session) -> StructureJoinRequest:
    session.expire_all()
    (join,) = session.scalars(select(StructureJoinRequest))
    return join


def test_a_registered_siret_makes_a_request_to_join_not_a_structure(
    app: Flask, world: World, session: Session
) -> None:
    employers_before = session.scalar(select(Employer.id).order_by(Employer.id.desc()).limit(1))
    _ask_to_join(app, world)
    # No new structure, no account: only a request, with what the reviewers need.
    assert (
        session.scalar(select(Employer.id).order_by(Employer.id.desc()).limit(1))
        == employers_before
    )
    assert session.scalar(select(User).where(User.email == "claire@example.org")) is None
    join = _pending(session)
    assert join.employer_id == world.employer.id and join.status == JoinRequestStatus.PENDING
    assert (join.name, join.phone, join.message) == (
        "Claire Martin",
        "04 74 00 00 02",
        "Je suis la directrice adjointe.",
    )
    # The requester is told the request is being reviewed; the structure's people are asked.
    (to_requester,) = _outbox(session, "claire@example.org")
    assert "en cours d'examen" in to_requester.subject
    assert "SIRET" not in to_requester.text and world.employer.name not in to_requester.text
    (to_structure,) = _outbox(session, world.employer_user.email)
    assert "Claire Martin" in to_structure.text and "/employeur/" in to_structure.text
    assert _outbox(session, world.other_employer_user.email) == []

    # Asking again while pending makes no second request.
    _ask_to_join(app, world)
    assert len(session.scalars(select(StructureJoinRequest)).all()) == 1


def test_the_structure_accepts_and_the_requester_signs_in_to_it(
    app: Flask, world: World, session: Session
) -> None:
    _ask_to_join(app, world)
    join = _pending(session)
    owner = sign_in(app.test_client(), world.employer_user)
    dashboard = owner.get("/employeur/").text
    assert "Demandes pour rejoindre la structure" in dashboard and "Claire Martin" in dashboard

    url = f"/employeur/demandes-de-rattachement/{join.id}/accepter"
    # Nobody else decides: another structure, a candidate, a visitor.
    assert post(sign_in(app.test_client(), world.other_employer_user), url).status_code == 404
    assert post(sign_in(app.test_client(), world.candidate_user), url).status_code == 403
    assert post(_anonymous(app), url).status_code == 302
    assert _pending(session).status == JoinRequestStatus.PENDING

    response = post(owner, url)
    assert response.status_code == 302 and response.headers["Location"] == "/employeur/"
    assert "Demande acceptée" in owner.get("/employeur/").text
    assert _pending(session).status == JoinRequestStatus.ACCEPTED
    user = session.scalar(select(User).where(User.email == "claire@example.org"))
    assert user is not None and user.role == Role.EMPLOYER
    assert user.employer_id == world.employer.id and user.display_name == "Claire Martin"
    actions = session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_type == "structure_join_request")
    ).all()
    assert actions == ["join_requested", "join_accepted"]

    deliver_mails(app)
    (accepted,) = [m for m in _outbox(session, "claire@example.org") if m.kind == "signin"]
    assert "acceptée" in accepted.subject
    client = _anonymous(app)
    assert post(client, LINK_RE.search(accepted.text).group(1)).status_code == 302
    assert world.employer.name in client.get("/employeur/").text

    # Decided once: a second decision is refused in French.
    again = post(owner, f"/employeur/demandes-de-rattachement/{join.id}/refuser")
    assert again.status_code == 302
    assert "traitée par quelqu" in owner.get("/employeur/").text
    assert _pending(session).status == JoinRequestStatus.ACCEPTED


def test_a_coordinator_lists_and_refuses_with_a_neutral_mail(
    app: Flask, world: World, session: Session
) -> None:
    _ask_to_join(app, world)
    join = _pending(session)
    coordinator = sign_in(app.test_client(), world.coordinator)
    page = coordinator.get("/coordination/rattachements").text
    assert "Claire Martin" in page and world.employer.name in page and world.employer.siret in page

    response = post(coordinator, f"/coordination/rattachements/{join.id}/refuser")
    assert response.status_code == 302
    assert "Demande refusée" in coordinator.get("/coordination/rattachements").text
    assert _pending(session).status == JoinRequestStatus.REFUSED
    assert session.scalar(select(User).where(User.email == "claire@example.org")) is None
    refused = [m for m in _outbox(session, "claire@example.org") if m.kind == "join_request"][-1]
    assert "n'a pas été acceptée" in refused.text
    assert world.employer.name not in refused.text and "SIRET" not in refused.text
    assert "Aucune demande en attente" in coordinator.get("/coordination/rattachements").text


def test_refused_requests_are_deleted_after_the_kept_days(session: Session) -> None:
    employer = f.make_employer(session)
    reviewer = f.make_user(session, Role.COORDINATOR)
    now = utcnow()
    old = employer_ops.request_to_join(session, employer, name="A", email="a@example.org", now=now)
    recent = employer_ops.request_to_join(
        session, employer, name="B", email="b@example.org", now=now
    )
    pending = employer_ops.request_to_join(
        session, employer, name="C", email="c@example.org", now=now
    )
    days = timedelta(days=employer_ops.REFUSED_KEPT_DAYS)
    employer_ops.refuse_join_request(
        session, old, Actor.user(reviewer), now=now - days - timedelta(hours=1)
    )
    employer_ops.refuse_join_request(
        session, recent, Actor.user(reviewer), now=now - days + timedelta(hours=1)
    )
    assert employer_ops.purge_refused_join_requests(session, now=now) == 1
    left = {j.email for j in session.scalars(select(StructureJoinRequest))}
    assert left == {"b@example.org", "c@example.org"} and pending.status == "pending"
