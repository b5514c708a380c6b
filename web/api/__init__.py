"""The JSON API under ``/api/v1``, described by an OpenAPI 3 document at ``/api/openapi.json``.

Built with flask-smorest from the marshmallow schemas of :mod:`web.api.schemas`; a readable docs
page is at ``/api/docs``. Every route needs a bearer token (:mod:`web.api.auth`); every error is
``{"code", "status", "message", "errors"}`` (:mod:`web.api.errors`); every list is paginated with
``page`` and ``page_size`` and answers ``{"items", "pagination"}``.

The app factory calls :func:`init_app` once per app.
"""

from __future__ import annotations

from typing import Any

from flask import Flask
from flask_smorest import Api

from web.input import IdConverter, id_parameter_schema

from .base import no_store
from .schemas import ErrorSchema

__all__ = ["API_VERSION", "PasserelleApi", "init_app", "register_api"]

API_VERSION = "1.0.0"

DESCRIPTION = """\
The JSON API of Passerelle, which matches apprenticeship offers and requests in the social and
medico-social sector (Département de l'Ain).

**Authentication.** Every call under `/api/v1` sends `Authorization: Bearer <token>`, but
the reads of public information (`GET /api/v1/housing`: the published housing) that answer
without one too. An admin
creates tokens (`flask --app web tokens create --role ROLE [--employer ID | --candidate ID]
[--email E]`); a token has exactly the rights of its role, and a coordinator or admin token acts
for the staff account it names and stops with it. An *employer* token reaches its employer's offers
and the suggestions of those offers that the review rule in force shows the parties (candidates
shown with first name, commune, métiers, distance, housing need and availability, never email or
phone). A *candidate* token reaches what the candidate pages show that candidate: the published
offers (without the tutor), its own request (read, create, change), the suggestions of it that the
review rule shows the parties (with the employer's contact once a coordinator approved the pair,
never the employer's answer), and its own answer to them. It stops working once the candidate is
anonymised or its account disabled. *Coordinator* and *admin* tokens reach everything and take the
review decisions; they alone follow the pairs (`/api/v1/pairs`: the approved suggestions up to a
contract, with their history) and moderate (`/api/v1/moderation`: check, suspend or reinstate a
structure, withdraw or reopen an offer, each with its reason). A new structure's offers wait,
`pending_check`, until a coordinator checked it (unless an admin chose no check before
publication). Objects out of a token's reach answer 404; actions its role may
never take answer 403.

**Errors.** Always `{"code", "status", "message", "errors"}`; `errors` maps each field to its
French messages. 400: malformed JSON; 401: no or bad token; 403; 404; 405; 409: a conflict with
the current state (e.g. a status change the life cycle forbids, or a decision someone else took a
moment before); 422: invalid input; 503 (with `Retry-After`): the database cannot be reached for a
moment, try again. Types are
strict: a boolean is `true` or `false`, an integer a JSON integer; unknown fields are refused.

**Lists.** Every list takes `page` (from 1) and `page_size` (at most 100) and answers
`{"items": [...], "pagination": {"page", "page_size", "total", "pages"}}`.
"""


class PasserelleApi(Api):
    """flask-smorest's Api, with our error schema and without its app-wide error handler.

    flask-smorest installs a handler for every HTTPException of the app, which would answer the
    French pages with JSON; the API's blueprints install their own (:mod:`web.api.errors`), and
    ``web/errors.py`` answers routing errors under ``/api/`` with the same body.
    """

    ERROR_SCHEMA = ErrorSchema

    def _register_error_handlers(self) -> None:
        return None


def _settings() -> dict[str, Any]:
    return {
        "API_TITLE": "Passerelle",
        "API_VERSION": API_VERSION,
        "OPENAPI_VERSION": "3.0.3",
        # flask-smorest serves no document unless this is set.
        "OPENAPI_URL_PREFIX": "/api",
        "OPENAPI_JSON_PATH": "openapi.json",
        "API_SPEC_OPTIONS": {
            "info": {
                "description": DESCRIPTION,
                "license": {"name": "AGPL-3.0-or-later"},
            },
            "security": [{"bearerAuth": []}],
            "components": {
                "securitySchemes": {
                    "bearerAuth": {
                        "type": "http",
                        "scheme": "bearer",
                        "description": "A token created by an admin (flask tokens create).",
                    }
                }
            },
        },
    }


def init_app(app: Flask) -> PasserelleApi:
    """Mount the API, its OpenAPI document and its docs page on ``app``."""
    from . import (
        cv,
        docs,
        housing,
        indicators,
        lists,
        moderation,
        offers,
        pairs,
        reference,
        requests,
        suggestions,
        team,
        training,
    )

    for key, value in _settings().items():
        app.config.setdefault(key, value)
    api = PasserelleApi(app)
    api.register_converter(IdConverter, id_parameter_schema)
    app.after_request(no_store)  # app-wide: a path the routes refuse (an id out of range) too
    for bp in (
        offers.bp,
        requests.bp,
        suggestions.bp,
        pairs.bp,
        moderation.bp,
        reference.communes,
        reference.metiers,
        lists.bp,
        cv.bp,
        team.bp,  # issue 15, team: a structure's people and one's sign-in address
        team.account,
        training.bp,  # issue 16: training centres, their programmes and sessions
        housing.bp,  # issue 17: housing for apprentices (public reads)
        indicators.bp,  # issue 20: the observatory's public figures
    ):
        api.register_blueprint(bp)
    app.register_blueprint(docs.bp)
    app.extensions["passerelle_api"] = api
    return api


register_api = init_app
