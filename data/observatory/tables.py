"""The one shape of a published table of figures: pages, open-data files and the API share it.

A :class:`Table` has a machine name (the open-data file's stem, in French: ``contrats-par-metier``),
a French title and description, typed :class:`Column` s and rows of cells. A cell is a value, or
:data:`SECRET` when the statistical secret holds it back (a count of people between 1 and 10, or a
cell suppressed so that such a count cannot be recomputed from the totals); pages print « secret
statistique », files write ``secret`` (declared as a missing value in the Table Schema).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import date

__all__ = ["SECRET", "Cell", "Column", "ColumnType", "Secret", "Table"]


class Secret(enum.Enum):
    """The marker of a cell held back by the statistical secret."""

    SECRET = "secret"

    def __repr__(self) -> str:
        return "SECRET"


#: A cell held back by the statistical secret.
SECRET = Secret.SECRET

#: A cell: a label or code (``str``), a count (``int``), a ratio or median (``float``), a month
#: or day (``date``), nothing known (``None``), or held back (:data:`SECRET`).
Cell = str | int | float | date | Secret | None


class ColumnType(enum.StrEnum):
    """The Table Schema type of a column (https://specs.frictionlessdata.io/table-schema/)."""

    STRING = "string"
    INTEGER = "integer"
    NUMBER = "number"
    DATE = "date"


@dataclass(frozen=True)
class Column:
    """A column: ``key`` is its name in files (French, snake case: ``code_metier``), ``title`` what
    people read (« Métier »), ``unit`` the unit of its figures (« contrats », « jours », « km »).
    ``dimension`` columns say what a row is about (month, métier, territory); the others are
    measures."""

    key: str
    title: str
    type: ColumnType = ColumnType.INTEGER
    description: str = ""
    unit: str | None = None
    dimension: bool = False


@dataclass(frozen=True)
class Table:
    """A table of figures as published: columns, rows, and where its figures come from."""

    key: str
    title: str
    description: str
    columns: tuple[Column, ...]
    rows: tuple[tuple[Cell, ...], ...]
    #: The day the figures were computed (or the snapshot's month end).
    updated_on: date | None = None
    #: The sources and method, in French, for the open-data page and the files' descriptors.
    sources: tuple[str, ...] = field(default_factory=tuple)

    def __post_init__(self) -> None:
        width = len(self.columns)
        for row in self.rows:
            if len(row) != width:
                raise ValueError(f"table {self.key}: a row of {len(row)} cells, {width} columns")

    def column(self, key: str) -> Column:
        """Return the column named ``key``."""
        for column in self.columns:
            if column.key == key:
                return column
        raise KeyError(key)

    def values(self, key: str) -> list[Cell]:
        """Return the cells of the column named ``key``, in row order."""
        index = self.index(key)
        return [row[index] for row in self.rows]

    def index(self, key: str) -> int:
        """Return the position of the column named ``key``."""
        return [c.key for c in self.columns].index(key)

    @property
    def dimensions(self) -> Sequence[Column]:
        """The columns that say what a row is about."""
        return [c for c in self.columns if c.dimension]
