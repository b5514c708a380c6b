"""Training centres of the sector, the programmes they run and their sessions (issue 16).

An apprenticeship is three places: the candidate's home, the employer and a training centre that
prepares the offer's diploma by apprenticeship, with an intake close to the contract's start. No
centre ships as reference data: coordinators create them (pages, API, CSV import), and the demo
adds a few whose names say they are demo.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Boolean,
    CheckConstraint,
    Column,
    Date,
    ForeignKey,
    Integer,
    String,
    Table,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, UTCDateTime, str_enum, utcnow
from .reference import Commune, Metier

__all__ = [
    "CentreKind",
    "TransitAccess",
    "TrainingCentre",
    "TrainingProgramme",
    "TrainingSession",
    "employer_training_centres",
]


class CentreKind(enum.StrEnum):
    """Kinds of training centres of the sector."""

    IFAS_IFSI = "ifas_ifsi"
    TRAVAIL_SOCIAL = "travail_social"
    GRETA = "greta"
    AFPA = "afpa"
    CFA = "cfa"
    PRIVE = "prive"
    AUTRE = "autre"


class TransitAccess(enum.StrEnum):
    """Whether a place can be reached by public transport: yes, no, or nobody said."""

    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


#: The centres an employer works with (the employer's side of "where its apprentices train").
employer_training_centres = Table(
    "employer_training_centres",
    Base.metadata,
    Column(
        "employer_id",
        ForeignKey("employers.id", ondelete="CASCADE"),
        primary_key=True,
    ),
    Column(
        "centre_id",
        ForeignKey("training_centres.id", ondelete="CASCADE"),
        primary_key=True,
        index=True,
    ),
    Column("created_at", UTCDateTime(), nullable=False, default=utcnow),
)


class TrainingCentre(Base):
    """A training centre: an IFAS, a school of social work, a GRETA... at one commune."""

    __tablename__ = "training_centres"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200), index=True)
    kind: Mapped[CentreKind] = mapped_column(str_enum(CentreKind, "centre_kind"))
    commune_insee: Mapped[str] = mapped_column(ForeignKey("communes.insee"), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    website: Mapped[str | None] = mapped_column(String(300))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    public_transport: Mapped[TransitAccess] = mapped_column(
        str_enum(TransitAccess, "transit_access"), default=TransitAccess.UNKNOWN
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    commune: Mapped[Commune] = relationship()
    programmes: Mapped[list[TrainingProgramme]] = relationship(
        back_populates="centre",
        cascade="all, delete-orphan",
        order_by="TrainingProgramme.id",
    )

    def __repr__(self) -> str:
        return f"<TrainingCentre {self.id} {self.name!r}>"


class TrainingProgramme(Base):
    """A programme of a centre: one métier's diploma, by apprenticeship or not, its rhythm."""

    __tablename__ = "training_programmes"
    __table_args__ = (
        CheckConstraint(
            "duration_months IS NULL OR duration_months BETWEEN 1 AND 60",
            name="duration_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    centre_id: Mapped[int] = mapped_column(
        ForeignKey("training_centres.id", ondelete="CASCADE"), index=True
    )
    metier_code: Mapped[str] = mapped_column(ForeignKey("metiers.code"), index=True)
    # As the centre names it (« DEAS », « Diplôme d'État d'éducateur spécialisé »).
    diploma: Mapped[str | None] = mapped_column(String(200))
    by_apprenticeship: Mapped[bool] = mapped_column(Boolean, default=True)
    duration_months: Mapped[int | None] = mapped_column(Integer)
    # « 1 semaine en centre / 3 semaines en structure »
    rhythm: Mapped[str | None] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    centre: Mapped[TrainingCentre] = relationship(back_populates="programmes")
    metier: Mapped[Metier] = relationship()
    sessions: Mapped[list[TrainingSession]] = relationship(
        back_populates="programme",
        cascade="all, delete-orphan",
        order_by="(TrainingSession.start_date, TrainingSession.id)",
    )

    def __repr__(self) -> str:
        return f"<TrainingProgramme {self.id} {self.metier_code}>"


class TrainingSession(Base):
    """An intake of a programme: its dates, its places by apprenticeship, how to apply."""

    __tablename__ = "training_sessions"
    __table_args__ = (
        CheckConstraint("end_date IS NULL OR end_date >= start_date", name="end_after_start"),
        CheckConstraint(
            "apprenticeship_places IS NULL OR apprenticeship_places >= 0",
            name="places_non_negative",
        ),
        CheckConstraint(
            "applications_open_on IS NULL OR application_deadline IS NULL "
            "OR application_deadline >= applications_open_on",
            name="deadline_after_opening",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    programme_id: Mapped[int] = mapped_column(
        ForeignKey("training_programmes.id", ondelete="CASCADE"), index=True
    )
    start_date: Mapped[date] = mapped_column(Date, index=True)
    end_date: Mapped[date | None] = mapped_column(Date)
    apprenticeship_places: Mapped[int | None] = mapped_column(Integer)
    applications_open_on: Mapped[date | None] = mapped_column(Date)
    application_deadline: Mapped[date | None] = mapped_column(Date, index=True)
    # « écrit le 12 mars 2027, oral en avril »: as the centre announces them.
    selection_dates: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    programme: Mapped[TrainingProgramme] = relationship(back_populates="sessions")

    def applications_open(self, today: date) -> bool:
        """Tell whether one may apply on ``today``: opened (or no opening date), not past."""
        if self.applications_open_on is not None and today < self.applications_open_on:
            return False
        if self.application_deadline is not None:
            return today <= self.application_deadline
        return today < self.start_date

    def __repr__(self) -> str:
        return f"<TrainingSession {self.id} {self.start_date}>"
