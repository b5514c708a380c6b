"""Mail for Passerelle: the outbox (queue, send exactly once), rendering, recipients, opt-outs.

Callers render the bodies (:func:`queue_mail` renders the templates of ``templates/mail`` and
queues), queue them with :func:`enqueue` inside their transaction, commit, then either call
:func:`send_pending` (``only_ids=[...]`` for a mail that must leave at once, such as a sign-in
link) or leave it to the jobs' sender. See :mod:`data.mail.outbox` for the guarantees and
:mod:`data.mail.contacts` for the mails an approval promises.
"""

from __future__ import annotations

# The transport is its own package (data.mailer); its names are re-exported for the callers.
from data.mailer import (
    ConnectionFailure,
    FileMailer,
    LocalMail,
    Mailer,
    PermanentFailure,
    SmtpMailer,
    TemporaryFailure,
    TransportError,
    list_local_mails,
    make_mailer,
    read_local_mail,
)

from .actions import STILL_LOOKING, answer_still_looking, find_action, still_looking_token
from .compose import default_base_url, queue_mail
from .contacts import ContactMails, contact_key, queue_contact_mails, unreached_sides
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
    withdraw,
)
from .preferences import get_notify_frequency, set_library_news, set_notify_frequency
from .recipients import (
    Recipient,
    candidate_recipient,
    coordinator_recipients,
    employer_recipients,
)
from .render import RenderedMail, render_mail

__all__ = [
    "BACKOFF",
    "ContactMails",
    "Recipient",
    "RenderedMail",
    "candidate_recipient",
    "contact_key",
    "coordinator_recipients",
    "default_base_url",
    "employer_recipients",
    "queue_contact_mails",
    "queue_mail",
    "render_mail",
    "unreached_sides",
    "CLAIM_LEASE",
    "MAX_ATTEMPTS",
    "ConnectionFailure",
    "FileMailer",
    "LocalMail",
    "Mailer",
    "PermanentFailure",
    "STILL_LOOKING",
    "SendReport",
    "SmtpMailer",
    "TemporaryFailure",
    "TransportError",
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
    "set_library_news",
    "set_notify_frequency",
    "still_looking_token",
    "unsubscribe",
    "unsubscribe_token_for",
    "unsubscribe_url",
    "withdraw",
]
