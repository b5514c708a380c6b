"""Reference tables: communes of France and the métiers of the sector."""

from __future__ import annotations

from typing import Any

from sqlalchemy import JSON, CheckConstraint, Float, Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from .base import Base

__all__ = ["Commune", "Metier"]


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
    rome: Mapped[list[str]] = mapped_column(JSON, default=list)
    rome_v3: Mapped[list[str]] = mapped_column(JSON, default=list)
    diploma_code: Mapped[str] = mapped_column(String(16))
    diploma_label: Mapped[str] = mapped_column(String(200))
    level: Mapped[int] = mapped_column(Integer)
    entry_level_min: Mapped[int] = mapped_column(Integer, default=0)
    rncp: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    synonyms: Mapped[list[str]] = mapped_column(JSON, default=list)
    abbreviations: Mapped[list[str]] = mapped_column(JSON, default=list)
    ambiguous: Mapped[dict[str, str]] = mapped_column(JSON, default=dict)
    related: Mapped[list[str]] = mapped_column(JSON, default=list)

    def __repr__(self) -> str:
        return f"<Metier {self.code}>"
