"""CSRF protection of every form and the security headers of every response.

CSRF is Flask-WTF's ``CSRFProtect`` (issue 13: security primitives from well-kept libraries). It
replaced a hand-written check (one random token per session, compared in constant time) that was
as strong against a forged form but had less: the library also refuses, on HTTPS, a POST whose
``Referer`` is missing or of another origin (our ``Referrer-Policy: same-origin`` sends it), and it
is reviewed and kept by many. Kept from before: the field name ``csrf_token``, the
``X-CSRF-Token`` header, ``{{ csrf_field() }}`` in templates, the French refusal, and the token
living as long as the browser session (``WTF_CSRF_TIME_LIMIT = None``: a long form typed for an
hour still goes through; sessions end at sign-in, sign-out and ``SESSION_MAX_AGE_HOURS``).

Which requests are checked stays ours (``WTF_CSRF_CHECK_DEFAULT`` off, the library's documented
way): every unsafe method except views marked with :func:`csrf_exempt` (RFC 8058 one-click
unsubscribe: the mail client's POST carries no cookie) and paths under ``CSRF_EXEMPT_PREFIXES``
(the JSON API, which authenticates by bearer token and never reads the cookie session).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar
from urllib.parse import urlsplit

from flask import Flask, current_app, request, session
from flask_wtf.csrf import CSRFError as LibraryCSRFError
from flask_wtf.csrf import CSRFProtect, generate_csrf
from markupsafe import Markup, escape
from werkzeug.exceptions import BadRequest

from web.config import is_development

__all__ = ["CSRFError", "csrf_exempt", "csrf_token", "register_security"]

F = TypeVar("F", bound=Callable[..., Any])

CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"

#: Flask-WTF's settings, as :func:`register_security` sets them (see the module's docstring).
CSRF_SETTINGS: dict[str, Any] = {
    "WTF_CSRF_CHECK_DEFAULT": False,  # checked by _check_csrf, which knows our exemptions
    "WTF_CSRF_FIELD_NAME": CSRF_FIELD,
    "WTF_CSRF_HEADERS": [CSRF_HEADER, "X-CSRFToken"],
    "WTF_CSRF_TIME_LIMIT": None,  # as long as the session
    "WTF_CSRF_SSL_STRICT": True,  # on HTTPS, the Referer must be this site
}


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
    """Return this browser session's CSRF token (signed by Flask-WTF), creating it on first use."""
    return str(generate_csrf())


def csrf_field() -> Markup:
    """Return the hidden input carrying the CSRF token, for templates."""
    return Markup('<input type="hidden" name="{}" value="{}">').format(
        CSRF_FIELD, escape(csrf_token())
    )


def _check_csrf() -> None:
    if request.path.startswith(tuple(current_app.config["CSRF_EXEMPT_PREFIXES"])):
        return
    view = current_app.view_functions.get(request.endpoint or "")
    if view is None or getattr(view, "csrf_exempt", False):
        return  # unknown route: let routing answer 404/405
    try:
        current_app.extensions["csrf"].protect()  # only unsafe methods (WTF_CSRF_METHODS)
    except LibraryCSRFError:
        raise CSRFError() from None


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
    for key, value in CSRF_SETTINGS.items():
        app.config.setdefault(key, value)
    CSRFProtect(app)
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
