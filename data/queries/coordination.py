"""What only coordinators read: the dashboard, the lists of records, an allocation's rows."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any, TypeVar

from sqlalchemy import ColumnElement, Select, case, func, select
from sqlalchemy.orm import Session

from data.models import (
    AWAITING_REVIEW,
    LIVE,
    OPEN_OFFER,
    PAIR_STAGES,
    PAIR_STATUSES,
    SIGNED_STATUSES,
    Commune,
    Metier,
    Offer,
    Request,
    RequestMetier,
    RequestStatus,
    Site,
    Suggestion,
    SuggestionStatus,
)
from data.models.employers import JoinRequestStatus, StructureJoinRequest
from data.models.mail import OutboxMessage, OutboxStatus
from matching import Allocation

from .checkins import to_call_count
from .discovery import discovery_review_count
from .housing_needs import HOUSED, LIVE_PAIR
from .moderation import structures_to_check_count
from .offers import offers_by_id
from .requests import requests_by_id

__all__ = [
    "AllocationView",
    "Dashboard",
    "STUCK_AFTER_DAYS",
    "Today",
    "TOP_COMMUNES",
    "allocation_view",
    "contract_counts",
    "dashboard",
    "pairs_by_status",
    "requests_without_suggestion",
    "review_count",
    "today",
    "unhoused_conditions",
]

#: How many communes the dashboard lists, busiest first.
TOP_COMMUNES = 15


@dataclass(frozen=True)
class Dashboard:
    """The figures of the coordination dashboard (of the plan's priority métiers only, when
    ``priority_only``); by métier, each label comes with whether it is a priority one."""

    offers_by_metier: list[tuple[str, bool, int]]
    requests_by_metier: list[tuple[str, bool, int]]
    offers_by_commune: list[tuple[str, int]]
    requests_by_commune: list[tuple[str, int]]
    to_review: int
    pairs_by_status: list[tuple[SuggestionStatus, int]]
    priority_only: bool = False
    #: Every pair that reached a signed contract since the start, and those broken off since.
    contracts_signed: int = 0
    contracts_broken: int = 0


def _priority_request() -> ColumnElement[bool]:
    """The condition « the request looks for at least one of the plan's priority métiers »."""
    return (
        select(RequestMetier.request_id)
        .join(Metier, Metier.code == RequestMetier.metier_code)
        .where(RequestMetier.request_id == Request.id, Metier.priority.is_(True))
        .exists()
    )


_Stmt = TypeVar("_Stmt", bound="Select[*tuple[Any, ...]]")


def _of_priority_offers(stmt: _Stmt) -> _Stmt:
    """``stmt`` (on suggestions) restricted to the pairs of offers of the priority métiers."""
    return (
        stmt.join(Offer, Offer.id == Suggestion.offer_id)
        .join(Metier, Metier.code == Offer.metier_code)
        .where(Metier.priority.is_(True))
    )


def review_count(session: Session, *, priority_only: bool = False) -> int:
    """Count the suggestions awaiting review (the review rule of ``data.models``), of offers of
    the priority métiers only when ``priority_only``."""
    stmt = (
        select(func.count(Suggestion.id))
        .join(Suggestion.request)
        .join(Suggestion.offer)
        .where(*AWAITING_REVIEW)
    )
    if priority_only:
        stmt = stmt.join(Metier, Metier.code == Offer.metier_code).where(Metier.priority.is_(True))
    return session.scalar(stmt) or 0


def requests_without_suggestion(session: Session, *, priority_only: bool = False) -> int:
    """Count the active requests that no live suggestion reaches (that look for a priority
    métier, when ``priority_only``)."""
    reached = select(Suggestion.id).where(
        Suggestion.request_id == Request.id,
        Suggestion.status.in_(LIVE),
        Suggestion.stale.is_(False),
    )
    stmt = select(func.count(Request.id)).where(
        Request.status == RequestStatus.ACTIVE,
        ~reached.exists(),
        *((_priority_request(),) if priority_only else ()),
    )
    return session.scalar(stmt) or 0


def pairs_by_status(
    session: Session, *, priority_only: bool = False
) -> list[tuple[SuggestionStatus, int]]:
    """Count the pairs past the review by status, in :data:`PAIR_STATUSES`' order (of offers of
    the priority métiers only when ``priority_only``)."""
    stmt = select(Suggestion.status, func.count(Suggestion.id)).where(
        Suggestion.status.in_(PAIR_STATUSES)
    )
    if priority_only:
        stmt = _of_priority_offers(stmt)
    pairs = dict(session.execute(stmt.group_by(Suggestion.status)).all())
    return [(s, pairs.get(s, 0)) for s in PAIR_STATUSES]


def unhoused_conditions() -> tuple[ColumnElement[bool], ...]:
    """The conditions « an active request that needs housing and that no live suggestion
    houses » (the house's rule of a pair housed: ``data.queries.housing_needs``)."""
    housed = (
        select(Suggestion.id)
        .join(Offer, Offer.id == Suggestion.offer_id)
        .where(Suggestion.request_id == Request.id, *LIVE_PAIR, HOUSED)
    )
    return (
        Request.status == RequestStatus.ACTIVE,
        Request.needs_housing.is_(True),
        ~housed.exists(),
    )


def contract_counts(session: Session, *, priority_only: bool = False) -> tuple[int, int]:
    """Count the pairs that reached a signed contract since the start, and those of them
    broken off since (one query; a signing undone is no longer a signed contract), of the
    priority métiers only when ``priority_only``."""
    broken = case((Suggestion.status == SuggestionStatus.BROKEN, 1))
    stmt = select(func.count(Suggestion.id), func.count(broken)).where(
        Suggestion.status.in_(SIGNED_STATUSES)
    )
    if priority_only:
        stmt = _of_priority_offers(stmt)
    signed, broken_off = session.execute(stmt).one()
    return int(signed), int(broken_off)


def dashboard(session: Session, *, priority_only: bool = False) -> Dashboard:
    """Count open offers and active requests by métier and commune, reviews and pairs.

    ``priority_only``: the plan's eight priority métiers only (offers and pairs of those métiers,
    requests that look for at least one of them).
    """
    priority = (Metier.priority.is_(True),) if priority_only else ()
    priority_request = (_priority_request(),) if priority_only else ()
    offers_by_metier = session.execute(
        select(Metier.label, Metier.priority, func.count(Offer.id))
        .join(Offer, Offer.metier_code == Metier.code)
        .where(*OPEN_OFFER, *priority)
        .group_by(Metier.label, Metier.priority)
        .order_by(func.count(Offer.id).desc(), Metier.label)
    ).all()
    requests_by_metier = session.execute(
        select(Metier.label, Metier.priority, func.count(func.distinct(RequestMetier.request_id)))
        .join(RequestMetier, RequestMetier.metier_code == Metier.code)
        .join(Request, Request.id == RequestMetier.request_id)
        .where(Request.status == RequestStatus.ACTIVE, *priority)
        .group_by(Metier.label, Metier.priority)
        .order_by(func.count(func.distinct(RequestMetier.request_id)).desc(), Metier.label)
    ).all()
    offers_by_commune = session.execute(
        select(Commune.name, func.count(Offer.id))
        .select_from(Offer)
        .join(Site, Site.id == Offer.site_id)
        .join(Commune, Commune.insee == Site.commune_insee)
        .join(Metier, Metier.code == Offer.metier_code)
        .where(*OPEN_OFFER, *priority)
        .group_by(Commune.name)
        .order_by(func.count(Offer.id).desc(), Commune.name)
        .limit(TOP_COMMUNES)
    ).all()
    requests_by_commune = session.execute(
        select(Commune.name, func.count(Request.id))
        .join(Request, Request.commune_insee == Commune.insee)
        .where(Request.status == RequestStatus.ACTIVE, *priority_request)
        .group_by(Commune.name)
        .order_by(func.count(Request.id).desc(), Commune.name)
        .limit(TOP_COMMUNES)
    ).all()
    signed, broken = contract_counts(session, priority_only=priority_only)
    return Dashboard(
        offers_by_metier=[(label, bool(p), n) for label, p, n in offers_by_metier],
        requests_by_metier=[(label, bool(p), n) for label, p, n in requests_by_metier],
        offers_by_commune=[(name, n) for name, n in offers_by_commune],
        requests_by_commune=[(name, n) for name, n in requests_by_commune],
        to_review=review_count(session, priority_only=priority_only),
        pairs_by_status=pairs_by_status(session, priority_only=priority_only),
        priority_only=priority_only,
        contracts_signed=signed,
        contracts_broken=broken,
    )


#: A pair whose stage has not changed for this long is shown as stuck on the dashboard.
STUCK_AFTER_DAYS = 14
#: The stages at which a pair waits for the next step (a signed contract waits for nothing).
WAITING_STAGES = tuple(s for s in PAIR_STAGES if s != SuggestionStatus.CONTRACT_SIGNED)
#: How many records of each kind « today » lists (its counts are whole).
TODAY_ROWS = 5


@dataclass(frozen=True)
class Today:
    """What needs a coordinator's action, first on the dashboard: counts, and the first rows of
    the kinds that have no list of their own (oldest first)."""

    join_requests: int
    to_review: int
    stuck_pairs: int
    stuck: list[Suggestion]
    lonely_offers: int
    lonely: list[Offer]
    housing_unsolved: int
    unhoused: list[Request]
    dead_mails: int
    #: Structures no coordinator checked yet (moderation), first on the dashboard.
    structures_to_check: int = 0
    #: Discovery days proposed to people, awaiting review (issue 18).
    discoveries_to_review: int = 0
    #: Pairs whose check-ins ask for a call (``data.queries.checkins``).
    to_call: int = 0

    @property
    def anything(self) -> bool:
        """Whether anything at all waits."""
        return any(
            (
                self.structures_to_check,
                self.to_call,
                self.join_requests,
                self.to_review,
                self.discoveries_to_review,
                self.stuck_pairs,
                self.lonely_offers,
                self.housing_unsolved,
                self.dead_mails,
            )
        )


def _count_and_first(session: Session, stmt: Select[Any], *order: Any) -> tuple[int, list[Any]]:
    """Count what ``stmt`` selects and return its first :data:`TODAY_ROWS` rows by ``order``."""
    total = session.scalar(select(func.count()).select_from(stmt.subquery())) or 0
    rows = list(session.scalars(stmt.order_by(*order).limit(TODAY_ROWS))) if total else []
    return total, rows


def today(session: Session, now: datetime, *, priority_only: bool = False) -> Today:
    """Return what waits for the coordinators at ``now``: structures to check, structures' join
    requests, suggestions to review, pairs stuck at a stage for :data:`STUCK_AFTER_DAYS`, open
    offers that no live suggestion reaches, active requests needing housing that no live
    suggestion with a bed reaches, pairs whose check-ins ask for a call, mails that failed for
    good (the plan's priority métiers only, if asked, for the records that have one)."""
    priority = (Metier.priority.is_(True),) if priority_only else ()
    stuck_stmt = (
        select(Suggestion)
        .join(Offer, Offer.id == Suggestion.offer_id)
        .join(Metier, Metier.code == Offer.metier_code)
        .where(
            Suggestion.status.in_(
                [s for s in PAIR_STAGES if s != SuggestionStatus.CONTRACT_SIGNED]
            ),
            Suggestion.status_changed_at < now - timedelta(days=STUCK_AFTER_DAYS),
            *priority,
        )
    )
    stuck_pairs, stuck = _count_and_first(
        session, stuck_stmt, Suggestion.status_changed_at, Suggestion.id
    )
    reached = select(Suggestion.id).where(
        Suggestion.offer_id == Offer.id, Suggestion.status.in_(LIVE), Suggestion.stale.is_(False)
    )
    lonely_stmt = (
        select(Offer)
        .join(Metier, Metier.code == Offer.metier_code)
        .where(*OPEN_OFFER, ~reached.exists(), *priority)
    )
    lonely_offers, lonely = _count_and_first(session, lonely_stmt, Offer.created_at, Offer.id)
    unhoused_stmt = select(Request).where(
        *unhoused_conditions(), *((_priority_request(),) if priority_only else ())
    )
    housing_unsolved, unhoused = _count_and_first(
        session, unhoused_stmt, Request.created_at, Request.id
    )
    return Today(
        join_requests=session.scalar(
            select(func.count(StructureJoinRequest.id)).where(
                StructureJoinRequest.status == JoinRequestStatus.PENDING
            )
        )
        or 0,
        to_review=review_count(session, priority_only=priority_only),
        stuck_pairs=stuck_pairs,
        stuck=stuck,
        lonely_offers=lonely_offers,
        lonely=lonely,
        housing_unsolved=housing_unsolved,
        unhoused=unhoused,
        dead_mails=session.scalar(
            select(func.count(OutboxMessage.id)).where(OutboxMessage.status == OutboxStatus.DEAD)
        )
        or 0,
        structures_to_check=structures_to_check_count(session),
        discoveries_to_review=discovery_review_count(session),
        # Every métier: a pair in difficulty waits for a call whatever its métier.
        to_call=to_call_count(session, now),
    )


@dataclass(frozen=True)
class AllocationView:
    """The rows an allocation names, loaded once: requests, offers, and existing pairs."""

    requests: dict[int, Request]
    offers: dict[int, Offer]
    suggestions: dict[tuple[int, int], Suggestion]


def allocation_view(session: Session, allocation: Allocation) -> AllocationView:
    """Load what the allocation page shows of each assignment and unassigned request."""
    request_ids = {int(a.request_id) for a in allocation.assignments}
    request_ids |= {int(u.request_id) for u in allocation.unassigned}
    offer_ids = {int(a.offer_id) for a in allocation.assignments}
    pairs = {(int(a.request_id), int(a.offer_id)) for a in allocation.assignments}
    suggestions = {}
    if request_ids:
        stmt = select(Suggestion).where(
            Suggestion.request_id.in_(request_ids), Suggestion.offer_id.in_(offer_ids)
        )
        suggestions = {
            (s.request_id, s.offer_id): s
            for s in session.scalars(stmt)
            if (s.request_id, s.offer_id) in pairs
        }
    return AllocationView(
        requests_by_id(session, request_ids), offers_by_id(session, offer_ids), suggestions
    )
