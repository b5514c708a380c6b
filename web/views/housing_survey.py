"""The housing survey (issue 17, « Recensement des logements »): the coordinators' pages
(campaigns, their response rate, send, remind, close, the answers and their CSV export) and the
structures' form, opened by the link of their mail without signing in."""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from data import queries
from data.errors import Conflict, NotFound, ValidationError
from data.models import (
    Commune,
    HousingAnswer,
    HousingKind,
    HousingSurvey,
    HousingSurveyInvite,
    StructureKind,
)
from data.operations import housing_survey as ops
from data.operations._common import local_today
from data.operations.communes import commune_label
from data.presentation import choices
from data.presentation.export import SURVEY_ANSWER_COLUMNS, csv_text
from data.presentation.formatters import plural
from data.presentation.labels import SURVEY_STATE_LABELS
from web.csvfiles import csv_download
from web.db import get_session
from web.forms import checked, small_int, values
from web.mailing import base_url
from web.sessions import STAFF, current_actor, role_required

bp = Blueprint("housing_survey", __name__, url_prefix="/coordination/recensement-logements")
public_bp = Blueprint("housing_survey_public", __name__, url_prefix="/logement/recensement")

CREATE_FIELDS = ("title", "message", "closes_on", "departements", "communes")


@bp.before_request
@role_required(*STAFF)
def _only_staff() -> None:
    return None


def _survey(survey_id: int) -> HousingSurvey:
    found = get_session().get(HousingSurvey, survey_id)
    if found is None:
        abort(404)
    return found


def _invites(survey: HousingSurvey) -> list[HousingSurveyInvite]:
    return queries.survey_invites(get_session(), survey.id)


@bp.get("")
def surveys() -> str:
    """Every campaign, newest first, with its response rate."""
    session = get_session()
    found = queries.surveys(session)
    return render_template(
        "housing_survey/surveys.html", stats=ops.survey_stats(session, found), state=_state
    )


def _state(survey: HousingSurvey) -> str:
    return SURVEY_STATE_LABELS[ops.survey_state(survey)]


def _filter_args() -> dict[str, Any]:
    return {
        "structure_kinds": request.form.getlist("structure_kinds"),
        "departements": request.form.get("departements", ""),
        "communes": request.form.get("communes", ""),
        "without_housing": checked("without_housing"),
    }


@bp.route("/nouveau", methods=["GET", "POST"])
def new_survey() -> Response | str | tuple[str, int]:
    """The campaign's form; « Compter » shows how many structures it asks, « Créer » saves it."""
    session = get_session()
    context: dict[str, Any] = {"kinds": choices(StructureKind), "preview": None}
    if request.method == "GET":
        form: dict[str, Any] = {"title": f"Recensement des logements – {local_today():%m/%Y}"}
        return render_template("housing_survey/new.html", form=form, errors={}, **context)
    form = dict(values(CREATE_FIELDS))
    form["structure_kinds"] = request.form.getlist("structure_kinds")
    form["without_housing"] = "1" if checked("without_housing") else ""
    try:
        if request.form.get("action") == "preview":
            filters = ops.parse_filters(session, **_filter_args())
            context["preview"] = ops.preview_count(session, filters)
            return render_template("housing_survey/new.html", form=form, errors={}, **context)
        survey = ops.create_survey(
            session,
            current_actor(),
            title=form["title"],
            message=form["message"],
            closes_on=form["closes_on"],
            **_filter_args(),
        )
    except ValidationError as exc:
        session.rollback()
        return render_template(
            "housing_survey/new.html", form=form, errors=exc.errors, **context
        ), 400
    session.commit()
    flash("Le recensement est créé. Vérifiez-le, puis envoyez-le.", "success")
    return redirect(url_for("housing_survey.survey", survey_id=survey.id))


@bp.get("/<id:survey_id>")
def survey(survey_id: int) -> str:
    """One campaign: its figures, its actions and the answers."""
    session = get_session()
    found = _survey(survey_id)
    filters = ops.SurveyFilters.from_json(found.filters)
    return render_template(
        "housing_survey/survey.html",
        survey=found,
        stats=ops.survey_stats(session, [found])[0],
        invites=_invites(found),
        open=ops.is_open(found),
        state=_state(found),
        auto_days=ops.AUTO_REMINDER_DAYS,
        filters=filters,
        target_count=ops.preview_count(session, filters) if found.sent_at is None else None,
        communes=[commune_label(c) for c in _communes(filters.communes)],
    )


def _communes(codes: tuple[str, ...]) -> list[Commune]:
    if not codes:
        return []
    return list(get_session().scalars(select(Commune).where(Commune.insee.in_(codes))))


def _act(survey_id: int, action: str) -> Response:
    session = get_session()
    found = _survey(survey_id)
    base = base_url()
    try:
        if action == "send":
            sent = ops.send_survey(session, current_actor(), found, base_url=base)
            message = (
                "Ce recensement était déjà envoyé."
                if sent.already_sent
                else _sent_message(sent.queued, sent.opted_out, sent.no_address)
            )
        elif action == "remind":
            round_number = small_int(request.form.get("round", ""), 1, 999) or 0
            done = ops.remind_survey(
                session, current_actor(), found, round_number=round_number, base_url=base
            )
            message = (
                "Cette relance était déjà envoyée."
                if done.already_sent
                else f"Relance envoyée à {_structures(done.queued)}"
                + (f" ; {_structures(done.opted_out)} désabonnées" if done.opted_out else "")
                + "."
            )
        else:
            closed = ops.close_survey(session, current_actor(), found)
            message = "Le recensement est clos." if closed else "Ce recensement était déjà clos."
    except Conflict as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("housing_survey.survey", survey_id=survey_id))
    session.commit()
    flash(message, "success")
    return redirect(url_for("housing_survey.survey", survey_id=survey_id))


def _structures(n: int) -> str:
    return plural(n, "structure", "structures")


def _sent_message(queued: int, opted_out: int, no_address: int) -> str:
    parts = [f"Recensement envoyé à {_structures(queued)}"]
    if opted_out:
        parts.append(f"{_structures(opted_out)} désabonnées de nos courriels")
    if no_address:
        parts.append(f"{_structures(no_address)} sans adresse électronique")
    return " ; ".join(parts) + "."


@bp.post("/<id:survey_id>/envoyer")
def send(survey_id: int) -> Response:
    """Send the campaign (a second click sends nothing more)."""
    return _act(survey_id, "send")


@bp.post("/<id:survey_id>/relancer")
def remind(survey_id: int) -> Response:
    """Remind the structures that did not answer (the round the page showed)."""
    return _act(survey_id, "remind")


@bp.post("/<id:survey_id>/clore")
def close(survey_id: int) -> Response:
    """Close the campaign: answers are read-only from now on."""
    return _act(survey_id, "close")


@bp.get("/<id:survey_id>/reponses.csv")
def export(survey_id: int) -> Response:
    """The campaign's invitations and answers, one line per structure."""
    found = _survey(survey_id)
    text = csv_text(SURVEY_ANSWER_COLUMNS, _invites(found))
    return csv_download(text, f"recensement-logements-{found.id}.csv")


# --- The structures' form -----------------------------------------------------------------------


def _invite_or_404(token: str) -> HousingSurveyInvite:
    invite = ops.find_invite(get_session(), token)
    if invite is None:
        abort(404)
    return invite


def _answer_form(invite: HousingSurveyInvite) -> dict[str, Any]:
    def text(value: object) -> str:
        if value is None:
            return ""
        return str(getattr(value, "value", value))

    return {
        "answer": text(invite.answer),
        "housing_kind": text(invite.kind),
        "beds": text(invite.beds),
        "monthly_cost_eur": text(invite.monthly_cost_eur),
        "site_id": text(invite.site_id),
        "commune": commune_label(invite.commune) if invite.commune and not invite.site_id else "",
        "notes": text(invite.notes),
        "contact_name": text(invite.contact_name),
        "contact_email": text(invite.contact_email),
        "contact_phone": text(invite.contact_phone),
    }


def _form_page(
    invite: HousingSurveyInvite, form: dict[str, Any], errors: dict[str, list[str]]
) -> str:
    sites = invite.employer.sites
    return render_template(
        "housing_survey/answer.html",
        invite=invite,
        survey=invite.survey,
        open=ops.is_open(invite.survey),
        form=form,
        errors=errors,
        answers=choices(HousingAnswer),
        kinds=choices(HousingKind),
        sites=[(s.id, f"{s.name} ({s.commune.name})") for s in sites],
    )


@public_bp.get("/<token>")
def form(token: str) -> str:
    """The survey's form for the structure the link names (its answer, if any, to edit); once
    the campaign is closed, the answer read-only."""
    invite = _invite_or_404(token)
    return _form_page(invite, _answer_form(invite), {})


@public_bp.post("/<token>")
def answer(token: str) -> Response | tuple[str, int]:
    """Record the answer (CSRF-checked like every form; the token names the structure)."""
    session = get_session()
    invite = _invite_or_404(token)
    form = values(ops.ANSWER_FIELDS)
    try:
        ops.answer_survey(session, token, dict(form))
    except ValidationError as exc:
        session.rollback()
        return _form_page(invite, form, exc.errors), 400
    except (Conflict, NotFound) as exc:
        session.rollback()
        flash(str(exc) if isinstance(exc, Conflict) else ops.CLOSED, "error")
        return redirect(url_for("housing_survey_public.form", token=token))
    session.commit()
    flash("Merci : votre réponse est enregistrée.", "success")
    return redirect(url_for("housing_survey_public.form", token=token, _anchor="reponse"))
