"""Reference tables: communes of France and the métiers of the sector."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Float, ForeignKey, Integer, String, false
from sqlalchemy.orm import Mapped, mapped_column, relationship

from .base import Base, utcnow

__all__ = ["Commune", "Metier", "MetierMapping", "MAX_DIPLOMA_CODE"]

#: metiers.diploma_code and offers.diploma are VARCHAR(40) ("CQP surveillant de nuit").
MAX_DIPLOMA_CODE = 40


class Commune(Base):
    """A current commune (INSEE COG), located by the centroid of its outline."""

    __tablename__ = "communes"
    __table_args__ = (
        CheckConstraint("latitude BETWEEN -90 AND 90", name="latitude_range"),
        CheckConstraint("longitude BETWEEN -180 AND 180", name="longitude_range"),
    )

    insee: Mapped[str] = mapped_column(String(5), primary_key=True)
    name: Mapped[str] = mapped_column(String(120), index=True)
    departement: Mapped[str] = mapped_column(String(3), index=True)
    # Space-separated, as they are short and only ever searched or shown.
    postal_codes: Mapped[str] = mapped_column(String(200), default="")
    latitude: Mapped[float] = mapped_column(Float)
    longitude: Mapped[float] = mapped_column(Float)
    population: Mapped[int | None] = mapped_column(Integer)

    def __repr__(self) -> str:
        return f"<Commune {self.insee} {self.name}>"


class Metier(Base):
    """A métier of the referential, with its diploma, ROME codes and the words people use for it."""

    __tablename__ = "metiers"
    __table_args__ = (
        CheckConstraint("level BETWEEN 3 AND 8", name="level_range"),
        CheckConstraint("entry_level_min BETWEEN 0 AND 8", name="entry_level_range"),
    )

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    label: Mapped[str] = mapped_column(String(120))
    label_feminine: Mapped[str] = mapped_column(String(120))
    # JSON null (not SQL NULL): not verified; the referential never guesses a code.
    rome: Mapped[list[str] | None] = mapped_column(JSON, default=list, nullable=False)
    rome_v3: Mapped[list[str] | None] = mapped_column(JSON, default=list, nullable=False)
    diploma_code: Mapped[str] = mapped_column(String(MAX_DIPLOMA_CODE))
    diploma_label: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer)
    entry_level_min: Mapped[int] = mapped_column(Integer, default=0)
    rncp: Mapped[list[dict[str, Any]] | None] = mapped_column(JSON, default=list, nullable=False)
    synonyms: Mapped[list[str]] = mapped_column(JSON, default=list)
    abbreviations: Mapped[list[str]] = mapped_column(JSON, default=list)
    ambiguous: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    related: Mapped[list[str]] = mapped_column(JSON, default=list)
    # One of the eight métiers the Département's plan gives priority to.
    priority: Mapped[bool] = mapped_column(Boolean, default=False, server_default=false())

    def __repr__(self) -> str:
        return f"<Metier {self.code}>"


class MetierMapping(Base):
    """A coordinator's decision on a text that the referential does not resolve.

    ``metier_code`` is the métier the text means from now on, NULL when the text is outside the
    sector. ``normalized`` is the text as the resolver compares it (``matching.normalize``).
    """

    __tablename__ = "metier_mappings"

    id: Mapped[int] = mapped_column(primary_key=True)
    normalized: Mapped[str] = mapped_column(String(200), unique=True)
    text: Mapped[str] = mapped_column(String(200))
    metier_code: Mapped[str | None] = mapped_column(ForeignKey("metiers.code"))
    decided_at: Mapped[datetime] = mapped_column(default=utcnow)
    decided_by_id: Mapped[int | None] = mapped_column(ForeignKey("users.id", ondelete="SET NULL"))

    metier: Mapped[Metier | None] = relationship()

    def __repr__(self) -> str:
        return f"<MetierMapping {self.normalized!r} -> {self.metier_code}>"
