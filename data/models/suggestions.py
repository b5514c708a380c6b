"""Suggestions (scored request-offer pairs and their life) and the audit log."""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Index,
    String,
    Text,
    Time,
    UniqueConstraint,
    false,
    text,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum, utcnow
from .candidates import Request, RequestStatus
from .employers import OPEN_OFFER, ContractKind, Offer
from .housing import HousingResource, HousingSource
from .training import TrainingCentre
from .users import User

__all__ = [
    "AWAITING_REVIEW",
    "PAIR_STAGES",
    "SHOWN_TO_PARTIES",
    "PAIR_STATUSES",
    "SIGNED_STATUSES",
    "ANSWERABLE",
    "LIVE",
    "SuggestionStatus",
    "SuggestionOrigin",
    "Interest",
    "BreakParty",
    "BreakCause",
    "Suggestion",
    "AuditEntry",
]


class SuggestionStatus(enum.StrEnum):
    """Review by a coordinator, then the life of the pair up to a contract or its end."""

    PROPOSED = "proposed"
    APPROVED = "approved"
    REJECTED = "rejected"
    CONTACTED = "contacted"
    INTERVIEW = "interview"
    CONTRACT_SIGNED = "contract_signed"
    ABANDONED = "abandoned"
    #: A signed contract that broke off (trial period, resignation...): kept apart in the figures.
    BROKEN = "broken"


_S = SuggestionStatus
#: The stages of a pair past the review, in order. Both sides see these pairs whatever the review
#: rule, with each other's contact details; abandoned may end any of them but the last.
PAIR_STAGES = (_S.APPROVED, _S.CONTACTED, _S.INTERVIEW, _S.CONTRACT_SIGNED)
#: Every status of a pair past the review: its stages, its end before a contract, and the
#: rupture of a signed contract.
PAIR_STATUSES = (*PAIR_STAGES, _S.ABANDONED, _S.BROKEN)
#: The pairs that reached a signed contract, whether it lasts or broke off since.
SIGNED_STATUSES = (_S.CONTRACT_SIGNED, _S.BROKEN)
#: The pairs past the review that their two sides read: the stages, and a broken contract (its
#: day, never its reason, and no contact details any more: :data:`PAIR_STAGES` only show them).
SHOWN_TO_PARTIES = (*PAIR_STAGES, _S.BROKEN)
#: The pairs a party may still answer (interested or not): under review or on their way.
ANSWERABLE = (_S.PROPOSED, _S.APPROVED, _S.CONTACTED, _S.INTERVIEW)
#: The pairs still alive: under review or past approval (a contract included).
LIVE = (_S.PROPOSED, *PAIR_STAGES)


class SuggestionOrigin(enum.StrEnum):
    """Who made the pair: the engine, a coordinator by hand, or the candidate (« m'intéresse »)."""

    ENGINE = "engine"
    MANUAL = "manual"
    CANDIDATE = "candidate"


class Interest(enum.StrEnum):
    """What one side says of a suggestion before any contact."""

    INTERESTED = "interested"
    DECLINED = "declined"


class BreakParty(enum.StrEnum):
    """Who ended a signed contract (Code du travail, article L6222-18: either side alone during
    the first 45 days of practical training; after them, by agreement, or one side under the
    article's conditions)."""

    EMPLOYER = "employer"
    APPRENTICE = "apprentice"
    MUTUAL = "mutual"


class BreakCause(enum.StrEnum):
    """Why a signed contract broke off, in a short list (the free text says more). No health
    reason is asked for: it would be health data."""

    METIER = "metier"
    WORKING_CONDITIONS = "working_conditions"
    RELATIONSHIP = "relationship"
    TRAINING = "training"
    MOBILITY = "mobility"
    CONDUCT = "conduct"
    OTHER_JOB = "other_job"
    EMPLOYER_CLOSED = "employer_closed"
    PERSONAL = "personal"
    OTHER = "other"


class Suggestion(Base):
    """A scored (request, offer) pair with its explanation and its status."""

    __tablename__ = "suggestions"
    __table_args__ = (
        UniqueConstraint("request_id", "offer_id"),
        CheckConstraint("score >= 0 AND score <= 1", name="score_range"),
        Index("ix_suggestions_status_score", "status", "score"),
        # The engine's lists, as data.incremental reads their ends: a list's pairs, best last.
        Index(
            "ix_suggestions_request_list",
            "request_id",
            "score",
            "offer_id",
            sqlite_where=text("in_request_list = 1"),
            postgresql_where=text("in_request_list"),
        ),
        Index(
            "ix_suggestions_offer_list",
            "offer_id",
            "score",
            "request_id",
            sqlite_where=text("in_offer_list = 1"),
            postgresql_where=text("in_offer_list"),
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    request_id: Mapped[int] = mapped_column(
        ForeignKey("requests.id", ondelete="CASCADE"), index=True
    )
    offer_id: Mapped[int] = mapped_column(ForeignKey("offers.id", ondelete="CASCADE"), index=True)
    score: Mapped[float] = mapped_column(Float)
    distance_km: Mapped[float | None] = mapped_column(Float)
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    engine_version: Mapped[str] = mapped_column(String(32))
    origin: Mapped[SuggestionOrigin] = mapped_column(
        str_enum(SuggestionOrigin, "suggestion_origin"), default=SuggestionOrigin.ENGINE
    )
    status: Mapped[SuggestionStatus] = mapped_column(
        str_enum(SuggestionStatus, "suggestion_status"), default=SuggestionStatus.PROPOSED
    )
    # True once the engine no longer proposes an unreviewed pair (the offer or request changed).
    stale: Mapped[bool] = mapped_column(default=False)
    # Which of the engine's top-k lists hold the pair now: the request's best offers, the offer's
    # best requests (an engine pair is proposed while it is in one of them). Kept so that one
    # changed offer or request re-ranks only the lists it touches (:mod:`data.incremental`).
    in_request_list: Mapped[bool] = mapped_column(default=False, server_default=false())
    in_offer_list: Mapped[bool] = mapped_column(default=False, server_default=false())
    rejection_reason: Mapped[str | None] = mapped_column(Text)
    employer_interest: Mapped[Interest | None] = mapped_column(str_enum(Interest, "interest"))
    employer_reason: Mapped[str | None] = mapped_column(Text)
    candidate_interest: Mapped[Interest | None] = mapped_column(
        str_enum(Interest, "candidate_interest")
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    request: Mapped[Request] = relationship()
    offer: Mapped[Offer] = relationship()
    # The pair's story, told by the coordination (all optional but the rupture's date and reason):
    # the interview (a wall-clock day and time in France, not a UTC moment), the signed contract,
    # and its rupture.
    interview_on: Mapped[date | None] = mapped_column(Date)
    interview_time: Mapped[time | None] = mapped_column(Time)
    interview_place: Mapped[str | None] = mapped_column(String(200))
    contract_signed_on: Mapped[date | None] = mapped_column(Date)
    contract_start_on: Mapped[date | None] = mapped_column(Date)
    training_centre: Mapped[str | None] = mapped_column(String(200))
    contract_kind: Mapped[ContractKind | None] = mapped_column(
        str_enum(ContractKind, "contract_kind")
    )
    broken_on: Mapped[date | None] = mapped_column(Date)
    broken_reason: Mapped[str | None] = mapped_column(Text)
    # The rupture understood (issue 19): who ended it, why (a short list), and whether it came
    # after the 45 days of practical training that L6222-18 leaves free (each may be unknown).
    broken_by: Mapped[BreakParty | None] = mapped_column(str_enum(BreakParty, "break_party"))
    broken_cause: Mapped[BreakCause | None] = mapped_column(str_enum(BreakCause, "break_cause"))
    broken_after_trial: Mapped[bool | None]
    # The engine's third place (issue 16): the training centre it proposes for this pair, the
    # candidate's home-to-centre distance and the intake it found (none when no centre is known).
    proposed_centre_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_centres.id", ondelete="SET NULL"), index=True
    )
    proposed_centre_km: Mapped[float | None] = mapped_column(Float)
    proposed_intake_on: Mapped[date | None] = mapped_column(Date)
    # Where the candidate would live (issue 17), for a request that needs housing: the source
    # (``HousingSource``: the offer's own beds, or a resource near it), the resource, and its
    # distance from the offer's site; all none when the candidate needs no housing or no bed fits.
    housing_source: Mapped[HousingSource | None] = mapped_column(
        str_enum(HousingSource, "housing_source")
    )
    proposed_housing_id: Mapped[int | None] = mapped_column(
        ForeignKey("housing_resources.id", ondelete="SET NULL"), index=True
    )
    proposed_housing_km: Mapped[float | None] = mapped_column(Float)

    status_changed_by: Mapped[User | None] = relationship()
    proposed_centre: Mapped[TrainingCentre | None] = relationship()
    proposed_housing: Mapped[HousingResource | None] = relationship()

    def __repr__(self) -> str:
        return f"<Suggestion {self.id} r{self.request_id} o{self.offer_id} {self.status}>"


# The review queue and the API's lists: best score first, ties by id, read in index order and cut
# at the page instead of sorting every suggestion (the load benchmark's review queue).
Index("ix_suggestions_status_best", Suggestion.status, Suggestion.score.desc(), Suggestion.id)
Index("ix_suggestions_best", Suggestion.score.desc(), Suggestion.id)

#: The review rule: a suggestion awaits a coordinator's review while the engine still proposes
#: it, the request is active and the offer open with a place left (a request matched elsewhere,
#: or an offer filled, leaves the queue at once). The one definition for the review queue, the
#: dashboard, the weekly summary and what the parties are told (``data.standing``); needs
#: Suggestion joined to its Request and its Offer.
AWAITING_REVIEW = (
    Suggestion.status == _S.PROPOSED,
    Suggestion.stale.is_(False),
    Request.status == RequestStatus.ACTIVE,
    *OPEN_OFFER,
)


class AuditEntry(Base):
    """One line of the audit log: a change to a suggestion, or a view of personal data."""

    __tablename__ = "audit_log"
    __table_args__ = (Index("ix_audit_log_object", "object_type", "object_id"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow, index=True)
    actor_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    action: Mapped[str] = mapped_column(String(64))
    object_type: Mapped[str] = mapped_column(String(32))
    object_id: Mapped[int | None]
    details: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)

    actor: Mapped[User | None] = relationship()
