"""The errors of the mail transport: a root of their own, apart from the data layer's errors.

A transport failure is neither bad input nor a conflict with the data: it is a service away (a
mail server down, a directory unwritable). So :class:`TransportError` derives from
``Exception``, not from ``data.errors.DataError``: ``web/errors.py`` answers it as a service
unavailable (503), never as a 409 conflict.
"""

from __future__ import annotations

__all__ = ["ConnectionFailure", "PermanentFailure", "TemporaryFailure", "TransportError"]


class TransportError(Exception):
    """Root of the errors a mailer raises."""


class TemporaryFailure(TransportError):
    """Sending failed but may work later (4xx answer, server unreachable)."""


class ConnectionFailure(TemporaryFailure, ConnectionError):
    """The mail server cannot be reached at all: the rest of a batch would fail the same way."""


class PermanentFailure(TransportError):
    """The server refused this message for good (5xx answer)."""
