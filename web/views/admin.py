"""Administration: locally kept mails, review rule, accounts and API tokens, the SMIC and the
apprentices' pay grid.

Job runs and the outbox's failures are on the coordinators' page (admins are staff too)."""

from __future__ import annotations

from flask import Blueprint, abort, current_app, flash, redirect, render_template, request, url_for
from sqlalchemy import select
from werkzeug.wrappers import Response

from data import auth, mail
from data.errors import ValidationError
from data.models import CONTRACT_YEARS, AgeBand, Role, User
from data.models.auth import ApiToken
from data.operations import pay as pay_ops
from data.platform_settings import (
    ReviewRule,
    get_review_rule,
    get_structures_check,
    set_review_rule,
    set_structures_check,
)
from data.presentation.labels import label
from data.queries import pay as pay_queries
from web.db import get_session
from web.forms import small_int
from web.sessions import current_actor, current_user, role_required

bp = Blueprint("admin", __name__, url_prefix="/admin")


@bp.before_request
@role_required(Role.ADMIN)
def _only_admins() -> None:
    return None


@bp.get("/")
def index() -> str:
    session = get_session()
    rule = get_review_rule(session)
    form = {"mode": rule.mode, "min_score": str(round(rule.min_score * 100))}
    return render_template(
        "admin/index.html",
        form=form,
        errors={},
        check_form={"structures_check": get_structures_check(session)},
        check_errors={},
    )


@bp.post("/regle-de-revue")
def review_rule() -> Response | tuple:
    session = get_session()
    form = {k: request.form.get(k, "") for k in ("mode", "min_score")}
    errors: dict[str, list[str]] = {}
    score = form["min_score"]
    number = small_int(score, 0, 100)
    if number is None:
        errors["min_score"] = ["Indiquez un nombre entier entre 0 et 100."]
    else:
        try:
            set_review_rule(session, ReviewRule(form["mode"], number / 100), current_actor())
        except ValidationError as exc:
            errors = exc.errors
    if errors:
        session.rollback()
        html = render_template(
            "admin/index.html",
            form=form,
            errors=errors,
            check_form={"structures_check": get_structures_check(session)},
            check_errors={},
        )
        return html, 400
    session.commit()
    flash("La règle de revue est enregistrée.", "success")
    return redirect(url_for("admin.index"))


@bp.post("/verification-des-structures")
def structures_check() -> Response | tuple:
    """Choose whether a new structure's offers wait for a coordinator's check (moderation)."""
    session = get_session()
    mode = request.form.get("structures_check", "")
    try:
        set_structures_check(session, mode, current_actor())
    except ValidationError as exc:
        session.rollback()
        rule = get_review_rule(session)
        html = render_template(
            "admin/index.html",
            form={"mode": rule.mode, "min_score": str(round(rule.min_score * 100))},
            errors={},
            check_form={"structures_check": mode},
            check_errors={"structures_check": exc.errors.get("mode", [])},
        )
        return html, 400
    session.commit()
    flash("La règle de vérification des structures est enregistrée.", "success")
    return redirect(url_for("admin.index"))


@bp.get("/courriels")
def mails() -> str:
    found = mail.list_local_mails(current_app.config["MAIL_DIR"], limit=200)
    return render_template("admin/mails.html", mails=found)


@bp.get("/courriels/<name>")
def mail_detail(name: str) -> str:
    message = mail.read_local_mail(current_app.config["MAIL_DIR"], name)
    if message is None:
        abort(404)
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    return render_template("admin/mail.html", name=name, message=message, text=text)


@bp.get("/comptes")
def accounts() -> str:
    session = get_session()
    staff = session.scalars(
        select(User).where(User.role.in_([Role.COORDINATOR, Role.ADMIN])).order_by(User.email)
    ).all()
    tokens = session.scalars(select(ApiToken).order_by(ApiToken.created_at.desc())).all()
    return render_template("admin/accounts.html", staff=staff, tokens=tokens)


@bp.post("/comptes/<id:user_id>/<any(desactiver, reactiver, deconnecter):action>")
def account_action(user_id: int, action: str) -> Response:
    session = get_session()
    user = session.get(User, user_id)
    if user is None:
        abort(404)
    if action == "desactiver":
        if user.id == current_user().id:  # type: ignore[union-attr]
            flash("Vous ne pouvez pas désactiver votre propre compte.", "error")
            return redirect(url_for("admin.accounts"))
        auth.set_active(session, user, False)
    elif action == "reactiver":
        auth.set_active(session, user, True)
    else:
        auth.end_all_sessions(session, user)
    session.commit()
    flash("C'est fait.", "success")
    return redirect(url_for("admin.accounts"))


@bp.post("/jetons/<id:token_id>/revoquer")
def revoke_token(token_id: int) -> Response:
    session = get_session()
    auth.revoke_api_token(session, token_id)
    session.commit()
    flash("Le jeton est révoqué.", "success")
    return redirect(url_for("admin.accounts"))


# --- The SMIC and the apprentices' pay grid (issue 18) -------------------------------------------

SMIC_INPUTS = ("monthly_eur", "hourly_eur", "valid_from", "source")
# The grid's form shares the page: its day and source inputs have their own names.
GRID_INPUTS = {
    "age_band": "age_band",
    "contract_year": "contract_year",
    "percent": "percent",
    "grid_valid_from": "valid_from",
    "grid_source": "source",
}


# The rules' form shares the page too.
RULE_INPUTS = {
    "key": "key",
    "value": "value",
    "rule_valid_from": "valid_from",
    "rule_source": "source",
}


def _pay_page(
    smic_form: dict[str, str] | None = None,
    smic_errors: dict[str, list[str]] | None = None,
    grid_form: dict[str, str] | None = None,
    grid_errors: dict[str, list[str]] | None = None,
    rule_form: dict[str, str] | None = None,
    rule_errors: dict[str, list[str]] | None = None,
) -> str:
    session = get_session()
    return render_template(
        "admin/pay.html",
        smic_rows=pay_queries.smic_history(session),
        grid_rows=pay_queries.pay_grid_history(session),
        rule_rows=pay_queries.legal_rule_history(session),
        smic_form=smic_form or {},
        smic_errors=smic_errors or {},
        grid_form=grid_form or {},
        grid_errors=grid_errors or {},
        rule_form=rule_form or {},
        rule_errors=rule_errors or {},
        age_bands=[(b.value, label(b)) for b in AgeBand],
        contract_years=[
            (str(y), f"{y}re année" if y == 1 else f"{y}e année") for y in CONTRACT_YEARS
        ],
    )


@bp.get("/remuneration")
def pay() -> str:
    """The SMIC and the pay grid, with their history; forms to add a row from a day."""
    return _pay_page()


@bp.post("/remuneration/smic")
def add_smic() -> Response | tuple:
    session = get_session()
    form = {k: request.form.get(k, "") for k in SMIC_INPUTS}
    try:
        pay_ops.add_smic_value(session, current_actor(), form)
    except ValidationError as exc:
        session.rollback()
        return _pay_page(smic_form=form, smic_errors=exc.errors), 400
    session.commit()
    flash("Le nouveau montant du SMIC est enregistré.", "success")
    return redirect(url_for("admin.pay"))


def _form_errors(errors: dict[str, list[str]], inputs: dict[str, str]) -> dict[str, list[str]]:
    """The operation's errors keyed by the page's input names (fields renamed on the page)."""
    names = {field: name for name, field in inputs.items()}
    return {names.get(f, f): m for f, m in errors.items()}


@bp.post("/remuneration/regles")
def add_rule() -> Response | tuple:
    session = get_session()
    form = {k: request.form.get(k, "") for k in RULE_INPUTS}
    try:
        pay_ops.add_legal_rule(
            session, current_actor(), {field: form[k] for k, field in RULE_INPUTS.items()}
        )
    except ValidationError as exc:
        session.rollback()
        return _pay_page(rule_form=form, rule_errors=_form_errors(exc.errors, RULE_INPUTS)), 400
    session.commit()
    flash("La nouvelle valeur de la règle est enregistrée.", "success")
    return redirect(url_for("admin.pay") + "#regles")


@bp.post("/remuneration/grille")
def add_pay_grid() -> Response | tuple:
    session = get_session()
    form = {k: request.form.get(k, "") for k in GRID_INPUTS}
    try:
        pay_ops.add_pay_grid_row(
            session, current_actor(), {field: form[k] for k, field in GRID_INPUTS.items()}
        )
    except ValidationError as exc:
        session.rollback()
        return _pay_page(grid_form=form, grid_errors=_form_errors(exc.errors, GRID_INPUTS)), 400
    session.commit()
    flash("Le nouveau taux de la grille est enregistré.", "success")
    return redirect(url_for("admin.pay"))
