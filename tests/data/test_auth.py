"""Sign-in operations: links, passwords, TOTP, rate limits, sessions and API tokens."""

from __future__ import annotations

import base64
from datetime import UTC, datetime, timedelta

import pytest
from sqlalchemy import func, select
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


def _scrypt_hash(password: str, *, n: int = 2**15) -> str:
    """A hash as data.auth made them before argon2id (its code then, kept here as a fixture)."""
    import hashlib
    import secrets

    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=8, p=1, maxmem=64 * 1024 * 1024
    )
    b64 = base64.b64encode
    return f"scrypt${n}$8$1${b64(salt).decode()}${b64(digest).decode()}"


def test_password_hash_verifies_and_is_salted() -> None:
    # The hashes of the scrypt era, still in the database until their owner's next sign-in.
    h1 = _scrypt_hash("correct horse battery", n=2**10)
    h2 = _scrypt_hash("correct horse battery", n=2**10)
    assert h1 != h2 and h1.startswith("scrypt$1024$")
    assert auth.verify_password(h1, "correct horse battery")
    assert not auth.verify_password(h1, "correct horse batterz")
    assert not auth.verify_password(None, "anything")
    assert not auth.verify_password("md5$abc", "anything")


def test_passwords_are_hashed_with_argon2id_at_owasp_strength_or_more() -> None:
    h1 = auth.hash_password("correct horse battery")
    h2 = auth.hash_password("correct horse battery")
    assert h1 != h2 and h1.startswith("$argon2id$v=19$")
    params = dict(kv.split("=") for kv in h1.split("$")[3].split(","))
    # OWASP's minimum for argon2id: 19 MiB, 2 iterations, 1 lane.
    assert int(params["m"]) >= 19 * 1024 and int(params["t"]) >= 2 and int(params["p"]) >= 1
    assert auth.verify_password(h1, "correct horse battery")
    assert not auth.verify_password(h1, "correct horse batterz")
    assert not auth.verify_password(h1, "")
    assert not auth.password_needs_rehash(h1)
    for broken in ("$argon2id$v=19$m=65536,t=3,p=4$abc", "$argon2id$", "scrypt$x$8$1$a$b", "$"):
        assert not auth.verify_password(broken, "correct horse battery"), broken
        assert auth.password_needs_rehash(broken)


def test_weaker_hashes_are_marked_for_rehash() -> None:
    from argon2 import PasswordHasher

    weak = PasswordHasher(time_cost=1, memory_cost=8 * 1024, parallelism=1).hash("mot de passe")
    assert auth.verify_password(weak, "mot de passe") and auth.password_needs_rehash(weak)
    assert auth.password_needs_rehash(_scrypt_hash("mot de passe", n=2**10))


def test_a_scrypt_hash_is_replaced_by_argon2id_at_the_next_sign_in(session: Session) -> None:
    user, _, secret = auth.create_staff_user(session, email="c@ain.example", role="coordinator")
    password = "une phrase de passe ancienne"
    user.password_hash = _scrypt_hash(password, n=2**10)
    session.flush()
    # A failed sign-in (wrong code) keeps the old hash: only a whole success replaces it.
    with pytest.raises(auth.SignInFailed):
        auth.authenticate_staff(session, user.email, password, "000000", now=T0)
    assert user.password_hash.startswith("scrypt$")

    auth.authenticate_staff(session, user.email, password, auth.totp_code(secret, T0), now=T0)
    assert user.password_hash.startswith("$argon2id$")
    assert auth.verify_password(user.password_hash, password)
    later = T0 + timedelta(minutes=1)
    code = auth.totp_code(secret, later)
    assert auth.authenticate_staff(session, user.email, password, code, now=later) is user


def test_totp_secrets_are_160_bits_and_codes_come_from_pyotp() -> None:
    import pyotp

    secret = auth.new_totp_secret()
    assert len(base64.b32decode(secret)) == 20
    assert auth.totp_code(secret, T0) == pyotp.TOTP(secret).at(T0)
    spaced = " ".join(secret[i : i + 4] for i in range(0, len(secret), 4)).lower()
    assert auth.totp_code(spaced, T0) == auth.totp_code(secret, T0)


def test_totp_refuses_codes_two_steps_away(session: Session) -> None:
    user, _, secret = auth.create_staff_user(session, email="t@ain.example", role="coordinator")
    for offset in (-60, 60):
        code = auth.totp_code(secret, T0 + timedelta(seconds=offset))
        assert not auth.verify_totp(session, user, code, now=T0), offset


def test_a_nonce_is_claimed_once_then_purged(session: Session) -> None:
    until = T0 + timedelta(minutes=10)
    assert auth.claim_once(session, "challenge:abc", until=until)
    assert not auth.claim_once(session, "challenge:abc", until=until)
    assert auth.claim_once(session, "challenge:abd", until=until)
    # Kept a day after it can no longer be used, then dropped.
    assert auth.purge_expired(session, now=until + timedelta(hours=23))["rate_limit_windows"] == 0
    assert auth.purge_expired(session, now=until + timedelta(days=2))["rate_limit_windows"] == 2


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


def _staff(session: Session, email: str, role: Role = Role.COORDINATOR) -> User:
    user = User(email=email, role=role)
    session.add(user)
    session.flush()
    return user


def test_a_staff_token_names_its_account(session: Session) -> None:
    coordinator = _staff(session, "coord@ain.example")
    token, raw = auth.create_api_token(session, role="coordinator", user_id=coordinator.id)
    assert token.user_id == coordinator.id
    assert auth.authenticate_api_token(session, raw) is token

    admin = _staff(session, "admin@ain.example", Role.ADMIN)
    gone = _staff(session, "parti@ain.example")
    auth.set_active(session, gone, False)
    employer = _employer(session)
    employee = ops.create_user(
        session, email="rh@ehpad.example", role="employer", employer=employer
    )
    elsewhere = ops.create_user(
        session,
        email="rh@ailleurs.example",
        role="employer",
        employer=_employer(session, siret="35600000000048"),
    )
    refusals: list[tuple[dict[str, object], str]] = [
        ({"role": "coordinator"}, "désigne le compte de la personne"),
        ({"role": "admin", "user_id": 999_999}, "Aucun compte ne porte le numéro"),
        ({"role": "coordinator", "user_id": gone.id}, "est désactivé"),
        ({"role": "coordinator", "user_id": admin.id}, "n'a pas ce rôle"),
        ({"role": "admin", "user_id": coordinator.id}, "n'a pas ce rôle"),
        (
            {"role": "employer", "employer_id": employer.id, "user_id": elsewhere.id},
            "n'appartient pas à cet employeur",
        ),
        (
            {
                "role": "candidate",
                "candidate_id": _candidate_user(session).candidate_id,
                "user_id": employee.id,
            },
            "sans désigner de compte",
        ),
    ]
    for kwargs, message in refusals:
        with pytest.raises(ValidationError) as err:
            auth.create_api_token(session, **kwargs)  # type: ignore[arg-type]
        assert list(err.value.errors) == ["user_id"], kwargs
        assert message in err.value.errors["user_id"][0], kwargs
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 1


def test_a_staff_token_stops_with_its_account(session: Session) -> None:
    disabled = _staff(session, "a@ain.example")
    demoted = _staff(session, "b@ain.example", Role.ADMIN)
    deleted = _staff(session, "c@ain.example")
    kept = _staff(session, "d@ain.example")
    raws = {
        user.email: auth.create_api_token(session, role=user.role, user_id=user.id)[1]
        for user in (disabled, demoted, deleted, kept)
    }
    assert all(auth.authenticate_api_token(session, raw) for raw in raws.values())

    ops.deactivate_user(session, disabled)
    demoted.role = Role.COORDINATOR
    session.delete(deleted)
    session.flush()
    session.expire_all()

    live = {email for email, raw in raws.items() if auth.authenticate_api_token(session, raw)}
    assert live == {"d@ain.example"}
    # Deleting the account deleted its token (ON DELETE CASCADE).
    assert session.scalar(select(func.count()).select_from(ApiToken)) == 3
    # Enabled again, the account's token works again: it was never revoked.
    auth.set_active(session, disabled, True)
    assert auth.authenticate_api_token(session, raws["a@ain.example"]) is not None


def test_an_employer_token_that_names_an_account_stops_with_it(session: Session) -> None:
    employer = _employer(session)
    first = ops.create_user(session, email="un@ehpad.example", role="employer", employer=employer)
    ops.create_user(session, email="deux@ehpad.example", role="employer", employer=employer)
    _, named = auth.create_api_token(
        session, role="employer", employer_id=employer.id, user_id=first.id
    )
    _, structure = auth.create_api_token(session, role="employer", employer_id=employer.id)
    ops.deactivate_user(session, first)
    # The colleague still works there: the structure's token lives, the person's does not.
    assert auth.authenticate_api_token(session, structure) is not None
    assert auth.authenticate_api_token(session, named) is None


def test_a_live_staff_token_without_account_is_refused_by_the_database(session: Session) -> None:
    row = ApiToken(token_hash="0" * 64, role=Role.ADMIN)
    with pytest.raises(IntegrityError, match="staff_account"), session.begin_nested():
        session.add(row)
        session.flush()
    revoked = ApiToken(token_hash="1" * 64, role=Role.ADMIN, revoked_at=T0)
    session.add(revoked)
    session.flush()


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
