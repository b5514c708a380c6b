"""What the discovery pages show (issue 18): a structure's days and who comes, a person's asks
and discoveries, the coordinators' review queue and lists, each with its questionnaires."""

from __future__ import annotations

from collections.abc import Sequence
from datetime import date

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, joinedload

from data.models import (
    MATCH_SUBJECT,
    DiscoveryDay,
    DiscoveryDayStatus,
    DiscoveryMatch,
    DiscoveryMatchStatus,
    DiscoveryWish,
    DiscoveryWishStatus,
    Questionnaire,
    Site,
)
from data.presentation.formatters import period_fr

__all__ = [
    "candidate_in_review",
    "candidate_matches",
    "candidate_wishes",
    "day_matches",
    "discovery_list",
    "discovery_review_count",
    "discovery_review_queue",
    "employer_days",
    "questionnaires_of",
    "day_choices",
    "wish_choices",
]

M = DiscoveryMatchStatus
#: The review rule of the discoveries: a proposal awaits review while the engine still proposes
#: it, the ask is active and the days open with a place left (needs the wish and the day joined).
_AWAITING_REVIEW = (
    DiscoveryMatch.status == M.PROPOSED,
    DiscoveryMatch.stale.is_(False),
    DiscoveryWish.status == DiscoveryWishStatus.ACTIVE,
    DiscoveryDay.status == DiscoveryDayStatus.OPEN,
    DiscoveryDay.places_taken < DiscoveryDay.places,
)
_MATCH_LOAD = (
    joinedload(DiscoveryMatch.day).joinedload(DiscoveryDay.site).joinedload(Site.commune),
    joinedload(DiscoveryMatch.day).joinedload(DiscoveryDay.employer),
    joinedload(DiscoveryMatch.day).joinedload(DiscoveryDay.metier),
    joinedload(DiscoveryMatch.wish).joinedload(DiscoveryWish.candidate),
    joinedload(DiscoveryMatch.wish).joinedload(DiscoveryWish.commune),
)


def employer_days(session: Session, employer_id: int) -> Sequence[DiscoveryDay]:
    """A structure's discovery days, the next first, then the past ones."""
    return session.scalars(
        select(DiscoveryDay)
        .where(DiscoveryDay.employer_id == employer_id)
        .options(joinedload(DiscoveryDay.site).joinedload(Site.commune))
        .order_by(DiscoveryDay.starts_on.desc(), DiscoveryDay.id.desc())
    ).all()


def day_matches(session: Session, day_id: int) -> Sequence[DiscoveryMatch]:
    """Who comes to these days: the discoveries planned, done or cancelled once planned (a
    proposal under review, or rejected, names nobody to the structure)."""
    return session.scalars(
        select(DiscoveryMatch)
        .where(
            DiscoveryMatch.day_id == day_id,
            # Cancelled ones were planned: a proposal is rejected, never cancelled.
            DiscoveryMatch.status.in_([M.PLANNED, M.DONE, M.CANCELLED]),
        )
        .options(*_MATCH_LOAD)
        .order_by(DiscoveryMatch.id)
    ).all()


def candidate_wishes(session: Session, candidate_id: int) -> Sequence[DiscoveryWish]:
    """A person's asks, the active ones first."""
    return session.scalars(
        select(DiscoveryWish)
        .where(DiscoveryWish.candidate_id == candidate_id)
        .options(joinedload(DiscoveryWish.metier), joinedload(DiscoveryWish.commune))
        .order_by(
            (DiscoveryWish.status == DiscoveryWishStatus.ACTIVE).desc(), DiscoveryWish.id.desc()
        )
    ).all()


def candidate_matches(session: Session, candidate_id: int) -> Sequence[DiscoveryMatch]:
    """A person's discoveries past the review: planned, done, cancelled. A proposal under
    review is only counted (:func:`candidate_in_review`) and a rejected one never shown, as for
    the apprenticeship's pairs: the person never reads that a coordinator turned a day down."""
    return session.scalars(
        select(DiscoveryMatch)
        .join(DiscoveryWish, DiscoveryWish.id == DiscoveryMatch.wish_id)
        .where(
            DiscoveryWish.candidate_id == candidate_id,
            DiscoveryMatch.status.in_([M.PLANNED, M.DONE, M.CANCELLED]),
        )
        .options(*_MATCH_LOAD)
        .order_by(DiscoveryMatch.id.desc())
    ).all()


def candidate_in_review(session: Session, candidate_id: int) -> int:
    """How many of a person's proposals await the coordination's review (the review queue's
    rule: still proposed by the engine, the ask active, the days open with a place)."""
    return discovery_review_count(session, DiscoveryWish.candidate_id == candidate_id)


def discovery_review_count(session: Session, *also: ColumnElement[bool]) -> int:
    """How many proposals await the coordination's review (the dashboard's « À faire »), of
    those that ``also`` keeps (a person's, for their page)."""
    return (
        session.scalar(
            select(func.count(DiscoveryMatch.id))
            .join(DiscoveryWish, DiscoveryWish.id == DiscoveryMatch.wish_id)
            .join(DiscoveryDay, DiscoveryDay.id == DiscoveryMatch.day_id)
            .where(*_AWAITING_REVIEW, *also)
        )
        or 0
    )


def discovery_review_queue(session: Session) -> Sequence[DiscoveryMatch]:
    """The proposals awaiting review: still proposed by the engine, the ask active, the days
    open with a place left; best score first."""
    return session.scalars(
        select(DiscoveryMatch)
        .join(DiscoveryWish, DiscoveryWish.id == DiscoveryMatch.wish_id)
        .join(DiscoveryDay, DiscoveryDay.id == DiscoveryMatch.day_id)
        .where(*_AWAITING_REVIEW)
        .options(*_MATCH_LOAD)
        .order_by(DiscoveryMatch.score.desc(), DiscoveryMatch.id)
    ).all()


def discovery_list(
    session: Session, status: DiscoveryMatchStatus, *, limit: int = 200
) -> Sequence[DiscoveryMatch]:
    """The discoveries at one stage, the latest changed first."""
    return session.scalars(
        select(DiscoveryMatch)
        .where(DiscoveryMatch.status == status)
        .options(*_MATCH_LOAD)
        .order_by(DiscoveryMatch.status_changed_at.desc(), DiscoveryMatch.id.desc())
        .limit(limit)
    ).all()


def questionnaires_of(
    session: Session, match_ids: Sequence[int]
) -> dict[int, dict[str, Questionnaire]]:
    """The questionnaires of these discoveries, by discovery and side."""
    out: dict[int, dict[str, Questionnaire]] = {}
    if not match_ids:
        return out
    for found in session.scalars(
        select(Questionnaire)
        .where(
            Questionnaire.subject_type == MATCH_SUBJECT,
            Questionnaire.subject_id.in_(list(match_ids)),
        )
        .order_by(Questionnaire.id)
    ):
        out.setdefault(found.subject_id, {})[found.side] = found
    return out


def wish_choices(session: Session) -> list[tuple[int, str]]:
    """The active asks, as a coordinator picks one to plan a discovery by hand."""
    wishes = session.scalars(
        select(DiscoveryWish)
        .where(DiscoveryWish.status == DiscoveryWishStatus.ACTIVE)
        .options(
            joinedload(DiscoveryWish.candidate),
            joinedload(DiscoveryWish.metier),
            joinedload(DiscoveryWish.commune),
        )
        .order_by(DiscoveryWish.id.desc())
        .limit(500)
    ).all()
    return [
        (
            w.id,
            f"{w.candidate.first_name} {w.candidate.last_name} – {w.metier.label} – "
            f"{w.commune.name}",
        )
        for w in wishes
    ]


def day_choices(session: Session, today: date) -> list[tuple[int, str]]:
    """The open days with a place left, not begun, as a coordinator picks them."""
    days = session.scalars(
        select(DiscoveryDay)
        .where(
            DiscoveryDay.status == DiscoveryDayStatus.OPEN,
            DiscoveryDay.places_taken < DiscoveryDay.places,
            DiscoveryDay.starts_on > today,
        )
        .options(
            joinedload(DiscoveryDay.employer),
            joinedload(DiscoveryDay.metier),
            joinedload(DiscoveryDay.site).joinedload(Site.commune),
        )
        .order_by(DiscoveryDay.starts_on, DiscoveryDay.id)
        .limit(500)
    ).all()
    return [
        (
            d.id,
            f"{d.metier.label} – {d.employer.name} ({d.site.commune.name}) – "
            f"{period_fr(d.starts_on, d.ends_on)}",
        )
        for d in days
    ]
