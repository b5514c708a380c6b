"""Import and export housing resources as CSV: the coordinators' inventory of partners' housing
(issue 17).

**One line per resource.** A line names the resource, its kind, its manager (a partner
organisation by name in « Gestionnaire », or a structure by its SIRET, or a training centre by
its name), its commune and address, beds, cost, aids, conditions, one availability period,
contact and whether it is published. The export writes exactly these columns, so an exported
file imports back unchanged (a resource with several periods exports its first, and a line whose
period is a resource's first leaves its other periods; a resource on a site of a structure is
exported but never changed by an import: the site's form manages it).

**What a line adds to.** A resource is known by its name, its commune and its manager: a line
naming one already there updates it (the fields of the line, empty cells left as they are),
else it creates it.

**Values.** Headers as :data:`COLUMNS` names them (the French label, or the short name; any
case, with or without accents), ``;`` or ``,`` between cells, UTF-8 or Windows-1252. The commune
is any text the house's resolver reads, the kind a label or a code (« Foyer de jeunes
travailleurs », « fjt », « FJT »), the aids labels or codes separated by ``,`` or ``/``, yes/no
« oui »/« non », dates ``JJ/MM/AAAA`` or ``AAAA-MM-JJ``.

A line that breaks a rule is rejected with its number and French messages; the others are kept
(each line in its own savepoint, so a rejected line leaves nothing behind).
"""

from __future__ import annotations

import csv
import io
import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import IO, Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from data.actor import Actor
from data.errors import PermissionDenied, ValidationError
from data.models import HousingAid, HousingKind, HousingResource, TrainingCentre
from data.presentation import plural
from data.presentation.export import Column, csv_text
from data.presentation.labels import LABELS
from matching import normalize

from . import audit
from .communes import commune_label, resolve_commune
from .csv_import import Semicolon, import_lines
from .employers import employer_by_siret
from .housing import clean_periods, create_housing, differs, update_housing
from .validation import clean_siret, clean_text

__all__ = [
    "COLUMNS",
    "EXPORT_FILENAME",
    "MAX_LINES",
    "TEMPLATE_FILENAME",
    "HousingColumn",
    "HousingImportReport",
    "export_csv",
    "import_housing",
    "template_csv",
]

MAX_LINES = 2000
TEMPLATE_FILENAME = "modele-import-logements.csv"
EXPORT_FILENAME = "logements.csv"
IMPORT_ACTION = "import_housing"
STAFF_ONLY = "Seule la coordination importe des logements."
ON_SITE_LINE = "Ce logement est celui d'un lieu d'accueil : modifiez-le sur la fiche du lieu."


@dataclass(frozen=True)
class HousingColumn:
    """One column of the file: its short name, its French header, the use case's field (or
    the import's own: ``manager``, ``siret``, ``centre``, ``starts_on``, ``ends_on``) and what
    the import page says of it."""

    column: str
    label: str
    name: str
    help: str
    required: bool = False


COLUMNS: tuple[HousingColumn, ...] = (
    HousingColumn("nom", "Nom", "name", "Nom du logement ou de la résidence.", True),
    HousingColumn(
        "type",
        "Type de logement",
        "kind",
        "Foyer de jeunes travailleurs, Résidence étudiante, Hébergement chez l'habitant… "
        "(obligatoire pour un nouveau logement).",
    ),
    HousingColumn(
        "gestionnaire",
        "Gestionnaire",
        "partner_name",
        "Nom de l'organisme partenaire qui gère le logement (ou bien le SIRET d'une structure, "
        "ou bien un centre de formation).",
    ),
    HousingColumn("siret", "SIRET de la structure", "siret", "Une structure inscrite."),
    HousingColumn("centre", "Centre de formation", "centre", "Nom d'un centre enregistré."),
    HousingColumn(
        "commune", "Commune", "commune", "Nom ou code postal : « Bourg-en-Bresse ».", True
    ),
    HousingColumn(
        "adresse", "Adresse", "address", "Jamais publiée pour un hébergement chez l'habitant."
    ),
    HousingColumn("lits", "Lits", "beds", "De 0 à 500 (obligatoire pour un nouveau logement)."),
    HousingColumn("lits_occupes", "Lits occupés", "beds_taken", "Vide : 0."),
    HousingColumn("cout_mensuel", "Coût mensuel en euros", "monthly_cost_eur", "Nombre entier."),
    HousingColumn(
        "ce_que_comprend", "Ce que comprend le coût", "cost_includes", "« charges, repas du soir »."
    ),
    HousingColumn(
        "aides",
        "Aides au logement",
        "aids",
        "APL, Mobili-Jeune, Visale, Loca-Pass ou Autre, séparées par des virgules.",
    ),
    HousingColumn("age_min", "Âge minimal", "min_age", "De 14 à 99."),
    HousingColumn("age_max", "Âge maximal", "max_age", "De 14 à 99."),
    HousingColumn(
        "apprentis_seulement",
        "Réservé aux apprentis",
        "apprentices_only",
        "« oui » ou « non » (vide : non).",
    ),
    HousingColumn("sejour_min_mois", "Séjour minimal en mois", "min_stay_months", "De 1 à 60."),
    HousingColumn("sejour_max_mois", "Séjour maximal en mois", "max_stay_months", "De 1 à 60."),
    HousingColumn("disponible_du", "Disponible du", "starts_on", "Date (vide : toute l'année)."),
    HousingColumn("disponible_au", "Disponible au", "ends_on", "Date (vide : sans fin)."),
    HousingColumn("contact_nom", "Personne à contacter", "contact_name", "Facultatif."),
    HousingColumn(
        "contact_email", "Adresse électronique de contact", "contact_email", "Facultative."
    ),
    HousingColumn("contact_telephone", "Téléphone", "contact_phone", "Facultatif."),
    HousingColumn("publie", "Publié", "published", "« oui » ou « non » (vide : non)."),
)
_BY_COLUMN = {c.column: c for c in COLUMNS}
_HEADERS = {
    **{normalize(c.column): c.column for c in COLUMNS},
    **{normalize(c.label): c.column for c in COLUMNS},
}
_KINDS = {
    **{normalize(m.value): m for m in HousingKind},
    **{normalize(text): HousingKind(value) for value, text in LABELS[HousingKind].items()},
    normalize("FJT"): HousingKind.FJT,
    normalize("Résidence habitat jeunes"): HousingKind.FJT,
    normalize("Internat"): HousingKind.BOARDING,
    normalize("Chez l'habitant"): HousingKind.HOST_FAMILY,
    normalize("Intergénérationnel"): HousingKind.INTERGENERATIONAL,
    normalize("Bailleur social"): HousingKind.SOCIAL_LANDLORD,
    normalize("Autre"): HousingKind.OTHER,
}
_AIDS = {
    **{normalize(m.value): m for m in HousingAid},
    **{normalize(text): HousingAid(value) for value, text in LABELS[HousingAid].items()},
    normalize("APL"): HousingAid.APL,
    normalize("Mobili-Jeune"): HousingAid.MOBILI_JEUNE,
    normalize("Visale"): HousingAid.VISALE,
    normalize("Loca-Pass"): HousingAid.LOCA_PASS,
    normalize("Autre"): HousingAid.OTHER,
}
#: The short names the export writes for aids (the import reads them back).
_AID_WORDS = {
    HousingAid.APL: "APL",
    HousingAid.MOBILI_JEUNE: "Mobili-Jeune",
    HousingAid.VISALE: "Visale",
    HousingAid.LOCA_PASS: "Loca-Pass",
    HousingAid.OTHER: "Autre",
}
REQUIRED_COLUMNS = tuple(c.column for c in COLUMNS if c.required)
_AID_SPLIT_RE = re.compile(r"[,;/+]")


@dataclass
class HousingImportReport:
    """What the import did: resources created and updated, lines rejected with their messages.

    ``fatal`` holds the errors that refused the whole file (nothing is kept: the caller rolls
    back); ``rejected`` the lines refused one by one, by line number of the file.
    """

    created: int = 0
    updated: int = 0
    unchanged: int = 0
    lines: int = 0
    rejected: list[tuple[int, list[str]]] = field(default_factory=list)
    fatal: dict[str, list[str]] = field(default_factory=dict)
    housing_ids: set[int] = field(default_factory=set)

    def summary(self) -> str:
        """Return the French sentence that tells how the import went."""
        parts = [
            plural(self.created, "logement créé", "logements créés"),
            plural(self.updated, "logement mis à jour", "logements mis à jour"),
            plural(len(self.rejected), "ligne refusée", "lignes refusées"),
        ]
        return ", ".join(parts) + "."


def template_csv() -> str:
    """Return an import file's header line (the French labels, ``;``-separated) and one example
    line, marked as an example to replace."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, dialect=Semicolon, lineterminator="\r\n")
    writer.writerow([c.label for c in COLUMNS])
    writer.writerow(
        [
            "Exemple à remplacer",
            "Foyer de jeunes travailleurs",
            "Association Exemple Habitat Jeunes",
            "",
            "",
            "Bourg-en-Bresse",
            "1 rue de l'Exemple",
            "20",
            "12",
            "380",
            "charges comprises",
            "APL, Visale",
            "16",
            "30",
            "non",
            "1",
            "24",
            "01/09/2026",
            "",
            "Accueil",
            "accueil@exemple.fr",
            "04 74 00 00 00",
            "oui",
        ]
    )
    return buffer.getvalue()


# --- Export -------------------------------------------------------------------------------------


def _value(column: HousingColumn, resource: HousingResource) -> object:
    name = column.name
    first = resource.periods[0] if resource.periods else None
    if name == "kind":
        return LABELS[HousingKind][resource.kind.value]
    if name == "commune":
        return commune_label(resource.commune)
    if name == "siret":
        return resource.employer.siret if resource.employer is not None else None
    if name == "centre":
        return resource.centre.name if resource.centre is not None else None
    if name == "aids":
        return ", ".join(_AID_WORDS[HousingAid(a)] for a in resource.aids or [])
    if name in ("apprentices_only", "published"):
        return "oui" if getattr(resource, name) else "non"
    if name == "starts_on":
        return first.starts_on if first is not None else None
    if name == "ends_on":
        return first.ends_on if first is not None else None
    return getattr(resource, name)


def export_csv(resources: Iterable[HousingResource]) -> str:
    """Return the CSV file of ``resources`` (the import's columns, one line per resource)."""
    columns = [Column(c.label, lambda r, c=c: _value(c, r)) for c in COLUMNS]  # type: ignore[misc]
    return csv_text(columns, list(resources))


# --- Import -------------------------------------------------------------------------------------


def import_housing(session: Session, actor: Actor, stream: IO[bytes]) -> HousingImportReport:
    """Create or update resources from a CSV file; the caller commits.

    Raises ``PermissionDenied`` unless staff import.
    """
    if not actor.is_staff:
        raise PermissionDenied(STAFF_ONLY)
    report = HousingImportReport()

    def accepted(kept: tuple[int, str]) -> None:
        housing_id, outcome = kept
        setattr(report, outcome, getattr(report, outcome) + 1)
        report.housing_ids.add(housing_id)

    import_lines(
        session,
        stream,
        report,
        headers=_HEADERS,
        required=REQUIRED_COLUMNS,
        labels={c.column: c.label for c in COLUMNS},
        field_labels={
            **{c.name: c.label for c in COLUMNS},
            "employer_id": "SIRET de la structure",
            "centre_id": "Centre de formation",
            "periods": "Disponible du",
            "commune_insee": "Commune",
        },
        max_lines=MAX_LINES,
        import_line=lambda row: _import_line(session, actor, row),
        accepted=accepted,
    )
    if not report.fatal and report.housing_ids:
        audit.record(
            session,
            actor,
            IMPORT_ACTION,
            "housing_resource",
            None,
            {"housing_ids": sorted(report.housing_ids), "summary": report.summary()},
        )
    return report


def _kind(text: str) -> str:
    kind = _KINDS.get(normalize(text))
    if kind is None:
        labels = ", ".join(f"« {t} »" for t in LABELS[HousingKind].values())
        raise ValidationError({"kind": [f"Type inconnu ; types possibles : {labels}."]})
    return kind.value


def _aids(text: str) -> list[str]:
    found = []
    for part in _AID_SPLIT_RE.split(text):
        if not part.strip():
            continue
        aid = _AIDS.get(normalize(part))
        if aid is None:
            words = ", ".join(f"« {w} »" for w in _AID_WORDS.values())
            raise ValidationError(
                {"aids": [f"Aide inconnue : « {part.strip()} » ; aides possibles : {words}."]}
            )
        found.append(aid.value)
    return found


def _manager(session: Session, row: dict[str, str]) -> dict[str, Any]:
    """The manager named by the line: a partner's name, a structure's SIRET or a centre."""
    given = [c for c in ("gestionnaire", "siret", "centre") if row.get(c)]
    if len(given) != 1:
        raise ValidationError(
            {
                "partner_name": [
                    "Indiquez un seul gestionnaire : un organisme partenaire, le SIRET d'une "
                    "structure ou un centre de formation."
                ]
            }
        )
    if given == ["gestionnaire"]:
        return {"partner_name": row["gestionnaire"]}
    if given == ["siret"]:
        siret = clean_siret(row["siret"], "siret")
        employer = employer_by_siret(session, siret)
        if employer is None:
            raise ValidationError({"siret": ["Aucune structure inscrite avec ce SIRET."]})
        return {"employer_id": employer.id}
    name = clean_text(row["centre"], "centre", max_length=200) or ""
    centres = list(
        session.scalars(
            select(TrainingCentre)
            .where(func.lower(TrainingCentre.name) == name.lower())
            .order_by(TrainingCentre.id)
        )
    )
    if len(centres) != 1:
        message = (
            "Aucun centre de formation ne porte ce nom."
            if not centres
            else "Plusieurs centres portent ce nom : créez ce logement depuis les pages."
        )
        raise ValidationError({"centre": [message]})
    return {"centre_id": centres[0].id}


def _values(row: dict[str, str]) -> dict[str, Any]:
    """The line's non-empty values, by the use case's field names."""
    own = {"kind", "aids", "partner_name", "siret", "centre", "starts_on", "ends_on"}
    values: dict[str, Any] = {
        c.name: row[c.column] for c in COLUMNS if c.name not in own and row.get(c.column)
    }
    if row.get("type"):
        values["kind"] = _kind(row["type"])
    if row.get("aides"):
        values["aids"] = _aids(row["aides"])
    if row.get("disponible_du") or row.get("disponible_au"):
        if not row.get("disponible_du"):
            raise ValidationError({"starts_on": ["Indiquez le début de la disponibilité."]})
        values["periods"] = [
            {"starts_on": row["disponible_du"], "ends_on": row.get("disponible_au")}
        ]
    return values


def _import_line(session: Session, actor: Actor, row: dict[str, str]) -> tuple[int, str]:
    manager = _manager(session, row)
    values = _values(row)
    name = clean_text(values.get("name"), "name", max_length=200) or ""
    commune = resolve_commune(session, values.get("commune"), "commune")
    key = next(iter(manager))
    existing = session.scalar(
        select(HousingResource)
        .where(
            func.lower(HousingResource.name) == name.lower(),
            HousingResource.commune_insee == commune.insee,
            getattr(HousingResource, key) == manager[key],
        )
        .order_by(HousingResource.id)
        .limit(1)
    )
    if existing is None:
        created = create_housing(session, actor, **manager, **values)
        return created.id, "created"
    changes = {k: v for k, v in values.items() if k not in ("name", "commune")}
    if "periods" in changes and existing.periods:
        # The export writes the first period only: reading it back keeps the others.
        first = existing.periods[0]
        if clean_periods(changes["periods"]) == [(first.starts_on, first.ends_on)]:
            del changes["periods"]
    if not differs(session, existing, changes):
        return existing.id, "unchanged"
    if existing.site_id is not None:
        raise ValidationError({"name": [ON_SITE_LINE]})
    update_housing(session, actor, existing, **changes)
    return existing.id, "updated"
