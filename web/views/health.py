"""``/healthz``: is the service up and does its database answer? For load balancers and probes.

Cheap on purpose: one ``SELECT 1`` on a pooled connection of the app's engine, no session cookie,
no signed-in user, no audit; a GET, so no CSRF; no rate limit applies.
"""

from __future__ import annotations

from flask import Blueprint, Response, jsonify
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from data.db import DEFERRED
from web.db import state
from web.errors import RETRY_AFTER_SECONDS

bp = Blueprint("health", __name__)

UNAVAILABLE = "La base de données ne répond pas : le service est momentanément indisponible."


@bp.get("/healthz")
def healthz() -> Response:
    """Answer 200 ``{"status": "ok"}``, or 503 with a French message if the database is down."""
    try:
        # A read: on SQLite it must not wait behind a writer for the write lock (data.db).
        with state().engine.connect().execution_options(**DEFERRED) as conn:
            conn.execute(text("SELECT 1"))
    except SQLAlchemyError:
        response = jsonify({"status": "unavailable", "message": UNAVAILABLE})
        response.status_code = 503
        response.headers["Retry-After"] = str(RETRY_AFTER_SECONDS)
    else:
        response = jsonify({"status": "ok"})
    response.headers["Cache-Control"] = "no-store"
    return response
