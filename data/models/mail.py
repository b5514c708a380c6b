"""Mail outbox, opt-outs, notification state, job runs and platform settings (the jobs own them)."""

from __future__ import annotations

import enum
from datetime import datetime
from typing import Any

from sqlalchemy import (
    JSON,
    ForeignKey,
    Index,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base, str_enum, utcnow
from .candidates import NotifyFrequency

__all__ = [
    "OutboxStatus",
    "OutboxMessage",
    "UnsubscribeToken",
    "MailOptOut",
    "NotifiedSuggestion",
    "NotifiedSession",
    "NotifiedLibraryResource",
    "NotificationPreference",
    "ActionToken",
    "JobRunStatus",
    "JobRun",
    "PlatformSetting",
]


class OutboxStatus(enum.StrEnum):
    """Life of one queued mail: pending -> sending -> sent | dead | suppressed."""

    PENDING = "pending"
    SENDING = "sending"  # claimed by a sender; back to pending if the sender dies (lease)
    SENT = "sent"  # accepted by the mail server (or written to a file)
    DEAD = "dead"  # failed for good; shown to coordinators
    SUPPRESSED = "suppressed"  # the recipient opted out before it went out


class OutboxMessage(Base):
    """One mail to one recipient, queued before it is sent; (recipient, kind, key) is unique."""

    __tablename__ = "mail_outbox"
    __table_args__ = (
        UniqueConstraint("recipient", "kind", "key"),
        Index("ix_mail_outbox_due", "status", "next_attempt_at"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    recipient: Mapped[str] = mapped_column(String(254))
    kind: Mapped[str] = mapped_column(String(64))
    key: Mapped[str] = mapped_column(String(200))
    subject: Mapped[str] = mapped_column(String(300))
    text: Mapped[str] = mapped_column(Text)
    html: Mapped[str | None] = mapped_column(Text)
    user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    # Set for mails a recipient may opt out of: List-Unsubscribe header and send-time check.
    unsubscribe_token: Mapped[str | None] = mapped_column(String(64))
    status: Mapped[OutboxStatus] = mapped_column(
        str_enum(OutboxStatus, "outbox_status"), default=OutboxStatus.PENDING
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0)
    next_attempt_at: Mapped[datetime] = mapped_column(default=utcnow)
    claim_token: Mapped[str | None] = mapped_column(String(32), index=True)
    claimed_at: Mapped[datetime | None]
    sent_at: Mapped[datetime | None]
    last_error: Mapped[str | None] = mapped_column(Text)
    message_id: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    def __repr__(self) -> str:
        return f"<OutboxMessage {self.id} {self.kind} {self.status}>"


class UnsubscribeToken(Base):
    """An opaque token that, and only that, unsubscribes one address (RFC 8058 one-click)."""

    __tablename__ = "mail_unsubscribe_tokens"

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    email: Mapped[str] = mapped_column(String(254), index=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class MailOptOut(Base):
    """An address that asked for no more optional mail; checked when each mail goes out."""

    __tablename__ = "mail_optouts"

    email: Mapped[str] = mapped_column(String(254), primary_key=True)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotifiedSuggestion(Base):
    """A suggestion already mailed to one recipient in a digest: never mailed to them again."""

    __tablename__ = "mail_notified_suggestions"
    __table_args__ = (Index("ix_mail_notified_suggestions_recipient", "recipient"),)

    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestions.id", ondelete="CASCADE"), primary_key=True
    )
    recipient: Mapped[str] = mapped_column(String(254), primary_key=True)
    # The digest that carried it is the recipient's digest mail queued at that moment.
    notified_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotifiedSession(Base):
    """A training session whose closing deadline was mailed to one recipient: told once."""

    __tablename__ = "mail_notified_sessions"
    __table_args__ = (Index("ix_mail_notified_sessions_recipient", "recipient"),)

    session_id: Mapped[int] = mapped_column(
        ForeignKey("training_sessions.id", ondelete="CASCADE"), primary_key=True
    )
    recipient: Mapped[str] = mapped_column(String(254), primary_key=True)
    notified_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotifiedLibraryResource(Base):
    """A mallette resource a digest told one recipient of, in its version of ``stamp`` (the
    resource's ``updated_at``): a later update is news again, the same version never twice."""

    __tablename__ = "mail_notified_library"
    __table_args__ = (Index("ix_mail_notified_library_recipient", "recipient"),)

    resource_id: Mapped[int] = mapped_column(
        ForeignKey("library_resources.id", ondelete="CASCADE"), primary_key=True
    )
    recipient: Mapped[str] = mapped_column(String(254), primary_key=True)
    stamp: Mapped[datetime]
    notified_at: Mapped[datetime] = mapped_column(default=utcnow)


class NotificationPreference(Base):
    """How often a user (an employer's staff) wants digests; candidates use their own column."""

    __tablename__ = "notification_preferences"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    frequency: Mapped[NotifyFrequency] = mapped_column(
        str_enum(NotifyFrequency, "preference_frequency"), default=NotifyFrequency.DAILY
    )
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)


class ActionToken(Base):
    """A single-purpose link in a mail (e.g. "toujours en recherche ?"): answered once, expires."""

    __tablename__ = "mail_action_tokens"
    __table_args__ = (Index("ix_mail_action_tokens_object", "purpose", "object_id"),)

    token: Mapped[str] = mapped_column(String(64), primary_key=True)
    purpose: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int] = mapped_column(Integer)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    expires_at: Mapped[datetime]
    answered_at: Mapped[datetime | None]
    answer: Mapped[str | None] = mapped_column(String(32))


class JobRunStatus(enum.StrEnum):
    """Outcome of one job run."""

    RUNNING = "running"
    SUCCESS = "success"
    FAILED = "failed"
    #: The process died (crash, kill, power cut) before it could record how the run ended.
    INTERRUPTED = "interrupted"


class JobRun(Base):
    """One run of a scheduled job: when, where, what it did (counts), and why it failed.

    ``error`` is a short French sentence for coordinators; ``error_id`` is also in the log line
    that holds the details (traceback, SQL). ``pid`` and ``host`` name the process that ran it,
    so that a run whose process is gone can be marked interrupted.
    """

    __tablename__ = "job_runs"
    __table_args__ = (Index("ix_job_runs_job_started", "job", "started_at"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    job: Mapped[str] = mapped_column(String(64))
    started_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    finished_at: Mapped[datetime | None]
    status: Mapped[JobRunStatus] = mapped_column(
        str_enum(JobRunStatus, "job_run_status"), default=JobRunStatus.RUNNING
    )
    counts: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    error: Mapped[str | None] = mapped_column(Text)
    trigger: Mapped[str] = mapped_column(String(32), default="scheduler")
    error_id: Mapped[str | None] = mapped_column(String(16))
    pid: Mapped[int | None] = mapped_column(Integer)
    host: Mapped[str | None] = mapped_column(String(255))

    def __repr__(self) -> str:
        return f"<JobRun {self.id} {self.job} {self.status}>"


class PlatformSetting(Base):
    """A setting coordinators change at run time (e.g. the review rule), stored as JSON."""

    __tablename__ = "platform_settings"

    key: Mapped[str] = mapped_column(String(64), primary_key=True)
    value: Mapped[Any] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
