"""The candidate space: one's request, the suggested offers, one's data (RGPD)."""

from __future__ import annotations

import json

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

from data import auth, privacy, queries, standing
from data import operations as ops
from data.errors import Conflict, ValidationError
from data.mail import set_library_news
from data.mail.recipients import offer_contact
from data.models import (
    AgeBand,
    Candidate,
    DiscoveryWish,
    Role,
    Suggestion,
    SuggestionStatus,
    User,
)
from data.operations import cv as cv_ops
from data.operations import discovery as discovery_ops
from data.operations.communes import COMMUNE_NOT_FOUND, commune_label, resolve_commune
from data.operations.suggestions import PAIR_ENDED
from data.presentation.labels import label
from data.queries.welcome_kit import kits_of_candidate
from web.cvfiles import cv_dir, send_cv
from web.db import get_session
from web.errors import too_large_answer
from web.forms import checked, or_none, small_int, values
from web.sessions import current_actor, current_user, role_required, sign_out
from web.views import signin

bp = Blueprint("candidate", __name__, url_prefix="/candidat")

METIER_INPUTS = ("metier_1", "metier_2", "metier_3")
# The box that keeps an unresolved métier text as typed, for each métier input.
KEEP_INPUTS = {name: f"keep_{name}" for name in METIER_INPUTS}
REQUEST_TEXT_FIELDS = (
    "commune",
    "max_distance_km",
    "available_from",
    "diploma_level",
    "age_band",
    "training_centre_id",
)
REQUEST_FLAGS = ("has_licence", "has_car", "needs_housing", "accepts_relocation")
PROFILE_FIELDS = ("first_name", "last_name", "email", "phone", "presentation")
DIPLOMA_LEVELS = [
    ("0", "Aucun diplôme"),
    ("3", "CAP, BEP (niveau 3)"),
    ("4", "Baccalauréat (niveau 4)"),
    ("5", "Bac + 2 (niveau 5)"),
    ("6", "Licence, bac + 3 (niveau 6)"),
    ("7", "Master, bac + 5 (niveau 7)"),
]


#: The age bands a request may state (the law for minors and the pay grid read it).
AGE_BANDS = [(band.value, label(band)) for band in AgeBand]


INTEREST_SENT = "C'est noté : l'équipe de coordination va examiner cette offre avec votre demande."
INTEREST_KNOWN = (
    "Cette offre était déjà associée à votre demande : votre intérêt y est maintenant noté."
)


@bp.before_request
@role_required(Role.CANDIDATE)
def _only_candidates() -> None:
    return None


def _me() -> User:
    user = current_user()
    assert user is not None and user.candidate_id is not None
    return user


def _candidate() -> Candidate:
    candidate = get_session().get(Candidate, _me().candidate_id)
    if candidate is None:
        abort(404)
    return candidate


def _audience() -> queries.Audience:
    candidate_id = _me().candidate_id
    assert candidate_id is not None
    return queries.Audience.candidate(candidate_id)


def _own_suggestion(suggestion_id: int) -> Suggestion:
    s = queries.find_suggestion(get_session(), _audience(), suggestion_id)
    if s is None:
        abort(404)
    return s


@bp.get("/")
def dashboard() -> str:
    candidate = _candidate()
    req = candidate.request
    suggestions = (
        queries.visible_suggestions(get_session(), _audience(), request_id=req.id) if req else []
    )
    # A broken contract stays in the list (its day told) but is no offer proposed any more.
    offered = [s for s in suggestions if s.status != SuggestionStatus.BROKEN]
    nearest = where = None
    if req is not None:
        where = standing.request_standing(get_session(), req, config=current_app.config)
        if not offered:
            nearest = queries.nearest_offer_beyond(get_session(), req)
    # Whom to write to about each offer: its contact person when named (data.mail.recipients).
    contacts = {s.offer_id: offer_contact(get_session(), s.offer) for s in suggestions}
    return render_template(
        "candidate/dashboard.html",
        contacts=contacts,
        candidate=candidate,
        req=req,
        suggestions=suggestions,
        offered=offered,
        nearest=nearest,
        standing=where,
        kits=kits_of_candidate(get_session(), candidate.id),
    )


def _request_form_from(candidate: Candidate) -> dict[str, str]:
    req = candidate.request
    if req is None:
        return {"max_distance_km": "30"}
    form = {f"metier_{i + 1}": m.text for i, m in enumerate(req.metiers[:3])}
    form.update(
        commune=commune_label(req.commune),
        max_distance_km=str(req.max_distance_km),
        available_from=req.available_from.isoformat() if req.available_from else "",
        diploma_level="" if req.diploma_level is None else str(req.diploma_level),
        age_band="" if req.age_band is None else req.age_band.value,
        training_centre_id=str(req.training_centre_id or ""),
    )
    for flag in REQUEST_FLAGS:
        form[flag] = "1" if getattr(req, flag) else ""
    return form


def _request_page(form: dict, errors: dict, status: int = 200) -> tuple[str, int]:
    html = render_template(
        "candidate/request.html",
        form=form,
        errors=errors,
        metiers=queries.metier_options(get_session()),
        diploma_levels=DIPLOMA_LEVELS,
        age_bands=AGE_BANDS,
        centres=queries.centre_choices(get_session()),
    )
    return html, status


def _discovery_wish(candidate: Candidate, value: str | None) -> DiscoveryWish | None:
    """The person's own ask for a discovery named by the form or the link (issue 18), if any."""
    wish_id = small_int(value or "", 1, 2**31 - 1)
    wish = get_session().get(DiscoveryWish, wish_id) if wish_id else None
    return wish if wish is not None and wish.candidate_id == candidate.id else None


def _request_form_from_discovery(candidate: Candidate, wish: DiscoveryWish) -> dict[str, str]:
    """The request's form prefilled from a discovery: its métier first, and, without a
    request yet, its commune, distance and age band."""
    form = _request_form_from(candidate)
    prefill = discovery_ops.request_values_from_wish(wish)
    typed = [form.get(name, "") for name in METIER_INPUTS if form.get(name)]
    if prefill["metier_1"] not in typed:
        typed = [prefill["metier_1"], *typed][: len(METIER_INPUTS)]
    form.update({name: text for name, text in zip(METIER_INPUTS, typed, strict=False)})
    if candidate.request is None:
        form.update(
            commune=commune_label(wish.commune),
            max_distance_km=prefill["max_distance_km"],
        )
    if not form.get("age_band"):
        form["age_band"] = prefill["age_band"]
    form["discovery_wish_id"] = str(wish.id)
    return form


@bp.route("/demande", methods=["GET", "POST"])
def edit_request() -> Response | tuple:
    candidate = _candidate()
    if request.method == "GET":
        wish = _discovery_wish(candidate, request.args.get("decouverte"))
        if wish is not None:
            return _request_page(_request_form_from_discovery(candidate, wish), {})
        return _request_page(_request_form_from(candidate), {})
    form = values((*METIER_INPUTS, *REQUEST_TEXT_FIELDS, "discovery_wish_id"))
    for flag in (*REQUEST_FLAGS, *KEEP_INPUTS.values()):
        form[flag] = "1" if checked(flag) else ""
    session = get_session()
    # A text is kept as typed only when the person confirms it (or did so before).
    keep = [form[k] for k, box in KEEP_INPUTS.items() if form[box]]
    if candidate.request is not None:
        keep += [m.text for m in candidate.request.metiers if m.metier_code is None]
    commune_errors: dict[str, list[str]] = {"commune": [COMMUNE_NOT_FOUND]}
    try:
        commune = resolve_commune(session, form["commune"], "commune")
    except ValidationError as exc:
        commune, commune_errors = None, dict(exc.errors)
    else:
        form["commune"] = commune_label(commune)
    args: dict[str, object] = {
        "metiers": [form[k] for k in METIER_INPUTS if form[k].strip()],
        # Not resolved: no code at all (the text may also be a code, « 01100 »); the other fields
        # are still checked, and the commune's own message replaces the operation's.
        "commune_insee": commune.insee if commune else "",
        "max_distance_km": form["max_distance_km"] or "30",
        "available_from": or_none(form["available_from"]),
        "diploma_level": or_none(form["diploma_level"]),
        "age_band": or_none(form["age_band"]),
        "training_centre_id": or_none(form["training_centre_id"]),
        **{flag: checked(flag) for flag in REQUEST_FLAGS},
        "keep_free_text": keep,
    }
    try:
        if candidate.request is None:
            result = ops.create_request(session, candidate, **args)  # type: ignore[arg-type]
        else:
            result = ops.update_request(session, candidate.request, **args)
    except ValidationError as exc:
        session.rollback()
        errors = dict(exc.errors)
        if "commune_insee" in errors:
            errors.pop("commune_insee")
            errors.update(commune_errors)
        if isinstance(exc, ops.FreeTextToConfirm):
            # Each refused text under its own input, with the box that keeps it as typed.
            errors.pop("metiers", None)
            for name in METIER_INPUTS:
                message = exc.refused.get(" ".join(form[name].split()))
                if message:
                    errors[name] = [message]
                    form[KEEP_INPUTS[name] + "_offered"] = "1"
        if "metiers" in errors:
            errors["metier_1"] = errors.pop("metiers")
        return _request_page(form, errors, 400)
    wish = _discovery_wish(candidate, form["discovery_wish_id"])
    if wish is not None:  # the discovery turned into this request (issue 18)
        wish.request_id = result.request.id
    session.commit()
    flash("Votre demande est enregistrée.", "success")
    for text in result.unresolved_anew:
        flash(
            f"« {text} » est gardé tel quel : la coordination le rattachera à un métier "
            "s'il en désigne un.",
            "info",
        )
    for note in result.notes:
        flash(note, "info")
    return redirect(url_for("candidate.dashboard"))


@bp.post("/demande/elargir")
def widen() -> Response:
    req = _candidate().request
    if req is None:
        abort(404)
    ops.update_request(get_session(), req, max_distance_km=request.form.get("km", ""))
    get_session().commit()
    flash("La distance de votre recherche est élargie.", "success")
    return redirect(url_for("candidate.dashboard"))


@bp.post("/demande/<any(pause, reactiver, clore):action>")
def request_status(action: str) -> Response:
    req = _candidate().request
    if req is None:
        abort(404)
    operation = {
        "pause": ops.pause_request,
        "reactiver": ops.reactivate_request,
        "clore": ops.close_request,
    }[action]
    operation(get_session(), req)
    get_session().commit()
    flash("Le statut de votre demande est changé.", "success")
    return redirect(url_for("candidate.dashboard"))


@bp.post("/suggestions/<id:suggestion_id>/reponse")
def answer(suggestion_id: int) -> Response:
    s = _own_suggestion(suggestion_id)
    interested = request.form.get("interested")
    if interested not in ("1", "0"):
        abort(400)
    ops.set_candidate_interest(get_session(), s, current_actor(), interested == "1")
    get_session().commit()
    flash("Votre réponse est enregistrée.", "success")
    return redirect(url_for("candidate.dashboard"))


@bp.post("/offres/<id:offer_id>/interet")
def interest(offer_id: int) -> Response:
    """« Cette offre m'intéresse » on a published offer's page: a pair for the coordinators."""
    session = get_session()
    offer = queries.find_offer(session, queries.PUBLIC, offer_id)
    if offer is None:
        abort(404)
    try:
        result = ops.express_interest(session, offer, current_actor())
    except Conflict as exc:  # no request yet, a paused one, the offer just filled
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("public.offer", offer_id=offer.id))
    session.commit()
    if result.created:
        flash(INTEREST_SENT, "success")
    elif result.recorded:
        flash(INTEREST_KNOWN, "success")
    else:
        flash(PAIR_ENDED, "info")
    return redirect(url_for("public.offer", offer_id=offer.id))


def _profile_page(
    candidate: Candidate,
    form: dict[str, str] | None = None,
    errors: dict[str, list[str]] | None = None,
    cv_errors: dict[str, list[str]] | None = None,
) -> str:
    """Render « Mes informations »: the person's details, their presentation and their CV."""
    if form is None:
        form = {k: getattr(candidate, k) or "" for k in PROFILE_FIELDS}
        form["email"] = _me().email  # the address one signs in with
    return render_template(
        "candidate/profile.html",
        form=form,
        errors=errors or {},
        cv=cv_ops.cv_of(candidate),
        cv_errors=cv_errors or {},
        cv_limit=cv_ops.CV_LIMIT_WORDS,
    )


@bp.route("/informations", methods=["GET", "POST"])
def profile() -> str | Response | tuple:
    candidate = _candidate()
    if request.method == "GET":
        return _profile_page(candidate)
    form = values(PROFILE_FIELDS)
    session = get_session()
    # A new sign-in address never takes effect here: a link to it confirms it (signin.py).
    new_email = form["email"].strip()
    change = bool(new_email) and auth.normalize_email(new_email) != _me().email.lower()
    errors: dict[str, list[str]] = {}
    notice = None
    try:
        ops.update_candidate(
            session,
            candidate,
            first_name=form["first_name"],
            last_name=form["last_name"],
            phone=or_none(form["phone"]),
            presentation=or_none(form["presentation"]),
        )
    except ValidationError as exc:
        errors.update(exc.errors)
    if change and not errors:
        try:
            notice = signin.ask_email_change(_me(), new_email)
        except ValidationError as exc:
            errors.update(exc.errors)
        except Conflict as exc:  # asked too often
            errors["email"] = [str(exc)]
    if errors:
        session.rollback()
        return _profile_page(candidate, form, errors), 400
    session.commit()
    flash("Vos informations sont enregistrées.", "success")
    if notice:
        flash(notice, "info")
    return redirect(url_for("candidate.dashboard"))


CV_MISSING = "Choisissez votre CV au format PDF."


@bp.get("/cv")
def cv_download() -> Response:
    """The person's own CV, as they sent it."""
    return send_cv(_candidate())


def _cv_too_large() -> Response | None:
    """A CV over the request's limit: the CV form with its message on the size (413), to a
    signed-in candidate (to others, the generic 413: the view would not let them in)."""
    user = current_user()
    if user is None or user.role != Role.CANDIDATE or user.candidate_id is None:
        return None
    candidate = get_session().get(Candidate, user.candidate_id)
    if candidate is None:
        return None
    html = _profile_page(candidate, cv_errors={cv_ops.CV_FIELD: [cv_ops.TOO_BIG]})
    return Response(html, status=413, mimetype="text/html")


@bp.post("/cv")
@too_large_answer(_cv_too_large)
def cv_upload() -> Response | tuple:
    """Put or replace the person's CV (a PDF of 2 Mo at most, checked by its content)."""
    candidate = _candidate()
    upload = request.files.get("cv")
    if upload is None or not upload.filename:
        return _profile_page(candidate, cv_errors={"cv": [CV_MISSING]}), 400
    # One byte more than allowed is enough to refuse it: never read a big file whole.
    content = upload.stream.read(cv_ops.MAX_CV_BYTES + 1)
    session = get_session()
    try:
        cv_ops.save_cv(session, candidate, content, cv_dir(), filename=upload.filename)
    except ValidationError as exc:
        session.rollback()
        return _profile_page(candidate, cv_errors=exc.errors), 400
    session.commit()
    flash("Votre CV est enregistré.", "success")
    return redirect(url_for("candidate.profile") + "#mon-cv")


@bp.post("/cv/supprimer")
def cv_delete() -> Response:
    """Delete the person's CV."""
    session = get_session()
    if cv_ops.delete_cv(session, _candidate(), cv_dir()):
        session.commit()
        flash("Votre CV est supprimé.", "success")
    return redirect(url_for("candidate.profile") + "#mon-cv")


@bp.route("/notifications", methods=["GET", "POST"])
def notifications() -> str | Response | tuple:
    candidate = _candidate()
    me = _me()
    if request.method == "GET":
        form = {
            "notify_frequency": candidate.notify_frequency.value,
            "library_news": me.library_news_since is not None,
        }
        return render_template("candidate/notifications.html", form=form, errors={})
    form = values(("notify_frequency", "library_news"))
    session = get_session()
    try:
        ops.set_notification_preference(session, candidate, form["notify_frequency"])
        set_library_news(session, me.id, checked("library_news"))
    except ValidationError as exc:
        session.rollback()
        return render_template("candidate/notifications.html", form=form, errors=exc.errors), 400
    session.commit()
    flash("Vos préférences de notification sont enregistrées.", "success")
    return redirect(url_for("candidate.dashboard"))


@bp.get("/donnees")
def my_data() -> str:
    return render_template("candidate/data.html", errors={})


@bp.get("/donnees/export.json")
def export() -> Response:
    data = privacy.export_candidate_data(get_session(), _candidate())
    body = json.dumps(data, ensure_ascii=False, indent=2)
    response = Response(body, mimetype="application/json")
    response.headers["Content-Disposition"] = 'attachment; filename="mes-donnees-passerelle.json"'
    return response


@bp.post("/supprimer")
def delete_account() -> Response | tuple:
    if request.form.get("confirm") != "SUPPRIMER":
        errors = {"confirm": ["Tapez SUPPRIMER en majuscules pour confirmer la suppression."]}
        return render_template("candidate/data.html", errors=errors), 400
    session = get_session()
    privacy.erase_candidate(
        session,
        _candidate(),
        cause=privacy.ErasureCause.PERSON,
        actor=current_actor(),
        mail_dir=current_app.config.get("MAIL_DIR"),
        cv_dir=cv_dir(),
    )
    session.commit()
    sign_out()
    flash("Votre compte et vos données sont supprimés.", "success")
    return redirect(url_for("public.home"))
