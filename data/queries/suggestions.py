"""Suggestions and pairs as each audience may read them; the coordinators' review queue."""

from __future__ import annotations

from collections import Counter
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import Select, false, select
from sqlalchemy.orm import Session, joinedload

from data.models import (
    AWAITING_REVIEW,
    LIVE,
    PAIR_STAGES,
    PAIR_STATUSES,
    Commune,
    Interest,
    Metier,
    Offer,
    Request,
    RequestMetier,
    Site,
    Suggestion,
    SuggestionStatus,
)
from data.platform_settings import get_review_rule, visible_to_parties
from data.recompute import score_request_offer
from matching import Exclusion, Match

from .audience import COORDINATOR, Audience
from .nearby import measured
from .pages import Page, paginate, paginate_list

__all__ = [
    "BEST_FIRST",
    "REVIEW_COUNT_CAP",
    "TERRITORY_RADIUS_KM",
    "SuggestionSearch",
    "find_suggestion",
    "may_read_cv",
    "OfferFit",
    "QueueGroup",
    "queue_groups",
    "offer_fit",
    "pair_page",
    "review_queue",
    "shows_contact",
    "suggestion_page",
    "suggestion_query",
    "visible_suggestions",
]

#: Best score first, ties by id (the order of every suggestion list but the pairs').
BEST_FIRST: tuple[Any, ...] = (Suggestion.score.desc(), Suggestion.id)
#: The review queue counts its suggestions up to this many ("plus de 10 000"): counting a queue of
#: a million suggestions costs the database more than reading the page (load benchmark).
REVIEW_COUNT_CAP = 10_000
#: The radius of a coordinator's territory filter on the review queue.
TERRITORY_RADIUS_KM = 15


@dataclass(frozen=True)
class SuggestionSearch:
    """Filters of a suggestion list (``territory``: offers within TERRITORY_RADIUS_KM of it)."""

    status: SuggestionStatus | None = None
    min_score: float | None = None
    metier: str | None = None
    priority_metiers: bool = False  # only offers of the plan's priority métiers
    stale: bool | None = None
    needs_housing: bool | None = None
    offer_id: int | None = None
    request_id: int | None = None


def suggestion_query(session: Session, audience: Audience) -> Select[Suggestion]:
    """Return the suggestions ``audience`` may read, joined to their request, offer and site.

    An employer reads the pairs of its offers, a candidate those of its own request, that the
    review rule in force shows the parties (approved ones and later stages; in "auto" mode also
    unreviewed ones above the score); coordinators read all; anyone else none.
    """
    stmt = (
        select(Suggestion)
        .join(Suggestion.request)
        .join(Suggestion.offer)
        .join(Offer.site)
        .options(
            joinedload(Suggestion.offer).joinedload(Offer.site).joinedload(Site.commune),
            joinedload(Suggestion.offer).joinedload(Offer.site).joinedload(Site.employer),
            joinedload(Suggestion.offer).joinedload(Offer.metier),
            joinedload(Suggestion.request).joinedload(Request.candidate),
            joinedload(Suggestion.request).joinedload(Request.commune),
            joinedload(Suggestion.request)
            .selectinload(Request.metiers)
            .joinedload(RequestMetier.metier),
        )
    )
    if audience.is_coordinator:
        return stmt
    if audience.is_employer:
        mine = Site.employer_id == audience.employer_id
    elif audience.is_candidate:
        mine = Request.candidate_id == audience.candidate_id
    else:
        return stmt.where(false())
    return stmt.where(mine, visible_to_parties(get_review_rule(session)))


def _filtered(stmt: Select[Suggestion], search: SuggestionSearch) -> Select[Suggestion]:
    if search.status is not None:
        stmt = stmt.where(Suggestion.status == search.status)
    if search.min_score is not None:
        stmt = stmt.where(Suggestion.score >= search.min_score)
    if search.metier is not None:
        stmt = stmt.where(Offer.metier_code == search.metier)
    if search.priority_metiers:
        stmt = stmt.where(Offer.metier_code.in_(select(Metier.code).where(Metier.priority)))
    if search.stale is not None:
        stmt = stmt.where(Suggestion.stale.is_(search.stale))
    if search.needs_housing is not None:
        stmt = stmt.where(Request.needs_housing.is_(search.needs_housing))
    if search.offer_id is not None:
        stmt = stmt.where(Suggestion.offer_id == search.offer_id)
    if search.request_id is not None:
        stmt = stmt.where(Suggestion.request_id == search.request_id)
    return stmt


def suggestion_page(
    session: Session,
    audience: Audience,
    number: int,
    size: int,
    search: SuggestionSearch | None = None,
    *,
    clamp: bool = True,
) -> Page[Suggestion]:
    """Return one page of the suggestions ``audience`` may read, filtered, best first."""
    stmt = _filtered(suggestion_query(session, audience), search or SuggestionSearch())
    return paginate(session, stmt.order_by(*BEST_FIRST), number, size, clamp=clamp)


def visible_suggestions(
    session: Session,
    audience: Audience,
    *,
    offer_id: int | None = None,
    request_id: int | None = None,
) -> list[Suggestion]:
    """Return every suggestion of one offer or request that ``audience`` may read, best first."""
    search = SuggestionSearch(offer_id=offer_id, request_id=request_id)
    stmt = _filtered(suggestion_query(session, audience), search).order_by(*BEST_FIRST)
    return list(session.scalars(stmt).unique())


def find_suggestion(session: Session, audience: Audience, suggestion_id: int) -> Suggestion | None:
    """Return the suggestion if ``audience`` may read it, else None."""
    stmt = suggestion_query(session, audience).where(Suggestion.id == suggestion_id)
    return session.scalar(stmt)


def shows_contact(suggestion: Suggestion) -> bool:
    """Tell whether the parties of a pair they can read see each other's person: the rule.

    Once a coordinator approved the pair (a stage in :data:`PAIR_STAGES`), the employer sees the
    candidate's name, contact details, presentation and CV, unless the person was erased. The
    one definition for the employer's pages, their consultation log and the CV's download.
    """
    return suggestion.status in PAIR_STAGES and suggestion.request.candidate.anonymised_at is None


def may_read_cv(session: Session, audience: Audience, candidate_id: int) -> bool:
    """Tell whether ``audience`` may read the candidate's CV.

    Coordinators may; the candidate their own; an employer when one of the pairs it can read
    with this candidate shows the person (:func:`shows_contact`); nobody else.
    """
    if audience.is_coordinator:
        return True
    if audience.is_candidate:
        return audience.candidate_id == candidate_id
    if not audience.is_employer:
        return False
    stmt = suggestion_query(session, audience).where(
        Request.candidate_id == candidate_id, Suggestion.status.in_(PAIR_STAGES)
    )
    return any(shows_contact(s) for s in session.scalars(stmt).unique())


@dataclass(frozen=True)
class OfferFit:
    """How an offer fits a candidate's request: the engine's verdict and the pair, if any.

    ``scored`` is the engine's match (score, reasons) or the exclusion ruling the pair out
    (None: the engine knows none of the request's métiers); ``pair`` the suggestion of this
    request and offer, whatever its status; ``shown`` whether the review rule shows it to the
    candidate (a suggestion of theirs).
    """

    request: Request
    scored: Match | Exclusion | None
    pair: Suggestion | None
    shown: bool

    @property
    def asked(self) -> bool:
        """Tell whether the candidate said the offer interests them, on a pair still alive."""
        pair = self.pair
        return (
            pair is not None
            and pair.candidate_interest == Interest.INTERESTED
            and pair.status in LIVE
        )


def offer_fit(session: Session, request: Request, offer: Offer) -> OfferFit:
    """Explain to a candidate why an offer was (or was not) suggested for their request."""
    pair = session.scalar(
        select(Suggestion).where(
            Suggestion.request_id == request.id, Suggestion.offer_id == offer.id
        )
    )
    shown = pair is not None and (
        find_suggestion(session, Audience.candidate(request.candidate_id), pair.id) is not None
    )
    return OfferFit(request, score_request_offer(request, offer), pair, shown)


def pair_page(
    session: Session,
    number: int,
    size: int,
    status: SuggestionStatus | None = None,
    *,
    clamp: bool = True,
) -> Page[Suggestion]:
    """Return one page of the pairs (approved suggestions and after), most recently changed first.

    Coordinators' reach: the pairs' lists show both sides and their history.
    """
    wanted = [status] if status else list(PAIR_STATUSES)
    stmt = (
        suggestion_query(session, COORDINATOR)
        .where(Suggestion.status.in_(wanted))
        .order_by(Suggestion.status_changed_at.desc(), Suggestion.id.desc())
    )
    return paginate(session, stmt, number, size, clamp=clamp)


def review_queue(
    session: Session,
    number: int,
    size: int,
    search: SuggestionSearch | None = None,
    *,
    territory: Commune | None = None,
) -> Page[Suggestion]:
    """Return one page of the suggestions awaiting review, best first, filtered.

    The queue is counted up to :data:`REVIEW_COUNT_CAP` (``Page.more`` says there are more). With
    a ``territory``, the offers within :data:`TERRITORY_RADIUS_KM` of it only.
    """
    stmt = _filtered(suggestion_query(session, COORDINATOR), search or SuggestionSearch())
    stmt = stmt.where(*AWAITING_REVIEW).order_by(*BEST_FIRST)
    if territory is None:
        return paginate(session, stmt, number, size, count_up_to=REVIEW_COUNT_CAP)
    located = stmt.join(Commune, Site.commune_insee == Commune.insee)
    ids = [i for _, i in measured(session, located, Suggestion.id, territory, TERRITORY_RADIUS_KM)]
    page = paginate_list(ids, number, size)
    found = {s.id: s for s in session.scalars(stmt.where(Suggestion.id.in_(page.items))).unique()}
    return page.map(lambda i: found[i])


@dataclass(frozen=True)
class QueueGroup:
    """Near-identical rows of the review queue, shown together.

    ``kind`` "candidate": one candidate proposed for several offers of the same site (the rows
    told apart by the offer's title and start date); "offer": one offer proposed to several
    candidates; "single": a row alone.
    """

    kind: Literal["candidate", "offer", "single"]
    rows: tuple[Suggestion, ...]

    @property
    def first(self) -> Suggestion:
        """The group's first row (what the group's heading names)."""
        return self.rows[0]


def queue_groups(rows: Sequence[Suggestion]) -> list[QueueGroup]:
    """Group a page of the review queue: same candidate and site first, then same offer.

    Each group stands where its first row stood, its rows in the page's order; a row belongs to
    one group only (the candidate's group wins). The page itself (count, order, bounds) is not
    changed: groups never reach across pages.
    """
    by_candidate = Counter((s.request_id, s.offer.site_id) for s in rows)
    left = [s for s in rows if by_candidate[(s.request_id, s.offer.site_id)] < 2]
    by_offer = Counter(s.offer_id for s in left)
    members: dict[tuple[str, Any], list[Suggestion]] = {}
    for s in rows:
        if by_candidate[(s.request_id, s.offer.site_id)] > 1:
            key: tuple[str, Any] = ("candidate", (s.request_id, s.offer.site_id))
        elif by_offer[s.offer_id] > 1:
            key = ("offer", s.offer_id)
        else:
            key = ("single", s.id)
        members.setdefault(key, []).append(s)
    return [QueueGroup(kind, tuple(found)) for (kind, _), found in members.items()]  # type: ignore[arg-type]
