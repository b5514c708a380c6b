"""The coordinators' lists as CSV files a spreadsheet opens cleanly: one writer for every list.

French header, ``;`` between cells, UTF-8 with a byte order mark (Excel reads the accents right
only with it), days as JJ/MM/AAAA, statuses by their French labels, and any text that a
spreadsheet would run as a formula (=, +, -, @, tab, carriage return first) kept as text with a
leading apostrophe (OWASP « CSV injection »).
"""

from __future__ import annotations

import csv
import enum
import io
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

from .formatters import PARIS, date_short, km, percent
from .labels import label

__all__ = [
    "CHECK_HEADER",
    "COLUMNS",
    "CANDIDATE_SHOWN",
    "SURVEY_ANSWER_COLUMNS",
    "FORMULA_STARTS",
    "Column",
    "cell",
    "csv_text",
    "plain",
    "xlsx_bytes",
]

#: First characters that make a spreadsheet read a cell as a formula.
FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
BOM = "\ufeff"
#: The header of a structure's check status, in the employers' list, its filter and its exports.
CHECK_HEADER = "Vérification"


@dataclass(frozen=True)
class Column:
    """One column of an export: its French header and how to read its value from a row."""

    header: str
    value: Callable[[Any], object]


def _normal(value: object) -> object:
    """One value of a row as each format starts from it: a moment as its day in Paris, a status
    as its French label; None, booleans, numbers, days and texts as they are; anything else as
    its text."""
    if isinstance(value, datetime):
        return value.astimezone(PARIS).date()
    if isinstance(value, enum.Enum):
        return label(value)
    if value is None or isinstance(value, bool | int | float | date | str):
        return value
    return str(value)


def cell(value: object) -> str:
    """Write one value as a spreadsheet should read it.

    >>> cell(date(2026, 3, 1)), cell(True), cell(None), cell("=1+1"), cell(-3)
    ('01/03/2026', 'Oui', '', "'=1+1", '-3')
    """
    value = _normal(value)
    if value is None:
        return ""
    if isinstance(value, bool):
        return "Oui" if value else "Non"
    if isinstance(value, date):
        return date_short(value)
    text = str(value)
    if isinstance(value, int | float):
        return text
    return f"'{text}" if text.startswith(FORMULA_STARTS) else text


def plain(value: object) -> object:
    """Give one value of a list's row as JSON holds it: numbers, booleans and null as they are,
    days in ISO 8601 (Paris day of a moment), statuses by their French labels.

    >>> plain(date(2026, 3, 1)), plain(True), plain(None), plain("=1+1"), plain(0.5)
    ('2026-03-01', True, None, '=1+1', 0.5)
    """
    value = _normal(value)
    return value.isoformat() if isinstance(value, date) else value


def csv_text(columns: Sequence[Column], rows: Iterable[Any]) -> str:
    """Return the CSV text (with its byte order mark) of ``rows`` under ``columns``' headers."""
    out = io.StringIO()
    out.write(BOM)
    writer = csv.writer(out, delimiter=";", lineterminator="\r\n")
    writer.writerow([c.header for c in columns])
    for row in rows:
        writer.writerow([cell(c.value(row)) for c in columns])
    return out.getvalue()


#: The Excel number format of a day (French order), and the widest a column grows (characters).
XLSX_DAY = "DD/MM/YYYY"
XLSX_MAX_WIDTH = 60


def _sheet_cell(sheet: Any, value: object) -> WriteOnlyCell:
    """One cell of a sheet: numbers as numbers, days as days, everything else as text (a text
    starting with ``=`` stays text: openpyxl would write it as a formula)."""
    value = _normal(value)
    if value is None or isinstance(value, bool):
        value = cell(value)
    out = WriteOnlyCell(sheet, value=value)
    if isinstance(value, date):
        out.number_format = XLSX_DAY
    elif isinstance(value, str):
        out.data_type = "s"
    return out


def xlsx_bytes(columns: Sequence[Column], rows: Iterable[Any], title: str) -> bytes:
    """Return an Excel workbook (.xlsx) of ``rows`` under ``columns``' headers, one sheet named
    ``title``, its header row bold and frozen, each column as wide as its widest cell."""
    book = Workbook(write_only=True)
    sheet = book.create_sheet(title[:31])
    values = [[c.value(row) for c in columns] for row in rows]
    widths = [len(c.header) for c in columns]
    for line in values:
        for i, value in enumerate(line):
            widths[i] = max(widths[i], len(cell(value)))
    for i, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(i + 1)].width = min(width + 2, XLSX_MAX_WIDTH)
    sheet.freeze_panes = "A2"
    header = []
    for c in columns:
        head = WriteOnlyCell(sheet, value=c.header)
        head.font = Font(bold=True)
        header.append(head)
    sheet.append(header)
    for line in values:
        sheet.append([_sheet_cell(sheet, v) for v in line])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def _centre(centre: Any) -> str | None:
    return None if centre is None else f"{centre.name} ({centre.commune.name})"


def _housing(s: Any) -> str | None:
    """Where the engine houses the pair's candidate: the offer's beds, or a resource near it."""
    if s.housing_source is None:
        return None
    if s.proposed_housing is None:
        return label(s.housing_source)
    return f"{_centre(s.proposed_housing)}, à {km(s.proposed_housing_km)} de l'offre"


def _metiers(r: Any) -> str:
    return ", ".join(m.metier.label if m.metier else m.text for m in r.metiers)


#: The columns of each coordinators' list (the word of its URL), as its page shows them.
COLUMNS: dict[str, tuple[Column, ...]] = {
    "offres": (
        Column("N°", lambda o: o.id),
        Column("Métier", lambda o: o.metier.label),
        Column("Employeur", lambda o: o.site.employer.name),
        Column("Site", lambda o: o.site.name),
        Column("Commune", lambda o: o.site.commune.name),
        Column("Places pourvues", lambda o: o.places_filled),
        Column("Places", lambda o: o.places),
        Column("Statut", lambda o: o.status),
        Column("Créée le", lambda o: o.created_at),
        Column("Centre de formation partenaire", lambda o: _centre(o.partner_centre)),
    ),
    "demandes": (
        Column("N°", lambda r: r.id),
        Column("Candidat", lambda r: r.candidate.first_name),
        Column("Commune", lambda r: r.commune.name),
        Column("Métiers", _metiers),
        Column("Besoin de logement", lambda r: r.needs_housing),
        Column("Statut", lambda r: r.status),
        Column("Créée le", lambda r: r.created_at),
        Column("Inscrit·e au centre de formation", lambda r: _centre(r.training_centre)),
    ),
    "employeurs": (
        Column("Structure", lambda e: e.name),
        Column("Type", lambda e: e.kind),
        Column("SIRET", lambda e: e.siret),
        Column(CHECK_HEADER, lambda e: e.check_status),
    ),
    "candidats": (
        Column("N°", lambda c: c.id),
        Column("Prénom", lambda c: c.first_name),
        Column("Inscrit le", lambda c: c.created_at),
        Column("Demande", lambda c: c.request.id if c.request else None),
        Column("Statut de la demande", lambda c: c.request.status if c.request else None),
    ),
    "binomes": (
        Column("Candidat", lambda s: s.request.candidate.first_name),
        Column("Demande", lambda s: s.request_id),
        Column("Métier", lambda s: s.offer.metier.label),
        Column("Site", lambda s: s.offer.site.name),
        Column("Employeur", lambda s: s.offer.site.employer.name),
        Column("Étape", lambda s: s.status),
        Column("Depuis le", lambda s: s.status_changed_at),
        # The pair's story (the rupture's reason stays on the pair's page).
        Column("Entretien le", lambda s: s.interview_on),
        Column("Contrat signé le", lambda s: s.contract_signed_on),
        Column("Début du contrat", lambda s: s.contract_start_on),
        Column("Type de contrat", lambda s: s.contract_kind),
        Column("Centre de formation", lambda s: s.training_centre),
        Column("Rupture le", lambda s: s.broken_on),
    ),
    "suggestions": (
        Column("Score", lambda s: percent(s.score)),
        Column("Candidat", lambda s: s.request.candidate.first_name),
        Column("Commune du candidat", lambda s: s.request.commune.name),
        Column("Métier", lambda s: s.offer.metier.label),
        Column("Site", lambda s: s.offer.site.name),
        Column("Commune de l'offre", lambda s: s.offer.site.commune.name),
        Column("Distance", lambda s: km(s.distance_km)),
        Column("Besoin de logement", lambda s: s.request.needs_housing),
        Column("Centre de formation proposé", lambda s: _centre(s.proposed_centre)),
        Column("Rentrée proposée", lambda s: s.proposed_intake_on),
        Column("Logement proposé", _housing),
    ),
}

#: The housing survey's answers, one line per invited structure (issue 17).
SURVEY_ANSWER_COLUMNS = (
    Column("Structure", lambda i: i.employer.name),
    Column("SIRET", lambda i: i.employer.siret),
    Column("Adresse du courriel", lambda i: i.recipient),
    Column("Envoyé le", lambda i: i.sent_at),
    Column("Relances", lambda i: i.reminders),
    Column("Réponse", lambda i: i.answer),
    Column("Répondu le", lambda i: i.answered_at),
    Column("Modifié le", lambda i: i.updated_at),
    Column("Type de logement", lambda i: i.kind),
    Column("Lits", lambda i: i.beds),
    Column("Coût mensuel en euros", lambda i: i.monthly_cost_eur),
    Column("Commune", lambda i: i.commune.name if i.commune else None),
    Column("Établissement", lambda i: i.site.name if i.site else None),
    Column("Précisions", lambda i: i.notes),
    Column("Personne à contacter", lambda i: i.contact_name),
    Column("Adresse électronique de contact", lambda i: i.contact_email),
    Column("Téléphone", lambda i: i.contact_phone),
)

#: The candidates' fields each export shows (its reading is written to the audit log), and how
#: to find the candidate of a row.
CANDIDATE_SHOWN: dict[str, tuple[tuple[str, ...], Callable[[Any], int]]] = {
    "demandes": (("first_name",), lambda r: r.candidate_id),
    "candidats": (("first_name",), lambda c: c.id),
    "binomes": (("first_name",), lambda s: s.request.candidate_id),
    "suggestions": (("first_name",), lambda s: s.request.candidate_id),
}
