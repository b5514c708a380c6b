"""The CSV writer of the coordinators' exports (no database)."""

from __future__ import annotations

import csv
import io
from datetime import UTC, date, datetime

import pytest

from data.models import OfferStatus
from data.presentation.export import Column, cell, csv_text


@pytest.mark.parametrize("start", ["=", "+", "-", "@", "\t", "\r"])
def test_a_cell_that_could_start_a_formula_is_kept_as_text(start: str) -> None:
    assert cell(f"{start}SOMME(A1:A9)") == f"'{start}SOMME(A1:A9)"


def test_cells_are_written_as_people_read_them() -> None:
    assert cell("Bourg-en-Bresse") == "Bourg-en-Bresse"  # a hyphen inside is left alone
    assert cell(OfferStatus.DRAFT) == "Brouillon"
    assert cell(date(2026, 3, 1)) == "01/03/2026"
    # A moment is its day in Paris: 23:30 UTC on 31 December is already the 1st of January.
    assert cell(datetime(2026, 12, 31, 23, 30, tzinfo=UTC)) == "01/01/2027"
    assert (cell(None), cell(True), cell(False), cell(-2)) == ("", "Oui", "Non", "-2")


def test_the_file_has_a_bom_a_french_header_and_semicolons() -> None:
    columns = (Column("Nom", lambda r: r[0]), Column("Statut", lambda r: r[1]))
    text = csv_text(columns, [("=1+1;x", OfferStatus.PUBLISHED), ('Dit "oui"', None)])
    assert text.startswith("\ufeffNom;Statut\r\n")
    rows = list(csv.reader(io.StringIO(text[1:]), delimiter=";"))
    assert rows == [["Nom", "Statut"], ["'=1+1;x", "Publiée"], ['Dit "oui"', ""]]
