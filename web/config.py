"""Configuration: defaults in code, overridden by ``PASSERELLE_*`` variables or a test config.

Every key is flat (no prefix inside the app): ``PASSERELLE_DATABASE_URL`` sets ``DATABASE_URL``.
Values of environment variables are read as JSON when they parse (``PASSERELLE_PROXY_FIX_HOPS=1``).
The settings the jobs read too (database, mail, SMTP, base URL, instance directory) have their
defaults in :data:`data.config.DEFAULTS` only, so the web app and the scheduler always agree; this
module adds the keys only the web app reads.
"""

from __future__ import annotations

import os
import secrets
from datetime import timedelta
from pathlib import Path
from typing import Any

import click
from flask import Flask
from werkzeug.middleware.proxy_fix import ProxyFix

from data import config as shared

__all__ = ["defaults", "finalize", "instance_dir", "is_development", "dev_tools_enabled"]

DEV_ENVS = ("development", "testing")
INSTANCE_ENV = f"{shared.ENV_PREFIX}INSTANCE_DIR"


def instance_dir(test_config: dict[str, Any] | None = None) -> str:
    """Return the instance directory, absolute: the test config's, PASSERELLE_INSTANCE_DIR, or
    ``data.config``'s default (the checkout's ``instance/``), the same the jobs use."""
    chosen = (test_config or {}).get("INSTANCE_DIR") or os.environ.get(INSTANCE_ENV)
    return str(Path(chosen or shared.DEFAULTS["INSTANCE_DIR"]).resolve())


def defaults(instance_path: str) -> dict[str, Any]:
    """Return the default settings; the embedded default is SQLite and mails kept as files."""
    # DATABASE_URL, MAIL_DIR, MAIL_*, SMTP_*, BASE_URL...: derived from the instance directory
    # exactly as the jobs derive them.
    common = shared.load_config(environ={}, overrides={"INSTANCE_DIR": instance_path})
    return {
        **common,
        # "production" unless told otherwise: secure cookies, HSTS, a SECRET_KEY is required.
        "ENV": "production",
        "SECRET_KEY": None,
        # Uploads are CSV files of offers (a few hundred lines at most) and CVs of 2 Mo at most
        # (data.operations.cv), sent by a form or base64-encoded in the API's JSON (4/3 bigger).
        "MAX_CONTENT_LENGTH": 3 * 1024 * 1024,
        "MAX_FORM_MEMORY_SIZE": 512 * 1024,
        "SESSION_COOKIE_NAME": "passerelle_session",
        "SESSION_COOKIE_HTTPONLY": True,
        "SESSION_COOKIE_SAMESITE": "Lax",
        "SESSION_COOKIE_SECURE": None,  # None: secure outside development and testing
        "SESSION_MAX_AGE_HOURS": 12,
        # Map background tiles, e.g. "https://tiles.example.org/{z}/{x}/{y}.png"; none by default:
        # the map then shows the Ain's commune outlines shipped with Passerelle, offline.
        "TILES_URL": None,
        "TILES_ATTRIBUTION": "",
        # Sign-in rate limits: attempts per sliding window (data.auth.hit_rate_limit).
        "RATELIMIT_WINDOW_MINUTES": 15,
        "RATELIMIT_PER_ACCOUNT": 5,
        "RATELIMIT_PER_ADDRESS": 30,
        # Past RATELIMIT_PER_ACCOUNT, a failed staff sign-in is held a growing time, at most this.
        "RATELIMIT_ACCOUNT_MAX_DELAY_SECONDS": 2.0,
        # Reverse proxies in front of the app whose X-Forwarded-* headers are trusted.
        "PROXY_FIX_HOPS": 0,
        "PAGE_SIZE": 20,
        "PUBLISHER_NAME": "Département de l'Ain",
        "PUBLISHER_ADDRESS": "45 avenue Alsace-Lorraine, 01000 Bourg-en-Bresse",
        "CONTACT_EMAIL": "passerelle@ain.example",
        # The host of the service, shown in the legal notice (LCEN art. 6, III: name, address,
        # telephone). Unknown until the publisher picks one: the page then says so plainly.
        "HOSTING_NAME": None,
        "HOSTING_ADDRESS": None,
        "HOSTING_PHONE": None,
    }


def is_development(app: Flask) -> bool:
    """Tell whether the app runs for a developer or the tests (relaxed cookies, dev secret)."""
    return bool(app.config.get("TESTING")) or app.config["ENV"] in DEV_ENVS


def dev_tools_enabled(app: Flask) -> bool:
    """Tell whether the local helpers (mailbox page, demo sign-in) are on: ENV "development" only.

    Never in production, nor merely because TESTING is set: a test turns them on by asking for
    ENV "development".
    """
    return app.config.get("ENV") == "development"


def _dev_secret(instance_path: str) -> str:
    """Return a secret kept under instance/, so that development sessions survive a restart."""
    path = Path(instance_path) / "dev_secret_key"
    if path.exists():
        return path.read_text(encoding="utf-8").strip()
    path.parent.mkdir(parents=True, exist_ok=True)
    key = secrets.token_hex(32)
    path.write_text(key, encoding="utf-8")
    path.chmod(0o600)
    return key


def _serves_requests() -> bool:
    """Tell whether the app is built to serve requests (WSGI server, ``flask run``).

    A ``flask --app web`` command such as ``init`` or ``tokens create`` signs no cookie: it needs
    no secret key, so that an administrator can run it from any terminal. The Flask command line
    builds the app inside a click context; a WSGI server (gunicorn) builds it outside any.
    """
    ctx = click.get_current_context(silent=True)
    if ctx is None:
        return True
    while ctx is not None:
        if ctx.info_name == "run":
            return True
        ctx = ctx.parent
    return False


def finalize(app: Flask) -> None:
    """Derive the settings that depend on others, and refuse an unsafe production setup."""
    cfg = app.config
    # from_prefixed_env reads values as JSON: a secret made of digits must stay a string.
    for key in shared.RAW_STRING_KEYS:
        if cfg.get(key) is not None and not isinstance(cfg[key], str):
            cfg[key] = str(cfg[key])
    cfg["BASE_URL"] = str(cfg["BASE_URL"]).rstrip("/")
    cfg["INSTANCE_DIR"] = app.instance_path
    if not cfg.get("SECRET_KEY"):
        if is_development(app):
            cfg["SECRET_KEY"] = (
                secrets.token_hex(32) if cfg.get("TESTING") else _dev_secret(app.instance_path)
            )
        elif _serves_requests():
            raise RuntimeError("PASSERELLE_SECRET_KEY must be set outside development.")
    if cfg["SESSION_COOKIE_SECURE"] is None:
        cfg["SESSION_COOKIE_SECURE"] = not is_development(app)
    cfg["PERMANENT_SESSION_LIFETIME"] = timedelta(hours=int(cfg["SESSION_MAX_AGE_HOURS"]))
    hops = int(cfg["PROXY_FIX_HOPS"])
    if hops > 0:
        app.wsgi_app = ProxyFix(  # type: ignore[method-assign]
            app.wsgi_app, x_for=hops, x_proto=hops, x_host=hops
        )
