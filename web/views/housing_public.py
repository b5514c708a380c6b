"""Public « Se loger » pages (issue 17): housing for apprentices (list, map, filters) and a
resource's page; no sign-in, no personal data."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for

from data import queries
from data.errors import ValidationError
from data.models import HousingKind, HousingResource
from data.operations._common import local_today
from data.operations.validation import clean_date
from data.presentation import choices, label, plural
from web.db import get_session
from web.forms import page_args, small_int
from web.views.public import DISTANCES, place_filter

bp = Blueprint("housing_public", __name__, url_prefix="/se-loger")

FILTERS = ("commune", "distance", "type_logement", "cout_max", "disponible_le", "lits_libres")
#: The highest monthly cost one may filter on (euros): beyond, a typing slip.
MAX_COST_FILTER_EUR = 5000


def housing_filters() -> tuple[dict[str, str], dict[str, list[str]], queries.HousingSearch]:
    """Parse the filters of the housing list and map: the form, its French errors, the search."""
    session = get_session()
    form = {k: request.args.get(k, "")[:200] for k in FILTERS}
    errors: dict[str, list[str]] = {}
    args: dict[str, Any] = {"free_only": form["lits_libres"] == "1"}
    args["near"], args["max_km"] = place_filter(session, form, errors)
    if form["type_logement"]:
        if form["type_logement"] in {k.value for k in HousingKind}:
            args["kind"] = HousingKind(form["type_logement"])
        else:
            errors["type_logement"] = ["Choix invalide : choisissez une valeur de la liste."]
    if form["cout_max"]:
        cost = small_int(form["cout_max"].strip(), 0, MAX_COST_FILTER_EUR)
        if cost is None:
            errors["cout_max"] = [
                f"Indiquez un nombre entier d'euros, de 0 à {MAX_COST_FILTER_EUR}."
            ]
        args["max_cost"] = cost
    if form["disponible_le"]:
        try:
            args["available_on"] = clean_date(form["disponible_le"], "disponible_le")
        except ValidationError as exc:
            errors.update(exc.errors)
    return form, errors, queries.HousingSearch(**args)


def filter_choices() -> dict[str, Any]:
    """The choices of the housing filters (housing_public/_filters.html)."""
    return {"kinds": choices(HousingKind), "distances": DISTANCES}


def _status(errors: dict[str, list[str]]) -> int:
    """Bad filters answer 400 with their French messages (the form shows them)."""
    return 400 if errors else 200


@bp.get("")
def housing_list() -> tuple[str, int]:
    form, errors, search = housing_filters()
    number, size = page_args()
    if errors:
        page: queries.Page[queries.HousingHit] = queries.Page([], 1, size, 0)
    else:
        page = queries.housing_page(get_session(), number, size, search)
    html = render_template(
        "housing_public/list.html",
        form=form,
        errors=errors,
        page=page,
        filters={k: v for k, v in form.items() if v},
        manager=queries.housing_manager,
        **filter_choices(),
    )
    return html, _status(errors)


@bp.get("/carte")
def housing_map() -> tuple[str, int]:
    form, errors, search = housing_filters()
    hits = [] if errors else queries.housing_hits(get_session(), search)
    html = render_template(
        "housing_public/map.html",
        form=form,
        errors=errors,
        hits=hits,
        filters={k: v for k, v in form.items() if v},
        manager=queries.housing_manager,
        **filter_choices(),
    )
    return html, _status(errors)


def _popup_lines(resource: HousingResource) -> list[str]:
    lines = [f"{label(resource.kind)} – {resource.commune.name}"]
    free = resource.beds_free
    lines.append(plural(free, "place libre", "places libres") if free else "Aucune place libre")
    if resource.monthly_cost_eur is not None:
        lines.append(f"{resource.monthly_cost_eur} € par mois")
    return lines


@bp.get("/carte.geojson")
def housing_geojson() -> tuple[Response, int]:
    """The listed resources as GeoJSON points at their commune (never an address)."""
    _form, errors, search = housing_filters()
    hits = [] if errors else queries.housing_hits(get_session(), search)
    features = [
        {
            "type": "Feature",
            "geometry": {
                "type": "Point",
                "coordinates": [hit.resource.commune.longitude, hit.resource.commune.latitude],
            },
            "properties": {
                "id": hit.resource.id,
                "title": hit.resource.name,
                "lines": _popup_lines(hit.resource),
                "url": url_for("housing_public.resource", resource_id=hit.resource.id),
            },
        }
        for hit in hits
    ]
    return jsonify({"type": "FeatureCollection", "features": features}), _status(errors)


@bp.get("/<id:resource_id>")
def resource(resource_id: int) -> str:
    found = queries.find_public_housing(get_session(), resource_id)
    if found is None:
        abort(404)
    return render_template(
        "housing_public/resource.html",
        resource=found,
        private=found.kind in queries.PRIVATE_KINDS,
        manager=queries.housing_manager(found),
        today=local_today(),
    )
