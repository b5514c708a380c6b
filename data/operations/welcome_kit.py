"""The welcome kit (issue 19): due dates, building a pair's kit, ticking its checklist, and the
coordinators' templates (each edit a version, restorable).

Due dates count from the contract's start (:func:`due_date`): a template's offset in days, or
the legal rule it names: the OPCO deposit in working days after the start (« jours ouvrables »,
Monday to Saturday without Sundays and public holidays, :func:`add_working_days`), the 45th day of
practical training from ``trial_days``. A kit is built once per pair (:func:`build_kit`), at the
signature or earlier when a coordinator plans it (:func:`plan_signature`); it snapshots the
checklist, so that a later edit of the templates changes no kit already built.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import date, datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import Conflict, NotFound, PermissionDenied, ValidationError
from data.mail.outbox import insert_for
from data.models import (
    MAX_KIT_BODY,
    MAX_KIT_TITLE,
    KitItemNudge,
    KitPart,
    KitPhase,
    KitTemplate,
    KitTemplateVersion,
    RuleKey,
    Suggestion,
    SuggestionStatus,
    WelcomeKit,
    WelcomeKitItem,
)
from data.queries.pay import rule_value
from data.queries.welcome_kit import checklist_templates, overdue_items

from . import audit
from ._common import is_platform, load, now_or_utc, require_staff, unique_guard
from .validation import ErrorCollector, clean_date, clean_enum, clean_int, clean_text

__all__ = [
    "KIT_OBJECT",
    "TEMPLATE_OBJECT",
    "PLANNABLE",
    "easter_sunday",
    "french_public_holidays",
    "is_working_day",
    "add_working_days",
    "due_date",
    "build_kit",
    "plan_signature",
    "undo_signed_kit",
    "set_item_done",
    "save_template",
    "restore_template_version",
    "may_see_kit",
    "kit_of",
    "claim_overdue",
]

KIT_OBJECT = "welcome_kit"
TEMPLATE_OBJECT = "kit_template"
#: The stages at which a coordinator may plan the signature (and build the kit early).
PLANNABLE = frozenset(
    {
        SuggestionStatus.APPROVED,
        SuggestionStatus.CONTACTED,
        SuggestionStatus.INTERVIEW,
    }
)
#: The longest offset a template may give (a year and a half, before or after the start).
MAX_OFFSET_DAYS = 550
STAFF_ONLY = "Seule l'équipe de coordination modifie les modèles du kit d'accueil."
UNCHANGED = "Le modèle est inchangé : rien à enregistrer."
SAME_AS_CURRENT = "Cette version est déjà le texte du modèle : rien à rétablir."
OFF_THE_LIST = "Choisissez une valeur de la liste."
BUILT_ALREADY = "Le kit d'accueil de ce binôme vient d'être préparé : rechargez la page."
NOT_YOURS = "Ce kit d'accueil n'est pas celui de votre structure."


# --- Working days -------------------------------------------------------------------------------


def easter_sunday(year: int) -> date:
    """Return Easter Sunday of ``year`` (Gregorian calendar, the anonymous algorithm).

    >>> easter_sunday(2026), easter_sunday(2027)
    (datetime.date(2026, 4, 5), datetime.date(2027, 3, 28))
    """
    a, b, c = year % 19, year // 100, year % 100
    d, e = b // 4, b % 4
    f = (b + 8) // 25
    g = (b - f + 1) // 3
    h = (19 * a + b - d - g + 15) % 30
    i, k = c // 4, c % 4
    m = (32 + 2 * e + 2 * i - h - k) % 7
    n = (a + 11 * h + 22 * m) // 451
    month, day = divmod(h + m - 7 * n + 114, 31)
    return date(year, month, day + 1)


def french_public_holidays(year: int) -> frozenset[date]:
    """Return the eleven public holidays of ``year`` (Code du travail, L3133-1; Alsace-Moselle's
    two more, L3134-13, are not counted): fixed days, and Easter Monday, Ascension and Whit
    Monday from Easter.

    >>> sorted(d.isoformat() for d in french_public_holidays(2026))[:4]
    ['2026-01-01', '2026-04-06', '2026-05-01', '2026-05-08']
    """
    easter = easter_sunday(year)
    fixed = [(1, 1), (5, 1), (5, 8), (7, 14), (8, 15), (11, 1), (11, 11), (12, 25)]
    moving = [easter + timedelta(days=n) for n in (1, 39, 50)]
    return frozenset([date(year, m, d) for m, d in fixed] + moving)


def is_working_day(day: date) -> bool:
    """Tell whether ``day`` is a « jour ouvrable »: Monday to Saturday, not a public holiday."""
    return day.weekday() != 6 and day not in french_public_holidays(day.year)


def add_working_days(start: date, count: int) -> date:
    """Return the ``count``-th working day after ``start`` (``start`` itself is not counted).

    >>> add_working_days(date(2026, 9, 1), 5)  # Tuesday: Wed Thu Fri Sat, Sunday skipped, Mon
    datetime.date(2026, 9, 7)
    """
    day, left = start, count
    while left > 0:
        day += timedelta(days=1)
        if is_working_day(day):
            left -= 1
    return day


def due_date(
    session: Session,
    start: date | None,
    *,
    offset_days: int | None,
    rule_key: RuleKey | None,
    phase: KitPhase,
    intake_on: date | None = None,
) -> date | None:
    """Return an item's due date from the contract's ``start`` (None without a start).

    A rule gives the offset when named: ``opco_deposit_days`` in working days after the start;
    ``trial_days`` the last of that many days counted from the start (start + n - 1); another
    rule in calendar days. Else ``offset_days`` in calendar days. The item « before the first
    period at the centre » falls the day before the centre's intake when it is known and later
    than the start.
    """
    if start is None:
        return None
    if phase == KitPhase.BEFORE_CENTRE and intake_on is not None and intake_on > start:
        return intake_on - timedelta(days=1)
    if rule_key is not None:
        value = rule_value(session, rule_key, start)
        if value is None:
            return None
        if rule_key == RuleKey.OPCO_DEPOSIT_DAYS:
            return add_working_days(start, value)
        if rule_key == RuleKey.TRIAL_DAYS:
            return start + timedelta(days=max(value - 1, 0))
        return start + timedelta(days=value)
    return start + timedelta(days=offset_days or 0)


# --- Kits ---------------------------------------------------------------------------------------


def _staff(actor: Actor, message: str = STAFF_ONLY) -> None:
    require_staff(actor, message)


def may_see_kit(actor: Actor, kit: WelcomeKit) -> bool:
    """Tell whether ``actor`` may read and tick a kit: staff (or the platform itself), or the
    pair's own structure."""
    if actor.is_staff or is_platform(actor):
        return True
    employer = kit.suggestion.offer.site.employer_id
    return actor.employer_id is not None and actor.employer_id == employer


def _redate(session: Session, kit: WelcomeKit, items: Iterable[WelcomeKitItem]) -> None:
    intake = kit.suggestion.proposed_intake_on
    for item in items:
        item.due_on = due_date(
            session,
            kit.start_on,
            offset_days=item.offset_days,
            rule_key=item.rule_key,
            phase=item.phase,
            intake_on=intake,
        )


def kit_of(session: Session, suggestion_id: int) -> WelcomeKit | None:
    """Return the kit of a pair, or None when it has none."""
    return session.scalar(select(WelcomeKit).where(WelcomeKit.suggestion_id == suggestion_id))


def build_kit(
    session: Session,
    suggestion: Suggestion | int,
    actor: Actor,
    *,
    start_on: date | None = None,
    planned: bool = False,
    now: datetime | None = None,
) -> WelcomeKit:
    """Return the pair's kit, building it the first time (the checklist of the templates, dated
    from the contract's start); a second call returns the same kit.

    A start given here or on the pair that differs from the kit's re-dates the items not yet done.
    """
    pair = load(session, Suggestion, suggestion, "Mise en relation")
    start = start_on or pair.contract_start_on
    stamp = now_or_utc(now)
    kit = kit_of(session, pair.id)
    if kit is not None:
        if start is not None and start != kit.start_on:
            kit.start_on = start
            _redate(session, kit, [i for i in kit.items if i.done_at is None])
            audit.record(
                session, actor, "redate_welcome_kit", KIT_OBJECT, kit.id,
                {"start_on": start.isoformat()}, now=stamp,
            )  # fmt: skip
        if not planned:
            kit.planned = False
        session.flush()
        return kit
    kit = WelcomeKit(
        suggestion_id=pair.id,
        start_on=start,
        planned=planned,
        created_at=stamp,
        created_by_id=actor.user_id,
    )
    # Two coordinators planning the same pair at once: one kit, the other told in French.
    with unique_guard(session, "start_on", BUILT_ALREADY):
        session.add(kit)
        for template in checklist_templates(session):
            kit.items.append(
                WelcomeKitItem(
                    template_key=template.key,
                    position=template.position,
                    label=template.title,
                    detail=template.body,
                    phase=template.phase or KitPhase.BEFORE_ARRIVAL,
                    offset_days=template.offset_days,
                    rule_key=template.rule_key,
                )
            )
    kit.suggestion = pair
    _redate(session, kit, kit.items)
    session.flush()
    audit.record(
        session, actor, "build_welcome_kit", KIT_OBJECT, kit.id,
        {"pair": pair.id, "planned": planned, "items": len(kit.items)}, now=stamp,
    )  # fmt: skip
    return kit


def undo_signed_kit(session: Session, kit_id: int, *, built: bool) -> str:
    """Follow the undo of a signature: the kit it built, untouched, is deleted; a kit planned
    before, or ticked since, stays as planned. Returns what was done: deleted, planned, none."""
    kit = session.get(WelcomeKit, kit_id)
    if kit is None:
        return "none"
    if built and all(i.done_at is None for i in kit.items):
        session.delete(kit)
        session.flush()
        return "deleted"
    kit.planned = True
    session.flush()
    return "planned"


def plan_signature(
    session: Session,
    actor: Actor,
    suggestion: Suggestion | int,
    start_on: object,
    *,
    now: datetime | None = None,
) -> WelcomeKit:
    """Mark a pair's signature as planned from a start date and build its kit; staff only.

    The pair must be on its way (approved, contacted, interview) or signed; the start is a date
    (``JJ/MM/AAAA``) within two years of today.
    """
    _staff(actor, "Seule l'équipe de coordination marque une signature prévue.")
    pair = load(session, Suggestion, suggestion, "Mise en relation")
    today = now_or_utc(now).date()
    errors = ErrorCollector()
    start = errors.run(
        clean_date,
        start_on,
        "start_on",
        required=True,
        min_value=today - timedelta(days=365),
        max_value=today + timedelta(days=730),
    )
    errors.raise_if_any()
    if pair.status not in PLANNABLE and pair.status != SuggestionStatus.CONTRACT_SIGNED:
        raise Conflict(
            "Cette mise en relation n'est pas en cours : sa signature ne peut pas être prévue."
        )
    return build_kit(
        session,
        pair,
        actor,
        start_on=start,
        planned=pair.status != SuggestionStatus.CONTRACT_SIGNED,
        now=now,
    )


def set_item_done(
    session: Session,
    actor: Actor,
    item_id: int,
    done: bool,
    *,
    now: datetime | None = None,
) -> WelcomeKitItem:
    """Tick (``done``) or untick one item of a kit: the pair's structure or coordinators only.

    Who and when are kept on the item and in the audit log; ticking a ticked item keeps its
    first tick.
    """
    item = session.get(WelcomeKitItem, item_id) if isinstance(item_id, int) else None
    if item is None:
        raise NotFound("point du kit d'accueil", item_id)
    if not may_see_kit(actor, item.kit):
        raise PermissionDenied(NOT_YOURS)
    if not isinstance(done, bool):
        raise ValidationError({"done": ["Valeur oui ou non attendue."]})
    stamp = now_or_utc(now)
    if done and item.done_at is None:
        item.done_at, item.done_by_id = stamp, actor.user_id
    elif not done and item.done_at is not None:
        item.done_at, item.done_by_id = None, None
    else:
        return item
    session.flush()
    audit.record(
        session, actor, "tick_kit_item" if done else "untick_kit_item", KIT_OBJECT,
        item.kit_id, {"item": item.template_key}, now=stamp,
    )  # fmt: skip
    return item


# --- Templates ----------------------------------------------------------------------------------


def _fields(template: KitTemplate) -> tuple[object, ...]:
    return (template.title, template.body, template.phase, template.offset_days, template.rule_key)


def _new_version(
    session: Session,
    actor: Actor,
    template: KitTemplate,
    values: tuple[object, ...],
    at: datetime,
    restored_from: int | None = None,
) -> KitTemplateVersion:
    title, body, phase, offset, rule = values
    template.title, template.body = str(title), str(body)
    template.phase, template.offset_days, template.rule_key = phase, offset, rule  # type: ignore[assignment]
    template.updated_at, template.updated_by_id = at, actor.user_id
    version = KitTemplateVersion(
        template=template,
        title=template.title,
        body=template.body,
        phase=template.phase,
        offset_days=template.offset_days,
        rule_key=template.rule_key,
        author_id=actor.user_id,
        created_at=at,
        restored_from_id=restored_from,
    )
    session.add(version)
    session.flush()
    return version


def save_template(
    session: Session,
    actor: Actor,
    template_id: int,
    title: object,
    body: object,
    *,
    phase: object = None,
    offset_days: object = None,
    rule_key: object = None,
    now: datetime | None = None,
) -> KitTemplateVersion:
    """Save a new text of a kit template (its due date rule too, for a checklist item); staff.

    A checklist item needs a phase and either an offset in days or a legal rule. A save that
    changes nothing is refused, so that the history holds only real edits.
    """
    _staff(actor)
    template = session.get(KitTemplate, template_id) if isinstance(template_id, int) else None
    if template is None:
        raise NotFound("modèle du kit d'accueil", template_id)
    errors = ErrorCollector()
    clean_title = errors.run(clean_text, title, "title", max_length=MAX_KIT_TITLE)
    clean_body = errors.run(
        clean_text, body, "body", required=False, max_length=MAX_KIT_BODY, multiline=True
    )
    clean_phase = clean_offset = clean_rule = None
    if template.part == KitPart.CHECKLIST:
        clean_phase = errors.run(clean_enum, phase, KitPhase, "phase")
        clean_rule = errors.run(clean_enum, rule_key or None, RuleKey, "rule_key", required=False)
        # A value off the lists: said in words, never with the lists' codes.
        for name, value, allowed in (("phase", phase, KitPhase), ("rule_key", rule_key, RuleKey)):
            if value and value not in {m.value for m in allowed} and name in errors.errors:
                errors.errors[name] = [OFF_THE_LIST]
        clean_offset = errors.run(
            clean_int,
            offset_days,
            "offset_days",
            min_value=-MAX_OFFSET_DAYS,
            max_value=MAX_OFFSET_DAYS,
            required=not rule_key,
        )
    errors.raise_if_any()
    values = (clean_title, clean_body or "", clean_phase, clean_offset, clean_rule)
    if values == _fields(template):
        raise ValidationError({"body": [UNCHANGED]})
    version = _new_version(session, actor, template, values, now_or_utc(now))
    audit.record(
        session, actor, "edit_kit_template", TEMPLATE_OBJECT, template.id,
        {"key": template.key, "version": version.id}, now=now,
    )  # fmt: skip
    return version


def restore_template_version(
    session: Session, actor: Actor, version_id: int, *, now: datetime | None = None
) -> KitTemplateVersion:
    """Make an old version the template's text again, as a new version that copies it; staff."""
    _staff(actor)
    old = session.get(KitTemplateVersion, version_id) if isinstance(version_id, int) else None
    if old is None:
        raise NotFound("version de modèle", version_id)
    template = old.template
    values = (old.title, old.body, old.phase, old.offset_days, old.rule_key)
    if values == _fields(template):
        raise ValidationError({"version": [SAME_AS_CURRENT]})
    version = _new_version(session, actor, template, values, now_or_utc(now), old.id)
    audit.record(
        session, actor, "restore_kit_template", TEMPLATE_OBJECT, template.id,
        {"key": template.key, "version": version.id, "restored_from": old.id}, now=now,
    )  # fmt: skip
    return version


# --- Nudges -------------------------------------------------------------------------------------


def claim_overdue(
    session: Session, employer_id: int, recipient: str, today: date, now: datetime
) -> list[WelcomeKitItem]:
    """Claim for ``recipient`` the structure's overdue items not told to them yet; return them.

    Each (item, recipient) is inserted once (``ON CONFLICT DO NOTHING``): of two overlapping
    runs, one claims an item and the other does not, so an item is told once per person. The
    item keeps when it was first told (``nudged_at``).
    """
    late = [o.item for o in overdue_items(session, today, employer_id=employer_id)]
    if not late:
        return []
    table = KitItemNudge.__table__
    stmt = (
        insert_for(session)(table)
        .values([{"item_id": i.id, "recipient": recipient, "at": now} for i in late])
        .on_conflict_do_nothing()
        .returning(table.c.item_id)
    )
    claimed = set(session.scalars(stmt))
    told = [i for i in late if i.id in claimed]
    for item in told:
        if item.nudged_at is None:
            item.nudged_at = now
    session.flush()
    return told
