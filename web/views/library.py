"""« Mallette de l'alternance » (issue 18): the library of resources, search and news.

Readers (anyone; signed in or not): the search with its filters, « Nouveautés » since their
last visit (anonymous: the last 30 days), a resource's page with its sanitised Markdown. Only
the coordinators see the resources written for the team alone; nobody else sees an
unpublished one. Coordinators: the list of every resource, create, edit, publish or withdraw,
and the history of the versions of a text.
"""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from data.errors import ValidationError
from data.models import LibraryAudience, LibraryCategory, LibraryResource, utcnow
from data.operations import library as ops
from data.presentation import choices
from data.presentation.markdown import render_markdown
from data.queries.library import library_news, library_resources, readable_resource, search_library
from data.queries.reference import metier_options
from web.cvfiles import send_pdf
from web.db import get_session
from web.forms import checked, values
from web.sessions import STAFF, current_actor, current_user, role_required

bp = Blueprint("library", __name__, url_prefix="/mallette")

#: How far back « Nouveautés » reach for a reader not signed in.
ANONYMOUS_NEWS_DAYS = 30
#: The longest search text read (beyond, a pasted text).
MAX_SEARCH = 200
TEXT_FIELDS = ("title", "summary", "body", "link", "category", "source", "up_to_date_on")
INVALID_CHOICE = "Choix invalide : choisissez une valeur de la liste."


def _is_staff() -> bool:
    user = current_user()
    return user is not None and user.role in STAFF


def _choice(raw: str, enum_class: Any, field: str, errors: dict[str, list[str]]) -> Any:
    if not raw:
        return None
    if raw in {m.value for m in enum_class}:
        return enum_class(raw)
    errors[field] = [INVALID_CHOICE]
    return None


@bp.get("")
def index() -> tuple[str, int]:
    session = get_session()
    staff = _is_staff()
    form = {k: request.args.get(k, "")[:MAX_SEARCH] for k in ("q", "categorie", "public", "metier")}
    errors: dict[str, list[str]] = {}
    category = _choice(form["categorie"], LibraryCategory, "categorie", errors)
    audience = _choice(form["public"], LibraryAudience, "public", errors)
    metiers = metier_options(session)
    if form["metier"] and form["metier"] not in {code for code, _ in metiers}:
        errors["metier"] = [INVALID_CHOICE]
    hits = (
        []
        if errors
        else search_library(
            session,
            form["q"],
            audience,
            category=category,
            metier=form["metier"] or None,
            staff=staff,
        )
    )
    user = current_user()
    if user is not None:
        since = ops.record_visit(session, user.id) or utcnow() - timedelta(days=ANONYMOUS_NEWS_DAYS)
        session.commit()
    else:
        since = utcnow() - timedelta(days=ANONYMOUS_NEWS_DAYS)
    audiences = [a for a in LibraryAudience if staff or a is not LibraryAudience.COORDINATORS]
    html = render_template(
        "library/index.html",
        form=form,
        errors=errors,
        hits=hits,
        searched=any(form.values()),
        news=library_news(session, since, staff=staff),
        since=since,
        signed_in=user is not None,
        categories=choices(LibraryCategory),
        audiences=choices(audiences),
        metiers=metiers,
    )
    return html, 400 if errors else 200


def _readable(resource_id: int) -> LibraryResource:
    found = readable_resource(get_session(), resource_id, staff=_is_staff())
    if found is None:
        abort(404)
    return found


@bp.get("/<id:resource_id>")
def resource(resource_id: int) -> str:
    found = _readable(resource_id)
    return render_template(
        "library/resource.html", resource=found, body=render_markdown(found.body)
    )


def library_dir() -> str:
    """Return the folder of the mallette's PDFs (the ``LIBRARY_DIR`` setting)."""
    return str(current_app.config["LIBRARY_DIR"])


@bp.get("/<id:resource_id>/document.pdf")
def document(resource_id: int) -> Response:
    found = _readable(resource_id)
    return send_pdf(ops.pdf_path(found, library_dir()), f"mallette-{found.id}.pdf")


# --- Coordinators ------------------------------------------------------------------------------


@bp.get("/gestion")
@role_required(*STAFF)
def manage() -> str:
    return render_template("library/manage.html", resources=library_resources(get_session()))


def _form_of(found: LibraryResource) -> dict[str, Any]:
    form: dict[str, Any] = {
        "title": found.title,
        "summary": found.summary,
        "body": found.body,
        "link": found.link or "",
        "category": found.category.value,
        "source": found.source or "",
        "up_to_date_on": found.up_to_date_on.isoformat(),
        "published": "1" if found.published else "",
    }
    form["audiences"] = [a.value for a in found.audiences]
    form["metiers"] = found.metier_codes
    return form


def _submitted() -> tuple[dict[str, Any], dict[str, Any]]:
    """Return the form as typed (for display) and the use case's arguments."""
    form: dict[str, Any] = values(TEXT_FIELDS)
    args: dict[str, Any] = dict(form)
    args["published"] = checked("published")
    form["published"] = "1" if args["published"] else ""
    form["audiences"] = args["audiences"] = [a[:40] for a in request.form.getlist("audiences")[:10]]
    form["metiers"] = args["metiers"] = [m[:64] for m in request.form.getlist("metiers")[:50]]
    return form, args


def _form_page(found: LibraryResource | None, form: dict[str, Any], errors: Any) -> str:
    return render_template(
        "library/form.html",
        resource=found,
        form=form,
        errors=errors,
        categories=choices(LibraryCategory),
        audiences=choices(LibraryAudience),
        metiers=metier_options(get_session()),
    )


def _save(found: LibraryResource | None) -> Response | tuple[str, int]:
    form, args = _submitted()
    session = get_session()
    try:
        if found is None:
            saved = ops.create_resource(session, current_actor(), **args)
        else:
            saved = ops.update_resource(session, current_actor(), found, **args)
    except ValidationError as exc:
        session.rollback()
        return _form_page(found, form, exc.errors), 400
    session.commit()
    flash(f"La ressource « {saved.title} » est enregistrée.", "success")
    return redirect(url_for("library.manage"))


def _load(resource_id: int) -> LibraryResource:
    found = get_session().get(LibraryResource, resource_id)
    if found is None:
        abort(404)
    return found


@bp.route("/nouvelle", methods=["GET", "POST"])
@role_required(*STAFF)
def new() -> Response | str | tuple[str, int]:
    if request.method == "POST":
        return _save(None)
    return _form_page(None, {"audiences": [], "metiers": []}, {})


@bp.route("/<id:resource_id>/modifier", methods=["GET", "POST"])
@role_required(*STAFF)
def edit(resource_id: int) -> Response | str | tuple[str, int]:
    found = _load(resource_id)
    if request.method == "POST":
        return _save(found)
    return _form_page(found, _form_of(found), {})


@bp.post("/<id:resource_id>/publier")
@role_required(*STAFF)
def publish(resource_id: int) -> Response:
    found = _load(resource_id)
    published = request.form.get("published") == "1"
    session = get_session()
    ops.set_published(session, current_actor(), found, published)
    session.commit()
    state = "publiée" if published else "retirée de la mallette"
    flash(f"La ressource « {found.title} » est {state}.", "success")
    return redirect(url_for("library.manage"))


@bp.get("/<id:resource_id>/versions")
@role_required(*STAFF)
def history(resource_id: int) -> str:
    return render_template("library/history.html", resource=_load(resource_id))


@bp.post("/<id:resource_id>/document")
@role_required(*STAFF)
def upload(resource_id: int) -> Response | tuple[str, int]:
    found = _load(resource_id)
    upload = request.files.get("pdf")
    session = get_session()
    try:
        ops.save_pdf(
            session,
            current_actor(),
            found,
            upload.read(ops.MAX_PDF_BYTES + 1) if upload else b"",
            library_dir(),
            filename=upload.filename if upload else None,
        )
    except ValidationError as exc:
        session.rollback()
        return _form_page(found, _form_of(found), exc.errors), 400
    session.commit()
    flash("Le document PDF est joint à la ressource.", "success")
    return redirect(url_for("library.edit", resource_id=found.id))


@bp.post("/<id:resource_id>/document/supprimer")
@role_required(*STAFF)
def remove_document(resource_id: int) -> Response:
    found = _load(resource_id)
    session = get_session()
    ops.delete_pdf(session, current_actor(), found, library_dir())
    session.commit()
    flash("Le document PDF est retiré de la ressource.", "success")
    return redirect(url_for("library.edit", resource_id=found.id))
