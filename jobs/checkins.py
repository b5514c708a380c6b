"""The check-ins of a contract's first days (issue 19): each morning, both sides of every pair
under contract whose day 15 or day 40 has come receive their questionnaire, once
(:func:`data.operations.checkins.send_due_checkins`). The mails leave with the sender job; the
« to call » list is read from the answers (``data.queries.checkins``)."""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from data.mail import Mailer
from data.operations import checkins as checkin_ops
from jobs.common import base_url_of, clock, summary

__all__ = ["JOB_ID", "send_checkins"]

JOB_ID = "checkins"


def send_checkins(
    session_factory: sessionmaker[Session], mailer: Mailer, now: datetime | None = None
) -> dict[str, int]:
    """Queue the check-ins due today; return how many were queued."""
    at = clock(now)
    counts: Counter[str] = Counter()
    with session_factory.begin() as s:
        counts["checkins"] += checkin_ops.send_due_checkins(s, base_url=base_url_of(mailer), now=at)
    return summary(counts)
