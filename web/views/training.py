"""Coordinators' pages of the training centres: list, create, edit, delete; programmes and
sessions on a centre's page; CSV import and export (issue 16)."""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from datetime import date
from typing import Any, TypeVar

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from data import queries
from data.errors import ValidationError
from data.models import TrainingCentre, TrainingProgramme, TrainingSession
from data.operations import training as ops
from data.operations._common import local_today
from data.operations.communes import commune_label
from data.operations.training_import import (
    COLUMNS,
    EXPORT_FILENAME,
    TEMPLATE_FILENAME,
    export_csv,
    import_centres,
    template_csv,
)
from web.csvfiles import csv_download, import_form
from web.db import get_session
from web.forms import checked, values
from web.sessions import STAFF, current_actor, role_required
from web.views.training_public import centre_filters, filter_choices

bp = Blueprint("training", __name__, url_prefix="/coordination/formations")

M = TypeVar("M")


@bp.before_request
@role_required(*STAFF)
def _only_staff() -> None:
    return None


def _get(model: type[M], object_id: int) -> M:
    found = get_session().get(model, object_id)
    if found is None:
        abort(404)
    return found


def _as_text(value: object) -> str:
    """A stored value as a form field shows it (a date in ISO, as ``<input type=date>``)."""
    if value is None:
        return ""
    if isinstance(value, enum.Enum):
        return str(value.value)
    if isinstance(value, date):
        return value.isoformat()
    return str(value)


def _form_of(obj: object, names: Sequence[str], attributes: dict[str, str]) -> dict[str, str]:
    return {name: _as_text(getattr(obj, attributes.get(name, name))) for name in names}


# --- The list -----------------------------------------------------------------------------------


@bp.get("")
def centres() -> str | tuple[str, int]:
    """Every centre, filtered as « Se former » filters them (métier, commune and distance, next
    intake, open applications), as a table with the coordinators' links."""
    session = get_session()
    form, errors, search = centre_filters()
    hits = [] if errors else queries.centre_hits(session, search)
    page = render_template(
        "training/centres.html",
        hits=hits,
        form=form,
        errors=errors,
        today=local_today(),
        next_session=queries.next_session,
        **filter_choices(),
    )
    return (page, 400) if errors else page


@bp.get("/export.csv")
def export() -> Response:
    """Every centre with its programmes and sessions: the import's columns."""
    text = export_csv([h.centre for h in queries.centre_hits(get_session())])
    return csv_download(text, EXPORT_FILENAME)


# --- Forms --------------------------------------------------------------------------------------


def _saved_or_form(
    template: str,
    names: Sequence[str],
    save: Callable[[dict[str, Any]], Any],
    done: Callable[[Any], Response],
    message: str,
    **context: Any,
) -> Response | tuple[str, int]:
    """Run ``save`` on the form's values; on success commit, flash and go on; else the form
    again with the French messages (400), nothing written."""
    form = values(names)
    args: dict[str, Any] = dict(form)
    if "by_apprenticeship" in names:
        args["by_apprenticeship"] = checked("by_apprenticeship")
        form["by_apprenticeship"] = "1" if args["by_apprenticeship"] else ""
    session = get_session()
    try:
        saved = save(args)
    except ValidationError as exc:
        session.rollback()
        return render_template(template, form=form, errors=exc.errors, **context), 400
    session.commit()
    flash(message, "success")
    return done(saved)


def _to_centre(centre_id: int) -> Response:
    return redirect(url_for("training.centre", centre_id=centre_id))


@bp.route("/nouveau", methods=["GET", "POST"])
def new_centre() -> Response | str | tuple[str, int]:
    if request.method == "GET":
        form = {"public_transport": "unknown"}
        return render_template("training/centre_form.html", form=form, errors={}, centre=None)
    return _saved_or_form(
        "training/centre_form.html",
        ops.CENTRE_FIELDS,
        lambda args: ops.create_centre(get_session(), current_actor(), **args),
        lambda centre: _to_centre(centre.id),
        "Le centre de formation est enregistré.",
        centre=None,
    )


@bp.get("/<id:centre_id>")
def centre(centre_id: int) -> str:
    found = queries.find_centre(get_session(), centre_id)
    if found is None:
        abort(404)
    return render_template(
        "training/centre.html",
        centre=found,
        commune=commune_label(found.commune),
        today=local_today(),
    )


@bp.route("/<id:centre_id>/modifier", methods=["GET", "POST"])
def edit_centre(centre_id: int) -> Response | str | tuple[str, int]:
    found = _get(TrainingCentre, centre_id)
    if request.method == "GET":
        form = _form_of(found, ops.CENTRE_FIELDS, {"commune": "commune_insee"})
        form["commune"] = commune_label(found.commune)
        return render_template("training/centre_form.html", form=form, errors={}, centre=found)
    return _saved_or_form(
        "training/centre_form.html",
        ops.CENTRE_FIELDS,
        lambda args: ops.update_centre(get_session(), current_actor(), found, **args),
        lambda saved: _to_centre(saved.id),
        "Le centre de formation est enregistré.",
        centre=found,
    )


@bp.route("/<id:centre_id>/supprimer", methods=["GET", "POST"])
def delete_centre(centre_id: int) -> Response | str:
    """Ask to confirm (GET), then delete the centre with its programmes and sessions (POST)."""
    found = _get(TrainingCentre, centre_id)
    if request.method == "GET":
        return render_template("training/centre_delete.html", centre=found)
    name = found.name
    ops.delete_centre(get_session(), current_actor(), found)
    get_session().commit()
    flash(f"Le centre « {name} » est supprimé, avec ses formations et leurs sessions.", "success")
    return redirect(url_for("training.centres"))


# --- Programmes ---------------------------------------------------------------------------------


def _programme_page(centre: TrainingCentre, programme: TrainingProgramme | None) -> dict[str, Any]:
    return {
        "centre": centre,
        "programme": programme,
        "metiers": queries.metier_options(get_session()),
    }


@bp.route("/<id:centre_id>/programmes/nouveau", methods=["GET", "POST"])
def new_programme(centre_id: int) -> Response | str | tuple[str, int]:
    found = _get(TrainingCentre, centre_id)
    context = _programme_page(found, None)
    if request.method == "GET":
        form = {"by_apprenticeship": "1"}
        return render_template("training/programme_form.html", form=form, errors={}, **context)
    return _saved_or_form(
        "training/programme_form.html",
        ops.PROGRAMME_FIELDS,
        lambda args: ops.create_programme(get_session(), current_actor(), found, **args),
        lambda _: _to_centre(found.id),
        "La formation est ajoutée au centre.",
        **context,
    )


@bp.route("/programmes/<id:programme_id>/modifier", methods=["GET", "POST"])
def edit_programme(programme_id: int) -> Response | str | tuple[str, int]:
    found = _get(TrainingProgramme, programme_id)
    context = _programme_page(found.centre, found)
    if request.method == "GET":
        form = _form_of(found, ops.PROGRAMME_FIELDS, {"metier": "metier_code"})
        form["by_apprenticeship"] = "1" if found.by_apprenticeship else ""
        return render_template("training/programme_form.html", form=form, errors={}, **context)
    return _saved_or_form(
        "training/programme_form.html",
        ops.PROGRAMME_FIELDS,
        lambda args: ops.update_programme(get_session(), current_actor(), found, **args),
        lambda saved: _to_centre(saved.centre_id),
        "La formation est enregistrée.",
        **context,
    )


@bp.post("/programmes/<id:programme_id>/supprimer")
def delete_programme(programme_id: int) -> Response:
    found = _get(TrainingProgramme, programme_id)
    centre_id = found.centre_id
    ops.delete_programme(get_session(), current_actor(), found)
    get_session().commit()
    flash("La formation est supprimée, avec ses sessions.", "success")
    return _to_centre(centre_id)


# --- Sessions -----------------------------------------------------------------------------------


@bp.route("/programmes/<id:programme_id>/sessions/nouvelle", methods=["GET", "POST"])
def new_session(programme_id: int) -> Response | str | tuple[str, int]:
    programme = _get(TrainingProgramme, programme_id)
    context = {"programme": programme, "intake": None}
    if request.method == "GET":
        return render_template("training/session_form.html", form={}, errors={}, **context)
    return _saved_or_form(
        "training/session_form.html",
        ops.SESSION_FIELDS,
        lambda args: ops.create_session(get_session(), current_actor(), programme, **args),
        lambda _: _to_centre(programme.centre_id),
        "La session est ajoutée.",
        **context,
    )


@bp.route("/sessions/<id:session_id>/modifier", methods=["GET", "POST"])
def edit_session(session_id: int) -> Response | str | tuple[str, int]:
    found = _get(TrainingSession, session_id)
    context = {"programme": found.programme, "intake": found}
    if request.method == "GET":
        form = _form_of(found, ops.SESSION_FIELDS, {})
        return render_template("training/session_form.html", form=form, errors={}, **context)
    return _saved_or_form(
        "training/session_form.html",
        ops.SESSION_FIELDS,
        lambda args: ops.update_session(get_session(), current_actor(), found, **args),
        lambda saved: _to_centre(saved.programme.centre_id),
        "La session est enregistrée.",
        **context,
    )


@bp.post("/sessions/<id:session_id>/supprimer")
def delete_session(session_id: int) -> Response:
    found = _get(TrainingSession, session_id)
    centre_id = found.programme.centre_id
    ops.delete_session(get_session(), current_actor(), found)
    get_session().commit()
    flash("La session est supprimée.", "success")
    return _to_centre(centre_id)


# --- Import -------------------------------------------------------------------------------------


@bp.route("/import", methods=["GET", "POST"])
def import_file() -> str | tuple[str, int]:
    return import_form("training/import.html", COLUMNS, import_centres)


@bp.get("/import/modele.csv")
def import_template() -> Response:
    """The header line and an example line, with a BOM so that spreadsheets read UTF-8."""
    return csv_download(template_csv(), TEMPLATE_FILENAME, bom=True)
