"""Bearer tokens: who calls the API, and what their role lets them reach.

Every request under ``/api/v1`` carries ``Authorization: Bearer <token>``; the token was created by
an admin (``flask --app web tokens create --role ROLE [--employer ID | --candidate ID]
[--email E]``) and is stored hashed (``data.models.auth.ApiToken``). The client has exactly the
rights of the token's role:

* ``candidate``: what the candidate pages show that candidate (``web/views/candidate.py``): its
  own request (read, create, change), the published offers, and the suggestions of its request
  that the review rule shows the parties, with the employer's contact once a coordinator
  approved the pair; it answers them (interest) for itself;
* ``employer``: its employer's offers, and the suggestions of those offers that the parties may
  see, each candidate shown with the fields an employer may see before contact;
* ``coordinator`` and ``admin``: everything, with the review decisions.

A candidate token stops working once its candidate is anonymised or its account disabled, an
employer token once every account of its structure is disabled, a staff token (which names its
account) once that account is disabled, deleted or given another role (see
``data.auth.authenticate_api_token``); deleting the candidate or the structure deletes its
tokens. Objects outside a token's reach answer 404 (their existence is not told); actions its role
may never take answer 403. The session cookie of the pages is never read here.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps
from typing import Any, TypeVar

from flask import g, request
from webargs.flaskparser import abort

from data import auth as data_auth
from data.actor import Actor
from data.models import Role
from web.db import get_session

__all__ = [
    "Principal",
    "authenticate",
    "authenticate_reads",
    "current_principal",
    "optional_principal",
    "require_staff",
    "roles_only",
    "staff_only",
    "candidate_only",
    "not_candidate",
    "not_employer",
    "STAFF_ROLES",
]

F = TypeVar("F", bound=Callable[..., Any])

STAFF_ROLES = frozenset({Role.COORDINATOR, Role.ADMIN})
# A token is 43 URL-safe characters; anything much longer is not one of ours.
MAX_TOKEN_LENGTH = 200
REALM = 'Bearer realm="passerelle-api"'


@dataclass(frozen=True)
class Principal:
    """The caller of this request: the token's id, role, and its employer or its candidate."""

    token_id: int
    role: Role
    employer_id: int | None = None
    candidate_id: int | None = None
    user_id: int | None = None  # the account the token acts for (every staff token names one)

    @property
    def actor(self) -> Actor:
        """Return the caller as the operations take it: this token, through the API."""
        return Actor.token(
            self.token_id,
            self.role,
            employer_id=self.employer_id,
            candidate_id=self.candidate_id,
        )

    @property
    def is_staff(self) -> bool:
        """Tell whether the caller is a coordinator or an admin."""
        return self.role in STAFF_ROLES

    @property
    def is_employer(self) -> bool:
        """Tell whether the caller acts for one employer."""
        return self.role == Role.EMPLOYER

    @property
    def is_candidate(self) -> bool:
        """Tell whether the caller acts for one candidate."""
        return self.role == Role.CANDIDATE


def _unauthorized(error: str | None, message: str) -> None:
    header = REALM if error is None else f'{REALM}, error="{error}"'
    abort(401, message=message, headers={"WWW-Authenticate": header})


def authenticate() -> None:
    """Check the bearer token of this request (a blueprint's ``before_request``); 401 if bad.

    The token's last use is recorded and committed at once: it says which tokens are still in use.
    """
    header = request.headers.get("Authorization", "")
    scheme, _, raw = header.partition(" ")
    raw = raw.strip()
    if not header:
        _unauthorized(None, "Jeton d'accès manquant : en-tête « Authorization: Bearer … ».")
    if scheme.lower() != "bearer" or not raw or len(raw) > MAX_TOKEN_LENGTH or not raw.isascii():
        _unauthorized("invalid_request", "En-tête Authorization invalide : « Bearer <jeton> ».")
    session = get_session()
    token = data_auth.authenticate_api_token(session, raw)
    if token is None:
        session.rollback()
        _unauthorized("invalid_token", "Jeton d'accès inconnu ou révoqué.")
    g.api_principal = Principal(
        token_id=token.id,
        role=token.role,
        employer_id=token.employer_id,
        candidate_id=token.candidate_id,
        user_id=token.user_id,
    )
    session.commit()


def authenticate_reads() -> None:
    """Like :func:`authenticate`, but a read (GET, HEAD) without any ``Authorization`` header
    goes on anonymously (:func:`optional_principal` is then None): for public information.

    A header that is there is checked as always (a bad token is a 401, never anonymous).
    """
    if request.method in ("GET", "HEAD") and "Authorization" not in request.headers:
        g.api_principal = None
        return
    authenticate()


def optional_principal() -> Principal | None:
    """Return the caller of this request, or None for an anonymous read."""
    return g.get("api_principal")


def current_principal() -> Principal:
    """Return the caller of this request (set by :func:`authenticate`)."""
    return g.api_principal


STAFF_ONLY = "Action réservée aux coordinateurs."


def require_staff() -> Principal:
    """Return the caller if a coordinator or admin; else 403."""
    principal = current_principal()
    if not principal.is_staff:
        abort(403, message=STAFF_ONLY)
    return principal


def roles_only(*roles: Role, message: str) -> Callable[[F], F]:
    """Refuse the view (403, ``message``) to callers of other roles, before reading its input.

    Put it right under ``@bp.route``, above the argument and response decorators.
    """
    allowed = frozenset(roles)

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            if current_principal().role not in allowed:
                abort(403, message=message)
            return view(*args, **kwargs)

        return wrapper  # type: ignore[return-value]

    return decorator


staff_only = roles_only(*STAFF_ROLES, message=STAFF_ONLY)
"""Coordinators and admins only (e.g. review decisions)."""

not_candidate = roles_only(
    Role.EMPLOYER, *STAFF_ROLES, message="Action réservée aux employeurs et aux coordinateurs."
)
"""Employers and staff (e.g. offers' changes, the candidates of an offer)."""

candidate_only = roles_only(Role.CANDIDATE, message="Action réservée aux candidats.")
"""Candidates only (e.g. saying an offer interests them)."""

not_employer = roles_only(
    Role.CANDIDATE,
    *STAFF_ROLES,
    message="Action réservée aux coordinateurs et au candidat concerné.",
)
"""Candidates (their own request) and staff: the requests."""
