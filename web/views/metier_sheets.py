"""« Les métiers »: the public list and a sheet per métier with live figures; coordinators edit
a sheet, read its history and restore a version (issue 18)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from data import queries
from data.errors import ValidationError
from data.models import MetierSheetVersion
from data.operations import metier_sheets as ops
from data.operations._common import local_today
from data.presentation import render_markdown
from web.db import get_session
from web.forms import values
from web.sessions import STAFF, current_actor, role_required
from web.views.candidate import DIPLOMA_LEVELS

bp = Blueprint("metier_sheets", __name__, url_prefix="/metiers")

FIELDS = ("body", "sources")


@bp.get("")
def index() -> str:
    return render_template(
        "metier_sheets/index.html", entries=queries.metier_entries(get_session())
    )


def _page(code: str) -> queries.MetierSheetPage:
    found = queries.metier_sheet_page(get_session(), code, local_today())
    if found is None:
        abort(404)
    return found


@bp.get("/<code>")
def sheet(code: str) -> str:
    return render_template(
        "metier_sheets/sheet.html",
        page=_page(code),
        today=local_today(),
        levels=dict(DIPLOMA_LEVELS),
    )


@bp.route("/<code>/modifier", methods=["GET", "POST"])
@role_required(*STAFF)
def edit(code: str) -> Response | str | tuple[str, int]:
    page = _page(code)
    if request.method == "GET":
        form = {
            "body": page.sheet.body if page.sheet else "",
            "sources": page.sheet.sources if page.sheet else "",
        }
        return render_template("metier_sheets/edit.html", page=page, form=form, errors={})
    form = values(FIELDS)
    if request.form.get("action") == "apercu":
        return render_template(
            "metier_sheets/edit.html",
            page=page,
            form=form,
            errors={},
            preview=render_markdown(form["body"]),
            preview_sources=render_markdown(form["sources"]),
        )
    session = get_session()
    try:
        ops.save_sheet(session, current_actor(), page.metier.code, form["body"], form["sources"])
    except ValidationError as exc:
        session.rollback()
        return (
            render_template("metier_sheets/edit.html", page=page, form=form, errors=exc.errors),
            400,
        )
    session.commit()
    flash("La fiche métier est enregistrée.", "success")
    return redirect(url_for("metier_sheets.sheet", code=page.metier.code))


@bp.get("/<code>/historique")
@role_required(*STAFF)
def history(code: str) -> str:
    page = _page(code)
    versions = queries.sheet_versions(get_session(), page.sheet.id) if page.sheet else []
    return render_template("metier_sheets/history.html", page=page, versions=versions)


@bp.post("/<code>/versions/<id:version_id>/restaurer")
@role_required(*STAFF)
def restore(code: str, version_id: int) -> Response:
    session = get_session()
    old = session.get(MetierSheetVersion, version_id)
    if old is None or old.sheet.metier_code != code:
        abort(404)
    try:
        ops.restore_version(session, current_actor(), version_id)
    except ValidationError as exc:
        session.rollback()
        flash(" ".join(m for ms in exc.errors.values() for m in ms), "error")
        return redirect(url_for("metier_sheets.history", code=code))
    session.commit()
    flash("La version choisie est de nouveau le texte de la fiche.", "success")
    return redirect(url_for("metier_sheets.history", code=code))
