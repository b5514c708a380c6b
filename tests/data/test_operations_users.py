"""Users (role and link, e-mail lookup, deactivation) and the access log."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest
from sqlalchemy import func, select

from data import operations as ops
from data.actor import Actor
from data.errors import NotFound, ValidationError
from data.models import AuditEntry, Role, User
from data.operations.audit import ACCESS_ACTION, entries_for
from data.operations.users import DUPLICATE_EMAIL
from data.operations.validation import REQUIRED
from tests.data.factories import (
    assert_nothing_pending,
    make_candidate,
    make_employer,
    make_user,
)

NOW = datetime(2026, 3, 2, 9, 30, tzinfo=UTC)


def _users(session) -> int:
    return session.scalar(select(func.count()).select_from(User))


def test_create_users_of_each_role(session) -> None:
    employer = make_employer(session)
    candidate = make_candidate(session)
    boss = ops.create_user(session, email=" Chef@Example.ORG ", role="employer", employer=employer)
    person = ops.create_user(
        session, email="lea@example.org", role=Role.CANDIDATE, candidate=candidate
    )
    staff = ops.create_user(
        session, email="coordination@passerelle.local", role="coordinator", display_name=" Coord "
    )
    admin = ops.create_user(session, email="admin@passerelle.local", role="admin")
    assert boss.email == "chef@example.org" and boss.employer is employer
    assert person.candidate is candidate and person.employer is None
    assert (staff.role, staff.display_name) == (Role.COORDINATOR, "Coord")
    for user in (boss, person, staff, admin):
        assert user.is_active and user.session_version == 1 and user.password_hash is None


@pytest.mark.parametrize(
    ("role", "link", "errors"),
    [
        ("employer", {}, {"employer": ["Un compte employeur doit être rattaché à une structure."]}),
        (
            "employer",
            {"employer": True, "candidate": True},
            {"candidate": ["Un compte employeur ne peut pas être lié à un candidat."]},
        ),
        ("candidate", {}, {"candidate": ["Un compte candidat doit être rattaché à un candidat."]}),
        (
            "candidate",
            {"employer": True, "candidate": True},
            {"employer": ["Un compte candidat ne peut pas être lié à une structure."]},
        ),
        (
            "coordinator",
            {"employer": True},
            {"employer": ["Un compte de l'équipe ne peut pas être lié à une structure."]},
        ),
        (
            "admin",
            {"candidate": True},
            {"candidate": ["Un compte de l'équipe ne peut pas être lié à un candidat."]},
        ),
        ("superuser", {}, None),
    ],
)
def test_role_and_link_must_agree(session, role: str, link: dict, errors: dict | None) -> None:
    kwargs = {}
    if link.get("employer"):
        kwargs["employer"] = make_employer(session)
    if link.get("candidate"):
        kwargs["candidate"] = make_candidate(session)
    before = _users(session)
    with pytest.raises(ValidationError) as info:
        ops.create_user(session, email="x@example.org", role=role, **kwargs)
    if errors is None:
        assert list(info.value.errors) == ["role"]
    else:
        assert info.value.errors == errors
    assert_nothing_pending(session)
    assert _users(session) == before


def test_create_user_refuses_bad_or_taken_email_and_a_second_candidate_account(session) -> None:
    user = make_user(session, role="candidate")
    with pytest.raises(ValidationError) as info:
        ops.create_user(
            session, email=user.email.upper(), role="candidate", candidate=user.candidate
        )
    assert info.value.errors == {
        "candidate": ["Ce candidat a déjà un compte."],
        "email": [DUPLICATE_EMAIL],
    }
    for bad, message in ((None, REQUIRED), ("nope", "Adresse électronique invalide.")):
        with pytest.raises(ValidationError) as info:
            ops.create_user(session, email=bad, role="admin", display_name="x" * 201)
        assert info.value.errors == {
            "email": [message],
            "display_name": ["Ce texte ne peut pas dépasser 200 caractères."],
        }
    assert_nothing_pending(session)
    with pytest.raises(NotFound):
        ops.create_user(session, email="y@example.org", role="employer", employer=10**9)


def test_find_user_by_email_ignores_case_and_spaces(session) -> None:
    user = make_user(session, email="Marie.Curie@Example.org")
    assert user.email == "marie.curie@example.org"
    assert ops.find_user_by_email(session, "  MARIE.curie@example.ORG ") is user
    assert ops.find_user_by_email(session, "autre@example.org") is None
    assert ops.find_user_by_email(session, "") is None


def test_deactivate_user_bumps_the_session_version(session) -> None:
    user = make_user(session)
    ops.deactivate_user(session, user)
    assert (user.is_active, user.session_version) == (False, 2)
    ops.deactivate_user(session, user.id)
    assert user.session_version == 3
    with pytest.raises(NotFound):
        ops.deactivate_user(session, 10**9)


def test_log_access(session) -> None:
    coordinator = make_user(session)
    candidate = make_candidate(session)
    entry = ops.log_access(
        session,
        Actor.user(coordinator),
        "candidate",
        candidate.id,
        ["phone", "email", "phone"],
        now=NOW,
    )
    assert (entry.actor_id, entry.action, entry.object_type, entry.object_id) == (
        coordinator.id,
        ACCESS_ACTION,
        "candidate",
        candidate.id,
    )
    assert entry.details == {"fields": ["email", "phone"]}
    assert entry.at == NOW
    ops.log_access(session, Actor.user(coordinator), "candidate", candidate.id, ["last_name"])
    history = entries_for(session, "candidate", candidate.id)
    assert [e.details["fields"] for e in history] == [["email", "phone"], ["last_name"]]
    assert session.scalar(select(func.count()).select_from(AuditEntry)) >= 2
