"""The proof-of-work challenge a sign-in form asks for once one address has been tried too often.

Attempts for one address may come from anyone, so they never lock the person out (see
:func:`data.auth.account_delay`); past a number of them the form needs a solved challenge, which
costs each try a second or so of computing. The challenge is ALTCHA's proof of work (PyPI
``altcha`` on the server, the npm ``altcha`` widget served from ``web/static/vendor/altcha``): no
third party, no network, no picture to read; the person ticks a box (or the widget solves by
itself) and waits. Each solved challenge is accepted once (:func:`data.auth.claim_once`).

Deterministic mode, as ALTCHA recommends: the server draws the counter the browser must find and
signs the key it derives, so the effort is the same for everyone and checking a solution is one
HMAC, not a key derivation.
"""

from __future__ import annotations

import hashlib
import hmac
import secrets
from datetime import UTC, datetime, timedelta
from typing import Any

import altcha
from flask import current_app

from data import auth
from web.db import get_session

__all__ = [
    "CHALLENGE_FIELD",
    "CHALLENGE_TTL",
    "challenge_needed",
    "new_challenge",
    "solved",
]

#: The form field the widget fills with its solution (base64 JSON).
CHALLENGE_FIELD = "altcha"
#: How long a challenge may be solved and used.
CHALLENGE_TTL = timedelta(minutes=10)
#: The key derivation the browser repeats (WebCrypto has it natively in every current browser).
CHALLENGE_ALGORITHM = "PBKDF2/SHA-256"
#: PBKDF2 iterations per try; the browser makes about ``counter`` tries.
DEFAULT_CHALLENGE_COST = 2_000
#: The range the counter is drawn from: with the cost above, about two seconds in chromium on a
#: shared two-core machine (ALTCHA's example, 5,000 x 5,000-10,000, took four), about as much CPU
#: for a native solver per try.
DEFAULT_CHALLENGE_COUNTER = (2_000, 4_000)
#: A solution longer than this is not one (the widget's payload is about 600 characters).
MAX_PAYLOAD_LENGTH = 4_096


def _secret(purpose: str) -> bytes:
    """Derive a key for ``purpose`` from the app's secret key (one secret to keep, not three)."""
    key = str(current_app.config["SECRET_KEY"]).encode("utf-8")
    return hmac.new(key, f"passerelle-challenge-{purpose}".encode(), hashlib.sha256).digest()


def challenge_needed(attempts: float) -> bool:
    """Tell whether a form with ``attempts`` for its address in the window needs a challenge."""
    after = current_app.config.get("SIGNIN_CHALLENGE_AFTER", auth.CHALLENGE_AFTER_ATTEMPTS)
    return attempts > int(after)


def new_challenge(*, now: datetime | None = None) -> dict[str, Any]:
    """Return a fresh signed challenge, as the widget reads it (JSON)."""
    cfg = current_app.config
    low, high = cfg.get("SIGNIN_CHALLENGE_COUNTER", DEFAULT_CHALLENGE_COUNTER)
    at = now or datetime.now(UTC)
    challenge = altcha.create_challenge(
        CHALLENGE_ALGORITHM,
        int(cfg.get("SIGNIN_CHALLENGE_COST", DEFAULT_CHALLENGE_COST)),
        counter=int(low) + secrets.randbelow(int(high) - int(low) + 1),
        expires_at=at + CHALLENGE_TTL,
        hmac_secret=_secret("signature"),
        hmac_key_secret=_secret("key"),
    )
    return challenge.to_dict()


def solved(payload: str | None) -> bool:
    """Tell whether ``payload`` solves a challenge of ours, unexpired and never used before.

    A solution is used up by this call whatever follows (a failed sign-in included); the caller
    commits the request's session.
    """
    if not payload or len(payload) > MAX_PAYLOAD_LENGTH:
        return False
    result = altcha.verify_solution(payload, _secret("signature"), hmac_key_secret=_secret("key"))
    if not result.verified:
        return False
    decoded = altcha.Payload.from_base64(payload)
    expires_at = decoded.challenge.parameters.expires_at
    if not isinstance(expires_at, int) or decoded.challenge.signature is None:
        return False  # we always sign an expiry: anything else is not ours
    until = datetime.fromtimestamp(expires_at, UTC)
    return auth.claim_once(get_session(), f"challenge:{decoded.challenge.signature}", until=until)
