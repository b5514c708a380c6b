"""The « mallette numérique » of the work-study programme (issue 18): a library of resources.

A :class:`LibraryResource` is a sheet written by the coordinators for employers, candidates,
tutors or training centres (or for the coordinators alone): a title, a summary, a body in
Markdown (sanitised when rendered), an optional outside link, a category, the audiences and the
métiers it concerns, its source and the date it is « à jour au ». Each edit keeps the text it
replaced as a :class:`LibraryResourceVersion`. Readers find resources by a French full-text
search: on PostgreSQL through ``search_vector`` (a weighted ``tsvector`` kept by the use cases,
GIN-indexed); on SQLite through the FTS5 table :data:`SQLITE_FTS_TABLE` the migration creates
there, kept by the use cases too (the column then stays empty).
"""

from __future__ import annotations

import enum
from datetime import date, datetime
from typing import TYPE_CHECKING

from sqlalchemy import Boolean, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.dialects.postgresql import TSVECTOR
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, str_enum, utcnow

if TYPE_CHECKING:
    from .users import User

__all__ = [
    "LibraryAudience",
    "LibraryCategory",
    "LibraryResource",
    "LibraryResourceAudience",
    "LibraryResourceMetier",
    "LibraryResourceVersion",
    "LibraryVisit",
    "PUBLIC_AUDIENCES",
    "SQLITE_FTS_TABLE",
    "is_search_table",
]

#: The FTS5 table of the search on SQLite (with its shadow tables, created by the migration).
SQLITE_FTS_TABLE = "library_fts"


def is_search_table(name: str) -> bool:
    """Tell whether a table is the SQLite search index or one of its shadow tables."""
    return name == SQLITE_FTS_TABLE or name.startswith(SQLITE_FTS_TABLE + "_")


class LibraryCategory(enum.StrEnum):
    """What a resource is about."""

    LEGAL = "legal"
    FUNDING = "funding"
    TRAINING = "training"
    INTERNSHIP = "internship"
    TOOLS = "tools"


class LibraryAudience(enum.StrEnum):
    """Who a resource is written for; ``COORDINATORS`` alone keeps it to the team."""

    EMPLOYERS = "employers"
    CANDIDATES = "candidates"
    TUTORS = "tutors"
    CENTRES = "centres"
    COORDINATORS = "coordinators"


#: The audiences anyone may read (a resource for one of them is public).
PUBLIC_AUDIENCES = (
    LibraryAudience.EMPLOYERS,
    LibraryAudience.CANDIDATES,
    LibraryAudience.TUTORS,
    LibraryAudience.CENTRES,
)


class LibraryResource(Base):
    """One resource of the mallette."""

    __tablename__ = "library_resources"
    __table_args__ = (
        Index("ix_library_resources_search_vector", "search_vector", postgresql_using="gin"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(600))
    body: Mapped[str] = mapped_column(Text, default="")
    link: Mapped[str | None] = mapped_column(String(500))
    category: Mapped[LibraryCategory] = mapped_column(
        str_enum(LibraryCategory, "library_category"), index=True
    )
    source: Mapped[str | None] = mapped_column(String(300))
    up_to_date_on: Mapped[date] = mapped_column(Date)
    published: Mapped[bool] = mapped_column(Boolean, default=False)
    # The attached PDF: our own random name under LIBRARY_DIR (data.operations.library.save_pdf).
    pdf_file: Mapped[str | None] = mapped_column(String(64))
    pdf_size: Mapped[int | None] = mapped_column(Integer)
    published_at: Mapped[datetime | None]
    created_at: Mapped[datetime] = mapped_column(default=utcnow)
    updated_at: Mapped[datetime] = mapped_column(default=utcnow)
    created_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    updated_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    # PostgreSQL: the weighted French tsvector of title (A), summary (B) and body (C).
    search_vector: Mapped[str | None] = mapped_column(
        Text().with_variant(TSVECTOR(), "postgresql"), deferred=True
    )

    audience_rows: Mapped[list[LibraryResourceAudience]] = relationship(
        cascade="all, delete-orphan", order_by="LibraryResourceAudience.audience"
    )
    metier_rows: Mapped[list[LibraryResourceMetier]] = relationship(
        cascade="all, delete-orphan", order_by="LibraryResourceMetier.metier_code"
    )
    versions: Mapped[list[LibraryResourceVersion]] = relationship(
        back_populates="resource",
        cascade="all, delete-orphan",
        order_by="LibraryResourceVersion.id.desc()",
    )

    @property
    def audiences(self) -> list[LibraryAudience]:
        """The audiences, in the enum's order."""
        found = {row.audience for row in self.audience_rows}
        return [a for a in LibraryAudience if a in found]

    @property
    def metier_codes(self) -> list[str]:
        """The codes of the métiers it concerns."""
        return [row.metier_code for row in self.metier_rows]

    @property
    def is_public(self) -> bool:
        """Tell whether anyone may read it (once published): one audience is public."""
        return any(a in PUBLIC_AUDIENCES for a in self.audiences)


class LibraryResourceAudience(Base):
    """One audience of a resource."""

    __tablename__ = "library_resource_audiences"

    resource_id: Mapped[int] = mapped_column(
        ForeignKey("library_resources.id", ondelete="CASCADE"), primary_key=True
    )
    audience: Mapped[LibraryAudience] = mapped_column(
        str_enum(LibraryAudience, "library_audience"), primary_key=True
    )


class LibraryResourceMetier(Base):
    """One métier a resource concerns."""

    __tablename__ = "library_resource_metiers"

    resource_id: Mapped[int] = mapped_column(
        ForeignKey("library_resources.id", ondelete="CASCADE"), primary_key=True
    )
    metier_code: Mapped[str] = mapped_column(
        ForeignKey("metiers.code", ondelete="CASCADE"), primary_key=True, index=True
    )


class LibraryResourceVersion(Base):
    """The text of a resource as one edit left it (the newest version is the resource's)."""

    __tablename__ = "library_resource_versions"

    id: Mapped[int] = mapped_column(primary_key=True)
    resource_id: Mapped[int] = mapped_column(
        ForeignKey("library_resources.id", ondelete="CASCADE"), index=True
    )
    title: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(String(600))
    body: Mapped[str] = mapped_column(Text, default="")
    author_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))
    created_at: Mapped[datetime] = mapped_column(default=utcnow)

    resource: Mapped[LibraryResource] = relationship(back_populates="versions")
    author: Mapped[User | None] = relationship()


class LibraryVisit(Base):
    """When a signed-in person last opened the mallette (their « Nouveautés » start there)."""

    __tablename__ = "library_visits"

    user_id: Mapped[int] = mapped_column(
        ForeignKey("users.id", ondelete="CASCADE"), primary_key=True
    )
    visited_at: Mapped[datetime]
