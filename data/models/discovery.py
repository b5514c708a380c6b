"""Discovery days (issue 18): a structure opens one to five days to try a métier; a person asks.

A :class:`DiscoveryDay` is what a structure offers: the place (one of its sites), the métier,
the days, how many people it welcomes (``places``; ``places_taken`` counts the planned ones, never
more than the places), who welcomes them (a name and a role, nothing more) and what to know.
A :class:`DiscoveryWish` is a person's ask: the métier, where from and how far, the days they are
free, their age band (the law for minors), from their request or without one.
A :class:`DiscoveryMatch` is a wish and a day put together by the engine (or a coordinator),
reviewed like the apprenticeship suggestions: proposed, then rejected or planned (the contact
mails go with the approval), then done or cancelled.
"""

from __future__ import annotations

import enum
from datetime import date, datetime, time
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    Float,
    ForeignKey,
    Integer,
    String,
    Text,
    Time,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum, utcnow
from .pay import AgeBand
from .suggestions import SuggestionOrigin

if TYPE_CHECKING:
    from .candidates import Candidate, Request
    from .employers import Employer, Site
    from .reference import Commune, Metier
    from .users import User

__all__ = [
    "MAX_DISCOVERY_DAYS",
    "MATCH_SUBJECT",
    "DiscoveryDayStatus",
    "DiscoveryWishStatus",
    "DiscoveryMatchStatus",
    "DiscoveryDay",
    "DiscoveryWish",
    "DiscoveryMatch",
]

#: A discovery match as the subject of questionnaires and audit lines.
MATCH_SUBJECT = "discovery_match"
#: A discovery lasts one to five days (the issue's words), first and last included.
MAX_DISCOVERY_DAYS = 5


class DiscoveryDayStatus(enum.StrEnum):
    """Whether a structure's discovery days take people: open, closed by it, or cancelled."""

    OPEN = "open"
    CLOSED = "closed"
    CANCELLED = "cancelled"


class DiscoveryWishStatus(enum.StrEnum):
    """Whether a person still asks for a discovery."""

    ACTIVE = "active"
    CLOSED = "closed"


class DiscoveryMatchStatus(enum.StrEnum):
    """Review by a coordinator, then the days themselves."""

    PROPOSED = "proposed"
    REJECTED = "rejected"
    PLANNED = "planned"
    DONE = "done"
    CANCELLED = "cancelled"


class DiscoveryDay(Base):
    """One to five discovery days a structure opens on one of its sites, for one métier."""

    __tablename__ = "discovery_days"
    __table_args__ = (
        CheckConstraint("ends_on >= starts_on", name="dates_in_order"),
        CheckConstraint("places >= 1", name="places_positive"),
        CheckConstraint("places_taken >= 0 AND places_taken <= places", name="places_taken_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(
        ForeignKey("employers.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id", ondelete="CASCADE"), index=True)
    metier_code: Mapped[str] = mapped_column(ForeignKey("metiers.code"), index=True)
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date] = mapped_column(Date)
    places: Mapped[int] = mapped_column(Integer, default=1)
    #: The planned discoveries (guarded counter: never above ``places``).
    places_taken: Mapped[int] = mapped_column(Integer, default=0)
    #: Who welcomes: a name and a role, no more (a staff member of the structure).
    host_name: Mapped[str] = mapped_column(String(200))
    host_role: Mapped[str | None] = mapped_column(String(200))
    meeting_time: Mapped[time | None] = mapped_column(Time)
    meeting_place: Mapped[str | None] = mapped_column(String(300))
    what_to_bring: Mapped[str | None] = mapped_column(String(1000))
    notes: Mapped[str | None] = mapped_column(String(2000))
    status: Mapped[DiscoveryDayStatus] = mapped_column(
        str_enum(DiscoveryDayStatus, "discovery_day_status"), default=DiscoveryDayStatus.OPEN
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    employer: Mapped[Employer] = relationship()
    site: Mapped[Site] = relationship()
    metier: Mapped[Metier] = relationship()

    @property
    def places_left(self) -> int:
        """The places not planned yet."""
        return max(0, self.places - self.places_taken)

    @property
    def length_days(self) -> int:
        """How many days, first and last included."""
        return (self.ends_on - self.starts_on).days + 1

    def __repr__(self) -> str:
        return f"<DiscoveryDay {self.id} {self.metier_code} {self.starts_on}>"


class DiscoveryWish(Base):
    """A person's ask for a discovery: métier, where from and how far, when free, age band."""

    __tablename__ = "discovery_wishes"
    __table_args__ = (
        CheckConstraint("free_until >= free_from", name="dates_in_order"),
        CheckConstraint("max_distance_km BETWEEN 1 AND 300", name="max_distance_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    candidate_id: Mapped[int] = mapped_column(
        ForeignKey("candidates.id", ondelete="CASCADE"), index=True
    )
    #: The request it was asked from, or the one it turned into (None: asked without one).
    request_id: Mapped[int | None] = mapped_column(
        ForeignKey("requests.id", ondelete="SET NULL"), index=True
    )
    metier_code: Mapped[str] = mapped_column(ForeignKey("metiers.code"), index=True)
    commune_insee: Mapped[str] = mapped_column(ForeignKey("communes.insee"))
    max_distance_km: Mapped[int] = mapped_column(Integer, default=30)
    free_from: Mapped[date] = mapped_column(Date)
    free_until: Mapped[date] = mapped_column(Date)
    age_band: Mapped[AgeBand] = mapped_column(str_enum(AgeBand, "discovery_age_band"))
    status: Mapped[DiscoveryWishStatus] = mapped_column(
        str_enum(DiscoveryWishStatus, "discovery_wish_status"), default=DiscoveryWishStatus.ACTIVE
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    candidate: Mapped[Candidate] = relationship()
    request: Mapped[Request | None] = relationship()
    metier: Mapped[Metier] = relationship()
    commune: Mapped[Commune] = relationship()

    def __repr__(self) -> str:
        return f"<DiscoveryWish {self.id} {self.metier_code} {self.status}>"


class DiscoveryMatch(Base):
    """A wish and a day put together, scored and explained, and its life."""

    __tablename__ = "discovery_matches"
    __table_args__ = (
        UniqueConstraint("wish_id", "day_id"),
        CheckConstraint("score >= 0 AND score <= 1", name="score_range"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    wish_id: Mapped[int] = mapped_column(
        ForeignKey("discovery_wishes.id", ondelete="CASCADE"), index=True
    )
    day_id: Mapped[int] = mapped_column(
        ForeignKey("discovery_days.id", ondelete="CASCADE"), index=True
    )
    score: Mapped[float] = mapped_column(Float)
    distance_km: Mapped[float | None] = mapped_column(Float)
    criteria: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    engine_version: Mapped[str] = mapped_column(String(32))
    origin: Mapped[SuggestionOrigin] = mapped_column(
        str_enum(SuggestionOrigin, "discovery_origin"), default=SuggestionOrigin.ENGINE
    )
    status: Mapped[DiscoveryMatchStatus] = mapped_column(
        str_enum(DiscoveryMatchStatus, "discovery_match_status"),
        default=DiscoveryMatchStatus.PROPOSED,
        index=True,
    )
    #: True once the engine no longer proposes an unreviewed match (the day or the wish changed).
    stale: Mapped[bool] = mapped_column(default=False)
    #: Why it was rejected or cancelled (typed by a person: may name the candidate).
    reason: Mapped[str | None] = mapped_column(Text)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    status_changed_at: Mapped[datetime] = mapped_column(default=utcnow)
    status_changed_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL")
    )

    wish: Mapped[DiscoveryWish] = relationship()
    day: Mapped[DiscoveryDay] = relationship()
    status_changed_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<DiscoveryMatch {self.id} w{self.wish_id} d{self.day_id} {self.status}>"
