"""Deployment settings shared by the web app and the jobs: defaults in code, overrides from outside.

Every setting may be overridden by an environment variable named ``PASSERELLE_<KEY>``; values are
parsed like Flask's ``Config.from_prefixed_env``: ``json.loads`` first, the raw string if that fails
(so ``PASSERELLE_SMTP_PORT=587`` is an int and ``PASSERELLE_SMTP_STARTTLS=false`` a bool). Secrets
and names listed in :data:`RAW_STRING_KEYS` are always kept as typed, so a numeric password stays a
string. Nothing is read at import time: call :func:`load_config`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Mapping
from pathlib import Path
from typing import Any

__all__ = [
    "ENV_PREFIX",
    "REPO_ROOT",
    "DEFAULT_INSTANCE_DIR",
    "DEFAULTS",
    "RAW_STRING_KEYS",
    "load_config",
    "parse_env_value",
]

ENV_PREFIX = "PASSERELLE_"
REPO_ROOT = Path(__file__).resolve().parent.parent
DEFAULT_INSTANCE_DIR = REPO_ROOT / "instance"

#: Defaults of every setting the jobs read. ``None`` for DATABASE_URL, MAIL_DIR, CV_DIR and
#: LIBRARY_DIR means "derived from INSTANCE_DIR" (``sqlite:///<INSTANCE_DIR>/passerelle.db``,
#: ``<INSTANCE_DIR>/mail``, ``<INSTANCE_DIR>/cv``, where candidates' CVs are kept, and
#: ``<INSTANCE_DIR>/mallette``, the PDFs of the mallette's resources: never served statically).
DEFAULTS: dict[str, Any] = {
    "INSTANCE_DIR": str(DEFAULT_INSTANCE_DIR),
    "DATABASE_URL": None,
    "BASE_URL": "http://127.0.0.1:5000",
    "TIMEZONE": "Europe/Paris",
    "MAIL_BACKEND": "file",
    "MAIL_DIR": None,
    "CV_DIR": None,
    "LIBRARY_DIR": None,
    "MAIL_FROM": "Passerelle <ne-pas-repondre@passerelle.localhost>",
    "SMTP_HOST": "localhost",
    "SMTP_PORT": 587,
    "SMTP_USERNAME": None,
    "SMTP_PASSWORD": None,
    "SMTP_STARTTLS": True,
    "SMTP_TIMEOUT": 30,
    "MAIL_MAX_ATTEMPTS": 8,
    "JOBS_LOG_LEVEL": "INFO",
    # Job schedules replaced by configuration, e.g. {"rematch": {"seconds": 10}}: each named job
    # then runs at that interval (cron jobs too). For soak tests and demonstrations; see
    # data.jobruns.interval_of and jobs.registry.specs_for.
    "JOB_SCHEDULE": {},
    # Days a colleague's invitation (its sign-in link) works, to the end of the last one in
    # Paris; an ordinary sign-in link works 15 minutes (data.auth.LOGIN_LINK_TTL).
    "INVITATION_DAYS": 7,
    # The offers and requests a page changes are re-matched as it commits (data.incremental):
    # their suggestions are there at once, not at the next run of the re-matching job.
    "REMATCH_ON_COMMIT": True,
}

#: Keys whose environment value is never JSON-decoded.
RAW_STRING_KEYS = frozenset(
    {
        "DATABASE_URL",
        "BASE_URL",
        "INSTANCE_DIR",
        "MAIL_DIR",
        "CV_DIR",
        "LIBRARY_DIR",
        "MAIL_FROM",
        "SMTP_HOST",
        "SMTP_USERNAME",
        "SMTP_PASSWORD",
        "SECRET_KEY",
        "TIMEZONE",
    }
)


def parse_env_value(key: str, raw: str) -> Any:
    """Decode one environment value the way Flask's ``from_prefixed_env`` does.

    >>> parse_env_value("SMTP_PORT", "2525")
    2525
    >>> parse_env_value("SMTP_STARTTLS", "false")
    False
    >>> parse_env_value("SMTP_PASSWORD", "123456")
    '123456'
    >>> parse_env_value("MAIL_BACKEND", "smtp")
    'smtp'
    """
    if key in RAW_STRING_KEYS:
        return raw
    try:
        return json.loads(raw)
    except ValueError:
        return raw


def load_config(
    environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
) -> dict[str, Any]:
    """Return the flat settings: defaults, then ``PASSERELLE_*`` variables, then ``overrides``.

    ``environ`` defaults to ``os.environ`` (read now, not at import). Every ``PASSERELLE_<KEY>``
    variable lands under ``<KEY>``, known or not, so the web app can read its own keys here too.
    """
    env = os.environ if environ is None else environ
    config: dict[str, Any] = dict(DEFAULTS)
    for name, raw in env.items():
        if name.startswith(ENV_PREFIX) and len(name) > len(ENV_PREFIX):
            key = name[len(ENV_PREFIX) :]
            config[key] = parse_env_value(key, raw)
    if overrides:
        config.update(overrides)

    instance = Path(config["INSTANCE_DIR"])
    config["INSTANCE_DIR"] = str(instance)
    if not config.get("DATABASE_URL"):
        config["DATABASE_URL"] = f"sqlite:///{instance / 'passerelle.db'}"
    if not config.get("MAIL_DIR"):
        config["MAIL_DIR"] = str(instance / "mail")
    if not config.get("CV_DIR"):
        config["CV_DIR"] = str(instance / "cv")
    if not config.get("LIBRARY_DIR"):
        config["LIBRARY_DIR"] = str(instance / "mallette")
    config["BASE_URL"] = str(config["BASE_URL"]).rstrip("/")
    return config
