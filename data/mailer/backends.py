"""Ways a built message leaves Passerelle: an ``.eml`` file under the instance, or SMTP.

Mailers know nothing of the outbox, the models or the pages: they take a built
``email.message.Message`` and send it, or raise a :class:`~data.mailer.errors.TransportError`.

A mailer raises :class:`TemporaryFailure` when trying again later may work (connection refused, a
4xx answer) and :class:`PermanentFailure` when it cannot (a 5xx answer): the outbox turns these into
retries with backoff, or a dead letter.
"""

from __future__ import annotations

import logging
import os
import re
import smtplib
import ssl
import tempfile
import time
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime
from email import policy
from email.generator import BytesGenerator
from email.message import EmailMessage, Message
from email.parser import BytesParser
from email.utils import getaddresses, make_msgid, parsedate_to_datetime
from functools import lru_cache
from io import BytesIO
from pathlib import Path
from typing import Any, Protocol, runtime_checkable

from data.config import DEFAULTS

from .errors import ConnectionFailure, PermanentFailure, TemporaryFailure, TransportError

__all__ = [
    "Mailer",
    "FileMailer",
    "SmtpMailer",
    "make_mailer",
    "LocalMail",
    "list_local_mails",
    "read_local_mail",
]

log = logging.getLogger(__name__)

#: An SMTP connection idle for longer than this is checked with NOOP before it is reused.
SMTP_IDLE_CHECK_SECONDS = 5.0

_LOCAL_NAME = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._@-]*\.eml$")


class _QuickFold(policy.Compat32):
    """compat32, but a short ASCII header line is written as is instead of through ``Header``.

    ``Compat32._fold`` hands every header to :class:`email.header.Header`, whose splitting costs
    about a millisecond per mail of twelve headers; for a line that needs no folding and no
    encoding (ASCII, single spaces, at most 78 characters) it returns the value unchanged, so
    this shortcut writes the very same bytes. Anything else goes the usual way.
    """

    def _fold(self, name: str, value: Any, sanitize: bool) -> str:
        if (
            isinstance(value, str)
            and value.isascii()
            and len(name) + len(value) + 2 <= 78
            and "  " not in value
            and not any(c in value for c in "\r\n\t")
            and value == value.strip()
        ):
            return f"{name}: {value}{self.linesep}"
        return str(super()._fold(name, value, sanitize))  # type: ignore[misc]  # private in typeshed


_SMTP_POLICY = _QuickFold(linesep="\r\n")


def smtp_bytes(message: Message) -> bytes:
    """Flatten ``message`` as it goes over SMTP (CRLF line ends), as ``send_message`` would."""
    out = BytesIO()
    BytesGenerator(out, policy=_SMTP_POLICY).flatten(message, linesep="\r\n")
    return out.getvalue()


@runtime_checkable
class Mailer(Protocol):
    """Something that sends one built message, or raises a :class:`TransportError`."""

    def send(self, message: Message) -> None: ...


class _BaseMailer:
    """What every shipped mailer knows: who mails come from and the site's absolute base URL."""

    def __init__(self, *, mail_from: str | None = None, base_url: str | None = None) -> None:
        self.mail_from: str = mail_from or DEFAULTS["MAIL_FROM"]
        self.base_url: str = (base_url or DEFAULTS["BASE_URL"]).rstrip("/")

    def close(self) -> None:
        """Release any connection (nothing to do by default)."""


class FileMailer(_BaseMailer):
    """Keep each mail as an ``.eml`` file in ``mail_dir``; no network, for local use and tests.

    The file name comes from the Date and Message-ID headers, so sending the same message twice
    rewrites the same file; each file appears atomically (written aside, then renamed).
    """

    def __init__(self, mail_dir: str | os.PathLike[str], **kwargs: Any) -> None:
        super().__init__(**kwargs)
        self.mail_dir = Path(mail_dir)

    def clone(self) -> FileMailer:
        """Return a mailer for another thread (files are written atomically: any is fine)."""
        return FileMailer(self.mail_dir, mail_from=self.mail_from, base_url=self.base_url)

    def send(self, message: Message) -> None:
        """Write ``message`` to its file; an unwritable directory is a temporary failure."""
        if message["Message-ID"] is None:
            message["Message-ID"] = make_msgid(domain="passerelle.localhost")
        name = _file_name(message)
        try:
            self.mail_dir.mkdir(parents=True, exist_ok=True)
            fd, tmp = tempfile.mkstemp(dir=self.mail_dir, suffix=".tmp")
            try:
                with os.fdopen(fd, "wb") as f:
                    f.write(message.as_bytes())
                os.replace(tmp, self.mail_dir / name)
            except BaseException:
                Path(tmp).unlink(missing_ok=True)
                raise
        except OSError as exc:
            raise TemporaryFailure(f"cannot write {name}: {exc}") from exc


def _file_name(message: Message) -> str:
    try:
        when = parsedate_to_datetime(str(message["Date"])).astimezone(UTC)
    except (TypeError, ValueError):
        when = datetime.now(UTC)
    ident = re.sub(r"[^A-Za-z0-9._@-]", "", str(message["Message-ID"]))[:120] or "mail"
    return f"{when:%Y%m%dT%H%M%SZ}-{ident}.eml"


class SmtpMailer(_BaseMailer):
    """Send through an SMTP server, with STARTTLS and authentication when configured.

    One connection is kept open across the messages of a batch; :meth:`close` ends it.
    """

    def __init__(
        self,
        host: str,
        port: int,
        *,
        username: str | None = None,
        password: str | None = None,
        starttls: bool = True,
        timeout: float = 30,
        ca_file: str | None = None,
        **kwargs: Any,
    ) -> None:
        super().__init__(**kwargs)
        self.host = host
        self.port = int(port)
        self.username = username
        self.password = password
        self.starttls = starttls
        self.timeout = timeout
        self.ca_file = ca_file
        self._conn: smtplib.SMTP | None = None
        self._last_used = 0.0

    def clone(self) -> SmtpMailer:
        """Return a mailer with the same settings and a connection of its own (for a thread)."""
        return SmtpMailer(
            self.host,
            self.port,
            username=self.username,
            password=self.password,
            starttls=self.starttls,
            timeout=self.timeout,
            ca_file=self.ca_file,
            mail_from=self.mail_from,
            base_url=self.base_url,
        )

    def _connect(self) -> smtplib.SMTP:
        try:
            conn = smtplib.SMTP(self.host, self.port, timeout=self.timeout)
            try:
                conn.ehlo()
                if self.starttls:
                    conn.starttls(context=ssl.create_default_context(cafile=self.ca_file))
                    conn.ehlo()
                if self.username:
                    conn.login(self.username, self.password or "")
            except BaseException:
                conn.close()
                raise
        except smtplib.SMTPAuthenticationError as exc:
            # A configuration problem: keep the mails and let an admin fix the settings.
            raise ConnectionFailure(f"SMTP authentication refused: {exc}") from exc
        except (OSError, smtplib.SMTPException) as exc:
            raise ConnectionFailure(f"cannot reach {self.host}:{self.port}: {exc}") from exc
        return conn

    def _connection(self) -> smtplib.SMTP:
        if self._conn is not None and time.monotonic() - self._last_used > SMTP_IDLE_CHECK_SECONDS:
            try:
                if self._conn.noop()[0] != 250:
                    raise smtplib.SMTPServerDisconnected("NOOP refused")
            except (OSError, smtplib.SMTPException):
                self._drop()
        if self._conn is None:
            self._conn = self._connect()
        return self._conn

    def _drop(self) -> None:
        if self._conn is not None:
            try:
                self._conn.close()
            except OSError:
                pass
        self._conn = None

    def send(self, message: Message) -> None:
        """Send ``message``; map the server's answers to temporary or permanent failures."""
        conn = self._connection()
        envelope = _envelope(message)
        try:
            if envelope is None:  # non-ASCII addresses, Bcc...: smtplib's own handling
                refused = conn.send_message(message)
            else:
                refused = conn.sendmail(envelope[0], envelope[1], smtp_bytes(message))
        except smtplib.SMTPRecipientsRefused as exc:
            self._reset()
            codes = [code for code, _ in exc.recipients.values()]
            raise _failure(min(codes) if codes else 450, str(exc.recipients)) from exc
        except smtplib.SMTPResponseException as exc:
            self._reset()
            raise _failure(exc.smtp_code, str(exc.smtp_error)) from exc
        except (OSError, smtplib.SMTPException) as exc:
            # Includes a server that disconnects: whether it kept the message is unknown.
            self._drop()
            raise ConnectionFailure(f"connection lost while sending: {exc}") from exc
        finally:
            self._last_used = time.monotonic()
        if refused:  # some recipients refused, others accepted: we send to one only
            raise _failure(min(code for code, _ in refused.values()), str(refused))

    def _reset(self) -> None:
        try:
            if self._conn is not None:
                self._conn.rset()
        except (OSError, smtplib.SMTPException):
            self._drop()

    def close(self) -> None:
        """Say QUIT and close the connection, if one is open."""
        if self._conn is not None:
            try:
                self._conn.quit()
            except (OSError, smtplib.SMTPException):
                pass
            self._drop()


_BARE_ADDRESS = re.compile(r"^[!#-'*+\-/-9=?A-Z^-~.]+@[A-Za-z0-9.\-]+$")


@lru_cache(maxsize=64)
def _addresses(field: str) -> tuple[str, ...]:
    if _BARE_ADDRESS.match(field):
        return (field,)
    return tuple(a for _, a in getaddresses([field]) if a)


def _envelope(message: Message) -> tuple[str, list[str]] | None:
    """Envelope sender and recipients of a plain message (one From, To only, ASCII addresses).

    What ``send_message`` would take from the headers; None when it must decide itself.
    """
    if any(h in message for h in ("Sender", "Resent-Date", "Cc", "Bcc")):
        return None
    froms, tos = message.get_all("From", []), message.get_all("To", [])
    if len(froms) != 1 or not tos:
        return None
    sender = _addresses(str(froms[0]))
    recipients = [a for field in tos for a in _addresses(str(field))]
    if len(sender) != 1 or not recipients:
        return None
    if not all(a.isascii() for a in (*sender, *recipients)):
        return None
    return sender[0], recipients


def _failure(code: int, detail: str) -> TransportError:
    if 500 <= code < 600:
        return PermanentFailure(f"{code} {detail}")
    return TemporaryFailure(f"{code} {detail}")


def make_mailer(config: Mapping[str, Any]) -> FileMailer | SmtpMailer:
    """Build the mailer the configuration names: ``MAIL_BACKEND`` "file" (default) or "smtp"."""
    backend = str(config.get("MAIL_BACKEND") or "file").lower()
    common = {
        "mail_from": config.get("MAIL_FROM") or DEFAULTS["MAIL_FROM"],
        "base_url": config.get("BASE_URL") or DEFAULTS["BASE_URL"],
    }
    if backend == "file":
        mail_dir = config.get("MAIL_DIR") or Path(DEFAULTS["INSTANCE_DIR"]) / "mail"
        return FileMailer(mail_dir, **common)
    if backend == "smtp":
        return SmtpMailer(
            str(config.get("SMTP_HOST") or DEFAULTS["SMTP_HOST"]),
            int(config.get("SMTP_PORT") or DEFAULTS["SMTP_PORT"]),
            username=config.get("SMTP_USERNAME") or None,
            password=config.get("SMTP_PASSWORD") or None,
            starttls=_as_bool(config.get("SMTP_STARTTLS", DEFAULTS["SMTP_STARTTLS"])),
            timeout=float(config.get("SMTP_TIMEOUT") or DEFAULTS["SMTP_TIMEOUT"]),
            ca_file=config.get("SMTP_CA_FILE") or None,
            **common,
        )
    raise ValueError(f"unknown MAIL_BACKEND {backend!r}: use 'file' or 'smtp'")


def _as_bool(value: Any) -> bool:
    if isinstance(value, str):
        return value.strip().lower() not in {"", "0", "false", "no", "off"}
    return bool(value)


@dataclass(frozen=True)
class LocalMail:
    """One mail kept as a file by the "file" backend, as the admin page lists it."""

    name: str
    path: Path
    to: str
    subject: str
    date: datetime | None
    message_id: str
    size: int


def _parse(path: Path) -> EmailMessage:
    with path.open("rb") as f:
        msg = BytesParser(policy=policy.default).parse(f)
    assert isinstance(msg, EmailMessage)
    return msg


def list_local_mails(mail_dir: str | os.PathLike[str], limit: int | None = 200) -> list[LocalMail]:
    """List the ``.eml`` files of ``mail_dir``, newest first (an absent directory lists nothing)."""
    root = Path(mail_dir)
    if not root.is_dir():
        return []
    names = sorted((p for p in root.glob("*.eml") if _LOCAL_NAME.match(p.name)), reverse=True)
    mails = []
    for path in names[:limit] if limit else names:
        try:
            msg = _parse(path)
            size = path.stat().st_size
        except OSError:  # removed meanwhile
            continue
        try:
            date = parsedate_to_datetime(str(msg["Date"])) if msg["Date"] else None
        except (TypeError, ValueError):
            date = None
        mails.append(
            LocalMail(
                name=path.name,
                path=path,
                to=str(msg["To"] or ""),
                subject=str(msg["Subject"] or ""),
                date=date,
                message_id=str(msg["Message-ID"] or ""),
                size=size,
            )
        )
    return mails


def read_local_mail(mail_dir: str | os.PathLike[str], name: str) -> EmailMessage | None:
    """Return one kept mail by file name, or None; names outside ``mail_dir`` are refused."""
    if not _LOCAL_NAME.match(name):
        return None
    path = Path(mail_dir) / name
    if not path.is_file():
        return None
    return _parse(path)
