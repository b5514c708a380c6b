"""``/api/v1/training-centres``: the training centres, with programmes and sessions (issue 16).

Every token reads them (they are public information, as on the pages); coordinator and admin
tokens write them: centres, a centre's programmes, a programme's sessions, a CSV import. A
programme or a session is reached through its centre: under another centre it is a 404.
"""

from __future__ import annotations

import io
from datetime import date
from typing import Any

from marshmallow import RAISE

from data import queries
from data.errors import NotFound, ValidationError
from data.models import TrainingCentre, TrainingProgramme, TrainingSession
from data.operations import training as ops
from data.operations._common import local_today
from data.operations.training_import import import_centres
from data.presentation import label
from web.db import get_session

from .auth import current_principal, staff_only
from .base import ID, api_blueprint, errors
from .common import commune_of, commune_ref, metier_ref, page_out
from .training_schemas import (
    CentreCreate,
    CentreImportIn,
    CentreImportReport,
    CentrePage,
    CentreQuery,
    CentreSchema,
    CentreUpdate,
    ProgrammeCreate,
    ProgrammeSchema,
    ProgrammeUpdate,
    SessionCreate,
    SessionSchema,
    SessionUpdate,
)

bp = api_blueprint(
    "training_centres",
    "/training-centres",
    "Training centres of the sector, their programmes and sessions. Every token reads them; "
    "coordinator and admin tokens write them.",
)

_CENTRE = f"/<{ID}:centre_id>"
_PROGRAMME = f"{_CENTRE}/programmes/<{ID}:programme_id>"
_SESSION = f"{_PROGRAMME}/sessions/<{ID}:session_id>"


# --- What the schemas dump ----------------------------------------------------------------------


def session_dict(intake: TrainingSession, today: date) -> dict[str, Any]:
    """Return a session as the API shows it."""
    return {
        "id": intake.id,
        "start_date": intake.start_date,
        "end_date": intake.end_date,
        "apprenticeship_places": intake.apprenticeship_places,
        "applications_open_on": intake.applications_open_on,
        "application_deadline": intake.application_deadline,
        "selection_dates": intake.selection_dates,
        "applications_open": intake.applications_open(today),
    }


def programme_dict(programme: TrainingProgramme, today: date) -> dict[str, Any]:
    """Return a programme with its sessions."""
    return {
        "id": programme.id,
        "metier": metier_ref(programme.metier),
        "diploma": programme.diploma,
        "by_apprenticeship": programme.by_apprenticeship,
        "duration_months": programme.duration_months,
        "rhythm": programme.rhythm,
        "sessions": [session_dict(s, today) for s in programme.sessions],
    }


def centre_dict(
    centre: TrainingCentre, distance_km: float | None = None, today: date | None = None
) -> dict[str, Any]:
    """Return a centre with its programmes and sessions."""
    today = today or local_today()
    following = queries.next_session(centre.programmes, today)
    return {
        "id": centre.id,
        "name": centre.name,
        "kind": centre.kind,
        "kind_label": label(centre.kind),
        "commune": commune_ref(centre.commune),
        "address": centre.address,
        "website": centre.website,
        "contact_email": centre.contact_email,
        "contact_phone": centre.contact_phone,
        "public_transport": centre.public_transport,
        "distance_km": None if distance_km is None else round(distance_km, 1),
        "next_intake": following.start_date if following is not None else None,
        "programmes": [programme_dict(p, today) for p in centre.programmes],
        "created_at": centre.created_at,
        "updated_at": centre.updated_at,
    }


# --- Loading ------------------------------------------------------------------------------------


def _centre(centre_id: int) -> TrainingCentre:
    found = queries.find_centre(get_session(), centre_id)
    if found is None:
        raise NotFound("Centre de formation", centre_id)
    return found


def _programme(centre_id: int, programme_id: int) -> TrainingProgramme:
    found = get_session().get(TrainingProgramme, programme_id)
    if found is None or found.centre_id != centre_id:
        raise NotFound("Formation", programme_id)
    return found


def _session(centre_id: int, programme_id: int, session_id: int) -> TrainingSession:
    found = get_session().get(TrainingSession, session_id)
    if found is None or found.programme_id != _programme(centre_id, programme_id).id:
        raise NotFound("Session", session_id)
    return found


def _reloaded(centre_id: int) -> dict[str, Any]:
    session = get_session()
    session.commit()
    session.expire_all()
    return centre_dict(_centre(centre_id))


# --- Reads --------------------------------------------------------------------------------------


@bp.route("", methods=["GET"], endpoint="list")
@bp.arguments(CentreQuery, location="query", unknown=RAISE)
@bp.response(200, CentrePage)
@errors(bp, 422)
def list_centres(query: dict[str, Any]) -> dict[str, Any]:
    """List centres with their programmes and sessions, by name; with a commune, nearest first
    (and within `distance_km`). Filters: métier, next intake window, open applications."""
    session = get_session()
    today = local_today()
    search = queries.CentreSearch(
        metier=query.get("metier"),
        by_apprenticeship=query.get("by_apprenticeship"),
        near=commune_of(session, query),
        max_km=query.get("distance_km"),
        intake_from=query.get("intake_from"),
        intake_until=query.get("intake_until"),
        open_on=today if query.get("open_applications") else None,
        text=query.get("q"),
    )
    page = queries.centre_page(session, query["page"], query["page_size"], search, clamp=False)
    return page_out(page, lambda hit: centre_dict(hit.centre, hit.distance_km, today))


@bp.route(_CENTRE, methods=["GET"], endpoint="detail")
@bp.response(200, CentreSchema)
@errors(bp, 404)
def get_centre(centre_id: int) -> dict[str, Any]:
    """Read one centre with its programmes and sessions."""
    return centre_dict(_centre(centre_id))


# --- Writes (staff) -----------------------------------------------------------------------------


@bp.route("", methods=["POST"], endpoint="create")
@staff_only
@bp.arguments(CentreCreate)
@bp.response(201, CentreSchema)
@errors(bp, 403, 422)
def create_centre(data: dict[str, Any]) -> dict[str, Any]:
    """Create a centre (coordinators and admins)."""
    centre = ops.create_centre(get_session(), current_principal().actor, **data)
    return _reloaded(centre.id)


@bp.route(_CENTRE, methods=["PATCH"], endpoint="update")
@staff_only
@bp.arguments(CentreUpdate)
@bp.response(200, CentreSchema)
@errors(bp, 403, 404, 422)
def update_centre(data: dict[str, Any], centre_id: int) -> dict[str, Any]:
    """Change fields of a centre."""
    centre = _centre(centre_id)
    ops.update_centre(get_session(), current_principal().actor, centre, **data)
    return _reloaded(centre.id)


@bp.route(_CENTRE, methods=["DELETE"], endpoint="delete")
@staff_only
@bp.response(204)
@errors(bp, 403, 404)
def delete_centre(centre_id: int) -> None:
    """Delete a centre with its programmes and sessions; offers and requests forget it."""
    ops.delete_centre(get_session(), current_principal().actor, _centre(centre_id))
    get_session().commit()


@bp.route(f"{_CENTRE}/programmes", methods=["POST"], endpoint="create_programme")
@staff_only
@bp.arguments(ProgrammeCreate)
@bp.response(201, ProgrammeSchema)
@errors(bp, 403, 404, 422)
def create_programme(data: dict[str, Any], centre_id: int) -> dict[str, Any]:
    """Add a programme to a centre."""
    session = get_session()
    programme = ops.create_programme(session, current_principal().actor, _centre(centre_id), **data)
    session.commit()
    return programme_dict(programme, local_today())


@bp.route(_PROGRAMME, methods=["PATCH"], endpoint="update_programme")
@staff_only
@bp.arguments(ProgrammeUpdate)
@bp.response(200, ProgrammeSchema)
@errors(bp, 403, 404, 422)
def update_programme(data: dict[str, Any], centre_id: int, programme_id: int) -> dict[str, Any]:
    """Change fields of a programme."""
    session = get_session()
    programme = ops.update_programme(
        session, current_principal().actor, _programme(centre_id, programme_id), **data
    )
    session.commit()
    return programme_dict(programme, local_today())


@bp.route(_PROGRAMME, methods=["DELETE"], endpoint="delete_programme")
@staff_only
@bp.response(204)
@errors(bp, 403, 404)
def delete_programme(centre_id: int, programme_id: int) -> None:
    """Delete a programme with its sessions."""
    session = get_session()
    ops.delete_programme(session, current_principal().actor, _programme(centre_id, programme_id))
    session.commit()


@bp.route(f"{_PROGRAMME}/sessions", methods=["POST"], endpoint="create_session")
@staff_only
@bp.arguments(SessionCreate)
@bp.response(201, SessionSchema)
@errors(bp, 403, 404, 422)
def create_session(data: dict[str, Any], centre_id: int, programme_id: int) -> dict[str, Any]:
    """Add a session to a programme."""
    session = get_session()
    intake = ops.create_session(
        session, current_principal().actor, _programme(centre_id, programme_id), **data
    )
    session.commit()
    return session_dict(intake, local_today())


@bp.route(_SESSION, methods=["PATCH"], endpoint="update_session")
@staff_only
@bp.arguments(SessionUpdate)
@bp.response(200, SessionSchema)
@errors(bp, 403, 404, 422)
def update_session(
    data: dict[str, Any], centre_id: int, programme_id: int, session_id: int
) -> dict[str, Any]:
    """Change fields of a session (its dates are checked together)."""
    session = get_session()
    intake = ops.update_session(
        session, current_principal().actor, _session(centre_id, programme_id, session_id), **data
    )
    session.commit()
    return session_dict(intake, local_today())


@bp.route(_SESSION, methods=["DELETE"], endpoint="delete_session")
@staff_only
@bp.response(204)
@errors(bp, 403, 404)
def delete_session(centre_id: int, programme_id: int, session_id: int) -> None:
    """Delete a session."""
    session = get_session()
    ops.delete_session(
        session, current_principal().actor, _session(centre_id, programme_id, session_id)
    )
    session.commit()


@bp.route("/import", methods=["POST"], endpoint="import")
@staff_only
@bp.arguments(CentreImportIn)
@bp.response(200, CentreImportReport)
@errors(bp, 403, 422)
def import_csv(data: dict[str, Any]) -> dict[str, Any]:
    """Create or update centres, programmes and sessions from a CSV file, as the coordinators'
    import page does: each valid line is kept, each other line reported with its French
    messages; a file that cannot be read (missing columns, too many lines) imports nothing."""
    session = get_session()
    report = import_centres(
        session, current_principal().actor, io.BytesIO(data["csv"].encode("utf-8"))
    )
    if report.fatal:
        session.rollback()
        raise ValidationError({"csv": [m for ms in report.fatal.values() for m in ms]})
    session.commit()
    return {
        "message": report.summary(),
        "centre_ids": sorted(report.centre_ids),
        "rejected": report.rejected_lines(),
    }
