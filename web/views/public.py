"""Public pages: home, published offers (list, map, page), how to sign up, legal pages."""

from __future__ import annotations

from pathlib import Path

from flask import Blueprint, Response, abort, current_app, jsonify, render_template, request
from sqlalchemy.orm import Session

from data import mail, queries
from data.errors import ValidationError
from data.mail import actions
from data.models import Candidate, Commune, Role
from data.operations._common import local_today
from data.operations.communes import (
    commune_hint,
    commune_label,
    resolve_commune,
    search_communes,
)
from data.queries import pay as pay_queries
from data.reference import AIN_EPCI_GEOJSON, AIN_GEOJSON
from web.config import dev_tools_enabled
from web.db import get_session
from web.forms import page_args, small_int
from web.security import csrf_exempt
from web.sessions import current_user
from web.views import dev

bp = Blueprint("public", __name__)

DISTANCES = (10, 20, 30, 50, 80)


def _offer_filters() -> tuple[dict[str, str], dict[str, list[str]], queries.OfferSearch]:
    """Parse the filters of the offer list; return the form, its errors and the search."""
    session = get_session()
    form = {k: request.args.get(k, "") for k in ("metier", "commune", "distance", "logement")}
    errors: dict[str, list[str]] = {}
    # Ticked: offers with housing; not ticked: every offer.
    args: dict = {"housing": True if form["logement"] == "1" else None}
    if form["metier"]:
        codes = {code for code, _ in queries.metier_options(session)}
        if form["metier"] in codes:
            args["metier"] = form["metier"]
        else:
            errors["metier"] = ["Métier inconnu."]
    near, max_km = place_filter(session, form, errors)
    if near is not None:
        args["near"] = near
    if max_km is not None:
        args["max_km"] = max_km
    return form, errors, queries.OfferSearch(**args)


def place_filter(
    session: Session, form: dict[str, str], errors: dict[str, list[str]]
) -> tuple[Commune | None, int | None]:
    """Parse a list's « commune » and « distance » filters: the commune (its label put back in
    ``form``) and the distance; French messages go to ``errors``."""
    commune = km = None
    if form["commune"]:
        try:
            commune = resolve_commune(session, form["commune"], "commune")
        except ValidationError as exc:
            errors.update(exc.errors)
        else:
            form["commune"] = commune_label(commune)
    if form["distance"]:
        if (km := small_int(form["distance"], 1, 200)) is None:
            errors["distance"] = ["Distance invalide : choisissez une valeur de la liste."]
    if km is not None and not form["commune"]:
        errors.setdefault("commune", []).append("Indiquez une commune pour filtrer par distance.")
    return commune, km


@bp.get("/")
def home() -> str:
    demo = None
    if dev_tools_enabled(current_app):
        demo = {"examples": dev.sign_in_examples(get_session()), "staff": dev.DEMO_STAFF}
    return render_template("public/home.html", demo=demo)


@bp.get("/offres")
def offers() -> str:
    form, errors, search = _offer_filters()
    number, size = page_args()
    if errors:
        page: queries.Page[queries.OfferHit] = queries.Page([], 1, size, 0)
    else:
        page = queries.offer_page(get_session(), queries.PUBLIC, number, size, search)
    return render_template(
        "public/offers.html",
        form=form,
        errors=errors,
        page=page,
        # The filters as typed, for the pager's and the map's links (the page is the pager's).
        filters={k: v for k, v in form.items() if v},
        metiers=queries.metier_options(get_session()),
        distances=DISTANCES,
    )


@bp.get("/offres/<id:offer_id>")
def offer(offer_id: int) -> str:
    session = get_session()
    found = queries.find_offer(session, queries.PUBLIC, offer_id)
    if found is None:
        ended = queries.find_ended_offer(session, offer_id)
        if ended is None:
            abort(404)
        # Old links (mails, bookmarks) say what became of the offer instead of a 404.
        return render_template("public/offer_ended.html", offer=ended)
    user = current_user()
    candidate = fit = budget = None
    if user is not None and user.role == Role.CANDIDATE and user.candidate_id is not None:
        candidate = session.get(Candidate, user.candidate_id)
        if candidate is not None and candidate.request is not None:
            fit = queries.offer_fit(session, candidate.request, found)
            budget = pay_queries.offer_budget(session, candidate.request, found, local_today())
    return render_template(
        "public/offer.html",
        offer=found,
        candidate=candidate,
        fit=fit,
        budget=budget,
        aids=pay_queries.apprentice_aids() if budget is not None else [],
        housing=queries.housing_near_offer(session, found),
        housing_km=queries.DEFAULT_HOUSING_REACH_KM,
        housing_commune=commune_label(found.site.commune),
        manager=queries.housing_manager,
    )


@bp.get("/offres/carte")
def offers_map() -> str:
    form, errors, search = _offer_filters()
    hits = [] if errors else queries.offer_hits(get_session(), queries.PUBLIC, search)
    return render_template(
        "public/map.html",
        form=form,
        errors=errors,
        hits=hits,
        metiers=queries.metier_options(get_session()),
        distances=DISTANCES,
    )


@bp.get("/offres/carte.geojson")
def offers_geojson() -> Response:
    """Published offers as GeoJSON points, one per offer, at the commune of their site."""
    _form, errors, search = _offer_filters()
    hits = [] if errors else queries.offer_hits(get_session(), queries.PUBLIC, search)
    features = []
    for hit in hits:
        o = hit.offer
        c = o.site.commune
        features.append(
            {
                "type": "Feature",
                "geometry": {"type": "Point", "coordinates": [c.longitude, c.latitude]},
                "properties": {
                    "id": o.id,
                    "metier": o.metier.label,
                    "employer": o.site.employer.name,
                    "commune": c.name,
                    "places": o.places_left,
                    "housing": o.housing_beds > 0,
                    "url": f"/offres/{o.id}",
                },
            }
        )
    return jsonify({"type": "FeatureCollection", "features": features})


@bp.get("/carte/communes-ain.geojson")
def communes_outline() -> Response:
    """The Ain's commune outlines shipped with Passerelle (the map's offline background)."""
    return _shipped_geojson(AIN_GEOJSON)


@bp.get("/carte/epci-ain.geojson")
def epci_outline() -> Response:
    """The outlines of the Ain's EPCI (their Ain part), for the observatory's choropleths."""
    return _shipped_geojson(AIN_EPCI_GEOJSON)


def _shipped_geojson(path: Path) -> Response:
    """Serve a GeoJSON file shipped in data/reference, cached a day (empty if it is missing)."""
    if not path.exists():
        return jsonify({"type": "FeatureCollection", "features": []})
    response = current_app.response_class(path.read_bytes(), mimetype="application/geo+json")
    response.cache_control.public = True
    response.cache_control.max_age = 86400
    return response


@bp.get("/communes")
def commune_search() -> Response:
    """Autocompletion of communes: « Nom (code postal) » labels, the likeliest first."""
    q = request.args.get("q", "")[:80]
    found = search_communes(get_session(), q) if q else []
    return jsonify(
        [
            {"label": commune_label(c), "hint": commune_hint(c, q), "postal_codes": c.postal_codes}
            for c in found
        ]
    )


@bp.get("/inscription")
def signup() -> str:
    return render_template("public/signup.html")


@bp.get("/accessibilite")
def accessibility() -> str:
    return render_template("public/accessibility.html")


@bp.get("/mentions-legales")
def legal() -> str:
    return render_template("public/legal.html")


@bp.get("/donnees-personnelles")
def privacy() -> str:
    return render_template("public/privacy.html")


@bp.get("/desabonnement/<token>")
def unsubscribe_page(token: str) -> str:
    """Confirm before stopping mails: a GET changes nothing (mail scanners follow links)."""
    return render_template("public/unsubscribe.html", token=token, done=None)


@bp.post("/desabonnement/<token>")
@csrf_exempt
def unsubscribe(token: str) -> tuple[str, int]:
    """RFC 8058 one-click: no session, no CSRF token, no redirect; always 200."""
    session = get_session()
    email = mail.unsubscribe(session, token)
    session.commit()
    return render_template("public/unsubscribe.html", token=token, done=email is not None), 200


@bp.get("/toujours-en-recherche/<token>")
def still_looking_page(token: str) -> str:
    """Ask « toujours en recherche ? » with two buttons: following the link answers nothing."""
    valid = actions.find_action(get_session(), token, actions.STILL_LOOKING) is not None
    return render_template("public/still_looking.html", token=token, valid=valid, answer=None)


@bp.post("/toujours-en-recherche/<token>")
@csrf_exempt
def still_looking(token: str) -> tuple[str, int]:
    """Apply the answer; the single-purpose token is the authority (no session, no CSRF)."""
    answer = request.form.get("answer")
    if answer not in ("oui", "non"):
        abort(400)
    session = get_session()
    found = actions.answer_still_looking(session, token, answer == "oui")
    session.commit()
    status = 200 if found is not None else 404
    html = render_template(
        "public/still_looking.html", token=token, valid=found is not None, answer=answer
    )
    return html, status
