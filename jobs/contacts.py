"""Contacts: when a coordinator approves a pair, both sides get the other's details, once.

Each approved pair is handled in its own transaction: the contact mails are queued (unique on
``contact:<pair id>`` per recipient) and the pair moves to "contacted" together, so a pair is
either fully processed or not at all, and a rerun or an overlapping run queues nothing twice.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data import operations as ops
from data.mail import Mailer
from data.models import Suggestion, SuggestionStatus
from jobs.common import (
    MailBatch,
    base_url_of,
    candidate_recipient,
    clock,
    employer_recipients,
    for_each,
    summary,
)
from jobs.links import url

__all__ = ["send_contacts", "CANDIDATE_KIND", "EMPLOYER_KIND"]

log = logging.getLogger("jobs.contacts")

CANDIDATE_KIND = "contact_candidate"
EMPLOYER_KIND = "contact_employer"


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
        return []  # another run did it meanwhile
    offer, request = pair.offer, pair.request
    site, employer, candidate = offer.site, offer.site.employer, request.candidate
    key = f"contact:{pair.id}"
    ids: list[int | None] = []

    person = candidate_recipient(s, candidate)
    if person is not None:
        ids.append(
            batch.queue(
                s,
                person,
                kind=CANDIDATE_KIND,
                key=key,
                template="contact_candidate",
                settings_url=url(batch.base_url, "candidate_notifications"),
                first_name=candidate.first_name,
                employer=employer.name,
                metier=offer.metier.label,
                commune=site.commune.name,
                address=site.address,
                start_date=offer.start_date,
                contact_name=employer.contact_name,
                contact_email=employer.contact_email,
                contact_phone=employer.contact_phone,
                home_url=url(batch.base_url, "candidate_home"),
            )
        )
    else:
        counts["candidates_without_address"] += 1
    for recipient in employer_recipients(s, employer):
        ids.append(
            batch.queue(
                s,
                recipient,
                kind=EMPLOYER_KIND,
                key=key,
                template="contact_employer",
                settings_url=url(batch.base_url, "employer_notifications"),
                metier=offer.metier.label,
                site=site.name,
                commune=site.commune.name,
                candidate_name=f"{candidate.first_name} {candidate.last_name}",
                candidate_email=candidate.email,
                candidate_phone=candidate.phone,
                candidate_commune=request.commune.name,
                offer_url=url(batch.base_url, "employer_offer", offer_id=offer.id),
            )
        )
    ops.mark_contacted(s, pair, None, now=now)
    counts["pairs"] += 1
    counts["mails"] += sum(1 for i in ids if i is not None)
    return ids
