"""The mail transport: how a built message leaves Passerelle (an ``.eml`` file, or SMTP).

A package of its own, below the outbox (:mod:`data.mail`): it imports neither the models nor the
outbox, and its errors have their own root, :class:`TransportError` (not a ``DataError``: a mail
server away is not a conflict with the data). The outbox turns :class:`TemporaryFailure` into
retries with backoff and :class:`PermanentFailure` into a dead letter.
"""

from __future__ import annotations

from .backends import (
    FileMailer,
    LocalMail,
    Mailer,
    SmtpMailer,
    list_local_mails,
    make_mailer,
    read_local_mail,
    smtp_bytes,
)
from .errors import ConnectionFailure, PermanentFailure, TemporaryFailure, TransportError

__all__ = [
    "ConnectionFailure",
    "FileMailer",
    "LocalMail",
    "Mailer",
    "PermanentFailure",
    "SmtpMailer",
    "TemporaryFailure",
    "TransportError",
    "list_local_mails",
    "make_mailer",
    "read_local_mail",
    "smtp_bytes",
]
