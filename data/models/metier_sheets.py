"""Métier sheets: the team's text on each métier of the referential, and every version of it."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow
from .reference import Metier
from .users import User

__all__ = ["MAX_SHEET_BODY", "MAX_SHEET_SOURCES", "MetierSheet", "MetierSheetVersion"]

#: The longest body and sources a sheet keeps (characters of Markdown).
MAX_SHEET_BODY = 20_000
MAX_SHEET_SOURCES = 4_000


class MetierSheet(Base):
    """The current text of one métier's sheet (Markdown), with its sources and last edit."""

    __tablename__ = "metier_sheets"

    id: Mapped[int] = mapped_column(primary_key=True)
    metier_code: Mapped[str] = mapped_column(
        String(64), ForeignKey("metiers.code", ondelete="CASCADE"), unique=True
    )
    body: Mapped[str] = mapped_column(Text)
    sources: Mapped[str] = mapped_column(Text, default="")
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    # None: the shipped seed text, or an author whose account was erased.
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    metier: Mapped[Metier] = relationship()
    updated_by: Mapped[User | None] = relationship()
    versions: Mapped[list[MetierSheetVersion]] = relationship(
        back_populates="sheet",
        cascade="all, delete-orphan",
        order_by="MetierSheetVersion.id.desc()",
    )

    def __repr__(self) -> str:
        return f"<MetierSheet {self.metier_code}>"


class MetierSheetVersion(Base):
    """One saved state of a sheet: each edit, seed or restore adds one, none is ever changed."""

    __tablename__ = "metier_sheet_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    sheet_id: Mapped[int] = mapped_column(
        ForeignKey("metier_sheets.id", ondelete="CASCADE"), index=True
    )
    body: Mapped[str] = mapped_column(Text)
    sources: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    # The version this one copies when it is a restore.
    restored_from_id: Mapped[int | None] = mapped_column(Integer)

    sheet: Mapped[MetierSheet] = relationship(back_populates="versions")
    author: Mapped[User | None] = relationship()

    def __repr__(self) -> str:
        return f"<MetierSheetVersion {self.id} of sheet {self.sheet_id}>"
