"""``python -m matching``'s output (issue 21): fast, and the same data however it is written.

The command line writes with orjson when it is installed, else with the standard library's
encoder; compact by default, indented with ``--indent``. Each pair listed both ways (in its
request's list and its offer's) is written once and shown twice. Every way must print what the
previous implementation printed (each match's ``to_dict`` without the list's own id).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest

from matching import cli
from matching.model import Suggestions

from . import test_training

GOLDEN = Path(__file__).resolve().parent / "golden"
ENCODERS = ["orjson", "stdlib"]

#: name -> the command line's arguments (input files under golden/ or written by the test).
CASES: dict[str, list[str]] = {
    "small-suggest": [
        "suggest",
        "--offers",
        "small-offers.json",
        "--requests",
        "small-requests.json",
    ],
    "small-allocate": [
        "allocate",
        "--offers",
        "small-offers.json",
        "--requests",
        "small-requests.json",
    ],
    "ain-suggest": [
        "suggest",
        "--offers",
        "ain-offers.json",
        "--requests",
        "ain-requests.json",
        "--top",
        "5",
    ],
    "housing-suggest": [
        "suggest",
        "--offers",
        "housing-offers.json",
        "--requests",
        "housing-requests.json",
        "--housing",
        "housing-resources.json",
    ],
    "training-suggest": ["suggest", "--offers", "o.json", "--requests", "r.json"],
}


def _argv(case: str, tmp_path: Path) -> list[str]:
    if case == "training-suggest":
        for name, data in (
            ("o.json", test_training.OFFERS),
            ("r.json", test_training.REQUESTS),
            ("t.json", test_training.CENTRES),
        ):
            (tmp_path / name).write_text(json.dumps(data), encoding="utf-8")
        folder = tmp_path
        extra = ["--training", str(tmp_path / "t.json")]
    else:
        folder, extra = GOLDEN, []
    argv = list(CASES[case])
    return [str(folder / a) if a.endswith(".json") else a for a in argv] + extra


def _use(encoder: str, monkeypatch: pytest.MonkeyPatch) -> None:
    if encoder == "orjson":
        pytest.importorskip("orjson")
        assert cli._orjson is not None
    else:
        monkeypatch.setattr(cli, "_orjson", None)


def _print(argv: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    code = cli.main(argv)
    out, err = capsys.readouterr()
    assert code == 0, err
    return out


def _previous(s: Suggestions) -> dict[str, Any]:
    """The lists as the command line wrote them before issue 21."""

    def entry(match: dict[str, Any], drop: str) -> dict[str, Any]:
        return {k: v for k, v in match.items() if k != drop}

    return {
        "requests": {
            rid: [entry(m.to_dict(), "request") for m in s.by_request[rid]] for rid in s.by_request
        },
        "offers": {
            oid: [entry(m.to_dict(), "offer") for m in s.by_offer[oid]] for oid in s.by_offer
        },
    }


@pytest.mark.parametrize("encoder", ENCODERS)
@pytest.mark.parametrize("case", sorted(CASES))
def test_every_way_prints_what_the_previous_implementation_printed(
    case: str,
    encoder: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _use(encoder, monkeypatch)
    argv = _argv(case, tmp_path)
    compact = _print(argv, capsys)
    indented = _print([*argv, "--indent", "2"], capsys)
    by_three = _print([*argv, "--indent", "3"], capsys)
    monkeypatch.setattr(cli, "_suggestions", _previous)
    assert _print(argv, capsys) == compact  # same keys, values and order: same text
    assert _print([*argv, "--indent", "2"], capsys) == indented
    assert compact.count("\n") == 1 and indented.count("\n") > 10
    data = json.loads(compact)
    assert json.loads(indented) == data and json.loads(by_three) == data
    assert json.dumps(json.loads(indented)) == json.dumps(data)  # in the same order


@pytest.mark.parametrize("case", sorted(CASES))
def test_orjson_and_the_standard_library_write_the_same_text(
    case: str, tmp_path: Path, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    _use("orjson", monkeypatch)
    argv = _argv(case, tmp_path)
    fast = [_print(argv, capsys), _print([*argv, "--indent", "2"], capsys)]
    monkeypatch.setattr(cli, "_orjson", None)
    assert [_print(argv, capsys), _print([*argv, "--indent", "2"], capsys)] == fast


def test_a_float_below_1e_4_is_the_same_number_written_two_ways(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    _use("orjson", monkeypatch)
    data = {"km": 2.5e-05, "score": 0.1234, "text": "Même métier"}
    fast = cli.encode(data)
    assert fast == '{"km":0.000025,"score":0.1234,"text":"Même métier"}'.encode()
    monkeypatch.setattr(cli, "_orjson", None)
    assert cli.encode(data) == '{"km":2.5e-05,"score":0.1234,"text":"Même métier"}'.encode()
    assert json.loads(fast) == json.loads(cli.encode(data)) == data


def test_a_pair_listed_both_ways_is_written_once(tmp_path: Path) -> None:
    """Its details are one object, shown in its request's list and in its offer's."""
    from matching import suggest
    from matching.model import OfferIn, RequestIn

    from .conftest import metier_records

    ref = cli.MetierReferential.from_records(metier_records())
    offers = [OfferIn(f"o{i}", "aide-soignant", 46.2 + i / 100, 5.2, 1) for i in range(3)]
    requests = [RequestIn(f"r{i}", ("aide-soignant",), 46.2 + i / 50, 5.21, 30.0) for i in range(4)]
    out = cli._suggestions(suggest(requests, offers, ref, top_k=2))
    shown = 0
    for rid, matches in out["requests"].items():
        for m in matches:
            twin = [t for t in out["offers"][m["offer"]] if t["request"] == rid]
            if twin:
                shown += 1
                assert twin[0]["criteria"] is m["criteria"]
                assert twin[0]["reasons"] is m["reasons"]
    assert shown >= 2
