"""Digests of new suggestions: candidates get new offers, employers new candidates per offer.

Each person gets them at the frequency they chose: ``immediate`` (batched by the run every few
minutes), ``daily``, ``weekly`` or ``never``. Only suggestions the person may see under the
coordinators' review rule are mailed, each at most once per recipient: a suggestion is claimed for a
recipient by inserting (suggestion, recipient) into ``mail_notified_suggestions`` with
``ON CONFLICT DO NOTHING`` in the same transaction as the mail, so overlapping runs cannot mail it
twice. Daily and weekly digests are also unique per period (the outbox key is the day or the ISO
week): a second run the same day leaves new suggestions for the next digest.

A person who asked for them (``User.library_news_since``) also reads the mallette's news: the
resources written for them published or updated since they asked, each version told once (claimed
in ``mail_notified_library`` with the version's stamp, in the same transaction as the mail). A
digest with news alone goes out too.

A candidate's digest also says « Inscriptions bientôt closes »: the sessions by apprenticeship of
their métiers whose applications close within two weeks at a centre within their reach, while
they are enrolled nowhere (``data.queries.closing_deadlines`` decides which). Each (session,
recipient) is claimed in ``mail_notified_sessions`` as the suggestions are, and told once; a
digest with deadlines alone goes out too.

A structure's person whose digests come daily or weekly also reads there the welcome kit's
overdue items (issue 19), each claimed for them in ``kit_item_nudges`` as the suggestions are and
told once; the others get a mail per item from :mod:`jobs.kit_nudges`.
"""

from __future__ import annotations

import hashlib
import logging
from collections import Counter, defaultdict
from collections.abc import Sequence
from datetime import datetime
from functools import lru_cache
from typing import Any

from sqlalchemy import and_, bindparam, exists, func, or_, select
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, joinedload, sessionmaker

from data.mail import Mailer
from data.mail.links import url
from data.mail.outbox import insert_for
from data.models import (
    Candidate,
    Employer,
    Interest,
    LibraryResource,
    NotifyFrequency,
    Offer,
    OfferStatus,
    Request,
    RequestStatus,
    Role,
    Site,
    Suggestion,
    SuggestionStatus,
    User,
)
from data.models.mail import (
    NotifiedLibraryResource,
    NotifiedSession,
    NotifiedSuggestion,
    OutboxMessage,
)
from data.operations.welcome_kit import claim_overdue
from data.platform_settings import ReviewRule, get_review_rule, visible_to_parties
from data.presentation.labels import label
from data.presentation.reasons import EMPLOYER, reasons_for
from data.queries.library import has_library_digest_news, library_digest_news
from data.queries.training import closing_deadlines
from data.queries.welcome_kit import overdue_items
from jobs.common import (
    MailBatch,
    Recipient,
    Skip,
    base_url_of,
    clock,
    employer_recipients,
    for_each,
    local_date,
    summary,
)

__all__ = ["send_digests", "MAX_ITEMS_PER_MAIL", "CANDIDATE_KIND", "EMPLOYER_KIND"]

log = logging.getLogger("jobs.digests")

MAX_ITEMS_PER_MAIL = 10
CANDIDATE_KIND = "digest_candidate"
EMPLOYER_KIND = "digest_employer"
#: Statuses a digest announces: new pairs (shown automatically) and newly approved ones.
NEW_STATUSES = (SuggestionStatus.PROPOSED, SuggestionStatus.APPROVED)
#: The frequencies whose digests carry the welcome kit's overdue items (the others get a mail
#: per item from :mod:`jobs.kit_nudges`, which skips these).
KIT_DIGEST_FREQUENCIES = frozenset({NotifyFrequency.DAILY, NotifyFrequency.WEEKLY})


def _period_key(
    frequency: NotifyFrequency,
    now: datetime,
    suggestion_ids: list[int],
    session_ids: Sequence[int] = (),
    library: Sequence[str] = (),
) -> str:
    if frequency == NotifyFrequency.DAILY:
        return f"daily:{local_date(now).isoformat()}"
    if frequency == NotifyFrequency.WEEKLY:
        year, week, _ = local_date(now).isocalendar()
        return f"weekly:{year}-W{week:02d}"
    items = ",".join(map(str, sorted(suggestion_ids)))
    if session_ids:  # (a digest without sessions keeps the key it always had)
        items += ";s" + ",".join(map(str, sorted(session_ids)))
    if library:  # the mallette's resources, each with the version told
        items += ";l" + ",".join(sorted(library))
    digest = hashlib.sha256(items.encode()).hexdigest()
    return f"immediate:{digest[:24]}"


def _mailable(rule: ReviewRule) -> Any:
    """Pairs a digest may announce: visible, new, both ends open, nobody declined."""
    return and_(
        visible_to_parties(rule),
        Suggestion.status.in_(NEW_STATUSES),
        Suggestion.stale.is_(False),
        Request.status == RequestStatus.ACTIVE,
        Offer.status == OfferStatus.PUBLISHED,
        or_(
            Suggestion.candidate_interest.is_(None),
            Suggestion.candidate_interest != Interest.DECLINED,
        ),
        or_(
            Suggestion.employer_interest.is_(None),
            Suggestion.employer_interest != Interest.DECLINED,
        ),
    )


def _not_notified(recipient: Any) -> Any:
    return ~exists().where(
        NotifiedSuggestion.suggestion_id == Suggestion.id,
        NotifiedSuggestion.recipient == recipient,
    )


def _notified(session: Session, recipients: Sequence[str]) -> set[tuple[int, str]]:
    """Return the (suggestion, recipient) pairs already mailed to these recipients."""
    if not recipients:
        return set()
    table = NotifiedSuggestion.__table__
    rows = session.execute(
        select(table.c.suggestion_id, table.c.recipient).where(table.c.recipient.in_(recipients))
    )
    return {(sid, r) for sid, r in rows}


#: What a digest claims per recipient: the table of marks and its key column.
_MARKS = {
    "suggestion": (NotifiedSuggestion.__table__, "suggestion_id"),
    "session": (NotifiedSession.__table__, "session_id"),
}


@lru_cache(maxsize=8)
def _claim_one_statement(dialect: str, what: str) -> Any:
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    table, key = _MARKS[what]
    return (
        insert(table)
        .values(
            {key: bindparam("sid"), "recipient": bindparam("to"), "notified_at": bindparam("at")}
        )
        .on_conflict_do_nothing(index_elements=[key, "recipient"])
        .returning(table.c[key])
    )


def _claim(
    session: Session, ids: list[int], recipient: str, now: datetime, what: str = "suggestion"
) -> list[int]:
    """Claim suggestions (or sessions) for a recipient; return those no other run claimed first."""
    if not ids:
        return []
    insert_for(session)  # refuses other databases
    if len(ids) == 1:  # the usual case: a statement built once
        stmt = _claim_one_statement(session.get_bind().dialect.name, what)
        return list(session.scalars(stmt, {"sid": ids[0], "to": recipient, "at": now}))
    table, key = _MARKS[what]
    stmt = (
        insert_for(session)(table)
        .values([{key: i, "recipient": recipient, "notified_at": now} for i in ids])
        .on_conflict_do_nothing(index_elements=[key, "recipient"])
        .returning(table.c[key])
    )
    return sorted(session.scalars(stmt))


def _claim_library(
    session: Session, resources: Sequence[LibraryResource], recipient: str, now: datetime
) -> list[int]:
    """Claim these versions of the resources for a recipient; return the resources whose
    version no other run told first (a newer version replaces the mark of an older one)."""
    if not resources:
        return []
    table = NotifiedLibraryResource.__table__
    insert = insert_for(session)(table).values(
        [
            {"resource_id": r.id, "recipient": recipient, "stamp": r.updated_at, "notified_at": now}
            for r in resources
        ]
    )
    stmt = insert.on_conflict_do_update(
        index_elements=["resource_id", "recipient"],
        set_={"stamp": insert.excluded.stamp, "notified_at": insert.excluded.notified_at},
        where=table.c.stamp < insert.excluded.stamp,
    ).returning(table.c.resource_id)
    return sorted(session.scalars(stmt))


def _library_news(
    s: Session,
    batch: MailBatch,
    role: Role,
    since: datetime | None,
    recipient: str,
    now: datetime,
) -> tuple[list[dict[str, Any]], list[str]]:
    """The mallette's news of one digest, claimed: mail items, and their keys (id@version)."""
    if since is None:
        return [], []
    found = library_digest_news(s, role, since, recipient)
    claimed = set(_claim_library(s, found, recipient, now))
    told = [r for r in found if r.id in claimed]
    items = [
        {
            "title": r.title,
            "category": label(r.category),
            "summary": r.summary,
            "updated": r.published_at is not None and r.updated_at > r.published_at,
            "link": url(batch.base_url, "library_resource", resource_id=r.id),
        }
        for r in told
    ]
    return items, [f"{r.id}@{r.updated_at.isoformat()}" for r in told]


def _closing_deadlines(
    s: Session, batch: MailBatch, freq: NotifyFrequency
) -> dict[int, list[dict[str, Any]]]:
    """Return, by candidate, the closing deadlines not yet told to their address (mail items)."""
    notices = closing_deadlines(s, local_date(batch.now), frequency=freq)
    if not notices:
        return {}
    email_of = {
        cid: email.lower()
        for cid, email in s.execute(
            select(Candidate.id, Candidate.email).where(
                Candidate.id.in_(sorted({n.candidate_id for n in notices})),
                Candidate.email.is_not(None),
            )
        )
    }
    # Sessions closing soon are few: their marks are read by session (indexed by the key).
    table = NotifiedSession.__table__
    rows = s.execute(
        select(table.c.session_id, table.c.recipient).where(
            table.c.session_id.in_(sorted({n.intake.id for n in notices}))
        )
    )
    told = {(sid, r) for sid, r in rows}
    found: dict[int, list[dict[str, Any]]] = defaultdict(list)
    for n in notices:
        email = email_of.get(n.candidate_id)
        if email is None or (n.intake.id, email) in told:
            continue
        programme = n.intake.programme
        found[n.candidate_id].append(
            {
                "session_id": n.intake.id,
                "centre": programme.centre.name,
                "commune": programme.centre.commune.name,
                "metier": programme.metier.label,
                "distance_km": n.distance_km,
                "start_date": n.intake.start_date,
                "deadline": n.intake.application_deadline,
                "link": url(batch.base_url, "public_centre", centre_id=programme.centre_id),
            }
        )
    return found


def send_digests(
    session_factory: sessionmaker[Session],
    mailer: Mailer,
    now: datetime | None = None,
    *,
    frequency: str,
) -> dict[str, int]:
    """Mail the digests of everyone who chose ``frequency``; return the counts."""
    freq = NotifyFrequency(frequency)
    if freq == NotifyFrequency.NEVER:
        raise ValueError("nobody gets a digest at frequency 'never'")
    at = clock(now)
    batch = MailBatch(base_url_of(mailer), at)
    counts: Counter[str] = Counter()

    with session_factory() as s:
        rule = get_review_rule(s)
        candidate_ids = list(
            s.scalars(
                select(Candidate.id)
                .join(Request, Request.candidate_id == Candidate.id)
                .join(Suggestion, Suggestion.request_id == Request.id)
                .join(Offer, Offer.id == Suggestion.offer_id)
                .where(
                    Candidate.notify_frequency == freq,
                    Candidate.anonymised_at.is_(None),
                    Candidate.email.is_not(None),
                    _mailable(rule),
                    _not_notified(Candidate.email),
                )
                .distinct()
                .order_by(Candidate.id)
            )
        )
        deadlines = _closing_deadlines(s, batch, freq)
        with_news = s.scalars(
            select(Candidate.id)
            .join(User, User.candidate_id == Candidate.id)
            .where(
                Candidate.notify_frequency == freq,
                Candidate.anonymised_at.is_(None),
                Candidate.email.is_not(None),
                User.library_news_since.is_not(None),
                has_library_digest_news(
                    Role.CANDIDATE, User.library_news_since, func.lower(Candidate.email)
                ),
            )
        )
        candidate_ids = sorted(set(candidate_ids) | deadlines.keys() | set(with_news))
        employer_ids = list(
            s.scalars(
                select(Site.employer_id)
                .join(Offer, Offer.site_id == Site.id)
                .join(Suggestion, Suggestion.offer_id == Offer.id)
                .join(Request, Request.id == Suggestion.request_id)
                .where(_mailable(rule))
                .distinct()
                .order_by(Site.employer_id)
            )
        )
        employers_with_news = s.scalars(
            select(User.employer_id).where(
                User.role == Role.EMPLOYER,
                User.is_active.is_(True),
                User.employer_id.is_not(None),
                User.library_news_since.is_not(None),
                has_library_digest_news(
                    Role.EMPLOYER, User.library_news_since, func.lower(User.email)
                ),
            )
        )
        employer_ids = sorted(set(employer_ids) | {e for e in employers_with_news if e})
        if freq in KIT_DIGEST_FREQUENCIES:  # the welcome kit's overdue items (issue 19)
            late = {o.employer.id for o in overdue_items(s, local_date(at))}
            employer_ids = sorted(set(employer_ids) | late)

    label = f"digests {freq.value}"
    cache: dict[str, Any] = {}
    for_each(
        session_factory,
        candidate_ids,
        lambda s, cid, c: _candidate_digest(s, batch, c, cid, freq, at, cache, deadlines),
        counts,
        batch,
        label=f"{label}: candidates",
        prepare=lambda s, ids: _prepare_candidates(s, batch, rule, freq, ids, cache),
    )
    for_each(
        session_factory,
        employer_ids,
        lambda s, eid, c: _employer_digests(s, batch, c, eid, rule, freq, at),
        counts,
        batch,
        label=f"{label}: employers",
    )
    report = batch.send(session_factory, mailer, now)
    counts["sent"] += report.sent
    return summary(counts)


def _prepare_candidates(
    s: Session,
    batch: MailBatch,
    rule: ReviewRule,
    freq: NotifyFrequency,
    ids: Sequence[int],
    cache: dict[str, Any],
) -> None:
    """Read what a batch of candidates' digests needs in four queries."""
    cache.clear()
    cache["candidates"] = {
        c.id: c for c in s.scalars(select(Candidate).where(Candidate.id.in_(ids)))
    }
    users = s.execute(
        select(User.candidate_id, User.id, User.library_news_since).where(
            User.candidate_id.in_(ids)
        )
    ).all()
    cache["users"] = {cid: uid for cid, uid, _ in users}
    cache["news_since"] = {cid: since for cid, _, since in users}
    rows = s.execute(
        select(Request.candidate_id, Suggestion)
        .join(Request, Request.id == Suggestion.request_id)
        .join(Candidate, Candidate.id == Request.candidate_id)
        .join(Offer, Offer.id == Suggestion.offer_id)
        .where(Request.candidate_id.in_(ids), _mailable(rule))
        .options(
            joinedload(Suggestion.offer).joinedload(Offer.site).joinedload(Site.employer),
            joinedload(Suggestion.offer).joinedload(Offer.site).joinedload(Site.commune),
            joinedload(Suggestion.offer).joinedload(Offer.metier),
        )
        .order_by(Request.candidate_id, Suggestion.score.desc(), Suggestion.id)
    ).unique()
    emails = [c.email.lower() for c in cache["candidates"].values() if c.email]
    # Already mailed pairs are read apart, by recipient (indexed), and dropped here: as an anti
    # join, PostgreSQL plans badly while the table grows faster than its statistics.
    done = _notified(s, emails)
    email_of = {c.id: (c.email or "").lower() for c in cache["candidates"].values()}
    per_candidate: dict[int, list[Suggestion]] = defaultdict(list)
    for candidate_id, suggestion in rows:
        if (suggestion.id, email_of.get(candidate_id)) not in done:
            per_candidate[candidate_id].append(suggestion)
    cache["suggestions"] = per_candidate
    batch.ensure_tokens(s, emails)
    cache["had_it"] = set()
    if freq != NotifyFrequency.IMMEDIATE:  # who had this period's digest already
        cache["had_it"] = set(
            s.scalars(
                select(OutboxMessage.recipient).where(
                    OutboxMessage.kind == CANDIDATE_KIND,
                    OutboxMessage.key == _period_key(freq, batch.now, []),
                    OutboxMessage.recipient.in_(emails),
                )
            )
        )


def _candidate_digest(
    s: Session,
    batch: MailBatch,
    counts: Counter[str],
    candidate_id: int,
    freq: NotifyFrequency,
    now: datetime,
    cache: dict[str, Any],
    deadlines: dict[int, list[dict[str, Any]]],
) -> list[int | None]:
    candidate = cache["candidates"].get(candidate_id)
    if (
        candidate is None
        or candidate.anonymised_at is not None
        or not candidate.email
        or candidate.notify_frequency != freq
    ):
        return []
    recipient = Recipient(candidate.email.lower(), cache["users"].get(candidate_id), freq)
    if recipient.email in cache["had_it"]:
        counts["candidates_already_this_period"] += 1  # their new items wait for the next one
        return []
    suggestions = cache["suggestions"].get(candidate_id, [])
    claimed = set(_claim(s, [x.id for x in suggestions], recipient.email, now))
    suggestions = [x for x in suggestions if x.id in claimed]
    closing = deadlines.get(candidate_id, [])
    told = set(_claim(s, [d["session_id"] for d in closing], recipient.email, now, "session"))
    closing = [d for d in closing if d["session_id"] in told]
    library, library_keys = _library_news(
        s, batch, Role.CANDIDATE, cache["news_since"].get(candidate_id), recipient.email, now
    )
    if not suggestions and not closing and not library:
        return []
    items = [
        {
            "metier": x.offer.metier.label,
            "employer": x.offer.site.employer.name,
            "commune": x.offer.site.commune.name,
            "distance_km": x.distance_km,
            "start_date": x.offer.start_date,
            "housing": x.offer.housing_beds > 0,
            "link": url(batch.base_url, "public_offer", offer_id=x.offer_id),
        }
        for x in suggestions
    ]
    mail_id = batch.queue(
        s,
        recipient,
        kind=CANDIDATE_KIND,
        key=_period_key(freq, now, sorted(claimed), sorted(told), library_keys),
        check=False,
        template="digest_candidate",
        settings_url=url(batch.base_url, "candidate_notifications"),
        first_name=candidate.first_name,
        items=items,
        shown=items[:MAX_ITEMS_PER_MAIL],
        hidden=max(0, len(items) - MAX_ITEMS_PER_MAIL),
        deadlines=closing,
        library=library[:MAX_ITEMS_PER_MAIL],
        library_hidden=max(0, len(library) - MAX_ITEMS_PER_MAIL),
        library_url=url(batch.base_url, "library"),
        home_url=url(batch.base_url, "candidate_home"),
    )
    if mail_id is None:
        # This period's digest went out already: undo the claim, keep the items for the next.
        raise Skip("candidates_already_this_period")
    counts["candidate_mails"] += 1
    counts["candidate_suggestions"] += len(suggestions)
    counts["candidate_deadlines"] += len(closing)
    counts["candidate_library_news"] += len(library)
    return [mail_id]


def _employer_digests(
    s: Session,
    batch: MailBatch,
    counts: Counter[str],
    employer_id: int,
    rule: ReviewRule,
    freq: NotifyFrequency,
    now: datetime,
) -> list[int | None]:
    employer = s.get(Employer, employer_id)
    if employer is None:
        return []
    ids: list[int | None] = []
    for recipient in employer_recipients(s, employer):
        if recipient.frequency != freq:
            continue
        # A savepoint per recipient: one who had this period's digest keeps the others going.
        try:
            with s.begin_nested():
                ids.append(_employer_digest(s, batch, counts, employer, recipient, rule, freq, now))
        except Skip as skip:
            counts[skip.reason] += 1
    return ids


def _kit_items(
    s: Session,
    batch: MailBatch,
    employer: Employer,
    recipient: Recipient,
    freq: NotifyFrequency,
    now: datetime,
) -> list[dict[str, Any]]:
    """The welcome kit's overdue items of a daily or weekly digest, claimed for the recipient
    (each told once: the claim is undone with the digest's savepoint if it does not go)."""
    if freq not in KIT_DIGEST_FREQUENCIES:
        return []
    items = claim_overdue(s, employer.id, recipient.email, local_date(now), now)
    return [
        {
            "label": i.label,
            "due_on": i.due_on,
            "apprentice": " ".join(
                (
                    i.kit.suggestion.request.candidate.first_name,
                    i.kit.suggestion.request.candidate.last_name,
                )
            ).strip(),
            "metier": i.kit.suggestion.offer.metier.label,
            "link": url(batch.base_url, "employer_kit", kit_id=i.kit_id),
        }
        for i in items
    ]


def _employer_digest(
    s: Session,
    batch: MailBatch,
    counts: Counter[str],
    employer: Employer,
    recipient: Recipient,
    rule: ReviewRule,
    freq: NotifyFrequency,
    now: datetime,
) -> int | None:
    suggestions = list(
        s.scalars(
            select(Suggestion)
            .join(Offer, Offer.id == Suggestion.offer_id)
            .join(Site, Site.id == Offer.site_id)
            .join(Request, Request.id == Suggestion.request_id)
            .where(Site.employer_id == employer.id, _mailable(rule))
            .options(
                joinedload(Suggestion.offer).joinedload(Offer.site).joinedload(Site.commune),
                joinedload(Suggestion.offer).joinedload(Offer.metier),
            )
            .order_by(Suggestion.offer_id, Suggestion.score.desc(), Suggestion.id)
        ).unique()
    )
    done = _notified(s, [recipient.email])
    fresh = [x.id for x in suggestions if (x.id, recipient.email) not in done]
    claimed = set(_claim(s, fresh, recipient.email, now))
    suggestions = [x for x in suggestions if x.id in claimed]
    user = None if recipient.user_id is None else s.get(User, recipient.user_id)
    library, library_keys = _library_news(
        s, batch, Role.EMPLOYER, user and user.library_news_since, recipient.email, now
    )
    kit = _kit_items(s, batch, employer, recipient, freq, now)
    if not suggestions and not library and not kit:
        return None
    per_offer: dict[int, list[Suggestion]] = defaultdict(list)
    for x in suggestions:
        per_offer[x.offer_id].append(x)
    offers = []
    for offer_id, pairs in per_offer.items():
        offer = pairs[0].offer
        items = [
            {
                "score": x.score,
                "distance_km": x.distance_km,
                "reasons": reasons_for(x, EMPLOYER)[:3],
            }
            for x in pairs
        ]
        offers.append(
            {
                "title": offer.metier.label,
                "site": offer.site.name,
                "commune": offer.site.commune.name,
                "shown": items[:MAX_ITEMS_PER_MAIL],
                "hidden": max(0, len(items) - MAX_ITEMS_PER_MAIL),
                "link": url(batch.base_url, "employer_offer", offer_id=offer_id),
            }
        )
    mail_id = batch.queue(
        s,
        recipient,
        kind=EMPLOYER_KIND,
        key=_period_key(freq, now, sorted(claimed), (), library_keys),
        check=False,
        template="digest_employer",
        settings_url=url(batch.base_url, "employer_notifications"),
        employer=employer.name,
        offers=offers,
        total=len(suggestions),
        library=library[:MAX_ITEMS_PER_MAIL],
        library_hidden=max(0, len(library) - MAX_ITEMS_PER_MAIL),
        library_url=url(batch.base_url, "library"),
        kit=kit,
    )
    if mail_id is None:
        raise Skip("employers_already_this_period")
    counts["kit_nudges"] += len(kit)
    counts["employer_mails"] += 1
    counts["employer_suggestions"] += len(suggestions)
    counts["employer_library_news"] += len(library)
    return mail_id
