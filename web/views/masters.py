"""« Nos maîtres d'apprentissage » (issue 19): a structure declares who supervises its apprentices.

Each master: name, role, diploma, years of experience (what an apprenticeship contract states of
them, no more) and the apprentices they already supervise outside Passerelle. The list shows
each one's places left under the legal limit in force (a dated, sourced reference row) and the
offers naming them; an offer names its master on the offer form.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from data import queries
from data.errors import ValidationError
from data.models import ApprenticeshipMaster, Role
from data.operations import masters as ops
from web.db import get_session
from web.forms import values
from web.sessions import current_user, role_required

bp = Blueprint("masters", __name__, url_prefix="/employeur/maitres-apprentissage")


@bp.before_request
@role_required(Role.EMPLOYER)
def _only_employers() -> None:
    return None


def _employer_id() -> int:
    user = current_user()
    assert user is not None and user.employer_id is not None
    return user.employer_id


def _own(master_id: int) -> ApprenticeshipMaster:
    found = get_session().get(ApprenticeshipMaster, master_id)
    if found is None or found.employer_id != _employer_id():
        abort(404)
    return found


def _form_page(
    master: ApprenticeshipMaster | None, form: dict[str, str], errors: dict[str, list[str]]
) -> str:
    return render_template("masters/form.html", master=master, form=form, errors=errors)


def _save(master: ApprenticeshipMaster | None) -> Response | tuple[str, int]:
    """Create or change a master from the form; commit and go back to the list, or show the
    form again with the French messages (400), nothing written."""
    form = values(ops.MASTER_FIELDS)
    session = get_session()
    try:
        if master is None:
            ops.create_master(session, _employer_id(), form)
        else:
            ops.update_master(session, master, form)
    except ValidationError as exc:
        session.rollback()
        return _form_page(master, form, exc.errors), 400
    session.commit()
    flash("Le maître d'apprentissage est enregistré.", "success")
    return redirect(url_for("masters.list"))


@bp.get("", endpoint="list")
def list_masters() -> str:
    """The structure's masters, each with their places left and the offers naming them."""
    session = get_session()
    masters = queries.masters_of(session, _employer_id())
    ids = [m.id for m in masters]
    return render_template(
        "masters/list.html",
        masters=masters,
        capacities=queries.master_capacities(session, ids) or {},
        offers=queries.offers_by_master(session, ids),
        limit=queries.master_limit(session),
    )


@bp.route("/nouveau", methods=["GET", "POST"])
def new() -> Response | str | tuple[str, int]:
    if request.method == "GET":
        return _form_page(None, {"supervised_elsewhere": "0"}, {})
    return _save(None)


@bp.route("/<id:master_id>/modifier", methods=["GET", "POST"])
def edit(master_id: int) -> Response | str | tuple[str, int]:
    master = _own(master_id)
    if request.method == "GET":
        form = {name: str(getattr(master, name)) for name in ops.MASTER_FIELDS}
        return _form_page(master, form, {})
    return _save(master)


@bp.route("/<id:master_id>/supprimer", methods=["GET", "POST"])
def delete(master_id: int) -> Response | str:
    master = _own(master_id)
    if request.method == "GET":
        return render_template("masters/delete.html", master=master)
    name = master.name
    session = get_session()
    ops.delete_master(session, master)
    session.commit()
    flash(f"{name} n'est plus maître d'apprentissage de la structure.", "success")
    return redirect(url_for("masters.list"))
