"""The coordinators' weekly summary: review queue, structures to check, pairs by stage, what
finds no match, and the training centres' application deadlines of the coming month."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime
from typing import Any

from sqlalchemy.orm import Session, sessionmaker

from data.mail import Mailer
from data.mail.links import url
from data.observatory.indicators import operational_figures
from data.presentation import label
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


def weekly_figures(session: Session, now: datetime) -> dict[str, Any]:
    """Compute the figures of the summary: the observatory's operational figures, which the
    coordinators' dashboard prints too (:func:`data.observatory.indicators.operational_figures`)."""
    figures = operational_figures(session, now)
    return {
        "review_queue": figures.review_queue,
        "stages": [(label(status), n) for status, n in figures.pairs_by_status],
        "offers_without_count": figures.lonely_offers,
        "offers_without": [
            f"{o.metier.label} – {o.site.name}, {o.site.commune.name}" for o in figures.lonely
        ],
        "requests_without": figures.requests_without,
        "housing_unmet": figures.housing_unsolved,
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
        figures = weekly_figures(s, at)
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
