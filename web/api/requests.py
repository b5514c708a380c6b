"""``/api/v1/requests``: candidates' requests and their suggestions.

Coordinators reach every request; a candidate token its own only (the list holds it alone, any
other id answers 404), as the candidate pages do: read it, create it, change it, list its
suggestions. An employer token gets 403 here: employers see candidates only through the
suggestions of their offers. Reading one request shows the candidate's name, email and phone;
a coordinator's view of them is written to the audit log (a candidate reading their own is not).
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE
from webargs.flaskparser import abort

from data import operations as ops
from data import queries
from data.errors import ValidationError
from data.operations import audit
from data.operations.requests import RequestResult
from web.db import get_session

from .auth import current_principal, not_employer
from .base import ID, api_blueprint, errors
from .common import audience_of, commune_of, load_request, page_out, request_dict, take_commune
from .fields import REQUIRED
from .schemas import (
    RequestCreate,
    RequestPage,
    RequestQuery,
    RequestSaved,
    RequestSchema,
    RequestUpdate,
    SuggestionPage,
    SuggestionQuery,
)
from .suggestions import suggestion_out, suggestion_search

bp = api_blueprint(
    "requests",
    "/requests",
    "Candidates' requests: coordinators reach all, candidate tokens their own "
    "(employer tokens get 403).",
)

CONTACT_FIELDS = ("first_name", "last_name", "email", "phone")


def _saved(result: RequestResult) -> dict[str, Any]:
    data = request_dict(result.request)
    data["unresolved"] = list(result.unresolved)
    data["notes"] = list(result.notes)
    return data


@bp.route("", methods=["GET"], endpoint="list")
@not_employer
@bp.arguments(RequestQuery, location="query", unknown=RAISE)
@bp.response(200, RequestPage)
@errors(bp, 403, 422)
def list_requests(query: dict[str, Any]) -> dict[str, Any]:
    """List requests (first names only; contact details are on one request's page).

    A candidate token lists its own request only (none before it is created).
    """
    near = commune_of(get_session(), query)
    search = queries.RequestSearch(
        status=query.get("status"),
        metier=query.get("metier"),
        commune_insee=None if near is None else near.insee,
        needs_housing=query.get("needs_housing"),
    )
    page = queries.request_page(
        get_session(),
        audience_of(current_principal()),
        query["page"],
        query["page_size"],
        search,
        order=queries.REQUESTS_BY_ID,
        clamp=False,
    )
    return page_out(page, request_dict)


@bp.route("", methods=["POST"], endpoint="create")
@not_employer
@bp.arguments(RequestCreate)
@bp.response(201, RequestSaved)
@errors(bp, 400, 403, 404, 409, 422)
def create_request(data: dict[str, Any]) -> dict[str, Any]:
    """Create the request of a registered candidate (one per candidate); métiers typed freely
    are resolved, and those that match nothing are returned in ``unresolved``.

    A candidate token creates its own request (``candidate_id`` may be left out)."""
    principal = current_principal()
    session = get_session()
    candidate_id = data.pop("candidate_id", None)
    if principal.is_candidate:
        if candidate_id not in (None, principal.candidate_id):
            abort(403, message="Un jeton candidat crée la demande de son candidat seulement.")
        candidate_id = principal.candidate_id
    elif candidate_id is None:
        raise ValidationError({"candidate_id": [REQUIRED]})
    take_commune(session, data)
    result = ops.create_request(session, candidate_id, **data)
    session.commit()
    return _saved(result)


@bp.route(f"/<{ID}:request_id>", methods=["GET"], endpoint="detail")
@not_employer
@bp.response(200, RequestSchema)
@errors(bp, 403, 404)
def get_request(request_id: int) -> dict[str, Any]:
    """Read one request with the candidate's contact details (a coordinator's view is audited;
    a candidate token reads its own request only)."""
    principal = current_principal()
    session = get_session()
    request = load_request(session, principal, request_id)
    if principal.is_candidate:
        return request_dict(request, contact=True)
    audit.log_access(
        session, principal.actor, audit.CANDIDATE, request.candidate_id, CONTACT_FIELDS
    )
    session.commit()
    return request_dict(request, contact=True)


@bp.route(f"/<{ID}:request_id>", methods=["PATCH"], endpoint="update")
@not_employer
@bp.arguments(RequestUpdate)
@bp.response(200, RequestSaved)
@errors(bp, 400, 403, 404, 409, 422)
def update_request(data: dict[str, Any], request_id: int) -> dict[str, Any]:
    """Change fields of a request; ``metiers`` replaces the whole list."""
    principal = current_principal()
    session = get_session()
    request = load_request(session, principal, request_id)
    take_commune(session, data)
    result = ops.update_request(session, request, **data)
    session.commit()
    return _saved(result)


@bp.route(f"/<{ID}:request_id>/suggestions", methods=["GET"], endpoint="suggestions")
@not_employer
@bp.arguments(SuggestionQuery, location="query", unknown=RAISE)
@bp.response(200, SuggestionPage)
@errors(bp, 403, 404, 422)
def request_suggestions(query: dict[str, Any], request_id: int) -> dict[str, Any]:
    """List the suggested offers of a request, best first (a candidate token: of its own
    request, those the review rule shows the parties)."""
    principal = current_principal()
    session = get_session()
    request = load_request(session, principal, request_id)
    search = suggestion_search(query, request_id=request.id)
    page = queries.suggestion_page(
        session, audience_of(principal), query["page"], query["page_size"], search, clamp=False
    )
    return page_out(page, suggestion_out(principal))
