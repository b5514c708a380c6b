"""The outbox: every mail is a row first, then goes out exactly once, or is retried, or dies.

How "exactly once" holds:

* **Queuing** — a row is unique on (recipient, kind, key) and inserted with
  ``INSERT ... ON CONFLICT DO NOTHING``: two job runs that queue the same mail make one row.
* **Claiming** — a sender moves a chunk of due rows from ``pending`` to ``sending`` with one
  conditional ``UPDATE ... WHERE status = 'pending'`` stamped with its own claim token (on
  PostgreSQL the chosen ids are also locked with ``FOR UPDATE SKIP LOCKED``), and commits. Two
  senders never hold the same row.
* **Recording** — each mail is marked ``sent`` in its own transaction right after the server
  accepted it, so a crash loses at most the record of the mail in flight.
* **Recovering** — rows left in ``sending`` by a sender that died are handed back to ``pending``
  once their claim is older than :data:`CLAIM_LEASE`. Rows a sender had claimed but not yet tried
  are handed back at once when it is interrupted (SIGINT/SIGTERM) or when the server goes down.

The one unavoidable window: the server accepted a mail (answered 250 to DATA) and the process died
before the ``sent`` record committed. That mail is in ``sending``; after the lease it is sent again.
No protocol closes this window (the server's acceptance and our commit cannot be one atomic act);
it lasts one round trip plus one commit per mail, and the repeated mail carries the same
Message-ID, so mail clients that de-duplicate on it show it once.

Temporary failures (4xx, server unreachable) put the row back to ``pending`` with
``next_attempt_at`` pushed by :data:`BACKOFF`; after ``max_attempts`` tries, or on a permanent
failure (5xx), the row is ``dead`` and listed by :func:`dead_letters` for coordinators.
"""

from __future__ import annotations

import hashlib
import logging
import threading
import uuid
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from email.charset import QP, Charset
from email.header import Header
from email.message import Message
from email.mime.multipart import MIMEMultipart
from email.mime.text import MIMEText
from email.utils import format_datetime, formataddr, getaddresses, parseaddr
from functools import lru_cache
from typing import Any, TypeVar, cast

from sqlalchemy import Connection, Engine, Table, bindparam, func, select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session, sessionmaker

from data.config import DEFAULTS
from data.db import rows_changed
from data.errors import ValidationError
from data.mailer import ConnectionFailure, Mailer, PermanentFailure, TemporaryFailure
from data.models.base import utcnow
from data.models.mail import MailOptOut, OutboxMessage, OutboxStatus, UnsubscribeToken

from .links import url

__all__ = [
    "BACKOFF",
    "CLAIM_LEASE",
    "MAX_ATTEMPTS",
    "SendReport",
    "enqueue",
    "send_pending",
    "build_message",
    "message_id_for",
    "unsubscribe_url",
    "dead_letters",
    "requeue",
    "withdraw",
    "outbox_counts",
    "normalise_address",
    "insert_for",
]

log = logging.getLogger(__name__)

#: Delay before try n+1 after n failed tries (the last value repeats).
BACKOFF: tuple[timedelta, ...] = (
    timedelta(minutes=1),
    timedelta(minutes=5),
    timedelta(minutes=15),
    timedelta(hours=1),
    timedelta(hours=3),
    timedelta(hours=6),
    timedelta(hours=12),
)
#: Tries before a temporarily failing mail is dead (about a day with :data:`BACKOFF`).
MAX_ATTEMPTS = 8
#: A claim older than this belongs to a sender that died: the row may be tried again.
CLAIM_LEASE = timedelta(minutes=15)
#: Rows claimed per transaction; a sender claims chunk after chunk up to its limit.
CHUNK = 50

_T = cast(Table, OutboxMessage.__table__)
_R = TypeVar("_R")

_UTF8_QP = Charset("utf-8")
_UTF8_QP.header_encoding = QP
_UTF8_QP.body_encoding = QP


class _Db:
    """Short transactions for one sender: all on one connection when the factory has an engine.

    Each mail's record is its own commit (that is the guarantee); opening an ORM session for each
    would double the cost of those commits, so the sender talks to one Core connection.
    """

    def __init__(
        self, session_factory: sessionmaker[Session], lock: threading.Lock | None = None
    ) -> None:
        bind = session_factory.kw.get("bind")
        self.factory = session_factory
        self.engine: Engine | None = bind if isinstance(bind, Engine) else None
        self.conn: Connection | None = None
        self.lock = lock

    def tx(self, fn: Callable[[Any], _R]) -> _R:
        """Run ``fn(connection or session)`` in a transaction and commit it."""
        if self.lock is None:
            return self._tx(fn)
        # SQLite has one writer at a time and its busy handler sleeps while it waits: the
        # threads of one sender take turns here instead.
        with self.lock:
            return self._tx(fn)

    def _tx(self, fn: Callable[[Any], _R]) -> _R:
        if self.engine is None:
            with self.factory.begin() as s:
                return fn(s)
        if self.conn is None:
            self.conn = self.engine.connect()
        try:
            result = fn(self.conn)
            self.conn.commit()
        except BaseException:
            self.conn.rollback()
            raise
        return result

    def close(self) -> None:
        if self.conn is not None:
            self.conn.close()
            self.conn = None


def _dialect_name(executor: Any) -> str:
    dialect = getattr(executor, "dialect", None)
    return str((dialect or executor.get_bind().dialect).name)


def insert_for(session: Session) -> Callable[..., Any]:
    """Return the dialect's ``insert`` (with ``on_conflict_do_nothing``) for this session."""
    name = session.get_bind().dialect.name
    if name == "postgresql":
        return postgresql.insert
    if name == "sqlite":
        return sqlite.insert
    raise NotImplementedError(f"the outbox supports SQLite and PostgreSQL, not {name}")


def normalise_address(address: str) -> str:
    """Return a bare, lower-cased address, or raise ValidationError for anything else.

    >>> normalise_address("  Jeanne.Martin@Example.FR ")
    'jeanne.martin@example.fr'
    """
    value = (address or "").strip()
    if not value or any(c in value for c in "\r\n<>,; \t") or value.count("@") != 1:
        raise ValidationError({"to": ["Adresse électronique invalide."]})
    local, _, domain = value.partition("@")
    if not local or "." not in domain or domain.startswith(".") or domain.endswith("."):
        raise ValidationError({"to": ["Adresse électronique invalide."]})
    return value.lower()


def _check_line(name: str, value: str, max_len: int) -> None:
    if not value or "\r" in value or "\n" in value or len(value) > max_len:
        raise ValidationError({name: [f"Valeur invalide pour « {name} »."]})


_OUTBOX_COLUMNS = (
    "recipient",
    "kind",
    "key",
    "subject",
    "text",
    "html",
    "user_id",
    "unsubscribe_token",
    "status",
    "attempts",
    "next_attempt_at",
    "created_at",
    "updated_at",
)


@lru_cache(maxsize=4)
def _enqueue_statements(dialect: str) -> tuple[Any, Any]:
    """Build once the two INSERT ... ON CONFLICT DO NOTHING statements that queue a mail."""
    insert = postgresql.insert if dialect == "postgresql" else sqlite.insert
    token = (
        insert(cast(Table, UnsubscribeToken.__table__))
        .values(
            token=bindparam("t_token"), email=bindparam("t_email"), created_at=bindparam("t_at")
        )
        .on_conflict_do_nothing(index_elements=["token"])
    )
    outbox = (
        insert(_T)
        .values({name: bindparam(name) for name in _OUTBOX_COLUMNS})
        .on_conflict_do_nothing(index_elements=["recipient", "kind", "key"])
        .returning(_T.c.id)
    )
    return token, outbox


def enqueue(
    session: Session,
    *,
    to: str,
    kind: str,
    key: str,
    subject: str,
    text: str,
    html: str | None = None,
    user_id: int | None = None,
    unsubscribe_token: str | None = None,
    now: datetime | None = None,
    register_token: bool = True,
) -> int | None:
    """Queue one mail; return its row id, or None if (to, kind, key) was queued already.

    Flushes only: the caller commits (the mail leaves after the commit, never before). A mail with
    an ``unsubscribe_token`` carries List-Unsubscribe headers and is dropped at send time if the
    recipient opted out; without one it is transactional (a sign-in link) and always sent. The
    token is registered for the address unless ``register_token`` is False (the caller read it
    from :func:`data.mail.unsubscribe_token_for` in this transaction: saves a statement).
    """
    recipient = normalise_address(to)
    _check_line("kind", kind, 64)
    _check_line("key", key, 200)
    _check_line("subject", subject, 300)
    if unsubscribe_token is not None:
        _check_line("unsubscribe_token", unsubscribe_token, 64)
    now = now or utcnow()
    insert_token, insert_outbox = _enqueue_statements(session.get_bind().dialect.name)
    insert_for(session)  # refuses other databases
    if unsubscribe_token is not None and register_token:
        session.execute(
            insert_token, {"t_token": unsubscribe_token, "t_email": recipient, "t_at": now}
        )
    values = {
        "recipient": recipient,
        "kind": kind,
        "key": key,
        "subject": subject,
        "text": text,
        "html": html,
        "user_id": user_id,
        "unsubscribe_token": unsubscribe_token,
        "status": OutboxStatus.PENDING,
        "attempts": 0,
        "next_attempt_at": now,
        "created_at": now,
        "updated_at": now,
    }
    return session.execute(insert_outbox, values).scalar_one_or_none()


@dataclass
class SendReport:
    """What one :func:`send_pending` call did."""

    claimed: int = 0
    sent: int = 0
    retried: int = 0  # temporary failure, will be tried again
    dead: int = 0
    suppressed: int = 0  # recipient opted out
    released: int = 0  # claimed but handed back untried (server down, interrupted)
    recovered: int = 0  # stale claims of a dead sender handed back
    errors: list[str] = field(default_factory=list)

    def merge(self, other: SendReport) -> None:
        """Add another report's counts and errors to this one."""
        for name, value in other.__dict__.items():
            if name == "errors":
                self.errors.extend(value)
            else:
                setattr(self, name, getattr(self, name) + value)

    def as_dict(self) -> dict[str, Any]:
        """Return the counts as a JSON-ready dict (for job run records)."""
        d = {k: v for k, v in self.__dict__.items() if k != "errors"}
        d["errors"] = len(self.errors)
        return d


@dataclass(frozen=True)
class _Row:
    id: int
    recipient: str
    kind: str
    key: str
    subject: str
    text: str
    html: str | None
    unsubscribe_token: str | None
    attempts: int
    created_at: datetime


def message_id_for(row_id: int, recipient: str, kind: str, key: str, domain: str) -> str:
    """Return the stable Message-ID of an outbox row (the same on every try).

    >>> message_id_for(7, "a@b.fr", "digest", "2026-01-01", "example.org")
    '<passerelle.7.1709a28ba3ef69cf@example.org>'
    """
    digest = hashlib.sha256(f"{recipient}\0{kind}\0{key}".encode()).hexdigest()[:16]
    return f"<passerelle.{row_id}.{digest}@{domain}>"


def unsubscribe_url(base_url: str, token: str) -> str:
    """Return the one-click unsubscribe URL carried by mails."""
    return url(base_url, "unsubscribe", token=token)


@lru_cache(maxsize=16)
def _domain_of(mail_from: str) -> str:
    addresses = getaddresses([mail_from])
    addr = addresses[0][1] if addresses else ""
    return addr.rpartition("@")[2] or "passerelle.localhost"


def _header(value: str) -> str | Header:
    return value if value.isascii() else Header(value, "utf-8")


@lru_cache(maxsize=16)
def _from_header(mail_from: str) -> str:
    name, address = parseaddr(mail_from)
    return formataddr((name, address), charset="utf-8") if address else mail_from


def build_message(row: Any, *, mail_from: str, base_url: str) -> Message:
    """Build the multipart (text, then HTML) message of an outbox row, with its stable headers.

    Built with the classic ``email.mime`` classes, about twenty times faster than
    ``EmailMessage.set_content`` (header parsing dominates it); bodies are UTF-8 quoted-printable.
    """
    # typeshed types the charset as a name; the stdlib takes a Charset too (quoted-printable here).
    text = MIMEText(row.text, "plain", _UTF8_QP)  # type: ignore[arg-type]
    if row.html:
        msg: Message = MIMEMultipart("alternative")
        msg.attach(text)
        msg.attach(MIMEText(row.html, "html", _UTF8_QP))  # type: ignore[arg-type]
    else:
        msg = text
    msg["From"] = _from_header(mail_from)
    msg["To"] = row.recipient
    msg["Subject"] = _header(row.subject)  # type: ignore[assignment]  # a Header is allowed
    msg["Date"] = format_datetime(row.created_at)
    msg["Message-ID"] = message_id_for(
        row.id, row.recipient, row.kind, row.key, _domain_of(mail_from)
    )
    msg["Auto-Submitted"] = "auto-generated"
    msg["Content-Language"] = "fr"
    msg["X-Passerelle-Kind"] = row.kind
    if row.unsubscribe_token:
        msg["List-Unsubscribe"] = f"<{unsubscribe_url(base_url, row.unsubscribe_token)}>"
        msg["List-Unsubscribe-Post"] = "List-Unsubscribe=One-Click"
    return msg


def _backoff(attempts: int) -> timedelta:
    return BACKOFF[min(max(attempts, 1), len(BACKOFF)) - 1]


class _Budget:
    """How many more rows the senders of one call may claim, and which (shared by its threads).

    With ``only_ids``, each claim looks at the next slice of the ids rather than at all of them:
    a job that queued ten thousand mails claims them fifty at a time without binding ten thousand
    parameters to every claim.
    """

    def __init__(self, limit: int, only_ids: Sequence[int] | None = None) -> None:
        self.left = limit
        self.lock = threading.Lock()
        self.ids = sorted(set(only_ids)) if only_ids is not None else None
        self.pos = 0

    def next_ids(self, n: int) -> list[int] | None:
        """Return the next slice of ``only_ids`` (empty when done), or None without ids."""
        if self.ids is None:
            return None
        with self.lock:
            part = self.ids[self.pos : self.pos + n]
            self.pos += len(part)
            return part

    def take(self, n: int) -> int:
        with self.lock:
            n = max(0, min(n, self.left))
            self.left -= n
            return n

    def give_back(self, n: int) -> None:
        with self.lock:
            self.left += n


def send_pending(
    session_factory: sessionmaker[Session],
    mailer: Mailer,
    *,
    now: datetime | None = None,
    limit: int = 500,
    only_ids: Sequence[int] | None = None,
    max_attempts: int = MAX_ATTEMPTS,
    workers: int = 1,
) -> SendReport:
    """Send up to ``limit`` due mails (only ``only_ids`` if given); return what happened.

    Safe to run in several processes at once: each row is claimed by one sender only. ``now``
    (for tests) fixes the clock; otherwise each step reads the current time. ``workers`` > 1
    sends over that many connections at once (threads; the mailer must have ``clone()``).
    """
    clock: Callable[[], datetime] = (lambda: now) if now is not None else utcnow
    report = SendReport()
    if only_ids is not None and not only_ids:
        return report
    db = _Db(session_factory)
    try:
        report.recovered = _recover_stale(db, clock())
    finally:
        db.close()
    budget = _Budget(limit, only_ids)
    stop = threading.Event()
    bind = session_factory.kw.get("bind")
    sqlite_file = isinstance(bind, Engine) and bind.dialect.name == "sqlite"
    write_lock = threading.Lock() if workers > 1 and sqlite_file else None
    clone = getattr(mailer, "clone", None)
    if workers <= 1 or not callable(clone):
        _sender(session_factory, mailer, clock, budget, max_attempts, stop, report, None)
    else:
        reports = [SendReport() for _ in range(workers)]
        failures: list[BaseException] = []

        def work(i: int) -> None:
            try:
                _sender(
                    session_factory,
                    clone(),
                    clock,
                    budget,
                    max_attempts,
                    stop,
                    reports[i],
                    write_lock,
                )
            except BaseException as exc:  # surfaced in the calling thread
                failures.append(exc)
                stop.set()

        threads = [threading.Thread(target=work, args=(i,), daemon=True) for i in range(workers)]
        for t in threads:
            t.start()
        try:
            for t in threads:
                t.join()
        except BaseException:
            stop.set()  # interrupted: each worker hands back its untried rows and stops
            for t in threads:
                t.join()
            raise
        finally:
            for r in reports:
                report.merge(r)
        if failures:
            raise failures[0]
    if report.claimed:
        log.info(
            "outbox: %d claimed, %d sent, %d retried, %d dead, %d suppressed, %d released",
            report.claimed,
            report.sent,
            report.retried,
            report.dead,
            report.suppressed,
            report.released,
        )
    return report


def _sender(
    session_factory: sessionmaker[Session],
    mailer: Mailer,
    clock: Callable[[], datetime],
    budget: _Budget,
    max_attempts: int,
    stop: threading.Event,
    report: SendReport,
    write_lock: threading.Lock | None,
) -> None:
    """Claim and send chunk after chunk until the budget, the due rows or the server run out."""
    mail_from = getattr(mailer, "mail_from", None) or DEFAULTS["MAIL_FROM"]
    base_url = getattr(mailer, "base_url", None) or DEFAULTS["BASE_URL"]
    db = _Db(session_factory, write_lock)
    try:
        while not stop.is_set():
            size = budget.take(CHUNK)
            if not size:
                break
            ids = budget.next_ids(size)
            if ids is not None and not ids:
                budget.give_back(size)
                break
            token = uuid.uuid4().hex
            rows, suppressed = _claim(db, token, clock(), size, ids)
            budget.give_back(size - len(rows) - suppressed)
            report.suppressed += suppressed
            report.claimed += len(rows) + suppressed
            if not rows and ids is None:
                if suppressed:
                    continue
                break
            args = (token, report, clock, mail_from, base_url, max_attempts, stop)
            if not _send_chunk(db, mailer, rows, *args):
                stop.set()  # the server is down: the other workers would fail the same way
                break
    finally:
        close = getattr(mailer, "close", None)
        if callable(close):
            close()
        db.close()


def _recover_stale(db: _Db, now: datetime) -> int:
    stmt = (
        update(_T)
        .where(_T.c.status == OutboxStatus.SENDING, _T.c.claimed_at < now - CLAIM_LEASE)
        .values(status=OutboxStatus.PENDING, claim_token=None, updated_at=now)
    )
    count = db.tx(lambda c: rows_changed(c.execute(stmt)))
    if count:
        log.warning("outbox: %d mails of a sender that stopped are due again", count)
    return count


def _claim(
    db: _Db,
    token: str,
    now: datetime,
    size: int,
    only_ids: Sequence[int] | None,
) -> tuple[list[_Row], int]:
    """Claim up to ``size`` due rows for ``token``; drop those whose recipient opted out."""
    return db.tx(lambda s: _claim_in(s, token, now, size, only_ids))


def _claim_in(
    s: Any, token: str, now: datetime, size: int, only_ids: Sequence[int] | None
) -> tuple[list[_Row], int]:
    due = (
        select(_T.c.id)
        .where(_T.c.status == OutboxStatus.PENDING, _T.c.next_attempt_at <= now)
        .order_by(_T.c.next_attempt_at, _T.c.id)
        .limit(size)
    )
    if only_ids is not None:
        due = due.where(_T.c.id.in_(list(only_ids)))
    if _dialect_name(s) == "postgresql":
        # Lock the chosen rows first: PostgreSQL may re-run a locking subquery inside an
        # UPDATE (EvalPlanQual) and exceed the LIMIT, so the ids are fixed beforehand.
        ids = list(s.scalars(due.with_for_update(skip_locked=True)))
        target = _T.c.id.in_(ids)
    else:
        # One statement that writes first: SQLite then waits for the write lock instead of
        # failing to upgrade a read lock.
        target = _T.c.id.in_(due.scalar_subquery())
    # The status test again in the WHERE makes the claim safe without row locks too.
    s.execute(
        update(_T)
        .where(target, _T.c.status == OutboxStatus.PENDING)
        .values(status=OutboxStatus.SENDING, claim_token=token, claimed_at=now, updated_at=now)
    )
    opted_out = select(MailOptOut.email).scalar_subquery()
    suppressed = s.execute(
        update(_T)
        .where(
            _T.c.claim_token == token,
            _T.c.unsubscribe_token.is_not(None),
            _T.c.recipient.in_(opted_out),
        )
        .values(
            status=OutboxStatus.SUPPRESSED,
            claim_token=None,
            last_error="destinataire désabonné",
            updated_at=now,
        )
    )
    rows = s.execute(
        select(
            _T.c.id,
            _T.c.recipient,
            _T.c.kind,
            _T.c.key,
            _T.c.subject,
            _T.c.text,
            _T.c.html,
            _T.c.unsubscribe_token,
            _T.c.attempts,
            _T.c.created_at,
        )
        .where(_T.c.claim_token == token)
        .order_by(_T.c.id)
    ).all()
    return [_Row(*r) for r in rows], rows_changed(suppressed)


def _send_chunk(
    db: _Db,
    mailer: Mailer,
    rows: list[_Row],
    token: str,
    report: SendReport,
    clock: Callable[[], datetime],
    mail_from: str,
    base_url: str,
    max_attempts: int,
    stop: threading.Event,
) -> bool:
    """Send claimed rows one by one; return False when the batch must stop (server down)."""
    untried = [r.id for r in rows]
    try:
        for row in rows:
            if stop.is_set():
                return True  # asked to stop: the finally hands the rest back
            untried.remove(row.id)
            msg = build_message(row, mail_from=mail_from, base_url=base_url)
            try:
                mailer.send(msg)
            except PermanentFailure as exc:
                _record_failure(db, row, token, clock(), str(exc), dead=True)
                report.dead += 1
                report.errors.append(f"{row.id}: {exc}")
            except Exception as exc:  # temporary, or unexpected: retry later, die after N
                attempts = row.attempts + 1
                dead = attempts >= max_attempts
                _record_failure(db, row, token, clock(), _describe(exc), dead=dead)
                report.dead += dead
                report.retried += not dead
                report.errors.append(f"{row.id}: {_describe(exc)}")
                if not isinstance(exc, TemporaryFailure):
                    log.exception("outbox: unexpected error sending mail %d", row.id)
                if isinstance(exc, ConnectionFailure):
                    log.warning("outbox: mail server unreachable, stopping: %s", exc)
                    return False
            else:
                _record_sent(db, row, token, clock(), str(msg["Message-ID"]))
                report.sent += 1
        return True
    finally:
        # Interrupted, or stopped early: rows not tried yet are free again at once.
        if untried:
            report.released += _release(db, untried, token, clock())


def _describe(exc: BaseException) -> str:
    return f"{type(exc).__name__}: {exc}"[:2000]


@lru_cache(maxsize=1)
def _sent_statement() -> Any:
    """The statement recording one mail as sent, built once (a sender runs it for every mail)."""
    return (
        update(_T)
        .where(_T.c.id == bindparam("row_id"), _T.c.claim_token == bindparam("token"))
        .values(
            status=OutboxStatus.SENT,
            sent_at=bindparam("now"),
            attempts=_T.c.attempts + 1,
            claim_token=None,
            message_id=bindparam("mid"),
            last_error=None,
            updated_at=bindparam("now"),
        )
    )


def _record_sent(db: _Db, row: _Row, token: str, now: datetime, message_id: str) -> None:
    params = {"row_id": row.id, "token": token, "now": now, "mid": message_id}
    if db.tx(lambda c: rows_changed(c.execute(_sent_statement(), params))) != 1:
        log.warning("outbox: mail %d was sent after its claim expired", row.id)


def _record_failure(
    db: _Db,
    row: _Row,
    token: str,
    now: datetime,
    error: str,
    *,
    dead: bool,
) -> None:
    attempts = row.attempts + 1
    stmt = (
        update(_T)
        .where(_T.c.id == row.id, _T.c.claim_token == token)
        .values(
            status=OutboxStatus.DEAD if dead else OutboxStatus.PENDING,
            attempts=attempts,
            next_attempt_at=now + _backoff(attempts),
            claim_token=None,
            last_error=error,
            updated_at=now,
        )
    )
    db.tx(lambda c: c.execute(stmt))
    if dead:
        log.error("outbox: mail %d (%s to %s) is dead: %s", row.id, row.kind, row.recipient, error)


def _release(db: _Db, ids: list[int], token: str, now: datetime) -> int:
    stmt = (
        update(_T)
        .where(_T.c.id.in_(ids), _T.c.claim_token == token)
        .values(status=OutboxStatus.PENDING, claim_token=None, updated_at=now)
    )
    return int(db.tx(lambda c: rows_changed(c.execute(stmt))))


def dead_letters(session: Session, limit: int = 100) -> list[OutboxMessage]:
    """Return mails that failed for good, most recent first (for coordinators)."""
    return list(
        session.scalars(
            select(OutboxMessage)
            .where(OutboxMessage.status == OutboxStatus.DEAD)
            .order_by(OutboxMessage.updated_at.desc(), OutboxMessage.id.desc())
            .limit(limit)
        )
    )


def requeue(session: Session, outbox_id: int, *, now: datetime | None = None) -> bool:
    """Give a dead mail a fresh set of tries (a coordinator fixed the cause); flushes only."""
    now = now or utcnow()
    result = session.execute(
        update(_T)
        .where(_T.c.id == outbox_id, _T.c.status == OutboxStatus.DEAD)
        .values(status=OutboxStatus.PENDING, attempts=0, next_attempt_at=now, updated_at=now)
    )
    return rows_changed(result) == 1


def withdraw(
    session: Session,
    *,
    recipients: Sequence[str] = (),
    keys: Sequence[str] = (),
    reason: str,
    now: datetime | None = None,
) -> int:
    """Drop the mails not sent yet to ``recipients`` or under ``keys``; flushes only.

    For a person who deleted their account: nothing more goes to them, nor about them (the contact
    mail that would give an employer their details). Rows still ``pending`` become ``suppressed``
    with ``reason``; a row a sender has already claimed is in flight and goes out. Returns how many.
    """
    addresses = [a.strip().lower() for a in recipients if a and a.strip()]
    wanted = [k for k in keys if k]
    if not addresses and not wanted:
        return 0
    now = now or utcnow()
    result = session.execute(
        update(_T)
        .where(
            _T.c.status == OutboxStatus.PENDING,
            _T.c.recipient.in_(addresses) | _T.c.key.in_(wanted),
        )
        .values(status=OutboxStatus.SUPPRESSED, last_error=reason[:2000], updated_at=now)
    )
    return rows_changed(result)


def outbox_counts(session: Session) -> dict[str, int]:
    """Return the number of outbox rows per status (every status present, zero if none)."""
    counts = {s.value: 0 for s in OutboxStatus}
    for status, n in session.execute(
        select(OutboxMessage.status, func.count()).group_by(OutboxMessage.status)
    ):
        counts[OutboxStatus(status).value] = n
    return counts
