"""Public « Se former » pages: the training centres (list and map, filters) and a centre's page."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import Blueprint, Response, abort, jsonify, render_template, request, url_for

from data import queries
from data.operations._common import local_today
from data.presentation import date_fr
from web.db import get_session
from web.views.public import DISTANCES, place_filter

bp = Blueprint("training_public", __name__, url_prefix="/se-former")

#: The « next intake within » choices of the list's filter: (days, French label).
INTAKE_WINDOWS = ((90, "Dans les 3 mois"), (180, "Dans les 6 mois"), (365, "Dans l'année"))
FILTERS = ("metier", "commune", "distance", "rentree", "ouvertes")


def centre_filters() -> tuple[dict[str, str], dict[str, list[str]], queries.CentreSearch]:
    """Parse the filters of a centres' list (the public one and the coordinators'): return the
    form, its French errors and the search."""
    session = get_session()
    form = {k: request.args.get(k, "")[:200] for k in FILTERS}
    errors: dict[str, list[str]] = {}
    today = local_today()
    args: dict[str, Any] = {"open_on": today if form["ouvertes"] == "1" else None}
    if form["metier"]:
        if form["metier"] in {code for code, _ in queries.metier_options(session)}:
            args["metier"] = form["metier"]
        else:
            errors["metier"] = ["Métier inconnu."]
    args["near"], args["max_km"] = place_filter(session, form, errors)
    if form["rentree"]:
        windows = {str(days): days for days, _ in INTAKE_WINDOWS}
        if form["rentree"] in windows:
            args["intake_from"] = today
            args["intake_until"] = today + timedelta(days=windows[form["rentree"]])
        else:
            errors["rentree"] = ["Choix invalide : choisissez une valeur de la liste."]
    return form, errors, queries.CentreSearch(**args)


def _listings() -> tuple[dict[str, str], dict[str, list[str]], list[queries.CentreListing]]:
    form, errors, search = centre_filters()
    found = [] if errors else queries.centre_listings(get_session(), search, local_today())
    return form, errors, found


@bp.get("")
def centres() -> str:
    form, errors, found = _listings()
    return render_template(
        "training_public/centres.html",
        form=form,
        errors=errors,
        listings=found,
        filters={k: v for k, v in form.items() if v},
        **filter_choices(),
    )


def filter_choices() -> dict[str, Any]:
    """The choices of the centres' filters (training_public/_filters.html)."""
    return {
        "metiers": queries.metier_options(get_session()),
        "distances": DISTANCES,
        "windows": [(str(days), text) for days, text in INTAKE_WINDOWS],
    }


@bp.get("/centres.geojson")
def centres_geojson() -> Response:
    """The listed centres as GeoJSON points, at their commune, with what their popup says."""
    _form, _errors, found = _listings()
    features = []
    for item in found:
        c = item.centre
        lines = [c.commune.name]
        if item.next_session is not None:
            lines.append(f"Prochaine rentrée : {date_fr(item.next_session.start_date)}")
        if item.open_applications:
            lines.append("Inscriptions ouvertes")
        features.append(
            {
                "type": "Feature",
                "geometry": {
                    "type": "Point",
                    "coordinates": [c.commune.longitude, c.commune.latitude],
                },
                "properties": {
                    "id": c.id,
                    "title": c.name,
                    "lines": lines,
                    "url": url_for("training_public.centre", centre_id=c.id),
                },
            }
        )
    return jsonify({"type": "FeatureCollection", "features": features})


@bp.get("/centres/<id:centre_id>")
def centre(centre_id: int) -> str:
    session = get_session()
    found = queries.find_centre(session, centre_id)
    if found is None:
        abort(404)
    return render_template(
        "training_public/centre.html",
        centre=found,
        today=local_today(),
        offers=queries.offers_within_reach(session, found),
        reach_km=queries.training.DEFAULT_REACH_KM,
        upcoming=queries.upcoming_sessions,
    )
