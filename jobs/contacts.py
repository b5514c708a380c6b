"""Contacts: catch up on approved pairs, and move them to "contacted" once both mails are queued.

Approving a pair queues both contact mails in the same transaction (``data.mail.contacts``, called
by the approval operation), so nothing here is needed for the mails to go out. This job does two
things every few minutes:

* it queues the contact mails of pairs still "approved" whose mails are not in the outbox (pairs
  approved before the approval queued them, or written by hand); the outbox's unique key on
  ``contact:<pair id>`` per recipient makes a mail queued at approval a no-op here;
* it moves each approved pair to "contacted" (system actor): "contacted" keeps its meaning, "both
  sides have the other's details", which the reminders' nudge (a pair left at "contacted") counts
  from. A pair a coordinator moved on meanwhile keeps its stage (compare-and-set) and its mails.

Each pair is handled in its own savepoint: its mails and its move commit together.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data import operations as ops
from data.actor import Actor
from data.errors import Conflict, InvalidTransition
from data.mail import Mailer, queue_contact_mails
from data.mail.contacts import CANDIDATE_KIND, CANDIDATE_SIDE, EMPLOYER_KIND
from data.models import Suggestion, SuggestionStatus
from jobs.common import MailBatch, base_url_of, clock, for_each, summary

__all__ = ["send_contacts", "CANDIDATE_KIND", "EMPLOYER_KIND"]

log = logging.getLogger("jobs.contacts")
# The contact job moves approved pairs on; their history says the job did it.
CONTACTS_ACTOR = Actor.job("contacts")


def send_contacts(
    session_factory: sessionmaker[Session], mailer: Mailer, now: datetime | None = None
) -> dict[str, int]:
    """Put both sides of every approved pair in contact; return the counts."""
    at = clock(now)
    batch = MailBatch(base_url_of(mailer), at)
    counts: Counter[str] = Counter()
    with session_factory() as s:
        pair_ids = list(
            s.scalars(
                select(Suggestion.id)
                .where(Suggestion.status == SuggestionStatus.APPROVED)
                .order_by(Suggestion.status_changed_at, Suggestion.id)
            )
        )
    for_each(
        session_factory,
        pair_ids,
        lambda s, pair_id, c: _contact(s, batch, c, pair_id, at),
        counts,
        batch,
        label="contacts",
    )
    counts["sent"] += batch.send(session_factory, mailer, now).sent
    return summary(counts)


def _contact(
    s: Session, batch: MailBatch, counts: Counter[str], pair_id: int, now: datetime
) -> list[int | None]:
    pair = s.get(Suggestion, pair_id)
    if pair is None or pair.status != SuggestionStatus.APPROVED:
        return []  # another run, or a coordinator, moved it meanwhile
    queued = queue_contact_mails(s, pair, base_url=batch.base_url, now=now)
    if CANDIDATE_SIDE in queued.unreached:
        counts["candidates_without_address"] += 1
    try:
        ops.mark_contacted(s, pair, CONTACTS_ACTOR, now=now)
        counts["pairs"] += 1
    except (Conflict, InvalidTransition):
        # Moved on between our read and our write: nothing was changed; the mails stay queued.
        log.info("contacts: pair %d moved on meanwhile, left at its stage", pair_id)
    counts["mails"] += len(queued.ids)
    return list(queued.ids)
