"""The plan's roadmap (issue 20): the public « Feuille de route du plan » (axes, actions, status,
progress, no editor's name) and the coordinators' pages to keep it (actions, status, budget lines,
indicators and their values), with its exports for the Département's reports (CSV and PDF).

Views parse the form, call one operation (``data.operations.plan``) and render; bad input gives the
form again with its French messages (400) and nothing written.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import TypeVar

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response as BaseResponse

from data.errors import NotFound, PermissionDenied, ValidationError
from data.models import (
    CoFunder,
    PlanAction,
    PlanActionStatus,
    PlanBudgetLine,
    PlanIndicator,
)
from data.operations import plan as ops
from data.operations._common import local_today
from data.presentation.export import csv_text
from data.presentation.labels import choices
from data.presentation.pdf import html_to_pdf
from data.presentation.plan import ACTION_COLUMNS, BUDGET_COLUMNS, funder_name
from data.queries import plan as pq
from data.queries.plan_observatory import observatory_indicator_keys, observatory_indicator_label
from web.csvfiles import csv_download
from web.db import get_session
from web.forms import flash_errors, values
from web.sessions import STAFF, current_actor, role_required

bp = Blueprint("plan", __name__, url_prefix="/feuille-de-route")
coordination_bp = Blueprint("plan_coordination", __name__, url_prefix="/coordination/plan")
BLUEPRINTS = (bp, coordination_bp)

ERRORS = (ValidationError, PermissionDenied, NotFound)
T = TypeVar("T")


@bp.get("")
def roadmap() -> str:
    """« Feuille de route du plan »: the axes, their actions and where they stand."""
    return render_template("plan/roadmap.html", plan=pq.roadmap(get_session()))


# --- Coordinators -------------------------------------------------------------------------------


@coordination_bp.before_request
@role_required(*STAFF)
def _only_staff() -> None:
    return None


def _axes() -> list[tuple[str, str]]:
    return [(str(a.number), f"Axe {a.number} – {a.title}") for a in pq.plan_axes(get_session())]


def _submit(
    fields: tuple[str, ...],
    run: Callable[[dict[str, str]], T],
    again: Callable[[dict[str, str], dict[str, list[str]]], str],
    done: str,
    to: Callable[[T], str],
) -> BaseResponse | tuple[str, int]:
    """Read a form, run one operation on it and commit, then say so and go to ``to(result)``;
    refused, the form again (``again``) with its French messages (400), nothing written."""
    form = values(fields)
    session = get_session()
    try:
        made = run(form)
    except ValidationError as exc:
        session.rollback()
        return again(form, exc.errors), 400
    session.commit()
    flash(done, "success")
    return redirect(to(made))


@coordination_bp.get("")
def index() -> str:
    """The roadmap to keep: every action by axis, the counts, the budget by year."""
    session = get_session()
    plan = pq.roadmap(session)
    actions = [a for axis in plan.axes for a in axis.actions]
    return render_template(
        "plan/index.html",
        plan=plan,
        budget=pq.budget_by_year(session),
        totals=pq.action_totals(actions),
        funders=list(CoFunder),
    )


def _action_form(action: PlanAction | None) -> dict[str, str]:
    if action is None:
        return {"status": PlanActionStatus.PLANNED.value}
    return {
        "axis": str(action.axis.number),
        "title": action.title,
        "description": action.description,
        "lead": action.lead,
        "partners": action.partners,
        "status": action.status.value,
        "action_start": action.starts_on.isoformat() if action.starts_on else "",
        "action_end": action.ends_on.isoformat() if action.ends_on else "",
        "source": action.source,
    }


def _new_page(form: dict[str, str], errors: dict[str, list[str]]) -> str:
    return render_template(
        "plan/new.html",
        form=form,
        errors=errors,
        axes=_axes(),
        statuses=choices(PlanActionStatus),
    )


@coordination_bp.route("/nouvelle", methods=["GET", "POST"])
def new() -> BaseResponse | str | tuple[str, int]:
    """Add an action to the plan."""
    if request.method == "GET":
        return _new_page(_action_form(None), {})
    return _submit(
        ops.ACTION_FIELDS,
        lambda form: ops.save_action(get_session(), current_actor(), form),
        _new_page,
        "L'action est ajoutée à la feuille de route.",
        lambda action: url_for("plan_coordination.action", action_id=action.id),
    )


def _action_or_404(action_id: int) -> PlanAction:
    found = get_session().get(PlanAction, action_id)
    if found is None:
        abort(404)
    return found


def _action_page(
    action: PlanAction,
    form: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    budget_form: dict[str, str] | None = None,
    indicator_form: dict[str, str] | None = None,
) -> str:
    return render_template(
        "plan/action.html",
        action=action,
        form=form if form is not None else _action_form(action),
        errors=errors or {},
        budget_form=budget_form or {},
        indicator_form=indicator_form or {},
        axes=_axes(),
        statuses=choices(PlanActionStatus),
        funders=choices(CoFunder),
        observatory=[(k, observatory_indicator_label(k)) for k in observatory_indicator_keys()],
        indicators=pq.indicator_views(get_session(), action, local_today()),
        funder_name=funder_name,
    )


@coordination_bp.route("/actions/<id:action_id>", methods=["GET", "POST"])
def action(action_id: int) -> BaseResponse | str | tuple[str, int]:
    """An action: its form, its status, its budget lines and its indicators."""
    found = _action_or_404(action_id)
    if request.method == "GET":
        return _action_page(found)
    return _submit(
        ops.ACTION_FIELDS,
        lambda form: ops.save_action(get_session(), current_actor(), form, found),
        lambda form, errors: _action_page(found, form, errors),
        "L'action est enregistrée.",
        lambda action: url_for("plan_coordination.action", action_id=action.id),
    )


@coordination_bp.post("/actions/<id:action_id>/statut")
def status(action_id: int) -> BaseResponse:
    """Move an action to another status (one button per status)."""
    found = _action_or_404(action_id)
    session = get_session()
    try:
        ops.set_status(session, current_actor(), found, request.form.get("status", ""))
    except ERRORS as exc:
        flash_errors(exc)
    else:
        session.commit()
        flash("Le statut de l'action est changé.", "success")
    return redirect(url_for("plan_coordination.action", action_id=found.id))


@coordination_bp.post("/actions/<id:action_id>/budget")
def add_budget(action_id: int) -> BaseResponse | tuple[str, int]:
    """Add a budget line to an action."""
    found = _action_or_404(action_id)
    return _submit(
        ops.BUDGET_FIELDS,
        lambda form: ops.add_budget_line(get_session(), current_actor(), found, form),
        lambda form, errors: _action_page(found, errors=errors, budget_form=form),
        "La ligne de budget est ajoutée.",
        _budget_of,
    )


def _budget_of(line: PlanBudgetLine) -> str:
    return url_for("plan_coordination.action", action_id=line.action_id) + "#budget"


def _line_or_404(line_id: int) -> PlanBudgetLine:
    found = get_session().get(PlanBudgetLine, line_id)
    if found is None:
        abort(404)
    return found


@coordination_bp.route("/budget/<id:line_id>", methods=["GET", "POST"])
def budget_line(line_id: int) -> BaseResponse | str | tuple[str, int]:
    """Change a budget line."""
    line = _line_or_404(line_id)

    def page(form: dict[str, str], errors: dict[str, list[str]]) -> str:
        return render_template(
            "plan/budget_line.html",
            line=line,
            form=form,
            errors=errors,
            funders=choices(CoFunder),
        )

    if request.method == "GET":
        return page(
            {
                "year": str(line.year),
                "amount_eur": f"{line.amount_cents / 100:.2f}".replace(".", ","),
                "funder": line.funder.value,
                "funder_name": line.funder_name,
            },
            {},
        )
    return _submit(
        ops.BUDGET_FIELDS,
        lambda form: ops.edit_budget_line(get_session(), current_actor(), line, form),
        page,
        "La ligne de budget est enregistrée.",
        _budget_of,
    )


@coordination_bp.post("/budget/<id:line_id>/supprimer")
def delete_budget(line_id: int) -> BaseResponse:
    """Remove a budget line."""
    line = _line_or_404(line_id)
    action_id = line.action_id
    session = get_session()
    ops.delete_budget_line(session, current_actor(), line)
    session.commit()
    flash("La ligne de budget est supprimée.", "success")
    return redirect(url_for("plan_coordination.action", action_id=action_id) + "#budget")


@coordination_bp.post("/actions/<id:action_id>/indicateurs")
def add_indicator(action_id: int) -> BaseResponse | tuple[str, int]:
    """Give an action an indicator: the observatory's, or one kept by hand."""
    found = _action_or_404(action_id)

    def to(indicator: PlanIndicator) -> str:
        if indicator.observatory_key is None:
            return url_for("plan_coordination.indicator", indicator_id=indicator.id)
        return url_for("plan_coordination.action", action_id=found.id) + "#indicateurs"

    return _submit(
        ops.INDICATOR_FIELDS,
        lambda form: ops.add_indicator(get_session(), current_actor(), found, form),
        lambda form, errors: _action_page(found, errors=errors, indicator_form=form),
        "L'indicateur est ajouté.",
        to,
    )


@coordination_bp.route("/indicateurs/<id:indicator_id>", methods=["GET", "POST"])
def indicator(indicator_id: int) -> BaseResponse | str | tuple[str, int]:
    """An indicator kept by hand: its dated values, and a form to enter one more."""
    found = get_session().get(PlanIndicator, indicator_id)
    if found is None or found.observatory_key is not None:
        abort(404)

    def page(form: dict[str, str], errors: dict[str, list[str]]) -> str:
        return render_template("plan/indicator.html", indicator=found, form=form, errors=errors)

    if request.method == "GET":
        return page({"measured_on": local_today().isoformat()}, {})
    return _submit(
        ops.VALUE_FIELDS,
        lambda form: ops.add_indicator_value(get_session(), current_actor(), found, form),
        page,
        "La valeur est enregistrée.",
        lambda value: url_for("plan_coordination.indicator", indicator_id=value.indicator_id),
    )


@coordination_bp.get("/feuille-de-route.csv")
def export_csv() -> Response:
    """The actions, one line each, for the Département's reports."""
    rows = pq.plan_actions(get_session())
    return csv_download(csv_text(ACTION_COLUMNS, rows), "feuille-de-route-actions.csv")


@coordination_bp.get("/budget.csv")
def export_budget_csv() -> Response:
    """The budget lines, one line each."""
    rows = pq.budget_lines(get_session())
    return csv_download(csv_text(BUDGET_COLUMNS, rows), "feuille-de-route-budget.csv")


@coordination_bp.get("/feuille-de-route.pdf")
def export_pdf() -> Response:
    """The roadmap and its budget as a PDF, for the Département's reports."""
    session = get_session()
    plan = pq.roadmap(session)
    actions = [a for axis in plan.axes for a in axis.actions]
    html = render_template(
        "plan/pdf.html",
        plan=plan,
        budget=pq.budget_by_year(session),
        totals=pq.action_totals(actions),
        funders=list(CoFunder),
        today=local_today(),
    )
    return Response(
        html_to_pdf(html),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": 'attachment; filename="feuille-de-route.pdf"',
            "Cache-Control": "no-store",
        },
    )
