"""The observatory's job (issue 20): store each closed month's figures once.

Each night (and when the scheduler starts), :func:`data.observatory.snapshots.take_snapshots`
stores every month from the platform's first record to the last closed month that has no
snapshot yet, in one transaction, so that its figures outlive the retention job's
anonymisation; when it stores a month, it revises the figures dated by a day people enter
(contracts, discovery days) of the twelve months stored before. It runs before the retention job.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from data.mail import Mailer
from data.observatory.snapshots import take_snapshots
from jobs.common import clock, summary

__all__ = ["JOB_ID", "snapshot_observatory"]

JOB_ID = "observatory"


def snapshot_observatory(
    session_factory: sessionmaker[Session], mailer: Mailer, now: datetime | None = None
) -> dict[str, int]:
    """Store the closed months not stored yet and revise the months before; return the counts."""
    del mailer  # no mail: the figures are read on the observatory's pages
    counts: Counter[str] = Counter()
    with session_factory.begin() as s:
        stored = take_snapshots(s, now=clock(now))
    counts["observatory_months"] = stored["months"]
    counts["observatory_figures"] = stored["figures"]
    counts["observatory_revised"] = stored["revised"]
    return summary(counts)
