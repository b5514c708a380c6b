"""Sign-in: single-use mailed links, staff passwords and TOTP, rate limits, sessions, API tokens.

Operations ``flush()`` only; the caller commits. Secrets are stored as hashes: SHA-256 for random
tokens (they carry 256 bits, a slow hash adds nothing), argon2id for passwords people choose.

The primitives come from well-kept libraries (issue 13): argon2-cffi hashes passwords (argon2id,
its RFC 9106 parameters; hashes made before with scrypt still verify and are replaced at the next
successful sign-in), pyotp computes TOTP codes (RFC 6238); what stays ours is the policy around
them: a code accepted once, the drift allowed, the answer timed alike for unknown accounts.

Rate limiting stays ours, on purpose: Flask-Limiter's storages (``limits``: memory, Redis,
Memcached, MongoDB) share counts across gunicorn workers only through a server we do not run, and
they refuse past a limit, while the limits on an account here must slow down (a delay, then a
challenge: ``account_delay``, ``CHALLENGE_AFTER_ATTEMPTS``) and never lock the person out. The
counts live in the database every worker already shares, as sliding windows updated in one
``INSERT ... ON CONFLICT`` statement (tests/data/test_auth.py and
tests/web/test_security_primitives.py check the counting, the boundary, two workers and two
engines).
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from data.db import rows_changed
from data.errors import DataError, ValidationError
from data.models import Candidate, Employer, Role, User, utcnow
from data.models.auth import ApiToken, LoginToken, RateLimitWindow, TotpUse

__all__ = [
    "LOGIN_LINK_TTL",
    "PASSWORD_MIN_LENGTH",
    "AuthError",
    "InvalidLink",
    "SignInFailed",
    "hash_secret",
    "new_token",
    "normalize_email",
    "hash_password",
    "verify_password",
    "password_needs_rehash",
    "check_password_strength",
    "new_totp_secret",
    "totp_code",
    "totp_uri",
    "verify_totp",
    "find_link_user",
    "create_login_link",
    "peek_login_link",
    "consume_login_link",
    "authenticate_staff",
    "create_staff_user",
    "set_password",
    "end_all_sessions",
    "set_active",
    "session_user",
    "hit_rate_limit",
    "ADDRESS_RATE_KINDS",
    "address_rate_key",
    "count_attempt",
    "account_delay",
    "claim_once",
    "CHALLENGE_AFTER_ATTEMPTS",
    "revoke_login_links",
    "purge_expired",
    "create_api_token",
    "authenticate_api_token",
    "revoke_api_token",
]

LOGIN_LINK_TTL = timedelta(minutes=15)
PASSWORD_MIN_LENGTH = 12
PASSWORD_MAX_LENGTH = 128
STAFF_ROLES = (Role.COORDINATOR, Role.ADMIN)
LINK_ROLES = (Role.EMPLOYER, Role.CANDIDATE)

#: argon2id with argon2-cffi's defaults: RFC 9106's second recommended option (t=3, 64 MiB, p=4),
#: above OWASP's minimum (19 MiB, t=2, p=1). Raising them later rehashes at the next sign-in.
PASSWORD_HASHER = PasswordHasher()

# Hashes made before argon2id: scrypt$N$r$p$salt$hash (base64). They verify until the person's next
# sign-in replaces them (authenticate_staff); nothing makes new ones.
_LEGACY_SCRYPT = "scrypt"
_SCRYPT_MAXMEM = 64 * 1024 * 1024

#: Attempts for one address in the rate-limit window past which a sign-in form asks for a solved
#: proof-of-work challenge (web/challenge.py) before it looks at the password and code. Counted
#: before the check (every failure is one; a success is rare), so that a burst of parallel
#: requests cannot slip past.
CHALLENGE_AFTER_ATTEMPTS = 10

#: The drift :func:`verify_totp` allows a TOTP code: the previous and next 30-second steps.
TOTP_DRIFT_STEPS = 1

TOTP_PERIOD = 30
TOTP_DIGITS = 6


class AuthError(DataError):
    """Root of sign-in errors."""


class InvalidLink(AuthError):
    """The sign-in link is unknown, already used or expired (the three are not told apart)."""


class SignInFailed(AuthError):
    """Email, password or code is wrong (which one is never told)."""


# --- Small helpers ----------------------------------------------------------------------------


def hash_secret(value: str) -> str:
    """Return the SHA-256 hex digest of a random token or a rate-limit key."""
    return hashlib.sha256(value.encode("utf-8")).hexdigest()


def new_token() -> str:
    """Return a fresh URL-safe random token (256 bits)."""
    return secrets.token_urlsafe(32)


def normalize_email(email: str) -> str:
    """Return the email as stored and compared: trimmed and lower-cased."""
    return email.strip().lower()


def _now(now: datetime | None) -> datetime:
    return now if now is not None else utcnow()


# --- Passwords --------------------------------------------------------------------------------


def hash_password(password: str) -> str:
    """Hash a password with argon2id and a random salt (PHC string: ``$argon2id$v=19$...``)."""
    return PASSWORD_HASHER.hash(password)


_DUMMY_HASH = None


def _verify_scrypt(stored: str, password: str) -> bool:
    """Check a password against a hash of the scrypt era (``scrypt$n$r$p$salt$hash``)."""
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != _LEGACY_SCRYPT:
            return False
        computed = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_SCRYPT_MAXMEM,
        )
        return hmac.compare_digest(computed, base64.b64decode(digest))
    except ValueError:
        return False


def verify_password(stored: str | None, password: str) -> bool:
    """Tell whether ``password`` matches ``stored``, in about the same time when there is none."""
    global _DUMMY_HASH
    if not stored:
        # Spend the same work, so that timing does not tell whether the account exists.
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(new_token())
        stored, password = _DUMMY_HASH, password + "\x00"
    if stored.startswith(_LEGACY_SCRYPT + "$"):
        return _verify_scrypt(stored, password)
    try:
        return PASSWORD_HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def password_needs_rehash(stored: str) -> bool:
    """Tell whether a hash that just verified should be replaced (older scheme or parameters)."""
    if stored.startswith(_LEGACY_SCRYPT + "$"):
        return True
    try:
        return PASSWORD_HASHER.check_needs_rehash(stored)
    except InvalidHashError:
        return True


def check_password_strength(password: str) -> list[str]:
    """Return French messages for each rule the password breaks (empty when it is fine)."""
    problems = []
    if len(password) < PASSWORD_MIN_LENGTH:
        problems.append(f"Le mot de passe doit compter au moins {PASSWORD_MIN_LENGTH} caractères.")
    if len(password) > PASSWORD_MAX_LENGTH:
        problems.append(f"Le mot de passe doit compter au plus {PASSWORD_MAX_LENGTH} caractères.")
    if password and len(set(password)) < 5:
        problems.append("Le mot de passe est trop répétitif.")
    return problems


# --- TOTP (RFC 6238 over RFC 4226 HOTP, SHA-1, 6 digits, 30 s: pyotp) ---------------------------


def new_totp_secret() -> str:
    """Return a fresh base32 TOTP secret (160 bits, as RFC 4226 recommends)."""
    return pyotp.random_base32(length=32)


def _totp(secret: str, digits: int = TOTP_DIGITS) -> pyotp.TOTP:
    # Secrets may be typed with spaces or in lower case; pyotp wants them bare.
    return pyotp.TOTP(secret.replace(" ", "").upper(), digits=digits, interval=TOTP_PERIOD)


def totp_code(secret: str, at: datetime, digits: int = TOTP_DIGITS) -> str:
    """Return the TOTP code of ``secret`` at time ``at`` (RFC 6238, HMAC-SHA-1).

    RFC 6238 appendix B, T = 59 s, 8 digits, key "12345678901234567890":

    >>> from datetime import UTC, datetime
    >>> key = base64.b32encode(b"12345678901234567890").decode()
    >>> totp_code(key, datetime.fromtimestamp(59, UTC), digits=8)
    '94287082'
    """
    return _totp(secret, digits).at(at)


def totp_uri(secret: str, account: str, issuer: str = "Passerelle") -> str:
    """Return the otpauth:// URI an authenticator app reads (usually from a QR code).

    Google's Key URI Format, written here rather than by pyotp's ``provisioning_uri``: it is
    formatting, not cryptography, and pyotp's refuses to print a secret under 112 bits, which
    ours never are (``new_totp_secret``) but a secret typed by hand for a test may be.
    """
    label = quote(f"{issuer}:{account}")
    query = urlencode({"secret": secret, "issuer": issuer, "digits": TOTP_DIGITS})
    return f"otpauth://totp/{label}?{query}&period={TOTP_PERIOD}"


def verify_totp(session: Session, user: User, code: str, *, now: datetime | None = None) -> bool:
    """Accept ``code`` once if it is the user's TOTP within one step of drift; record its step."""
    code = code.strip().replace(" ", "")
    if not user.totp_secret or len(code) != TOTP_DIGITS or not code.isdigit():
        return False
    totp = _totp(user.totp_secret)
    current = totp.timecode(_now(now))
    matched = None
    # pyotp's verify(valid_window=...) does not tell which step matched: the replay rule needs it.
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            matched = step
            break
    if matched is None:
        return False
    # A code may be used once: its step must be later than the last one accepted. The UPDATE is
    # conditional, so that two workers racing with the same code cannot both succeed.
    used = session.get(TotpUse, user.id)
    if used is None:
        session.add(TotpUse(user_id=user.id, last_step=matched))
        session.flush()
        return True
    result = session.execute(
        update(TotpUse)
        .where(TotpUse.user_id == user.id, TotpUse.last_step < matched)
        .values(last_step=matched)
        .execution_options(synchronize_session=False)
    )
    session.expire(used)
    return rows_changed(result) == 1


# --- Sign-in links (employers, candidates) ------------------------------------------------------


def find_link_user(session: Session, email: str) -> User | None:
    """Return the active employer or candidate account of this email, if any."""
    return session.scalar(
        select(User).where(
            func.lower(User.email) == normalize_email(email),
            User.role.in_(LINK_ROLES),
            User.is_active.is_(True),
        )
    )


def create_login_link(
    session: Session,
    user: User,
    *,
    now: datetime | None = None,
    expires_at: datetime | None = None,
) -> str:
    """Store a new single-use sign-in token for ``user``; return its raw value (for the mail).

    The link works :data:`LOGIN_LINK_TTL` after ``now``; only an invitation, which waits in a
    mailbox for days, passes a later ``expires_at`` (``data.operations.team``).
    """
    if user.role not in LINK_ROLES:
        raise AuthError("Les comptes de l'équipe se connectent par mot de passe.")
    raw = new_token()
    at = _now(now)
    session.add(
        LoginToken(
            token_hash=hash_secret(raw),
            user_id=user.id,
            created_at=at,
            expires_at=expires_at or at + LOGIN_LINK_TTL,
        )
    )
    session.flush()
    return raw


def _valid_link(session: Session, raw: str, at: datetime) -> LoginToken | None:
    token = session.scalar(select(LoginToken).where(LoginToken.token_hash == hash_secret(raw)))
    if token is None or token.used_at is not None or token.expires_at <= at:
        return None
    if not token.user.is_active:
        return None
    return token


def peek_login_link(session: Session, raw: str, *, now: datetime | None = None) -> bool:
    """Tell whether the link is still usable, without using it (mail scanners fetch links)."""
    return _valid_link(session, raw, _now(now)) is not None


def consume_login_link(session: Session, raw: str, *, now: datetime | None = None) -> User:
    """Use a sign-in link once and return its user; raise :class:`InvalidLink` otherwise."""
    at = _now(now)
    token = _valid_link(session, raw, at)
    if token is None:
        raise InvalidLink("Ce lien de connexion n'est plus valable.")
    # Conditional UPDATE: of two concurrent uses of one link, only one changes a row.
    result = session.execute(
        update(LoginToken)
        .where(LoginToken.id == token.id, LoginToken.used_at.is_(None))
        .values(used_at=at)
        .execution_options(synchronize_session=False)
    )
    if rows_changed(result) != 1:
        raise InvalidLink("Ce lien de connexion n'est plus valable.")
    session.expire(token)
    user = token.user
    user.last_login_at = at
    # One link signs in; its siblings (older mails, forwarded copies) stop at once.
    revoke_login_links(session, user, now=at)
    session.flush()
    return user


def revoke_login_links(session: Session, user: User, *, now: datetime | None = None) -> int:
    """Mark every outstanding sign-in link of ``user`` as used; return how many there were."""
    result = session.execute(
        update(LoginToken)
        .where(LoginToken.user_id == user.id, LoginToken.used_at.is_(None))
        .values(used_at=_now(now))
        .execution_options(synchronize_session=False)
    )
    return rows_changed(result)


# --- Staff: password + TOTP -------------------------------------------------------------------


def authenticate_staff(
    session: Session, email: str, password: str, code: str, *, now: datetime | None = None
) -> User:
    """Return the coordinator or admin whose password and TOTP code match; else SignInFailed."""
    user = session.scalar(
        select(User).where(
            func.lower(User.email) == normalize_email(email), User.role.in_(STAFF_ROLES)
        )
    )
    password_ok = verify_password(user.password_hash if user else None, password)
    if user is None or not password_ok or not user.is_active:
        raise SignInFailed("Identifiants ou code incorrects.")
    if not verify_totp(session, user, code, now=now):
        raise SignInFailed("Identifiants ou code incorrects.")
    assert user.password_hash is not None  # verify_password refused an account without one
    if password_needs_rehash(user.password_hash):
        user.password_hash = hash_password(password)  # e.g. scrypt's era: now argon2id
    user.last_login_at = _now(now)
    session.flush()
    return user


def create_staff_user(
    session: Session, *, email: str, role: Role | str, display_name: str | None = None
) -> tuple[User, str, str]:
    """Create a coordinator or admin with a random password and TOTP secret; return all three.

    The password and the secret are shown once to whoever runs the command, never stored in clear.
    """
    role = Role(role)
    if role not in STAFF_ROLES:
        raise ValidationError({"role": ["Rôle de l'équipe attendu : coordinator ou admin."]})
    email = normalize_email(email)
    if "@" not in email:
        raise ValidationError({"email": ["Adresse électronique invalide."]})
    if session.scalar(select(User.id).where(func.lower(User.email) == email)) is not None:
        raise ValidationError({"email": ["Un compte existe déjà avec cette adresse."]})
    password = secrets.token_urlsafe(15)
    secret = new_totp_secret()
    user = User(
        email=email,
        role=role,
        display_name=display_name,
        password_hash=hash_password(password),
        totp_secret=secret,
    )
    session.add(user)
    session.flush()
    return user, password, secret


def end_all_sessions(session: Session, user: User) -> None:
    """End every session of ``user`` on every device, and every sign-in link not used yet.

    Sessions carry the version they began at; a link mailed before a sign-out must not sign in
    after it.
    """
    user.session_version = (user.session_version or 1) + 1
    revoke_login_links(session, user)
    session.flush()


def set_password(session: Session, user: User, current: str, new: str) -> None:
    """Change a staff password after checking the current one; every session of the user ends."""
    if not verify_password(user.password_hash, current):
        raise ValidationError({"current": ["Mot de passe actuel incorrect."]})
    problems = check_password_strength(new)
    if problems:
        raise ValidationError({"new": problems})
    user.password_hash = hash_password(new)
    end_all_sessions(session, user)


def set_active(session: Session, user: User, active: bool) -> None:
    """Enable or disable an account; disabling it ends every session."""
    user.is_active = active
    if not active:
        end_all_sessions(session, user)
    session.flush()


def session_user(session: Session, user_id: object, version: object) -> User | None:
    """Return the user of a signed session cookie if it is still valid on the server side."""
    if not isinstance(user_id, int) or not isinstance(version, int):
        return None
    user = session.get(User, user_id)
    if user is None or not user.is_active or user.session_version != version:
        return None
    return user


# --- Rate limiting (fixed windows in the database: every worker sees the same counts) -----------


def _bump(session: Session, key_hash: str, window_start: datetime) -> int:
    """Add one to the window's count in one statement (INSERT ... ON CONFLICT); return it."""
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(RateLimitWindow).values(key_hash=key_hash, window_start=window_start, count=1)
    bump = stmt.on_conflict_do_update(
        index_elements=["key_hash", "window_start"],
        set_={"count": RateLimitWindow.count + 1},
    ).returning(RateLimitWindow.count)
    return int(session.execute(bump).scalar_one())


#: The rate limits counted per e-mail address: sign-in links, sign-ups, staff sign-ins. Their keys
#: hold the address, so erasing a person deletes them too (data.privacy).
ADDRESS_RATE_KINDS = ("link", "signup", "staff")


def address_rate_key(kind: str, email: str) -> str:
    """Return the rate-limit key of ``kind`` for an address (normalised, as sign-in compares it).

    >>> address_rate_key("link", " Jeanne@Example.FR ")
    'link:jeanne@example.fr'
    """
    if kind not in ADDRESS_RATE_KINDS:
        raise ValueError(f"unknown rate-limit kind {kind!r}")
    return f"{kind}:{normalize_email(email)}"


def count_attempt(
    session: Session, key: str, *, window: timedelta, now: datetime | None = None
) -> float:
    """Count one attempt for ``key``; return the attempts of the sliding window, this one included.

    A sliding-window counter: the attempts of the current fixed window plus those of the previous
    one weighted by how much of it the sliding window still covers. Plain fixed windows would let
    an attacker make twice the limit across a window boundary.
    The caller commits even when the attempt then fails, so that failures count.
    """
    at = _now(now)
    seconds = int(window.total_seconds())
    epoch = int(at.timestamp())
    start = datetime.fromtimestamp(epoch // seconds * seconds, at.tzinfo)
    previous_start = start - timedelta(seconds=seconds)
    key_hash = hash_secret(key)
    count = _bump(session, key_hash, start)
    previous = session.scalar(
        select(RateLimitWindow.count).where(
            RateLimitWindow.key_hash == key_hash, RateLimitWindow.window_start == previous_start
        )
    )
    overlap = 1 - (at.timestamp() - start.timestamp()) / seconds
    return count + (previous or 0) * overlap


def hit_rate_limit(
    session: Session, key: str, *, limit: int, window: timedelta, now: datetime | None = None
) -> bool:
    """Count one attempt for ``key``; return False once the sliding window holds over ``limit``."""
    return count_attempt(session, key, window=window, now=now) <= limit


def account_delay(attempts: float, limit: int, *, cap: float) -> float:
    """Return how long to hold a failed sign-in of an account with ``attempts`` in the window.

    Nothing up to ``limit``, then a quarter second doubling with each attempt, at most ``cap``
    seconds. Attempts for one account may come from anyone, so they slow failures down and never
    refuse: the person keeps signing in with the right password and code, or a valid link.

    >>> [account_delay(n, 5, cap=2.0) for n in (5, 6, 7, 8, 9, 50)]
    [0.0, 0.25, 0.5, 1.0, 2.0, 2.0]
    """
    excess = int(attempts) - limit
    if excess <= 0:
        return 0.0
    return min(cap, 0.25 * 2.0 ** min(excess - 1, 16))


def claim_once(session: Session, key: str, *, until: datetime) -> bool:
    """Record ``key`` as used; return True the first time only (a store of used nonces).

    Kept as a rate-limit row whose window starts at ``until`` (the nonce's expiry), so that
    :func:`purge_expired` drops it a day after it can no longer be used. The row is written with
    ``INSERT ... ON CONFLICT``: of two requests racing with one nonce, exactly one gets True.
    The caller commits.
    """
    return _bump(session, hash_secret(key), until) == 1


def purge_expired(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Delete sign-in links and rate-limit windows older than a day; return the counts."""
    cutoff = _now(now) - timedelta(days=1)
    links = rows_changed(session.execute(delete(LoginToken).where(LoginToken.expires_at < cutoff)))
    windows = rows_changed(
        session.execute(delete(RateLimitWindow).where(RateLimitWindow.window_start < cutoff))
    )
    return {"login_tokens": links, "rate_limit_windows": windows}


# --- API tokens -------------------------------------------------------------------------------


def _check_token_link(
    session: Session, role: Role, employer_id: int | None, candidate_id: int | None
) -> None:
    """Raise ValidationError unless the token names exactly what its role needs (and it exists)."""
    errors: dict[str, list[str]] = {}
    if role == Role.EMPLOYER:
        if employer_id is None:
            errors["employer_id"] = ["Un jeton employeur désigne son employeur (--employer)."]
        elif session.get(Employer, employer_id) is None:
            errors["employer_id"] = [f"Aucun employeur ne porte le numéro {employer_id}."]
    elif employer_id is not None:
        errors["employer_id"] = ["Seul un jeton employeur désigne un employeur."]
    if role == Role.CANDIDATE:
        candidate = session.get(Candidate, candidate_id) if candidate_id is not None else None
        if candidate_id is None:
            errors["candidate_id"] = ["Un jeton candidat désigne son candidat (--candidate)."]
        elif candidate is None:
            errors["candidate_id"] = [f"Aucun candidat ne porte le numéro {candidate_id}."]
        elif candidate.anonymised_at is not None:
            errors["candidate_id"] = [f"Le candidat n° {candidate_id} a été anonymisé."]
    elif candidate_id is not None:
        errors["candidate_id"] = ["Seul un jeton candidat désigne un candidat."]
    if errors:
        raise ValidationError(errors)


def create_api_token(
    session: Session,
    *,
    role: Role | str,
    employer_id: int | None = None,
    candidate_id: int | None = None,
    user_id: int | None = None,
    label: str = "",
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create an API token; return it and its raw value (shown once, stored hashed).

    An employer token names its employer, a candidate token its candidate (not anonymised), a
    coordinator or admin token neither but the active staff account of that role it acts for
    (``user_id``). An employer token may name one account of its structure. A token stops with
    the account it names (:func:`authenticate_api_token`).
    """
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError({"role": ["Rôle inconnu."]}) from None
    _check_token_link(session, role, employer_id, candidate_id)
    _check_token_account(session, role, employer_id, user_id)
    raw = new_token()
    token = ApiToken(
        token_hash=hash_secret(raw),
        role=role,
        employer_id=employer_id,
        candidate_id=candidate_id,
        user_id=user_id,
        label=label,
        created_at=_now(now),
    )
    session.add(token)
    session.flush()
    return token, raw


def _check_token_account(
    session: Session, role: Role, employer_id: int | None, user_id: int | None
) -> None:
    """Raise ValidationError unless the account a token names fits its role (staff: required)."""
    staff = role in (Role.COORDINATOR, Role.ADMIN)
    if user_id is None:
        if staff:
            raise ValidationError(
                {"user_id": ["Un jeton de l'équipe désigne le compte de la personne (--email)."]}
            )
        return
    user = session.get(User, user_id)
    if role == Role.CANDIDATE:
        message = "Un jeton candidat agit pour son candidat, sans désigner de compte."
    elif user is None:
        message = f"Aucun compte ne porte le numéro {user_id}."
    elif not user.is_active:
        message = f"Le compte {user.email} est désactivé."
    elif user.role != role:
        message = f"Le compte {user.email} n'a pas ce rôle."
    elif role == Role.EMPLOYER and user.employer_id != employer_id:
        message = f"Le compte {user.email} n'appartient pas à cet employeur."
    else:
        return
    raise ValidationError({"user_id": [message]})


def _account_may_act(session: Session, token: ApiToken) -> bool:
    # A token that names an account lives as long as that account: active, with the same role
    # (and, for an employer, the same structure). A staff token always names one.
    if token.user_id is None:
        return token.role not in (Role.COORDINATOR, Role.ADMIN)
    user = session.get(User, token.user_id)
    return (
        user is not None
        and user.is_active
        and user.role == token.role
        and (token.role != Role.EMPLOYER or user.employer_id == token.employer_id)
    )


def _employer_may_act(session: Session, employer_id: int | None) -> bool:
    # A structure acts through its people: once every account of the structure is disabled, its
    # tokens stop too (a structure without any account keeps its token's access, as a candidate).
    if employer_id is None or session.get(Employer, employer_id) is None:
        return False
    states = set(session.scalars(select(User.is_active).where(User.employer_id == employer_id)))
    return not states or True in states


def _candidate_may_act(session: Session, candidate_id: int | None) -> bool:
    # Anonymisation keeps the candidate's row (statistics) but ends the person's access; a
    # disabled account ends it too. A candidate without an account keeps its token's access.
    candidate = session.get(Candidate, candidate_id) if candidate_id is not None else None
    if candidate is None or candidate.anonymised_at is not None:
        return False
    disabled = session.scalar(
        select(User.id).where(User.candidate_id == candidate.id, User.is_active.is_(False))
    )
    return disabled is None


def authenticate_api_token(
    session: Session, raw: str, *, now: datetime | None = None
) -> ApiToken | None:
    """Return the live token of this raw value and note its use; None if unknown or revoked.

    A candidate token also stops working once its candidate is anonymised or its account
    disabled; an employer token once every account of its structure is disabled; a token that
    names an account (every staff token) once that account is disabled, deleted or changes role.
    """
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(raw)))
    if token is None or token.revoked_at is not None:
        return None
    if token.role == Role.CANDIDATE and not _candidate_may_act(session, token.candidate_id):
        return None
    if token.role == Role.EMPLOYER and not _employer_may_act(session, token.employer_id):
        return None
    if not _account_may_act(session, token):
        return None
    token.last_used_at = _now(now)
    session.flush()
    return token


def revoke_api_token(session: Session, token_id: int, *, now: datetime | None = None) -> None:
    """Revoke an API token for good."""
    token = session.get(ApiToken, token_id)
    if token is not None and token.revoked_at is None:
        token.revoked_at = _now(now)
        session.flush()
