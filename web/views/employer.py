"""The employer space: the structure, its sites and housing, its offers and their suggestions.

Every object is loaded through :func:`_own_*`, which answers 404 for anything of another employer.
"""

from __future__ import annotations

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

from data import mail, queries, standing
from data import operations as ops
from data.errors import Conflict, ValidationError
from data.models import (
    SITE_HOUSING_KINDS,
    Employer,
    Offer,
    OfferStatus,
    Role,
    Site,
    StructureJoinRequest,
    Suggestion,
    User,
)
from data.operations import account_email, audit
from data.operations import employers as employer_ops
from data.operations import masters as master_ops
from data.operations import team as team_ops
from data.operations.communes import commune_label
from data.operations.offer_fields import (
    OFFER_FIELD,
    OFFER_FIELD_NAMES,
    OFFER_FIELDS,
    OFFER_FLAGS,
    FieldKind,
)
from data.operations.offer_import import TEMPLATE_FILENAME, ImportReport, template_csv
from data.operations.offer_import import import_offers as import_offers_csv
from data.operations.sites import BEDS, COST, housing_field, save_site, site_fields
from web.csvfiles import csv_download
from web.cvfiles import CV_FIELDS, send_cv
from web.db import get_session
from web.forms import checked, or_none, values
from web.mailing import base_url
from web.sessions import current_actor, current_user, role_required, sign_out
from web.views import signin

bp = Blueprint("employer", __name__, url_prefix="/employeur")

#: What the offer page shows of a candidate once their pair is approved.
CONTACT_FIELDS = ("first_name", "last_name", "email", "phone")
EMPLOYER_FIELDS = ("name", "siret", "kind", "contact_name", "contact_email", "contact_phone")
#: What publishing told when the offer waits for the structure's check (moderation).
PUBLISH_FLASH = {
    OfferStatus.PENDING_CHECK: "L'offre est enregistrée pour publication : elle sera publiée dès "
    "que l'équipe de coordination aura vérifié votre structure.",
}
# The offer form's inputs are the declared fields: text inputs, and checkboxes for the flags.
#: The offer form's fields typed or chosen (not ticked); the partner training centre is the
#: operation's, not a declared offer field yet (issue 16).
OFFER_TEXT_FIELDS = (
    *(name for name in OFFER_FIELD_NAMES if name not in OFFER_FLAGS),
    "partner_centre_id",
)


@bp.before_request
@role_required(Role.EMPLOYER)
def _only_employers() -> None:
    return None


def _me() -> User:
    user = current_user()
    assert user is not None and user.employer_id is not None
    return user


def _employer() -> Employer:
    employer = get_session().get(Employer, _me().employer_id)
    if employer is None:
        abort(404)
    return employer


def _own_site(site_id: int) -> Site:
    site = get_session().get(Site, site_id)
    if site is None or site.employer_id != _me().employer_id:
        abort(404)
    return site


def _own_offer(offer_id: int) -> Offer:
    offer = queries.find_offer(get_session(), _audience(), offer_id)
    if offer is None:
        abort(404)
    return offer


def _audience() -> queries.Audience:
    employer_id = _me().employer_id
    assert employer_id is not None
    return queries.Audience.employer(employer_id)


def _own_suggestion(suggestion_id: int) -> Suggestion:
    s = queries.find_suggestion(get_session(), _audience(), suggestion_id)
    if s is None:
        abort(404)
    return s


# --- Dashboard and structure ------------------------------------------------------------------


@bp.get("/")
def dashboard() -> str:
    employer = _employer()
    session = get_session()
    offers = queries.employer_offers(session, employer.id)
    standings = standing.offer_standings(session, offers, config=current_app.config)
    joins = employer_ops.pending_join_requests(session, employer.id)
    return render_template(
        "employer/dashboard.html",
        employer=employer,
        offers=offers,
        standings=standings,
        joins=joins,
    )


@bp.post("/demandes-de-rattachement/<id:join_id>/<any(accepter, refuser):decision>")
def decide_join(join_id: int, decision: str) -> Response:
    """Accept or refuse a request to join this structure (another structure's: 404)."""
    session = get_session()
    join = session.get(StructureJoinRequest, join_id)
    if join is None or join.employer_id != _me().employer_id:
        abort(404)
    try:
        flash(
            signin.decide_join_request(join, current_actor(), accept=decision == "accepter"),
            "success",
        )
    except Conflict as exc:
        session.rollback()
        flash(str(exc), "error")
    return redirect(url_for("employer.dashboard"))


def _structure_page(form: dict, errors: dict, status: int = 200, **centres: Any) -> tuple:
    """Render the structure's page: its details' form and the centres it works with."""
    employer = _employer()
    chosen = centres.get("chosen", {str(c.id) for c in employer.training_centres})
    html = render_template(
        "employer/structure.html",
        form=form,
        errors=errors,
        centres=queries.centre_choices(get_session()),
        chosen=chosen,
        centre_errors=centres.get("centre_errors", {}),
    )
    return html, status


@bp.route("/structure", methods=["GET", "POST"])
def edit_employer() -> str | Response | tuple:
    employer = _employer()
    if request.method == "GET":
        form = {k: getattr(employer, k) or "" for k in EMPLOYER_FIELDS}
        form["kind"] = employer.kind.value
        return _structure_page(form, {})
    form = values(EMPLOYER_FIELDS)
    session = get_session()
    try:
        changes = {k: v for k, v in form.items()}
        changes["contact_phone"] = or_none(form["contact_phone"])
        ops.update_employer(session, employer, **changes)
    except ValidationError as exc:
        session.rollback()
        return _structure_page(form, exc.errors, 400)
    session.commit()
    flash("Les informations de la structure sont enregistrées.", "success")
    return redirect(url_for("employer.dashboard"))


@bp.post("/structure/centres-de-formation")
def training_centres() -> Response | tuple:
    """Replace the training centres the structure works with (the ticked boxes)."""
    employer = _employer()
    chosen = [v[:20] for v in request.form.getlist("centre_id")[:1000]]
    session = get_session()
    try:
        ops.set_training_centres(session, employer, chosen)
    except ValidationError as exc:
        session.rollback()
        form = {k: getattr(employer, k) or "" for k in EMPLOYER_FIELDS}
        form["kind"] = employer.kind.value
        return _structure_page(form, {}, 400, chosen=set(chosen), centre_errors=exc.errors)
    session.commit()
    flash("Les centres de formation de la structure sont enregistrés.", "success")
    return redirect(url_for("employer.edit_employer"))


# --- Sites and housing ------------------------------------------------------------------------


def _site_form_from(site: Site) -> dict[str, str]:
    form = {housing_field(BEDS, k): "0" for k in SITE_HOUSING_KINDS}
    form.update(name=site.name, commune=commune_label(site.commune))
    form["address"] = site.address or ""
    for h in site.housings:
        form[housing_field(BEDS, h.kind)] = str(h.beds)
        cost = "" if h.monthly_cost_eur is None else str(h.monthly_cost_eur)
        form[housing_field(COST, h.kind)] = cost
    return form


@bp.route("/lieux/nouveau", methods=["GET", "POST"])
def new_site() -> str | Response | tuple:
    if request.method == "GET":
        form = {housing_field(BEDS, k): "0" for k in SITE_HOUSING_KINDS}
        return render_template("employer/site.html", site=None, form=form, errors={})
    form = values(site_fields())
    session = get_session()
    try:
        save_site(session, current_actor(), _employer(), None, form)
    except ValidationError as exc:
        session.rollback()
        return render_template("employer/site.html", site=None, form=form, errors=exc.errors), 400
    session.commit()
    flash("Le lieu d'accueil est ajouté.", "success")
    return redirect(url_for("employer.dashboard"))


@bp.route("/lieux/<id:site_id>", methods=["GET", "POST"])
def edit_site(site_id: int) -> str | Response | tuple:
    site = _own_site(site_id)
    if request.method == "GET":
        return render_template(
            "employer/site.html", site=site, form=_site_form_from(site), errors={}
        )
    form = values(site_fields())
    session = get_session()
    try:
        save_site(session, current_actor(), site.employer_id, site, form)
    except ValidationError as exc:
        session.rollback()
        return render_template("employer/site.html", site=site, form=form, errors=exc.errors), 400
    session.commit()
    flash("Le lieu d'accueil est enregistré.", "success")
    return redirect(url_for("employer.dashboard"))


# --- Offers -----------------------------------------------------------------------------------


def _offer_input() -> tuple[dict[str, str], dict[str, Any]]:
    """Return what was typed (for re-display) and the values the operation takes.

    An empty number takes the field's declared default (1 place, 0 beds); other empty fields
    are ``None``; the description is kept as typed.
    """
    form = values(OFFER_TEXT_FIELDS)
    for flag in OFFER_FLAGS:
        form[flag] = "1" if checked(flag) else ""
    args: dict[str, Any] = {}
    for name in OFFER_TEXT_FIELDS:
        field = OFFER_FIELD.get(name)
        if field and field.kind == FieldKind.INT and field.default is not None and not form[name]:
            args[name] = str(field.default)
        else:
            args[name] = or_none(form[name])
    args["description"] = form["description"]
    for flag in OFFER_FLAGS:
        args[flag] = checked(flag)
    return form, args


def _offer_page(template: str, offer: Offer | None, form: dict, errors: dict, status: int = 200):
    session = get_session()
    employer = _employer()
    html = render_template(
        template,
        offer=offer,
        form=form,
        errors=errors,
        sites=[(s.id, f"{s.name} – {s.commune.name}") for s in employer.sites],
        metiers=queries.metier_options(session),
        fields=OFFER_FIELD,
        contacts=[(u.id, _person_label(u)) for u in team_ops.team_members(session, employer)],
        centres=queries.centre_choices(session),
        masters=[(m.id, f"{m.name} ({m.role})") for m in queries.masters_of(session, employer.id)],
    )
    return html, status


def _person_label(user: User) -> str:
    return f"{user.display_name} ({user.email})" if user.display_name else user.email


def _offer_master() -> tuple[str, int | None, dict[str, list[str]]]:
    """Return the maître d'apprentissage chosen on the offer form: as typed, as checked, and
    its errors."""
    typed = request.form.get("master_id", "")[:20]
    try:
        return typed, master_ops.clean_offer_master(get_session(), _employer().id, typed), {}
    except ValidationError as exc:
        return typed, None, exc.errors


def _offer_contact() -> tuple[str, int | None, dict[str, list[str]]]:
    """Return the contact chosen on the offer form: as typed, as checked, and its errors."""
    typed = request.form.get("contact_user_id", "")[:20]
    try:
        return typed, team_ops.clean_offer_contact(get_session(), _employer().id, typed), {}
    except ValidationError as exc:
        return typed, None, exc.errors


@bp.route("/offres/nouvelle", methods=["GET", "POST"])
def new_offer() -> Response | tuple:
    if request.method == "GET":
        if not _employer().sites:
            flash("Ajoutez d'abord un lieu d'accueil : chaque offre y est rattachée.", "info")
            return redirect(url_for("employer.new_site"))
        defaults = {
            f.name: str(getattr(f.default, "value", f.default))
            for f in OFFER_FIELDS
            if f.default not in (None, "") and f.name not in OFFER_FLAGS
        }
        sites = _employer().sites
        if len(sites) == 1:  # the only place an offer can be: chosen already
            defaults["site_id"] = str(sites[0].id)
        return _offer_page("employer/offer_form.html", None, defaults, {})
    form, args = _offer_input()
    form["contact_user_id"], contact, errors = _offer_contact()
    form["master_id"], master, master_errors = _offer_master()
    errors = {**errors, **master_errors}
    session = get_session()
    try:
        offer = ops.create_offer_as(session, current_actor(), **args)
    except ValidationError as exc:
        errors = {**exc.errors, **errors}
    if errors:
        session.rollback()
        return _offer_page("employer/offer_form.html", None, form, errors, 400)
    team_ops.set_offer_contact(session, offer, contact)
    offer.master_id = master
    session.commit()
    flash("L'offre est enregistrée comme brouillon. Publiez-la quand elle est prête.", "success")
    return redirect(url_for("employer.offer", offer_id=offer.id))


@bp.route("/offres/<id:offer_id>/modifier", methods=["GET", "POST"])
def edit_offer(offer_id: int) -> Response | tuple:
    offer = _own_offer(offer_id)
    if request.method == "GET":
        form = {k: getattr(offer, k) for k in OFFER_TEXT_FIELDS}
        form = {k: ("" if v is None else str(getattr(v, "value", v))) for k, v in form.items()}
        for flag in OFFER_FLAGS:
            form[flag] = "1" if getattr(offer, flag) else ""
        form["contact_user_id"] = str(offer.contact_user_id or "")
        form["master_id"] = str(offer.master_id or "")
        return _offer_page("employer/offer_form.html", offer, form, {})
    form, args = _offer_input()
    form["contact_user_id"], contact, errors = _offer_contact()
    form["master_id"], master, master_errors = _offer_master()
    errors = {**errors, **master_errors}
    session = get_session()
    try:
        ops.update_offer(session, offer, **args)
    except ValidationError as exc:
        errors = {**exc.errors, **errors}
    if errors:
        session.rollback()
        return _offer_page("employer/offer_form.html", offer, form, errors, 400)
    team_ops.set_offer_contact(session, offer, contact)
    offer.master_id = master
    session.commit()
    flash("L'offre est enregistrée.", "success")
    return redirect(url_for("employer.offer", offer_id=offer.id))


def _log_contact_views(suggestions: list[Suggestion]) -> None:
    """Record that the employer's staff saw the contact details of approved pairs' candidates.

    The page shows them once a coordinator approved the pair; each view is the person's to know.
    Callers have rolled back any failed change, so the lines are committed here.
    """
    shown = [s for s in suggestions if queries.shows_contact(s)]
    if not shown:
        return
    session = get_session()
    me = current_actor()
    for s in shown:
        audit.log_access(session, me, audit.CANDIDATE, s.request.candidate_id, CONTACT_FIELDS)
    session.commit()


def _offer_html(offer: Offer, **extra: object) -> str:
    """Render an offer's page: the offer, where it stands, the suggestions its owner may see."""
    session = get_session()
    suggestions = queries.visible_suggestions(session, _audience(), offer_id=offer.id)
    _log_contact_views(suggestions)
    return render_template(
        "employer/offer.html",
        offer=offer,
        suggestions=suggestions,
        standing=standing.offer_standing(session, offer, config=current_app.config),
        **extra,
    )


@bp.get("/offres/<id:offer_id>")
def offer(offer_id: int) -> str:
    return _offer_html(_own_offer(offer_id))


@bp.get("/suggestions/<id:suggestion_id>/cv")
def candidate_cv(suggestion_id: int) -> Response:
    """The CV of a pair's candidate, once the pair shows the person (the contact details' rule);
    each download is written to the audit log, as the contact details' views are."""
    s = _own_suggestion(suggestion_id)
    if not queries.shows_contact(s):
        abort(404)
    response = send_cv(s.request.candidate, f"cv-candidat-{s.request.candidate_id}.pdf")
    session = get_session()
    audit.log_access(session, current_actor(), audit.CANDIDATE, s.request.candidate_id, CV_FIELDS)
    session.commit()
    return response


@bp.post("/offres/<id:offer_id>/publier")
def publish(offer_id: int) -> Response | tuple:
    found = _own_offer(offer_id)
    session = get_session()
    try:
        ops.publish_offer(session, found)
    except ValidationError as exc:
        session.rollback()
        return _offer_html(found, errors=exc.errors), 400
    except Conflict as exc:  # a suspended structure publishes nothing
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("employer.offer", offer_id=found.id))
    session.commit()
    flash(PUBLISH_FLASH.get(found.status, "L'offre est publiée."), "success")
    return redirect(url_for("employer.offer", offer_id=found.id))


@bp.post("/offres/<id:offer_id>/fermer")
def close(offer_id: int) -> Response:
    found = _own_offer(offer_id)
    ops.close_offer(get_session(), found)
    get_session().commit()
    flash("L'offre est fermée.", "success")
    return redirect(url_for("employer.offer", offer_id=found.id))


@bp.post("/offres/<id:offer_id>/dupliquer")
def duplicate(offer_id: int) -> Response:
    found = _own_offer(offer_id)
    copy = ops.duplicate_offer(get_session(), found)
    get_session().commit()
    flash("Une copie de l'offre est créée comme brouillon.", "success")
    return redirect(url_for("employer.edit_offer", offer_id=copy.id))


def _import_page(report: ImportReport | None, errors: dict[str, list[str]]) -> str:
    return render_template(
        "employer/import.html", report=report, errors=errors, fields=OFFER_FIELDS
    )


@bp.route("/offres/import", methods=["GET", "POST"])
def import_offers() -> str | tuple:
    if request.method == "GET":
        return _import_page(None, {})
    upload = request.files.get("file")
    if upload is None or not upload.filename:
        return _import_page(None, {"file": ["Choisissez un fichier CSV à importer."]}), 400
    session = get_session()
    report = import_offers_csv(session, current_actor(), _employer(), upload.stream)
    if report.fatal:
        session.rollback()
        return _import_page(None, report.fatal), 400
    session.commit()
    return _import_page(report, {})


@bp.get("/offres/import/modele.csv")
def import_template() -> Response:
    """The header line of an import file, with a BOM so that spreadsheets read it as UTF-8."""
    _employer()
    return csv_download(template_csv(), TEMPLATE_FILENAME, bom=True)


@bp.post("/suggestions/<id:suggestion_id>/reponse")
def answer(suggestion_id: int) -> Response | tuple:
    s = _own_suggestion(suggestion_id)
    session = get_session()
    interested = request.form.get("interested")
    if interested not in ("1", "0"):
        abort(400)
    try:
        ops.set_employer_interest(
            session,
            s,
            current_actor(),
            interested == "1",
            reason=or_none(request.form.get("reason", "")),
        )
    except ValidationError as exc:
        session.rollback()
        return _offer_html(s.offer, errors=exc.errors, answer_for=s.id), 400
    session.commit()
    flash("Votre réponse est enregistrée.", "success")
    return redirect(url_for("employer.offer", offer_id=s.offer_id))


@bp.route("/notifications", methods=["GET", "POST"])
def notifications() -> str | Response | tuple:
    session = get_session()
    me = _me()
    if request.method == "GET":
        form = {
            "notify_frequency": mail.get_notify_frequency(session, me.id).value,
            "library_news": me.library_news_since is not None,
        }
        return render_template("employer/notifications.html", form=form, errors={})
    form = values(("notify_frequency", "library_news"))
    try:
        mail.set_notify_frequency(session, me.id, form["notify_frequency"])
        mail.set_library_news(session, me.id, checked("library_news"))
    except ValidationError as exc:
        session.rollback()
        return render_template("employer/notifications.html", form=form, errors=exc.errors), 400
    session.commit()
    flash("Vos préférences de notification sont enregistrées.", "success")
    return redirect(url_for("employer.dashboard"))


# --- The structure's people (« Mon équipe ») and one's sign-in address --------------------------


def _team_page(form: dict[str, str], errors: dict[str, list[str]], status: int = 200) -> tuple:
    session = get_session()
    employer = _employer()
    html = render_template(
        "employer/team.html",
        employer=employer,
        members=team_ops.team_members(session, employer),
        me=_me(),
        joins=employer_ops.pending_join_requests(session, employer.id),
        form=form,
        errors=errors,
    )
    return html, status


@bp.get("/equipe")
def team() -> tuple:
    """The people of the structure, the invitation form, the requests to join."""
    return _team_page({}, {})


@bp.post("/equipe/inviter")
def invite() -> Response | tuple:
    """Invite a colleague: an account of the structure and a mailed sign-in link."""
    form = values(("name", "email"))
    session = get_session()
    try:
        user = team_ops.invite_colleague(
            session,
            current_actor(),
            _employer(),
            name=form["name"],
            email=form["email"],
            base_url=base_url(),
            valid_days=current_app.config["INVITATION_DAYS"],
        )
    except ValidationError as exc:
        session.rollback()
        return _team_page(form, exc.errors, 400)
    session.commit()
    flash(
        f"{user.display_name} est invité·e : un lien de connexion part à {user.email}.", "success"
    )
    return redirect(url_for("employer.team"))


@bp.post("/equipe/<id:user_id>/retirer")
def remove_member(user_id: int) -> Response | tuple | str:
    """Remove a person of the structure (another structure's: 404); oneself after a
    confirmation page; never the last one."""
    session = get_session()
    person = session.get(User, user_id)
    me = _me()
    if (
        person is None
        or person.employer_id != me.employer_id
        or person.role != Role.EMPLOYER
        or not person.is_active
    ):
        abort(404)
    myself = person.id == me.id
    if myself and request.form.get("confirm") != "1":
        return render_template("employer/team_leave.html", person=person)
    try:
        team_ops.remove_colleague(session, current_actor(), me.employer_id, person)
    except Conflict as exc:
        session.rollback()
        flash(str(exc), "error")
        return redirect(url_for("employer.team"))
    session.commit()
    if myself:
        sign_out()
        flash("Vous êtes retiré·e de la structure : votre compte est fermé.", "success")
        return redirect(url_for("public.home"))
    flash(
        f"{person.display_name or person.email} est retiré·e de la structure : son accès est "
        "fermé et ses offres n'ont plus de personne à contacter désignée.",
        "success",
    )
    return redirect(url_for("employer.team"))


@bp.route("/mon-adresse", methods=["GET", "POST"])
def my_address() -> str | Response | tuple:
    """Change one's sign-in address: a link to the new address confirms it."""
    session = get_session()
    me = _me()
    pending = account_email.pending_email_change(session, me)
    if request.method == "GET":
        return render_template(
            "employer/team_address.html", me=me, pending=pending, form={}, errors={}
        )
    form = values(("email",))
    try:
        message = signin.ask_email_change(me, form["email"])
    except (ValidationError, Conflict) as exc:
        session.rollback()
        errors = exc.errors if isinstance(exc, ValidationError) else {"_schema": [str(exc)]}
        page = render_template(
            "employer/team_address.html", me=me, pending=pending, form=form, errors=errors
        )
        return page, 400
    session.commit()
    flash(message, "success")
    return redirect(url_for("employer.team"))
