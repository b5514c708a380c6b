"""The housing survey's automatic reminder (issue 17): one round to the structures that did not
answer, :data:`data.operations.housing_survey.AUTO_REMINDER_DAYS` days after a campaign was sent,
unless a coordinator reminded them already. The mails leave with the sender job."""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from data.actor import Actor
from data.mail import Mailer
from data.operations import housing_survey as survey_ops
from jobs.common import base_url_of, clock, summary

__all__ = ["JOB_ID", "remind_housing_surveys"]

JOB_ID = "housing_survey_reminders"

log = logging.getLogger("jobs.housing_survey")


def remind_housing_surveys(
    session_factory: sessionmaker[Session], mailer: Mailer, now: datetime | None = None
) -> dict[str, int]:
    """Send the first reminder round of every campaign due for it; return the counts."""
    at = clock(now)
    base = base_url_of(mailer)
    counts: Counter[str] = Counter()
    with session_factory() as s:
        due = survey_ops.due_for_reminder(s, at)
    for survey_id in due:
        try:
            with session_factory.begin() as s:
                done = survey_ops.remind_survey(
                    s, Actor.job(JOB_ID), survey_id, round_number=1, base_url=base, now=at
                )
        except Exception:  # one campaign must not stop the others
            log.exception("%s: campaign %s failed", JOB_ID, survey_id)
            counts["errors"] += 1
            continue
        if not done.already_sent:
            counts["housing_surveys"] += 1
            counts["housing_survey_reminders"] += done.queued
            counts["suppressed"] += done.opted_out
    return summary(counts)
