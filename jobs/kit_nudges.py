"""The welcome kit's nudges (issue 19): each overdue item of a kit, not done, is told to the
structure's people once.

A person whose digests come daily or weekly reads their overdue items in that digest
(:mod:`jobs.digests`); the others get one mail per item from this job. Either way an item is
claimed per recipient (``kit_item_nudges``, :func:`data.operations.welcome_kit.claim_overdue`) in
the transaction of its mail, and the outbox key is the item's: never told twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from sqlalchemy.orm import Session, sessionmaker

from data.mail import Mailer
from data.mail.links import url
from data.mail.recipients import employer_recipients
from data.models import Employer
from data.operations.welcome_kit import claim_overdue
from data.queries.welcome_kit import overdue_items
from jobs.common import MailBatch, base_url_of, clock, for_each, local_date, summary
from jobs.digests import KIT_DIGEST_FREQUENCIES

__all__ = ["JOB_ID", "KIND", "DIGEST_FREQUENCIES", "send_kit_nudges"]

JOB_ID = "kit_nudges"
KIND = "kit_overdue"
#: Who reads their overdue items in their digest rather than in a mail per item.
DIGEST_FREQUENCIES = KIT_DIGEST_FREQUENCIES

log = logging.getLogger("jobs.kit_nudges")


def send_kit_nudges(
    session_factory: sessionmaker[Session], mailer: Mailer, now: datetime | None = None
) -> dict[str, int]:
    """Mail each structure's overdue kit items to its people (once each); return the counts."""
    at = clock(now)
    batch = MailBatch(base_url_of(mailer), at)
    counts: Counter[str] = Counter()
    today = local_date(at)
    with session_factory() as s:
        employers = sorted({o.employer.id for o in overdue_items(s, today)})
    for_each(
        session_factory,
        employers,
        lambda s, eid, c: _employer(s, batch, c, eid, at),
        counts,
        batch,
        label="kit nudges",
    )
    counts["sent"] += batch.send(session_factory, mailer, now).sent
    return summary(counts)


def _employer(
    s: Session, batch: MailBatch, counts: Counter[str], employer_id: int, now: datetime
) -> list[int | None]:
    employer = s.get(Employer, employer_id)
    if employer is None:
        return []
    ids: list[int | None] = []
    for recipient in employer_recipients(s, employer):
        if recipient.frequency in DIGEST_FREQUENCIES:
            continue
        for item in claim_overdue(s, employer.id, recipient.email, local_date(now), now):
            pair = item.kit.suggestion
            candidate = pair.request.candidate
            mail_id = batch.queue(
                s,
                recipient,
                kind=KIND,
                key=f"kit_item:{item.id}",
                template="kit_overdue",
                settings_url=url(batch.base_url, "employer_notifications"),
                label=item.label,
                due_on=item.due_on,
                apprentice=f"{candidate.first_name} {candidate.last_name}".strip(),
                metier=pair.offer.metier.label,
                site=pair.offer.site.name,
                kit_url=url(batch.base_url, "employer_kit", kit_id=item.kit_id),
            )
            if mail_id is not None:
                counts["kit_nudge_mails"] += 1
            counts["kit_nudges"] += 1
            ids.append(mail_id)
    return ids
