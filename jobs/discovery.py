"""The discovery days' job (issue 18): propose, close the days past, ask how they went.

Each run, in one transaction per step:

1. recomputes the discovery matches (:func:`data.discovery_engine.recompute_discovery`): the
   engine's proposals for the coordinators' review;
2. marks done every planned discovery whose last day is over (in France), unless it was
   cancelled;
3. sends both sides' questionnaires of the done discoveries, once each (the questionnaire is
   unique per discovery and side, its mail per recipient and key in the outbox).

The mails leave with the sender job.
"""

from __future__ import annotations

from collections import Counter
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from data.actor import Actor
from data.discovery_engine import recompute_discovery
from data.mail import Mailer
from data.operations import discovery as discovery_ops
from jobs.common import base_url_of, clock, local_date, summary

__all__ = ["JOB_ID", "run_discovery"]

JOB_ID = "discovery"


def run_discovery(
    session_factory: sessionmaker[Session], mailer: Mailer, now: datetime | None = None
) -> dict[str, int]:
    """Recompute the matches, finish the past discoveries, send their questionnaires."""
    at = clock(now)
    counts: Counter[str] = Counter()
    with session_factory.begin() as s:
        report = recompute_discovery(s, today=local_date(at), now=at)
    counts.update(
        discovery_created=report.created,
        discovery_updated=report.updated,
        discovery_staled=report.staled,
        discovery_wishes=report.wishes,
        discovery_days=report.days,
    )
    with session_factory.begin() as s:
        counts["discovery_done"] += discovery_ops.finish_past_discoveries(
            s, Actor.job(JOB_ID), now=at
        )
    with session_factory.begin() as s:
        counts["discovery_questionnaires"] += discovery_ops.send_due_questionnaires(
            s, base_url=base_url_of(mailer), now=at
        )
    return summary(counts)
