"""The commune resolver on what people really type (tests/data/commune_inputs.csv), both engines."""

from __future__ import annotations

import csv
import re
from pathlib import Path

import pytest
from geopy.distance import geodesic
from sqlalchemy.orm import Session

from data.errors import ValidationError
from data.models import Commune
from data.operations.communes import (
    COMMUNE_NOT_FOUND,
    commune_label,
    commune_match,
    find_commune,
    resolve_commune,
    search_communes,
)
from data.reference.gazetteer import Gazetteer, gazetteer, name_key
from tests.data import factories as f

INPUTS = Path(__file__).parent / "commune_inputs.csv"


def _inputs() -> list[dict[str, str]]:
    with INPUTS.open(encoding="utf-8", newline="") as fh:
        return list(csv.DictReader(fh))


def test_the_list_of_inputs_is_long_and_varied() -> None:
    rows = _inputs()
    assert len(rows) >= 60
    assert {r["answer"] for r in rows} == {"found", "choice", "none"}
    postal_codes = [r for r in rows if re.fullmatch(r"\d{5}", r["typed"])]
    assert len(postal_codes) >= 10
    assert sum("former name" in r["why"] for r in rows) >= 5
    assert sum("typo" in r["why"] for r in rows) >= 5


@pytest.mark.parametrize("row", _inputs(), ids=lambda r: r["typed"])
def test_what_people_type_finds_the_commune_they_mean(
    session: Session, row: dict[str, str]
) -> None:
    """Each row was written as a person of the Ain would expect it (the `why` column says why)."""
    match = commune_match(session, row["typed"])
    if row["answer"] == "found":
        assert match.commune is not None and not match.choices
        assert commune_label(match.commune) == row["expected"]
    elif row["answer"] == "choice":
        # Several communes fit: the person chooses; the one meant comes first.
        assert match.commune is None and match.choices
        assert commune_label(match.choices[0]) == row["expected"]
    else:
        assert match.commune is None and not match.choices


def test_a_shared_postal_code_offers_its_communes_main_first_then_nearest(
    session: Session,
) -> None:
    choices = commune_match(session, "01100").choices
    assert [c.name for c in choices][0] == "Oyonnax"
    assert {c.name for c in choices} == {
        "Oyonnax",
        "Bellignat",
        "Géovreisset",
        "Arbent",
        "Groissiat",
        "Apremont",
        "Martignat",
    }
    oyonnax = (choices[0].latitude, choices[0].longitude)
    km = [geodesic(oyonnax, (c.latitude, c.longitude)).km for c in choices[1:]]
    assert km == sorted(km)
    with pytest.raises(ValidationError) as refused:
        resolve_commune(session, "01100", "commune")
    (message,) = refused.value.errors["commune"]
    assert message.startswith("« 01100 » correspond à plusieurs communes : Oyonnax (01100), ")
    assert "01283" not in message


def test_far_homonyms_come_after_the_ain_with_their_departement(session: Session) -> None:
    with pytest.raises(ValidationError) as refused:
        resolve_commune(session, "Bourg", "territoire")
    (message,) = refused.value.errors["territoire"]
    assert message.index("Bourg-en-Bresse (01000)") < message.index("Bourg (33710, Gironde)")
    assert message.endswith("Précisez laquelle.")


def test_labels_show_the_postal_code_and_the_departement_outside_the_ain(
    session: Session,
) -> None:
    assert commune_label(session.get(Commune, f.OYONNAX)) == "Oyonnax (01100)"
    assert commune_label(session.get(Commune, "33067")) == "Bourg (33710, Gironde)"
    assert commune_label(session.get(Commune, "69123")) == "Lyon (69001, Rhône)"


def test_every_label_reads_back_to_its_commune() -> None:
    g = gazetteer()
    for e in g.entries.values():
        commune = Commune(
            insee=e.insee,
            name=e.name,
            departement=e.departement,
            postal_codes=" ".join(e.postal_codes),
        )
        label = commune_label(commune)
        assert e.insee not in label or e.insee in e.postal_codes
        assert g.lookup(label).found == e.insee, label


def test_old_labels_and_bare_insee_codes_still_work(session: Session) -> None:
    assert resolve_commune(session, "Bourg-en-Bresse (01053)").insee == f.BOURG
    assert resolve_commune(session, " 01283 ").insee == f.OYONNAX
    # 01100 is Oyonnax's postal code before it is Cheignieu-la-Balme's INSEE code.
    assert find_commune(session, "01100") is None
    assert resolve_commune(session, "Cheignieu-la-Balme (01100)").insee == "01100"  # old label
    assert resolve_commune(session, "Cheignieu-la-Balme (01510)").insee == "01100"


def test_a_doubtful_typo_asks_before_taking_it(session: Session) -> None:
    with pytest.raises(ValidationError) as refused:
        resolve_commune(session, "oyonnas", "commune")
    assert refused.value.errors == {
        "commune": [
            "« oyonnas » : vouliez-vous dire Oyonnax (01100) ? Choisissez-la dans la liste."
        ]
    }


def test_nothing_found_says_so_in_french(session: Session) -> None:
    for typed in ("", "   ", "Atlantide", None, "zz", "99999"):
        with pytest.raises(ValidationError) as refused:
            resolve_commune(session, typed, "commune")
        assert refused.value.errors == {"commune": [COMMUNE_NOT_FOUND]}


def test_autocompletion_ranks_what_people_type(session: Session) -> None:
    def labels(text: str) -> list[str]:
        return [commune_label(c) for c in search_communes(session, text)]

    assert labels("01100")[0] == "Oyonnax (01100)"
    assert labels("0110")[0] == "Oyonnax (01100)"
    assert labels("bourg")[0] == "Bourg-en-Bresse (01000)"
    assert "Bourg (33710, Gironde)" not in labels("bourg")[:3]
    assert labels("oyonax") == ["Oyonnax (01100)"]
    assert labels("st genis")[:2] == [
        "Saint-Genis-Pouilly (01630)",
        "Saint-Genis-sur-Menthon (01380)",
    ]
    assert labels("bellegarde sur")[0] == "Valserhône (01200)"
    assert labels("Oyonnax (01283)") == ["Oyonnax (01100)"]
    assert labels("b") == [] and labels("zzzz") == []
    assert all(not re.search(r"\(01283|\(01053", label) for label in labels("o"))


def test_name_key_ignores_what_people_leave_out() -> None:
    assert name_key("Bourg-en-Bresse") == name_key("  bourg en BRESSE ")
    assert name_key("Saint-Denis-lès-Bourg") == name_key("st denis les bourg")
    assert name_key("Sainte-Julie") == name_key("ste julie")
    assert name_key("L'Abergement-Clémenciat") == name_key("abergement clemenciat")
    assert name_key("Châtillon-sur-Chalaronne") == name_key("chatillon s/ chalaronne")
    assert name_key("Bourg-en-Bresse Cedex") == name_key("bourg en bresse")


def test_short_texts_are_never_taken_for_typos() -> None:
    g = gazetteer()
    gx = g.lookup("Gx")  # "gx" is 80 % like "gex", but two letters
    assert gx.found is None and gx.choices == ()
    assert g.lookup("Gex").found is not None


def test_the_index_reads_the_shipped_files(tmp_path: Path) -> None:
    """A gazetteer of a few rows: the rules, not the data."""
    (tmp_path / "communes.csv").write_text(
        "insee,name,departement,postal_codes,latitude,longitude,population\n"
        "01001,Le Bourg,01,01400,46.0,5.0,100\n"
        "33001,Le Bourg,33,33000,45.0,-0.5,5000\n"
        "01002,Neuville,01,01400,46.01,5.01,50\n",
        encoding="utf-8",
    )
    (tmp_path / "former_communes.csv").write_text(
        "name,former_insee,kind,insee\nVieilleville,01003,déléguée,01002\n", encoding="utf-8"
    )
    (tmp_path / "departements.csv").write_text("code,name\n01,Ain\n33,Gironde\n", encoding="utf-8")
    g = Gazetteer.from_files(tmp_path)
    assert g.lookup("bourg").found == "01001"  # the Ain's, though smaller
    assert g.lookup("vieilleville").found == "01002"
    assert g.lookup("01400").choices == ("01001", "01002")  # most populated first
    assert g.departement_name("33") == "Gironde"


def test_doctests_of_the_gazetteer() -> None:
    import doctest

    from data.reference import gazetteer as module

    result = doctest.testmod(module)
    assert result.attempted >= 3 and result.failed == 0
