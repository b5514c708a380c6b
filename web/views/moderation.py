"""Moderation pages of the coordination: the structures to check, suspend, reinstate; an offer
withdrawn or reopened (each with its reason, in the audit log; the operations are
:mod:`data.operations.moderation`)."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from werkzeug.wrappers import Response

from data import queries
from data.errors import Conflict, ValidationError
from data.models import Employer, Offer, StructureCheck
from data.operations import audit
from data.operations import moderation as mod
from data.platform_settings import get_structures_check
from data.presentation import label, plural
from data.presentation.labels import MODERATION_LABELS
from data.queries.moderation import moderation_history, structure_rows
from web.db import get_session
from web.mailing import base_url
from web.sessions import STAFF, current_actor, role_required

bp = Blueprint("structures", __name__, url_prefix="/coordination/structures")

#: The contact fields these pages show (their views are written to the audit log).
EMPLOYER_FIELDS = ("contact_name", "contact_email", "contact_phone")


@bp.before_request
@role_required(*STAFF)
def _only_staff() -> None:
    return None


def _employer(employer_id: int) -> Employer:
    found = get_session().get(Employer, employer_id)
    if found is None:
        abort(404)
    return found


def _offer(offer_id: int) -> Offer:
    found = get_session().get(Offer, offer_id)
    if found is None:
        abort(404)
    return found


def _kept_pairs(n: int) -> str:
    """Say that the pairs under way are kept (a suspension or a withdrawal ends none)."""
    if not n:
        return ""
    kept = plural(
        n, "mise en relation en cours est conservée", "mises en relation en cours sont conservées"
    )
    return f" {kept} : suivez-{'la' if n == 1 else 'les'} avec les personnes concernées."


@bp.get("/")
def queue() -> str:
    """The structures to check, oldest first, with what they declared; then the suspended."""
    session = get_session()
    to_check = structure_rows(session, StructureCheck.TO_CHECK)
    suspended = structure_rows(session, StructureCheck.SUSPENDED)
    if to_check or suspended:
        me = current_actor()
        for row in (*to_check, *suspended):
            audit.log_access(session, me, audit.EMPLOYER, row.employer.id, EMPLOYER_FIELDS)
        session.commit()
    return render_template(
        "coordinator/structures.html",
        to_check=to_check,
        suspended=suspended,
        rule=get_structures_check(session),
    )


def _structure_page(
    employer: Employer, errors: dict[str, list[str]], status: int = 200
) -> str | tuple[str, int]:
    """Render a structure's page (with the messages of a form sent back, and its status)."""
    session = get_session()
    audit.log_access(session, current_actor(), audit.EMPLOYER, employer.id, EMPLOYER_FIELDS)
    session.commit()
    html = render_template(
        "coordinator/structure.html",
        employer=employer,
        row=structure_rows(session, employer.check_status, employer_id=employer.id)[0],
        offers=queries.employer_offers(session, employer.id),
        history=moderation_history(session, employer),
        labels=MODERATION_LABELS,
        live_pairs=mod.live_pairs(session, employer),
        errors=errors,
        form=request.form,
    )
    return (html, status) if status != 200 else html


@bp.get("/<id:employer_id>")
def structure(employer_id: int) -> str | tuple[str, int]:
    """One structure: what it declared, its offers, its moderation history, the actions."""
    return _structure_page(_employer(employer_id), {})


def _refused(exc: Exception, target: Response) -> Response:
    get_session().rollback()
    flash(str(exc), "error")
    return target


@bp.post("/<id:employer_id>/verifier")
def check(employer_id: int) -> Response:
    """« Structure vérifiée »: its waiting offers are published, its people told by mail."""
    employer = _employer(employer_id)
    session = get_session()
    back = redirect(url_for("structures.queue"))
    try:
        result = mod.check_structure(session, employer, current_actor(), base_url=base_url())
    except Conflict as exc:
        return _refused(exc, back)
    session.commit()
    published = len(result.offers)
    flash(
        f"{employer.name} est vérifiée : "
        + (
            f"{plural(published, 'offre publiée', 'offres publiées')}."
            if published
            else "aucune offre n'attendait."
        )
        + " Ses membres sont prévenus par courriel.",
        "success",
    )
    return back


@bp.post("/<id:employer_id>/suspendre")
def suspend(employer_id: int) -> Response | tuple:
    """Suspend a structure, with a reason: its offers are no longer offered, its people told."""
    employer = _employer(employer_id)
    session = get_session()
    target = redirect(url_for("structures.structure", employer_id=employer.id))
    try:
        result = mod.suspend_structure(
            session,
            employer,
            current_actor(),
            request.form.get("reason", ""),
            base_url=base_url(),
        )
    except ValidationError as exc:
        session.rollback()
        flash("Indiquez le motif de la suspension.", "error")
        return _structure_page(employer, exc.errors, 400)
    except Conflict as exc:
        return _refused(exc, target)
    session.commit()
    held = len(result.offers)
    flash(
        f"{employer.name} est suspendue : "
        f"{plural(held, 'offre retirée', 'offres retirées')} des candidats."
        + _kept_pairs(result.live_pairs)
        + " Ses membres sont prévenus par courriel.",
        "success",
    )
    return target


@bp.post("/<id:employer_id>/retablir")
def reinstate(employer_id: int) -> Response:
    """Lift a suspension: the structure is checked, its held offers published again."""
    employer = _employer(employer_id)
    session = get_session()
    target = redirect(url_for("structures.structure", employer_id=employer.id))
    try:
        result = mod.reinstate_structure(
            session,
            employer,
            current_actor(),
            request.form.get("reason") or None,
            base_url=base_url(),
        )
    except (Conflict, ValidationError) as exc:
        return _refused(exc, target)
    session.commit()
    flash(
        f"{employer.name} est rétablie : "
        f"{plural(len(result.offers), 'offre publiée', 'offres publiées')} de nouveau."
        " Ses membres sont prévenus par courriel.",
        "success",
    )
    return target


@bp.post("/offres/<id:offer_id>/<any(retirer, rouvrir):action>")
def offer_action(offer_id: int, action: str) -> Response | tuple:
    """Withdraw one offer, or reopen it, with a reason (the structure's people are told)."""
    offer = _offer(offer_id)
    employer = offer.site.employer
    session = get_session()
    target = redirect(url_for("structures.structure", employer_id=employer.id))
    operation = mod.unpublish_offer if action == "retirer" else mod.reopen_offer
    try:
        result = operation(
            session, offer, current_actor(), request.form.get("reason", ""), base_url=base_url()
        )
    except ValidationError as exc:
        session.rollback()
        flash(" ".join(m for ms in exc.errors.values() for m in ms), "error")
        return _structure_page(employer, {}, 400)
    except Conflict as exc:
        return _refused(exc, target)
    session.commit()
    if action == "retirer":
        message = "L'offre est retirée : elle n'est plus proposée aux candidats." + _kept_pairs(
            result.live_pairs
        )
    else:
        message = f"L'offre est rouverte (« {label(offer.status)} »)."
    flash(message + " La structure est prévenue par courriel.", "success")
    return target
