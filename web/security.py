"""CSRF protection of every form and the security headers of every response.

CSRF: a random token per browser session, put in each form by ``{{ csrf_field() }}`` and checked
on every unsafe method. Views reachable without a cookie (RFC 8058 one-click unsubscribe) are
marked with :func:`csrf_exempt`; paths under ``CSRF_EXEMPT_PREFIXES`` (the JSON API, which
authenticates by bearer token and never reads the cookie session) are exempt as a whole.
"""

from __future__ import annotations

import hmac
import secrets
from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, current_app, request, session
from markupsafe import Markup, escape
from werkzeug.exceptions import BadRequest

from web.config import is_development

__all__ = ["CSRFError", "csrf_exempt", "csrf_token", "register_security"]

F = TypeVar("F", bound=Callable[..., Any])

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class CSRFError(BadRequest):
    """The form came without the token of this browser session (or with another one)."""

    french = True  # web.errors shows this description as is
    description = (
        "La page a expiré ou le formulaire ne vient pas de Passerelle. "
        "Rechargez la page puis recommencez."
    )


def csrf_exempt(view: F) -> F:
    """Mark a view that must accept POST without a session (e.g. one-click unsubscribe)."""
    view.csrf_exempt = True  # type: ignore[attr-defined]
    return view


def csrf_token() -> str:
    """Return this browser session's CSRF token, creating it on first use."""
    token = session.get("csrf")
    if not isinstance(token, str):
        token = secrets.token_urlsafe(32)
        session["csrf"] = token
    return token


def csrf_field() -> Markup:
    """Return the hidden input carrying the CSRF token, for templates."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, escape(csrf_token())
    )


def _check_csrf() -> None:
    if request.method not in UNSAFE_METHODS:
        return
    if request.path.startswith(tuple(current_app.config["CSRF_EXEMPT_PREFIXES"])):
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "csrf_exempt", False):
        return  # unknown route: let routing answer 404/405
    expected = session.get("csrf")
    given = request.form.get(CSRF_FIELD) or request.headers.get(CSRF_HEADER) or ""
    if not isinstance(expected, str) or not hmac.compare_digest(expected, given):
        raise CSRFError()


def content_security_policy(app: Flask) -> str:
    """Return the CSP: our own scripts and styles only, no inline code, no framing."""
    img = ["'self'", "data:"]
    tiles = app.config.get("TILES_URL")
    if tiles:
        parts = urlsplit(tiles)
        img.append(f"{parts.scheme}://{parts.netloc}")
    directives = {
        "default-src": ["'self'"],
        "script-src": ["'self'"],
        "style-src": ["'self'"],
        "img-src": img,
        "connect-src": ["'self'"],
        "font-src": ["'self'"],
        "object-src": ["'none'"],
        "base-uri": ["'none'"],
        "form-action": ["'self'"],
        "frame-ancestors": ["'none'"],
    }
    return "; ".join(f"{k} {' '.join(v)}" for k, v in directives.items())


def register_security(app: Flask) -> None:
    """Install CSRF checking, the template helpers and the security headers."""
    app.config.setdefault("CSRF_EXEMPT_PREFIXES", ("/api/",))
    csp = content_security_policy(app)
    hsts = not is_development(app)
    app.before_request(_check_csrf)
    app.jinja_env.globals["csrf_token"] = csrf_token
    app.jinja_env.globals["csrf_field"] = csrf_field

    @app.after_request
    def _headers(response):  # type: ignore[no-untyped-def]
        h = response.headers
        h.setdefault("Content-Security-Policy", csp)
        h.setdefault("X-Content-Type-Options", "nosniff")
        h.setdefault("X-Frame-Options", "DENY")
        h.setdefault("Referrer-Policy", "same-origin")
        h.setdefault("Cross-Origin-Opener-Policy", "same-origin")
        h.setdefault("Permissions-Policy", "geolocation=(), camera=(), microphone=(), payment=()")
        if hsts:
            h.setdefault("Strict-Transport-Security", "max-age=31536000; includeSubDomains")
        # Pages of a signed-in person may hold personal data: never keep them in a cache.
        if "uid" in session and request.endpoint != "static":
            h["Cache-Control"] = "no-store"
        return response
