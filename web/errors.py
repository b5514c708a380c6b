"""The only place that turns errors into HTTP answers: French pages, or JSON under /api/.

Domain errors (``data.errors``) and engine errors (``matching``) map to 4xx; a mail transport
error (``data.mailer``, its own root) to 503; a database that
cannot be reached (PostgreSQL restarting, a lost connection, SQLite locked or gone) maps to 503
« Service momentanément indisponible » with ``Retry-After``; anything unexpected is logged and
answered by a generic 500 page, never a traceback. The JSON body is the API's one
error shape: ``{"code", "status", "message", "errors"}``.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass, replace
from typing import Any, TypeVar

from flask import Flask, Response, current_app, jsonify, render_template, request
from sqlalchemy import exc as sa_exc
from werkzeug.exceptions import HTTPException, InternalServerError

from data import errors as data_errors
from data.mailer import TransportError
from data.presentation import describe_errors
from matching import MatchingError

__all__ = [
    "CODES",
    "DATABASE_UNAVAILABLE",
    "MAIL_UNAVAILABLE",
    "DOMAIN_ERRORS",
    "DomainAnswer",
    "domain_answer",
    "error_response",
    "handle_domain_error",
    "own_too_large_answer",
    "register_error_handlers",
    "too_large_answer",
    "wants_json",
]

F = TypeVar("F", bound=Callable[..., Any])

TITLES = {
    400: "Requête incorrecte",
    401: "Connexion nécessaire",
    403: "Accès refusé",
    404: "Page introuvable",
    405: "Méthode non autorisée",
    409: "Conflit",
    413: "Envoi trop volumineux",
    414: "Adresse trop longue",
    415: "Type de contenu non pris en charge",
    422: "Données invalides",
    429: "Trop de tentatives",
    500: "Erreur du service",
    503: "Service momentanément indisponible",
}
MESSAGES = {
    400: "La demande n'a pas pu être comprise.",
    401: "Vous devez vous connecter pour accéder à cette page.",
    403: "Vous n'avez pas accès à cette page.",
    404: "Cette page n'existe pas ou n'est plus disponible.",
    405: "Cette action n'est pas possible à cette adresse.",
    409: "Cette action entre en conflit avec l'état actuel des données.",
    413: "Le fichier envoyé dépasse la taille autorisée.",
    414: "L'adresse demandée est trop longue : raccourcissez votre recherche.",
    415: "Ce type de contenu n'est pas pris en charge.",
    422: "Certaines informations sont invalides.",
    429: "Trop de tentatives en peu de temps. Patientez quelques minutes puis réessayez.",
    500: "Une erreur inattendue s'est produite. L'équipe technique en est informée.",
    503: "Le service est momentanément indisponible. Réessayez dans quelques instants.",
}
CODES = {
    400: "bad_request",
    401: "unauthorized",
    403: "forbidden",
    404: "not_found",
    405: "method_not_allowed",
    409: "conflict",
    413: "payload_too_large",
    414: "uri_too_long",
    415: "unsupported_media_type",
    422: "validation_error",
    429: "too_many_requests",
    500: "server_error",
    503: "service_unavailable",
}
#: Error pages with a template of their own (the 503 page must not touch the database).
TEMPLATES = {503: "errors/unavailable.html"}
#: Seconds a client is asked to wait when the database cannot be reached.
RETRY_AFTER_SECONDS = 30


@dataclass(frozen=True)
class DomainAnswer:
    """How a domain or engine error is answered, on pages and in the API alike."""

    status: int
    code: str
    message: str  # French, shown when the error brings no message of its own (or must not)
    own_message: bool  # show the error's own text: it is French and written for the user
    headers: tuple[tuple[str, str], ...] = ()
    applies: Callable[[Exception], bool] | None = None  # None: every error of the class


_CONFLICT = "Cette action entre en conflit avec l'état actuel des données."


def database_unreachable(exc: Exception) -> bool:
    """Tell whether a database error means the database cannot be reached for now.

    DB-API ``OperationalError`` is, by PEP 249, an error of the database's operation outside the
    program's control (connection refused or lost, server shutting down, SQLite locked or its
    file unreadable); any other DB-API error counts only if it invalidated the connection.
    """
    return isinstance(exc, sa_exc.OperationalError) or bool(
        isinstance(exc, sa_exc.DBAPIError) and exc.connection_invalidated
    )


#: The answer when the database cannot be reached: 503, then the next request succeeds once it
#: is back (PostgreSQL engines ping pooled connections before use: see ``data.db``).
DATABASE_UNAVAILABLE = DomainAnswer(
    503, CODES[503], MESSAGES[503], False, headers=(("Retry-After", str(RETRY_AFTER_SECONDS)),)
)

#: The answer when a mail cannot leave (the transport's errors, :mod:`data.mailer`): 503 too.
MAIL_UNAVAILABLE = DomainAnswer(
    503,
    CODES[503],
    "Le service de messagerie est momentanément indisponible. Réessayez dans quelques instants.",
    False,
    headers=(("Retry-After", str(RETRY_AFTER_SECONDS)),),
)

#: The one table of domain errors -> HTTP answers, used by the pages and by the API's blueprints.
#: The most specific class of an error wins. A ValidationError brings its message and its fields.
#: NotFound never says what was looked for (the caller may not know that it exists); the engine's
#: and the root DataError's messages are for developers (English, internal), never shown.
DOMAIN_ERRORS: dict[type[Exception], DomainAnswer] = {
    data_errors.ValidationError: DomainAnswer(
        422, "validation_error", "Certaines informations sont invalides.", True
    ),
    data_errors.NotFound: DomainAnswer(
        404, "not_found", "Cet élément n'existe pas ou ne vous est pas accessible.", False
    ),
    data_errors.PermissionDenied: DomainAnswer(
        403, "forbidden", "Vous n'avez pas le droit de faire cette action.", True
    ),
    data_errors.Conflict: DomainAnswer(409, "conflict", _CONFLICT, True),
    data_errors.InvalidTransition: DomainAnswer(409, "conflict", _CONFLICT, True),
    data_errors.DataError: DomainAnswer(409, "conflict", _CONFLICT, False),
    MatchingError: DomainAnswer(
        422,
        "validation_error",
        "Le calcul des rapprochements n'a pas pu utiliser ces données.",
        False,
    ),
    # The mail server or the mail folder is away: a service unavailable, never a data conflict.
    TransportError: MAIL_UNAVAILABLE,
    # The pool found no free connection in time: the database is overloaded, not our bug.
    sa_exc.TimeoutError: DATABASE_UNAVAILABLE,
    # Only when unreachable; any other database error (an integrity error...) is a bug: a 500.
    sa_exc.DBAPIError: replace(DATABASE_UNAVAILABLE, applies=database_unreachable),
}


def wants_json() -> bool:
    """Tell whether this request belongs to the JSON API."""
    return request.path.startswith("/api/")


def api_message(status: int, message: str, errors: Mapping[str, Any] | None) -> str:
    """Return an API error's message: a 422 names each field in French, with what is wrong."""
    if status == 422 and errors:
        return f"{message} {describe_errors(errors)}"
    return message


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
            "message": api_message(status, message, errors),
            "errors": errors or {},
        }
        response = jsonify(body)
    else:
        html = render_template(
            TEMPLATES.get(status, "errors/error.html"),
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


def too_large_answer(answer: Callable[[], Response | None]) -> Callable[[F], F]:
    """Mark an upload view whose body over ``MAX_CONTENT_LENGTH`` is answered by ``answer()``
    (its form with its own French message on the size) instead of the generic 413; ``answer``
    returns None to leave the generic one (e.g. to someone the view would not let in).

    Werkzeug refuses such a body before the view runs (nothing is read, nothing written), so the
    error handlers, pages' and API's, ask the view's mark (:func:`own_too_large_answer`). Put it
    right under the route decorator.
    """

    def decorator(view: F) -> F:
        view.too_large_answer = answer  # type: ignore[attr-defined]
        return view

    return decorator


def own_too_large_answer() -> Response | None:
    """Return the answer of this request's view to a body over the size limit, if it has one."""
    view = current_app.view_functions.get(request.endpoint or "")
    answer = getattr(view, "too_large_answer", None)
    return answer() if answer is not None else None


def _http_error(exc: HTTPException) -> Response:
    status = exc.code or 500
    if status == 413 and (own := own_too_large_answer()) is not None:
        return own
    # Werkzeug's own descriptions are English; ours are French (CSRFError brings its own).
    message = exc.description if getattr(exc, "french", False) else None
    headers = {k: v for k, v in exc.get_headers() if k.lower() in {"allow", "retry-after"}}
    return error_response(status, message, headers=headers)


def domain_answer(exc: Exception) -> DomainAnswer | None:
    """Return the answer of the most specific class of ``exc`` in :data:`DOMAIN_ERRORS`.

    An entry with a condition (``applies``) that ``exc`` does not meet is passed over.
    """
    for cls in type(exc).__mro__:
        found = DOMAIN_ERRORS.get(cls)
        if found is not None and (found.applies is None or found.applies(exc)):
            return found
    return None


def handle_domain_error(exc: Exception) -> Response:
    """Answer a domain or engine error from :data:`DOMAIN_ERRORS`: a page, or JSON under /api/."""
    answer = domain_answer(exc)
    if answer is None:  # not ours (e.g. an integrity error): a bug, answered 500
        return _unexpected(exc)
    if answer.status >= 500:  # the pages answer in French; the log keeps what went wrong
        current_app.logger.warning(
            "%s on %s %s: %s", answer.status, request.method, request.path, exc
        )
    errors: dict[str, Any] = {}
    message = answer.message
    if isinstance(exc, data_errors.ValidationError):
        message, errors = exc.message, exc.errors
    elif answer.own_message and str(exc):
        message = str(exc)
    return error_response(
        answer.status, message, errors, code=answer.code, headers=dict(answer.headers)
    )


def _unexpected(exc: Exception) -> Response:
    current_app.logger.exception("Unhandled error on %s %s", request.method, request.path)
    return error_response(500)


def register_error_handlers(app: Flask) -> None:
    """Install the handlers; the most specific class wins."""
    app.register_error_handler(HTTPException, _http_error)
    for cls in DOMAIN_ERRORS:
        app.register_error_handler(cls, handle_domain_error)
    app.register_error_handler(InternalServerError, _unexpected)
    app.register_error_handler(Exception, _unexpected)
