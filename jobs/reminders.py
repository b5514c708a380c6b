"""Reminders and expiry, driven by dates (and an injectable ``now``).

* An offer whose start date is near (:data:`OFFER_REMINDER_DAYS` ahead) or past is reminded to its
  employer, once per start date; :data:`OFFER_EXPIRY_GRACE_DAYS` after the start it is expired
  (no longer proposed) and the employer told.
* A request whose candidate has shown no activity for :data:`INACTIVE_DAYS` gets the « toujours en
  recherche ? » mail with a one-click answer link, once per period of inactivity.
* A pair stuck at "contacted" for :data:`NUDGE_AFTER_DAYS` nudges the side that has not answered,
  once per side.
"""

from __future__ import annotations

import logging
from collections import Counter
from datetime import datetime, timedelta

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data import operations as ops
from data.mail import Mailer
from data.mail.actions import still_looking_token
from data.mail.links import url
from data.mail.recipients import offer_recipients
from data.models import (
    Candidate,
    Offer,
    OfferStatus,
    Request,
    RequestStatus,
    Suggestion,
    SuggestionStatus,
)
from jobs.common import (
    MailBatch,
    base_url_of,
    candidate_recipient,
    clock,
    for_each,
    local_date,
    summary,
)

__all__ = [
    "send_reminders",
    "OFFER_REMINDER_DAYS",
    "OFFER_EXPIRY_GRACE_DAYS",
    "INACTIVE_DAYS",
    "NUDGE_AFTER_DAYS",
]

log = logging.getLogger("jobs.reminders")

OFFER_REMINDER_DAYS = 14
OFFER_EXPIRY_GRACE_DAYS = 30
INACTIVE_DAYS = 60
# A request whose owner leaves « toujours en recherche ? » unanswered this long is paused, so that
# employers stop being suggested someone who no longer looks.
PAUSE_AFTER_QUESTION_DAYS = 21
NUDGE_AFTER_DAYS = 7


def send_reminders(
    session_factory: sessionmaker[Session], mailer: Mailer, now: datetime | None = None
) -> dict[str, int]:
    """Remind and expire offers, ask inactive candidates, nudge stuck pairs; return the counts."""
    at = clock(now)
    batch = MailBatch(base_url_of(mailer), at)
    counts: Counter[str] = Counter()
    today = local_date(at)

    with session_factory() as s:
        offers = list(
            s.scalars(
                select(Offer.id)
                .where(
                    Offer.status == OfferStatus.PUBLISHED,
                    Offer.start_date.is_not(None),
                    Offer.start_date <= today + timedelta(days=OFFER_REMINDER_DAYS),
                )
                .order_by(Offer.id)
            )
        )
        requests = list(
            s.scalars(
                select(Request.id)
                .join(Candidate, Candidate.id == Request.candidate_id)
                .where(
                    Request.status == RequestStatus.ACTIVE,
                    Candidate.anonymised_at.is_(None),
                    Candidate.email.is_not(None),
                    Candidate.last_activity_at <= at - timedelta(days=INACTIVE_DAYS),
                )
                .order_by(Request.id)
            )
        )
        pairs = list(
            s.scalars(
                select(Suggestion.id)
                .where(
                    Suggestion.status == SuggestionStatus.CONTACTED,
                    Suggestion.status_changed_at <= at - timedelta(days=NUDGE_AFTER_DAYS),
                    (Suggestion.employer_interest.is_(None))
                    | (Suggestion.candidate_interest.is_(None)),
                )
                .order_by(Suggestion.id)
            )
        )

    for label, fn, ids in (
        ("reminders: offers", _offer, offers),
        ("reminders: requests", _still_looking, requests),
        ("reminders: pairs", _nudge, pairs),
    ):
        for_each(
            session_factory,
            ids,
            lambda s, object_id, c, fn=fn: fn(s, batch, c, object_id, at),
            counts,
            batch,
            label=label,
        )
    counts["sent"] += batch.send(session_factory, mailer, now).sent
    return summary(counts)


def _offer(
    s: Session, batch: MailBatch, counts: Counter[str], offer_id: int, now: datetime
) -> list[int | None]:
    offer = s.get(Offer, offer_id)
    if offer is None or offer.status != OfferStatus.PUBLISHED or offer.start_date is None:
        return []
    today = local_date(now)
    expires_on = offer.start_date + timedelta(days=OFFER_EXPIRY_GRACE_DAYS)
    site = offer.site
    context = {
        "metier": offer.metier.label,
        "site": site.name,
        "commune": site.commune.name,
        "start_date": offer.start_date,
        "offer_url": url(batch.base_url, "employer_offer", offer_id=offer.id),
        "settings_url": url(batch.base_url, "employer_notifications"),
    }
    ids: list[int | None] = []
    if today >= expires_on:
        ops.expire_offer(s, offer, now=now)
        for recipient in offer_recipients(s, offer):
            ids.append(
                batch.queue(
                    s,
                    recipient,
                    kind="offer_expired",
                    key=f"offer:{offer.id}",
                    template="offer_expired",
                    **context,
                )
            )
        counts["offers_expired"] += 1
        return ids
    for recipient in offer_recipients(s, offer):
        ids.append(
            batch.queue(
                s,
                recipient,
                kind="offer_start_reminder",
                key=f"offer:{offer.id}:{offer.start_date.isoformat()}",
                template="offer_start_soon",
                past=offer.start_date < today,
                expires_on=expires_on,
                **context,
            )
        )
    counts["offers_reminded"] += sum(1 for i in ids if i is not None)
    return ids


def _still_looking(
    s: Session, batch: MailBatch, counts: Counter[str], request_id: int, now: datetime
) -> list[int | None]:
    request = s.get(Request, request_id)
    if request is None or request.status != RequestStatus.ACTIVE:
        return []
    candidate = request.candidate
    person = candidate_recipient(s, candidate)
    if person is None or candidate.last_activity_at > now - timedelta(days=INACTIVE_DAYS):
        return []
    # Once per period of inactivity: new activity gives a new key, hence a new question later.
    kind, key = "still_looking", f"request:{request.id}:{candidate.last_activity_at.isoformat()}"
    asked_at = batch.queued_at(s, person.email, kind, key)
    if asked_at is not None:
        if now - asked_at >= timedelta(days=PAUSE_AFTER_QUESTION_DAYS):
            ops.pause_request(s, request, now=now, by_person=False)
            counts["requests_paused"] += 1
        return []
    token = still_looking_token(s, request.id, now=now)
    mail_id = batch.queue(
        s,
        person,
        kind=kind,
        key=key,
        template="still_looking",
        settings_url=url(batch.base_url, "candidate_notifications"),
        first_name=candidate.first_name,
        last_activity=candidate.last_activity_at,
        answer_url=url(batch.base_url, "still_looking", token=token),
        pause_after_days=PAUSE_AFTER_QUESTION_DAYS,
    )
    counts["still_looking"] += mail_id is not None
    return [mail_id]


def _nudge(
    s: Session, batch: MailBatch, counts: Counter[str], pair_id: int, now: datetime
) -> list[int | None]:
    pair = s.get(Suggestion, pair_id)
    if pair is None or pair.status != SuggestionStatus.CONTACTED:
        return []
    offer, request = pair.offer, pair.request
    site, employer, candidate = offer.site, offer.site.employer, request.candidate
    key = f"pair:{pair.id}"
    ids: list[int | None] = []
    if pair.candidate_interest is None:
        person = candidate_recipient(s, candidate)
        if person is not None:
            ids.append(
                batch.queue(
                    s,
                    person,
                    kind="nudge_candidate",
                    key=key,
                    template="nudge_candidate",
                    settings_url=url(batch.base_url, "candidate_notifications"),
                    first_name=candidate.first_name,
                    employer=employer.name,
                    metier=offer.metier.label,
                    commune=site.commune.name,
                    contacted_on=pair.status_changed_at,
                    home_url=url(batch.base_url, "candidate_home"),
                )
            )
    if pair.employer_interest is None:
        for recipient in offer_recipients(s, offer):
            ids.append(
                batch.queue(
                    s,
                    recipient,
                    kind="nudge_employer",
                    key=key,
                    template="nudge_employer",
                    settings_url=url(batch.base_url, "employer_notifications"),
                    candidate_name=f"{candidate.first_name} {candidate.last_name}",
                    metier=offer.metier.label,
                    site=site.name,
                    commune=site.commune.name,
                    contacted_on=pair.status_changed_at,
                    offer_url=url(batch.base_url, "employer_offer", offer_id=offer.id),
                )
            )
    counts["nudges"] += sum(1 for i in ids if i is not None)
    return ids
