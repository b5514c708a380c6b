"""The welcome kit of a signed pair (issue 19): the structure's checklist with due dates and the
apprentice's booklet, from templates coordinators edit (every version kept, restorable).

A :class:`KitTemplate` is one section of the booklet or one item of the checklist; an item's due
date is counted from the contract's start (its phase, an offset in days, or a legal rule that gives
the offset). A :class:`WelcomeKit` belongs to one pair and snapshots the checklist as
:class:`WelcomeKitItem` rows (label, phase, due date), ticked by the structure.
"""

from __future__ import annotations

import enum
from datetime import date, datetime

from sqlalchemy import (
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum, utcnow
from .legal import RuleKey
from .suggestions import Suggestion
from .users import User

__all__ = [
    "MAX_KIT_BODY",
    "MAX_KIT_TITLE",
    "KitPhase",
    "KitPart",
    "KitTemplate",
    "KitTemplateVersion",
    "WelcomeKit",
    "WelcomeKitItem",
    "KitItemNudge",
]

#: The longest text of a template (characters of Markdown) and of its title.
MAX_KIT_BODY = 8_000
MAX_KIT_TITLE = 200


class KitPhase(enum.StrEnum):
    """When a checklist item falls, in the order of the apprenticeship's first year."""

    BEFORE_ARRIVAL = "before_arrival"
    FIRST_DAY = "first_day"
    FIRST_WEEK = "first_week"
    FIRST_MONTH = "first_month"
    BEFORE_CENTRE = "before_centre"
    DAY_45 = "day_45"
    MID_YEAR = "mid_year"


class KitPart(enum.StrEnum):
    """What a template is: a section of the apprentice's booklet or an item of the checklist."""

    BOOKLET = "booklet"
    CHECKLIST = "checklist"


class KitTemplate(Base):
    """The current text of one booklet section or checklist item, with its due date rule."""

    __tablename__ = "kit_templates"

    id: Mapped[int] = mapped_column(primary_key=True)
    key: Mapped[str] = mapped_column(String(64), unique=True)
    part: Mapped[KitPart] = mapped_column(str_enum(KitPart, "kit_part"))
    position: Mapped[int] = mapped_column(Integer, default=0)
    title: Mapped[str] = mapped_column(String(MAX_KIT_TITLE))
    body: Mapped[str] = mapped_column(Text, default="")
    # Checklist items only: the phase, and the offset in days from the start (negative: before),
    # or the legal rule giving it (then the offset is ignored).
    phase: Mapped[KitPhase | None] = mapped_column(str_enum(KitPhase, "kit_phase"))
    offset_days: Mapped[int | None] = mapped_column(Integer)
    rule_key: Mapped[RuleKey | None] = mapped_column(str_enum(RuleKey, "kit_rule_key"))
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None: the shipped seed text, or an author whose account was erased.
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    updated_by: Mapped[User | None] = relationship()
    versions: Mapped[list[KitTemplateVersion]] = relationship(
        back_populates="template",
        cascade="all, delete-orphan",
        order_by="KitTemplateVersion.id.desc()",
    )

    def __repr__(self) -> str:
        return f"<KitTemplate {self.key}>"


class KitTemplateVersion(Base):
    """One saved state of a template: each edit, seed or restore adds one, none is changed."""

    __tablename__ = "kit_template_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    template_id: Mapped[int] = mapped_column(
        ForeignKey("kit_templates.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(MAX_KIT_TITLE))
    body: Mapped[str] = mapped_column(Text, default="")
    phase: Mapped[KitPhase | None] = mapped_column(str_enum(KitPhase, "kit_phase"))
    offset_days: Mapped[int | None] = mapped_column(Integer)
    rule_key: Mapped[RuleKey | None] = mapped_column(str_enum(RuleKey, "kit_rule_key"))
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    restored_from_id: Mapped[int | None] = mapped_column(Integer)

    template: Mapped[KitTemplate] = relationship(back_populates="versions")
    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<KitTemplateVersion {self.id} of {self.template_id}>"


class WelcomeKit(Base):
    """The welcome kit of one pair: built once, at the signature or when it is planned."""

    __tablename__ = "welcome_kits"

    id: Mapped[int] = mapped_column(primary_key=True)
    suggestion_id: Mapped[int] = mapped_column(
        ForeignKey("suggestions.id", ondelete="CASCADE"), unique=True
    )
    #: The contract's start the due dates count from (None until known).
    start_on: Mapped[date | None] = mapped_column(Date)
    #: Built before the signature, when a coordinator marked it as planned.
    planned: Mapped[bool] = mapped_column(default=False)
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    suggestion: Mapped[Suggestion] = relationship()
    items: Mapped[list[WelcomeKitItem]] = relationship(
        back_populates="kit",
        cascade="all, delete-orphan",
        order_by="(WelcomeKitItem.position, WelcomeKitItem.id)",
    )

    def __repr__(self) -> str:
        return f"<WelcomeKit {self.id} of pair {self.suggestion_id}>"


class WelcomeKitItem(Base):
    """One item of a pair's checklist, as the template read when the kit was built."""

    __tablename__ = "welcome_kit_items"
    __table_args__ = (UniqueConstraint("kit_id", "template_key"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    kit_id: Mapped[int] = mapped_column(
        ForeignKey("welcome_kits.id", ondelete="CASCADE"), index=True
    )
    template_key: Mapped[str] = mapped_column(String(64))
    position: Mapped[int] = mapped_column(Integer, default=0)
    label: Mapped[str] = mapped_column(String(MAX_KIT_TITLE))
    detail: Mapped[str] = mapped_column(Text, default="")
    phase: Mapped[KitPhase] = mapped_column(str_enum(KitPhase, "kit_phase"))
    offset_days: Mapped[int | None] = mapped_column(Integer)
    rule_key: Mapped[RuleKey | None] = mapped_column(str_enum(RuleKey, "kit_rule_key"))
    due_on: Mapped[date | None] = mapped_column(Date, index=True)
    done_at: Mapped[datetime | None]
    done_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    #: When the structure was first told the item is overdue (never twice).
    nudged_at: Mapped[datetime | None]

    kit: Mapped[WelcomeKit] = relationship(back_populates="items")
    done_by: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<WelcomeKitItem {self.template_key} of kit {self.kit_id}>"


class KitItemNudge(Base):
    """That one recipient was told one overdue item (claimed before the mail: exactly once)."""

    __tablename__ = "kit_item_nudges"

    item_id: Mapped[int] = mapped_column(
        ForeignKey("welcome_kit_items.id", ondelete="CASCADE"), primary_key=True
    )
    recipient: Mapped[str] = mapped_column(String(320), primary_key=True)
    at: Mapped[datetime] = mapped_column(default=utcnow)
