"""``/api/v1/moderation``: coordinators check, suspend and reinstate structures, withdraw and
reopen offers (staff tokens only).

The twins of the pages under ``/coordination/structures`` (:mod:`web.views.moderation`), with the
same operations (:mod:`data.operations.moderation`): each action needs its reason where the page
asks for one, is written to the audit log with it, and mails the structure's people. A structure
checked or suspended meanwhile answers 409. Employer and candidate tokens get 403.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE
from sqlalchemy.orm import Session

from data.errors import NotFound
from data.models import Employer, Offer, OfferStatus, StructureCheck
from data.operations import audit
from data.operations import moderation as mod
from data.queries import paginate_list
from data.queries.moderation import StructureRow, structure_rows
from web.db import get_session
from web.mailing import base_url

from .auth import current_principal, staff_only
from .base import ID, api_blueprint, errors
from .common import _check_key
from .schemas import (
    ModerationReasonIn,
    ModerationSchema,
    OptionalReasonIn,
    StructurePage,
    StructureQuery,
    StructureSchema,
)

__all__ = ["bp"]

bp = api_blueprint(
    "moderation",
    "/moderation",
    "Structures to check, suspended or reinstated; offers withdrawn or reopened (coordinators).",
)

#: The contact fields a structure's answer shows (each read is written to the audit log).
CONTACT_FIELDS = ("contact_name", "contact_email", "contact_phone")


def _structure_dict(row: StructureRow) -> dict[str, Any]:
    e = row.employer
    return {
        "id": e.id,
        "name": e.name,
        "siret": e.siret,
        "kind": e.kind.value,
        "contact_name": e.contact_name,
        "contact_email": e.contact_email,
        "contact_phone": e.contact_phone,
        "check_status": StructureCheck(e.check_status),
        "checked_at": e.checked_at,
        "checked_by_id": e.checked_by_id,
        "suspended_reason": e.suspended_reason,
        "created_at": e.created_at,
        "sites": row.sites,
        "accounts": row.accounts,
        "offers": {status.value: n for status, n in sorted(row.offers.items())},
        "waiting_offers": row.waiting,
    }


def _structure(session: Session, employer: Employer) -> dict[str, Any]:
    """Return one structure as the API shows it, its contact's reading logged."""
    audit.log_access(
        session, current_principal().actor, audit.EMPLOYER, employer.id, CONTACT_FIELDS
    )
    return _structure_dict(
        structure_rows(session, employer.check_status, employer_id=employer.id)[0]
    )


def _load_employer(session: Session, employer_id: int) -> Employer:
    _check_key("Structure", employer_id)
    found = session.get(Employer, employer_id)
    if found is None:
        raise NotFound("Structure", employer_id)
    return found


def _load_offer(session: Session, offer_id: int) -> Offer:
    _check_key("Offre", offer_id)
    found = session.get(Offer, offer_id)
    if found is None:
        raise NotFound("Offre", offer_id)
    return found


def _result(session: Session, result: mod.ModerationResult) -> dict[str, Any]:
    structure = _structure(session, result.employer)
    session.commit()
    return {
        "structure": structure,
        "offers": [{"id": o.id, "status": OfferStatus(o.status)} for o in result.offers],
        "live_pairs": result.live_pairs,
        "mails": result.mails,
    }


@bp.route("/structures", methods=["GET"], endpoint="structures")
@staff_only
@bp.arguments(StructureQuery, location="query", unknown=RAISE)
@bp.response(200, StructurePage)
@errors(bp, 403, 422)
def list_structures(query: dict[str, Any]) -> dict[str, Any]:
    """List the structures in a state (to check by default), oldest first, with what they
    declared (sites, offers by status, accounts)."""
    session = get_session()
    rows = structure_rows(session, StructureCheck(query["state"]))
    page = paginate_list(rows, query["page"], query["page_size"], clamp=False)
    actor = current_principal().actor
    for row in page.items:
        audit.log_access(session, actor, audit.EMPLOYER, row.employer.id, CONTACT_FIELDS)
    session.commit()
    return {
        "items": [_structure_dict(r) for r in page.items],
        "pagination": {
            "page": page.number,
            "page_size": page.size,
            "total": page.total,
            "pages": page.pages,
        },
    }


@bp.route(f"/structures/<{ID}:employer_id>", methods=["GET"], endpoint="structure")
@staff_only
@bp.response(200, StructureSchema)
@errors(bp, 403, 404)
def get_structure(employer_id: int) -> dict[str, Any]:
    """Read one structure: who it is, what it declared, where it stands."""
    session = get_session()
    answer = _structure(session, _load_employer(session, employer_id))
    session.commit()
    return answer


@bp.route(f"/structures/<{ID}:employer_id>/check", methods=["POST"], endpoint="check")
@staff_only
@bp.response(200, ModerationSchema)
@errors(bp, 403, 404, 409)
def check(employer_id: int) -> dict[str, Any]:
    """Mark a structure to check as checked: its waiting offers are published, its people
    mailed."""
    session = get_session()
    employer = _load_employer(session, employer_id)
    result = mod.check_structure(session, employer, current_principal().actor, base_url=base_url())
    return _result(session, result)


@bp.route(f"/structures/<{ID}:employer_id>/suspend", methods=["POST"], endpoint="suspend")
@staff_only
@bp.arguments(ModerationReasonIn)
@bp.response(200, ModerationSchema)
@errors(bp, 400, 403, 404, 409, 422)
def suspend(data: dict[str, Any], employer_id: int) -> dict[str, Any]:
    """Suspend a structure, with a reason: its offers are no longer offered (pairs under way are
    kept, and counted in ``live_pairs``), its people mailed."""
    session = get_session()
    employer = _load_employer(session, employer_id)
    result = mod.suspend_structure(
        session, employer, current_principal().actor, data["reason"], base_url=base_url()
    )
    return _result(session, result)


@bp.route(f"/structures/<{ID}:employer_id>/reinstate", methods=["POST"], endpoint="reinstate")
@staff_only
@bp.arguments(OptionalReasonIn)
@bp.response(200, ModerationSchema)
@errors(bp, 400, 403, 404, 409, 422)
def reinstate(data: dict[str, Any], employer_id: int) -> dict[str, Any]:
    """Lift a suspension: the structure is checked, the offers it held are published again."""
    session = get_session()
    employer = _load_employer(session, employer_id)
    result = mod.reinstate_structure(
        session,
        employer,
        current_principal().actor,
        data.get("reason"),
        base_url=base_url(),
    )
    return _result(session, result)


@bp.route(f"/offers/<{ID}:offer_id>/unpublish", methods=["POST"], endpoint="unpublish")
@staff_only
@bp.arguments(ModerationReasonIn)
@bp.response(200, ModerationSchema)
@errors(bp, 400, 403, 404, 409, 422)
def unpublish(data: dict[str, Any], offer_id: int) -> dict[str, Any]:
    """Withdraw one published (or waiting) offer, with a reason; its structure is mailed."""
    session = get_session()
    offer = _load_offer(session, offer_id)
    result = mod.unpublish_offer(
        session, offer, current_principal().actor, data["reason"], base_url=base_url()
    )
    return _result(session, result)


@bp.route(f"/offers/<{ID}:offer_id>/reopen", methods=["POST"], endpoint="reopen")
@staff_only
@bp.arguments(ModerationReasonIn)
@bp.response(200, ModerationSchema)
@errors(bp, 400, 403, 404, 409, 422)
def reopen(data: dict[str, Any], offer_id: int) -> dict[str, Any]:
    """Reopen a withdrawn offer, with a reason: published, or waiting for its structure's check."""
    session = get_session()
    offer = _load_offer(session, offer_id)
    result = mod.reopen_offer(
        session, offer, current_principal().actor, data["reason"], base_url=base_url()
    )
    return _result(session, result)
