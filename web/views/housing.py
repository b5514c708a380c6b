"""Pages of the housing inventory (issue 17).

Coordinators (« Logements », :data:`bp`): every resource with filters, create, edit, publish,
delete, CSV import with the rejection report and export. Structures (« Nos logements »,
:data:`employer_bp`): their own resources, those of their sites included, and those they add
off-site (a flat they rent). A resource on a site shows its place, kind and manager as the
site's: they change on the site's form.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from data import queries
from data.errors import ValidationError
from data.models import HousingKind, HousingResource, Role
from data.operations import housing as ops
from data.operations.communes import commune_label
from data.operations.housing_import import (
    COLUMNS,
    EXPORT_FILENAME,
    TEMPLATE_FILENAME,
    export_csv,
    import_housing,
    template_csv,
)
from data.presentation.labels import HOUSING_MANAGER_LABELS
from web.csvfiles import csv_download, import_form
from web.db import get_session
from web.forms import checked, values
from web.sessions import STAFF, current_actor, current_user, role_required
from web.views.public import DISTANCES, place_filter

bp = Blueprint("housing", __name__, url_prefix="/coordination/logements")
employer_bp = Blueprint("employer_housing", __name__, url_prefix="/employeur/logements")

#: Rows of periods the form offers (a resource may have more through the API).
PERIOD_ROWS = 3
#: The form's name of the kind (« Type de structure » is the structures' ``kind``).
KIND_FIELD = "housing_kind"
#: The fields typed as text (the others: checkboxes, aids, periods, manager).
TEXT_FIELDS = (
    "name",
    "kind",
    "commune",
    "address",
    "beds",
    "beds_taken",
    "monthly_cost_eur",
    "cost_includes",
    "min_age",
    "max_age",
    "min_stay_months",
    "max_stay_months",
    "contact_name",
    "contact_email",
    "contact_phone",
    "notes",
)
FLAGS = ("apprentices_only", "published")
#: What the form of a resource on a site does not send (the site's form changes them).
_SITE_FORM_SKIPS = {"kind", "commune", "address"}
FILTERS = ("type", "gestionnaire", "commune", "distance", "publie", "recherche")


@bp.before_request
@role_required(*STAFF)
def _only_staff() -> None:
    return None


@employer_bp.before_request
@role_required(Role.EMPLOYER)
def _only_employers() -> None:
    return None


# --- Forms --------------------------------------------------------------------------------------


def _period_field(number: int, end: str) -> str:
    return f"period_{number}_{end}"


def _form_of(resource: HousingResource) -> dict[str, Any]:
    """A resource as its form shows it."""
    form: dict[str, Any] = {}
    for name in TEXT_FIELDS:
        value = getattr(resource, name if name != "commune" else "commune_insee")
        form[name] = "" if value is None else str(getattr(value, "value", value))
    form["commune"] = commune_label(resource.commune)
    form[KIND_FIELD] = form.pop("kind")
    for flag in FLAGS:
        form[flag] = "1" if getattr(resource, flag) else ""
    form["aids"] = list(resource.aids or [])
    for number, period in enumerate(resource.periods[:PERIOD_ROWS], start=1):
        form[_period_field(number, "start")] = period.starts_on.isoformat()
        form[_period_field(number, "end")] = period.ends_on.isoformat() if period.ends_on else ""
    if resource.employer_id is not None:
        form["manager"], form["employer_id"] = "employer", str(resource.employer_id)
    elif resource.centre_id is not None:
        form["manager"], form["centre_id"] = "centre", str(resource.centre_id)
    else:
        form["manager"], form["partner_name"] = "partner", resource.partner_name or ""
    return form


def _submitted(*, manager: bool, on_site: bool) -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the form as typed (for display) and the use case's arguments."""
    names = [n for n in TEXT_FIELDS if not (on_site and n in _SITE_FORM_SKIPS)]
    form: dict[str, Any] = values([KIND_FIELD if n == "kind" else n for n in names])
    args: dict[str, Any] = {("kind" if k == KIND_FIELD else k): v for k, v in form.items()}
    for flag in FLAGS:
        args[flag] = checked(flag)
        form[flag] = "1" if args[flag] else ""
    form["aids"] = args["aids"] = [a[:40] for a in request.form.getlist("aids")[:20]]
    periods = []
    for number in range(1, PERIOD_ROWS + 1):
        start, end = (_period_field(number, e) for e in ("start", "end"))
        form.update(values((start, end)))
        if form[start] or form[end]:
            periods.append({"starts_on": form[start] or None, "ends_on": form[end] or None})
    args["periods"] = periods
    if manager and not on_site:
        form.update(values(("manager", "employer_id", "centre_id", "partner_name")))
        chosen = {"employer": "employer_id", "centre": "centre_id", "partner": "partner_name"}
        field = chosen.get(form["manager"])
        if field is not None:
            args[field] = form[field]
        else:
            args["partner_name"] = ""
    return form, args


def _form_page(
    resource: HousingResource | None,
    form: dict[str, Any],
    errors: dict[str, list[str]],
    *,
    space: str,
) -> str:
    session = get_session()
    staff = space == "coordinator"
    return render_template(
        "housing/form.html",
        resource=resource,
        form=form,
        errors=errors,
        space=space,
        managers=list(HOUSING_MANAGER_LABELS.items()),
        employers=queries.employer_choices(session) if staff else [],
        centres=queries.centre_choices(session) if staff else [],
        period_rows=range(1, PERIOD_ROWS + 1),
        list_url=url_for("housing.resources" if staff else "employer_housing.resources"),
    )


def _save(
    resource: HousingResource | None,
    space: str,
    write: Callable[[dict[str, Any]], HousingResource],
    done: str,
) -> Response | tuple[str, int]:
    """Run ``write`` on the form's values; commit and go back to the list, or show the form
    again with the French messages (400), nothing written."""
    on_site = resource is not None and resource.site_id is not None
    form, args = _submitted(manager=space == "coordinator", on_site=on_site)
    session = get_session()
    try:
        write(args)
    except ValidationError as exc:
        session.rollback()
        errors = {(KIND_FIELD if k == "kind" else k): v for k, v in exc.errors.items()}
        return _form_page(resource, form, errors, space=space), 400
    session.commit()
    flash(done, "success")
    target = "housing.resources" if space == "coordinator" else "employer_housing.resources"
    return redirect(url_for(target))


def _delete(resource: HousingResource, space: str) -> Response | tuple[str, int]:
    session = get_session()
    name = resource.name
    try:
        ops.delete_housing(session, current_actor(), resource)
    except ValidationError as exc:
        session.rollback()
        page = render_template(
            "housing/delete.html", resource=resource, errors=exc.errors, space=space
        )
        return page, 400
    session.commit()
    flash(f"Le logement « {name} » est supprimé.", "success")
    target = "housing.resources" if space == "coordinator" else "employer_housing.resources"
    return redirect(url_for(target))


def _found(housing_id: int) -> HousingResource:
    found = queries.find_housing(get_session(), housing_id)
    if found is None:
        abort(404)
    return found


# --- Coordinators -------------------------------------------------------------------------------


def housing_filters() -> tuple[dict[str, str], dict[str, list[str]], queries.InventorySearch]:
    """Parse the filters of the coordinators' list: the form, its French errors, the search."""
    session = get_session()
    form = {k: request.args.get(k, "")[:200] for k in FILTERS}
    errors: dict[str, list[str]] = {}
    args: dict[str, Any] = {}
    invalid = ["Choix invalide : choisissez une valeur de la liste."]
    if form["type"]:
        if form["type"] in {k.value for k in HousingKind}:
            args["kind"] = HousingKind(form["type"])
        else:
            errors["type"] = invalid
    if form["gestionnaire"]:
        if form["gestionnaire"] in HOUSING_MANAGER_LABELS:
            args["manager"] = queries.HousingManagerKind(form["gestionnaire"])
        else:
            errors["gestionnaire"] = invalid
    if form["publie"]:
        if form["publie"] in ("oui", "non"):
            args["published"] = form["publie"] == "oui"
        else:
            errors["publie"] = invalid
    args["near"], args["max_km"] = place_filter(session, form, errors)
    args["text"] = form["recherche"] or None
    return form, errors, queries.InventorySearch(**args)


@bp.get("")
def resources() -> str | tuple[str, int]:
    """Every resource, filtered (kind, manager, commune and distance, published, name)."""
    form, errors, search = housing_filters()
    hits = [] if errors else queries.inventory_hits(get_session(), search)
    page = render_template(
        "housing/list.html",
        hits=hits,
        form=form,
        errors=errors,
        managers=list(HOUSING_MANAGER_LABELS.items()),
        distances=DISTANCES,
    )
    return (page, 400) if errors else page


@bp.get("/export.csv")
def export() -> Response:
    """The resources the filters keep, in the import's columns."""
    _form, errors, search = housing_filters()
    found = [] if errors else [h.resource for h in queries.inventory_hits(get_session(), search)]
    return csv_download(export_csv(found), EXPORT_FILENAME)


@bp.route("/nouveau", methods=["GET", "POST"])
def new() -> Response | str | tuple[str, int]:
    if request.method == "GET":
        return _form_page(None, {"manager": "partner", "beds_taken": "0"}, {}, space="coordinator")
    return _save(
        None,
        "coordinator",
        lambda args: ops.create_housing(get_session(), current_actor(), **args),
        "Le logement est enregistré.",
    )


@bp.route("/<id:housing_id>/modifier", methods=["GET", "POST"])
def edit(housing_id: int) -> Response | str | tuple[str, int]:
    found = _found(housing_id)
    if request.method == "GET":
        return _form_page(found, _form_of(found), {}, space="coordinator")
    return _save(
        found,
        "coordinator",
        lambda args: ops.update_housing(get_session(), current_actor(), found, **args),
        "Le logement est enregistré.",
    )


@bp.post("/<id:housing_id>/publication")
def publish(housing_id: int) -> Response:
    """Publish the resource (``published=1``) or withdraw it."""
    found = _found(housing_id)
    wanted = request.form.get("published") == "1"
    session = get_session()
    try:
        ops.set_published(session, current_actor(), found, wanted)
    except ValidationError as exc:
        session.rollback()
        flash("Le logement n'a pas pu être modifié : " + " ".join(
            m for ms in exc.errors.values() for m in ms
        ), "error")  # fmt: skip
        return redirect(url_for("housing.resources"))
    session.commit()
    flash("Le logement est publié." if wanted else "Le logement n'est plus publié.", "success")
    return redirect(url_for("housing.resources"))


@bp.route("/<id:housing_id>/supprimer", methods=["GET", "POST"])
def delete(housing_id: int) -> Response | str | tuple[str, int]:
    found = _found(housing_id)
    if request.method == "GET":
        return render_template(
            "housing/delete.html", resource=found, errors={}, space="coordinator"
        )
    return _delete(found, "coordinator")


@bp.route("/import", methods=["GET", "POST"])
def import_file() -> str | tuple[str, int]:
    return import_form("housing/import.html", COLUMNS, import_housing)


@bp.get("/import/modele.csv")
def import_template() -> Response:
    """The header line and an example line, with a BOM so that spreadsheets read UTF-8."""
    return csv_download(template_csv(), TEMPLATE_FILENAME, bom=True)


# --- Structures ---------------------------------------------------------------------------------


def _employer_id() -> int:
    user = current_user()
    assert user is not None and user.employer_id is not None
    return user.employer_id


def _own(housing_id: int) -> HousingResource:
    found = queries.find_housing(get_session(), housing_id)
    if found is None or found.employer_id != _employer_id():
        abort(404)
    return found


@employer_bp.get("", endpoint="resources")
def resources_of_employer() -> str:
    """The structure's resources: on its sites (their beds) and elsewhere."""
    return render_template(
        "housing/employer_list.html",
        resources=queries.employer_housing(get_session(), _employer_id()),
    )


@employer_bp.route("/nouveau", methods=["GET", "POST"])
def employer_new() -> Response | str | tuple[str, int]:
    if request.method == "GET":
        return _form_page(None, {"beds_taken": "0"}, {}, space="employer")
    return _save(
        None,
        "employer",
        lambda args: ops.create_housing(get_session(), current_actor(), **args),
        "Le logement est enregistré.",
    )


@employer_bp.route("/<id:housing_id>/modifier", methods=["GET", "POST"])
def employer_edit(housing_id: int) -> Response | str | tuple[str, int]:
    found = _own(housing_id)
    if request.method == "GET":
        return _form_page(found, _form_of(found), {}, space="employer")
    return _save(
        found,
        "employer",
        lambda args: ops.update_housing(get_session(), current_actor(), found, **args),
        "Le logement est enregistré.",
    )


@employer_bp.route("/<id:housing_id>/supprimer", methods=["GET", "POST"])
def employer_delete(housing_id: int) -> Response | str | tuple[str, int]:
    found = _own(housing_id)
    if request.method == "GET":
        return render_template("housing/delete.html", resource=found, errors={}, space="employer")
    return _delete(found, "employer")
