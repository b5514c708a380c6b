"""Passerelle's web service: French pages and the JSON API.

``create_app`` builds the application in named steps; nothing runs at import time.
Deployment settings come from ``PASSERELLE_*`` environment variables (``PASSERELLE_SECRET_KEY``,
``PASSERELLE_DATABASE_URL``, ``PASSERELLE_ENV``, ``PASSERELLE_INSTANCE_DIR``...): see
:func:`web.config.defaults` and :data:`data.config.DEFAULTS`.
"""

from __future__ import annotations

import importlib
import importlib.util
import threading
from typing import Any

from flask import Flask

from data.reference.gazetteer import gazetteer
from web import config, db, errors, security, sessions
from web.input import register_input_guard

__all__ = ["create_app"]

_warm_lock = threading.Lock()
_warming: threading.Thread | None = None


def create_app(test_config: dict[str, Any] | None = None) -> Flask:
    """Build the Passerelle web application."""
    # The instance directory (SQLite file, kept mails, dev secret) is the one the jobs use too:
    # PASSERELLE_INSTANCE_DIR, or the checkout's instance/ (see data.config).
    app = Flask(
        __name__, instance_relative_config=True, instance_path=config.instance_dir(test_config)
    )
    app.config.from_mapping(config.defaults(app.instance_path))
    app.config.from_prefixed_env("PASSERELLE")
    if test_config is not None:
        app.config.from_mapping(test_config)
    config.finalize(app)

    db.register_db(app)
    register_input_guard(app)  # before any view, and the id converter before the routes
    security.register_security(app)
    sessions.register_sessions(app)
    register_blueprints(app)
    errors.register_error_handlers(app)
    register_commands(app)
    register_template_helpers(app)
    app.before_request(warm_gazetteer)
    return app


def warm_gazetteer() -> None:
    """Build the communes' index in the background from a process's first request, so that the
    first person typing a commune does not wait for it (one to three seconds; once per process).

    Not in ``create_app``: every CLI command builds the app too, and would pay for it.
    """
    global _warming
    if _warming is not None:
        return
    with _warm_lock:
        if _warming is None:
            _warming = threading.Thread(target=gazetteer, name="gazetteer", daemon=True)
            _warming.start()


def register_blueprints(app: Flask) -> None:
    """Attach the pages of every space, then the JSON API when it is there."""
    from web.views import (
        admin,
        candidate,
        coordinator,
        dev,
        discovery,
        employer,
        health,
        housing,
        housing_public,
        housing_survey,
        library,
        masters,
        metier_sheets,
        moderation,
        observatory,
        plan,
        public,
        questionnaires,
        signin,
        training,
        training_public,
        welcome_kit,
    )

    for module in (
        health,
        public,
        training_public,
        housing_public,
        metier_sheets,
        library,
        signin,
        employer,
        candidate,
        coordinator,
        moderation,
        training,
        housing_survey,
        housing,
        admin,
        questionnaires,
        observatory,
    ):
        app.register_blueprint(module.bp)
    app.register_blueprint(housing_survey.public_bp)  # the structures' form, no sign-in
    app.register_blueprint(housing.employer_bp)  # issue 17: « Nos logements » of a structure
    for blueprint in discovery.BLUEPRINTS:  # issue 18: discovery days, each space's pages
        app.register_blueprint(blueprint)
    app.register_blueprint(masters.bp)  # issue 19: « Nos maîtres d'apprentissage »
    for blueprint in welcome_kit.BLUEPRINTS:  # issue 19: the welcome kit, each space's pages
        app.register_blueprint(blueprint)
    for blueprint in plan.BLUEPRINTS:  # issue 20: the plan's roadmap, public and coordinators'
        app.register_blueprint(blueprint)
    dev.register(app)  # the local mailbox: in development only
    register_api(app)


def register_api(app: Flask) -> None:
    """Mount the JSON API: ``web.api.init_app(app)`` registers it under /api (bearer tokens).

    Paths under /api/ skip the CSRF check and get the JSON error body from ``web.errors``.
    """
    spec = importlib.util.find_spec("web.api")
    if spec is None or spec.origin is None:  # built separately (no package yet): pages work alone
        return
    api = importlib.import_module("web.api")
    api.init_app(app)


def register_commands(app: Flask) -> None:
    """Add the ``flask --app web`` commands (init, demo, users, tokens)."""
    from web import cli

    cli.register(app)


def register_template_helpers(app: Flask) -> None:
    """Give templates the French formatting filters and labels."""
    from web import formatting

    formatting.register(app)
