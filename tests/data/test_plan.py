"""The plan's tracker (issue 20): the shipped axes and examples, the coordinators' use cases with
their French refusals (nothing half-written), the roadmap's counts and the budget's sums."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest
from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import PermissionDenied, ValidationError
from data.models import (
    AuditEntry,
    CoFunder,
    PlanAction,
    PlanActionStatus,
    PlanAxis,
    PlanBudgetLine,
    PlanIndicator,
    PlanIndicatorValue,
    Role,
    SuggestionStatus,
)
from data.operations import plan as ops
from data.queries import plan as q
from data.queries.plan_observatory import (
    observatory_indicator_label,
    observatory_indicator_value,
)
from data.reference import load_plan, plan_frame, read_plan
from tests.data import factories as f

T0 = datetime(2026, 12, 4, 9, 0, tzinfo=UTC)
SEEDS = len(read_plan()["actions"])


def _staff(session: Session) -> Actor:
    return Actor.user(f.make_user(session, Role.COORDINATOR))


def _count(session: Session, model: type) -> int:
    return session.scalar(select(func.count()).select_from(model)) or 0


def _seed(session: Session, key: str) -> PlanAction:
    return session.scalars(select(PlanAction).where(PlanAction.seed_key == key)).one()


def _action(session: Session, actor: Actor, **values: str) -> PlanAction:
    form = {"axis": "3", "title": "Club des maîtres d'apprentissage", "status": "planned"}
    return ops.save_action(session, actor, {**form, **values}, now=T0)


def test_the_axes_announce_87_actions_and_the_examples_carry_their_publication(
    session: Session,
) -> None:
    axes = session.scalars(select(PlanAxis).order_by(PlanAxis.number)).all()
    assert [(a.number, a.announced_actions) for a in axes] == [(1, 22), (2, 13), (3, 34), (4, 18)]
    assert sum(a.announced_actions for a in axes) == plan_frame().announced_actions == 87
    assert axes[2].title.startswith("Améliorer la fidélisation des personnels")
    seeded = session.scalars(select(PlanAction).where(PlanAction.seed_key.is_not(None))).all()
    assert len(seeded) == SEEDS >= 20
    assert all("4 novembre 2024" in a.source for a in seeded)
    assert all(a.created_by_id is None and a.lead == "" for a in seeded)
    # Only what the publication says happened is done: the ANDASS workshop of 12 September 2024.
    done = [a for a in seeded if a.status == PlanActionStatus.DONE]
    assert [(a.seed_key, a.starts_on) for a in done] == [("engagee-andass-2024", date(2024, 9, 12))]
    tool = _seed(session, "a2-outil-numerique")
    assert tool.status == PlanActionStatus.PLANNED
    assert [i.observatory_key for i in tool.indicators] == ["contracts_signed"]
    frame = plan_frame()
    assert (frame.yearly_budget_cents, frame.external_share_percent) == (200_000_00, 50)
    assert list(frame.years) == [2024, 2025, 2026]
    assert any(p.startswith("CNSA") for p in frame.partners)


def test_loading_again_adds_nothing_and_keeps_what_coordinators_edited(
    session: Session,
) -> None:
    actor = _staff(session)
    kit = _seed(session, "a2-kit-accueil")
    ops.save_action(
        session,
        actor,
        {"axis": "2", "title": "Kit d'accueil de l'apprenti", "status": "in_progress"},
        kit,
        now=T0,
    )
    assert load_plan(session) == 0
    session.refresh(kit)
    assert (kit.title, kit.status, kit.updated_by_id) == (
        "Kit d'accueil de l'apprenti",
        PlanActionStatus.IN_PROGRESS,
        actor.user_id,
    )
    assert _count(session, PlanAction) >= SEEDS


def test_the_roadmap_counts_actions_on_each_axis_against_its_announced_number(
    session: Session,
) -> None:
    before = q.roadmap(session)
    actor = _staff(session)
    added = _action(session, actor, status="Réalisée", action_start="01/02/2025")
    after = q.roadmap(session)
    third = after.axes[2]
    assert (third.entered, third.announced) == (before.axes[2].entered + 1, 34)
    assert after.entered == before.entered + 1 and after.announced == 87
    assert third.by_status[PlanActionStatus.DONE] == 1
    assert third.done_share == pytest.approx(1 / third.entered)
    assert after.by_status[PlanActionStatus.DONE] == before.by_status[PlanActionStatus.DONE] + 1
    assert added in third.actions and added.starts_on == date(2025, 2, 1)
    lines = session.scalars(select(AuditEntry).where(AuditEntry.object_type == "plan_action"))
    assert [(e.action, e.object_id) for e in lines] == [("plan_action_create", added.id)]


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"title": "  "}, "title", "obligatoire"),
        ({"status": "done-ish"}, "status", "« Prévue », « En cours », « Réalisée »"),
        ({"axis": "5"}, "axis", "entre 1 et 4"),
        ({"action_start": "2026-05-01", "action_end": "2026-04-01"}, "action_end", "précéder"),
        ({"action_start": "31/02/2026"}, "action_start", "Date invalide"),
        ({"title": "x" * 301}, "title", "300 caractères"),
    ],
)
def test_a_bad_action_is_refused_in_french_and_nothing_is_written(
    session: Session, values: dict[str, str], field: str, words: str
) -> None:
    actor = _staff(session)
    before = _count(session, PlanAction)
    with pytest.raises(ValidationError) as caught:
        _action(session, actor, **values)
    assert words in " ".join(caught.value.errors[field])
    assert _count(session, PlanAction) == before


def test_only_coordinators_keep_the_plan(session: Session) -> None:
    employer = Actor.user(f.make_user(session, Role.EMPLOYER))
    with pytest.raises(PermissionDenied, match="équipe de coordination"):
        _action(session, employer)
    with pytest.raises(PermissionDenied):
        ops.set_status(session, employer, _seed(session, "a3-club-qvct"), "done")


def test_a_status_changes_by_code_or_label_and_not_to_itself(session: Session) -> None:
    actor = _staff(session)
    action = _action(session, actor)
    ops.set_status(session, actor, action, "En cours", now=T0)
    assert action.status == PlanActionStatus.IN_PROGRESS
    with pytest.raises(ValidationError, match="déjà « En cours »"):
        ops.set_status(session, actor, action, "in_progress")
    ops.set_status(session, actor, action.id, PlanActionStatus.ABANDONED)
    assert action.status == PlanActionStatus.ABANDONED


def test_budget_lines_sum_by_year_axis_and_co_funder_against_the_frame(session: Session) -> None:
    actor = _staff(session)
    first = _action(session, actor, axis="1")
    third = _action(session, actor)
    ops.add_budget_line(
        session, actor, first, {"year": "2025", "amount_eur": "60 000", "funder": "departement"}
    )
    ops.add_budget_line(
        session, actor, third, {"year": "2025", "amount_eur": "30000,50", "funder": "cnsa"}
    )
    other = ops.add_budget_line(
        session,
        actor,
        third,
        {"year": "2026", "amount_eur": "10000", "funder": "other", "funder_name": "CAF de l'Ain"},
    )
    by_year = {b.year: b for b in q.budget_by_year(session)}
    assert list(by_year) == [2024, 2025, 2026]
    y25 = by_year[2025]
    assert (y25.by_axis[1], y25.by_axis[3], y25.total_cents) == (60_000_00, 30_000_50, 90_000_50)
    assert (y25.by_funder[CoFunder.CNSA], y25.external_cents) == (30_000_50, 30_000_50)
    assert y25.external_share == pytest.approx(30_000_50 / 90_000_50)
    assert (y25.frame_cents, y25.external_target_cents) == (200_000_00, 100_000_00)
    assert by_year[2026].by_funder[CoFunder.OTHER] == 10_000_00
    assert other.funder_name == "CAF de l'Ain"
    assert q.action_totals([third])[third.id] == 40_000_50

    ops.edit_budget_line(
        session, actor, other, {"year": "2026", "amount_eur": "12000", "funder": "region"}
    )
    assert (other.amount_cents, other.funder, other.funder_name) == (
        12_000_00,
        CoFunder.REGION,
        "",
    )
    ops.delete_budget_line(session, actor, other.id)
    assert q.budget_by_year(session)[-1].total_cents == 0
    verbs = session.scalars(
        select(AuditEntry.action).where(AuditEntry.object_id == third.id).order_by(AuditEntry.id)
    ).all()
    assert verbs[-3:] == ["plan_budget_add", "plan_budget_edit", "plan_budget_delete"]


@pytest.mark.parametrize(
    ("values", "field", "words"),
    [
        ({"year": "2027"}, "year", "de 2024 à 2026"),
        ({"amount_eur": "12,345"}, "amount_eur", "Montant en euros attendu"),
        ({"amount_eur": "0"}, "amount_eur", "entre 0,01"),
        ({"amount_eur": "2000000"}, "amount_eur", "entre 0,01"),
        ({"funder": "other"}, "funder_name", "obligatoire"),
        ({"funder": "banque"}, "funder", "Cofinanceur inconnu"),
    ],
)
def test_a_bad_budget_line_is_refused_in_french_and_nothing_is_written(
    session: Session, values: dict[str, str], field: str, words: str
) -> None:
    actor = _staff(session)
    action = _action(session, actor)
    line = {"year": "2025", "amount_eur": "1000", "funder": "cnsa", **values}
    with pytest.raises(ValidationError) as caught:
        ops.add_budget_line(session, actor, action, line)
    assert words in " ".join(caught.value.errors[field])
    assert _count(session, PlanBudgetLine) == 0


def test_an_observatory_indicator_counts_the_contracts_signed_that_year(session: Session) -> None:
    base = observatory_indicator_value(session, "contracts_signed", 2025)
    for status, day in (
        (SuggestionStatus.CONTRACT_SIGNED, date(2025, 3, 1)),
        (SuggestionStatus.BROKEN, date(2025, 12, 31)),
        (SuggestionStatus.CONTRACT_SIGNED, date(2026, 1, 1)),
        (SuggestionStatus.INTERVIEW, None),
    ):
        f.make_suggestion(session, status=status, contract_signed_on=day)
    assert observatory_indicator_value(session, "contracts_signed", 2025) == (base or 0) + 2
    assert observatory_indicator_value(session, "made_up", 2025) is None
    assert observatory_indicator_label("contracts_signed") == (
        "Contrats d'apprentissage signés via la plateforme"
    )
    tool = _seed(session, "a2-outil-numerique")
    views = q.indicator_views(session, tool, date(2025, 6, 1))
    assert [(v.name, v.linked) for v in views] == [
        ("Contrats d'apprentissage signés via la plateforme", True)
    ]
    assert [y for y, _ in views[0].yearly] == [2024, 2025]
    assert dict(views[0].yearly)[2025] == (base or 0) + 2


def test_an_indicator_kept_by_hand_takes_dated_values_with_who_entered_them(
    session: Session,
) -> None:
    actor = _staff(session)
    action = _action(session, actor)
    indicator = ops.add_indicator(
        session, actor, action, {"indicator_name": "Webinaires tenus", "unit": "webinaires"}
    )
    entry = ops.add_indicator_value(
        session, actor, indicator, {"measured_on": "30/06/2025", "value": "5,5"}
    )
    assert (entry.measured_on, entry.value, entry.entered_by_id) == (
        date(2025, 6, 30),
        Decimal("5.50"),
        actor.user_id,
    )
    view = q.indicator_views(session, action, date(2025, 7, 1))[0]
    assert (view.name, view.unit, view.linked, view.entries) == (
        "Webinaires tenus",
        "webinaires",
        False,
        [entry],
    )
    with pytest.raises(ValidationError) as caught:
        ops.add_indicator_value(session, actor, indicator, {"measured_on": "", "value": "beaucoup"})
    assert set(caught.value.errors) == {"measured_on", "value"}
    linked = ops.add_indicator(session, actor, action, {"observatory_key": "contracts_signed"})
    with pytest.raises(ValidationError, match="calculé par l'observatoire"):
        ops.add_indicator_value(session, actor, linked, {"measured_on": "2025-06-30", "value": "1"})
    assert _count(session, PlanIndicatorValue) == 1


@pytest.mark.parametrize(
    ("values", "field"),
    [
        ({}, "indicator_name"),
        ({"observatory_key": "made_up"}, "observatory_key"),
        ({"observatory_key": "contracts_signed", "indicator_name": "Contrats"}, "indicator_name"),
    ],
)
def test_an_indicator_is_either_the_observatorys_or_named(
    session: Session, values: dict[str, str], field: str
) -> None:
    actor = _staff(session)
    action = _action(session, actor)
    before = _count(session, PlanIndicator)
    with pytest.raises(ValidationError) as caught:
        ops.add_indicator(session, actor, action, values)
    assert field in caught.value.errors
    assert _count(session, PlanIndicator) == before
