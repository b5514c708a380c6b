"""The only place that turns errors into HTTP answers: French pages, or JSON under /api/.

Domain errors (``data.errors``) and engine errors (``matching``) map to 4xx; anything unexpected
is logged and answered by a generic 500 page, never a traceback. The JSON body is the API's one
error shape: ``{"code", "status", "message", "errors"}``.
"""

from __future__ import annotations

from typing import Any

from flask import Flask, Response, current_app, jsonify, render_template, request
from werkzeug.exceptions import HTTPException, InternalServerError

from data import errors as data_errors
from matching import MatchingError

__all__ = ["register_error_handlers", "error_response", "wants_json"]

TITLES = {
    400: "Requête incorrecte",
    401: "Connexion nécessaire",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    409: "Conflit",
    413: "Fichier trop volumineux",
    422: "Données invalides",
    429: "Trop de tentatives",
    500: "Erreur du service",
}
MESSAGES = {
    400: "La demande n'a pas pu être comprise.",
    401: "Vous devez vous connecter pour accéder à cette page.",
    403: "Vous n'avez pas accès à cette page.",
    404: "Cette page n'existe pas ou n'est plus disponible.",
    405: "Cette action n'est pas possible à cette adresse.",
    409: "Cette action entre en conflit avec l'état actuel des données.",
    413: "Le fichier envoyé dépasse la taille autorisée.",
    422: "Certaines informations sont invalides.",
    429: "Trop de tentatives en peu de temps. Patientez quelques minutes puis réessayez.",
    500: "Une erreur inattendue s'est produite. L'équipe technique en est informée.",
}
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    422: "validation_error",
    429: "too_many_requests",
    500: "server_error",
}


def wants_json() -> bool:
    """Tell whether this request belongs to the JSON API."""
    return request.path.startswith("/api/")


def error_response(
    status: int,
    message: str | None = None,
    errors: dict[str, Any] | None = None,
    code: str | None = None,
    headers: dict[str, str] | None = None,
) -> Response:
    """Answer an error: the API's JSON body, or the French error page."""
    message = message or MESSAGES.get(status, MESSAGES[500])
    if wants_json():
        body = {
            "code": code or CODES.get(status, "error"),
            "status": status,
            "message": message,
            "errors": errors or {},
        }
        response = jsonify(body)
    else:
        html = render_template(
            "errors/error.html",
            status=status,
            title=TITLES.get(status, "Erreur"),
            message=message,
            errors=errors or {},
        )
        response = Response(html, mimetype="text/html")
    response.status_code = status
    for key, value in (headers or {}).items():
        response.headers[key] = value
    return response


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    # Werkzeug's own descriptions are English; ours are French (CSRFError brings its own).
    message = exc.description if getattr(exc, "french", False) else None
    headers = {k: v for k, v in exc.get_headers() if k.lower() in {"allow", "retry-after"}}
    return error_response(status, message, headers=headers)


def _validation(exc: data_errors.ValidationError) -> Response:
    return error_response(422, exc.message, errors=exc.errors)


def _not_found(exc: data_errors.NotFound) -> Response:
    return error_response(404)


def _denied(exc: data_errors.PermissionDenied) -> Response:
    return error_response(403)


def _conflict(exc: data_errors.DataError) -> Response:
    return error_response(409, str(exc) or None)


def _matching(exc: MatchingError) -> Response:
    return error_response(422, str(exc) or None)


def _unexpected(exc: Exception) -> Response:
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return error_response(500)


def register_error_handlers(app: Flask) -> None:
    """Install the handlers; the most specific class wins."""
    app.register_error_handler(HTTPException, _http_error)
    app.register_error_handler(data_errors.ValidationError, _validation)
    app.register_error_handler(data_errors.NotFound, _not_found)
    app.register_error_handler(data_errors.PermissionDenied, _denied)
    app.register_error_handler(data_errors.Conflict, _conflict)
    app.register_error_handler(data_errors.InvalidTransition, _conflict)
    app.register_error_handler(data_errors.DataError, _conflict)
    app.register_error_handler(MatchingError, _matching)
    app.register_error_handler(InternalServerError, _unexpected)
    app.register_error_handler(Exception, _unexpected)
