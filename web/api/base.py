"""The API's blueprints: bearer-token check, JSON bodies only, no caching, one error body.

Each resource module makes its blueprint with :func:`api_blueprint`; :func:`errors` documents the
error answers an operation may give (all with the error body).
"""

from __future__ import annotations

from collections.abc import Callable
from http import HTTPStatus
from typing import Any, TypeVar

from flask import Response, request
from flask_smorest import Blueprint
from webargs.flaskparser import abort

from .auth import authenticate, authenticate_reads
from .errors import install_error_handlers

__all__ = ["ANONYMOUS_OR_TOKEN", "API_PREFIX", "ID", "api_blueprint", "errors", "no_store"]

F = TypeVar("F", bound=Callable[..., Any])

API_PREFIX = "/api/v1"
# Path ids: the app's ``id`` converter (web/input.py) matches 1 to 2**31 - 1 only, so any other
# number is a 404 before a view or the database is asked.
ID = "id"

_NAMES = {
    400: "BAD_REQUEST",
    401: "UNAUTHORIZED",
    403: "FORBIDDEN",
    404: "NOT_FOUND",
    409: "CONFLICT",
    413: HTTPStatus(413).name,  # REQUEST_ENTITY_TOO_LARGE (CONTENT_TOO_LARGE from Python 3.13)
    422: "UNPROCESSABLE_ENTITY",
}


def _json_body_only() -> None:
    # A form or text body would read as "no JSON" and a PATCH would then change nothing, silently.
    if (
        request.method in ("POST", "PATCH", "PUT")
        and request.content_length
        and not request.is_json
    ):
        abort(415)


def no_store(response: Response) -> Response:
    """Forbid caching every answer under /api/v1, routing errors included (app-wide hook)."""
    # Answers hold personal data (candidates' first names, contact details): never cache them.
    if request.path.startswith(f"{API_PREFIX}/"):
        response.headers["Cache-Control"] = "no-store"
    return response


#: The OpenAPI ``security`` of a read anyone may make: without a token, or with one.
ANONYMOUS_OR_TOKEN: list[dict[str, list[str]]] = [{}, {"bearerAuth": []}]


def api_blueprint(
    name: str, path: str, description: str, *, public_reads: bool = False
) -> Blueprint:
    """Return a blueprint mounted at ``/api/v1<path>`` that checks the bearer token first.

    ``public_reads``: its reads (GET) answer without a token too (document them with
    ``@bp.doc(security=ANONYMOUS_OR_TOKEN)``); its writes need one as always.
    """
    bp = Blueprint(name, __name__, url_prefix=f"{API_PREFIX}{path}", description=description)
    bp.before_request(authenticate_reads if public_reads else authenticate)
    bp.before_request(_json_body_only)
    install_error_handlers(bp)
    return bp


def errors(bp: Blueprint, *codes: int) -> Callable[[F], F]:
    """Document the error answers of an operation (401 always: every route needs a token)."""

    def decorator(view: F) -> F:
        for code in sorted({401, *codes}, reverse=True):
            view = bp.alt_response(code, response=_NAMES[code])(view)
        return view

    return decorator
