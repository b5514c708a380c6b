"""The observatory's figures (issue 20): the data table the macros of macros/charts.html render
from a :class:`~data.observatory.tables.Table`, which charts.js draws from, and the EPCI outlines
the choropleth reads. The drawing itself is tests/web/test_browser_charts.py's subject.

One engine (SQLite): no database work here.
"""

from __future__ import annotations

import re
import xml.etree.ElementTree as ET
from dataclasses import replace
from datetime import date

import pytest
from flask import Flask, render_template_string

from data.observatory.tables import SECRET, Column, ColumnType, Table
from data.presentation.figures import SECRET_TEXT, cell_text, figure, map_figure
from data.reference import read_epcis

pytestmark = pytest.mark.one_engine

MONTHLY = Table(
    key="offres-par-mois",
    title="Offres publiées par mois",
    description="Offres d'apprentissage publiées sur la plateforme.",
    columns=(
        Column("mois", "Mois", ColumnType.DATE, dimension=True),
        Column("offres", "Offres publiées", unit="offres"),
        Column("demandes", "Demandes déposées", unit="demandes"),
    ),
    rows=(
        (date(2026, 9, 1), 1234, 8),
        (date(2026, 10, 1), SECRET, None),
        (date(2026, 11, 1), 0, 12),
    ),
    updated_on=date(2026, 12, 1),
)

FUNNEL = Table(
    key="parcours",
    title="Du dépôt de la demande au contrat",
    description="",
    columns=(
        Column("etape", "Étape", ColumnType.STRING, dimension=True),
        Column("personnes", "Personnes", unit="personnes"),
    ),
    rows=(("Demandes", 120), ("Mises en relation", 45), ("Contrats signés", SECRET)),
    updated_on=date(2026, 12, 1),
)

BOURG, GEX = "200071751", "240100750"
TENSION = Table(
    key="tension-par-epci",
    title="Tension par intercommunalité",
    description="Demandes par offre.",
    columns=(
        Column("code_epci", "Code EPCI", ColumnType.STRING, dimension=True),
        Column("epci", "Intercommunalité", ColumnType.STRING, dimension=True),
        Column("tension", "Tension", ColumnType.NUMBER, unit="demandes par offre"),
    ),
    rows=((BOURG, "CA du Bassin de Bourg-en-Bresse", 1.256), (GEX, "CA du Pays de Gex", SECRET)),
)


def _render(app: Flask, source: str, **context: object) -> ET.Element:
    """Render macros and parse the result (the macros write well-formed markup)."""
    with app.test_request_context():
        html = render_template_string(
            '{% from "macros/charts.html" import figure_table, choropleth_table %}' + source,
            **context,
        )
    return ET.fromstring(f"<root>{html}</root>")


def _text(el: ET.Element) -> str:
    return re.sub(r"[ \t\r\n]+", " ", "".join(el.itertext())).strip()


def _by_id(root: ET.Element, id_: str) -> ET.Element:
    found = root.find(f".//*[@id='{id_}']")
    assert found is not None, id_
    return found


def test_a_secret_cell_prints_secret_statistique_without_a_value(app: Flask) -> None:
    root = _render(
        app,
        '{{ figure_table(t, "line", x="mois", series=["offres", "demandes"]) }}',
        t=MONTHLY,
    )
    fig = root.find("figure")
    assert fig is not None
    assert (fig.get("data-chart"), fig.get("data-x")) == ("line", "mois")
    assert fig.get("data-series") == "offres demandes"
    assert _text(fig.find("figcaption")).startswith("Offres publiées par mois")
    table = fig.find(".//table")
    assert _text(table.find("caption")) == "Offres publiées par mois (au 1er décembre 2026)"
    heads = [(th.get("scope"), _text(th)) for th in table.iterfind("thead/tr/th")]
    assert heads == [
        ("col", "Mois"),
        ("col", "Offres publiées (offres)"),
        ("col", "Demandes déposées (demandes)"),
    ]
    rows = table.findall("tbody/tr")
    assert [r.find("th").get("scope") for r in rows] == ["row"] * 3
    assert [_text(r.find("th")) for r in rows] == [
        "septembre 2026",
        "octobre 2026",
        "novembre 2026",
    ]
    first, second, third = (r.findall("td") for r in rows)
    assert [_text(td) for td in first] == ["1\u202f234", "8"]
    assert [td.get("data-value") for td in first] == ["1234", "8"]
    secret, missing = second
    assert _text(secret) == SECRET_TEXT and "data-value" not in secret.attrib
    assert _text(missing) == "—" and "data-value" not in missing.attrib
    assert (third[0].get("data-value"), _text(third[0])) == ("0", "0")  # a zero is a value
    # Each mark is explained once, under the table, which points to the explanation.
    notes = _text(_by_id(root, table.get("aria-describedby", "")))
    assert notes.count("secret statistique") == 1 and "pas de donnée" in notes


def test_a_table_without_secret_has_no_note_and_a_funnel_is_marked_so(app: Flask) -> None:
    funnel = replace(FUNNEL, rows=FUNNEL.rows[:2] + (("Contrats signés", 12),))
    root = _render(app, '{{ figure_table(t, "funnel", "etape", ["personnes"]) }}', t=funnel)
    fig = root.find("figure")
    assert fig is not None and fig.get("data-chart") == "funnel"
    assert fig.get("data-label", "").startswith("Entonnoir : Du dépôt de la demande au contrat")
    assert "aria-describedby" not in fig.find(".//table").attrib
    assert "secret statistique" not in _text(root)
    assert [th.get("data-value") for th in fig.iterfind(".//tbody/tr/th")] == [
        "Demandes",
        "Mises en relation",
        "Contrats signés",
    ]


def test_the_choropleth_heads_rows_by_name_and_joins_them_by_code(app: Flask) -> None:
    root = _render(
        app,
        '{{ choropleth_table(t, "code_epci", "tension", "/carte/epci-ain.geojson") }}',
        t=TENSION,
    )
    fig = root.find("figure")
    assert fig is not None and fig.get("data-chart") == "choropleth"
    assert fig.get("data-outlines") == "/carte/epci-ain.geojson"
    rows = fig.findall(".//tbody/tr")
    assert [r.get("data-code") for r in rows] == [BOURG, GEX]
    assert [_text(r.find("th")) for r in rows] == [
        "CA du Bassin de Bourg-en-Bresse",
        "CA du Pays de Gex",
    ]
    bourg, gex = (r.find("td") for r in rows)
    assert (_text(bourg), bourg.get("data-value")) == ("1,26", "1.256")
    assert _text(gex) == SECRET_TEXT and "data-value" not in gex.attrib
    source = fig.find(".//p[@class='figure-source']")
    assert source is not None and "Licence Ouverte" in _text(source)


def test_cells_are_written_the_french_way() -> None:
    count = Column("n", "Contrats")
    assert cell_text(10_000, count).text == "10\u202f000"
    assert cell_text(date(2026, 3, 2), Column("jour", "Jour", ColumnType.DATE)).text == (
        "2 mars 2026"
    )
    # Days that are not all first days of months are days, not months.
    days = figure(
        Table(
            "t",
            "T",
            "",
            (Column("jour", "Jour", ColumnType.DATE, dimension=True), count),
            ((date(2026, 3, 1), 1), (date(2026, 3, 2), 2)),
        ),
        "jour",
        ["n"],
    )
    assert [r.head.text for r in days.rows] == ["1er mars 2026", "2 mars 2026"]
    with pytest.raises(KeyError):
        figure(MONTHLY, "mois", ["absente"])


def test_a_map_figure_without_a_name_column_heads_rows_by_code() -> None:
    table = Table(
        "t",
        "T",
        "",
        (Column("code", "Code", ColumnType.STRING, dimension=True), Column("n", "N")),
        ((BOURG, 3),),
    )
    fig = map_figure(table, "code", "n")
    assert fig.rows[0].head.text == BOURG and fig.rows[0].code == BOURG


def test_the_epci_outlines_are_served_with_their_codes(app: Flask) -> None:
    response = app.test_client().get("/carte/epci-ain.geojson")
    assert response.status_code == 200 and response.mimetype == "application/geo+json"
    codes = [f["properties"]["code"] for f in response.get_json()["features"]]
    assert codes == [e.code for e in read_epcis()]
    assert re.fullmatch(
        r"public, max-age=86400|max-age=86400, public", response.cache_control.to_header()
    )


def test_chart_js_is_served_from_the_app_with_its_licence(app: Flask) -> None:
    client = app.test_client()
    script = client.get("/static/vendor/chartjs/chart.umd.js")
    assert script.status_code == 200 and b"Chart.js v4.6.1" in script.data[:200]
    assert "MIT License" in client.get("/static/vendor/chartjs/LICENSE").text
    assert client.get("/static/js/charts.js").status_code == 200
