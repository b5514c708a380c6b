"""Import an employer's offers from a CSV file: each line is one ``create_offer`` call.

A line that breaks a rule is rejected with its number and the French messages, the others are
kept (each line in its own savepoint, so a rejected line leaves nothing behind). The file is
read as UTF-8 (with or without BOM), or Windows-1252 as spreadsheets export it; the separator
is ``;`` or ``,``.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from typing import IO

from sqlalchemy.orm import Session

from data import operations as ops
from data import queries
from data.errors import DataError, ValidationError
from data.models import Employer, Offer
from web.forms import FIELD_LABELS

__all__ = ["COLUMNS", "ImportReport", "import_offers"]

MAX_LINES = 500
COLUMNS = {
    # CSV header (French) -> argument of create_offer
    "lieu": "site_id",
    "metier": "metier_code",
    "diplome": "diploma",
    "contrat": "contract",
    "places": "places",
    "date_debut": "start_date",
    "duree_mois": "duration_months",
    "lits_reserves": "housing_beds",
    "permis_exige": "licence_required",
    "travail_nuit": "night_work",
    "travail_weekend": "weekend_work",
    "tuteur": "tutor_name",
    "fonction_tuteur": "tutor_role",
    "description": "description",
}
REQUIRED_COLUMNS = ("lieu", "metier")
TRUE = {"oui", "o", "1", "vrai", "true", "x"}
FALSE = {"non", "n", "0", "faux", "false", ""}


class _Semicolon(csv.excel):
    delimiter = ";"


@dataclass
class ImportReport:
    """What the import did: offers created, lines rejected with their messages."""

    created: list[Offer] = field(default_factory=list)
    rejected: list[tuple[int, list[str]]] = field(default_factory=list)
    fatal: dict[str, list[str]] = field(default_factory=dict)


def _decode(raw: bytes) -> str:
    try:
        return raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        return raw.decode("cp1252", errors="replace")


def _bool(value: str, column: str, problems: list[str]) -> bool:
    v = value.strip().lower()
    if v in TRUE:
        return True
    if v not in FALSE:
        problems.append(f"{column} : « oui » ou « non » attendu.")
    return False


def _line_args(
    row: dict[str, str], employer: Employer, metiers: dict[str, str], problems: list[str]
) -> dict[str, object]:
    args: dict[str, object] = {}
    for column, name in COLUMNS.items():
        value = (row.get(column) or "").strip()
        if name in ("licence_required", "night_work", "weekend_work"):
            args[name] = _bool(value, column, problems)
        elif name == "site_id":
            site = next((s for s in employer.sites if value in (str(s.id), s.name) and value), None)
            if site is None:
                problems.append(f"lieu : aucun de vos lieux d'accueil ne s'appelle « {value} ».")
            else:
                args[name] = site.id
        elif name == "metier_code":
            args[name] = metiers.get(value.lower(), value)
        elif name in ("places", "housing_beds"):
            args[name] = value or ("1" if name == "places" else "0")
        elif name == "description":
            args[name] = value
        elif name == "contract":
            args[name] = value.lower() or "apprentissage"
        else:
            args[name] = value or None
    return args


def import_offers(session: Session, employer: Employer, stream: IO[bytes]) -> ImportReport:
    """Create a draft offer for each valid line; report the others. The caller commits."""
    report = ImportReport()
    text = _decode(stream.read())
    try:
        dialect = csv.Sniffer().sniff(text[:4096], delimiters=";,")
    except csv.Error:
        dialect = _Semicolon  # type: ignore[assignment]
    reader = csv.DictReader(io.StringIO(text), dialect=dialect)
    try:
        _read_lines(session, employer, reader, report)
    except csv.Error:
        # A cell longer than csv.field_size_limit() (far beyond any field's length), or a file
        # that is not CSV: nothing is kept (the caller rolls back on a fatal error).
        report.fatal["file"] = [
            f"Le fichier n'a pas pu être lu à la ligne {reader.line_num + 1} : une cellule dépasse "
            "la taille autorisée ou le format CSV n'est pas respecté."
        ]
    return report


def _read_lines(
    session: Session, employer: Employer, reader: csv.DictReader[str], report: ImportReport
) -> None:
    headers = [h.strip().lower() for h in (reader.fieldnames or [])]
    missing = [c for c in REQUIRED_COLUMNS if c not in headers]
    if missing:
        report.fatal["file"] = [
            "Colonnes manquantes : "
            + ", ".join(missing)
            + ". Colonnes possibles : "
            + ", ".join(COLUMNS)
            + "."
        ]
        return
    metiers = {}
    for code, label in queries.metier_options(session):
        metiers[code.lower()] = code
        metiers[label.lower()] = code
    for number, raw in enumerate(reader, start=2):
        if number - 1 > MAX_LINES:
            report.fatal["file"] = [f"Le fichier dépasse {MAX_LINES} lignes : découpez-le."]
            return
        row = {(k or "").strip().lower(): (v or "") for k, v in raw.items() if isinstance(v, str)}
        if not any(v.strip() for v in row.values()):
            continue
        problems: list[str] = []
        args = _line_args(row, employer, metiers, problems)
        if problems:
            report.rejected.append((number, problems))
            continue
        savepoint = session.begin_nested()
        try:
            offer = ops.create_offer(session, employer, **args)  # type: ignore[arg-type]
        except (ValidationError, DataError) as exc:
            savepoint.rollback()
            messages = (
                [f"{FIELD_LABELS.get(f, f)} : {m}" for f, ms in exc.errors.items() for m in ms]
                if isinstance(exc, ValidationError)
                else [str(exc)]
            )
            report.rejected.append((number, messages))
            continue
        savepoint.commit()
        report.created.append(offer)
