"""What the jobs share: progress and stop requests, recipients, and queuing rendered mails."""

from __future__ import annotations

import logging
import secrets
import threading
import time
from collections import Counter
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from data.mail import Mailer, SendReport, send_pending, unsubscribe_token_for
from data.mail.compose import default_base_url, queue_mail
from data.mail.outbox import insert_for
from data.mail.recipients import (
    Recipient,
    candidate_recipient,
    coordinator_recipients,
    employer_recipients,
)
from data.models import utcnow
from data.models.mail import OutboxMessage, UnsubscribeToken
from data.presentation import PARIS

__all__ = [
    "STOP",
    "stop_requested",
    "Progress",
    "Recipient",
    "MailBatch",
    "employer_recipients",
    "candidate_recipient",
    "coordinator_recipients",
    "local_date",
    "base_url_of",
    "add_months",
    "clock",
    "summary",
    "Skip",
    "for_each",
]

log = logging.getLogger("jobs")

#: Set by the scheduler on SIGINT/SIGTERM: long jobs stop between two items.
STOP = threading.Event()

#: SMTP connections a job sends over at once (each mail is still recorded as it goes).
SEND_WORKERS = 4


def stop_requested() -> bool:
    """Tell whether the process was asked to stop."""
    return STOP.is_set()


class Progress:
    """Log "done / total" for a long run, at most every ``every`` seconds, and at the end."""

    def __init__(self, label: str, total: int, every: float = 10.0) -> None:
        self.label, self.total, self.every = label, total, every
        self.done = 0
        self._last = time.monotonic()
        log.info("%s: %d to do", label, total)

    def advance(self, n: int = 1) -> None:
        self.done += n
        if time.monotonic() - self._last >= self.every:
            self._last = time.monotonic()
            log.info("%s: %d / %d", self.label, self.done, self.total)

    def finish(self) -> None:
        log.info("%s: %d / %d done", self.label, self.done, self.total)


def local_date(now: datetime) -> date:
    """Return the day in France at ``now``."""
    return now.astimezone(PARIS).date()


def add_months(moment: datetime, months: int) -> datetime:
    """Move a datetime by whole months, clamping the day (31 March - 1 month = 28/29 February).

    >>> from datetime import UTC
    >>> add_months(datetime(2026, 3, 31, tzinfo=UTC), -1).date()
    datetime.date(2026, 2, 28)
    >>> add_months(datetime(2024, 1, 15, tzinfo=UTC), 24).date()
    datetime.date(2026, 1, 15)
    """
    import calendar

    index = moment.year * 12 + (moment.month - 1) + months
    year, month = divmod(index, 12)
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


def base_url_of(mailer: Mailer) -> str:
    """The site's absolute base URL, as configured for the mailer."""
    return default_base_url(getattr(mailer, "base_url", None))


@dataclass
class MailBatch:
    """Render and queue a job's mails, then send the ones it queued.

    Every mail of the jobs carries an unsubscribe link (RFC 8058) and is unique on
    (recipient, kind, key): queuing it again, even from an overlapping run, does nothing.
    """

    base_url: str
    now: datetime
    ids: list[int] = field(default_factory=list)
    #: Unsubscribe tokens by address, read once per batch of recipients (see prefetch_tokens).
    tokens: dict[str, str] = field(default_factory=dict)
    #: Addresses whose token is known to be in the database (no need to register it again).
    stored: set[str] = field(default_factory=set)
    #: Tokens created in the current transaction: forgotten if it is undone.
    created: set[str] = field(default_factory=set)

    def forget_new_tokens(self) -> None:
        """The transaction that created tokens was undone: drop them from the cache."""
        for email in self.created:
            self.tokens.pop(email, None)
            self.stored.discard(email)
        self.created.clear()

    def new_tokens_committed(self) -> None:
        """The transaction that created tokens committed: they are stored for good."""
        self.created.clear()

    def ensure_tokens(self, session: Session, emails: Iterable[str]) -> None:
        """Give every address a token in a couple of statements (read, then insert the missing)."""
        wanted = {e.lower() for e in emails if e}
        self.prefetch_tokens(session, wanted)
        missing = sorted(wanted - self.tokens.keys())
        if not missing:
            return
        new = {email: secrets.token_urlsafe(24) for email in missing}
        # executemany of one cached statement (a multi-row VALUES is compiled anew each time).
        session.execute(
            insert_for(session)(UnsubscribeToken.__table__).on_conflict_do_nothing(
                index_elements=["token"]
            ),
            [{"token": t, "email": e, "created_at": self.now} for e, t in new.items()],
        )
        self.tokens.update(new)
        self.stored.update(new)
        self.created.update(new)

    def prefetch_tokens(self, session: Session, emails: Iterable[str]) -> None:
        """Read the unsubscribe tokens of many addresses in one query."""
        wanted = {e.lower() for e in emails if e} - self.tokens.keys()
        if wanted:
            rows = session.execute(
                select(UnsubscribeToken.email, UnsubscribeToken.token)
                .where(UnsubscribeToken.email.in_(wanted))
                .order_by(UnsubscribeToken.created_at.desc(), UnsubscribeToken.token.desc())
            )
            self.tokens.update(
                (e, t) for e, t in rows
            )  # the oldest wins, as in unsubscribe_token_for

    def token_for(self, session: Session, email: str) -> str:
        """Return the address's unsubscribe token (created on first use)."""
        key = email.lower()
        token = self.tokens.get(key)
        if token is None:
            # enqueue() registers the token again if this transaction is undone: never lost.
            token = self.tokens[key] = unsubscribe_token_for(session, key, now=self.now)
        return token

    def already_queued(self, session: Session, to: str, kind: str, key: str) -> bool:
        """Tell whether this mail was queued before (saves rendering it again)."""
        return self.queued_at(session, to, kind, key) is not None

    def queued_at(self, session: Session, to: str, kind: str, key: str) -> datetime | None:
        """Return when this mail was queued, or None if it never was."""
        return session.scalar(
            select(OutboxMessage.created_at).where(
                OutboxMessage.recipient == to.strip().lower(),
                OutboxMessage.kind == kind,
                OutboxMessage.key == key,
            )
        )

    def queue(
        self,
        session: Session,
        recipient: Recipient,
        *,
        kind: str,
        key: str,
        template: str,
        settings_url: str | None = None,
        check: bool = True,
        **context: Any,
    ) -> int | None:
        """Render ``template`` for ``recipient`` and queue it; None if it was queued already.

        ``check=False`` skips the look-up that saves rendering a mail queued before (for mails
        whose key is new each time); the unique key still keeps it from being queued twice.
        """
        if check and self.already_queued(session, recipient.email, kind, key):
            return None
        return queue_mail(
            session,
            recipient,
            kind=kind,
            key=key,
            template=template,
            base_url=self.base_url,
            now=self.now,
            token=self.token_for(session, recipient.email),
            register_token=recipient.email.lower() not in self.stored,
            settings_url=settings_url,
            **context,
        )

    def keep(self, ids: Iterable[int | None]) -> None:
        """Remember ids queued in a transaction that committed."""
        self.ids.extend(i for i in ids if i is not None)

    def send(
        self, session_factory: sessionmaker[Session], mailer: Mailer, now: datetime | None
    ) -> SendReport:
        """Send what this batch queued (the sender job catches anything left)."""
        if not self.ids:
            return SendReport()
        return send_pending(
            session_factory,
            mailer,
            now=now,
            only_ids=self.ids,
            limit=len(self.ids),
            workers=SEND_WORKERS,
        )


def clock(now: datetime | None) -> datetime:
    """Return ``now`` or the current UTC time."""
    if now is not None and now.tzinfo is None:
        raise ValueError("naive datetime given as now")
    return now or utcnow()


class Skip(Exception):  # noqa: N818  (not an error: a reason to leave an item for later)
    """Raised by an item's function to undo its changes and count ``reason`` instead."""

    def __init__(self, reason: str) -> None:
        super().__init__(reason)
        self.reason = reason


#: Items handled per transaction by :func:`for_each` (each in its own savepoint).
ITEMS_PER_TRANSACTION = 50


def for_each(
    session_factory: sessionmaker[Session],
    items: Sequence[Any],
    fn: Any,
    counts: Any,
    batch: MailBatch,
    *,
    label: str,
    size: int = ITEMS_PER_TRANSACTION,
    prepare: Any = None,
) -> None:
    """Call ``fn(session, item, counter) -> queued mail ids`` for each item; keep what it queued.

    Items go ``size`` to a transaction: one commit per batch, not per item (commits cost on
    SQLite, round trips on PostgreSQL). A batch first runs straight through; if an item fails or
    raises :class:`Skip`, the batch is undone and run again with a savepoint per item, so that
    only that item is undone, counted, and the others go on. ``counter`` is the item's own
    Counter, added to ``counts`` only if its work is committed. ``prepare(session, items)``, if
    given, runs first in each batch's transaction (to read what the batch needs in a few queries
    rather than a few per item). Stops between batches when the process is asked to.
    """
    progress = Progress(label, len(items))
    for part in chunks(items, size):
        if stop_requested():
            counts["interrupted"] += 1
            break
        try:
            queued, done = _run_batch(session_factory, part, fn, batch, prepare, careful=False)
        except Exception:
            try:
                queued, done = _run_batch(
                    session_factory, part, fn, batch, prepare, careful=True, label=label
                )
            except Exception:  # the commit itself failed: the batch is tried again next run
                log.exception("%s: a batch of %d items failed", label, len(part))
                batch.forget_new_tokens()
                counts["errors"] += len(part)
                queued, done = [], Counter()
        batch.keep(queued)
        counts.update(done)
        progress.advance(len(part))
    progress.finish()


def _run_batch(
    session_factory: sessionmaker[Session],
    part: Sequence[Any],
    fn: Any,
    batch: MailBatch,
    prepare: Any,
    *,
    careful: bool,
    label: str = "",
) -> tuple[list[int | None], Counter[str]]:
    queued: list[int | None] = []
    done: Counter[str] = Counter()
    try:
        with session_factory.begin() as s:
            if prepare is not None:
                prepare(s, part)
            for item in part:
                item_counts: Counter[str] = Counter()
                if not careful:
                    queued.extend(fn(s, item, item_counts))
                    done.update(item_counts)
                    continue
                try:
                    with s.begin_nested():
                        ids = fn(s, item, item_counts)
                    queued.extend(ids)
                    done.update(item_counts)
                except Skip as skip:
                    done[skip.reason] += 1
                except Exception:  # one bad item must not stop the others
                    log.exception("%s: item %s failed", label, item)
                    done["errors"] += 1
    except BaseException:
        batch.forget_new_tokens()  # created in the undone transaction
        raise
    batch.new_tokens_committed()
    return queued, done


def summary(counts: Any) -> dict[str, int]:
    """Return a job's counts without the zeros (but always with "sent")."""
    return {k: v for k, v in counts.items() if v or k == "sent"}


def chunks(items: Sequence[Any], size: int) -> Iterable[Sequence[Any]]:
    """Yield consecutive slices of ``items`` of at most ``size``."""
    for start in range(0, len(items), size):
        yield items[start : start + size]
