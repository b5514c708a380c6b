"""The housing survey (issue 17, « recenser »): campaigns asking structures whether they can house
an apprentice, one invitation per structure, the answer given through a link without sign-in.

A :class:`HousingSurvey` is one campaign: its message, the filter that chose the structures, when
it was sent and when it closes. A :class:`HousingSurveyInvite` is one structure asked (unique per
campaign): the address the mail went to, the reminders, and the answer, editable until the
campaign closes. Each mail (the invitation, every reminder) carries a link of its own; only the
SHA-256 of each link's token is stored (:class:`HousingSurveyLink`), as for sign-in links.
An answer « oui » with beds feeds the inventory: one unpublished :class:`HousingResource` of the
structure (``resource_id``) that the coordination checks before publishing it.
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING, Any

from sqlalchemy import (
    JSON,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum, utcnow
from .housing import HousingKind

if TYPE_CHECKING:
    from .employers import Employer, Site
    from .housing import HousingResource
    from .reference import Commune

__all__ = ["HousingAnswer", "HousingSurvey", "HousingSurveyInvite", "HousingSurveyLink"]


class HousingAnswer(enum.StrEnum):
    """A structure's answer to « Pouvez-vous loger un apprenti ? »."""

    YES = "yes"
    NO = "no"
    MAYBE = "maybe"


class HousingSurvey(Base):
    """One campaign of the housing survey: what it asks, whom (the filter), when."""

    __tablename__ = "housing_surveys"

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    message: Mapped[str | None] = mapped_column(String(2000))
    #: The filter that chose the structures: {"kinds": [...], "communes": [...],
    #: "departements": [...], "without_housing": bool}; empty: every structure.
    filters: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    sent_at: Mapped[datetime | None]
    #: The last day answers are taken (included, in France); None: until closed by hand.
    closes_on: Mapped[date | None] = mapped_column(Date)
    closed_at: Mapped[datetime | None]
    #: Reminder rounds sent: a round is one click on « Relancer » (a second click is no round).
    reminder_rounds: Mapped[int] = mapped_column(Integer, default=0)

    invites: Mapped[list[HousingSurveyInvite]] = relationship(
        back_populates="survey", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<HousingSurvey {self.id} {self.title!r}>"


class HousingSurveyInvite(Base):
    """One structure asked by one campaign, and its answer (editable until the campaign closes)."""

    __tablename__ = "housing_survey_invites"
    __table_args__ = (
        UniqueConstraint("survey_id", "employer_id"),
        CheckConstraint("beds IS NULL OR beds >= 0", name="beds_non_negative"),
        CheckConstraint(
            "monthly_cost_eur IS NULL OR monthly_cost_eur >= 0", name="cost_non_negative"
        ),
        CheckConstraint("reminders >= 0", name="reminders_non_negative"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    survey_id: Mapped[int] = mapped_column(
        ForeignKey("housing_surveys.id", ondelete="CASCADE"), index=True
    )
    employer_id: Mapped[int] = mapped_column(
        ForeignKey("employers.id", ondelete="CASCADE"), index=True
    )
    recipient: Mapped[str] = mapped_column(String(254))
    sent_at: Mapped[datetime] = mapped_column(default=utcnow)
    reminded_at: Mapped[datetime | None]
    reminders: Mapped[int] = mapped_column(Integer, default=0)
    answered_at: Mapped[datetime | None]
    updated_at: Mapped[datetime | None]
    answer: Mapped[HousingAnswer | None] = mapped_column(str_enum(HousingAnswer, "housing_answer"))
    kind: Mapped[HousingKind | None] = mapped_column(str_enum(HousingKind, "housing_survey_kind"))
    beds: Mapped[int | None] = mapped_column(Integer)
    monthly_cost_eur: Mapped[int | None] = mapped_column(Integer)
    commune_insee: Mapped[str | None] = mapped_column(ForeignKey("communes.insee"))
    site_id: Mapped[int | None] = mapped_column(ForeignKey("sites.id", ondelete="SET NULL"))
    notes: Mapped[str | None] = mapped_column(String(1000))
    contact_name: Mapped[str | None] = mapped_column(String(200))
    contact_email: Mapped[str | None] = mapped_column(String(254))
    contact_phone: Mapped[str | None] = mapped_column(String(32))
    #: The unpublished resource an answer « oui » made (None once the inventory deleted it).
    resource_id: Mapped[int | None] = mapped_column(
        ForeignKey("housing_resources.id", ondelete="SET NULL")
    )

    survey: Mapped[HousingSurvey] = relationship(back_populates="invites")
    employer: Mapped[Employer] = relationship()
    commune: Mapped[Commune | None] = relationship()
    site: Mapped[Site | None] = relationship()
    resource: Mapped[HousingResource | None] = relationship()
    links: Mapped[list[HousingSurveyLink]] = relationship(
        back_populates="invite", cascade="all, delete-orphan", passive_deletes=True
    )

    def __repr__(self) -> str:
        return f"<HousingSurveyInvite {self.id} survey={self.survey_id} {self.answer}>"


class HousingSurveyLink(Base):
    """The SHA-256 of one mailed link's token (the invitation's, or a reminder's)."""

    __tablename__ = "housing_survey_links"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    invite_id: Mapped[int] = mapped_column(
        ForeignKey("housing_survey_invites.id", ondelete="CASCADE"), index=True
    )
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    invite: Mapped[HousingSurveyInvite] = relationship(back_populates="links")
