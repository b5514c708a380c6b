"""The API's one error body, ``{"code", "status", "message", "errors"}``, for every failure.

HTTP errors (bad token, wrong method, malformed JSON...) get the API's own French wording here;
domain and engine errors are answered from the one table of ``web/errors.py``
(:data:`web.errors.DOMAIN_ERRORS`), as on the pages.

Handlers are installed on each API blueprint, so errors raised by its views (and by the argument
parser, and by the bearer-token check) are answered here; routing errors under ``/api/`` (an
unknown path, a wrong method) reach the app's handlers in ``web/errors.py``, which answer the same
body. ``errors`` maps a field name to its French messages (nested fields as ``a.b``).
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from flask import Blueprint, Response, current_app, jsonify, request
from werkzeug.exceptions import HTTPException

from web.errors import (
    CODES,
    DOMAIN_ERRORS,
    api_message,
    handle_domain_error,
    own_too_large_answer,
)

__all__ = ["CODES", "MESSAGES", "error_response", "flatten_messages", "install_error_handlers"]

#: French wording of the HTTP errors, as a token holder reads them (the codes are web.errors').
MESSAGES = {
    400: "La demande n'a pas pu être comprise (JSON mal formé ?).",
    401: "Jeton d'accès absent ou invalide.",
    403: "Ce jeton ne donne pas accès à cette action.",
    404: "Cette ressource n'existe pas ou n'est pas accessible avec ce jeton.",
    405: "Cette méthode n'est pas possible à cette adresse.",
    409: "Cette action entre en conflit avec l'état actuel des données.",
    413: "La requête dépasse la taille autorisée.",
    415: "Type de contenu non pris en charge : envoyez du JSON.",
    422: "Certaines informations sont invalides.",
    429: "Trop de requêtes en peu de temps.",
    500: "Une erreur inattendue s'est produite.",
    503: "Le service est momentanément indisponible. Réessayez dans quelques instants.",
}
# Headers of an HTTPException worth passing on (the others describe Werkzeug's HTML body).
_KEPT_HEADERS = {"allow", "www-authenticate", "retry-after"}


def flatten_messages(messages: Any, prefix: str = "") -> dict[str, list[str]]:
    """Turn marshmallow's nested messages into ``{"field": [...], "field.0": [...]}``.

    >>> flatten_messages({"json": {"places": ["Nombre entier attendu."], "metiers": {0: ["X"]}}})
    {'places': ['Nombre entier attendu.'], 'metiers.0': ['X']}
    """
    out: dict[str, list[str]] = {}
    if isinstance(messages, Mapping):
        for key, value in messages.items():
            # webargs groups messages by location ("json", "query"): the field names suffice.
            if not prefix and key in ("json", "query", "querystring", "view_args", "path"):
                name = ""
            else:
                name = f"{prefix}.{key}" if prefix else str(key)
            for field, texts in flatten_messages(value, name).items():
                out.setdefault(field, []).extend(texts)
    elif isinstance(messages, list | tuple):
        texts = [str(m) for m in messages if not isinstance(m, Mapping | list | tuple)]
        if texts:
            out.setdefault(prefix or "_schema", []).extend(texts)
        for m in messages:
            if isinstance(m, Mapping | list | tuple):
                for field, more in flatten_messages(m, prefix).items():
                    out.setdefault(field, []).extend(more)
    elif messages is not None:
        out.setdefault(prefix or "_schema", []).append(str(messages))
    return out


def error_response(
    status: int,
    message: str | None = None,
    errors: Mapping[str, list[str]] | None = None,
    headers: Mapping[str, str] | None = None,
) -> Response:
    """Return the JSON error answer for ``status``."""
    body = {
        "code": CODES.get(status, "error"),
        "status": status,
        "message": api_message(status, message or MESSAGES.get(status, MESSAGES[500]), errors),
        "errors": dict(errors or {}),
    }
    response = jsonify(body)
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status == 413 and (own := own_too_large_answer()) is not None:
        return own
    data = getattr(exc, "data", None) or {}
    errors = flatten_messages(data.get("errors", data.get("messages")))
    message = data.get("message")
    if status == 400 and errors:
        # webargs reports malformed JSON as {"json": ["Invalid JSON body."]}: say it in French.
        errors = {"_schema": ["Le corps de la requête n'est pas un JSON valide."]}
    headers = {k: v for k, v in exc.get_headers() if k.lower() in _KEPT_HEADERS}
    headers.update(data.get("headers") or {})
    return error_response(status, message, errors, headers)


def _unexpected(exc: Exception) -> Response:
    current_app.logger.exception("Unhandled API error on %s %s", request.method, request.path)
    return error_response(500)


def install_error_handlers(bp: Blueprint) -> None:
    """Answer every error raised under ``bp`` with the API's error body."""
    bp.register_error_handler(HTTPException, _http_error)
    # Domain and engine errors: the one table of web.errors, so pages and API answer alike.
    for cls in DOMAIN_ERRORS:
        bp.register_error_handler(cls, handle_domain_error)
    bp.register_error_handler(Exception, _unexpected)
