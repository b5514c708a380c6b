"""Import and export training centres with their programmes and sessions as CSV (issue 16).

**One line per session.** A line names its centre (name, type, commune...), its programme
(métier, diploma, by apprenticeship...) and one session (start, end, places, application dates,
selection). A programme without a session is a line whose session columns are empty; a centre
without a programme, a line whose programme and session columns are empty. The export writes
exactly these lines, so an exported file imports back unchanged.

**What a line adds to.** A centre is known by its name and its commune: a line naming a centre
already there updates its non-empty fields, else it creates it. Within the centre, a programme is
known by its métier, its diploma and whether it is by apprenticeship; a session by its programme
and its start date (an existing one is updated). So a file can be imported again, corrected.

**Values.** Headers as :data:`COLUMNS` names them (the French label, or the short name; any case,
with or without accents), ``;`` or ``,`` between cells, UTF-8 or Windows-1252. The commune is any
text the house's resolver reads (« Bourg-en-Bresse (01000) », « 01000 »), the métier any text the
métier resolver reads (« AES », « Aide-soignant »), the type a label or a code (« GRETA »,
« cfa »), yes/no « oui »/« non », dates ``JJ/MM/AAAA`` or ``AAAA-MM-JJ``.

A line that breaks a rule is rejected with its number and French messages; the others are kept
(each line in its own savepoint, so a rejected line leaves nothing behind).
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import PermissionDenied, ValidationError
from data.models import CentreKind, TrainingCentre, TrainingProgramme, TrainingSession
from data.presentation import plural
from data.presentation.export import Column, csv_text
from data.presentation.labels import LABELS
from matching import normalize

from . import audit
from .communes import commune_label, resolve_commune
from .csv_import import Semicolon, import_lines
from .training import (
    CENTRE_RULES,
    PROGRAMME_RULES,
    SESSION_RULES,
    STAFF_ONLY,
    create_centre,
    create_programme,
    create_session,
    differs,
    update_centre,
    update_programme,
    update_session,
)
from .validation import clean_metier, clean_text

__all__ = [
    "COLUMNS",
    "EXPORT_FILENAME",
    "MAX_LINES",
    "TEMPLATE_FILENAME",
    "CentreColumn",
    "TrainingImportReport",
    "export_csv",
    "import_centres",
    "template_csv",
]

MAX_LINES = 2000
TEMPLATE_FILENAME = "modele-import-centres-de-formation.csv"
EXPORT_FILENAME = "centres-de-formation.csv"
IMPORT_ACTION = "import_training_centres"


@dataclass(frozen=True)
class CentreColumn:
    """One column of the file: its short name, its French header, the use case's field, what
    it describes (``centre``, ``programme`` or ``session``) and what the import page says of it."""

    column: str
    label: str
    name: str
    part: str
    help: str
    required: bool = False


COLUMNS: tuple[CentreColumn, ...] = (
    CentreColumn("centre", "Centre", "name", "centre", "Nom du centre de formation.", True),
    CentreColumn(
        "type",
        "Type de centre",
        "kind",
        "centre",
        "IFAS / IFSI, Institut régional du travail social / école de travail social, GRETA, "
        "AFPA, CFA, Organisme privé ou Autre (obligatoire pour un nouveau centre).",
    ),
    CentreColumn(
        "commune", "Commune", "commune", "centre", "Nom ou code postal : « Bourg-en-Bresse ».", True
    ),
    CentreColumn("adresse", "Adresse", "address", "centre", "Adresse postale."),
    CentreColumn("site", "Site internet", "website", "centre", "https://…"),
    CentreColumn(
        "courriel", "Adresse électronique de contact", "contact_email", "centre", "Facultative."
    ),
    CentreColumn("telephone", "Téléphone", "contact_phone", "centre", "Facultatif."),
    CentreColumn(
        "transports",
        "Accessible en transports en commun",
        "public_transport",
        "centre",
        "« oui », « non » ou vide (non renseigné).",
    ),
    CentreColumn(
        "metier",
        "Métier",
        "metier",
        "programme",
        "Le métier préparé : « Aide-soignant », « AES »… (vide : un centre sans formation).",
    ),
    CentreColumn(
        "diplome", "Diplôme", "diploma", "programme", "Tel que le centre le nomme : « DEAS »."
    ),
    CentreColumn(
        "apprentissage",
        "Par l'apprentissage",
        "by_apprenticeship",
        "programme",
        "« oui » ou « non » (vide : oui).",
    ),
    CentreColumn("duree", "Durée en mois", "duration_months", "programme", "De 1 à 60."),
    CentreColumn(
        "rythme",
        "Rythme de l'alternance",
        "rhythm",
        "programme",
        "« 1 semaine en centre / 3 semaines en structure ».",
    ),
    CentreColumn(
        "rentree",
        "Rentrée",
        "start_date",
        "session",
        "Date de début de la session (vide : une formation sans session).",
    ),
    CentreColumn("fin", "Date de fin", "end_date", "session", "Date de fin de la session."),
    CentreColumn(
        "places", "Places en apprentissage", "apprenticeship_places", "session", "De 0 à 500."
    ),
    CentreColumn(
        "ouverture",
        "Ouverture des inscriptions",
        "applications_open_on",
        "session",
        "Date.",
    ),
    CentreColumn(
        "limite",
        "Date limite d'inscription",
        "application_deadline",
        "session",
        "Date.",
    ),
    CentreColumn(
        "selection",
        "Dates de sélection",
        "selection_dates",
        "session",
        "Texte libre : « écrit le 12 mars 2027, oral en avril ».",
    ),
)
_BY_COLUMN = {c.column: c for c in COLUMNS}
_HEADERS = {
    **{normalize(c.column): c.column for c in COLUMNS},
    **{normalize(c.label): c.column for c in COLUMNS},
}
_KINDS = {
    **{normalize(m.value): m for m in CentreKind},
    **{normalize(text): CentreKind(value) for value, text in LABELS[CentreKind].items()},
    normalize("IFAS"): CentreKind.IFAS_IFSI,
    normalize("IFSI"): CentreKind.IFAS_IFSI,
    normalize("IRTS"): CentreKind.TRAVAIL_SOCIAL,
}
REQUIRED_COLUMNS = tuple(c.column for c in COLUMNS if c.required)


@dataclass
class TrainingImportReport:
    """What the import did: objects created and updated, lines rejected with their messages.

    ``fatal`` holds the errors that refused the whole file (nothing is kept: the caller rolls
    back); ``rejected`` the lines refused one by one, by line number of the file.
    """

    centres_created: int = 0
    centres_updated: int = 0
    programmes_created: int = 0
    sessions_created: int = 0
    sessions_updated: int = 0
    lines: int = 0
    rejected: list[tuple[int, list[str]]] = field(default_factory=list)
    fatal: dict[str, list[str]] = field(default_factory=dict)
    centre_ids: set[int] = field(default_factory=set)

    def summary(self) -> str:
        """Return the French sentence that tells how the import went."""
        parts = [
            plural(self.centres_created, "centre créé", "centres créés"),
            plural(self.centres_updated, "centre mis à jour", "centres mis à jour"),
            plural(self.programmes_created, "formation ajoutée", "formations ajoutées"),
            plural(self.sessions_created, "session ajoutée", "sessions ajoutées"),
            plural(self.sessions_updated, "session mise à jour", "sessions mises à jour"),
            plural(len(self.rejected), "ligne refusée", "lignes refusées"),
        ]
        return ", ".join(parts) + "."

    def rejected_lines(self) -> list[dict[str, Any]]:
        """Return the refused lines as ``{"line": number, "messages": [French, ...]}``."""
        return [{"line": n, "messages": list(m)} for n, m in self.rejected]


def template_csv() -> str:
    """Return an import file's header line (the French labels, ``;``-separated) and one example
    line, marked as an example to replace."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect=Semicolon, lineterminator="\r\n")
    writer.writerow([c.label for c in COLUMNS])
    writer.writerow(
        [
            "Exemple à remplacer",
            "IFAS / IFSI",
            "Bourg-en-Bresse",
            "1 rue de l'Exemple",
            "https://www.exemple.fr",
            "contact@exemple.fr",
            "04 74 00 00 00",
            "oui",
            "Aide-soignant",
            "DEAS",
            "oui",
            "12",
            "1 semaine en centre / 3 semaines en structure",
            "04/01/2027",
            "22/12/2027",
            "10",
            "01/09/2026",
            "15/11/2026",
            "oral le 30 novembre 2026",
        ]
    )
    return buffer.getvalue()


# --- Export -------------------------------------------------------------------------------------


@dataclass(frozen=True)
class _Row:
    centre: TrainingCentre
    programme: TrainingProgramme | None
    session: TrainingSession | None


def _value(column: CentreColumn, row: _Row) -> object:
    if column.part == "centre":
        source: Any = row.centre
    elif column.part == "programme":
        source = row.programme
    else:
        source = row.session
    if source is None:
        return None
    if column.name == "commune":
        return commune_label(row.centre.commune)
    if column.name == "metier":
        return source.metier.label
    if column.name == "public_transport":
        return {"yes": "oui", "no": "non"}.get(source.public_transport.value, "")
    if column.name == "by_apprenticeship":
        return "oui" if source.by_apprenticeship else "non"
    return getattr(source, column.name)


def export_rows(centres: Iterable[TrainingCentre]) -> list[_Row]:
    """Return the lines of the export: one per session, per programme without, per bare centre."""
    rows = []
    for centre in centres:
        if not centre.programmes:
            rows.append(_Row(centre, None, None))
        for programme in centre.programmes:
            if not programme.sessions:
                rows.append(_Row(centre, programme, None))
            rows.extend(_Row(centre, programme, s) for s in programme.sessions)
    return rows


def export_csv(centres: Iterable[TrainingCentre]) -> str:
    """Return the CSV file of ``centres`` (the import's columns, one line per session)."""
    columns = [Column(c.label, lambda r, c=c: _value(c, r)) for c in COLUMNS]  # type: ignore[misc]
    return csv_text(columns, export_rows(centres))


# --- Import -------------------------------------------------------------------------------------


def import_centres(session: Session, actor: Actor, stream: IO[bytes]) -> TrainingImportReport:
    """Create or update centres, programmes and sessions from a CSV file; the caller commits.

    Raises ``PermissionDenied`` unless staff import.
    """
    if not actor.is_staff:
        raise PermissionDenied(STAFF_ONLY)
    report = TrainingImportReport()

    def import_line(row: dict[str, str]) -> tuple[int, _Counts]:
        counts = _Counts()
        return _import_line(session, actor, row, counts), counts

    def accepted(kept: tuple[int, _Counts]) -> None:
        kept[1].add_to(report)
        report.centre_ids.add(kept[0])

    import_lines(
        session,
        stream,
        report,
        headers=_HEADERS,
        required=REQUIRED_COLUMNS,
        labels={c.column: c.label for c in COLUMNS},
        field_labels={c.name: c.label for c in COLUMNS},
        max_lines=MAX_LINES,
        import_line=import_line,
        accepted=accepted,
    )
    if not report.fatal and report.centre_ids:
        audit.record(
            session,
            actor,
            IMPORT_ACTION,
            "training_centre",
            None,
            {"centre_ids": sorted(report.centre_ids), "summary": report.summary()},
        )
    return report


@dataclass
class _Counts:
    centres_created: int = 0
    centres_updated: int = 0
    programmes_created: int = 0
    sessions_created: int = 0
    sessions_updated: int = 0

    def add_to(self, report: TrainingImportReport) -> None:
        for name in vars(self):
            setattr(report, name, getattr(report, name) + getattr(self, name))


def _part(row: dict[str, str], part: str) -> dict[str, str]:
    """The line's non-empty values of one part, by the use case's field names."""
    return {c.name: row[c.column] for c in COLUMNS if c.part == part and row.get(c.column)}


def _import_line(session: Session, actor: Actor, row: dict[str, str], counts: _Counts) -> int:
    centre_values = _part(row, "centre")
    programme_values = _part(row, "programme")
    session_values = _part(row, "session")
    if "kind" in centre_values:
        kind = _KINDS.get(normalize(centre_values["kind"]))
        if kind is None:
            labels = ", ".join(f"« {t} »" for t in LABELS[CentreKind].values())
            raise ValidationError({"kind": [f"Type inconnu ; types possibles : {labels}."]})
        centre_values["kind"] = kind.value
    centre = _centre(session, actor, centre_values, counts)
    if session_values and "metier" not in programme_values:
        raise ValidationError({"metier": ["Indiquez le métier de la formation de cette session."]})
    if programme_values:
        if "metier" not in programme_values:
            raise ValidationError({"metier": ["Indiquez le métier de cette formation."]})
        programme = _programme(session, actor, centre, programme_values, counts)
        if session_values:
            _session(session, actor, programme, session_values, counts)
    return centre.id


def _centre(
    session: Session, actor: Actor, values: dict[str, str], counts: _Counts
) -> TrainingCentre:
    name = clean_text(values.get("name"), "name", max_length=200)
    commune = resolve_commune(session, values.get("commune"), "commune")
    existing = session.scalar(
        select(TrainingCentre)
        .where(
            func.lower(TrainingCentre.name) == (name or "").lower(),
            TrainingCentre.commune_insee == commune.insee,
        )
        .order_by(TrainingCentre.id)
        .limit(1)
    )
    if existing is None:
        counts.centres_created += 1
        return create_centre(session, actor, **values)
    changes = {k: v for k, v in values.items() if k not in ("name", "commune")}
    if changes and differs(session, CENTRE_RULES, existing, changes):
        update_centre(session, actor, existing, **changes)
        counts.centres_updated += 1
    return existing


def _programme(
    session: Session,
    actor: Actor,
    centre: TrainingCentre,
    values: dict[str, str],
    counts: _Counts,
) -> TrainingProgramme:
    metier = clean_metier(session, values["metier"], "metier")
    diploma = PROGRAMME_RULES["diploma"][0](session, values.get("diploma"), "diploma")
    by_apprenticeship = PROGRAMME_RULES["by_apprenticeship"][0](
        session, values.get("by_apprenticeship", "oui"), "by_apprenticeship"
    )
    for programme in centre.programmes:
        if (
            programme.metier_code == metier.code
            and (programme.diploma or None) == diploma
            and programme.by_apprenticeship == by_apprenticeship
        ):
            changes = {k: v for k, v in values.items() if k in ("duration_months", "rhythm") and v}
            if changes and differs(session, PROGRAMME_RULES, programme, changes):
                update_programme(session, actor, programme, **changes)
            return programme
    counts.programmes_created += 1
    return create_programme(session, actor, centre, **values)


def _session(
    session: Session,
    actor: Actor,
    programme: TrainingProgramme,
    values: dict[str, str],
    counts: _Counts,
) -> TrainingSession:
    start = SESSION_RULES["start_date"][0](session, values.get("start_date"), "start_date")
    for intake in programme.sessions:
        if intake.start_date == start:
            changes = {k: v for k, v in values.items() if k != "start_date"}
            if changes and differs(session, SESSION_RULES, intake, changes):
                update_session(session, actor, intake, **changes)
                counts.sessions_updated += 1
            return intake
    counts.sessions_created += 1
    return create_session(session, actor, programme, **values)
