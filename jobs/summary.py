"""The coordinators' weekly summary: review queue, structures to check, pairs by stage, what
finds no match, and the training centres' application deadlines of the coming month."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session, joinedload, sessionmaker

from data.mail import Mailer
from data.mail.links import url
from data.models import (
    LIVE,
    Offer,
    OfferStatus,
    Request,
    RequestStatus,
    Site,
    Suggestion,
    SuggestionStatus,
)
from data.presentation import label
from data.queries import review_count
from data.queries.moderation import structures_to_check_count
from data.queries.training import deadlines_between
from jobs.common import (
    MailBatch,
    add_months,
    base_url_of,
    clock,
    coordinator_recipients,
    local_date,
)

__all__ = ["send_coordinator_summary", "weekly_figures", "coming_deadlines", "KIND"]

log = logging.getLogger("jobs.summary")

KIND = "coordinator_summary"
#: The stages the summary counts, in this order; each is named by its one label, as on the
#: coordinators' dashboard (data.presentation).
STAGES = (
    SuggestionStatus.PROPOSED,
    SuggestionStatus.APPROVED,
    SuggestionStatus.CONTACTED,
    SuggestionStatus.INTERVIEW,
    SuggestionStatus.CONTRACT_SIGNED,
    SuggestionStatus.BROKEN,  # signed contracts that broke off, counted apart (issue 15)
    SuggestionStatus.ABANDONED,
    SuggestionStatus.REJECTED,
)


def weekly_figures(session: Session) -> dict[str, Any]:
    """Compute the figures of the summary (also usable by a dashboard)."""
    by_status = dict(
        session.execute(select(Suggestion.status, func.count()).group_by(Suggestion.status)).all()
    )
    review_queue = review_count(session)
    live_for_offer = exists().where(
        Suggestion.offer_id == Offer.id, Suggestion.status.in_(LIVE), Suggestion.stale.is_(False)
    )
    offers_without = list(
        session.scalars(
            select(Offer)
            .where(Offer.status == OfferStatus.PUBLISHED, ~live_for_offer)
            .options(joinedload(Offer.metier), joinedload(Offer.site).joinedload(Site.commune))
            .order_by(Offer.published_at, Offer.id)
        )
    )
    live_for_request = exists().where(
        Suggestion.request_id == Request.id,
        Suggestion.status.in_(LIVE),
        Suggestion.stale.is_(False),
    )
    requests_without = session.scalar(
        select(func.count())
        .select_from(Request)
        .where(Request.status == RequestStatus.ACTIVE, ~live_for_request)
    )
    housed = exists().where(
        and_(
            Suggestion.request_id == Request.id,
            Suggestion.status.in_(LIVE),
            Suggestion.stale.is_(False),
            Offer.id == Suggestion.offer_id,
            Offer.housing_beds > 0,
        )
    )
    housing_unmet = session.scalar(
        select(func.count())
        .select_from(Request)
        .where(Request.status == RequestStatus.ACTIVE, Request.needs_housing.is_(True), ~housed)
    )
    return {
        "review_queue": review_queue or 0,
        "stages": [(label(status), by_status.get(status, 0)) for status in STAGES],
        "offers_without": [
            f"{o.metier.label} – {o.site.name}, {o.site.commune.name}" for o in offers_without
        ],
        "requests_without": requests_without or 0,
        "housing_unmet": housing_unmet or 0,
    }


def coming_deadlines(session: Session, now: datetime) -> list[dict[str, Any]]:
    """Return the application deadlines from today to the same day next month, soonest first:
    the sessions by apprenticeship, with their centre, métier and start."""
    today = local_date(now)
    last = local_date(add_months(now, 1))
    return [
        {
            "centre": f"{x.programme.centre.name}, {x.programme.centre.commune.name}",
            "metier": x.programme.metier.label,
            "start_date": x.start_date,
            "deadline": x.application_deadline,
        }
        for x in deadlines_between(session, today, last)
    ]


def send_coordinator_summary(
    session_factory: sessionmaker[Session], mailer: Mailer, now: datetime | None = None
) -> dict[str, int]:
    """Mail this week's summary to every active coordinator, once per ISO week."""
    at = clock(now)
    batch = MailBatch(base_url_of(mailer), at)
    year, week, _ = local_date(at).isocalendar()
    counts: Counter[str] = Counter()
    with session_factory.begin() as s:
        figures = weekly_figures(s)
        # Apart from weekly_figures: the dashboard shows its own count of the structures.
        to_check = structures_to_check_count(s)
        deadlines = coming_deadlines(s, at)
        ids = [
            batch.queue(
                s,
                recipient,
                kind=KIND,
                key=f"{year}-W{week:02d}",
                template="coordinator_summary",
                week=f"{week} ({year})",
                dashboard_url=url(batch.base_url, "coordination_home"),
                structures_to_check=to_check,
                structures_url=url(batch.base_url, "coordination_structures"),
                deadlines=deadlines,
                **figures,
            )
            for recipient in coordinator_recipients(s)
        ]
    batch.keep(ids)
    counts["mails"] = sum(1 for i in ids if i is not None)
    counts["review_queue"] = figures["review_queue"]
    if deadlines:
        counts["deadlines"] = len(deadlines)
    counts["sent"] = batch.send(session_factory, mailer, now).sent
    return dict(counts)
