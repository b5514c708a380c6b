"""Employers (ESMS), their sites and apprenticeship offers (a site's housing: :mod:`.housing`)."""

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
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum, utcnow
from .reference import MAX_DIPLOMA_CODE, Commune, Metier

if TYPE_CHECKING:
    from .housing import HousingResource
    from .masters import ApprenticeshipMaster
    from .training import TrainingCentre
    from .users import User

__all__ = [
    "StructureKind",
    "ContractKind",
    "OfferStatus",
    "HELD_OFFER_STATUSES",
    "StructureCheck",
    "Employer",
    "Site",
    "Offer",
    "OPEN_OFFER",
    "JoinRequestStatus",
    "StructureJoinRequest",
]


class StructureKind(enum.StrEnum):
    """Kinds of social and medico-social structures (ESMS) and their groups."""

    EHPAD = "ehpad"
    RESIDENCE_AUTONOMIE = "residence_autonomie"
    IME = "ime"
    ITEP = "itep"
    MAS = "mas"
    FAM = "fam"
    FOYER_HEBERGEMENT = "foyer_hebergement"
    FOYER_VIE = "foyer_vie"
    ESAT = "esat"
    SESSAD = "sessad"
    MECS = "mecs"
    CRECHE = "creche"
    SAAD = "saad"
    SSIAD = "ssiad"
    CHRS = "chrs"
    SERVICE_SOCIAL = "service_social"
    HOPITAL = "hopital"
    GROUPE = "groupe"
    AUTRE = "autre"


class ContractKind(enum.StrEnum):
    """Work-study contracts."""

    APPRENTISSAGE = "apprentissage"
    PROFESSIONNALISATION = "professionnalisation"


class OfferStatus(enum.StrEnum):
    """Life cycle of an offer: draft -> published -> filled | closed | expired.

    Moderation holds an offer back without ending it: ``pending_check`` (its employer published
    it, its structure waits for a coordinator's check), ``suspended`` (its structure is
    suspended), ``withdrawn`` (a coordinator unpublished this offer). Only ``published`` is
    offered to candidates (:data:`OPEN_OFFER`).
    """

    DRAFT = "draft"
    PUBLISHED = "published"
    FILLED = "filled"
    CLOSED = "closed"
    EXPIRED = "expired"
    PENDING_CHECK = "pending_check"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"


#: Offers moderation holds back: published by their employer, not offered to candidates.
HELD_OFFER_STATUSES = frozenset(
    {OfferStatus.PENDING_CHECK, OfferStatus.SUSPENDED, OfferStatus.WITHDRAWN}
)


class StructureCheck(enum.StrEnum):
    """Where a structure stands with the coordination: to check -> checked <-> suspended."""

    TO_CHECK = "to_check"
    CHECKED = "checked"
    SUSPENDED = "suspended"


class Employer(Base):
    """An ESMS, or a group of them, that takes apprentices."""

    __tablename__ = "employers"

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    siret: Mapped[str] = mapped_column(String(14), unique=True)
    kind: Mapped[StructureKind] = mapped_column(str_enum(StructureKind, "structure_kind"))
    contact_name: Mapped[str] = mapped_column(String(200))
    contact_email: Mapped[str] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # A structure nobody checked yet is to check: a sign-up starts so (data.operations.moderation).
    check_status: Mapped[StructureCheck] = mapped_column(
        str_enum(StructureCheck, "structure_check"), default=StructureCheck.TO_CHECK, index=True
    )
    checked_at: Mapped[datetime | None]
    # users.employer_id points back here: ``use_alter`` keeps the tables' order sortable.
    checked_by_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL", use_alter=True)
    )
    #: Why the structure is suspended (shown to its people), None unless suspended.
    suspended_reason: Mapped[str | None] = mapped_column(String(1000))

    sites: Mapped[list[Site]] = relationship(
        back_populates="employer", cascade="all, delete-orphan", order_by="Site.id"
    )
    #: The housing the structure manages (on its sites or elsewhere; issue 17).
    housing_resources: Mapped[list[HousingResource]] = relationship(
        back_populates="employer",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="HousingResource.id",
    )
    #: Its maîtres d'apprentissage (issue 19).
    masters: Mapped[list[ApprenticeshipMaster]] = relationship(
        back_populates="employer",
        cascade="all, delete-orphan",
        passive_deletes=True,
        order_by="ApprenticeshipMaster.name",
    )
    #: The training centres the structure works with (issue 16).
    training_centres: Mapped[list[TrainingCentre]] = relationship(
        secondary="employer_training_centres", order_by="TrainingCentre.name"
    )

    def __repr__(self) -> str:
        return f"<Employer {self.id} {self.name!r}>"


class Site(Base):
    """A place where apprentices work: an establishment or service of an employer."""

    __tablename__ = "sites"

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(
        ForeignKey("employers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    commune_insee: Mapped[str] = mapped_column(ForeignKey("communes.insee"), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    employer: Mapped[Employer] = relationship(back_populates="sites")
    commune: Mapped[Commune] = relationship()
    #: The housing on this site (resources of the structure with ``site_id`` set).
    housings: Mapped[list[HousingResource]] = relationship(
        back_populates="site", cascade="all, delete-orphan", order_by="HousingResource.id"
    )
    offers: Mapped[list[Offer]] = relationship(back_populates="site")

    @property
    def housing_beds(self) -> int:
        """Beds this site can offer in all."""
        return sum(h.beds for h in self.housings)


class Offer(Base):
    """An apprenticeship slot: so many places for one métier at one site."""

    __tablename__ = "offers"
    __table_args__ = (
        CheckConstraint("places >= 1", name="places_positive"),
        CheckConstraint(
            "places_filled >= 0 AND places_filled <= places", name="places_filled_range"
        ),
        CheckConstraint("housing_beds >= 0", name="housing_beds_non_negative"),
        CheckConstraint(
            "duration_months IS NULL OR duration_months BETWEEN 6 AND 48", name="duration_range"
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    site_id: Mapped[int] = mapped_column(ForeignKey("sites.id"), index=True)
    metier_code: Mapped[str] = mapped_column(ForeignKey("metiers.code"), index=True)
    diploma: Mapped[str] = mapped_column(String(MAX_DIPLOMA_CODE))
    contract: Mapped[ContractKind] = mapped_column(str_enum(ContractKind, "contract_kind"))
    places: Mapped[int] = mapped_column(Integer, default=1)
    places_filled: Mapped[int] = mapped_column(Integer, default=0)
    start_date: Mapped[date | None] = mapped_column(Date)
    duration_months: Mapped[int | None] = mapped_column(Integer)
    housing_beds: Mapped[int] = mapped_column(Integer, default=0)
    licence_required: Mapped[bool] = mapped_column(Boolean, default=False)
    night_work: Mapped[bool] = mapped_column(Boolean, default=False)
    weekend_work: Mapped[bool] = mapped_column(Boolean, default=False)
    tutor_name: Mapped[str | None] = mapped_column(String(200))
    tutor_role: Mapped[str | None] = mapped_column(String(200))
    description: Mapped[str] = mapped_column(Text, default="")
    status: Mapped[OfferStatus] = mapped_column(
        str_enum(OfferStatus, "offer_status"), default=OfferStatus.DRAFT, index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)
    # When its suggestions were last re-matched on their own (data.incremental); a change after
    # it waits for the re-matching job.
    rematched_at: Mapped[datetime | None]
    published_at: Mapped[datetime | None]
    closed_at: Mapped[datetime | None]

    site: Mapped[Site] = relationship(back_populates="offers")
    metier: Mapped[Metier] = relationship()

    # The person of the structure its mails go to (issue 15, team); none: the structure's people.
    # A removed colleague's offers fall back to none (data.operations.team.remove_colleague).
    contact_user_id: Mapped[int | None] = mapped_column(
        ForeignKey("users.id", ondelete="SET NULL"), index=True
    )
    contact_user: Mapped[User | None] = relationship(foreign_keys=[contact_user_id])

    # The training centre the employer trains this offer's apprentice with (issue 16); none:
    # the engine picks the best one within reach.
    partner_centre_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_centres.id", ondelete="SET NULL"), index=True
    )
    partner_centre: Mapped[TrainingCentre | None] = relationship()

    # The offer's maître d'apprentissage, one of its structure's (issue 19); none: not named
    # yet (the engine then knows no limit of theirs).
    master_id: Mapped[int | None] = mapped_column(
        ForeignKey("apprenticeship_masters.id", ondelete="SET NULL"), index=True
    )
    master: Mapped[ApprenticeshipMaster | None] = relationship()

    @property
    def places_left(self) -> int:
        """Places not yet filled."""
        return self.places - self.places_filled

    @property
    def is_open(self) -> bool:
        """Tell whether it is offered to candidates: published, a place left (SQL: OPEN_OFFER)."""
        return self.status == OfferStatus.PUBLISHED and self.places_left > 0

    def __repr__(self) -> str:
        return f"<Offer {self.id} {self.metier_code} {self.status}>"


class JoinRequestStatus(enum.StrEnum):
    """Life cycle of a request to join a registered structure: pending -> accepted | refused."""

    PENDING = "pending"
    ACCEPTED = "accepted"
    REFUSED = "refused"


class StructureJoinRequest(Base):
    """Someone who signed up with the SIRET of a registered structure and asks to join it.

    Only what the reviewers need to recognise the person is kept (name, address, phone, message);
    a refused request is deleted after ``data.operations.employers.REFUSED_KEPT_DAYS``.
    """

    __tablename__ = "structure_join_requests"

    id: Mapped[int] = mapped_column(primary_key=True)
    employer_id: Mapped[int] = mapped_column(
        ForeignKey("employers.id", ondelete="CASCADE"), index=True
    )
    name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(32))
    message: Mapped[str | None] = mapped_column(String(1000))
    status: Mapped[JoinRequestStatus] = mapped_column(
        str_enum(JoinRequestStatus, "join_request_status"),
        default=JoinRequestStatus.PENDING,
        index=True,
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_at: Mapped[datetime | None]
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    employer: Mapped[Employer] = relationship()


#: The SQL twin of :attr:`Offer.is_open`: a published offer with a place left, the only kind
#: the public lists, the engine and the review queue offer to candidates.
#:
#: Moderation keeps this one rule: a structure's state (to check, suspended) is not folded in
#: here but into its offers' status (``pending_check``, ``suspended``, ``withdrawn``; see
#: :mod:`data.operations.moderation`). Many callers test ``status == PUBLISHED`` without this
#: tuple (the digests, reminders, the weekly summary, the engine's ``_still_open``, a contract's
#: place) and several run it without joining the site and the employer; a held offer is simply
#: not ``published``, so every one of them stays right, and the employer reads on the offer
#: itself why it is not shown.
OPEN_OFFER = (Offer.status == OfferStatus.PUBLISHED, Offer.places_filled < Offer.places)
