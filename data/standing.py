"""Where a candidate's request or an employer's offer stands, as its owner may be told.

One rule for every page, the API and the mails: :func:`request_standing` and
:func:`offer_standings` return a :class:`Standing` per item, a status code (:class:`Status`) and
the counts behind it. The words are the presentation layer's (``data.presentation.standing``).

The status is the first that applies, in this order:

1. the item itself is not looking: a draft, closed, expired or filled offer, one moderation
   holds back (waiting for its structure's check, suspended with it, withdrawn), or one whose
   maître d'apprentissage has no place left (``TUTOR_FULL``: the engine proposes it to nobody,
   :mod:`data.queries.masters`); a paused, closed or
   matched request (a request always has a known métier: the operations refuse one without),
   told apart when its contract broke off since (``CONTRACT_BROKEN``: no contract holds it, the
   person may look again);
2. a pair past the review is under way (approved, contacted, interview): the furthest stage;
3. the item changed after the last successful re-matching: its suggestions are recomputed at
   the next run (``minutes`` says within how long);
4. pairs shown to the parties before any review (the "auto" review rule);
5. pairs waiting for a coordinator's review that the rule hides: only their number is told,
   never which offer or candidate, nor their score;
6. nothing matches.

A lower status that also holds is listed in ``also`` (an approved pair and three more under
review), so that pages may say both.

What the parties may see of a pair is the review rule's (:mod:`data.platform_settings`): a count
of hidden pairs tells no name and no score, and a rejected pair is never counted, so the count
never tells that a coordinator turned someone down.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, case, func, select
from sqlalchemy.orm import InstrumentedAttribute, Session

from data.jobruns import interval_of, last_success
from data.models import (
    AWAITING_REVIEW,
    PAIR_STAGES,
    Offer,
    OfferStatus,
    Request,
    RequestStatus,
    Suggestion,
    SuggestionStatus,
    utcnow,
)
from data.platform_settings import ReviewRule, get_review_rule, visible_to_parties
from data.queries.masters import master_capacities

__all__ = [
    "PAIR_STAGES",
    "RECOMPUTE_JOBS",
    "Standing",
    "Status",
    "last_recompute",
    "minutes_to_recompute",
    "next_stage",
    "offer_standing",
    "offer_standings",
    "request_standing",
]

S = SuggestionStatus

#: Stages of a pair still under way, furthest last (a signed contract ends the search).
_UNDER_WAY = PAIR_STAGES[:-1]
#: The jobs whose successful run recomputes the suggestions.
RECOMPUTE_JOBS = ("rematch", "rematch_full")
#: A re-matching this many intervals late is overdue: no number of minutes is promised then.
OVERDUE_INTERVALS = 3


def next_stage(status: SuggestionStatus) -> SuggestionStatus | None:
    """Return the stage after ``status`` in :data:`PAIR_STAGES` (None at the end or outside).

    >>> next_stage(SuggestionStatus.APPROVED)
    <SuggestionStatus.CONTACTED: 'contacted'>
    >>> next_stage(SuggestionStatus.CONTRACT_SIGNED) is None
    True
    """
    if status not in PAIR_STAGES:
        return None
    i = PAIR_STAGES.index(status)
    return PAIR_STAGES[i + 1] if i + 1 < len(PAIR_STAGES) else None


class Status(enum.StrEnum):
    """Where an item stands (see the module docstring for the order)."""

    DRAFT = "draft"
    WAITING_CHECK = "waiting_check"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"
    EXPIRED = "expired"
    FILLED = "filled"
    TUTOR_FULL = "tutor_full"
    PAUSED = "paused"
    MATCHED = "matched"
    CONTRACT_BROKEN = "contract_broken"
    APPROVED = "approved"
    CONTACTED = "contacted"
    INTERVIEW = "interview"
    PENDING = "pending"
    PROPOSED = "proposed"
    IN_REVIEW = "in_review"
    NO_MATCH = "no_match"


_OFFER_ENDS = {
    OfferStatus.DRAFT: Status.DRAFT,
    OfferStatus.CLOSED: Status.CLOSED,
    OfferStatus.EXPIRED: Status.EXPIRED,
    OfferStatus.FILLED: Status.FILLED,
    OfferStatus.PENDING_CHECK: Status.WAITING_CHECK,
    OfferStatus.SUSPENDED: Status.SUSPENDED,
    OfferStatus.WITHDRAWN: Status.WITHDRAWN,
}
_REQUEST_ENDS = {
    RequestStatus.PAUSED: Status.PAUSED,
    RequestStatus.CLOSED: Status.CLOSED,
    RequestStatus.MATCHED: Status.MATCHED,
}


@dataclass(frozen=True)
class Standing:
    """Where one item stands: its status, what else holds, and the counts behind them.

    ``stages`` counts the pairs past review that the parties see, by stage; ``proposed`` the
    pairs shown before review; ``in_review`` those a coordinator has yet to review and the rule
    hides. ``minutes`` (status or ``also`` PENDING) is the wait for the next re-matching, None
    when it is overdue. ``review_mode`` is the review rule's mode, ``radius_km`` a request's
    distance, ``tutor`` the name of an offer's maître d'apprentissage who has no place left.
    """

    status: Status
    also: tuple[Status, ...] = ()
    stages: Mapping[SuggestionStatus, int] = field(default_factory=dict)
    proposed: int = 0
    in_review: int = 0
    minutes: int | None = None
    review_mode: str = "approval"
    radius_km: int | None = None
    tutor: str | None = None

    def holds(self, status: Status) -> bool:
        """Tell whether ``status`` is this item's status or one of those that also hold."""
        return self.status == status or status in self.also


@dataclass
class _Counts:
    stages: dict[SuggestionStatus, int] = field(default_factory=dict)
    proposed: int = 0
    in_review: int = 0
    broken: int = 0


def _rematch_interval(config: Mapping[str, Any]) -> timedelta:
    interval = interval_of(config, "rematch")
    assert interval is not None, "the re-matching runs at an interval"
    return interval


def last_recompute(session: Session) -> datetime | None:
    """Return when the latest successful re-matching started (what changed before it counts)."""
    runs = [last_success(session, job) for job in RECOMPUTE_JOBS]
    starts = [run.started_at for run in runs if run is not None]
    return max(starts) if starts else None


def _waits_for_rematch(
    updated_at: datetime, rematched_at: datetime | None, last: datetime | None
) -> bool:
    """Whether a record changed after its suggestions were last computed: by the re-matching
    job (``last``: its latest run's start), or on their own (``rematched_at``: the page that
    changed it, :mod:`data.incremental`)."""
    done = [t for t in (last, rematched_at) if t is not None]
    return not done or updated_at > max(done)


def minutes_to_recompute(last: datetime | None, interval: timedelta, now: datetime) -> int | None:
    """Return within how many minutes the next re-matching runs (at least 1), None if overdue.

    With no run yet the scheduler may have just started: one interval at most.

    >>> from datetime import UTC
    >>> t = datetime(2026, 3, 2, 9, 0, tzinfo=UTC)
    >>> minutes_to_recompute(t, timedelta(minutes=5), t + timedelta(minutes=3, seconds=10))
    2
    >>> minutes_to_recompute(None, timedelta(seconds=10), t)
    1
    >>> minutes_to_recompute(t, timedelta(minutes=5), t + timedelta(hours=1)) is None
    True
    """
    if last is None:
        remaining = interval
    else:
        late = now - last
        if late > interval * OVERDUE_INTERVALS:
            return None
        remaining = last + interval - now
        if remaining <= timedelta(0):
            remaining = interval
    return max(1, math.ceil(remaining.total_seconds() / 60))


def _counts(
    session: Session, rule: ReviewRule, key: InstrumentedAttribute[int], ids: Iterable[int]
) -> dict[int, _Counts]:
    """Count the pairs of each item by what its owner may know of them (one query)."""
    ids = list(ids)
    if not ids:
        return {}
    shown = case((visible_to_parties(rule), 1), else_=0)
    waiting = case((and_(*AWAITING_REVIEW), 1), else_=0)
    rows = (
        select(
            key.label("item"),
            Suggestion.status.label("status"),
            shown.label("shown"),
            waiting.label("waiting"),
        )
        .join(Suggestion.request)
        .join(Suggestion.offer)
        .where(key.in_(ids))
        .subquery()
    )
    stmt = select(rows.c.item, rows.c.status, rows.c.shown, rows.c.waiting, func.count()).group_by(
        rows.c.item, rows.c.status, rows.c.shown, rows.c.waiting
    )
    found: dict[int, _Counts] = {}
    for item, status, is_shown, is_waiting, n in session.execute(stmt):
        c = found.setdefault(item, _Counts())
        status = SuggestionStatus(status)
        if is_shown and status in PAIR_STAGES:
            c.stages[status] = c.stages.get(status, 0) + n
        elif status == S.BROKEN:
            c.broken += n
        elif is_shown and status == S.PROPOSED:
            c.proposed += n
        elif not is_shown and is_waiting:
            c.in_review += n
    return found


def _standing(
    end: Status | None,
    counts: _Counts,
    changed: bool,
    minutes: int | None,
    rule: ReviewRule,
    radius_km: int | None = None,
) -> Standing:
    holding: list[Status] = []
    if end is not None:
        holding.append(end)
    else:
        stage = next((s for s in reversed(_UNDER_WAY) if counts.stages.get(s)), None)
        if stage is not None:
            holding.append(Status(stage.value))
        if changed:
            holding.append(Status.PENDING)
        if counts.proposed:
            holding.append(Status.PROPOSED)
        if counts.in_review:
            holding.append(Status.IN_REVIEW)
        if not holding:
            holding.append(Status.NO_MATCH)
    return Standing(
        status=holding[0],
        also=tuple(holding[1:]),
        stages=dict(counts.stages),
        proposed=counts.proposed,
        in_review=counts.in_review,
        minutes=minutes if Status.PENDING in holding else None,
        review_mode=rule.mode,
        radius_km=radius_km,
    )


def request_standing(
    session: Session,
    request: Request,
    *,
    config: Mapping[str, Any],
    now: datetime | None = None,
) -> Standing:
    """Return where a candidate's request stands (``config`` gives the jobs' schedule)."""
    now = now or utcnow()
    rule = get_review_rule(session)
    last = last_recompute(session)
    end = _REQUEST_ENDS.get(request.status)
    counts = _counts(session, rule, Suggestion.request_id, [request.id]).get(request.id, _Counts())
    if (
        end == Status.MATCHED
        and not counts.stages.get(SuggestionStatus.CONTRACT_SIGNED)
        and counts.broken
    ):
        end = Status.CONTRACT_BROKEN
    changed = _waits_for_rematch(request.updated_at, request.rematched_at, last)
    minutes = minutes_to_recompute(last, _rematch_interval(config), now)
    return _standing(end, counts, changed, minutes, rule, request.max_distance_km)


def offer_standings(
    session: Session,
    offers: Iterable[Offer],
    *,
    config: Mapping[str, Any],
    now: datetime | None = None,
) -> dict[int, Standing]:
    """Return where each of an employer's offers stands, by offer id (a few queries in all)."""
    offers = list(offers)
    now = now or utcnow()
    rule = get_review_rule(session)
    last = last_recompute(session)
    minutes = minutes_to_recompute(last, _rematch_interval(config), now)
    counts = _counts(session, rule, Suggestion.offer_id, [o.id for o in offers])
    named = sorted({o.master_id for o in offers if o.master_id is not None})
    capacities = (master_capacities(session, named) if named else None) or {}
    result = {}
    for offer in offers:
        end = _OFFER_ENDS.get(offer.status)
        if end is None and offer.places_left < 1:
            end = Status.FILLED
        full = end is None and offer.master_id is not None and capacities.get(offer.master_id) == 0
        if full:
            end = Status.TUTOR_FULL
        changed = _waits_for_rematch(offer.updated_at, offer.rematched_at, last)
        found = _standing(end, counts.get(offer.id, _Counts()), changed, minutes, rule)
        if full and offer.master is not None:
            found = replace(found, tutor=offer.master.name)
        result[offer.id] = found
    return result


def offer_standing(
    session: Session,
    offer: Offer,
    *,
    config: Mapping[str, Any],
    now: datetime | None = None,
) -> Standing:
    """Return where one offer stands (see :func:`offer_standings`)."""
    return offer_standings(session, [offer], config=config, now=now)[offer.id]
