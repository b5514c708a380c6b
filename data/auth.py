"""Sign-in: single-use mailed links, staff passwords and TOTP, rate limits, sessions, API tokens.

Operations ``flush()`` only; the caller commits. Secrets are stored as hashes: SHA-256 for random
tokens (they carry 256 bits, a slow hash adds nothing), scrypt for passwords people choose.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
import struct
from datetime import datetime, timedelta
from urllib.parse import quote, urlencode

from sqlalchemy import delete, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

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

# scrypt cost: N=2**15, r=8 uses 32 MiB and about 0.1 s per hash (OWASP's minimum is N=2**17 with
# r=8 p=1 *or* equivalent; 2**15 with p=1 is the value Python's docs and Django's hasher use).
SCRYPT_N = 2**15
SCRYPT_R = 8
SCRYPT_P = 1
_SCRYPT_MAXMEM = 64 * 1024 * 1024

TOTP_PERIOD = 30
TOTP_DIGITS = 6
TOTP_DRIFT_STEPS = 1  # accept the previous and next 30-second step (clock drift)


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


def hash_password(password: str, *, n: int = SCRYPT_N) -> str:
    """Hash a password with scrypt and a random salt: ``scrypt$n$r$p$salt$hash`` (base64)."""
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(
        password.encode("utf-8"), salt=salt, n=n, r=SCRYPT_R, p=SCRYPT_P, maxmem=_SCRYPT_MAXMEM
    )
    b64 = base64.b64encode
    return f"scrypt${n}${SCRYPT_R}${SCRYPT_P}${b64(salt).decode()}${b64(digest).decode()}"


_DUMMY_HASH = None


def verify_password(stored: str | None, password: str) -> bool:
    """Tell whether ``password`` matches ``stored``, in about the same time when there is none."""
    global _DUMMY_HASH
    if not stored:
        # Spend the same work, so that timing does not tell whether the account exists.
        if _DUMMY_HASH is None:
            _DUMMY_HASH = hash_password(new_token())
        stored, password = _DUMMY_HASH, password + "\x00"
    try:
        scheme, n, r, p, salt, digest = stored.split("$")
        if scheme != "scrypt":
            return False
        computed = hashlib.scrypt(
            password.encode("utf-8"),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            maxmem=_SCRYPT_MAXMEM,
        )
    except ValueError:
        return False
    return hmac.compare_digest(computed, base64.b64decode(digest))


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


# --- TOTP (RFC 6238 over RFC 4226 HOTP, SHA-1, 6 digits, 30 s) -------------------------------


def new_totp_secret() -> str:
    """Return a fresh base32 TOTP secret (160 bits, as RFC 4226 recommends)."""
    return base64.b32encode(secrets.token_bytes(20)).decode("ascii")


def _hotp(key: bytes, counter: int, digits: int = TOTP_DIGITS) -> str:
    mac = hmac.new(key, struct.pack(">Q", counter), hashlib.sha1).digest()
    offset = mac[-1] & 0x0F
    value = struct.unpack(">I", mac[offset : offset + 4])[0] & 0x7FFFFFFF
    return str(value % 10**digits).zfill(digits)


def _b32decode(secret: str) -> bytes:
    cleaned = secret.replace(" ", "").upper()
    return base64.b32decode(cleaned + "=" * (-len(cleaned) % 8))


def _step(at: datetime) -> int:
    return int(at.timestamp()) // TOTP_PERIOD


def totp_code(secret: str, at: datetime, digits: int = TOTP_DIGITS) -> str:
    """Return the TOTP code of ``secret`` at time ``at`` (RFC 6238, HMAC-SHA-1).

    RFC 6238 appendix B, T = 59 s, 8 digits, key "12345678901234567890":

    >>> from datetime import UTC, datetime
    >>> key = base64.b32encode(b"12345678901234567890").decode()
    >>> totp_code(key, datetime.fromtimestamp(59, UTC), digits=8)
    '94287082'
    """
    return _hotp(_b32decode(secret), _step(at), digits)


def totp_uri(secret: str, account: str, issuer: str = "Passerelle") -> str:
    """Return the otpauth:// URI an authenticator app reads (usually from a QR code)."""
    label = quote(f"{issuer}:{account}")
    query = urlencode({"secret": secret, "issuer": issuer, "digits": TOTP_DIGITS})
    return f"otpauth://totp/{label}?{query}&period={TOTP_PERIOD}"


def verify_totp(session: Session, user: User, code: str, *, now: datetime | None = None) -> bool:
    """Accept ``code`` once if it is the user's TOTP within one step of drift; record its step."""
    code = code.strip().replace(" ", "")
    if not user.totp_secret or len(code) != TOTP_DIGITS or not code.isdigit():
        return False
    key = _b32decode(user.totp_secret)
    current = _step(_now(now))
    matched = None
    for step in range(current - TOTP_DRIFT_STEPS, current + TOTP_DRIFT_STEPS + 1):
        if hmac.compare_digest(_hotp(key, step), code):
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
    return result.rowcount == 1


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


def create_login_link(session: Session, user: User, *, now: datetime | None = None) -> str:
    """Store a new single-use sign-in token for ``user``; return its raw value (for the mail)."""
    if user.role not in LINK_ROLES:
        raise AuthError("Les comptes de l'équipe se connectent par mot de passe.")
    raw = new_token()
    at = _now(now)
    session.add(
        LoginToken(
            token_hash=hash_secret(raw),
            user_id=user.id,
            created_at=at,
            expires_at=at + LOGIN_LINK_TTL,
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
    if result.rowcount != 1:
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
    return result.rowcount


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
    dialect = session.get_bind().dialect.name
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    stmt = insert(RateLimitWindow).values(key_hash=key_hash, window_start=start, count=1)
    stmt = stmt.on_conflict_do_update(
        index_elements=["key_hash", "window_start"],
        set_={"count": RateLimitWindow.count + 1},
    ).returning(RateLimitWindow.count)
    count = session.execute(stmt).scalar_one()
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
    return min(cap, 0.25 * 2 ** min(excess - 1, 16))


def purge_expired(session: Session, *, now: datetime | None = None) -> dict[str, int]:
    """Delete sign-in links and rate-limit windows older than a day; return the counts."""
    cutoff = _now(now) - timedelta(days=1)
    links = session.execute(delete(LoginToken).where(LoginToken.expires_at < cutoff)).rowcount
    windows = session.execute(
        delete(RateLimitWindow).where(RateLimitWindow.window_start < cutoff)
    ).rowcount
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
    label: str = "",
    now: datetime | None = None,
) -> tuple[ApiToken, str]:
    """Create an API token; return it and its raw value (shown once, stored hashed).

    An employer token names its employer, a candidate token its candidate (not anonymised),
    a coordinator or admin token neither.
    """
    try:
        role = Role(role)
    except ValueError:
        raise ValidationError({"role": ["Rôle inconnu."]}) from None
    _check_token_link(session, role, employer_id, candidate_id)
    raw = new_token()
    token = ApiToken(
        token_hash=hash_secret(raw),
        role=role,
        employer_id=employer_id,
        candidate_id=candidate_id,
        label=label,
        created_at=_now(now),
    )
    session.add(token)
    session.flush()
    return token, raw


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
    disabled; an employer token once every account of its structure is disabled.
    """
    token = session.scalar(select(ApiToken).where(ApiToken.token_hash == hash_secret(raw)))
    if token is None or token.revoked_at is not None:
        return None
    if token.role == Role.CANDIDATE and not _candidate_may_act(session, token.candidate_id):
        return None
    if token.role == Role.EMPLOYER and not _employer_may_act(session, token.employer_id):
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
