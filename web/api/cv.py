"""A candidate's CV: ``/api/v1/candidates/<id>/cv`` and ``/api/v1/suggestions/<id>/cv``.

The candidate token puts (PUT, base64 in JSON), reads (GET, the PDF) and deletes (DELETE) its
own CV; another candidate's is a 404. Coordinators read any CV (each read audited). An employer
token reads the CV of a pair's candidate once the pair shows the person (the rule of the contact
details, :func:`data.queries.shows_contact`), audited too; another structure's pair is a 404.
"""

from __future__ import annotations

import base64
import binascii
from typing import Any

from flask import current_app
from webargs.flaskparser import abort
from werkzeug.wrappers import Response

from data import queries
from data.errors import NotFound, ValidationError
from data.models import Candidate, Role
from data.operations import audit
from data.operations import cv as cv_ops
from web.cvfiles import CV_FIELDS, send_cv
from web.db import get_session
from web.errors import too_large_answer

from .auth import Principal, current_principal, roles_only
from .base import ID, api_blueprint, errors
from .common import audience_of, load_suggestion
from .errors import error_response
from .schemas import CvIn, CvOut

__all__ = ["bp"]

bp = api_blueprint("cv", "", "A candidate's CV (PDF): put, read, delete.")

NOT_BASE64 = "Le contenu doit être le fichier PDF encodé en base64."
OWN_CV_ONLY = "Action réservée au candidat concerné."

#: The GET answer: the PDF itself.
PDF_ANSWER = {
    "200": {
        "description": "The CV, as a PDF attachment.",
        "content": {"application/pdf": {"schema": {"type": "string", "format": "binary"}}},
    }
}

candidate_only_cv = roles_only(Role.CANDIDATE, message=OWN_CV_ONLY)


def _cv_dir() -> str:
    return str(current_app.config["CV_DIR"])


def _readable(principal: Principal, candidate_id: int) -> Candidate:
    """The candidate whose CV the caller may read; 404 otherwise (as if there were none)."""
    session = get_session()
    candidate = session.get(Candidate, candidate_id)
    if candidate is None or not queries.may_read_cv(session, audience_of(principal), candidate_id):
        raise NotFound("Candidat", candidate_id)
    return candidate


def _own(principal: Principal, candidate_id: int) -> Candidate:
    """The token's own candidate; another candidate is a 404."""
    candidate = get_session().get(Candidate, candidate_id)
    if candidate is None or principal.candidate_id != candidate_id:
        raise NotFound("Candidat", candidate_id)
    return candidate


def _send(principal: Principal, candidate: Candidate) -> Response:
    """Answer with the CV; a read by someone else than the person is audited."""
    response = send_cv(candidate, f"cv-candidat-{candidate.id}.pdf")
    if not principal.is_candidate:
        session = get_session()
        audit.log_access(session, principal.actor, audit.CANDIDATE, candidate.id, CV_FIELDS)
        session.commit()
    return response


def _decode(text: str) -> bytes:
    try:
        return base64.b64decode(text.encode("ascii"), validate=True)
    except (binascii.Error, UnicodeEncodeError, ValueError):
        raise ValidationError({"content": [NOT_BASE64]}) from None


@bp.route(f"/candidates/<{ID}:candidate_id>/cv", methods=["GET"], endpoint="get")
@bp.doc(responses=PDF_ANSWER)
@errors(bp, 404)
def get_cv(candidate_id: int) -> Response:
    """Read a candidate's CV (PDF): the candidate its own, coordinators any, an employer that of
    a candidate of one of its pairs once approved. 404 when there is none or it is not theirs."""
    principal = current_principal()
    return _send(principal, _readable(principal, candidate_id))


def _too_large() -> Response:
    """A body over the request's limit: 413, with the CV's own message on its size."""
    return error_response(413, cv_ops.TOO_BIG, {"content": [cv_ops.TOO_BIG]})


@bp.route(f"/candidates/<{ID}:candidate_id>/cv", methods=["PUT"], endpoint="put")
@too_large_answer(_too_large)
@candidate_only_cv
@bp.arguments(CvIn)
@bp.response(200, CvOut)
@errors(bp, 403, 404, 409, 413, 422)
def put_cv(data: dict[str, Any], candidate_id: int) -> dict[str, Any]:
    """Put or replace the candidate's own CV: a PDF of 2 Mo at most, checked by its content (not
    a PDF, empty, too big: 422, nothing written; a body over the request's limit: 413 with the
    same message). Candidate tokens only."""
    principal = current_principal()
    candidate = _own(principal, candidate_id)
    content = _decode(data["content"])
    session = get_session()
    try:
        saved = cv_ops.save_cv(session, candidate, content, _cv_dir())
    except ValidationError as exc:  # the page's field is the file; here, its content
        session.rollback()
        raise ValidationError({"content": exc.errors.get(cv_ops.CV_FIELD, [])}) from None
    session.commit()
    return {"size": saved.size, "uploaded_at": saved.uploaded_at}


@bp.route(f"/candidates/<{ID}:candidate_id>/cv", methods=["DELETE"], endpoint="delete")
@candidate_only_cv
@bp.response(204)
@errors(bp, 403, 404)
def delete_cv(candidate_id: int) -> None:
    """Delete the candidate's own CV (404 when there is none). Candidate tokens only."""
    principal = current_principal()
    candidate = _own(principal, candidate_id)
    session = get_session()
    if not cv_ops.delete_cv(session, candidate, _cv_dir()):
        abort(404, message="Aucun CV n'est enregistré.")
    session.commit()


@bp.route(f"/suggestions/<{ID}:suggestion_id>/cv", methods=["GET"], endpoint="pair")
@bp.doc(responses=PDF_ANSWER)
@errors(bp, 404)
def pair_cv(suggestion_id: int) -> Response:
    """Read the CV of a pair's candidate: an employer once a coordinator approved the pair (the
    rule of the contact details), coordinators any; 404 otherwise or without a CV."""
    principal = current_principal()
    suggestion = load_suggestion(get_session(), principal, suggestion_id)
    if not principal.is_staff and not queries.shows_contact(suggestion):
        raise NotFound("Suggestion", suggestion_id)
    return _send(principal, suggestion.request.candidate)
