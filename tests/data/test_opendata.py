"""The observatory's open-data files (data.observatory.opendata), validated by frictionless.

frictionless reads the files from a temporary folder; the suite's network guard (tests/conftest.py)
fails these tests if validation opened a connection.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import frictionless
import pytest

from data.observatory.opendata import (
    LICENSE,
    SECRET_TEXT,
    PackageInfo,
    data_package,
    file_names,
    package_files,
    table_csv,
    table_json,
    table_schema,
)
from data.observatory.secret import TOTAL, protected_table
from data.observatory.tables import SECRET, Column, ColumnType, Table

DELAYS = Table(
    key="delai-demande-contrat",
    title="Délai entre la demande et le contrat",
    description="Délai médian, en jours, entre la demande d'un candidat et son contrat signé.",
    columns=(
        Column("mois", "Mois", ColumnType.DATE, "Premier jour du mois.", dimension=True),
        Column("metier", "Métier", ColumnType.STRING, "Libellé du métier.", dimension=True),
        Column("delai_median", "Délai médian", ColumnType.NUMBER, "Médiane.", unit="jours"),
        Column("contrats", "Contrats signés", unit="contrats"),
    ),
    rows=(
        (date(2026, 1, 1), "Accompagnant éducatif et social", 41.5, 12),
        (date(2026, 1, 1), "Moniteur-éducateur, éducateur", None, SECRET),
        (date(2026, 2, 1), 'Aide-soignant "AS"', 30, 0),
    ),
    updated_on=date(2026, 3, 1),
    sources=("Passerelle : contrats signés via la plateforme.",),
)


def _people() -> Table:
    cube = {
        ("2026-01-01", "AES"): 4,
        ("2026-01-01", "ES"): 30,
        ("2026-02-01", "AES"): 25,
        ("2026-02-01", "ES"): 12,
    }
    return protected_table(
        cube,
        {(True, True), (True, False), (False, True), (False, False)},
        [
            Column("mois", "Mois", ColumnType.DATE, "Premier jour du mois ; vide : la période."),
            Column("metier", "Métier", ColumnType.STRING, "Code du métier."),
        ],
        Column("candidats", "Candidats", description="Candidats inscrits.", unit="personnes"),
        key="candidats-par-mois-et-metier",
        title="Candidats par mois et par métier",
        description="Candidats inscrits sur Passerelle.",
        updated_on=date(2026, 2, 28),
        sources=("Passerelle : demandes des candidats.",),
    )


def _write(tables: list[Table], folder: Path) -> dict[str, bytes]:
    info = PackageInfo(
        name="passerelle-observatoire",
        title="Observatoire de l'apprentissage dans le social et le médico-social (Ain)",
        description="Chiffres de Passerelle.",
        sources=("Passerelle, Département de l'Ain",),
    )
    files = package_files(tables, info)
    for name, content in files.items():
        (folder / name).write_bytes(content)
    return files


def test_csv_is_utf8_comma_separated_with_the_column_keys_as_header():
    text = table_csv(DELAYS).decode("utf-8")
    assert text.split("\r\n") == [
        "mois,metier,delai_median,contrats",
        "2026-01-01,Accompagnant éducatif et social,41.5,12",
        '2026-01-01,"Moniteur-éducateur, éducateur",,secret',
        '2026-02-01,"Aide-soignant ""AS""",30,0',
        "",
    ]


def test_json_has_the_same_keys_and_writes_the_secret_as_in_the_csv():
    records = json.loads(table_json(DELAYS))
    assert records[1] == {
        "mois": "2026-01-01",
        "metier": "Moniteur-éducateur, éducateur",
        "delai_median": None,
        "contrats": SECRET_TEXT,
    }
    assert records[0]["delai_median"] == 41.5 and records[2]["contrats"] == 0
    assert list(records[0]) == [c.key for c in DELAYS.columns]


def test_schema_describes_each_column_with_its_unit():
    schema = table_schema(DELAYS)
    assert schema["missingValues"] == ["", "secret"]
    delay = schema["fields"][2]
    assert delay == {
        "name": "delai_median",
        "title": "Délai médian",
        "type": "number",
        "description": "Médiane. Unité : jours.",
        "unit": "jours",
    }
    assert schema["fields"][0]["type"] == "date"


def test_package_lists_every_file_under_the_open_licence():
    info = PackageInfo(name="p", title="T", description="D", sources=("S",))
    package = data_package([DELAYS, _people()], info)
    assert package["licenses"] == [LICENSE]
    assert LICENSE["name"] == "etalab-2.0"
    assert package["updated"] == "2026-03-01"  # the latest table's
    paths = [r["path"] for r in package["resources"]]
    assert paths == [
        "delai-demande-contrat.csv",
        "delai-demande-contrat.json",
        "candidats-par-mois-et-metier.csv",
        "candidats-par-mois-et-metier.json",
    ]
    first = package["resources"][0]
    assert first["schema"] == file_names(DELAYS).schema and first["updated"] == "2026-03-01"
    assert "Secret statistique" in first["description"]
    with pytest.raises(ValueError):
        data_package([DELAYS, DELAYS], info)


def test_frictionless_validates_every_file_and_reads_the_figures_back(tmp_path):
    people = _people()
    files = _write([DELAYS, people], tmp_path)
    assert set(files) == {
        "datapackage.json",
        *(getattr(file_names(t), f) for t in (DELAYS, people) for f in ("csv", "json", "schema")),
    }
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert report.valid, report.flatten(["rowNumber", "fieldName", "type", "note"])
    assert [task.stats["rows"] for task in report.tasks] == [3, 3, 9, 9]

    package = frictionless.Package(str(tmp_path / "datapackage.json"))
    for name in ("candidats-par-mois-et-metier", "candidats-par-mois-et-metier-json"):
        rows = package.get_resource(name).read_rows()
        assert [r.to_dict() for r in rows[:1]] == [
            {"mois": date(2026, 1, 1), "metier": "AES", "candidats": None}
        ]
        assert rows[-1].to_dict() == {"mois": None, "metier": TOTAL, "candidats": 71}
        assert sum(r["candidats"] is None for r in rows) == people.values("candidats").count(SECRET)
    delays = package.get_resource("delai-demande-contrat").read_rows()
    assert delays[0]["delai_median"] == Decimal("41.5")


def test_frictionless_rejects_a_file_that_breaks_its_schema(tmp_path):
    _write([DELAYS], tmp_path)
    path = tmp_path / file_names(DELAYS).csv
    path.write_bytes(path.read_bytes().replace(b",12\r\n", b",douze\r\n"))
    report = frictionless.validate(str(tmp_path / "datapackage.json"))
    assert not report.valid
    assert report.flatten(["fieldName", "type"]) == [["contrats", "type-error"]]


@pytest.mark.parametrize(
    ("column", "cell"),
    [
        (Column("n", "N"), "12"),
        (Column("n", "N"), 1.5),
        (Column("n", "N"), True),
        (Column("d", "D", ColumnType.DATE), "2026-01-01"),
        (Column("s", "S", ColumnType.STRING), "secret"),
        (Column("s", "S", ColumnType.STRING), ""),
        (Column("x", "X", ColumnType.NUMBER), "1,5"),
    ],
)
def test_a_cell_of_the_wrong_type_is_refused(column, cell):
    table = Table("t", "T", "", (column,), ((cell,),))
    with pytest.raises(ValueError):
        table_csv(table)
    with pytest.raises(ValueError):
        table_json(table)
