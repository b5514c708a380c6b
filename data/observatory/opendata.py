"""Write the observatory's tables as open-data files: CSV, JSON, Table Schema and Data Package.

Every published :class:`~data.observatory.tables.Table` becomes three files named after its key
(:func:`file_names`): ``<key>.csv``, ``<key>.json`` and ``<key>.schema.json``; one
``datapackage.json`` lists them all with their licence, sources and update date
(:func:`data_package`, told about the package by a :class:`PackageInfo`). :func:`package_files`
returns every file's bytes, for a route or a zip.

**CSV** (:func:`table_csv`): UTF-8 without byte-order mark, comma-separated, CRLF line ends, fields
quoted only when needed (RFC 4180), a header of the column keys. That is what OpenDataFrance's
sheet « Produire un fichier CSV de qualité » (v2.0, July 2022) recommends for open data, and what
data.gouv.fr's guide to Table Schema (« Focus : construire un schéma TableSchema ») takes for its
validation chain: the comma is the format's own separator and needs no dialect declared. Dates are
ISO 8601 (``2026-01-31``), numbers use a point for decimals and no thousands separator, a cell held
back by the statistical secret is written ``secret`` and a cell with nothing known is empty: both
are the schema's ``missingValues``.

**JSON** (:func:`table_json`): an array of records, one object per row with the same keys as the
CSV's header, numbers as JSON numbers, dates as ISO strings, nothing known as ``null``, and a cell
held back written as the string ``"secret"``, as in the CSV: one schema then describes both files,
and a held-back figure (« secret statistique ») stays distinct from a figure that does not exist.

**Table Schema** (:func:`table_schema`, https://specs.frictionlessdata.io/table-schema/): one field
per column with its name (the key), French title, type and description; the unit of a measure is
said in the description (« Unité : personnes. ») and kept as a custom ``unit`` property.

**Data Package** (:func:`data_package`): the package's title, description, licence (Licence
Ouverte / Open Licence version 2.0, ``etalab-2.0``), sources and update date, and one resource per
file (CSV and JSON) pointing at its schema file, with its table's title, description (plus a note
on the secret where a cell is held back), sources and update date. The update date is the custom
property ``updated`` (ISO date; the Data Package specification only has ``created``). The files
validate with ``frictionless`` (the tests do it, offline).
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from data.observatory.tables import Cell, Column, ColumnType, Secret, Table

__all__ = [
    "LICENSE",
    "MISSING_VALUES",
    "SECRET_TEXT",
    "OpenDataFiles",
    "PackageInfo",
    "data_package",
    "file_names",
    "package_file",
    "package_files",
    "table_csv",
    "table_json",
    "table_schema",
]

#: How a cell held back by the statistical secret is written in the files.
SECRET_TEXT = "secret"

#: The cells that mean "no figure" in the files: nothing known, or held back.
MISSING_VALUES = ("", SECRET_TEXT)

#: The licence of every file (Data Package ``licenses`` entry).
LICENSE = {
    "name": "etalab-2.0",
    "path": "https://www.etalab.gouv.fr/licence-ouverte-open-licence/",
    "title": "Licence Ouverte / Open Licence version 2.0",
}

#: What a reader is told about the secret, in each file's description.
SECRET_NOTE = (
    "Secret statistique : un effectif de 1 à 10 personnes n'est pas publié ; il est remplacé par "
    "« secret », de même que les chiffres qui permettraient de le retrouver à partir des totaux."
)


@dataclass(frozen=True)
class OpenDataFiles:
    """The names of a table's files: its data as CSV and JSON, and their Table Schema."""

    csv: str
    json: str
    schema: str


def file_names(table: Table) -> OpenDataFiles:
    """Return the names of ``table``'s files, after its key.

    >>> file_names(Table("contrats", "Contrats", "", (), ())).schema
    'contrats.schema.json'
    """
    return OpenDataFiles(f"{table.key}.csv", f"{table.key}.json", f"{table.key}.schema.json")


def _text(column: Column, cell: Cell) -> str:
    """Write one cell as CSV text."""
    if isinstance(cell, Secret):
        return SECRET_TEXT
    if cell is None:
        return ""
    if column.type is ColumnType.DATE:
        if not isinstance(cell, date):
            raise ValueError(f"column {column.key}: {cell!r} is not a date")
        return cell.isoformat()
    if column.type is ColumnType.INTEGER:
        if isinstance(cell, bool) or not isinstance(cell, int):
            raise ValueError(f"column {column.key}: {cell!r} is not an integer")
        return str(cell)
    if column.type is ColumnType.NUMBER:
        if isinstance(cell, bool) or not isinstance(cell, int | float):
            raise ValueError(f"column {column.key}: {cell!r} is not a number")
        return repr(float(cell)) if isinstance(cell, float) else str(cell)
    if not isinstance(cell, str) or cell in MISSING_VALUES:
        raise ValueError(f"column {column.key}: {cell!r} cannot be written as a label")
    return cell


def _json_value(column: Column, cell: Cell) -> str | int | float | None:
    """Write one cell as a JSON value."""
    text = _text(column, cell)  # checks the type, as in the CSV
    if cell is None:
        return None
    if isinstance(cell, Secret):
        return SECRET_TEXT
    if column.type in (ColumnType.INTEGER, ColumnType.NUMBER):
        assert isinstance(cell, int | float)
        return cell
    return text


def table_csv(table: Table) -> bytes:
    """Return ``table`` as CSV bytes (UTF-8, comma, CRLF, header of the column keys)."""
    out = io.StringIO(newline="")
    writer = csv.writer(out, delimiter=",", lineterminator="\r\n")
    writer.writerow([c.key for c in table.columns])
    for row in table.rows:
        writer.writerow([_text(c, cell) for c, cell in zip(table.columns, row, strict=True)])
    return out.getvalue().encode("utf-8")


def table_json(table: Table) -> bytes:
    """Return ``table`` as JSON bytes: an array of records keyed like the CSV's header."""
    records = [
        {c.key: _json_value(c, cell) for c, cell in zip(table.columns, row, strict=True)}
        for row in table.rows
    ]
    lines = ",\n".join(json.dumps(r, ensure_ascii=False) for r in records)
    return (f"[\n{lines}\n]\n" if records else "[]\n").encode("utf-8")


def _field(column: Column) -> dict[str, Any]:
    description = column.description.strip()
    if column.unit:
        unit = f"Unité : {column.unit}."
        description = f"{description} {unit}".strip()
    field: dict[str, Any] = {
        "name": column.key,
        "title": column.title,
        "type": str(column.type),
        "description": description,
    }
    if column.type is ColumnType.DATE:
        field["format"] = "default"  # ISO 8601, YYYY-MM-DD
    if column.unit:
        field["unit"] = column.unit
    return field


def table_schema(table: Table) -> dict[str, Any]:
    """Return the Table Schema descriptor of ``table``'s CSV and JSON files."""
    return {
        "fields": [_field(c) for c in table.columns],
        "missingValues": list(MISSING_VALUES),
    }


def _description(table: Table) -> str:
    """Return the table's description, with the note on the secret where a cell is held back."""
    held_back = any(isinstance(cell, Secret) for row in table.rows for cell in row)
    note = SECRET_NOTE if held_back else ""
    return f"{table.description.strip()}\n\n{note}".strip()


def _sources(sources: Iterable[str]) -> list[dict[str, str]]:
    return [{"title": s} for s in sources]


def _resources(table: Table) -> list[dict[str, Any]]:
    names = file_names(table)
    common: dict[str, Any] = {
        "title": table.title,
        "description": _description(table),
        "encoding": "utf-8",
        "schema": names.schema,
        "licenses": [LICENSE],
    }
    if table.sources:
        common["sources"] = _sources(table.sources)
    if table.updated_on is not None:
        common["updated"] = table.updated_on.isoformat()
    return [
        {
            "name": table.key,
            "path": names.csv,
            "profile": "tabular-data-resource",
            "format": "csv",
            "mediatype": "text/csv",
            **common,
        },
        {
            "name": f"{table.key}-json",
            "path": names.json,
            "profile": "tabular-data-resource",
            "format": "json",
            "mediatype": "application/json",
            **common,
        },
    ]


@dataclass(frozen=True)
class PackageInfo:
    """What the data package says of itself: ``name`` is its machine name (lower case, digits,
    ``-``); ``updated_on`` defaults to the latest of the tables' update dates."""

    name: str
    title: str
    description: str
    sources: tuple[str, ...] = ()
    updated_on: date | None = None


def data_package(tables: Sequence[Table], info: PackageInfo) -> dict[str, Any]:
    """Return the ``datapackage.json`` descriptor listing every file of ``tables``."""
    keys = [t.key for t in tables]
    if len(set(keys)) != len(keys):
        raise ValueError("two tables share a key: their files would share a name")
    dates = [t.updated_on for t in tables if t.updated_on is not None]
    updated = info.updated_on or (max(dates) if dates else None)
    package: dict[str, Any] = {
        "name": info.name,
        "title": info.title,
        "description": info.description,
        "licenses": [LICENSE],
        "resources": [r for t in tables for r in _resources(t)],
    }
    if info.sources:
        package["sources"] = _sources(info.sources)
    if updated is not None:
        package["updated"] = updated.isoformat()
    return package


def _json_bytes(descriptor: dict[str, Any]) -> bytes:
    return (json.dumps(descriptor, ensure_ascii=False, indent=2) + "\n").encode("utf-8")


def package_files(tables: Sequence[Table], info: PackageInfo) -> dict[str, bytes]:
    """Return every open-data file of ``tables`` by name: data, schemas and ``datapackage.json``.

    >>> from data.observatory.tables import SECRET
    >>> table = Table("contrats", "Contrats", "Contrats signés.", (Column("n", "Contrats"),),
    ...               ((SECRET,), (12,)))
    >>> files = package_files([table], PackageInfo("observatoire", "Observatoire", "Chiffres."))
    >>> sorted(files)
    ['contrats.csv', 'contrats.json', 'contrats.schema.json', 'datapackage.json']
    >>> files["contrats.csv"]
    b'n\\r\\nsecret\\r\\n12\\r\\n'
    """
    names = [n for t in tables for f in (file_names(t),) for n in (f.csv, f.json, f.schema)]
    return {name: package_file(tables, info, name) or b"" for name in [*names, "datapackage.json"]}


def package_file(tables: Sequence[Table], info: PackageInfo, name: str) -> bytes | None:
    """Return the one file of :func:`package_files` named ``name`` (only it is made), or
    ``None`` when the package has no such file."""
    if name == "datapackage.json":
        return _json_bytes(data_package(tables, info))
    for table in tables:
        names = file_names(table)
        if name == names.csv:
            return table_csv(table)
        if name == names.json:
            return table_json(table)
        if name == names.schema:
            return _json_bytes(table_schema(table))
    return None
