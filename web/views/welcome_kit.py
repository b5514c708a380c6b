"""The welcome kit (issue 19): the structure's « Kit d'accueil » (checklist to tick, booklet, PDF),
the apprentice's booklet and its PDF, and the coordinators' pages (a pair's kit, the signature
planned, the overdue items of all pairs, the templates with their history).

Every kit is loaded through ``_kit_or_404``, which answers 404 for a kit of another structure or
person. Views parse the form, call one operation (``data.operations.welcome_kit``), and render;
a French message for bad input, never a 500.
"""

from __future__ import annotations

from collections.abc import Callable

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    redirect,
    render_template,
    request,
    url_for,
)
from werkzeug.wrappers import Response as BaseResponse

from data.errors import Conflict, NotFound, PermissionDenied, ValidationError
from data.models import (
    KitPart,
    KitPhase,
    KitTemplate,
    KitTemplateVersion,
    Role,
    RuleKey,
    Suggestion,
    WelcomeKit,
)
from data.operations import welcome_kit as ops
from data.operations._common import local_today
from data.presentation import render_markdown
from data.presentation.pdf import html_to_pdf
from data.queries import welcome_kit as kq
from web.db import get_session
from web.forms import flash_errors, values
from web.sessions import STAFF, current_actor, current_user, role_required

employer_bp = Blueprint("kit_employer", __name__, url_prefix="/employeur/kits")
candidate_bp = Blueprint("kit_candidate", __name__, url_prefix="/candidat/kits")
coordination_bp = Blueprint("kit_coordination", __name__, url_prefix="/coordination/kits")
BLUEPRINTS = (employer_bp, candidate_bp, coordination_bp)

TEMPLATE_FIELDS = ("title", "body", "phase", "offset_days", "rule_key")
ERRORS = (ValidationError, Conflict, PermissionDenied, NotFound)


def _contact() -> str:
    return str(current_app.config.get("CONTACT_EMAIL") or "")


def _kit_or_404(kit_id: int, owned: Callable[[WelcomeKit], bool]) -> WelcomeKit:
    kit = get_session().get(WelcomeKit, kit_id)
    if kit is None or not owned(kit):
        abort(404)
    return kit


def _page(kit: WelcomeKit) -> kq.KitPage:
    return kq.kit_page(get_session(), kit, _contact(), local_today())


def _pdf(kit: WelcomeKit, *, checklist: bool, filename: str) -> Response:
    html = render_template("welcome_kit/pdf.html", page=_page(kit), checklist=checklist)
    return Response(
        html_to_pdf(html),
        mimetype="application/pdf",
        headers={
            "Content-Disposition": f'attachment; filename="{filename}-{kit.id}.pdf"',
            "Cache-Control": "no-store",
        },
    )


def _tick(kit: WelcomeKit, item_id: int, back: str) -> BaseResponse:
    if not any(i.id == item_id for i in kit.items):
        abort(404)
    done = request.form.get("done")
    session = get_session()
    try:
        if done not in ("1", "0"):
            raise ValidationError({"done": ["Choisissez de cocher ou de décocher ce point."]})
        item = ops.set_item_done(session, current_actor(), item_id, done == "1")
    except ERRORS as exc:
        flash_errors(exc)
    else:
        session.commit()
        flash(
            f"« {item.label} » : {'fait' if item.done_at else 'de nouveau à faire'}.",
            "success",
        )
    return redirect(back + "#liste")


# --- The structure ------------------------------------------------------------------------------


@employer_bp.before_request
@role_required(Role.EMPLOYER)
def _only_employers() -> None:
    return None


def _own_kit(kit_id: int) -> WelcomeKit:
    user = current_user()
    assert user is not None
    return _kit_or_404(
        kit_id,
        lambda k: (
            user.employer_id is not None and k.suggestion.offer.site.employer_id == user.employer_id
        ),
    )


@employer_bp.get("/")
def kits() -> str:
    """The structure's kits: one per signed (or planned) pair, with its late items counted."""
    user = current_user()
    assert user is not None
    session = get_session()
    found = kq.kits_of_employer(session, user.employer_id or 0)
    late = kq.overdue_items(session, local_today(), employer_id=user.employer_id or 0)
    counts: dict[int, int] = {}
    for o in late:
        counts[o.item.kit_id] = counts.get(o.item.kit_id, 0) + 1
    return render_template("welcome_kit/employer_list.html", kits=found, late=counts)


@employer_bp.get("/<id:kit_id>")
def kit(kit_id: int) -> str:
    """A pair's kit for the structure: checklist to tick, booklet, PDF."""
    found = _own_kit(kit_id)
    return render_template(
        "welcome_kit/kit.html",
        page=_page(found),
        tick_endpoint="kit_employer.tick",
        pdf_url=url_for("kit_employer.pdf", kit_id=found.id),
    )


@employer_bp.post("/<id:kit_id>/points/<id:item_id>")
def tick(kit_id: int, item_id: int) -> BaseResponse:
    """Tick or untick one item of the structure's kit."""
    found = _own_kit(kit_id)
    return _tick(found, item_id, url_for("kit_employer.kit", kit_id=found.id))


@employer_bp.get("/<id:kit_id>/kit-accueil.pdf")
def pdf(kit_id: int) -> Response:
    """The kit as a PDF: the checklist and the booklet."""
    return _pdf(_own_kit(kit_id), checklist=True, filename="kit-accueil")


# --- The apprentice -----------------------------------------------------------------------------


@candidate_bp.before_request
@role_required(Role.CANDIDATE)
def _only_candidates() -> None:
    return None


def _own_booklet(kit_id: int) -> WelcomeKit:
    user = current_user()
    assert user is not None
    return _kit_or_404(
        kit_id,
        lambda k: (
            user.candidate_id is not None and k.suggestion.request.candidate_id == user.candidate_id
        ),
    )


@candidate_bp.get("/")
def booklets() -> BaseResponse | str:
    """The person's booklets (one per signed pair; usually one, shown at once)."""
    user = current_user()
    assert user is not None
    found = kq.kits_of_candidate(get_session(), user.candidate_id or 0)
    if len(found) == 1:
        return redirect(url_for("kit_candidate.booklet", kit_id=found[0].id))
    return render_template("welcome_kit/candidate_list.html", kits=found)


@candidate_bp.get("/<id:kit_id>")
def booklet(kit_id: int) -> str:
    """The apprentice's welcome booklet."""
    found = _own_booklet(kit_id)
    return render_template(
        "welcome_kit/booklet.html",
        page=_page(found),
        pdf_url=url_for("kit_candidate.pdf", kit_id=found.id),
    )


@candidate_bp.get("/<id:kit_id>/livret-accueil.pdf", endpoint="pdf")
def pdf_booklet(kit_id: int) -> Response:
    """The booklet as a PDF."""
    return _pdf(_own_booklet(kit_id), checklist=False, filename="livret-accueil")


# --- Coordinators -------------------------------------------------------------------------------


@coordination_bp.before_request
@role_required(*STAFF)
def _only_staff() -> None:
    return None


@coordination_bp.get("/retards")
def overdue() -> str:
    """« Kits d'accueil : points en retard »: the overdue items of all pairs."""
    rows = kq.overdue_items(get_session(), local_today())
    return render_template("welcome_kit/overdue.html", rows=rows)


@coordination_bp.get("/<id:kit_id>")
def staff_kit(kit_id: int) -> str:
    """A pair's kit for coordinators (they may tick too)."""
    found = _kit_or_404(kit_id, bool)
    return render_template(
        "welcome_kit/kit.html",
        page=_page(found),
        tick_endpoint="kit_coordination.staff_tick",
        pdf_url=url_for("kit_coordination.staff_pdf", kit_id=found.id),
        staff=True,
    )


@coordination_bp.post("/<id:kit_id>/points/<id:item_id>")
def staff_tick(kit_id: int, item_id: int) -> BaseResponse:
    """Tick or untick an item for the structure."""
    found = _kit_or_404(kit_id, bool)
    return _tick(found, item_id, url_for("kit_coordination.staff_kit", kit_id=found.id))


@coordination_bp.get("/<id:kit_id>/kit-accueil.pdf")
def staff_pdf(kit_id: int) -> Response:
    """The kit as a PDF, for coordinators."""
    return _pdf(_kit_or_404(kit_id, bool), checklist=True, filename="kit-accueil")


@coordination_bp.post("/binomes/<id:suggestion_id>/signature-prevue")
def plan(suggestion_id: int) -> BaseResponse:
    """Mark the pair's signature as planned from a start date, building its kit."""
    session = get_session()
    pair = session.get(Suggestion, suggestion_id)
    if pair is None:
        abort(404)
    back = url_for("coordinator.suggestion", suggestion_id=pair.id) + "#kit"
    try:
        built = ops.plan_signature(session, current_actor(), pair, request.form.get("start_on"))
    except ERRORS as exc:
        flash_errors(exc)
        return redirect(back)
    session.commit()
    flash("Le kit d'accueil est prêt, daté du début du contrat.", "success")
    return redirect(url_for("kit_coordination.staff_kit", kit_id=built.id))


def _template_or_404(template_id: int) -> KitTemplate:
    found = get_session().get(KitTemplate, template_id)
    if found is None:
        abort(404)
    return found


@coordination_bp.get("/modeles")
def templates() -> str:
    """The kit's templates: the booklet's sections and the checklist's items."""
    return render_template(
        "welcome_kit/templates.html",
        booklet=kq.booklet_sections(get_session()),
        checklist=kq.checklist_templates(get_session()),
    )


def _edit_page(
    template: KitTemplate,
    form: dict[str, str],
    errors: dict[str, list[str]],
    preview: str | None = None,
) -> str:
    return render_template(
        "welcome_kit/edit.html",
        template=template,
        form=form,
        errors=errors,
        preview=preview,
        checklist=template.part == KitPart.CHECKLIST,
        phases=[(p.value, p) for p in KitPhase],
        rules=[(r.value, r) for r in RuleKey],
    )


@coordination_bp.route("/modeles/<id:template_id>/modifier", methods=["GET", "POST"])
def edit(template_id: int) -> BaseResponse | str | tuple[str, int]:
    """Edit a template (sanitised Markdown), preview it, save it as a new version."""
    template = _template_or_404(template_id)
    if request.method == "GET":
        form = {
            "title": template.title,
            "body": template.body,
            "phase": template.phase.value if template.phase else "",
            "offset_days": "" if template.offset_days is None else str(template.offset_days),
            "rule_key": template.rule_key.value if template.rule_key else "",
        }
        return _edit_page(template, form, {})
    form = values(TEMPLATE_FIELDS)
    if request.form.get("action") == "apercu":
        return _edit_page(template, form, {}, preview=render_markdown(form["body"]))
    session = get_session()
    try:
        ops.save_template(
            session,
            current_actor(),
            template.id,
            form["title"],
            form["body"],
            phase=form["phase"],
            offset_days=form["offset_days"],
            rule_key=form["rule_key"],
        )
    except ValidationError as exc:
        session.rollback()
        return _edit_page(template, form, exc.errors), 400
    session.commit()
    flash("Le modèle est enregistré : les prochains kits le reprendront.", "success")
    return redirect(url_for("kit_coordination.templates"))


@coordination_bp.get("/modeles/<id:template_id>/historique")
def history(template_id: int) -> str:
    """A template's versions, the latest first, each restorable."""
    template = _template_or_404(template_id)
    return render_template(
        "welcome_kit/history.html",
        template=template,
        versions=kq.template_versions(get_session(), template.id),
    )


@coordination_bp.post("/modeles/<id:template_id>/versions/<id:version_id>/restaurer")
def restore(template_id: int, version_id: int) -> BaseResponse:
    """Make an old version the template's text again."""
    session = get_session()
    old = session.get(KitTemplateVersion, version_id)
    if old is None or old.template_id != template_id:
        abort(404)
    try:
        ops.restore_template_version(session, current_actor(), version_id)
    except ValidationError as exc:
        flash_errors(exc)
    else:
        session.commit()
        flash("La version choisie est de nouveau le texte du modèle.", "success")
    return redirect(url_for("kit_coordination.history", template_id=template_id))
