"""What a chart's data table shows: the cells of a :class:`~data.observatory.tables.Table` written
the French way, with the raw value the chart script reads.

The macros of ``web/templates/macros/charts.html`` render a :class:`Figure` as an accessible table;
``web/static/js/charts.js`` draws the chart from that table (``data-value`` of each cell), so the
table is the one source of both. A cell held back by the statistical secret prints
:data:`SECRET_TEXT` and has no raw value (a gap in the chart, never a zero); a cell with nothing
known prints :data:`MISSING_TEXT`.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date

from data.observatory.tables import Cell, Column, ColumnType, Secret, Table
from data.presentation.formatters import date_fr, month_fr, number

__all__ = [
    "MISSING_NOTE",
    "MISSING_TEXT",
    "SECRET_NOTE",
    "SECRET_TEXT",
    "Figure",
    "FigureCell",
    "FigureRow",
    "cell_text",
    "column_heading",
    "figure",
    "map_figure",
]

#: What a cell held back by the statistical secret prints.
SECRET_TEXT = "secret statistique"
#: What it means, said once under each table that has one.
SECRET_NOTE = (
    "« secret statistique » : la valeur n'est pas publiée parce qu'elle compte entre 1 et "
    "10 personnes, ou parce qu'elle permettrait de retrouver un tel nombre à partir des totaux. "
    "Elle manque aussi au graphique."
)
#: What a cell with nothing known prints.
MISSING_TEXT = "—"
#: What it means, said once under each table that has one.
MISSING_NOTE = "« — » : pas de donnée."
#: Decimals at most of a figure of a ``number`` column (a ratio, a median).
NUMBER_DIGITS = 2


@dataclass(frozen=True)
class FigureCell:
    """A cell as the table shows it: its French ``text`` and the raw ``value`` the chart reads
    (a number, an ISO day or a code; ``None`` for a secret or missing cell)."""

    text: str
    value: str | None
    secret: bool = False


@dataclass(frozen=True)
class FigureRow:
    """A row: what it is about (``head``, the row's header) and its figures."""

    head: FigureCell
    cells: tuple[FigureCell, ...]
    #: The territory's code a map joins its outline on (choropleths only).
    code: str | None = None


@dataclass(frozen=True)
class Figure:
    """The part of a table a chart draws: the column of the rows' headers (``x``), the columns
    drawn (``series``), the rows, and which notes the table needs."""

    x: Column
    series: tuple[Column, ...]
    rows: tuple[FigureRow, ...]
    has_secret: bool
    has_missing: bool

    @property
    def notes(self) -> list[str]:
        """The notes the table needs under it, each once."""
        return [
            n
            for n, needed in ((SECRET_NOTE, self.has_secret), (MISSING_NOTE, self.has_missing))
            if needed
        ]


def _is_month(values: Sequence[Cell]) -> bool:
    days = [v for v in values if isinstance(v, date)]
    return bool(days) and all(d.day == 1 for d in days)


def cell_text(value: Cell, column: Column, months: bool = False) -> FigureCell:
    """Write one cell the French way, with its raw value.

    A ``date`` is a day (« 3 mars 2026 »), or a month (« mars 2026 ») when ``months`` says the
    column holds months; an ``integer`` is a count, a ``number`` keeps two decimals at most.

    >>> from data.observatory.tables import SECRET
    >>> n = Column("n", "Contrats")
    >>> cell_text(1234, n), cell_text(SECRET, n).text, cell_text(None, n).text
    (FigureCell(text='1\\u202f234', value='1234', secret=False), 'secret statistique', '—')
    >>> cell_text(date(2026, 3, 1), Column("mois", "Mois", ColumnType.DATE), months=True).text
    'mars 2026'
    """
    if isinstance(value, Secret):
        return FigureCell(SECRET_TEXT, None, secret=True)
    if value is None:
        return FigureCell(MISSING_TEXT, None)
    if isinstance(value, date):
        return FigureCell(month_fr(value) if months else date_fr(value), value.isoformat())
    if isinstance(value, str):
        return FigureCell(str(value), str(value))
    digits = NUMBER_DIGITS if column.type == ColumnType.NUMBER else 0
    return FigureCell(number(value, digits), repr(value))


def column_heading(column: Column) -> str:
    """Return a column's heading: its French title and its unit (« Contrats signés (contrats) »)."""
    return f"{column.title} ({column.unit})" if column.unit else column.title


def figure(table: Table, x: str, series: Sequence[str]) -> Figure:
    """Return the rows of ``table`` as a chart of ``series`` against ``x`` shows them.

    Raises ``KeyError`` for a column the table does not have.
    """
    x_column = table.column(x)
    columns = tuple(table.column(key) for key in series)
    months = _is_month(table.values(x))
    x_index, indexes = table.index(x), [table.index(key) for key in series]
    rows = tuple(
        FigureRow(
            head=cell_text(row[x_index], x_column, months),
            cells=tuple(cell_text(row[i], c) for i, c in zip(indexes, columns, strict=True)),
        )
        for row in table.rows
    )
    cells = [c for r in rows for c in r.cells]
    return Figure(
        x=x_column,
        series=columns,
        rows=rows,
        has_secret=any(c.secret for c in cells),
        has_missing=any(c.value is None and not c.secret for c in cells),
    )


def map_figure(table: Table, code: str, value: str) -> Figure:
    """Return the rows of ``table`` as a choropleth of ``value`` by territory ``code`` shows them.

    Each row is headed by the territory's name, read from the first string dimension column
    other than ``code`` (« EPCI »), or by its code when the table has none; the code joins the
    row to its outline.
    """
    names = [
        c for c in table.dimensions if c.key not in (code, value) and c.type == ColumnType.STRING
    ]
    x = names[0].key if names else code
    base = figure(table, x, [value])
    codes = [str(c) for c in table.values(code)]
    rows = tuple(
        FigureRow(head=r.head, cells=r.cells, code=c) for r, c in zip(base.rows, codes, strict=True)
    )
    return Figure(base.x, base.series, rows, base.has_secret, base.has_missing)
