"""Discovery days (issue 18): the structures' « Journées de découverte », the people's
« Découvrir un métier », the coordinators' review, and the printable summary (PDF).

Every object is loaded through an ``_own_*`` helper that answers 404 for anything of another
structure or person. Views parse the form, call one operation (``data.operations.discovery``),
and render; a French message for bad input, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta
from typing import Any, TypeVar

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from data import queries
from data.errors import Conflict, InvalidTransition, PermissionDenied, ValidationError
from data.mail.links import url as mail_url
from data.models import (
    AgeBand,
    Candidate,
    DiscoveryDay,
    DiscoveryMatch,
    DiscoveryMatchStatus,
    DiscoveryWish,
    Employer,
    Role,
    User,
)
from data.operations import discovery as ops
from data.operations._common import local_today
from data.operations.communes import commune_label, resolve_commune
from data.operations.validation import MAX_ID
from data.presentation import choices
from data.presentation.pdf import html_to_pdf
from data.presentation.questionnaires import question_set
from data.queries import discovery as dq
from web.db import get_session
from web.forms import small_int, values
from web.mailing import base_url
from web.sessions import STAFF, current_actor, current_user, role_required

employer_bp = Blueprint("discovery_employer", __name__, url_prefix="/employeur/decouvertes")
candidate_bp = Blueprint("discovery_candidate", __name__, url_prefix="/candidat/decouvertes")
coordination_bp = Blueprint(
    "discovery_coordination", __name__, url_prefix="/coordination/decouvertes"
)
BLUEPRINTS = (employer_bp, candidate_bp, coordination_bp)

M = DiscoveryMatchStatus
T = TypeVar("T")
#: The ask's form: the commune is typed (resolved here), the rest as the operation names it.
#: How long a person is taken to be free, by default, from tomorrow (they change it).
DEFAULT_FREE_DAYS = 60
WISH_FORM = ("metier_code", "commune", "max_distance_km", "free_from", "free_until", "age_band")
DAY_SAVED = (
    "Vos journées de découverte sont enregistrées : la coordination vous proposera des personnes."
)
WISH_SAVED = (
    "Votre demande de découverte est enregistrée : l'équipe de coordination vous proposera des "
    "journées près de chez vous et vous préviendra par courriel."
)


def _user() -> User:
    user = current_user()
    assert user is not None
    return user


def _pdf(match: DiscoveryMatch) -> Response:
    """The printable summary of a discovery, as a PDF download."""
    html = render_template(
        "discovery/summary_pdf.html",
        match=match,
        day=match.day,
        wish=match.wish,
        metier_url=mail_url(base_url(), "public_metier", code=match.day.metier_code),
    )
    return Response(
        html_to_pdf(html),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="decouverte-{match.id}.pdf"',
            "Cache-Control": "no-store",
        },
    )


def _reason() -> str:
    return request.form.get("reason", "")


def _fail(exc: Exception) -> None:
    """Roll back and tell the person why, in French, on the next page."""
    get_session().rollback()
    if isinstance(exc, ValidationError):
        for messages in exc.errors.values():
            for message in messages:
                flash(message, "error")
    elif isinstance(exc, InvalidTransition):
        flash("Cette découverte a déjà changé d'étape : rien n'est modifié.", "error")
    else:
        flash(str(exc), "error")


DECISION_ERRORS = (ValidationError, Conflict, InvalidTransition, PermissionDenied)


def _get_or_404(model: type[T], obj_id: int | None, owned: Callable[[T], bool] = bool) -> T:
    """The row of ``model`` by id if the signed-in person may see it; else 404."""
    found = get_session().get(model, obj_id) if obj_id is not None else None
    if found is None or not owned(found):
        abort(404)
    return found


def _act(action: Callable[[], object], success: str) -> None:
    """Run one operation; commit and say ``success``, or roll back and say why, in French."""
    try:
        action()
    except DECISION_ERRORS as exc:
        _fail(exc)
    else:
        get_session().commit()
        flash(success, "success")


# --- The structure's days -----------------------------------------------------------------------


@employer_bp.before_request
@role_required(Role.EMPLOYER)
def _only_employers() -> None:
    return None


def _employer() -> Employer:
    return _get_or_404(Employer, _user().employer_id)


def _own_day(day_id: int) -> DiscoveryDay:
    return _get_or_404(DiscoveryDay, day_id, lambda d: d.employer_id == _user().employer_id)


def _own_guest(match_id: int) -> DiscoveryMatch:
    return _get_or_404(
        DiscoveryMatch,
        match_id,
        lambda m: (
            m.day.employer_id == _user().employer_id
            and m.status in (M.PLANNED, M.DONE, M.CANCELLED)
        ),
    )


@employer_bp.get("/")
def days() -> str:
    """The structure's discovery days."""
    employer = _employer()
    return render_template(
        "discovery/employer_days.html",
        days=dq.employer_days(get_session(), employer.id),
        today=local_today(),
    )


def _day_form_page(
    form: dict[str, Any], errors: dict[str, list[str]], day: DiscoveryDay | None, status: int = 200
) -> tuple[str, int]:
    employer = _employer()
    html = render_template(
        "discovery/day_form.html",
        form=form,
        errors=errors,
        day=day,
        sites=[(s.id, f"{s.name} ({s.commune.name})") for s in employer.sites],
        metiers=queries.metier_options(get_session()),
    )
    return html, status


@employer_bp.route("/nouvelles", methods=["GET", "POST"])
def new_day() -> BaseResponse | tuple[str, int]:
    """Open discovery days."""
    if request.method == "GET":
        return _day_form_page({"places": "1"}, {}, None)
    form = values(ops.DAY_FIELDS)
    session = get_session()
    try:
        day = ops.create_day(session, current_actor(), _employer(), form)
    except ValidationError as exc:
        session.rollback()
        return _day_form_page(form, exc.errors, None, 400)
    session.commit()
    flash(DAY_SAVED, "success")
    return redirect(url_for(".day", day_id=day.id))


def _day_form_of(day: DiscoveryDay) -> dict[str, str]:
    return {
        "site_id": str(day.site_id),
        "metier_code": day.metier_code,
        "starts_on": day.starts_on.isoformat(),
        "ends_on": day.ends_on.isoformat(),
        "places": str(day.places),
        "host_name": day.host_name,
        "host_role": day.host_role or "",
        "meeting_time": day.meeting_time.strftime("%H:%M") if day.meeting_time else "",
        "meeting_place": day.meeting_place or "",
        "what_to_bring": day.what_to_bring or "",
        "notes": day.notes or "",
    }


@employer_bp.route("/<id:day_id>/modifier", methods=["GET", "POST"])
def edit_day(day_id: int) -> BaseResponse | tuple[str, int]:
    """Change discovery days (never fewer places than the people planned)."""
    day = _own_day(day_id)
    if request.method == "GET":
        return _day_form_page(_day_form_of(day), {}, day)
    form = values(ops.DAY_FIELDS)
    session = get_session()
    try:
        ops.update_day(session, current_actor(), day, form)
    except ValidationError as exc:
        session.rollback()
        return _day_form_page(form, exc.errors, day, 400)
    except Conflict as exc:
        _fail(exc)
        return redirect(url_for(".day", day_id=day_id))
    session.commit()
    flash(DAY_SAVED, "success")
    return redirect(url_for(".day", day_id=day.id))


@employer_bp.get("/<id:day_id>")
def day(day_id: int) -> str:
    """The days, who comes (name and contact once planned), and the actions."""
    found = _own_day(day_id)
    guests = dq.day_matches(get_session(), found.id)
    return render_template(
        "discovery/employer_day.html",
        day=found,
        guests=guests,
        questionnaires=dq.questionnaires_of(get_session(), [g.id for g in guests]),
    )


@employer_bp.post("/<id:day_id>/<any(fermer, rouvrir):action>")
def close_day(day_id: int, action: str) -> BaseResponse:
    """Stop taking asks, or take them again."""
    found = _own_day(day_id)
    reopen = action == "rouvrir"
    _act(
        lambda: ops.close_day(get_session(), current_actor(), found, reopen=reopen),
        "Les journées reprennent les demandes."
        if reopen
        else "Les journées ne prennent plus de demandes ; les venues prévues restent.",
    )
    return redirect(url_for(".day", day_id=day_id))


@employer_bp.post("/<id:day_id>/annuler")
def cancel_day(day_id: int) -> BaseResponse:
    """Cancel the days, and the discoveries planned on them (with the reason)."""
    found = _own_day(day_id)
    _act(
        lambda: ops.cancel_day(get_session(), current_actor(), found, _reason()),
        "Les journées sont annulées.",
    )
    return redirect(url_for(".day", day_id=day_id))


@employer_bp.post("/venues/<id:match_id>/annuler")
def cancel_guest(match_id: int) -> BaseResponse:
    """Cancel one person's planned discovery (with the reason)."""
    match = _own_guest(match_id)
    _act(
        lambda: ops.cancel_match(get_session(), match, current_actor(), _reason()),
        "Cette venue est annulée.",
    )
    return redirect(url_for(".day", day_id=match.day_id))


@employer_bp.get("/venues/<id:match_id>/recapitulatif.pdf")
def guest_pdf(match_id: int) -> Response:
    """The printable summary of one person's discovery."""
    return _pdf(_own_guest(match_id))


# --- The person's asks --------------------------------------------------------------------------


@candidate_bp.before_request
@role_required(Role.CANDIDATE)
def _only_candidates() -> None:
    return None


def _candidate() -> Candidate:
    return _get_or_404(Candidate, _user().candidate_id)


def _own_match(match_id: int) -> DiscoveryMatch:
    return _get_or_404(
        DiscoveryMatch, match_id, lambda m: m.wish.candidate_id == _user().candidate_id
    )


def _own_wish(wish_id: int) -> DiscoveryWish:
    return _get_or_404(DiscoveryWish, wish_id, lambda w: w.candidate_id == _user().candidate_id)


@candidate_bp.get("/")
def index() -> str:
    """The person's asks and discoveries (planned with every detail, past; those under review
    only counted)."""
    candidate = _candidate()
    session = get_session()
    matches = dq.candidate_matches(session, candidate.id)
    return render_template(
        "discovery/candidate.html",
        wishes=dq.candidate_wishes(session, candidate.id),
        matches=matches,
        in_review=dq.candidate_in_review(session, candidate.id),
        questionnaires=dq.questionnaires_of(session, [m.id for m in matches]),
    )


def _wish_form_page(form: dict[str, Any], errors: dict[str, list[str]], status: int = 200):  # type: ignore[no-untyped-def]
    html = render_template(
        "discovery/ask.html",
        form=form,
        errors=errors,
        has_request=_candidate().request is not None,
        metiers=queries.metier_options(get_session()),
        age_bands=choices(AgeBand),
    )
    return html, status


@candidate_bp.route("/demander", methods=["GET", "POST"])
def ask() -> BaseResponse | tuple[str, int]:
    """Ask for a discovery: prefilled from the request when there is one (and the métier of
    the sheet the person came from)."""
    session = get_session()
    candidate = _candidate()
    if request.method == "GET":
        form = ops.wish_values_from_request(candidate.request)
        # Free from tomorrow for two months, unless the person says otherwise.
        tomorrow = local_today() + timedelta(days=1)
        form["free_from"] = tomorrow.isoformat()
        form["free_until"] = (tomorrow + timedelta(days=DEFAULT_FREE_DAYS)).isoformat()
        if candidate.request is not None:
            form["commune"] = commune_label(candidate.request.commune)
        metier = request.args.get("metier", "")[:64]
        if metier and any(code == metier for code, _ in queries.metier_options(session)):
            form["metier_code"] = metier
        return _wish_form_page(form, {})
    form = values(WISH_FORM)
    args: dict[str, Any] = dict(form)
    errors: dict[str, list[str]] = {}
    try:
        commune = resolve_commune(session, form["commune"], "commune")
        args["commune_insee"] = commune.insee
        form["commune"] = commune_label(commune)
    except ValidationError as exc:
        errors.update(exc.errors)
        args["commune_insee"] = ""
    try:
        ops.create_wish(session, current_actor(), candidate, args)
    except ValidationError as exc:
        session.rollback()
        merged = {**{k: v for k, v in exc.errors.items() if k != "commune"}, **errors}
        if "commune" in exc.errors and not errors:
            merged["commune"] = exc.errors["commune"]
        return _wish_form_page(form, merged, 400)
    if errors:
        session.rollback()
        return _wish_form_page(form, errors, 400)
    session.commit()
    flash(WISH_SAVED, "success")
    return redirect(url_for(".index"))


@candidate_bp.post("/demandes/<id:wish_id>/clore")
def close_wish(wish_id: int) -> BaseResponse:
    """Stop asking (planned discoveries stay)."""
    ops.close_wish(get_session(), current_actor(), _own_wish(wish_id))
    get_session().commit()
    flash("Votre demande de découverte est close.", "success")
    return redirect(url_for(".index"))


@candidate_bp.post("/<id:match_id>/annuler")
def cancel(match_id: int) -> BaseResponse:
    """Cancel a planned discovery (the structure is told by mail)."""
    match = _own_match(match_id)
    _act(
        lambda: ops.cancel_match(get_session(), match, current_actor(), _reason()),
        "Votre découverte est annulée.",
    )
    return redirect(url_for(".index"))


@candidate_bp.get("/<id:match_id>/recapitulatif.pdf")
def summary_pdf(match_id: int) -> Response:
    """The printable summary of a planned (or past) discovery."""
    match = _own_match(match_id)
    if match.status not in (M.PLANNED, M.DONE):
        abort(404)
    return _pdf(match)


@candidate_bp.get("/<id:match_id>/demande-apprentissage")
def to_request(match_id: int) -> BaseResponse:
    """« Transformer cette découverte en demande d'apprentissage »: the request form, prefilled
    from the discovery's ask; the person checks and confirms it there."""
    match = _own_match(match_id)
    if match.status != M.DONE:
        abort(404)
    return redirect(url_for("candidate.edit_request", decouverte=match.wish_id))


# --- The coordinators' review -------------------------------------------------------------------


@coordination_bp.before_request
@role_required(*STAFF)
def _only_staff() -> None:
    return None


def _match(match_id: int) -> DiscoveryMatch:
    return _get_or_404(DiscoveryMatch, match_id)


LIST_STATUSES = (M.PLANNED, M.DONE, M.CANCELLED, M.REJECTED)


@coordination_bp.get("/")
def review() -> str:
    """The proposals to review (score and reasons), then the discoveries by stage with their
    answers."""
    session = get_session()
    status = request.args.get("etape", M.PLANNED.value)
    shown = next((s for s in LIST_STATUSES if s.value == status), M.PLANNED)
    listed = dq.discovery_list(session, shown)
    return render_template(
        "discovery/review.html",
        queue=dq.discovery_review_queue(session),
        listed=listed,
        shown=shown,
        statuses=LIST_STATUSES,
        questionnaires=dq.questionnaires_of(session, [m.id for m in listed]),
        question_set=question_set,
        wishes=dq.wish_choices(session),
        days=dq.day_choices(session, local_today()),
    )


def _decide(match_id: int, action: str) -> BaseResponse:
    session = get_session()
    match = _match(match_id)
    actor = current_actor()
    try:
        if action == "approuver":
            ops.approve_match(
                session,
                match,
                actor,
                base_url=base_url(),
                expected=request.form.get("depuis") or None,
            )
            message = "Découverte prévue : les deux parties reçoivent les coordonnées par courriel."
        elif action == "ecarter":
            ops.reject_match(session, match, actor, _reason())
            message = "Proposition écartée."
        elif action == "faite":
            ops.mark_done(session, match, actor)
            message = "Découverte notée comme faite : les questionnaires partiront."
        else:
            ops.cancel_match(session, match, actor, _reason())
            message = "Découverte annulée."
    except (*DECISION_ERRORS, ValueError) as exc:
        if isinstance(exc, ValueError) and not isinstance(exc, DECISION_ERRORS):
            exc = Conflict(ops.TAKEN)
        _fail(exc)
    else:
        session.commit()
        flash(message, "success")
    return redirect(url_for(".review"))


@coordination_bp.post("/a-la-main")
def manual() -> BaseResponse:
    """Plan a discovery by hand: an ask and days the engine did not put together."""
    form = values(("wish_id", "day_id"))
    wish_id = small_int(form["wish_id"], 1, MAX_ID)
    day_id = small_int(form["day_id"], 1, MAX_ID)
    if wish_id is None or day_id is None:
        flash("Choisissez une demande de découverte et des journées.", "error")
        return redirect(url_for(".review"))
    session = get_session()
    _act(
        lambda: ops.create_manual_match(
            session,
            _get_or_404(DiscoveryWish, wish_id),
            _get_or_404(DiscoveryDay, day_id),
            current_actor(),
            base_url=base_url(),
        ),
        "Découverte prévue : les deux parties reçoivent les coordonnées par courriel.",
    )
    return redirect(url_for(".review"))


@coordination_bp.post("/<id:match_id>/<any(approuver, ecarter, faite, annuler):action>")
def decide(match_id: int, action: str) -> BaseResponse:
    """Approve, reject (with reason), mark done, or cancel (with reason) a discovery."""
    return _decide(match_id, action)
