"""What every CSV import shares: reading the bytes, and the French messages that refuse a file;
:func:`import_lines` reads a file line by line, each line kept or refused on its own."""

from __future__ import annotations

import csv
import io
from collections.abc import Callable, Iterable, Mapping
from typing import IO, TYPE_CHECKING, Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from data.errors import DataError, ValidationError
from data.presentation.export import FORMULA_STARTS
from data.presentation.labels import field_label
from matching import normalize

__all__ = [
    "MAX_CELL_CHARS",
    "BoundedDictReader",
    "LineReport",
    "Semicolon",
    "decode_csv",
    "import_lines",
    "line_messages",
    "missing_columns_message",
    "too_many_lines_message",
    "unreadable_message",
]

T = TypeVar("T")


class LineReport(Protocol):
    """What :func:`import_lines` fills in an import's report: the lines read, those refused (by
    line number, with their French messages) and the errors that refuse the whole file."""

    lines: int
    rejected: list[tuple[int, list[str]]]
    fatal: dict[str, list[str]]


def decode_csv(raw: bytes) -> str:
    """Return the text of a file in UTF-8 (with or without BOM), else Windows-1252.

    >>> decode_csv("\\ufeffcafé".encode()), decode_csv("café".encode("cp1252"))
    ('café', 'café')
    """
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def missing_columns_message(missing: Iterable[str], possible: Iterable[str]) -> str:
    """Return the message that refuses a file without some required columns (by their labels)."""
    return (
        "Colonnes manquantes : "
        + ", ".join(f"« {label} »" for label in missing)
        + ". Colonnes possibles : "
        + ", ".join(f"« {label} »" for label in possible)
        + " (le modèle à télécharger les contient toutes)."
    )


def too_many_lines_message(max_lines: int) -> str:
    """Return the message that refuses a file longer than ``max_lines`` lines."""
    return f"Le fichier dépasse {max_lines} lignes : découpez-le."


#: The longest cell an import reads, far beyond any field's length: the csv module's own default
#: limit, kept here because that limit is process-wide and a library may raise it (frictionless
#: does, on import), which let a 200,000-character cell through.
MAX_CELL_CHARS = 131_072


if TYPE_CHECKING:
    _DictReader = csv.DictReader[str]
else:  # not subscriptable at run time before Python 3.12
    _DictReader = csv.DictReader


class BoundedDictReader(_DictReader):
    """A ``csv.DictReader`` that gives up, as on a malformed file, on a cell longer than
    :data:`MAX_CELL_CHARS`, whatever ``csv.field_size_limit()`` says."""

    #: The line of a record refused for its size (the csv module's own errors come before the
    #: line is counted: theirs is ``line_num + 1``); see :meth:`unreadable_line`.
    refused_line: int | None = None

    def __next__(self) -> dict[str | Any, str | Any]:
        row = super().__next__()
        for value in row.values():
            cells = value if isinstance(value, list) else [value]
            if any(isinstance(c, str) and len(c) > MAX_CELL_CHARS for c in cells):
                self.refused_line = self.line_num
                raise csv.Error(f"field larger than {MAX_CELL_CHARS} characters")
        return row

    def unreadable_line(self) -> int:
        """The line of the file the reader gave up on (as a spreadsheet numbers it)."""
        return self.refused_line or self.line_num + 1


def unreadable_message(line: int) -> str:
    """Return the message that refuses a file the CSV reader gave up on at ``line``."""
    return (
        f"Le fichier n'a pas pu être lu à la ligne {line} : une cellule dépasse "
        "la taille autorisée ou le format CSV n'est pas respecté."
    )


class Semicolon(csv.excel):
    """The house's CSV files (templates, exports): `;`-separated, as French spreadsheets do."""

    delimiter = ";"


class _Comma(csv.excel):
    delimiter = ","


def _cell(value: str | None) -> str:
    """A cell as typed: trimmed, without the apostrophe an export puts before a formula sign."""
    text = (value or "").strip()
    if text.startswith("'") and text[1:2] and text[1:2] in FORMULA_STARTS:
        return text[1:]
    return text


def line_messages(exc: DataError, labels: Mapping[str, str]) -> list[str]:
    """Return why a line is refused, each message after the label of its column (``labels``:
    the use case's field names -> the file's column labels; other fields by their form label)."""
    if not isinstance(exc, ValidationError):
        return [str(exc)]
    return [
        f"{labels.get(name, field_label(name))} : {message}"
        for name, messages in exc.errors.items()
        for message in messages
        if name != "_schema"
    ] + exc.errors.get("_schema", [])


def import_lines(
    session: Session,
    stream: IO[bytes],
    report: LineReport,
    *,
    headers: Mapping[str, str],
    required: Iterable[str],
    labels: Mapping[str, str],
    field_labels: Mapping[str, str],
    max_lines: int,
    import_line: Callable[[dict[str, str]], T],
    accepted: Callable[[T], None],
) -> None:
    """Read a CSV file and import it line by line, each line in a savepoint of its own.

    ``headers``: a header as normalised (:func:`matching.normalize`) -> its column's short name;
    ``required``: the columns a file must have; ``labels``: each column's French label, in the
    file's order (for the messages). The separator is the header line's (``;`` or ``,``;
    ``csv.Sniffer`` takes an export's apostrophe for a quote). A line ``import_line`` refuses
    (``ValidationError``, ``DataError``) is rolled back and reported with its number and its
    messages (``field_labels`` names the fields); ``accepted`` gets what a kept line returned.
    A file the reader gives up on, without a required column or longer than ``max_lines`` is
    refused whole (``report.fatal``): the caller then rolls back.
    """
    text = decode_csv(stream.read())
    first = text.split("\n", 1)[0]
    dialect = _Comma if first.count(",") > first.count(";") else Semicolon
    reader = BoundedDictReader(io.StringIO(text), dialect=dialect)
    try:
        found = [headers.get(normalize(h or ""), "") for h in (reader.fieldnames or [])]
        missing = [labels[c] for c in required if c not in found]
        if missing:
            report.fatal["file"] = [missing_columns_message(missing, labels.values())]
            return
        for count, raw in enumerate(reader, start=1):
            if count > max_lines:
                report.fatal["file"] = [too_many_lines_message(max_lines)]
                return
            number = reader.line_num
            row = {
                headers.get(normalize(k or ""), ""): _cell(v)
                for k, v in raw.items()
                if isinstance(v, str)
            }
            row.pop("", None)
            if not any(row.values()):
                continue
            report.lines += 1
            savepoint = session.begin_nested()
            try:
                kept = import_line(row)
            except (ValidationError, DataError) as exc:
                savepoint.rollback()
                report.rejected.append((number, line_messages(exc, field_labels)))
                continue
            savepoint.commit()
            accepted(kept)
    except csv.Error:
        report.fatal["file"] = [unreadable_message(reader.unreadable_line())]
