"""``/api/v1/requests``: candidates' requests (coordinators only) and their suggestions.

An employer token gets 403 here: employers see candidates only through the suggestions of their
offers. Candidates have no API token (see :mod:`web.api.auth`). Reading one request shows the
candidate's name, email and phone, and that view is written to the audit log.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE
from sqlalchemy import Select

from data import operations as ops
from data.models import Request, RequestMetier, Suggestion
from data.operations import audit
from data.operations.requests import RequestResult
from web.db import get_session

from .auth import current_principal, staff_only
from .base import ID, api_blueprint, errors
from .common import (
    load_request,
    paginate_query,
    request_dict,
    request_query,
    suggestion_query,
)
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
from .suggestions import filter_suggestions, suggestion_out

bp = api_blueprint(
    "requests",
    "/requests",
    "Candidates' requests: coordinators only (employer tokens get 403).",
)

CONTACT_FIELDS = ("first_name", "last_name", "email", "phone")


def _filtered(query: dict[str, Any]) -> Select[tuple[Request]]:
    stmt = request_query()
    if "status" in query:
        stmt = stmt.where(Request.status == query["status"])
    if "metier" in query:
        stmt = stmt.where(
            Request.metiers.any(RequestMetier.metier_code == query["metier"])  # type: ignore[attr-defined]
        )
    if "commune" in query:
        stmt = stmt.where(Request.commune_insee == query["commune"])
    if "needs_housing" in query:
        stmt = stmt.where(Request.needs_housing.is_(query["needs_housing"]))
    return stmt.order_by(Request.id)


def _saved(result: RequestResult) -> dict[str, Any]:
    data = request_dict(result.request)
    data["unresolved"] = list(result.unresolved)
    data["notes"] = list(result.notes)
    return data


@bp.route("", methods=["GET"], endpoint="list")
@staff_only
@bp.arguments(RequestQuery, location="query", unknown=RAISE)
@bp.response(200, RequestPage)
@errors(bp, 403, 422)
def list_requests(query: dict[str, Any]) -> dict[str, Any]:
    """List requests (first names only; contact details are on one request's page)."""
    return paginate_query(
        get_session(), _filtered(query), query["page"], query["page_size"], request_dict
    )


@bp.route("", methods=["POST"], endpoint="create")
@staff_only
@bp.arguments(RequestCreate)
@bp.response(201, RequestSaved)
@errors(bp, 400, 403, 404, 409, 422)
def create_request(data: dict[str, Any]) -> dict[str, Any]:
    """Create the request of a registered candidate (one per candidate); métiers typed freely
    are resolved, and those that match nothing are returned in ``unresolved``."""
    session = get_session()
    candidate_id = data.pop("candidate_id")
    result = ops.create_request(session, candidate_id, **data)
    session.commit()
    return _saved(result)


@bp.route(f"/<{ID}:request_id>", methods=["GET"], endpoint="detail")
@staff_only
@bp.response(200, RequestSchema)
@errors(bp, 403, 404)
def get_request(request_id: int) -> dict[str, Any]:
    """Read one request with the candidate's contact details (the view is audited)."""
    principal = current_principal()
    session = get_session()
    request = load_request(session, principal, request_id)
    audit.record(
        session,
        None,
        audit.ACCESS_ACTION,
        audit.CANDIDATE,
        request.candidate_id,
        {"fields": sorted(CONTACT_FIELDS), "via": "api", "api_token_id": principal.token_id},
    )
    session.commit()
    return request_dict(request, contact=True)


@bp.route(f"/<{ID}:request_id>", methods=["PATCH"], endpoint="update")
@staff_only
@bp.arguments(RequestUpdate)
@bp.response(200, RequestSaved)
@errors(bp, 400, 403, 404, 409, 422)
def update_request(data: dict[str, Any], request_id: int) -> dict[str, Any]:
    """Change fields of a request; ``metiers`` replaces the whole list."""
    principal = current_principal()
    session = get_session()
    result = ops.update_request(session, load_request(session, principal, request_id), **data)
    session.commit()
    return _saved(result)


@bp.route(f"/<{ID}:request_id>/suggestions", methods=["GET"], endpoint="suggestions")
@staff_only
@bp.arguments(SuggestionQuery, location="query", unknown=RAISE)
@bp.response(200, SuggestionPage)
@errors(bp, 403, 404, 422)
def request_suggestions(query: dict[str, Any], request_id: int) -> dict[str, Any]:
    """List the suggested offers of a request, best first."""
    principal = current_principal()
    session = get_session()
    request = load_request(session, principal, request_id)
    stmt = filter_suggestions(suggestion_query(session, principal), query).where(
        Suggestion.request_id == request.id
    )
    return paginate_query(
        session, stmt, query["page"], query["page_size"], suggestion_out(principal)
    )
