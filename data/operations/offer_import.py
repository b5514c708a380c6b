"""Import an employer's offers from a CSV file: each line is one ``create_offer`` call.

A line that breaks a rule is rejected with its number and the French messages, the others are
kept (each line in its own savepoint, so a rejected line leaves nothing behind). The file is
read as UTF-8 (with or without BOM), or Windows-1252 as spreadsheets export it; the separator
is ``;`` or ``,``. The columns are the offer's declared fields (``offer_fields.OFFER_FIELDS``),
named as the offer form names them (« Date de début »; :func:`template_csv` writes that header
line) or by their short names (``date_debut``), in any case, with or without accents. The métier
is any text the resolver reads (code, label, synonym, abbreviation: « Aide soignante », « AES »),
dates are ``JJ/MM/AAAA`` or ``AAAA-MM-JJ``, as on the forms. :class:`ImportReport` is the one
account of an import that pages and API show.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import DataError, PermissionDenied, ValidationError
from data.models import Employer, Offer, Site
from data.presentation import field_label, plural
from matching import normalize

from ._common import load
from .communes import commune_label, commune_match
from .csv_import import (
    BoundedDictReader,
    decode_csv,
    missing_columns_message,
    too_many_lines_message,
    unreadable_message,
)
from .offer_fields import OFFER_FIELDS, FieldKind
from .offers import create_offer

__all__ = [
    "COLUMNS",
    "MAX_LINES",
    "TEMPLATE_FILENAME",
    "ImportReport",
    "import_offers",
    "template_csv",
]

MAX_LINES = 500
TEMPLATE_FILENAME = "modele-import-offres.csv"
# CSV short header (French) -> argument of create_offer
COLUMNS = {f.column: f.name for f in OFFER_FIELDS}
_BY_COLUMN = {f.column: f for f in OFFER_FIELDS}
# A header as people write it (the form's label, or the short name), normalised -> its column.
_HEADERS = {
    **{normalize(f.column): f.column for f in OFFER_FIELDS},
    **{normalize(f.label): f.column for f in OFFER_FIELDS},
}
REQUIRED_COLUMNS = tuple(f.column for f in OFFER_FIELDS if f.required)
TRUE = {"oui", "o", "1", "vrai", "true", "x"}
FALSE = {"non", "n", "0", "faux", "false", ""}


class _Semicolon(csv.excel):
    delimiter = ";"


@dataclass
class ImportReport:
    """What the import did: offers created, lines rejected with their French messages.

    ``fatal`` holds the errors that refused the whole file (nothing is kept: the caller rolls
    back); ``rejected`` the lines refused one by one, by line number of the file.
    """

    created: list[Offer] = field(default_factory=list)
    rejected: list[tuple[int, list[str]]] = field(default_factory=list)
    fatal: dict[str, list[str]] = field(default_factory=dict)

    def summary(self) -> str:
        """Return the French sentence that tells how the import went."""
        created = plural(
            len(self.created), "offre créée comme brouillon", "offres créées comme brouillons"
        )
        return f"{created}, {plural(len(self.rejected), 'ligne refusée', 'lignes refusées')}."

    def rejected_lines(self) -> list[dict[str, Any]]:
        """Return the refused lines as ``{"line": number, "messages": [French, ...]}``."""
        return [{"line": n, "messages": list(m)} for n, m in self.rejected]


def template_csv() -> str:
    """Return the header line of an import file: the form's labels, ``;``-separated."""
    buffer = io.StringIO()
    csv.writer(buffer, dialect=_Semicolon).writerow([f.label for f in OFFER_FIELDS])
    return buffer.getvalue()


def _bool(value: str, label: str, problems: list[str]) -> bool:
    v = value.strip().lower()
    if v in TRUE:
        return True
    if v not in FALSE:
        problems.append(f"{label} : « oui » ou « non » attendu.")
    return False


def _site(
    session: Session, employer: Employer, value: str, column: str, problems: list[str]
) -> Site | None:
    """Return the employer's site named, numbered or located by ``value`` (« Oyonnax », « 01100 »).

    A commune (or one of those a shared postal code designates) gives the site only when exactly
    one of the employer's sites is there.
    """
    site = next((s for s in employer.sites if value in (str(s.id), s.name) and value), None)
    if site is not None:
        return site
    match = commune_match(session, value)
    communes = [match.commune] if match.commune is not None else match.choices
    there = [s for s in employer.sites if s.commune in communes]
    if len(there) == 1:
        return there[0]
    if there:
        label = commune_label(there[0].commune)
        problems.append(
            f"{column} : plusieurs de vos lieux d'accueil sont à {label}, indiquez son nom."
        )
        return None
    problems.append(f"{column} : aucun de vos lieux d'accueil ne s'appelle « {value} ».")
    return None


def _line_args(
    session: Session, row: dict[str, str], employer: Employer, problems: list[str]
) -> dict[str, Any]:
    args: dict[str, Any] = {}
    for column, offer_field in _BY_COLUMN.items():
        name = offer_field.name
        value = (row.get(column) or "").strip()
        if offer_field.kind == FieldKind.BOOL:
            args[name] = _bool(value, offer_field.label, problems)
        elif offer_field.kind == FieldKind.ID:
            site = _site(session, employer, value, offer_field.label, problems)
            if site is not None:
                args[name] = site.id
        elif not value and offer_field.default is not None:
            args[name] = offer_field.default
        elif offer_field.kind == FieldKind.ENUM:
            args[name] = value.lower()
        else:
            args[name] = value or None
    return args


def import_offers(
    session: Session, actor: Actor, employer: Employer | int, stream: IO[bytes]
) -> ImportReport:
    """Create a draft offer for each valid line; report the others. The caller commits.

    Raises ``PermissionDenied`` when ``actor`` may not act for ``employer``.
    """
    employer = load(session, Employer, employer, "Structure")
    if not actor.may_act_for_employer(employer.id):
        raise PermissionDenied("Vous ne pouvez importer des offres que pour votre structure.")
    report = ImportReport()
    text = decode_csv(stream.read())
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,")
    except csv.Error:
        dialect = _Semicolon
    reader = BoundedDictReader(io.StringIO(text), dialect=dialect)
    try:
        _read_lines(session, employer, reader, report)
    except csv.Error:
        # A cell longer than MAX_CELL_CHARS (far beyond any field's length), or a file
        # that is not CSV: nothing is kept (the caller rolls back on a fatal error).
        report.fatal["file"] = [unreadable_message(reader.unreadable_line())]
    return report


def _read_lines(
    session: Session, employer: Employer, reader: csv.DictReader[str], report: ImportReport
) -> None:
    headers = [_HEADERS.get(normalize(h or ""), "") for h in (reader.fieldnames or [])]
    missing = [_BY_COLUMN[c].label for c in REQUIRED_COLUMNS if c not in headers]
    if missing:
        report.fatal["file"] = [missing_columns_message(missing, (f.label for f in OFFER_FIELDS))]
        return
    for count, raw in enumerate(reader, start=1):
        if count > MAX_LINES:
            report.fatal["file"] = [too_many_lines_message(MAX_LINES)]
            return
        # The line of the file, as a spreadsheet numbers it (the reader skips blank lines).
        number = reader.line_num
        row = {
            _HEADERS.get(normalize(k or ""), ""): (v or "")
            for k, v in raw.items()
            if isinstance(v, str)
        }
        if not any(v.strip() for v in row.values()):
            continue
        problems: list[str] = []
        args = _line_args(session, row, employer, problems)
        if problems:
            report.rejected.append((number, problems))
            continue
        savepoint = session.begin_nested()
        try:
            offer = create_offer(session, employer, **args)
        except (ValidationError, DataError) as exc:
            savepoint.rollback()
            messages = (
                [f"{field_label(f)} : {m}" for f, ms in exc.errors.items() for m in ms]
                if isinstance(exc, ValidationError)
                else [str(exc)]
            )
            report.rejected.append((number, messages))
            continue
        savepoint.commit()
        report.created.append(offer)
