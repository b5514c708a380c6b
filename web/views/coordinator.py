"""The coordination space: dashboard, review queue, pairs, records (audited), recompute."""

from __future__ import annotations

from datetime import UTC, datetime

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

from data import jobruns, mail, privacy, queries
from data import operations as ops
from data.errors import Conflict, InvalidTransition, NotFound, ValidationError
from data.models import (
    AuditEntry,
    Candidate,
    Employer,
    Offer,
    Request,
    StructureJoinRequest,
    Suggestion,
    SuggestionStatus,
)
from data.models.mail import JobRunStatus
from data.operations import audit
from data.operations import checkins as checkin_ops
from data.operations import employers as employer_ops
from data.operations._common import local_today
from data.operations.allocation import propose_allocation
from data.operations.communes import commune_label, resolve_commune
from data.operations.pair_fields import CONTRACT_FIELDS, INTERVIEW_FIELDS, RUPTURE_FIELDS
from data.operations.validation import clean_id
from data.operations.welcome_kit import kit_of
from data.presentation import agree, label, number, plural
from data.queries.lists import LISTS, list_page
from data.recompute import recompute_suggestions
from web.cvfiles import CV_FIELDS, cv_dir, send_cv
from web.db import get_session
from web.errors import domain_answer
from web.forms import checked, or_none, page_args, small_int
from web.listing import (
    PRIORITY_METIERS,
    PRIORITY_METIERS_LABEL,
    Listing,
    export_file,
    open_listing,
    safe_back,
)
from web.mailing import base_url
from web.sessions import STAFF, current_actor, role_required
from web.views import signin

bp = Blueprint("coordinator", __name__, url_prefix="/coordination")

# Stages a coordinator records in the life of a pair (the URL word -> the status).
STAGES = {
    "contacte": SuggestionStatus.CONTACTED,
    "entretien": SuggestionStatus.INTERVIEW,
    "contrat": SuggestionStatus.CONTRACT_SIGNED,
    "abandon": SuggestionStatus.ABANDONED,
    "rupture": SuggestionStatus.BROKEN,
}
#: The stages asked to be confirmed first: they take a place of an offer, end a pair, or break
#: a contract (the confirmation page names what will happen).
CONFIRMED_STAGES = frozenset({"contrat", "abandon", "rupture"})
#: The form fields of a pair's story each stage records (``data.operations.pair_fields``).
STAGE_STORY = {
    SuggestionStatus.INTERVIEW: INTERVIEW_FIELDS,
    SuggestionStatus.CONTRACT_SIGNED: CONTRACT_FIELDS,
    SuggestionStatus.BROKEN: RUPTURE_FIELDS,
}
STAGE_FLASH = {
    "contrat": "Contrat signé enregistré : une place de l'offre est pourvue.",
    "rupture": "Rupture du contrat enregistrée.",
    "abandon": "Le binôme est abandonné.",
}
# Approving queues both contact mails in the same commit (data.mail.contacts); the sender job
# sends them within a minute. The flash promises only what was queued.
CONTACT_FLASH = (
    "Mise en relation approuvée : les deux parties vont recevoir les coordonnées par courriel."
)
UNREACHED_FLASH = {
    ("candidate",): "Mise en relation approuvée : l'employeur va recevoir les coordonnées par "
    "courriel. Le candidat n'a pas d'adresse électronique : transmettez-lui vous-même celles de "
    "l'employeur.",
    ("employer",): "Mise en relation approuvée : le candidat va recevoir les coordonnées par "
    "courriel. L'employeur n'a pas d'adresse électronique : transmettez-lui vous-même celles du "
    "candidat.",
    ("candidate", "employer"): "Mise en relation approuvée. Ni le candidat ni l'employeur n'ont "
    "d'adresse électronique : transmettez-leur vous-même les coordonnées.",
}
CANDIDATE_FIELDS = ("first_name", "last_name", "email", "phone")
EMPLOYER_FIELDS = ("contact_name", "contact_email", "contact_phone")
JOIN_REQUEST = "structure_join_request"
JOIN_REQUEST_FIELDS = ("name", "email", "phone", "message")


@bp.before_request
@role_required(*STAFF)
def _only_staff() -> None:
    return None


def _seen_status() -> SuggestionStatus | None:
    """The status the page showed when the coordinator decided (hidden field ``depuis``)."""
    value = request.form.get("depuis", "")
    return next((st for st in SuggestionStatus if st.value == value), None)


def _contact_flash(s: Suggestion) -> str:
    """Say what approving ``s`` promised: both contact mails, or who must be told by hand."""
    unreached = mail.unreached_sides(get_session(), s)
    return UNREACHED_FLASH[unreached] if unreached else CONTACT_FLASH


def _refused(exc: Exception, target: Response) -> Response:
    """Undo the request's work, say why in French (a race lost, a stage no longer possible)."""
    get_session().rollback()
    answer = domain_answer(exc)
    assert answer is not None
    flash(str(exc) if answer.own_message and str(exc) else answer.message, "error")
    return target


def _get(model: type, object_id: int):  # type: ignore[no-untyped-def]
    found = get_session().get(model, object_id)
    if found is None:
        abort(404)
    return found


# --- The lists: one search, filters and sort each, a page or a CSV export ----------------------


def _listing(name: str) -> Listing:
    """Read list ``name``'s query and, if it holds no refused value, its page."""
    listing = open_listing(name)
    if listing.query is not None:
        listing.page = list_page(get_session(), LISTS[name], listing.query, *page_args())
    return listing


def _back(endpoint: str) -> str:
    """Where a detail page's back link leads: the list it was opened from, else ``endpoint``."""
    return safe_back(request.args.get("retour")) or url_for(endpoint)


@bp.get(
    "/<any(offres, demandes, employeurs, candidats, binomes, suggestions):name>"
    "/export.<any(csv, xlsx):fmt>"
)
def export(name: str, fmt: str) -> Response:
    """Every row of a list as it shows them (same search, filters, sort), as a CSV or Excel
    file. The candidates' data it holds is written to the audit log, one line per candidate.
    """
    listing = open_listing(name)
    if listing.query is None:
        return redirect(url_for(listing.endpoint, **listing.args))
    return export_file(listing, current_actor(), fmt)


@bp.get("/")
def dashboard() -> str:
    """The figures of the platform, of every métier or of the plan's priority ones only."""
    priority_only = request.args.get("metiers") == PRIORITY_METIERS
    session = get_session()
    return render_template(
        "coordinator/dashboard.html",
        d=queries.dashboard(session, priority_only=priority_only),
        today=queries.today(session, datetime.now(UTC), priority_only=priority_only),
        outcomes=queries.contract_outcomes(session, local_today(), priority_only=priority_only),
        stuck_days=queries.STUCK_AFTER_DAYS,
        priority=(PRIORITY_METIERS, PRIORITY_METIERS_LABEL),
    )


# --- Review queue -------------------------------------------------------------------------------


@bp.get("/suggestions")
def queue() -> str:
    """The suggestions awaiting review, best first: searched, filtered, sorted, exported."""
    listing = _listing("suggestions")
    groups = queries.queue_groups(listing.page.items) if listing.page else []
    return render_template(
        "coordinator/queue.html", listing=listing, page=listing.page, groups=groups
    )


def _back_to_queue() -> Response:
    return redirect(safe_back(request.form.get("back")) or url_for("coordinator.queue"))


def _story_form(s: Suggestion) -> dict[str, str]:
    """The pair's story as its forms show it (dates in ISO form, times as HH:MM), or as typed."""
    shown: dict[str, str] = {}
    for name in (*INTERVIEW_FIELDS, *CONTRACT_FIELDS, *RUPTURE_FIELDS):
        value = getattr(s, name)
        if value is None:
            shown[name] = ""
        elif name == "interview_time":
            shown[name] = value.strftime("%H:%M")
        elif isinstance(value, bool):
            shown[name] = "oui" if value else "non"
        elif name in ("contract_kind", "broken_by", "broken_cause"):
            shown[name] = value.value
        else:
            shown[name] = str(value)
    # The person looks again after a rupture, unless the coordinator says otherwise.
    shown["reopen_request"] = "1"
    if request.method == "POST":
        shown.update({k: v for k, v in request.form.items() if k in shown})
        if "broken_on" in request.form:  # the rupture's form sent back: its box as sent
            shown["reopen_request"] = request.form.get("reopen_request", "")
    return shown


def _suggestion_page(
    s: Suggestion, errors: dict[str, list[str]], history: list[AuditEntry] | None = None
) -> str:
    """Render a suggestion's page (with the messages of a form sent back)."""
    session = get_session()
    if history is None:
        history = ops.pair_history(session, s.id)
    return render_template(
        "coordinator/suggestion.html",
        s=s,
        history=history,
        errors=errors,
        form=_story_form(s),
        undo=ops.undo_check(session, s, history=history),
        checkins=queries.pair_checkins(session, s, datetime.now(UTC)),
        silence_days=queries.SILENCE_DAYS,
        request_refusal=(
            ops.reopen_request_refusal(session, s)
            if s.status == SuggestionStatus.CONTRACT_SIGNED
            else None
        ),
        back=_back("coordinator.queue"),
        kit=kit_of(session, s.id),
    )


@bp.post("/suggestions/<id:suggestion_id>/approuver")
def approve(suggestion_id: int) -> Response:
    s = _get(Suggestion, suggestion_id)
    session = get_session()
    try:
        ops.approve_suggestion(
            session, s, current_actor(), expected=_seen_status(), base_url=base_url()
        )
    except (Conflict, InvalidTransition) as exc:
        return _refused(exc, _back_to_queue())
    session.commit()
    flash(_contact_flash(s), "success")
    return _back_to_queue()


@bp.post("/suggestions/<id:suggestion_id>/rejeter")
def reject(suggestion_id: int) -> Response | tuple:
    s = _get(Suggestion, suggestion_id)
    session = get_session()
    try:
        ops.reject_suggestion(
            session, s, current_actor(), request.form.get("reason", ""), expected=_seen_status()
        )
    except (Conflict, InvalidTransition) as exc:
        return _refused(exc, _back_to_queue())
    except ValidationError as exc:
        session.rollback()
        flash("Indiquez le motif du refus.", "error")
        return _suggestion_page(s, exc.errors), 400
    session.commit()
    flash("Suggestion refusée.", "success")
    return _back_to_queue()


@bp.post("/suggestions/<id:suggestion_id>/note")
def add_note(suggestion_id: int) -> Response | tuple:
    """Add a dated, signed note to the pair's story (only the coordination reads them)."""
    s = _get(Suggestion, suggestion_id)
    session = get_session()
    try:
        ops.add_pair_note(session, s, current_actor(), request.form.get("note", ""))
    except ValidationError as exc:
        session.rollback()
        return _suggestion_page(s, exc.errors), 400
    session.commit()
    flash("Note ajoutée à l'historique.", "success")
    return redirect(url_for("coordinator.suggestion", suggestion_id=s.id) + "#historique")


@bp.post("/suggestions/rejeter")
def reject_many() -> Response:
    """Reject the suggestions ticked on the queue, with one reason (all of them or none)."""
    session = get_session()
    ids = [i for raw in request.form.getlist("ids") if (i := small_int(raw, 1, 10**12))]
    try:
        done = ops.reject_suggestions(session, ids, current_actor(), request.form.get("reason", ""))
    except (Conflict, InvalidTransition, NotFound) as exc:
        return _refused(exc, _back_to_queue())
    except ValidationError as exc:
        session.rollback()
        if "reason" in exc.errors:
            flash("Indiquez le motif du refus.", "error")
        else:
            flash(" ".join(m for ms in exc.errors.values() for m in ms), "error")
        return _back_to_queue()
    session.commit()
    flash(f"{plural(len(done), 'suggestion refusée', 'suggestions refusées')}.", "success")
    return _back_to_queue()


@bp.post("/suggestions/approuver")
def approve_many() -> Response | str:
    """Approve the suggestions ticked on the queue, after a confirmation that names the pairs
    and the mails they send (all of them or none)."""
    session = get_session()
    ids = [i for raw in request.form.getlist("ids") if (i := small_int(raw, 1, 10**12))]
    if request.form.get("confirme") != "1":
        chosen = [s for i in dict.fromkeys(ids) if (s := session.get(Suggestion, i)) is not None]
        if not chosen:
            flash("Choisissez au moins une suggestion.", "error")
            return _back_to_queue()
        return render_template(
            "coordinator/approve_many.html", chosen=chosen, back=request.form.get("back", "")
        )
    try:
        done = ops.approve_suggestions(session, ids, current_actor(), base_url=base_url())
    except (Conflict, InvalidTransition, NotFound) as exc:
        return _refused(exc, _back_to_queue())
    except ValidationError as exc:
        session.rollback()
        flash(" ".join(m for ms in exc.errors.values() for m in ms), "error")
        return _back_to_queue()
    session.commit()
    mails = plural(2 * len(done), "courriel", "courriels")
    flash(
        f"{plural(len(done), 'mise en relation faite', 'mises en relation faites')} : "
        f"{mails} de mise en relation partent aux candidats et aux employeurs.",
        "success",
    )
    return _back_to_queue()


@bp.route("/suggestions/nouvelle", methods=["GET", "POST"])
def manual_pair() -> str | Response | tuple:
    session = get_session()
    open_offers = [h.offer for h in queries.offer_hits(session, queries.PUBLIC)]
    active = queries.active_requests(session)
    form = {k: request.values.get(k, "") for k in ("request_id", "offer_id", "note")}
    if request.method == "GET":
        return render_template(
            "coordinator/manual.html", form=form, errors={}, offers=open_offers, requests=active
        )
    errors: dict[str, list[str]] = {}
    try:
        ids: dict[str, int | None] = {}
        for name, message in (
            ("request_id", "Choisissez une demande."),
            ("offer_id", "Choisissez une offre."),
        ):
            try:
                ids[name] = clean_id(form[name], name)
            except ValidationError:
                errors[name] = [message]
        if errors:
            raise ValidationError(errors)
        s = ops.create_manual_pair(
            session,
            ids["request_id"],
            ids["offer_id"],
            current_actor(),
            note=or_none(form["note"]),
            base_url=base_url(),
        )
    except ValidationError as exc:
        session.rollback()
        return render_template(
            "coordinator/manual.html",
            form=form,
            errors=exc.errors,
            offers=open_offers,
            requests=active,
        ), 400
    session.commit()
    flash(_contact_flash(s), "success")
    return redirect(url_for("coordinator.suggestion", suggestion_id=s.id))


@bp.get("/suggestions/<id:suggestion_id>")
def suggestion(suggestion_id: int) -> str:
    s = _get(Suggestion, suggestion_id)
    session = get_session()
    history = ops.pair_history(session, s.id)
    audit.log_access(
        session, current_actor(), audit.CANDIDATE, s.request.candidate_id, CANDIDATE_FIELDS
    )
    session.commit()
    return _suggestion_page(s, {}, history)


# --- Pairs -------------------------------------------------------------------------------------


@bp.get("/binomes")
def pair_list() -> str:
    listing = _listing("binomes")
    return render_template("coordinator/pairs.html", listing=listing, page=listing.page)


@bp.get("/binomes-a-appeler")
def to_call() -> str:
    """The pairs under contract whose day-15 or day-40 check-ins ask for a call (a bad answer,
    or a side silent for a week), the longest waiting first, with the answers."""
    return render_template(
        "coordinator/to_call.html",
        rows=queries.pairs_to_call(get_session(), datetime.now(UTC)),
        silence_days=queries.SILENCE_DAYS,
    )


@bp.post("/suggestions/<id:suggestion_id>/appele")
def mark_called(suggestion_id: int) -> Response | tuple:
    """Record the call of a pair of the « to call » list, with its note (audited): the pair
    leaves the list until a new bad answer or a new silence."""
    s = _get(Suggestion, suggestion_id)
    session = get_session()
    try:
        checkin_ops.mark_called(session, current_actor(), s, request.form)
    except ValidationError as exc:
        session.rollback()
        return _suggestion_page(s, exc.errors), 400
    except Conflict as exc:
        return _refused(exc, redirect(url_for("coordinator.to_call")))
    session.commit()
    flash("Appel enregistré : le binôme quitte la liste des binômes à appeler.", "success")
    return redirect(safe_back(request.form.get("back")) or url_for("coordinator.to_call"))


#: The answers of a yes-or-no-or-unknown question of a form (« Non renseigné » is "").
_YES_NO = {"": None, "oui": True, "non": False}


def _story_values(typed: dict[str, str]) -> dict[str, object]:
    """The story fields as typed, with the rupture's « after the 45 days » as a yes, a no or
    unknown (anything else goes on as typed, for the operation to refuse)."""
    values: dict[str, object] = dict(typed)
    if "broken_after_trial" in typed:
        answer = typed["broken_after_trial"]
        values["broken_after_trial"] = _YES_NO.get(answer, answer)
    return values


def _pair_page(s: Suggestion, anchor: str = "") -> Response:
    return redirect(url_for("coordinator.suggestion", suggestion_id=s.id) + anchor)


@bp.post(
    "/suggestions/<id:suggestion_id>/etape/"
    "<any(contacte, entretien, contrat, abandon, rupture):stage>"
)
def set_stage(suggestion_id: int, stage: str) -> Response | tuple | str:
    """Move a pair to a stage, with what the stage records (interview, contract, rupture).

    A contract, an abandon or a rupture is confirmed first: this POST without ``confirme``
    checks the input and shows what will happen; the confirmation page posts it again.
    """
    s = _get(Suggestion, suggestion_id)
    session = get_session()
    target = STAGES[stage]
    reason = or_none(request.form.get("reason", ""))
    typed = {name: request.form.get(name, "") for name in STAGE_STORY.get(target, ())}
    story = _story_values(typed)
    reopen = target == SuggestionStatus.BROKEN and checked("reopen_place")
    reopen_request = target == SuggestionStatus.BROKEN and checked("reopen_request")
    try:
        if stage in CONFIRMED_STAGES and request.form.get("confirme") != "1":
            plan = ops.plan_stage(
                session,
                s,
                target,
                reason=reason,
                story=story,
                reopen_place=reopen,
                reopen_request=reopen_request,
                expected=_seen_status(),
            )
            return render_template(
                "coordinator/stage_confirm.html",
                s=s,
                plan=plan,
                stage=stage,
                fields={
                    **typed,
                    "reason": reason or "",
                    "reopen_place": "1" if reopen else "",
                    "reopen_request": "1" if reopen_request else "",
                },
            )
        ops.change_suggestion_status(
            session,
            s,
            target,
            current_actor(),
            reason=reason,
            expected=_seen_status(),
            story=story,
            reopen_place=reopen,
            reopen_request=reopen_request,
        )
    except (Conflict, InvalidTransition) as exc:
        return _refused(exc, _pair_page(s))
    except ValidationError as exc:
        session.rollback()
        return _suggestion_page(s, exc.errors), 400
    session.commit()
    flash(STAGE_FLASH.get(stage, "L'étape est enregistrée."), "success")
    return _pair_page(s)


@bp.post("/suggestions/<id:suggestion_id>/<any(entretien, contrat):part>")
def edit_story(suggestion_id: int, part: str) -> Response | tuple:
    """Edit the interview's day, time and place, or a signed contract's details."""
    s = _get(Suggestion, suggestion_id)
    session = get_session()
    interview = part == "entretien"
    names = INTERVIEW_FIELDS if interview else CONTRACT_FIELDS
    given = {name: request.form.get(name, "") for name in names}
    edit = ops.set_interview if interview else ops.set_contract_details
    try:
        edit(session, s, current_actor(), given, expected=_seen_status())
    except (Conflict, InvalidTransition) as exc:
        return _refused(exc, _pair_page(s))
    except ValidationError as exc:
        session.rollback()
        return _suggestion_page(s, exc.errors), 400
    session.commit()
    flash("Entretien enregistré." if interview else "Détails du contrat enregistrés.", "success")
    return _pair_page(s)


@bp.route("/suggestions/<id:suggestion_id>/annuler-etape", methods=["GET", "POST"])
def undo_stage(suggestion_id: int) -> Response | str:
    """Undo the pair's last stage change of the day: a page that says what it will do, then
    the POST that does it."""
    s = _get(Suggestion, suggestion_id)
    session = get_session()
    if request.method == "GET":
        check = ops.undo_check(session, s)
        if not check.possible:
            flash(check.refusal or "Rien à annuler.", "error")
            return _pair_page(s)
        return render_template("coordinator/undo_confirm.html", s=s, undo=check)
    try:
        ops.undo_last_stage(session, s, current_actor(), expected=_seen_status())
    except (Conflict, InvalidTransition) as exc:
        return _refused(exc, _pair_page(s))
    session.commit()
    flash(f"Changement d'étape annulé : le binôme est revenu à « {label(s.status)} ».", "success")
    return _pair_page(s)


# --- Records (each view of personal data is written to the audit log) ---------------------------


@bp.get("/offres")
def offers() -> str:
    listing = _listing("offres")
    return render_template("coordinator/offers.html", listing=listing, page=listing.page)


@bp.get("/offres/<id:offer_id>")
def offer(offer_id: int) -> str:
    found = _get(Offer, offer_id)
    session = get_session()
    audit.log_access(
        session, current_actor(), audit.EMPLOYER, found.site.employer_id, EMPLOYER_FIELDS
    )
    session.commit()
    rows = queries.visible_suggestions(session, queries.COORDINATOR, offer_id=found.id)
    return render_template(
        "coordinator/offer.html", offer=found, rows=rows, back=_back("coordinator.offers")
    )


@bp.get("/demandes")
def requests_list() -> str:
    listing = _listing("demandes")
    return render_template("coordinator/requests.html", listing=listing, page=listing.page)


@bp.get("/demandes/<id:request_id>")
def request_detail(request_id: int) -> str:
    found = _get(Request, request_id)
    session = get_session()
    audit.log_access(
        session, current_actor(), audit.CANDIDATE, found.candidate_id, CANDIDATE_FIELDS
    )
    session.commit()
    rows = queries.visible_suggestions(session, queries.COORDINATOR, request_id=found.id)
    return render_template(
        "coordinator/request.html", req=found, rows=rows, back=_back("coordinator.requests_list")
    )


@bp.get("/employeurs")
def employers() -> str:
    listing = _listing("employeurs")
    return render_template("coordinator/employers.html", listing=listing, page=listing.page)


@bp.get("/employeurs/<id:employer_id>")
def employer(employer_id: int) -> str:
    found = _get(Employer, employer_id)
    session = get_session()
    audit.log_access(session, current_actor(), audit.EMPLOYER, found.id, EMPLOYER_FIELDS)
    session.commit()
    offers = queries.employer_offers(session, found.id)
    return render_template(
        "coordinator/employer.html",
        employer=found,
        offers=offers,
        back=_back("coordinator.employers"),
    )


@bp.get("/rattachements")
def join_requests() -> str:
    """List the pending requests to join a registered structure, oldest first."""
    session = get_session()
    joins = employer_ops.pending_join_requests(session)
    if joins:
        # Coordinators read the requesters' details here: access is logged, as on other pages.
        me = current_actor()
        for j in joins:
            audit.log_access(session, me, JOIN_REQUEST, j.id, JOIN_REQUEST_FIELDS)
        session.commit()
    return render_template(
        "coordinator/join_requests.html", joins=joins, kept_days=employer_ops.REFUSED_KEPT_DAYS
    )


@bp.post("/rattachements/<id:join_id>/<any(accepter, refuser):decision>")
def decide_join(join_id: int, decision: str) -> Response:
    """Accept or refuse a request to join a structure."""
    join = _get(StructureJoinRequest, join_id)
    target = redirect(url_for("coordinator.join_requests"))
    try:
        flash(
            signin.decide_join_request(join, current_actor(), accept=decision == "accepter"),
            "success",
        )
    except Conflict as exc:
        return _refused(exc, target)
    return target


@bp.get("/candidats")
def candidates() -> str:
    listing = _listing("candidats")
    return render_template("coordinator/candidates.html", listing=listing, page=listing.page)


@bp.get("/candidats/<id:candidate_id>/cv")
def candidate_cv(candidate_id: int) -> Response:
    """A candidate's CV, for the coordination; each download is written to the audit log."""
    found = _get(Candidate, candidate_id)
    response = send_cv(found, f"cv-candidat-{found.id}.pdf")
    session = get_session()
    audit.log_access(session, current_actor(), audit.CANDIDATE, found.id, CV_FIELDS)
    session.commit()
    return response


@bp.get("/candidats/<id:candidate_id>")
def candidate(candidate_id: int) -> str:
    found = _get(Candidate, candidate_id)
    session = get_session()
    audit.log_access(session, current_actor(), audit.CANDIDATE, found.id, CANDIDATE_FIELDS)
    session.commit()
    return render_template(
        "coordinator/candidate.html", candidate=found, back=_back("coordinator.candidates")
    )


# --- Métier texts nobody's referential resolves --------------------------------------------------


@bp.get("/metiers-non-reconnus")
def metier_texts() -> str:
    """The texts typed for a métier that resolve to nothing, with their counts, to decide on."""
    session = get_session()
    return render_template(
        "coordinator/metier_texts.html",
        texts=queries.unresolved_metier_texts(session),
        decisions=queries.metier_decisions(session),
        metiers=queries.metier_options(session),
    )


@bp.post("/metiers-non-reconnus")
def decide_metier_text() -> Response:
    """Map a text to a métier (``decision=rattacher``) or mark it outside the sector."""
    target = redirect(url_for("coordinator.metier_texts"))
    text = request.form.get("text", "")
    outside = request.form.get("decision") == "hors-secteur"
    code = None if outside else request.form.get("metier_code", "").strip()
    if code == "":
        flash("Choisissez le métier auquel rattacher ce texte.", "error")
        return target
    session = get_session()
    try:
        result = ops.decide_metier_text(session, current_actor(), text, code)
    except ValidationError as exc:
        session.rollback()
        flash(" ".join(m for ms in exc.errors.values() for m in ms), "error")
        return target
    except Conflict as exc:
        return _refused(exc, target)
    session.commit()
    label = result.mapping.metier.label if result.mapping.metier else None
    changed = plural(result.requests_changed, "demande mise à jour", "demandes mises à jour")
    if label is None:
        flash(f"« {result.mapping.text} » est classé hors du secteur ({changed}).", "success")
    else:
        flash(
            f"« {result.mapping.text} » est rattaché au métier « {label} » ({changed} ; "
            "les suggestions suivront au prochain calcul).",
            "success",
        )
    return target


# --- Engine: recompute, allocation proposal ----------------------------------------------------


ERASE_WORD = "EFFACER"


@bp.route("/candidats/<id:candidate_id>/effacer", methods=["GET", "POST"])
def erase_candidate(candidate_id: int) -> str | Response | tuple:
    """Erase a person's data on their request, after a typed confirmation (RGPD, art. 17)."""
    found = _get(Candidate, candidate_id)
    if found.anonymised_at is not None:
        flash("Les données de ce candidat sont déjà effacées.", "info")
        return redirect(url_for("coordinator.candidate", candidate_id=found.id))
    errors: dict[str, list[str]] = {}
    if request.method == "POST":
        if request.form.get("confirm", "").strip() == ERASE_WORD:
            session = get_session()
            privacy.erase_candidate(
                session,
                found,
                cause=privacy.ErasureCause.COORDINATOR,
                actor=current_actor(),
                mail_dir=current_app.config.get("MAIL_DIR"),
                cv_dir=cv_dir(),
            )
            session.commit()
            flash(f"Les données du candidat n° {candidate_id} sont effacées.", "success")
            return redirect(url_for("coordinator.candidates"))
        errors = {"confirm": [f"Tapez {ERASE_WORD} en majuscules pour confirmer l'effacement."]}
    session = get_session()
    audit.log_access(
        session, current_actor(), audit.CANDIDATE, found.id, ("first_name", "last_name")
    )
    session.commit()
    html = render_template(
        "coordinator/erase.html", candidate=found, holdings=privacy.HOLDINGS, errors=errors
    )
    return (html, 400) if errors else html


@bp.post("/recalculer")
def recompute() -> Response:
    session = get_session()
    report = recompute_suggestions(session)
    session.commit()
    gone = agree(report.staled, "n'est plus proposée", "ne sont plus proposées")
    flash(
        f"Suggestions recalculées ({plural(report.requests, 'demande', 'demandes')}, "
        f"{plural(report.offers, 'offre', 'offres')}) : "
        f"{plural(report.created, 'nouvelle', 'nouvelles')}, "
        f"{plural(report.updated, 'mise à jour', 'mises à jour')}, "
        f"{number(report.staled)} qui {gone}.",
        "success",
    )
    return redirect(url_for("coordinator.dashboard"))


@bp.get("/taches")
def operations() -> str:
    """Scheduled job runs and the outbox: what ran, what failed, which mails are dead."""
    session = get_session()
    return render_template(
        "coordinator/operations.html",
        runs=jobruns.notable_runs(session),
        latest=jobruns.last_runs(session),
        succeeded=jobruns.last_runs(session, JobRunStatus.SUCCESS),
        dead=mail.dead_letters(session, limit=50),
        counts=mail.outbox_counts(session),
    )


@bp.post("/courriels/<id:outbox_id>/renvoyer")
def requeue(outbox_id: int) -> Response:
    """Give a dead mail a fresh set of tries (the cause was fixed)."""
    session = get_session()
    if not mail.requeue(session, outbox_id):
        abort(404)
    session.commit()
    flash("Le courriel est remis dans la file d'envoi.", "success")
    return redirect(url_for("coordinator.operations"))


# --- Housing: needs against supply ---------------------------------------------------------------

#: The radii a coordinator may draw a territory with, in km.
HOUSING_TERRITORY_KM = (10, 15, 30, 50)


@bp.get("/logement")
def housing_needs() -> tuple[str, int] | str:
    """Candidates who need housing, the beds near their offers, pairs blocked by housing."""
    session = get_session()
    form = {
        "territoire": request.args.get("territoire", "").strip(),
        "rayon": request.args.get("rayon", "").strip() or str(queries.TERRITORY_RADIUS_KM),
    }
    errors: dict[str, list[str]] = {}
    territory = None
    km = small_int(form["rayon"], 1, 200)
    if km not in HOUSING_TERRITORY_KM:
        errors["rayon"] = ["Choisissez un rayon de la liste."]
    if form["territoire"]:
        try:
            commune = resolve_commune(session, form["territoire"], "territoire")
        except ValidationError as exc:
            errors.update(exc.errors)
        else:
            form["territoire"] = commune_label(commune)
            if km in HOUSING_TERRITORY_KM:
                territory = queries.communes_within(session, commune, km)
    page = render_template(
        "coordinator/housing_needs.html",
        needs=queries.housing_needs(session, None if errors else territory),
        form=form,
        errors=errors,
        radii=HOUSING_TERRITORY_KM,
    )
    return (page, 400) if errors else page


@bp.get("/affectation")
def allocation() -> str:
    """The engine's stable allocation of active requests to open offers, to review as a whole."""
    session = get_session()
    proposal = propose_allocation(session)
    return render_template(
        "coordinator/allocation.html",
        proposal=proposal,
        view=queries.allocation_view(session, proposal),
    )
