"""Candidates (the people) and their apprenticeship requests."""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum, utcnow
from .pay import AgeBand
from .reference import Commune, Metier

if TYPE_CHECKING:
    from .training import TrainingCentre

__all__ = ["NotifyFrequency", "RequestStatus", "Candidate", "Request", "RequestMetier"]


class NotifyFrequency(enum.StrEnum):
    """How often a person wants the mails of new suggestions."""

    IMMEDIATE = "immediate"
    DAILY = "daily"
    WEEKLY = "weekly"
    NEVER = "never"


class RequestStatus(enum.StrEnum):
    """Life cycle of a request: active while the person looks, then paused, matched or closed."""

    ACTIVE = "active"
    PAUSED = "paused"
    MATCHED = "matched"
    CLOSED = "closed"


class Candidate(Base):
    """A person looking for an apprenticeship: only what matching and contact need.

    No full address and no health data (CNIL): the home commune lives on the request.
    """

    __tablename__ = "candidates"

    id: Mapped[int] = mapped_column(primary_key=True)
    first_name: Mapped[str] = mapped_column(String(100))
    last_name: Mapped[str] = mapped_column(String(100))
    email: Mapped[str | None] = mapped_column(String(254), unique=True)
    phone: Mapped[str | None] = mapped_column(String(32))
    # A few words of the person's own (shown to an employer only once a pair is approved).
    presentation: Mapped[str | None] = mapped_column(Text)
    # An optional CV (PDF), kept as a file under the instance directory (never under the web
    # root): a random name of ours, never the uploaded one (data.operations.cv).
    cv_file: Mapped[str | None] = mapped_column(String(64))
    cv_size: Mapped[int | None] = mapped_column(Integer)
    cv_uploaded_at: Mapped[datetime | None]
    consent_at: Mapped[datetime]
    notify_frequency: Mapped[NotifyFrequency] = mapped_column(
        str_enum(NotifyFrequency, "notify_frequency"), default=NotifyFrequency.DAILY
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    last_activity_at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    anonymised_at: Mapped[datetime | None]

    request: Mapped[Request | None] = relationship(
        back_populates="candidate", cascade="all, delete-orphan", uselist=False
    )

    def __repr__(self) -> str:
        return f"<Candidate {self.id}>"


class Request(Base):
    """What a candidate looks for: métiers, where from, how far, and with what constraints."""

    __tablename__ = "requests"
    __table_args__ = (
        CheckConstraint("max_distance_km BETWEEN 1 AND 1000", name="max_distance_range"),
        CheckConstraint(
            "diploma_level IS NULL OR diploma_level BETWEEN 0 AND 8", name="diploma_level_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    # One request per candidate: a candidate edits it rather than stacking new ones.
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), unique=True
    )
    commune_insee: Mapped[str] = mapped_column(ForeignKey("communes.insee"), index=True)
    max_distance_km: Mapped[int] = mapped_column(Integer, default=30)
    has_licence: Mapped[bool] = mapped_column(Boolean, default=False)
    has_car: Mapped[bool] = mapped_column(Boolean, default=False)
    needs_housing: Mapped[bool] = mapped_column(Boolean, default=False)
    accepts_relocation: Mapped[bool] = mapped_column(Boolean, default=False)
    available_from: Mapped[date | None] = mapped_column(Date)
    diploma_level: Mapped[int | None] = mapped_column(Integer)
    # The law for minors (no night work) and the pay grid read it; no birth date is kept.
    age_band: Mapped[AgeBand | None] = mapped_column(str_enum(AgeBand, "age_band"))
    status: Mapped[RequestStatus] = mapped_column(
        str_enum(RequestStatus, "request_status"), default=RequestStatus.ACTIVE, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # When its suggestions were last re-matched on their own (data.incremental); a change after
    # it waits for the re-matching job.
    rematched_at: Mapped[datetime | None]

    # The training centre where the candidate is already enrolled or admitted (issue 16).
    training_centre_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_centres.id", ondelete="SET NULL"), index=True
    )

    candidate: Mapped[Candidate] = relationship(back_populates="request")
    commune: Mapped[Commune] = relationship()
    training_centre: Mapped[TrainingCentre | None] = relationship()
    metiers: Mapped[list[RequestMetier]] = relationship(
        back_populates="request", cascade="all, delete-orphan", order_by="RequestMetier.position"
    )

    @property
    def metier_codes(self) -> list[str]:
        """Resolved métier codes, in the candidate's order, without duplicates."""
        seen: dict[str, None] = {}
        for m in self.metiers:
            if m.metier_code is not None:
                seen.setdefault(m.metier_code, None)
        return list(seen)

    def __repr__(self) -> str:
        return f"<Request {self.id} {self.status}>"


class RequestMetier(Base):
    """One métier a request asks for: the words as typed and the referential code they give."""

    __tablename__ = "request_metiers"
    __table_args__ = (UniqueConstraint("request_id", "position"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(ForeignKey("requests.id", ondelete="CASCADE"))
    position: Mapped[int] = mapped_column(Integer)
    text: Mapped[str] = mapped_column(String(200))
    # NULL when the text did not resolve: it is kept and reported, never silently matched.
    metier_code: Mapped[str | None] = mapped_column(ForeignKey("metiers.code"), index=True)

    request: Mapped[Request] = relationship(back_populates="metiers")
    metier: Mapped[Metier | None] = relationship()
