"""Sign-in operations: links, passwords, TOTP, rate limits, sessions and API tokens."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from data import auth
from data import operations as ops
from data.errors import ValidationError
from data.models import Candidate, Employer, Role, StructureKind, User
from data.models.auth import ApiToken, LoginToken
from data.privacy import ErasureCause, erase_candidate

T0 = datetime(2026, 3, 2, 9, 0, 0, tzinfo=UTC)


def _candidate_user(session: Session, email: str = "lea@example.org") -> User:
    cand = Candidate(first_name="Léa", last_name="Martin", email=email, consent_at=T0)
    session.add(cand)
    session.flush()
    user = User(email=email, role=Role.CANDIDATE, candidate_id=cand.id)
    session.add(user)
    session.flush()
    return user


def _employer(session: Session, siret: str = "73282932000074") -> Employer:
    emp = Employer(
        name="EHPAD Les Tilleuls",
        siret=siret,
        kind=StructureKind.EHPAD,
        contact_name="Anne Roux",
        contact_email="direction@tilleuls.example.org",
    )
    session.add(emp)
    session.flush()
    return emp


# --- TOTP ---------------------------------------------------------------------------------------

RFC6238_SHA1 = [  # RFC 6238 appendix B, SHA-1 column
    (59, "94287082"),
    (1111111109, "07081804"),
    (1111111111, "14050471"),
    (1234567890, "89005924"),
    (2000000000, "69279037"),
    (20000000000, "65353130"),
]


@pytest.mark.parametrize(("seconds", "expected"), RFC6238_SHA1)
def test_totp_matches_rfc6238_vectors(seconds: int, expected: str) -> None:
    key = base64.b32encode(b"12345678901234567890").decode()
    assert auth.totp_code(key, datetime.fromtimestamp(seconds, UTC), digits=8) == expected


def test_totp_code_is_accepted_once_and_within_one_step(session: Session) -> None:
    user, _, secret = auth.create_staff_user(session, email="coord@ain.example", role="coordinator")
    code = auth.totp_code(secret, T0)
    assert auth.verify_totp(session, user, code, now=T0)
    assert not auth.verify_totp(session, user, code, now=T0), "replayed code accepted"
    later = T0 + timedelta(seconds=30)
    assert auth.verify_totp(session, user, auth.totp_code(secret, later), now=later)
    far = T0 + timedelta(minutes=5)
    assert not auth.verify_totp(session, user, auth.totp_code(secret, T0), now=far)
    assert not auth.verify_totp(session, user, "12a456", now=far)


def test_totp_uri_names_issuer_account_and_secret() -> None:
    uri = auth.totp_uri("JBSWY3DPEHPK3PXP", "coord@ain.example")
    assert uri.startswith("otpauth://totp/Passerelle%3Acoord%40ain.example?")
    assert "secret=JBSWY3DPEHPK3PXP" in uri and "issuer=Passerelle" in uri


# --- Passwords and staff ------------------------------------------------------------------------


def test_password_hash_verifies_and_is_salted() -> None:
    h1 = auth.hash_password("correct horse battery", n=2**10)
    h2 = auth.hash_password("correct horse battery", n=2**10)
    assert h1 != h2 and h1.startswith("scrypt$1024$")
    assert auth.verify_password(h1, "correct horse battery")
    assert not auth.verify_password(h1, "correct horse batterz")
    assert not auth.verify_password(None, "anything")
    assert not auth.verify_password("md5$abc", "anything")


def test_password_strength_messages_are_french() -> None:
    assert auth.check_password_strength("court") == [
        "Le mot de passe doit compter au moins 12 caractères."
    ]
    assert auth.check_password_strength("aaaaaaaaaaaaaaaa") == [
        "Le mot de passe est trop répétitif."
    ]
    assert auth.check_password_strength("une phrase assez longue") == []


def test_authenticate_staff_needs_password_and_code(session: Session) -> None:
    user, password, secret = auth.create_staff_user(
        session, email="Admin@Ain.example", role=Role.ADMIN
    )
    assert user.email == "admin@ain.example"
    with pytest.raises(auth.SignInFailed):
        auth.authenticate_staff(session, "admin@ain.example", "wrong", auth.totp_code(secret, T0))
    with pytest.raises(auth.SignInFailed):
        auth.authenticate_staff(session, "admin@ain.example", password, "000000", now=T0)
    got = auth.authenticate_staff(
        session, " ADMIN@ain.example ", password, auth.totp_code(secret, T0), now=T0
    )
    assert got.id == user.id and got.last_login_at == T0

    auth.set_active(session, user, False)
    later = T0 + timedelta(minutes=1)
    with pytest.raises(auth.SignInFailed):
        auth.authenticate_staff(
            session, "admin@ain.example", password, auth.totp_code(secret, later), now=later
        )


def test_create_staff_user_refuses_other_roles_and_duplicates(session: Session) -> None:
    with pytest.raises(ValidationError) as err:
        auth.create_staff_user(session, email="x@ain.example", role="candidate")
    assert "role" in err.value.errors
    auth.create_staff_user(session, email="x@ain.example", role="admin")
    with pytest.raises(ValidationError) as err:
        auth.create_staff_user(session, email="X@ain.example", role="coordinator")
    assert err.value.errors["email"] == ["Un compte existe déjà avec cette adresse."]


def test_password_change_and_deactivation_end_sessions(session: Session) -> None:
    user, password, _ = auth.create_staff_user(session, email="c@ain.example", role="coordinator")
    version = user.session_version
    assert auth.session_user(session, user.id, version) is user
    with pytest.raises(ValidationError):
        auth.set_password(session, user, "not it", "a much better passphrase")
    with pytest.raises(ValidationError) as err:
        auth.set_password(session, user, password, "short")
    assert "new" in err.value.errors
    auth.set_password(session, user, password, "a much better passphrase")
    assert auth.session_user(session, user.id, version) is None
    assert auth.session_user(session, user.id, user.session_version) is user
    auth.set_active(session, user, False)
    assert auth.session_user(session, user.id, user.session_version) is None
    assert auth.session_user(session, "1", 1) is None


# --- Sign-in links ------------------------------------------------------------------------------


def test_login_link_is_single_use_and_stored_hashed(session: Session) -> None:
    user = _candidate_user(session)
    assert auth.find_link_user(session, "  LEA@example.org") is user
    raw = auth.create_login_link(session, user, now=T0)
    stored = session.scalars(select(LoginToken.token_hash)).all()
    assert raw not in stored and auth.hash_secret(raw) in stored
    assert auth.peek_login_link(session, raw, now=T0)
    assert auth.consume_login_link(session, raw, now=T0 + timedelta(minutes=1)) is user
    assert not auth.peek_login_link(session, raw, now=T0 + timedelta(minutes=2))
    with pytest.raises(auth.InvalidLink):
        auth.consume_login_link(session, raw, now=T0 + timedelta(minutes=2))


def test_login_link_expires_after_15_minutes(session: Session) -> None:
    user = _candidate_user(session)
    raw = auth.create_login_link(session, user, now=T0)
    with pytest.raises(auth.InvalidLink):
        auth.consume_login_link(session, raw, now=T0 + timedelta(minutes=15))
    raw = auth.create_login_link(session, user, now=T0)
    assert auth.consume_login_link(session, raw, now=T0 + timedelta(minutes=14, seconds=59))
    with pytest.raises(auth.InvalidLink):
        auth.consume_login_link(session, "forged", now=T0)


def test_login_link_dies_with_the_account_and_not_for_staff(session: Session) -> None:
    user = _candidate_user(session)
    raw = auth.create_login_link(session, user, now=T0)
    auth.set_active(session, user, False)
    assert auth.find_link_user(session, user.email) is None
    with pytest.raises(auth.InvalidLink):
        auth.consume_login_link(session, raw, now=T0)
    staff, _, _ = auth.create_staff_user(session, email="s@ain.example", role="admin")
    assert auth.find_link_user(session, "s@ain.example") is None
    with pytest.raises(auth.AuthError):
        auth.create_login_link(session, staff)


def test_using_a_link_or_ending_the_sessions_revokes_every_outstanding_link(
    session: Session,
) -> None:
    user = _candidate_user(session)
    first, second = (auth.create_login_link(session, user, now=T0) for _ in range(2))
    assert auth.consume_login_link(session, second, now=T0 + timedelta(minutes=1)) is user
    assert not auth.peek_login_link(session, first, now=T0 + timedelta(minutes=2))
    with pytest.raises(auth.InvalidLink):
        auth.consume_login_link(session, first, now=T0 + timedelta(minutes=2))

    def end_sessions() -> None:
        auth.end_all_sessions(session, user)

    def disable_then_enable() -> None:
        auth.set_active(session, user, False)
        auth.set_active(session, user, True)

    def deactivate_then_enable() -> None:
        ops.deactivate_user(session, user)
        auth.set_active(session, user, True)

    for revoke in (end_sessions, disable_then_enable, deactivate_then_enable):
        raw = auth.create_login_link(session, user)
        revoke()
        assert not auth.peek_login_link(session, raw), revoke.__name__
    # Another person's links are untouched.
    other = _candidate_user(session, "autre@example.org")
    kept = auth.create_login_link(session, other)
    auth.end_all_sessions(session, user)
    assert auth.peek_login_link(session, kept)


# --- Rate limits --------------------------------------------------------------------------------


def test_rate_limit_counts_per_key_and_window(session: Session) -> None:
    window = timedelta(minutes=15)
    t = datetime(2026, 3, 2, 9, 1, tzinfo=UTC)
    results = [
        auth.hit_rate_limit(session, "ip:1", limit=3, window=window, now=t) for _ in range(4)
    ]
    assert results == [True, True, True, False]
    assert auth.hit_rate_limit(session, "ip:2", limit=3, window=window, now=t)
    # A window later, the previous window's attempts still weigh almost fully...
    assert not auth.hit_rate_limit(session, "ip:1", limit=3, window=window, now=t + window)
    # ...two windows later, only the one refused attempt of the last window remains.
    assert auth.hit_rate_limit(session, "ip:1", limit=3, window=window, now=t + 2 * window)


def test_rate_limit_holds_across_a_window_boundary(session: Session) -> None:
    window = timedelta(minutes=15)
    boundary = datetime(2026, 3, 2, 12, 0, tzinfo=UTC)
    before = boundary - timedelta(seconds=1)
    assert auth.hit_rate_limit(session, "acct", limit=2, window=window, now=before)
    assert auth.hit_rate_limit(session, "acct", limit=2, window=window, now=before)
    # Fixed windows would reset here and allow two more attempts at once.
    assert not auth.hit_rate_limit(
        session, "acct", limit=2, window=window, now=boundary + timedelta(seconds=1)
    )
    # Refused attempts count too; once they have almost slid out, attempts are welcome again.
    assert auth.hit_rate_limit(
        session, "acct", limit=2, window=window, now=boundary + window + timedelta(minutes=14)
    )


def test_account_delay_grows_past_the_limit_up_to_its_cap(session: Session) -> None:
    window = timedelta(minutes=15)
    delays = [
        auth.account_delay(
            auth.count_attempt(session, "staff:x", window=window, now=T0), 3, cap=1.5
        )
        for _ in range(8)
    ]
    assert delays == [0, 0, 0, 0.25, 0.5, 1.0, 1.5, 1.5]
    assert auth.account_delay(10**9, 3, cap=2.0) == 2.0  # no overflow, however many


def test_purge_expired_removes_old_links_and_windows(session: Session) -> None:
    user = _candidate_user(session)
    auth.create_login_link(session, user, now=T0)
    auth.hit_rate_limit(session, "k", limit=1, window=timedelta(minutes=15), now=T0)
    assert auth.purge_expired(session, now=T0 + timedelta(hours=1)) == {
        "login_tokens": 0,
        "rate_limit_windows": 0,
    }
    assert auth.purge_expired(session, now=T0 + timedelta(days=2)) == {
        "login_tokens": 1,
        "rate_limit_windows": 1,
    }


# --- API tokens ---------------------------------------------------------------------------------


def test_api_tokens_authenticate_until_revoked(session: Session) -> None:
    emp = _employer(session)
    token, raw = auth.create_api_token(session, role="employer", employer_id=emp.id, label="SI")
    assert session.scalar(select(ApiToken.token_hash)) == auth.hash_secret(raw)
    assert auth.authenticate_api_token(session, raw, now=T0) is token
    assert token.last_used_at == T0
    assert auth.authenticate_api_token(session, raw + "x") is None
    auth.revoke_api_token(session, token.id, now=T0)
    assert auth.authenticate_api_token(session, raw) is None


@pytest.mark.parametrize(
    ("role", "link", "fields"),
    [
        ("employer", {}, {"employer_id"}),
        ("employer", {"employer_id": 999_999}, {"employer_id"}),
        ("employer", {"employer_id": "own", "candidate_id": "own"}, {"candidate_id"}),
        ("candidate", {}, {"candidate_id"}),
        ("candidate", {"candidate_id": 999_999}, {"candidate_id"}),
        ("candidate", {"candidate_id": "own", "employer_id": "own"}, {"employer_id"}),
        ("admin", {"employer_id": "own"}, {"employer_id"}),
        ("coordinator", {"candidate_id": "own"}, {"candidate_id"}),
        ("chef", {}, {"role"}),
    ],
)
def test_api_token_role_must_fit(
    session: Session, role: str, link: dict[str, object], fields: set[str]
) -> None:
    own = {
        "employer_id": lambda: _employer(session).id,
        "candidate_id": lambda: _candidate_user(session).candidate_id,
    }
    kwargs = {k: own[k]() if v == "own" else v for k, v in link.items()}
    with pytest.raises(ValidationError) as err:
        auth.create_api_token(session, role=role, **kwargs)
    assert set(err.value.errors) == fields
    assert all(m.endswith(".") for ms in err.value.errors.values() for m in ms)
    assert session.scalar(select(ApiToken.id)) is None


def test_candidate_token_names_its_candidate(session: Session) -> None:
    user = _candidate_user(session)
    token, raw = auth.create_api_token(
        session, role=Role.CANDIDATE, candidate_id=user.candidate_id, label="appli"
    )
    assert token.candidate_id == user.candidate_id and token.employer_id is None
    assert auth.authenticate_api_token(session, raw, now=T0) is token


@pytest.mark.parametrize(
    ("role", "link"),
    [
        ("candidate", {}),
        ("candidate", {"candidate_id": "own", "employer_id": "own"}),
        ("employer", {}),
        ("employer", {"employer_id": "own", "candidate_id": "own"}),
        ("admin", {"candidate_id": "own"}),
        ("coordinator", {"employer_id": "own"}),
    ],
)
def test_api_token_role_link_is_checked_by_the_database(
    session: Session, role: str, link: dict[str, str]
) -> None:
    ids = {
        "employer_id": _employer(session).id,
        "candidate_id": _candidate_user(session).candidate_id,
    }
    row = ApiToken(token_hash="0" * 64, role=Role(role), **{k: ids[k] for k in link})
    with pytest.raises(IntegrityError, match="role_link"), session.begin_nested():
        session.add(row)
        session.flush()


def test_employer_token_stops_when_every_account_of_its_structure_is_disabled(
    session: Session,
) -> None:
    employer = _employer(session)
    first = ops.create_user(session, email="un@ehpad.example", role="employer", employer=employer)
    second = ops.create_user(
        session, email="deux@ehpad.example", role="employer", employer=employer
    )
    lone = _employer(session, siret="35600000000048")
    _, raw = auth.create_api_token(session, role="employer", employer_id=employer.id)
    _, lone_raw = auth.create_api_token(session, role="employer", employer_id=lone.id)
    auth.set_active(session, first, False)
    assert auth.authenticate_api_token(session, raw) is not None  # a colleague still works there
    ops.deactivate_user(session, second)
    assert auth.authenticate_api_token(session, raw) is None
    auth.set_active(session, second, True)
    assert auth.authenticate_api_token(session, raw) is not None
    # A structure without any account (tokens made by an admin) keeps its token.
    assert auth.authenticate_api_token(session, lone_raw) is not None


def test_candidate_token_stops_when_the_candidate_leaves(session: Session) -> None:
    kept, kept_raw = auth.create_api_token(
        session,
        role="candidate",
        candidate_id=_candidate_user(session, "a@example.org").candidate_id,
    )
    anonymised = _candidate_user(session, "b@example.org").candidate_id
    _, anonymised_raw = auth.create_api_token(session, role="candidate", candidate_id=anonymised)
    deleted = _candidate_user(session, "c@example.org").candidate_id
    _, deleted_raw = auth.create_api_token(session, role="candidate", candidate_id=deleted)
    disabled = _candidate_user(session, "d@example.org")
    _, disabled_raw = auth.create_api_token(
        session, role="candidate", candidate_id=disabled.candidate_id
    )
    for raw in (kept_raw, anonymised_raw, deleted_raw, disabled_raw):
        assert auth.authenticate_api_token(session, raw) is not None

    erase_candidate(session, anonymised, cause=ErasureCause.RETENTION, now=T0)
    erase_candidate(session, deleted, cause=ErasureCause.PERSON)
    auth.set_active(session, disabled, False)
    session.expire_all()

    assert auth.authenticate_api_token(session, kept_raw) is kept
    assert auth.authenticate_api_token(session, anonymised_raw) is None
    assert auth.authenticate_api_token(session, disabled_raw) is None
    assert auth.authenticate_api_token(session, deleted_raw) is None
    # Erasing a candidate (by retention or on request, the same erasure) revokes their tokens;
    # the rows stay (listed, named by number in the audit lines).
    left = session.scalars(select(ApiToken.candidate_id).order_by(ApiToken.id)).all()
    assert left == [kept.candidate_id, anonymised, deleted, disabled.candidate_id]
    # And no new token for an anonymised candidate.
    with pytest.raises(ValidationError) as err:
        auth.create_api_token(session, role="candidate", candidate_id=anonymised)
    assert "anonymisé" in err.value.errors["candidate_id"][0]
