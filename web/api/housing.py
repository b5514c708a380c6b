"""``/api/v1/housing``: the housing resources for apprentices (issue 17).

Everyone reads the published resources, without a token too (they are public information, as
« Se loger » shows them); coordinator and admin tokens read every resource and write them all,
an employer token reads its structure's resources (published or not) and writes them. A room at
someone's home shows only its commune to others: no address, no contact
(:data:`data.queries.PRIVATE_KINDS`). Resources out of the caller's reach answer 404;
changes its role may not make, 403.
"""

from __future__ import annotations

from typing import Any

from marshmallow import RAISE

from data import queries
from data.errors import NotFound
from data.models import HousingAid, HousingResource
from data.operations import housing as ops
from data.presentation import label
from data.presentation.labels import HOUSING_MANAGER_LABELS
from web.db import get_session

from .auth import Principal, current_principal, not_candidate, optional_principal
from .base import ANONYMOUS_OR_TOKEN, ID, api_blueprint, errors
from .common import commune_of, commune_ref, page_out
from .housing_schemas import HousingCreate, HousingPage, HousingQuery, HousingSchema, HousingUpdate

bp = api_blueprint(
    "housing_resources",
    "/housing",
    "Housing for apprentices: hostels, rooms of establishments, boarding, homes. Everyone reads "
    "the published ones (without a token too); coordinators and the managing structure write.",
    public_reads=True,
)

_ONE = f"/<{ID}:housing_id>"


def _manages(principal: Principal | None, resource: HousingResource) -> bool:
    """Tell whether the caller sees everything of ``resource``: staff, or its structure."""
    if principal is None:
        return False
    if principal.is_staff:
        return True
    return principal.is_employer and resource.employer_id == principal.employer_id


def _manager(resource: HousingResource) -> dict[str, Any]:
    if resource.employer_id is not None:
        kind = queries.HousingManagerKind.EMPLOYER
    elif resource.centre_id is not None:
        kind = queries.HousingManagerKind.CENTRE
    else:
        kind = queries.HousingManagerKind.PARTNER
    return {
        "kind": kind,
        "kind_label": HOUSING_MANAGER_LABELS[kind.value],
        "name": queries.housing_manager(resource),
        "employer_id": resource.employer_id,
        "centre_id": resource.centre_id,
    }


def housing_dict(
    resource: HousingResource, *, full: bool, distance_km: float | None = None
) -> dict[str, Any]:
    """Return a resource as the API shows it; ``full`` False hides a home's address, contact
    and notes (only its commune is public)."""
    hidden = not full and queries.is_private_housing(resource)
    return {
        "id": resource.id,
        "name": resource.name,
        "kind": resource.kind,
        "kind_label": label(resource.kind),
        "manager": _manager(resource),
        "site_id": resource.site_id,
        "commune": commune_ref(resource.commune),
        "address": None if hidden else resource.address,
        "beds": resource.beds,
        "beds_taken": resource.beds_taken,
        "beds_free": resource.beds_free,
        "monthly_cost_eur": resource.monthly_cost_eur,
        "cost_includes": resource.cost_includes,
        "aids": [HousingAid(a) for a in resource.aids or []],
        "min_age": resource.min_age,
        "max_age": resource.max_age,
        "apprentices_only": resource.apprentices_only,
        "min_stay_months": resource.min_stay_months,
        "max_stay_months": resource.max_stay_months,
        "periods": [{"starts_on": p.starts_on, "ends_on": p.ends_on} for p in resource.periods],
        "contact_name": None if hidden else resource.contact_name,
        "contact_email": None if hidden else resource.contact_email,
        "contact_phone": None if hidden else resource.contact_phone,
        "notes": None if hidden else resource.notes,
        "published": resource.published,
        "distance_km": None if distance_km is None else round(distance_km, 1),
        "created_at": resource.created_at,
        "updated_at": resource.updated_at,
    }


def _visible(housing_id: int) -> HousingResource:
    """Return the resource if the caller may read it: staff, its structure, or anyone when
    everyone may read it (published, its structure not suspended)."""
    session = get_session()
    found = queries.find_housing(session, housing_id)
    if found is None or not (
        _manages(optional_principal(), found)
        or queries.find_public_housing(session, housing_id) is not None
    ):
        raise NotFound("Logement", housing_id)
    return found


def _reloaded(housing_id: int) -> dict[str, Any]:
    session = get_session()
    session.commit()
    session.expire_all()
    return housing_dict(_visible(housing_id), full=True)


def _for_operation(data: dict[str, Any]) -> dict[str, Any]:
    """The schema's values as the use case takes them (aids as their codes)."""
    if "aids" in data:
        data["aids"] = [a.value for a in data["aids"]]
    return data


# --- Reads --------------------------------------------------------------------------------------


@bp.route("", methods=["GET"], endpoint="list")
@bp.doc(security=ANONYMOUS_OR_TOKEN)
@bp.arguments(HousingQuery, location="query", unknown=RAISE)
@bp.response(200, HousingPage)
@errors(bp, 422)
def list_housing(query: dict[str, Any]) -> dict[str, Any]:
    """List the published resources by name; with a commune, nearest first (and within
    `distance_km`). Filters: kind, manager, cost, a day of availability. Coordinators list
    every resource and may filter on `published`."""
    session = get_session()
    principal = optional_principal()
    staff = principal is not None and principal.is_staff
    search = queries.InventorySearch(
        kind=query.get("kind"),
        manager=query.get("manager"),
        near=commune_of(session, query),
        max_km=query.get("distance_km"),
        public=not staff,
        published=query.get("published") if staff else None,
        max_cost=query.get("max_cost"),
        available_on=query.get("available_on"),
        text=query.get("q"),
    )
    page = queries.inventory_page(session, query["page"], query["page_size"], search, clamp=False)
    return page_out(
        page,
        lambda hit: housing_dict(
            hit.resource, full=_manages(principal, hit.resource), distance_km=hit.distance_km
        ),
    )


@bp.route(_ONE, methods=["GET"], endpoint="detail")
@bp.doc(security=ANONYMOUS_OR_TOKEN)
@bp.response(200, HousingSchema)
@errors(bp, 404)
def get_housing(housing_id: int) -> dict[str, Any]:
    """Read one resource (a published one, or one the caller manages)."""
    found = _visible(housing_id)
    return housing_dict(found, full=_manages(optional_principal(), found))


# --- Writes (staff and the managing structure) --------------------------------------------------


@bp.route("", methods=["POST"], endpoint="create")
@not_candidate
@bp.arguments(HousingCreate)
@bp.response(201, HousingSchema)
@errors(bp, 403, 422)
def create_housing(data: dict[str, Any]) -> dict[str, Any]:
    """Create a resource: coordinators for any manager, a structure for itself."""
    resource = ops.create_housing(get_session(), current_principal().actor, **_for_operation(data))
    return _reloaded(resource.id)


@bp.route(_ONE, methods=["PATCH"], endpoint="update")
@not_candidate
@bp.arguments(HousingUpdate)
@bp.response(200, HousingSchema)
@errors(bp, 403, 404, 422)
def update_housing(data: dict[str, Any], housing_id: int) -> dict[str, Any]:
    """Change fields of a resource (the periods as a whole list; beds taken; publication)."""
    found = _visible(housing_id)
    ops.update_housing(get_session(), current_principal().actor, found, **_for_operation(data))
    return _reloaded(found.id)


@bp.route(_ONE, methods=["DELETE"], endpoint="delete")
@not_candidate
@bp.response(204)
@errors(bp, 403, 404, 422)
def delete_housing(housing_id: int) -> None:
    """Delete a resource (on a site: unless an open offer of the site needs its beds)."""
    ops.delete_housing(get_session(), current_principal().actor, _visible(housing_id))
    get_session().commit()
