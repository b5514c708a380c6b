"""The welcome kit as pages read it (issue 19): a pair's booklet filled from its data, its
checklist with what is late, and the overdue items across all pairs for coordinators."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, joinedload

from data.models import (
    ApprenticeshipMaster,
    Employer,
    HousingResource,
    KitPart,
    KitTemplate,
    KitTemplateVersion,
    Offer,
    Request,
    RuleKey,
    Site,
    Suggestion,
    SuggestionStatus,
    TrainingCentre,
    TrainingProgramme,
    TrainingSession,
    WelcomeKit,
    WelcomeKitItem,
)

from .pay import PayEstimate, apprentice_aids, pay_estimate, rule_in_force

__all__ = [
    "KIT_INTAKES",
    "Booklet",
    "KitPage",
    "OverdueItem",
    "booklet_sections",
    "checklist_templates",
    "template_versions",
    "kits_of_employer",
    "kits_of_candidate",
    "kit_page",
    "kit_for_pair",
    "overdue_items",
]

#: How many of the centre's sessions the booklet lists.
KIT_INTAKES = 4


@dataclass(frozen=True)
class Booklet:
    """The apprentice's booklet: the coordinators' sections and the pair's facts."""

    sections: list[KitTemplate]
    apprentice: str
    employer: Employer
    site: Site
    metier: str
    start_on: date | None
    master: ApprenticeshipMaster | None
    centre: TrainingCentre | None
    centre_text: str | None
    intakes: list[TrainingSession]
    housing: HousingResource | None
    #: None when the request gives no age band.
    pay: PayEstimate | None
    paid_leave_days: Decimal | None
    paid_leave_source: str | None
    exam_leave_days: Decimal | None
    exam_leave_source: str | None
    aids: list[dict[str, str]]
    contact_email: str


@dataclass(frozen=True)
class KitPage:
    """A pair's kit: the checklist (late items marked by :meth:`late`) and the booklet."""

    kit: WelcomeKit
    pair: Suggestion
    items: list[WelcomeKitItem]
    booklet: Booklet
    today: date

    def late(self, item: WelcomeKitItem) -> bool:
        """Tell whether an item is overdue: not done and its due date is past."""
        return item.done_at is None and item.due_on is not None and item.due_on < self.today


@dataclass(frozen=True)
class OverdueItem:
    """One overdue item of a kit, for the coordinators' list."""

    item: WelcomeKitItem
    pair: Suggestion
    employer: Employer
    days_late: int


def booklet_sections(session: Session) -> list[KitTemplate]:
    """Return the booklet's sections in their order."""
    return list(
        session.scalars(
            select(KitTemplate)
            .where(KitTemplate.part == KitPart.BOOKLET)
            .order_by(KitTemplate.position, KitTemplate.id)
        )
    )


def checklist_templates(session: Session) -> list[KitTemplate]:
    """Return the checklist's items in their order."""
    return list(
        session.scalars(
            select(KitTemplate)
            .where(KitTemplate.part == KitPart.CHECKLIST)
            .order_by(KitTemplate.position, KitTemplate.id)
        )
    )


def template_versions(session: Session, template_id: int) -> list[KitTemplateVersion]:
    """Return a template's versions, the latest first, with their authors."""
    return list(
        session.scalars(
            select(KitTemplateVersion)
            .where(KitTemplateVersion.template_id == template_id)
            .options(joinedload(KitTemplateVersion.author))
            .order_by(KitTemplateVersion.id.desc())
        )
    )


def _kits(session: Session, *where: Any) -> list[WelcomeKit]:
    stmt = (
        select(WelcomeKit)
        .join(Suggestion, WelcomeKit.suggestion_id == Suggestion.id)
        .join(Offer, Suggestion.offer_id == Offer.id)
        .join(Site, Offer.site_id == Site.id)
        .join(Request, Suggestion.request_id == Request.id)
        .where(*where)
        .options(joinedload(WelcomeKit.suggestion))
        .order_by(WelcomeKit.start_on.desc(), WelcomeKit.id.desc())
    )
    return list(session.scalars(stmt).unique())


def kits_of_employer(session: Session, employer_id: int) -> list[WelcomeKit]:
    """Return the kits of a structure's pairs, the latest start first."""
    return _kits(session, Site.employer_id == employer_id)


def kits_of_candidate(session: Session, candidate_id: int) -> list[WelcomeKit]:
    """Return the kits of a person's pairs (usually one)."""
    return _kits(session, Request.candidate_id == candidate_id)


def _intakes(session: Session, pair: Suggestion, start: date | None) -> list[TrainingSession]:
    if pair.proposed_centre_id is None:
        return []
    since = (start or date.today()) - timedelta(days=120)
    stmt = (
        select(TrainingSession)
        .join(TrainingProgramme, TrainingSession.programme_id == TrainingProgramme.id)
        .where(
            TrainingProgramme.centre_id == pair.proposed_centre_id,
            TrainingProgramme.metier_code == pair.offer.metier_code,
            TrainingSession.start_date >= since,
        )
        .order_by(TrainingSession.start_date, TrainingSession.id)
        .limit(KIT_INTAKES)
    )
    return list(session.scalars(stmt))


def _booklet(session: Session, kit: WelcomeKit, contact_email: str, today: date) -> Booklet:
    pair = kit.suggestion
    offer = pair.offer
    candidate = pair.request.candidate
    on = kit.start_on or today
    band = pair.request.age_band
    paid = rule_in_force(session, RuleKey.PAID_LEAVE_DAYS_PER_MONTH, on)
    exam = rule_in_force(session, RuleKey.EXAM_LEAVE_DAYS, on)
    return Booklet(
        sections=booklet_sections(session),
        apprentice=f"{candidate.first_name} {candidate.last_name}".strip(),
        employer=offer.site.employer,
        site=offer.site,
        metier=offer.metier.label,
        start_on=kit.start_on,
        master=offer.master,
        centre=pair.proposed_centre,
        centre_text=pair.training_centre,
        intakes=_intakes(session, pair, kit.start_on),
        housing=pair.proposed_housing,
        pay=None if band is None else pay_estimate(session, band, on),
        paid_leave_days=None if paid is None else paid.value,
        paid_leave_source=None if paid is None else paid.source,
        exam_leave_days=None if exam is None else exam.value,
        exam_leave_source=None if exam is None else exam.source,
        aids=apprentice_aids(),
        contact_email=contact_email,
    )


def kit_for_pair(session: Session, suggestion_id: int) -> WelcomeKit | None:
    """Return a pair's kit with its pair loaded, or None."""
    return session.scalar(
        select(WelcomeKit)
        .where(WelcomeKit.suggestion_id == suggestion_id)
        .options(
            joinedload(WelcomeKit.suggestion)
            .joinedload(Suggestion.offer)
            .joinedload(Offer.site)
            .joinedload(Site.employer)
        )
    )


def kit_page(session: Session, kit: WelcomeKit, contact_email: str, today: date) -> KitPage:
    """Return what a kit's page shows on ``today``."""
    items = list(
        session.scalars(
            select(WelcomeKitItem)
            .where(WelcomeKitItem.kit_id == kit.id)
            .options(joinedload(WelcomeKitItem.done_by))
            .order_by(WelcomeKitItem.position, WelcomeKitItem.id)
        )
    )
    return KitPage(kit, kit.suggestion, items, _booklet(session, kit, contact_email, today), today)


def overdue_items(
    session: Session, today: date, *, employer_id: int | None = None
) -> list[OverdueItem]:
    """Return the items not done whose due date is before ``today``, of the pairs still signed
    or planned: the longest late first, then by structure."""
    stmt = (
        select(WelcomeKitItem, Suggestion, Employer)
        .join(WelcomeKit, WelcomeKitItem.kit_id == WelcomeKit.id)
        .join(Suggestion, WelcomeKit.suggestion_id == Suggestion.id)
        .join(Offer, Suggestion.offer_id == Offer.id)
        .join(Site, Offer.site_id == Site.id)
        .join(Employer, Site.employer_id == Employer.id)
        .where(
            WelcomeKitItem.done_at.is_(None),
            WelcomeKitItem.due_on < today,
            Suggestion.status.not_in(
                (SuggestionStatus.BROKEN, SuggestionStatus.ABANDONED, SuggestionStatus.REJECTED)
            ),
        )
        .order_by(WelcomeKitItem.due_on, Employer.name, WelcomeKitItem.id)
    )
    if employer_id is not None:
        stmt = stmt.where(Employer.id == employer_id)
    return [
        OverdueItem(item, pair, employer, (today - item.due_on).days)
        for item, pair, employer in session.execute(stmt)
        if item.due_on is not None
    ]
