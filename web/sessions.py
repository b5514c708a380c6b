"""Who is signed in: a signed cookie holding the user id and the session version it began at.

Every request that looks at the user checks the version against the database, so signing out,
a disabled account or a changed password ends every session of that user on the server side.
Sessions also end ``SESSION_MAX_AGE_HOURS`` after sign-in, whatever the browser keeps.
"""

from __future__ import annotations

import time
from collections.abc import Callable
from functools import wraps
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, abort, current_app, g, redirect, request, session, url_for

from data import auth as data_auth
from data.actor import Actor
from data.models import Role, User
from web.db import get_session

__all__ = [
    "register_sessions",
    "current_user",
    "current_actor",
    "sign_in",
    "sign_out",
    "role_required",
    "safe_next",
    "STAFF",
]

F = TypeVar("F", bound=Callable[..., Any])
STAFF = (Role.COORDINATOR, Role.ADMIN)
_UNSET = object()


def current_user() -> User | None:
    """Return the signed-in user of this request, or None (checked once per request)."""
    cached = g.get("_user", _UNSET)
    if cached is not _UNSET:
        return cached  # type: ignore[return-value]
    user = None
    if "uid" in session:
        started = session.get("t")
        max_age = current_app.permanent_session_lifetime.total_seconds()
        if isinstance(started, int | float) and time.time() - started < max_age:
            user = data_auth.session_user(get_session(), session.get("uid"), session.get("sv"))
        if user is None:
            session.clear()
    g._user = user
    return user


def current_actor() -> Actor:
    """Return the signed-in user acting through the pages (views behind ``role_required``)."""
    user = current_user()
    if user is None:
        abort(401)
    return Actor.user(user)


def sign_in(user: User) -> None:
    """Start a fresh session for ``user`` (a new CSRF token too: nothing survives sign-in)."""
    session.clear()
    session.permanent = True
    session["uid"] = user.id
    session["sv"] = user.session_version
    session["t"] = int(time.time())
    g._user = user


def sign_out() -> None:
    """Forget the session in this browser."""
    session.clear()
    g._user = None


def safe_next(target: str | None) -> str | None:
    """Return ``target`` if it is a path of this site (no open redirect), else None."""
    if not target:
        return None
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not target.startswith("/") or target.startswith("//"):
        return None
    if "\\" in target:
        return None
    # A line break would split the Location header (Werkzeug refuses it: a 500 after sign-in).
    if any(ord(c) < 0x20 or ord(c) == 0x7F for c in target):
        return None
    return target


def role_required(*roles: Role) -> Callable[[F], F]:
    """Let only users of ``roles`` in: others get 403, anonymous people the sign-in page."""

    def decorator(view: F) -> F:
        @wraps(view)
        def wrapped(*args: Any, **kwargs: Any) -> Any:
            user = current_user()
            if user is None:
                endpoint = "signin.staff" if set(roles) <= set(STAFF) else "signin.request_link"
                nxt = request.full_path if request.method == "GET" else None
                nxt = nxt.rstrip("?") if nxt else None
                return redirect(url_for(endpoint, next=nxt))
            if user.role not in roles:
                abort(403)
            return view(*args, **kwargs)

        return wrapped  # type: ignore[return-value]

    return decorator


def register_sessions(app: Flask) -> None:
    """Make ``current_user`` available to templates."""
    app.jinja_env.globals["current_user"] = current_user
    app.jinja_env.globals["Role"] = Role
