"""Sign-up, sign-in (mailed link or password + TOTP), sign-out, staff password change."""

from __future__ import annotations

import math
import time
from datetime import timedelta
from typing import Any

from flask import (
    Blueprint,
    current_app,
    flash,
    jsonify,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response

from data import auth
from data.actor import Actor
from data.errors import ValidationError
from data.jobruns import interval_of
from data.models import Employer, Role, StructureJoinRequest, User
from data.operations import account_email
from data.operations import candidates as candidate_ops
from data.operations import employers as employer_ops
from data.operations import users as user_ops
from data.presentation import plural
from web import challenge, mailing
from web.db import get_session
from web.sessions import (
    STAFF,
    current_actor,
    current_user,
    role_required,
    safe_next,
    sign_in,
    sign_out,
)

bp = Blueprint("signin", __name__)

#: The least time a sign-in or sign-up answer takes (above the slowest path's usual time).
ANSWER_FLOOR_SECONDS = 0.05

#: What a form says when it needs the challenge solved first.
CHALLENGE_MESSAGE = (
    "Cette adresse a fait l'objet de nombreuses tentatives récentes : pour continuer, attendez que "
    "la vérification anti-robot ci-dessous affiche « Vérifié » (cochez la case « Je ne suis pas "
    "un robot » si elle ne démarre pas seule), puis validez à nouveau le formulaire."
)


def _home_of(user: User) -> str:
    if user.role == Role.EMPLOYER:
        return url_for("employer.dashboard")
    if user.role == Role.CANDIDATE:
        return url_for("candidate.dashboard")
    return url_for("coordinator.dashboard")


#: The spaces of the site and who may enter each: a ``next`` into another's space is not followed.
_SPACES = {
    "/employeur": (Role.EMPLOYER,),
    "/candidat": (Role.CANDIDATE,),
    "/coordination": (Role.COORDINATOR, Role.ADMIN),
    "/admin": (Role.ADMIN,),
}


def _landing(user: User, target: str | None) -> str:
    """Return where ``user`` goes once signed in: ``target`` (the page that asked for the
    sign-in) when it is a path of the site that their role may open, else their home."""
    nxt = safe_next(target)
    if nxt is None:
        return _home_of(user)
    path = nxt.split("?", 1)[0]
    for prefix, roles in _SPACES.items():
        if (path == prefix or path.startswith(prefix + "/")) and user.role not in roles:
            return _home_of(user)
    return nxt


def _allowed(*keys: str) -> bool:
    """Count one attempt for each key; False as soon as one is over its limit (all are counted)."""
    cfg = current_app.config
    window = timedelta(minutes=int(cfg["RATELIMIT_WINDOW_MINUTES"]))
    session = get_session()
    ok = True
    for key in keys:
        limit = (
            cfg["RATELIMIT_PER_ADDRESS"] if key.startswith("ip:") else cfg["RATELIMIT_PER_ACCOUNT"]
        )
        ok = auth.hit_rate_limit(session, key, limit=int(limit), window=window) and ok
    # Counted attempts stay counted whatever happens next.
    session.commit()
    return ok


def _client_allowed() -> bool:
    """Count one attempt for the client's address; False once it is over its limit."""
    return _allowed(f"ip:{request.remote_addr}")


def _account_attempts(key: str) -> float:
    """Count one attempt for an account (anyone may make it): never a refusal, see the callers."""
    cfg = current_app.config
    window = timedelta(minutes=int(cfg["RATELIMIT_WINDOW_MINUTES"]))
    session = get_session()
    attempts = auth.count_attempt(session, key, window=window)
    session.commit()
    return attempts


def _too_many(template: str, form: dict[str, str]) -> tuple[str, int, dict[str, str]]:
    minutes = current_app.config["RATELIMIT_WINDOW_MINUTES"]
    errors = {
        "_schema": [
            f"Trop de tentatives en peu de temps. Patientez {minutes} minutes puis réessayez."
        ]
    }
    return (
        render_template(template, form=form, errors=errors),
        429,
        {"Retry-After": str(int(minutes) * 60)},
    )


def _absolute(endpoint: str, **values: object) -> str:
    return f"{mailing.base_url()}{url_for(endpoint, **values)}"


def send_signin_link(user: User, template: str = "signin", next_path: str | None = None) -> None:
    """Queue a mail with a new single-use link for ``user`` (the jobs' sender sends it); the
    link leads on to ``next_path`` (a path of the site) once used."""
    session = get_session()
    raw = auth.create_login_link(session, user)
    mailing.queue(
        session,
        to=user.email,
        kind="signin",
        key=auth.hash_secret(raw)[:32],
        template=template,
        user_id=user.id,
        link=_absolute("signin.link", token=raw, next=safe_next(next_path)),
    )


def _sent(email: str, started: float, *, signup: bool = False) -> str:
    """The one answer to a sign-in or sign-up, whatever the address (commits the request).

    A known address costs a little more work (a link and a mail queued) than an unknown one: the
    answer leaves no sooner than :data:`ANSWER_FLOOR_SECONDS` after ``started`` (a
    ``time.perf_counter()`` value), so its timing does not tell them apart either.
    """
    get_session().commit()
    # The jobs' sender sends it: the page says within how long, from the sender's interval.
    interval = interval_of(current_app.config, "sender") or timedelta(minutes=1)
    within = plural(max(1, math.ceil(interval.total_seconds() / 60)), "minute", "minutes")
    page = render_template("signin/link_sent.html", email=email, signup=signup, within=within)
    floor = float(current_app.config.get("SIGNIN_ANSWER_FLOOR_SECONDS", ANSWER_FLOOR_SECONDS))
    left = started + floor - time.perf_counter()
    if left > 0:
        time.sleep(left)
    return page


# --- Mailed links (employers, candidates) ---------------------------------------------------


@bp.route("/connexion", methods=["GET", "POST"])
def request_link() -> str | Response | tuple:
    user = current_user()
    nxt = safe_next(request.values.get("next"))
    if user is not None:
        return redirect(_landing(user, nxt))
    if request.method == "GET":
        return render_template("signin/request_link.html", form={}, errors={}, next=nxt)
    started = time.perf_counter()
    form = {"email": request.form.get("email", "")[:254], "next": nxt or ""}
    email = auth.normalize_email(form["email"])
    if "@" not in email:
        errors = {"email": ["Indiquez une adresse électronique, par exemple nom@exemple.fr."]}
        return render_template("signin/request_link.html", form=form, errors=errors), 400
    if not _client_allowed():
        return _too_many("signin/request_link.html", form)
    # Past the account's limit a mail goes out only with a solved challenge (no cheap flood of the
    # mailbox, and nobody is locked out by others' requests: the person solves it and gets a link;
    # the links already sent stay valid). The page asks it of any address alike.
    attempts = _account_attempts(auth.address_rate_key("link", email))
    if attempts > int(current_app.config["RATELIMIT_PER_ACCOUNT"]) and not _challenge_solved():
        return _challenge_page("signin/request_link.html", form)
    target = auth.find_link_user(get_session(), email)
    if target is not None:
        send_signin_link(target, next_path=nxt)
    return _sent(form["email"], started)


@bp.get("/connexion/lien/<token>")
def link(token: str) -> str:
    # Mail scanners open links: looking at the link must not use it. A button signs in.
    valid = auth.peek_login_link(get_session(), token)
    nxt = safe_next(request.args.get("next"))
    return render_template("signin/link.html", token=token, valid=valid, next=nxt)


@bp.post("/connexion/lien/<token>")
def use_link(token: str) -> Response | tuple:
    session = get_session()
    try:
        user = auth.consume_login_link(session, token)
    except auth.InvalidLink:
        session.rollback()
        return render_template("signin/link.html", token=token, valid=False), 400
    if user.candidate_id is not None:
        candidate_ops.touch_candidate(session, user.candidate_id)
    session.commit()
    sign_in(user)
    flash("Vous êtes connecté·e.", "success")
    return redirect(_landing(user, request.form.get("next")))


# --- Sign-in address change: the link mailed to the new address -------------------------------


@bp.get("/compte/adresse/<token>")
def email_change_page(token: str) -> str:
    """The page a confirmation link opens: it tells the new address; a button confirms (mail
    scanners open links: looking must not use it)."""
    new_email = account_email.peek_email_change(get_session(), token)
    return render_template("signin/email_change.html", token=token, new_email=new_email)


@bp.post("/compte/adresse/<token>")
def confirm_email_change(token: str) -> Response | tuple:
    """Confirm a new sign-in address: every session of the account ends, this one too."""
    session = get_session()
    try:
        user = account_email.confirm_email_change(session, token, base_url=mailing.base_url())
    except ValidationError as exc:
        session.rollback()
        message = next(iter(exc.errors.values()))[0]
        page = render_template(
            "signin/email_change.html", token=token, new_email=None, message=message
        )
        return page, 400
    session.commit()
    sign_out()
    flash(
        f"Votre adresse de connexion est maintenant {user.email}. "
        "Connectez-vous avec elle pour continuer.",
        "success",
    )
    return redirect(url_for("signin.request_link"))


def ask_email_change(user: User, new_email: str) -> str:
    """Ask for a new sign-in address for ``user`` (mails queued); return the flash. Raises
    ValidationError with the French message when the address is refused. The caller commits."""
    account_email.request_email_change(
        get_session(),
        current_actor(),
        user,
        new_email,
        base_url=mailing.base_url(),
    )
    return (
        f"Un lien de confirmation est envoyé à {auth.normalize_email(new_email)} : votre adresse "
        "de connexion changera quand vous l'aurez ouvert. Votre adresse actuelle en est avertie."
    )


# --- Staff: password + TOTP -------------------------------------------------------------------


@bp.route("/connexion/equipe", methods=["GET", "POST"])
def staff() -> str | Response | tuple:
    user = current_user()
    if user is not None and user.role in STAFF:
        return redirect(_home_of(user))
    nxt = safe_next(request.values.get("next"))
    if request.method == "GET":
        return render_template("signin/staff.html", form={}, errors={}, next=nxt)
    form = {"email": request.form.get("email", "")[:254]}
    email = auth.normalize_email(form["email"])
    if not _client_allowed():
        return _too_many("signin/staff.html", form)
    attempts = _account_attempts(auth.address_rate_key("staff", email))
    # Past the delays, the password and code are looked at only with a solved challenge: checked
    # first, so that the answer tells nothing of them without it.
    if challenge.challenge_needed(attempts) and not _challenge_solved():
        page = _challenge_page("signin/staff.html", form, next=nxt)
        return page, 400
    session = get_session()
    try:
        user = auth.authenticate_staff(
            session, email, request.form.get("password", ""), request.form.get("code", "")
        )
    except auth.SignInFailed as exc:
        session.commit()  # a matched TOTP step stays used even if the password was wrong
        _hold_failure(attempts)
        errors = {"_schema": [str(exc)]}
        # The next try will need the challenge: show it now rather than after one more refusal.
        page = render_template(
            "signin/staff.html",
            form=form,
            errors=errors,
            next=nxt,
            challenge=challenge.challenge_needed(attempts + 1),
        )
        return page, 400
    session.commit()
    sign_in(user)
    return redirect(_landing(user, nxt))


def _challenge_solved() -> bool:
    """Tell whether the form carries a solved challenge (used up now; committed here)."""
    ok = challenge.solved(request.form.get(challenge.CHALLENGE_FIELD))
    get_session().commit()
    return ok


def _challenge_page(template: str, form: dict[str, str], **context: Any) -> str:
    """Render the form again with the challenge to solve (the password is never typed back)."""
    errors = {"_schema": [CHALLENGE_MESSAGE]}
    return render_template(template, form=form, errors=errors, challenge=True, **context)


@bp.get("/connexion/defi")
def new_challenge() -> Response:
    """Hand the widget a fresh challenge (JSON; any visitor, nothing stored)."""
    response = jsonify(challenge.new_challenge())
    response.headers["Cache-Control"] = "no-store"
    return response


def _hold_failure(attempts: float) -> None:
    """Slow down a failed sign-in of an account many tried lately (never a success)."""
    cfg = current_app.config
    delay = auth.account_delay(
        attempts,
        int(cfg["RATELIMIT_PER_ACCOUNT"]),
        cap=float(cfg["RATELIMIT_ACCOUNT_MAX_DELAY_SECONDS"]),
    )
    if delay > 0:
        time.sleep(delay)


@bp.route("/compte/mot-de-passe", methods=["GET", "POST"])
@role_required(*STAFF)
def change_password() -> str | Response | tuple:
    if request.method == "GET":
        return render_template("signin/password.html", errors={})
    user = current_user()
    assert user is not None
    # The current password is checked here: the same limits as the sign-in. Whoever tries holds
    # this session, so the account's limit refuses too.
    if not _allowed(f"ip:{request.remote_addr}", f"password:{user.id}"):
        return _too_many("signin/password.html", {})
    session = get_session()
    new = request.form.get("new", "")
    errors: dict[str, list[str]] = {}
    if new != request.form.get("confirm", ""):
        errors["confirm"] = ["Les deux saisies du nouveau mot de passe diffèrent."]
    else:
        try:
            auth.set_password(session, user, request.form.get("current", ""), new)
        except ValidationError as exc:
            errors = exc.errors
    if errors:
        session.rollback()
        return render_template("signin/password.html", errors=errors), 400
    session.commit()
    sign_in(user)  # this browser goes on with the new session version; the others are out
    flash("Mot de passe changé. Vos autres sessions sont terminées.", "success")
    return redirect(url_for("coordinator.dashboard"))


@bp.post("/deconnexion", endpoint="sign_out")
def sign_out_view() -> Response:
    user = current_user()
    if user is not None:
        session = get_session()
        auth.end_all_sessions(session, user)
        session.commit()
    sign_out()
    flash("Vous êtes déconnecté·e.", "info")
    return redirect(url_for("public.home"))


# --- Sign-up ----------------------------------------------------------------------------------


def _already_registered(email: str) -> bool:
    """Tell whether the address has an account; if it signs in by link, mail it one.

    The page says the same as for a new sign-up. A staff or deactivated account gets nothing:
    the answer must not tell that the address is known, and staff sign in by password.
    """
    session = get_session()
    if user_ops.find_user_by_email(session, email) is None:
        return False
    existing = auth.find_link_user(session, email)
    if existing is not None:
        send_signin_link(existing, template="already_registered")
    return True


@bp.route("/inscription/candidat", methods=["GET", "POST"])
def signup_candidate() -> str | Response | tuple:
    if request.method == "GET":
        return render_template("signin/signup_candidate.html", form={}, errors={})
    started = time.perf_counter()
    fields = ("first_name", "last_name", "email", "phone")
    form = {k: request.form.get(k, "") for k in fields}
    form["consent"] = request.form.get("consent", "")
    email = auth.normalize_email(form["email"])
    if not _allowed(f"ip:{request.remote_addr}", auth.address_rate_key("signup", email)):
        return _too_many("signin/signup_candidate.html", form)
    session = get_session()
    # The form is checked in full first, whether the address is known or not: the answer to a
    # known address must be the answer to an unknown one.
    known = user_ops.find_user_by_email(session, email) is not None
    try:
        candidate = candidate_ops.create_candidate(
            session,
            first_name=form["first_name"],
            last_name=form["last_name"],
            email=form["email"],
            phone=form["phone"] or None,
            consent=form["consent"] == "1",
        )
        session.flush()
    except ValidationError as exc:
        session.rollback()
        errors = {
            field: kept
            for field, messages in exc.errors.items()
            if (kept := [m for m in messages if m != candidate_ops.DUPLICATE_CANDIDATE_EMAIL])
        }
        if errors:
            return render_template("signin/signup_candidate.html", form=form, errors=errors), 400
        known = True  # only the address was taken
    if known:
        session.rollback()  # nothing of this sign-up is kept (the rate limit was committed)
        _already_registered(email)
        return _sent(form["email"], started, signup=True)
    try:
        with session.begin_nested():
            user = user_ops.create_user(
                session, email=form["email"], role=Role.CANDIDATE, candidate=candidate
            )
            session.flush()
    except ValidationError:
        # A sign-up with this address won a moment ago: the same answer as for a known address.
        session.rollback()
        _already_registered(email)
        return _sent(form["email"], started, signup=True)
    send_signin_link(user)
    return _sent(form["email"], started, signup=True)


@bp.route("/inscription/employeur", methods=["GET", "POST"])
def signup_employer() -> str | Response | tuple:
    if request.method == "GET":
        return render_template("signin/signup_employer.html", form={}, errors={})
    started = time.perf_counter()
    fields = ("name", "siret", "kind", "contact_name", "contact_email", "contact_phone", "message")
    form = {k: request.form.get(k, "") for k in fields}
    form["consent"] = request.form.get("consent", "")
    email = auth.normalize_email(form["contact_email"])
    if not _allowed(f"ip:{request.remote_addr}", auth.address_rate_key("signup", email)):
        return _too_many("signin/signup_employer.html", form)
    session = get_session()
    consent: dict[str, list[str]] = {}
    if form["consent"] != "1":
        consent["consent"] = ["Cochez cet engagement pour inscrire votre structure."]
    structure = {k: form[k] for k in fields if k != "message"}
    structure["contact_phone"] = form["contact_phone"] or None
    try:
        # Whether the SIRET is registered is not checked here: that must not show.
        values = employer_ops.check_new_employer(
            session, message=form["message"] or None, extra_errors=consent, **structure
        )
    except ValidationError as exc:
        session.rollback()
        return render_template("signin/signup_employer.html", form=form, errors=exc.errors), 400
    if _already_registered(email):
        return _sent(form["contact_email"], started, signup=True)
    registered = employer_ops.employer_by_siret(session, values["siret"])
    if registered is not None:
        _ask_to_join(registered, values)
        return _sent(form["contact_email"], started, signup=True)
    try:
        with session.begin_nested():
            employer = employer_ops.create_employer(session, **structure)
            session.flush()
            user = user_ops.create_user(
                session,
                email=form["contact_email"],
                role=Role.EMPLOYER,
                employer=employer,
                display_name=form["contact_name"],
            )
            session.flush()
    except ValidationError as exc:
        # Another sign-up registered this SIRET or this address a moment ago (the checks above
        # saw neither): answer as if it had come first, never with "already registered".
        if "siret" in exc.errors:
            registered = employer_ops.employer_by_siret(session, values["siret"])
            if registered is not None:
                _ask_to_join(registered, values)
                return _sent(form["contact_email"], started, signup=True)
        if "email" in exc.errors and _already_registered(email):
            return _sent(form["contact_email"], started, signup=True)
        session.rollback()
        return render_template("signin/signup_employer.html", form=form, errors=exc.errors), 400
    send_signin_link(user)
    return _sent(form["contact_email"], started, signup=True)


def _ask_to_join(employer: Employer, values: dict[str, Any]) -> None:
    """Record a request to join ``employer``; mail the requester and the structure's people."""
    session = get_session()
    join = employer_ops.request_to_join(
        session,
        employer,
        name=values["contact_name"],
        email=values["contact_email"],
        phone=values["contact_phone"],
        message=values.get("message"),
    )
    key = f"join-{join.id}"
    mailing.queue(session, to=join.email, kind="join_request", key=key, template="join_requested")
    review = _absolute("employer.dashboard")
    for person in employer_ops.structure_accounts(session, employer.id):
        mailing.queue(
            session,
            to=person.email,
            kind="join_request_review",
            key=key,
            template="join_request_review",
            user_id=person.id,
            name=join.name,
            structure=employer.name,
            link=review,
        )


# --- Requests to join a registered structure (reviewed in the employer and coordination spaces) --


def decide_join_request(join: StructureJoinRequest, actor: Actor, *, accept: bool) -> str:
    """Accept or refuse a request to join, queue the requester's mail, commit; return the flash.

    Raises ``Conflict`` when someone else decided first (the caller rolls back and says so).
    """
    session = get_session()
    if accept:
        user = employer_ops.accept_join_request(session, join, actor)
        session.flush()
        send_signin_link(user, template="join_accepted")
        message = f"Demande acceptée : {join.name} reçoit un lien de connexion."
    else:
        employer_ops.refuse_join_request(session, join, actor)
        mailing.queue(
            session,
            to=join.email,
            kind="join_request",
            key=f"join-{join.id}-refused",
            template="join_refused",
        )
        message = f"Demande refusée : {join.name} en est informé·e, sans autre détail."
    session.commit()
    return message
