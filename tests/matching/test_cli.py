"""``python -m matching``: the JSON interchange format, and bad input refused cleanly."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

from matching.cli import main

from .conftest import ROOT

OFFERS = [
    {
        "id": "o1",
        "metier": "aide-soignant",
        "commune": "01053",
        "places": 2,
        "housing_beds": 1,
        "start": "2026-09-01",
    },
    {"id": "o2", "metier": "AES", "commune": "01283", "places": 1},
    {
        "id": "o3",
        "metier": "éduc spé",
        "lat": 45.96104,
        "lon": 5.37229,
        "places": 1,
        "licence_required": True,
    },
    {"id": "o4", "metier": "boulanger", "commune": "01004", "places": 1},
]
REQUESTS = [
    {
        "id": "r1",
        "metiers": ["aide soignante"],
        "commune": "01053",
        "max_km": 30,
        "needs_housing": True,
    },
    {
        "id": "r2",
        "metiers": ["AS", "plombier"],
        "commune": "01004",
        "max_km": 40,
        "needs_housing": False,
        "available_from": "2026-09-15",
    },
    {
        "id": "r3",
        "metiers": ["educatrice specialisee"],
        "commune": "01034",
        "max_km": 20,
        "needs_housing": False,
        "has_licence": True,
        "diploma_level": 4,
    },
]


def write(tmp_path: Path, name: str, data: Any) -> str:
    path = tmp_path / name
    path.write_text(data if isinstance(data, str) else json.dumps(data), encoding="utf-8")
    return str(path)


def run(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    command: str,
    offers: Any,
    requests: Any,
    *extra: str,
) -> tuple[int, str, str]:
    code = main(
        [
            command,
            "--offers",
            write(tmp_path, "offers.json", offers),
            "--requests",
            write(tmp_path, "requests.json", requests),
            *extra,
        ]
    )
    out, err = capsys.readouterr()
    return code, out, err


def test_output_is_compact_unless_indented_for_people(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    _, compact, _ = run(tmp_path, capsys, "suggest", OFFERS, REQUESTS)
    _, indented, _ = run(tmp_path, capsys, "suggest", OFFERS, REQUESTS, "--indent", "2")
    assert compact.count("\n") == 1 and compact.startswith('{"engine_version":"')
    assert indented.count("\n") > 10 and '\n  "engine_version": ' in indented
    assert json.loads(compact) == json.loads(indented)
    with pytest.raises(SystemExit) as refused:
        run(tmp_path, capsys, "suggest", OFFERS, REQUESTS, "--indent", "0")
    assert refused.value.code == 2 and "must be >= 1" in capsys.readouterr().err


def test_suggest_prints_both_ways(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, err = run(tmp_path, capsys, "suggest", OFFERS, REQUESTS, "--top", "2")
    assert code == 0 and err == ""
    data = json.loads(out)
    assert set(data) >= {"requests", "offers", "excluded", "widening", "unresolved"}
    first = data["requests"]["r1"][0]
    assert first["offer"] == "o1" and first["score"] == 1.0 and "request" not in first
    assert set(first) == {"offer", "score", "distance_km", "criteria", "reasons"}
    assert first["reasons"][-1] == "Logement proposé sur place (1 place)"
    assert [e["request"] for e in data["offers"]["o1"]] == ["r1", "r2"]
    assert "offer" not in data["offers"]["o1"][0]
    # Nothing within 20 km of Belley; the ES post of Ambérieu is 31 km away.
    assert data["requests"]["r3"] == [] and data["widening"] == {"r3": 50.0}
    assert sum(data["excluded"]["counts"].values()) > 0
    # Free texts that mean nothing are reported, never matched.
    assert {(u["record"], u["text"]) for u in data["unresolved"]} == {
        ('offer #4 (id "o4")', "boulanger"),
        ('request #2 (id "r2")', "plombier"),
    }
    assert "o4" not in data["offers"]
    assert any(a["text"] == "AS" and a["alternatives"] for a in data["ambiguous"])


def test_the_cli_resolves_the_sector_s_metiers_and_reads_coordinators_mappings(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    offers = [
        {"id": "p1", "metier": "auxiliaire de puériculture", "commune": "01053", "places": 1},
        {"id": "p2", "metier": "infirmier", "commune": "01053", "places": 1},
    ]
    requests = [
        {
            "id": "q1",
            "metiers": ["AEPE", "infirmière puéricultrice", "zzzz"],
            "commune": "01053",
            "max_km": 30,
            "needs_housing": False,
        }
    ]
    code, out, _ = run(tmp_path, capsys, "suggest", offers, requests)
    data = json.loads(out)
    # AEPE is related to the auxiliaire de puériculture; nothing asks for the nurse's post.
    assert code == 0 and [m["offer"] for m in data["requests"]["q1"]] == ["p1"]
    assert {u["text"]: u["suggestions"] for u in data["unresolved"]} == {
        "infirmière puéricultrice": ["infirmier", "auxiliaire-de-puericulture"],
        "zzzz": [],
    }
    mappings = write(tmp_path, "mappings.json", {"Infirmière puéricultrice": "infirmier"})
    code, out, _ = run(tmp_path, capsys, "suggest", offers, requests, "--mappings", mappings)
    data = json.loads(out)
    assert [m["offer"] for m in data["requests"]["q1"]] == ["p2", "p1"]
    assert [u["text"] for u in data["unresolved"]] == ["zzzz"]
    bad = write(tmp_path, "bad.json", {"x": "astronaute"})
    code, out, err = run(tmp_path, capsys, "suggest", offers, requests, "--mappings", bad)
    assert code == 2 and out == "" and "bad.json" in err


def test_allocate_prints_assignments(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code, out, _ = run(tmp_path, capsys, "allocate", OFFERS, REQUESTS)
    assert code == 0
    data = json.loads(out)
    assert [(a["request"], a["offer"]) for a in data["assignments"]] == [("r1", "o1"), ("r2", "o1")]
    assert data["assignments"][0]["score"] == 1.0
    assert data["unassigned"] == [
        {
            "request": "r3",
            "reason": "Aucune offre compatible à moins de 20 km (au moins une à moins de 50 km)",
            "lost_to": [],
            "compatible": 0,
        }
    ]


def bad(**changes: Any) -> list[dict[str, Any]]:
    records = [dict(o) for o in OFFERS]
    records[1].update(changes)
    return [{k: v for k, v in r.items() if v is not ...} for r in records]


@pytest.mark.parametrize(
    ("offers", "requests", "message"),
    [
        (bad(commune="99999"), REQUESTS, 'offer #2 (id "o2"): field "commune": unknown INSEE code'),
        (bad(places=-1), REQUESTS, 'offer #2 (id "o2"): field "places": must be >= 0'),
        (bad(places=1.5), REQUESTS, 'field "places": must be an integer'),
        (bad(places=...), REQUESTS, 'offer #2 (id "o2"): field "places": is required'),
        (bad(id=...), REQUESTS, 'offer #2: field "id": is required'),
        (bad(id="o1"), REQUESTS, 'offer #2 (id "o1"): field "id": duplicate id (also offer #1)'),
        (bad(licence_required="yes"), REQUESTS, 'field "licence_required": must be true or false'),
        (bad(night_work=1), REQUESTS, 'field "night_work": must be true or false'),
        (
            OFFERS,
            [{"id": "r1", "metiers": ["AS"], "commune": "01053", "max_km": 30, "minor": "oui"}],
            'request #1 (id "r1"): field "minor": must be true or false',
        ),
        (bad(start="01/09/2026"), REQUESTS, 'field "start": "01/09/2026" is not an ISO date'),
        (bad(housing_beds=True), REQUESTS, 'field "housing_beds": must be an integer'),
        (bad(commune=..., lat=46.2), REQUESTS, 'field "lon": is required'),
        (bad(commune=...), REQUESTS, 'field "commune": is required (or lat and lon)'),
        (bad(lat=123, lon=5), REQUESTS, 'field "lat": must be between -90 and 90'),
        ("[{", REQUESTS, "malformed JSON at line 1 column 3"),
        ({"id": "o1"}, REQUESTS, "a JSON array of records is required"),
        (["o1"], REQUESTS, "offer #1: a JSON object is required"),
        (
            OFFERS,
            [{"id": "r1", "metiers": "AS", "commune": "01053", "max_km": 30}],
            'request #1 (id "r1"): field "metiers": must be a non-empty list of strings',
        ),
        (
            OFFERS,
            [{"id": "r1", "metiers": ["AS"], "commune": "01053"}],
            'request #1 (id "r1"): field "max_km": is required',
        ),
        (
            OFFERS,
            [{"id": "r1", "metiers": ["AS"], "commune": "01053", "max_km": -5}],
            'field "max_km": must be between',
        ),
        (
            OFFERS,
            [{"id": 7, "metiers": ["AS"], "commune": "01053", "max_km": 5}],
            'request #1: field "id": must be a non-empty string',
        ),
    ],
)
def test_bad_input_exits_2_naming_record_and_field(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], offers: Any, requests: Any, message: str
) -> None:
    for command in ("suggest", "allocate"):
        code, out, err = run(tmp_path, capsys, command, offers, requests)
        assert code == 2
        assert out == ""  # no partial output
        assert message in err, err
        assert err.startswith("error: ") and err.count("\n") == 1


def test_missing_file_and_usage(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    code = main(["suggest", "--offers", str(tmp_path / "nope.json"), "--requests", "x"])
    out, err = capsys.readouterr()
    assert code == 2 and out == "" and "nope.json: cannot read" in err
    with pytest.raises(SystemExit) as e:
        main(["suggest", "--offers", "a.json"])
    assert e.value.code == 2
    with pytest.raises(SystemExit) as e:
        main(["suggest", "--offers", "a", "--requests", "b", "--top", "0"])
    assert e.value.code == 2


def test_other_referential_and_gazetteer(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    metiers = write(tmp_path, "m.json", {"metiers": [{"code": "x", "label": "Xylophoniste"}]})
    communes = write(
        tmp_path,
        "c.csv",
        "insee,name,departement,postal_codes,latitude,longitude,"
        "population\n99001,Ici,99,,45.0,5.0,10\n",
    )
    offers = [{"id": "o", "metier": "xylophoniste", "commune": "99001", "places": 1}]
    requests = [
        {"id": "r", "metiers": ["x"], "commune": "99001", "max_km": 5, "needs_housing": False}
    ]
    code, out, _ = run(
        tmp_path, capsys, "suggest", offers, requests, "--metiers", metiers, "--communes", communes
    )
    assert code == 0
    assert json.loads(out)["requests"]["r"][0]["offer"] == "o"


def test_python_dash_m(tmp_path: Path) -> None:
    cmd = [
        sys.executable,
        "-m",
        "matching",
        "allocate",
        "--offers",
        write(tmp_path, "o.json", OFFERS),
        "--requests",
        write(tmp_path, "r.json", REQUESTS),
    ]
    done = subprocess.run(cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 0 and json.loads(done.stdout)["assignments"]
    bad_cmd = cmd[:-1] + [write(tmp_path, "bad.json", "not json")]
    done = subprocess.run(bad_cmd, capture_output=True, text=True, cwd=ROOT, check=False)
    assert done.returncode == 2 and done.stdout == "" and "malformed JSON" in done.stderr


@pytest.mark.parametrize("command", ["suggest", "allocate"])
def test_a_minor_is_never_offered_night_work_and_the_exclusion_is_counted(
    tmp_path: Path, capsys: pytest.CaptureFixture[str], command: str
) -> None:
    offers = [
        {"id": "day", "metier": "aide-soignant", "commune": "01053", "places": 1},
        {
            "id": "night",
            "metier": "aide-soignant",
            "commune": "01053",
            "places": 1,
            "night_work": True,
        },
    ]
    young = {"id": "young", "metiers": ["aide-soignant"], "commune": "01053", "max_km": 30}
    requests = [young, {**young, "id": "zoe", "minor": True}]
    code, out, err = run(tmp_path, capsys, command, offers, requests)
    assert code == 0 and err == ""
    data = json.loads(out)
    if command == "suggest":
        assert [m["offer"] for m in data["requests"]["zoe"]] == ["day"]
        assert [m["offer"] for m in data["requests"]["young"]] == ["day", "night"]
        assert data["excluded"]["counts"]["night"] == 1
        assert data["excluded"]["samples"]["night"] == [["zoe", "night"]]
    else:
        got = {a["request"]: a["offer"] for a in data["assignments"]}
        # Ties go by request id: young takes the day post; the night one stays out of zoe's reach.
        assert got == {"young": "day"}
        assert [u["request"] for u in data["unassigned"]] == ["zoe"]
    # The same files without the flags: no "night" reason at all.
    plain = [{k: v for k, v in o.items() if k != "night_work"} for o in offers]
    code, out, _ = run(tmp_path, capsys, "suggest", plain, [young, {**young, "id": "zoe"}])
    assert "night" not in json.loads(out)["excluded"]["counts"]
