"""Métier sheets for everyone: the list of métiers and a sheet with the platform's live figures.

A sheet's page shows the team's text (``metier_sheets``) beside what the platform knows of the
métier today: its open offers (a count and the latest few), the active requests that name it,
the next intakes of the training centres preparing it, with their application deadlines, and
an apprentice's minimum pay by age band and contract year.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date

from sqlalchemy import func, select
from sqlalchemy.orm import Session, joinedload, selectinload

from data.models import (
    Metier,
    MetierSheet,
    MetierSheetVersion,
    Request,
    RequestMetier,
    RequestStatus,
    TrainingCentre,
    TrainingProgramme,
    TrainingSession,
)

from .audience import PUBLIC
from .offers import OfferHit, OfferSearch, offer_counts_by_metier, offer_page
from .pay import PayEstimate, pay_by_band

__all__ = [
    "SHEET_OFFERS",
    "SHEET_INTAKES",
    "MetierEntry",
    "MetierSheetPage",
    "metier_entries",
    "metier_sheet_page",
    "sheet_versions",
]

#: How many offers and intakes a sheet lists (the offers' count covers them all).
SHEET_OFFERS = 5
SHEET_INTAKES = 8


@dataclass(frozen=True)
class MetierEntry:
    """A métier of the « Les métiers » list: whether it has a sheet, and its open offers."""

    metier: Metier
    has_sheet: bool
    offers: int


@dataclass(frozen=True)
class MetierSheetPage:
    """What a métier's page shows: the sheet (None until written) and the live figures."""

    metier: Metier
    sheet: MetierSheet | None
    offers: list[OfferHit]
    offers_total: int
    active_requests: int
    intakes: list[TrainingSession]
    related: list[Metier]
    #: The apprentice's minimum pay today, by age band (the same for every métier).
    pay: tuple[PayEstimate, ...]


def metier_entries(session: Session) -> list[MetierEntry]:
    """Return every métier of the referential, the plan's priority ones first, then by label."""
    metiers = session.scalars(select(Metier).order_by(Metier.priority.desc(), Metier.label))
    with_sheet = set(session.scalars(select(MetierSheet.metier_code)))
    counts = offer_counts_by_metier(session, PUBLIC)
    return [MetierEntry(m, m.code in with_sheet, counts.get(m.code, 0)) for m in metiers]


def _active_requests(session: Session, code: str) -> int:
    stmt = (
        select(func.count(func.distinct(Request.id)))
        .join(RequestMetier, RequestMetier.request_id == Request.id)
        .where(Request.status == RequestStatus.ACTIVE, RequestMetier.metier_code == code)
    )
    return session.scalar(stmt) or 0


def _intakes(session: Session, code: str, today: date) -> list[TrainingSession]:
    stmt = (
        select(TrainingSession)
        .join(TrainingProgramme, TrainingSession.programme_id == TrainingProgramme.id)
        .where(TrainingProgramme.metier_code == code, TrainingSession.start_date >= today)
        .options(
            joinedload(TrainingSession.programme)
            .joinedload(TrainingProgramme.centre)
            .joinedload(TrainingCentre.commune)
        )
        .order_by(TrainingSession.start_date, TrainingSession.id)
        .limit(SHEET_INTAKES)
    )
    return list(session.scalars(stmt).unique())


def metier_sheet_page(session: Session, code: str, today: date) -> MetierSheetPage | None:
    """Return a métier's page, or None when no métier has that code."""
    metier = session.get(Metier, code) if len(code) <= 64 else None
    if metier is None:
        return None
    sheet = session.scalar(
        select(MetierSheet)
        .where(MetierSheet.metier_code == code)
        .options(joinedload(MetierSheet.updated_by))
    )
    offers = offer_page(session, PUBLIC, 1, SHEET_OFFERS, OfferSearch(metier=code))
    related = (
        list(
            session.scalars(
                select(Metier).where(Metier.code.in_(metier.related)).order_by(Metier.label)
            )
        )
        if metier.related
        else []
    )
    return MetierSheetPage(
        metier=metier,
        sheet=sheet,
        offers=list(offers.items),
        offers_total=offers.total,
        active_requests=_active_requests(session, code),
        intakes=_intakes(session, code, today),
        related=related,
        pay=pay_by_band(session, today),
    )


def sheet_versions(session: Session, sheet_id: int) -> list[MetierSheetVersion]:
    """Return a sheet's versions, the latest first, with their authors."""
    stmt = (
        select(MetierSheetVersion)
        .where(MetierSheetVersion.sheet_id == sheet_id)
        .options(selectinload(MetierSheetVersion.author))
        .order_by(MetierSheetVersion.id.desc())
    )
    return list(session.scalars(stmt))
