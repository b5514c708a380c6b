"""Mail for Passerelle: the outbox (queue, send exactly once), transports, opt-outs.

Callers render the bodies, queue them with :func:`enqueue` inside their transaction, commit, then
either call :func:`send_pending` (``only_ids=[...]`` for a mail that must leave at once, such as a
sign-in link) or leave it to the jobs' sender. See :mod:`data.mail.outbox` for the guarantees.
"""

from __future__ import annotations

from .actions import STILL_LOOKING, answer_still_looking, find_action, still_looking_token
from .optout import is_opted_out, resubscribe, unsubscribe, unsubscribe_token_for
from .outbox import (
    BACKOFF,
    CLAIM_LEASE,
    MAX_ATTEMPTS,
    SendReport,
    build_message,
    dead_letters,
    enqueue,
    message_id_for,
    normalise_address,
    outbox_counts,
    requeue,
    send_pending,
    unsubscribe_url,
)
from .preferences import get_notify_frequency, set_notify_frequency
from .transport import (
    ConnectionFailure,
    FileMailer,
    LocalMail,
    Mailer,
    MailError,
    PermanentFailure,
    SmtpMailer,
    TemporaryFailure,
    list_local_mails,
    make_mailer,
    read_local_mail,
)

__all__ = [
    "BACKOFF",
    "CLAIM_LEASE",
    "MAX_ATTEMPTS",
    "ConnectionFailure",
    "FileMailer",
    "LocalMail",
    "MailError",
    "Mailer",
    "PermanentFailure",
    "STILL_LOOKING",
    "SendReport",
    "SmtpMailer",
    "TemporaryFailure",
    "answer_still_looking",
    "build_message",
    "dead_letters",
    "enqueue",
    "find_action",
    "get_notify_frequency",
    "is_opted_out",
    "list_local_mails",
    "make_mailer",
    "message_id_for",
    "normalise_address",
    "outbox_counts",
    "read_local_mail",
    "requeue",
    "resubscribe",
    "send_pending",
    "set_notify_frequency",
    "still_looking_token",
    "unsubscribe",
    "unsubscribe_token_for",
    "unsubscribe_url",
]
