"""The database of a web request: one session per request, closed at teardown.

The engine and the session factory live in ``app.extensions["passerelle"]`` (a
:class:`PasserelleState`). Tests replace ``state.session_factory`` by one that binds sessions to
their test connection; the API and CLI get their session with :func:`get_session`.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from flask import Flask, current_app, g
from sqlalchemy import Engine
from sqlalchemy.orm import Session

from data.db import make_engine, make_session_factory
from data.incremental import rematch_on_commit

__all__ = ["PasserelleState", "register_db", "state", "get_session"]

EXTENSION = "passerelle"


@dataclass
class PasserelleState:
    """What the app shares between requests: the engine and where sessions come from."""

    engine: Engine
    session_factory: Callable[[], Session]


def register_db(app: Flask) -> None:
    """Build the engine from DATABASE_URL (lazily connected) and close sessions at teardown."""
    engine = make_engine(app.config["DATABASE_URL"])
    app.extensions[EXTENSION] = PasserelleState(engine, make_session_factory(engine))
    app.teardown_appcontext(_close_session)


def state(app: Flask | None = None) -> PasserelleState:
    """Return the shared state of ``app`` (the current app by default)."""
    return (app or current_app).extensions[EXTENSION]


def get_session() -> Session:
    """Return this request's session, opening it on first use; the offers and requests it
    changes are re-matched as it commits (:func:`data.incremental.rematch_on_commit`)."""
    if "db_session" not in g:
        g.db_session = state().session_factory()
        if current_app.config.get("REMATCH_ON_COMMIT", True):
            rematch_on_commit(g.db_session)
    return g.db_session


def _close_session(_exc: BaseException | None) -> None:
    s = g.pop("db_session", None)
    if s is not None:
        # Anything not committed by the view is rolled back here: no half-written record.
        s.close()
