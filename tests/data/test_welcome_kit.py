"""The welcome kit in the database (issue 19): due dates from the start and the legal rules, one
kit per pair built at the signature or when it is planned, ticking by the pair's structure and
coordinators, the overdue list, the templates' versions, the pay and leave of the booklet, and the
kit following the candidate's erasure, on both backends."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import Conflict, PermissionDenied, ValidationError
from data.models import (
    AuditEntry,
    KitPhase,
    KitTemplate,
    Role,
    RuleKey,
    Suggestion,
    SuggestionStatus,
    WelcomeKit,
    WelcomeKitItem,
)
from data.operations import suggestions as pair_ops
from data.operations import welcome_kit as k
from data.privacy import ErasureCause, erase_candidate
from data.queries import welcome_kit as kq
from data.reference import load_kit_templates
from tests.data import factories as f

NOW = datetime(2026, 8, 20, 9, 0, tzinfo=UTC)


def _pair(
    session: Session, status: SuggestionStatus = SuggestionStatus.INTERVIEW, **req
) -> Suggestion:
    request = f.make_request(session, **req)
    return f.make_suggestion(session, request=request, status=status)


def _coordinator(session: Session) -> Actor:
    return Actor.user(f.make_user(session, Role.COORDINATOR))


# --- Working days and due dates -----------------------------------------------------------------


def test_easter_and_the_public_holidays_of_2026() -> None:
    assert k.easter_sunday(2026) == date(2026, 4, 5)
    holidays = k.french_public_holidays(2026)
    assert len(holidays) == 11
    # Easter Monday, Ascension (Thursday 14 May), Whit Monday (25 May).
    assert {date(2026, 4, 6), date(2026, 5, 14), date(2026, 5, 25)} <= holidays
    assert date(2026, 7, 14) in holidays and date(2026, 7, 13) not in holidays


@pytest.mark.parametrize(
    ("start", "expected", "why"),
    [
        # Tuesday 1 Sept 2026: Wed 2, Thu 3, Fri 4, Sat 5 (a working day), Sun 6 skipped, Mon 7.
        (date(2026, 9, 1), date(2026, 9, 7), "a Sunday is skipped, the Saturday counts"),
        # Friday 10 July 2026: Sat 11, Sun 12 skipped, Mon 13, Tue 14 (Bastille Day) skipped,
        # Wed 15, Thu 16, Fri 17.
        (date(2026, 7, 10), date(2026, 7, 17), "a Sunday and 14 July are skipped"),
        # Saturday 9 May 2026: Sun 10 skipped, Mon 11, Tue 12, Wed 13, Thu 14 (Ascension)
        # skipped, Fri 15, Sat 16.
        (date(2026, 5, 9), date(2026, 5, 16), "Ascension, from Easter, is skipped"),
    ],
)
def test_the_opco_deposit_falls_five_working_days_after_the_start(
    session: Session, start: date, expected: date, why: str
) -> None:
    due = k.due_date(
        session,
        start,
        offset_days=None,
        rule_key=RuleKey.OPCO_DEPOSIT_DAYS,
        phase=KitPhase.FIRST_WEEK,
    )
    assert due == expected, why


def test_due_dates_from_offsets_the_45th_day_and_the_centre(session: Session) -> None:
    start = date(2026, 9, 1)

    def due(**kw: object) -> date | None:
        values = {"offset_days": None, "rule_key": None, "phase": KitPhase.FIRST_MONTH}
        values.update(kw)
        return k.due_date(session, start, **values)  # type: ignore[arg-type]

    assert due(offset_days=-7, phase=KitPhase.BEFORE_ARRIVAL) == date(2026, 8, 25)
    assert due(offset_days=0, phase=KitPhase.FIRST_DAY) == start
    # trial_days = 45: the 45th day counted from the start (the start is day 1).
    assert due(rule_key=RuleKey.TRIAL_DAYS, phase=KitPhase.DAY_45) == date(2026, 10, 15)
    # Before the first period at the centre: the eve of its intake when it is known and later.
    centre = {"offset_days": 21, "phase": KitPhase.BEFORE_CENTRE}
    assert due(**centre) == date(2026, 9, 22)
    assert due(**centre, intake_on=date(2026, 10, 5)) == date(2026, 10, 4)
    assert due(**centre, intake_on=date(2026, 8, 1)) == date(2026, 9, 22)
    assert k.due_date(session, None, offset_days=3, rule_key=None, phase=KitPhase.FIRST_DAY) is None


# --- Building the kit ---------------------------------------------------------------------------


def test_signing_builds_the_kit_once_with_the_checklist_dated(session: Session) -> None:
    pair = _pair(session)
    actor = _coordinator(session)
    pair_ops.mark_contract_signed(
        session, pair, actor, now=NOW, story={"contract_start_on": "01/09/2026"}
    )
    kit = kq.kit_for_pair(session, pair.id)
    assert kit is not None and kit.start_on == date(2026, 9, 1) and not kit.planned
    items = {i.template_key: i for i in kit.items}
    templates = session.scalar(
        select(func.count()).select_from(KitTemplate).where(KitTemplate.part == "checklist")
    )
    assert len(items) == templates >= 10
    assert items["opco"].due_on == date(2026, 9, 7)
    assert items["dpae"].due_on == date(2026, 8, 31)
    assert items["day_45"].due_on == date(2026, 10, 15)
    assert items["welcome_day"].phase == KitPhase.FIRST_DAY
    # Built once: another call gives the same kit, no second set of items.
    assert k.build_kit(session, pair, actor, now=NOW).id == kit.id
    assert session.scalar(select(func.count()).select_from(WelcomeKit)) == 1
    assert session.scalar(
        select(func.count()).select_from(WelcomeKitItem).where(WelcomeKitItem.kit_id == kit.id)
    ) == len(items)


def test_a_planned_signature_builds_the_kit_early_and_the_signature_redates_it(
    session: Session,
) -> None:
    pair = _pair(session, SuggestionStatus.CONTACTED)
    actor = _coordinator(session)
    kit = k.plan_signature(session, actor, pair, "01/09/2026", now=NOW)
    assert kit.planned and kit.start_on == date(2026, 9, 1)
    opco = next(i for i in kit.items if i.template_key == "opco")
    assert opco.due_on == date(2026, 9, 7)
    done = next(i for i in kit.items if i.template_key == "dpae")
    k.set_item_done(session, actor, done.id, True, now=NOW)
    # Signed later with another start: the same kit, re-dated, the done item kept as it was.
    pair_ops.mark_contract_signed(
        session, pair, actor, now=NOW, story={"contract_start_on": "2026-07-10"}
    )
    assert kq.kit_for_pair(session, pair.id) is kit
    assert not kit.planned and kit.start_on == date(2026, 7, 10)
    assert opco.due_on == date(2026, 7, 17)
    assert done.due_on == date(2026, 8, 31) and done.done_at is not None
    assert session.scalar(select(func.count()).select_from(WelcomeKit)) == 1


def test_planning_refuses_bad_dates_and_ended_pairs_in_french(session: Session) -> None:
    actor = _coordinator(session)
    pair = _pair(session, SuggestionStatus.CONTACTED)
    for bad in ("", "31/02/2026", "demain", "01/01/2040", None, 12):
        with pytest.raises(ValidationError) as caught:
            k.plan_signature(session, actor, pair, bad, now=NOW)
        assert caught.value.errors["start_on"]
    ended = _pair(session, SuggestionStatus.ABANDONED)
    with pytest.raises(Conflict, match="pas en cours"):
        k.plan_signature(session, actor, ended, "01/09/2026", now=NOW)
    employer = Actor.user(f.make_user(session, Role.EMPLOYER, employer=pair.offer.site.employer))
    with pytest.raises(PermissionDenied):
        k.plan_signature(session, employer, pair, "01/09/2026", now=NOW)
    assert session.scalar(select(func.count()).select_from(WelcomeKit)) == 0


# --- Ticking and the overdue list ---------------------------------------------------------------


def test_only_the_pairs_structure_and_coordinators_tick_and_each_tick_is_audited(
    session: Session,
) -> None:
    pair = _pair(session, SuggestionStatus.CONTACTED)
    coordinator = _coordinator(session)
    kit = k.plan_signature(session, coordinator, pair, "01/09/2026", now=NOW)
    item = kit.items[0]
    own = f.make_user(session, Role.EMPLOYER, employer=pair.offer.site.employer)
    other = f.make_user(session, Role.EMPLOYER)
    candidate = f.make_user(session, Role.CANDIDATE, candidate=pair.request.candidate)
    for outsider in (other, candidate):
        with pytest.raises(PermissionDenied):
            k.set_item_done(session, Actor.user(outsider), item.id, True, now=NOW)
    k.set_item_done(session, Actor.user(own), item.id, True, now=NOW)
    assert item.done_by_id == own.id and item.done_at == NOW
    # Ticked again: the first tick stays.
    later = datetime(2026, 8, 21, tzinfo=UTC)
    k.set_item_done(session, Actor.user(own), item.id, True, now=later)
    assert item.done_at == NOW
    k.set_item_done(session, coordinator, item.id, False, now=later)
    assert item.done_at is None and item.done_by_id is None
    actions = list(
        session.scalars(
            select(AuditEntry.action)
            .where(AuditEntry.object_type == "welcome_kit", AuditEntry.object_id == kit.id)
            .order_by(AuditEntry.id)
        )
    )
    assert actions == ["build_welcome_kit", "tick_kit_item", "untick_kit_item"]
    with pytest.raises(ValidationError):
        k.set_item_done(session, coordinator, item.id, "oui", now=later)  # type: ignore[arg-type]


def test_the_overdue_list_counts_the_days_late_of_items_not_done(session: Session) -> None:
    coordinator = _coordinator(session)
    pair = _pair(session, SuggestionStatus.CONTACTED)
    kit = k.plan_signature(session, coordinator, pair, "01/09/2026", now=NOW)
    today = date(2026, 9, 8)  # the day after the OPCO deposit's due date
    late = kq.overdue_items(session, today)
    keys = {o.item.template_key: o for o in late}
    assert keys["opco"].days_late == 1
    assert keys["dpae"].days_late == 8  # due 31 August
    assert "day_45" not in keys and "first_month" not in keys
    assert all(o.employer.id == pair.offer.site.employer_id for o in late)
    assert [o.days_late for o in late] == sorted((o.days_late for o in late), reverse=True)
    k.set_item_done(session, coordinator, keys["opco"].item.id, True, now=NOW)
    assert "opco" not in {o.item.template_key for o in kq.overdue_items(session, today)}
    # A pair whose contract broke leaves the list.
    pair.status = SuggestionStatus.BROKEN
    session.flush()
    assert kq.overdue_items(session, today) == []
    assert kit.id


# --- The booklet's facts ------------------------------------------------------------------------


def test_the_booklet_reads_pay_by_band_and_year_leave_and_the_named_master(
    session: Session,
) -> None:
    coordinator = _coordinator(session)
    pair = _pair(session, SuggestionStatus.CONTACTED, age_band="18-20")
    kit = k.plan_signature(session, coordinator, pair, "01/09/2026", now=NOW)
    page = kq.kit_page(session, kit, "passerelle@ain.example", date(2026, 9, 1))
    b = page.booklet
    assert b.pay is not None
    # The grid (D6222-26) for 18-20 times the SMIC of 1 January 2026 (1 823,03 €).
    assert [(y.contract_year, y.percent, y.monthly_gross) for y in b.pay.years] == [
        (1, Decimal(43), Decimal("783.90")),
        (2, Decimal(51), Decimal("929.75")),
        (3, Decimal(67), Decimal("1221.43")),
    ]
    assert b.paid_leave_days == Decimal("2.5") and "L3141-3" in (b.paid_leave_source or "")
    assert b.exam_leave_days == Decimal(5)
    assert b.master is None  # the offer names none: the page says so
    assert [s.key for s in b.sections] == ["welcome", "first-day", "rights", "help"]
    assert "L6222-39" in b.sections[-1].body
    without = _pair(session, SuggestionStatus.CONTACTED)
    other = k.plan_signature(session, coordinator, without, "01/09/2026", now=NOW)
    assert kq.kit_page(session, other, "", date(2026, 9, 1)).booklet.pay is None


# --- Templates ----------------------------------------------------------------------------------


def test_a_template_edit_is_a_version_restorable_and_changes_only_new_kits(
    session: Session,
) -> None:
    coordinator = _coordinator(session)
    template = session.scalar(select(KitTemplate).where(KitTemplate.key == "outfit"))
    assert template is not None and len(template.versions) == 1  # the seed
    first = _pair(session, SuggestionStatus.CONTACTED)
    old_kit = k.plan_signature(session, coordinator, first, "01/09/2026", now=NOW)
    k.save_template(
        session,
        coordinator,
        template.id,
        "Préparer la tenue et le badge",
        "Deux tenues à la bonne taille.",
        phase="before_arrival",
        offset_days="-10",
        now=NOW,
    )
    assert template.title == "Préparer la tenue et le badge" and template.offset_days == -10
    with pytest.raises(ValidationError, match="inchangé"):
        k.save_template(
            session, coordinator, template.id, template.title, template.body,
            phase="before_arrival", offset_days="-10", now=NOW,
        )  # fmt: skip
    for bad in ({"phase": "jamais", "offset_days": "1"}, {"phase": "first_day", "offset_days": "x"},
                {"phase": "first_day", "offset_days": "9999"}, {"phase": "first_day"}):  # fmt: skip
        with pytest.raises(ValidationError):
            k.save_template(session, coordinator, template.id, "T", "B", now=NOW, **bad)
    with pytest.raises(PermissionDenied):
        employer = Actor.user(f.make_user(session, Role.EMPLOYER))
        k.save_template(session, employer, template.id, "T", "B", phase="first_day", offset_days=1)
    # The kit built before keeps its item; a new kit takes the new text.
    old_item = next(i for i in old_kit.items if i.template_key == "outfit")
    assert old_item.label == "Préparer la tenue, le casier et le badge"
    second = _pair(session, SuggestionStatus.CONTACTED)
    new_kit = k.plan_signature(session, coordinator, second, "01/09/2026", now=NOW)
    new_item = next(i for i in new_kit.items if i.template_key == "outfit")
    assert new_item.label == "Préparer la tenue et le badge"
    assert new_item.due_on == date(2026, 8, 22)
    # Restore the seed: a third version, copying the first.
    seed = kq.template_versions(session, template.id)[-1]
    restored = k.restore_template_version(session, coordinator, seed.id, now=NOW)
    assert restored.restored_from_id == seed.id and template.title == seed.title
    assert len(kq.template_versions(session, template.id)) == 3
    with pytest.raises(ValidationError):
        k.restore_template_version(session, coordinator, restored.id, now=NOW)


def test_the_seeds_never_overwrite_a_coordinators_edit(session: Session) -> None:
    template = session.scalar(select(KitTemplate).where(KitTemplate.key == "welcome"))
    assert template is not None
    k.save_template(session, _coordinator(session), template.id, "Bienvenue chez nous", "Texte.")
    assert load_kit_templates(session) == 0
    assert template.title == "Bienvenue chez nous"


# --- Privacy ------------------------------------------------------------------------------------


def test_the_kit_follows_the_candidates_erasure(session: Session) -> None:
    coordinator = _coordinator(session)
    pair = _pair(session, SuggestionStatus.CONTACTED)
    kit = k.plan_signature(session, coordinator, pair, "01/09/2026", now=NOW)
    kit_id = kit.id
    other = _pair(session, SuggestionStatus.CONTACTED)
    k.plan_signature(session, coordinator, other, "01/09/2026", now=NOW)
    report = erase_candidate(
        session, pair.request.candidate, cause=ErasureCause.COORDINATOR, now=NOW
    )
    assert report.counts.get("welcome_kits_deleted") == 1
    session.expire_all()
    assert session.get(WelcomeKit, kit_id) is None
    assert (
        session.scalar(
            select(func.count()).select_from(WelcomeKitItem).where(WelcomeKitItem.kit_id == kit_id)
        )
        == 0
    )
    assert kq.kit_for_pair(session, other.id) is not None


def test_a_new_start_in_the_contracts_details_redates_the_kit(session: Session) -> None:
    from data.operations.pairs import set_contract_details

    pair = _pair(session)
    actor = _coordinator(session)
    pair_ops.mark_contract_signed(
        session, pair, actor, now=NOW, story={"contract_start_on": "01/09/2026"}
    )
    set_contract_details(
        session,
        pair,
        actor,
        {"contract_signed_on": "20/08/2026", "contract_start_on": "10/07/2026"},
        now=NOW,
    )
    kit = kq.kit_for_pair(session, pair.id)
    assert kit is not None and kit.start_on == date(2026, 7, 10)
    assert next(i for i in kit.items if i.template_key == "opco").due_on == date(2026, 7, 17)


def test_undoing_the_signature_deletes_the_kit_it_built_and_keeps_a_planned_one(
    session: Session,
) -> None:
    from data.operations.pairs import undo_last_stage

    actor = _coordinator(session)
    signed = _pair(session)
    pair_ops.mark_contract_signed(
        session, signed, actor, now=NOW, story={"contract_start_on": "01/09/2026"}
    )
    assert kq.kit_for_pair(session, signed.id) is not None
    undo_last_stage(session, signed, actor, now=NOW)
    assert signed.status == SuggestionStatus.INTERVIEW
    assert kq.kit_for_pair(session, signed.id) is None

    planned = _pair(session)
    kit = k.plan_signature(session, actor, planned, "01/09/2026", now=NOW)
    pair_ops.mark_contract_signed(session, planned, actor, now=NOW)
    assert not kit.planned
    undo_last_stage(session, planned, actor, now=NOW)
    assert kq.kit_for_pair(session, planned.id) is kit and kit.planned
