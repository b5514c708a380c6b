"""Housing for apprentices (issue 17): the resources, their availability, who manages them.

A :class:`HousingResource` is so many beds of one kind at one place: rooms or studios of an
establishment, a foyer de jeunes travailleurs, the boarding of a training centre, a student
residence, a room at someone's home, a social landlord's reserved flats... Exactly one manager
answers for it: a structure (``employer_id``), a training centre (``centre_id``) or a partner
organisation named in full (``partner_name``). A resource of a structure may stand on one of its
sites (``site_id``): its beds are then the site's, those an offer of the site reserves
(``Offer.housing_beds``). ``beds_taken`` counts the beds already let; the free beds are the rest.
No resource ships as reference data: structures declare theirs, coordinators those of partners,
and the demo adds a few whose names say they are demo.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import JSON, Boolean, CheckConstraint, Date, ForeignKey, Integer, String
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum, utcnow
from .reference import Commune

if TYPE_CHECKING:
    from .employers import Employer, Site
    from .training import TrainingCentre

__all__ = [
    "HousingAid",
    "HousingKind",
    "HousingPeriod",
    "HousingResource",
    "HousingSource",
    "MAX_HOUSING_BEDS",
    "SITE_HOUSING_KINDS",
]

#: The most beds one resource may declare (a large residence; beyond, a typing slip).
MAX_HOUSING_BEDS = 500


class HousingKind(enum.StrEnum):
    """Kinds of housing for apprentices; the engine's ``HOUSING_KINDS`` are these values."""

    ESMS_ROOM = "esms_room"
    FJT = "fjt"
    BOARDING = "boarding"
    STUDENT_RESIDENCE = "student_residence"
    HOST_FAMILY = "host_family"
    INTERGENERATIONAL = "intergenerational"
    SOCIAL_LANDLORD = "social_landlord"
    OTHER = "other"


#: The kinds a site's form offers (the housing a structure arranges for its own apprentices).
SITE_HOUSING_KINDS = (
    HousingKind.ESMS_ROOM,
    HousingKind.FJT,
    HousingKind.HOST_FAMILY,
    HousingKind.OTHER,
)


class HousingSource(enum.StrEnum):
    """Where the engine houses a pair's candidate: the offer's own beds, or a resource near it."""

    OFFER = "offer"
    RESOURCE = "resource"


class HousingAid(enum.StrEnum):
    """Aids that may lower an apprentice's rent or deposit."""

    APL = "apl"
    MOBILI_JEUNE = "mobili_jeune"
    VISALE = "visale"
    LOCA_PASS = "loca_pass"
    OTHER = "other"


class HousingResource(Base):
    """So many beds of one kind at one place, managed by a structure, a centre or a partner."""

    __tablename__ = "housing_resources"
    __table_args__ = (
        CheckConstraint("beds >= 0", name="beds_non_negative"),
        CheckConstraint("beds_taken >= 0 AND beds_taken <= beds", name="beds_taken_range"),
        CheckConstraint(
            "monthly_cost_eur IS NULL OR monthly_cost_eur >= 0", name="cost_non_negative"
        ),
        CheckConstraint(
            "(CASE WHEN employer_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN centre_id IS NULL THEN 0 ELSE 1 END)"
            " + (CASE WHEN partner_name IS NULL THEN 0 ELSE 1 END) = 1",
            name="one_manager",
        ),
        CheckConstraint("site_id IS NULL OR employer_id IS NOT NULL", name="site_of_employer"),
        CheckConstraint(
            "min_age IS NULL OR max_age IS NULL OR min_age <= max_age", name="age_range"
        ),
        CheckConstraint(
            "min_stay_months IS NULL OR max_stay_months IS NULL"
            " OR min_stay_months <= max_stay_months",
            name="stay_range",
        ),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    kind: Mapped[HousingKind] = mapped_column(str_enum(HousingKind, "housing_resource_kind"))
    employer_id: Mapped[int | None] = mapped_column(
        ForeignKey("employers.id", ondelete="CASCADE"), index=True
    )
    site_id: Mapped[int | None] = mapped_column(
        ForeignKey("sites.id", ondelete="CASCADE"), index=True
    )
    centre_id: Mapped[int | None] = mapped_column(
        ForeignKey("training_centres.id", ondelete="CASCADE"), index=True
    )
    partner_name: Mapped[str | None] = mapped_column(String(200))
    commune_insee: Mapped[str] = mapped_column(ForeignKey("communes.insee"), index=True)
    address: Mapped[str | None] = mapped_column(String(300))
    beds: Mapped[int] = mapped_column(Integer)
    beds_taken: Mapped[int] = mapped_column(Integer, default=0)
    monthly_cost_eur: Mapped[int | None] = mapped_column(Integer)
    cost_includes: Mapped[str | None] = mapped_column(String(300))
    #: Codes of :class:`HousingAid`, in that order.
    aids: Mapped[list[str]] = mapped_column(JSON, default=list)
    min_age: Mapped[int | None] = mapped_column(Integer)
    max_age: Mapped[int | None] = mapped_column(Integer)
    apprentices_only: Mapped[bool] = mapped_column(Boolean, default=False)
    min_stay_months: Mapped[int | None] = mapped_column(Integer)
    max_stay_months: Mapped[int | None] = mapped_column(Integer)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    notes: Mapped[str | None] = mapped_column(String(500))
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow, onupdate=utcnow)

    commune: Mapped[Commune] = relationship()
    employer: Mapped[Employer | None] = relationship(back_populates="housing_resources")
    site: Mapped[Site | None] = relationship(back_populates="housings")
    centre: Mapped[TrainingCentre | None] = relationship()
    periods: Mapped[list[HousingPeriod]] = relationship(
        back_populates="resource",
        cascade="all, delete-orphan",
        order_by="HousingPeriod.starts_on",
    )

    @property
    def beds_free(self) -> int:
        """The beds not let yet."""
        return max(0, self.beds - self.beds_taken)

    def __repr__(self) -> str:
        return f"<HousingResource {self.id} {self.name!r}>"


class HousingPeriod(Base):
    """A period when a resource takes apprentices in (``ends_on`` None: open-ended)."""

    __tablename__ = "housing_periods"
    __table_args__ = (
        CheckConstraint("ends_on IS NULL OR ends_on >= starts_on", name="period_order"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("housing_resources.id", ondelete="CASCADE"), index=True
    )
    starts_on: Mapped[date] = mapped_column(Date)
    ends_on: Mapped[date | None] = mapped_column(Date)

    resource: Mapped[HousingResource] = relationship(back_populates="periods")
